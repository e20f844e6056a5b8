"""Fixtures for the CLI suite: the `cfcerts` binary (CFCERTS_CLI) and the emulator scripts/run-cli-tests.sh
started (CFCERTS_TEST_BASE_URL, transition delay 2 s)."""

import json
import os
import secrets
import subprocess
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

    def seed(self, zone, count, prefix="seed"):
        self.control("POST", f"/zones/{zone}/seed", {"count": count, "common_name_prefix": prefix})

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
