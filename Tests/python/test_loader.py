"""Finding the library: CFCERTS_LIBRARY first, then the package's copy, then the SONAME; one error naming every
place tried when none loads."""

import os
import subprocess
import sys


def run_python(code: str, **environment) -> subprocess.CompletedProcess:
    env = dict(os.environ, **environment)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_every_place_tried_is_named_when_none_loads(tmp_path):
    missing = str(tmp_path / "nowhere" / "libcfcerts.so.0")
    result = run_python("import cfcerts; cfcerts.Client(api_token='t')", CFCERTS_LIBRARY=missing, LD_LIBRARY_PATH="")
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("cfcerts._library.LibraryNotFound: cannot load libcfcerts; tried, in order:")
    assert f"{missing}: no such file" in message
    assert os.path.join("cfcerts", "libcfcerts.so.0") in message
    assert "libcfcerts.so.0: libcfcerts.so.0: cannot open shared object file" in message


def test_a_library_that_is_not_libcfcerts_is_refused(tmp_path):
    result = run_python("import cfcerts; cfcerts.library()", CFCERTS_LIBRARY="libz.so.1", LD_LIBRARY_PATH="")
    assert "libz.so.1: " in result.stderr and "undefined symbol: cfcerts_version_number" in result.stderr


def test_the_environment_override_wins():
    code = "import cfcerts; cfcerts.library(); print(open('/proc/self/maps').read())"
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert os.path.realpath(os.environ["CFCERTS_LIBRARY"]) in result.stdout
