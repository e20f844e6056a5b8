"""Fixtures for the Python binding's suite: the emulator scripts/run-binding-tests.sh started (its base URL in
CFCERTS_TEST_BASE_URL), its test controls, and a fresh zone per test."""

import json
import os
import secrets
import subprocess
import urllib.request

import pytest

import cfcerts

TOKEN = "cfcerts-emulator-token"


class Emulator:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.root = base_url[: -len("/client/v4")]

    def control(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.root + "/__emulator" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text.strip().startswith(("{", "[")) else text

    def seed(self, zone: str, count: int, prefix: str = "seed") -> None:
        self.control("POST", f"/zones/{zone}/seed", {"count": count, "common_name_prefix": prefix})

    def fault(self, **fault) -> None:
        self.control("POST", "/faults", fault)

    def request_count(self, zone: str = "") -> int:
        """Requests in the emulator's log; with `zone`, only that zone's (an earlier test's request that was still
        being served, say a delayed one whose caller timed out, is logged when it ends)."""
        return sum(1 for entry in self.control("GET", "/requests")["requests"] if zone in entry.get("path", ""))

    def ca_pem(self) -> str:
        return self.control("GET", "/ca.pem")


@pytest.fixture(scope="session")
def emulator() -> Emulator:
    base_url = os.environ.get("CFCERTS_TEST_BASE_URL")
    assert base_url, "CFCERTS_TEST_BASE_URL must name the emulator (scripts/run-binding-tests.sh sets it)"
    return Emulator(base_url)


@pytest.fixture(autouse=True)
def no_faults_left(emulator):
    yield
    emulator.control("DELETE", "/faults")


@pytest.fixture
def zone() -> str:
    return secrets.token_hex(16)


@pytest.fixture
def client(emulator):
    with cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url) as client:
        yield client


def openssl_verify(ca_pem: str, certificate_pem: str, tmp_path) -> str:
    (tmp_path / "ca.pem").write_text(ca_pem)
    (tmp_path / "cert.pem").write_text(certificate_pem + "\n")
    result = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "cert.pem")],
                            capture_output=True, text=True)
    return result.stdout.strip() + result.stderr.strip()
