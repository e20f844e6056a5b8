"""Fixtures for the CLI suite: the `cfcerts` binary (CFCERTS_CLI) and the emulator scripts/run-cli-tests.sh
started (CFCERTS_TEST_BASE_URL, transition delay 2 s)."""

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request

import pytest

TOKEN = "cfcerts-emulator-token"


class Emulator:
    def __init__(self, base_url):
        self.base_url = base_url
        self.root = base_url[: -len("/client/v4")]

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.root + "/__emulator" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()

    def control_json(self, method, path, body=None):
        return json.loads(self.control(method, path, body))

    def seed(self, zone, count, prefix="seed", **fields):
        self.control("POST", f"/zones/{zone}/seed", {"count": count, "common_name_prefix": prefix, **fields})

    def fault(self, **fault):
        self.control("POST", "/faults", fault)


@pytest.fixture(scope="session")
def emulator():
    assert os.environ.get("CFCERTS_TEST_BASE_URL"), "scripts/run-cli-tests.sh sets CFCERTS_TEST_BASE_URL"
    return Emulator(os.environ["CFCERTS_TEST_BASE_URL"])


@pytest.fixture(autouse=True)
def no_faults_left(emulator):
    yield
    emulator.control("DELETE", "/faults")


@pytest.fixture
def zone():
    return secrets.token_hex(16)


@pytest.fixture
def cli(emulator, zone, tmp_path):
    """Runs `cfcerts ARGS` in tmp_path with credentials, base URL and zone in the environment (as a user sets them)."""
    def run(*arguments, env=None, check_status=None, **options):
        environment = {"PATH": os.environ["PATH"], "CLOUDFLARE_API_TOKEN": TOKEN,
                       "CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_ZONE_ID": zone}
        environment.update(env or {})
        environment = {key: value for key, value in environment.items() if value is not None}
        options.setdefault("capture_output", True)
        result = subprocess.run([os.environ["CFCERTS_CLI"], *arguments], text=True,
                                env=environment, cwd=tmp_path, timeout=120, **options)
        if check_status is not None:
            assert result.returncode == check_status, (result.returncode, result.stdout, result.stderr)
        return result
    return run


# Helpers of the suites that look at the emulator's state and requests, or kill a run midway.

def api(emulator, path):
    request = urllib.request.Request(emulator.base_url + path, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def certificates(emulator, zone):
    found, page = [], 1
    while True:
        answer = api(emulator, f"/zones/{zone}/client_certificates?per_page=50&page={page}")
        found += answer["result"]
        if page >= answer["result_info"]["total_pages"]:
            return found
        page += 1


def requests_to(emulator, zone):
    return [entry for entry in emulator.control_json("GET", "/requests")["requests"] if f"/zones/{zone}/" in entry["path"]]


def environment(emulator, zone):
    return {"PATH": os.environ["PATH"], "CLOUDFLARE_API_TOKEN": TOKEN, "CLOUDFLARE_BASE_URL": emulator.base_url,
            "CLOUDFLARE_ZONE_ID": zone}


def journal_lines(path, event):
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if f'"event":"{event}"' in line)


def run_then_kill(arguments, emulator, zone, cwd, journal, kill_after_done):
    """Starts `cfcerts ARGS`, and SIGKILLs it once the journal records `kill_after_done` items done."""
    process = subprocess.Popen([os.environ["CFCERTS_CLI"], *arguments], cwd=cwd, env=environment(emulator, zone),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while journal_lines(journal, "done") < kill_after_done and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the run ended before it could be killed: " + process.stderr.read().decode()
    process.send_signal(signal.SIGKILL)
    process.wait()
    # The requests in flight at the kill reach the server all the same; let them land before the resumed run looks.
    time.sleep(0.5)
