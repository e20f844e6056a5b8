"""scripts/stage-command-docs.sh (run by `make tools`): when its build of generate-manual fails, it says why.

SwiftPM prints compiler errors on standard output; the script keeps a successful build quiet, so a failed one must
show that output (it once ended `make tools` with a bare `Error 1`)."""

import pathlib
import subprocess

TOP = pathlib.Path(__file__).resolve().parents[2]


def test_a_failed_generate_manual_build_shows_the_compiler_error(tmp_path):
    package = tmp_path / "parser"
    source = package / "Sources" / "generate-manual"
    source.mkdir(parents=True)
    (package / "Package.swift").write_text(
        "// swift-tools-version: 5.9\n"
        "import PackageDescription\n"
        'let package = Package(name: "parser", targets: [.executableTarget(name: "generate-manual")])\n')
    (source / "main.swift").write_text('let broken: Int = "not a number"\n')
    stage = tmp_path / "stage"
    stage.mkdir()
    run = subprocess.run(["bash", str(TOP / "scripts" / "stage-command-docs.sh"), str(stage), str(package)], cwd=tmp_path,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
                         env={"PATH": subprocess.os.environ["PATH"], "HOME": str(tmp_path)})
    assert run.returncode != 0
    assert "cannot convert value of type 'String'" in run.stdout + run.stderr, run.stdout + run.stderr
    assert "building generate-manual" in run.stderr
