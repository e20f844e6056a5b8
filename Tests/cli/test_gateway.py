"""The emulator's mTLS gateway with curl: certificates made with `cfcerts` authenticate, revocation blocks on the
next request, and an origin behind `--mtls-upstream` sees only the gateway's cf-cert-* headers."""

import http.server
import json
import os
import re
import subprocess
import threading

import pytest


def curl(url, tmp_path, cert=None, key=None, headers=()):
    command = ["curl", "-s", "-o", str(tmp_path / "body"), "-w", "%{http_code}", "--cacert", str(tmp_path / "ca.pem")]
    if cert:
        command += ["--cert", str(cert), "--key", str(key)]
    for header in headers:
        command += ["-H", header]
    status = subprocess.run(command + [url], capture_output=True, text=True, timeout=60)
    return int(status.stdout or 0), json.loads((tmp_path / "body").read_text() or "{}")


@pytest.fixture
def gateway(emulator, tmp_path):
    url = os.environ["CFCERTS_TEST_MTLS_URL"]
    (tmp_path / "ca.pem").write_text(emulator.control("GET", "/ca.pem"))
    return url


def test_create_call_revoke_call_reactivate_call(cli, gateway, tmp_path):
    created = json.loads(cli("create", "--cn", "curl.example.com", "--key-out", "k.pem", "--cert-out", "c.pem",
                             "--output", "json", check_status=0).stdout)
    status, body = curl(gateway + "api/orders", tmp_path, tmp_path / "c.pem", tmp_path / "k.pem")
    assert status == 200 and body["path"] == "/api/orders"
    fields = body["tls_client_auth"]
    assert fields["cert_presented"] and fields["cert_verified"] and not fields["cert_revoked"]
    assert fields["cert_fingerprint_sha256"] == created["fingerprint_sha256"]
    assert fields["cert_serial"] == created["serial_number"].upper()
    assert fields["cert_subject_dn"] == "CN=curl.example.com"
    assert re.fullmatch(r"[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \d{4} GMT", fields["cert_not_after"])
    openssl_end = subprocess.run(["openssl", "x509", "-in", tmp_path / "c.pem", "-noout", "-enddate"],
                                 capture_output=True, text=True).stdout.strip()
    assert openssl_end == "notAfter=" + fields["cert_not_after"]

    cli("revoke", created["id"], check_status=0)
    status, body = curl(gateway, tmp_path, tmp_path / "c.pem", tmp_path / "k.pem")
    assert status == 403 and body["failed_condition"] == "cert_revoked"
    cli("reactivate", created["id"], check_status=0)
    assert curl(gateway, tmp_path, tmp_path / "c.pem", tmp_path / "k.pem")[0] == 200


def test_no_certificate_and_a_foreign_one_are_blocked(gateway, tmp_path):
    status, body = curl(gateway, tmp_path)
    assert status == 403 and body["failed_condition"] == "cert_presented"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", tmp_path / "fk.pem", "-out", tmp_path / "fc.pem", "-subj", "/CN=foreign", "-days", "2"],
                   check=True, capture_output=True)
    status, body = curl(gateway, tmp_path, tmp_path / "fc.pem", tmp_path / "fk.pem")
    assert status == 403 and body["failed_condition"] == "cert_verified"
    assert body["verify_error"] == "self signed certificate"


class EchoOrigin(http.server.BaseHTTPRequestHandler):
    """An origin that answers with the headers it received."""

    def do_GET(self):
        body = json.dumps({"headers": [[name.lower(), value] for name, value in self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_upstream_sees_the_gateways_headers_only(cli, emulator, tmp_path):
    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoOrigin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    process = subprocess.Popen([os.environ["CFCERTS_EMULATOR"], "--port", "0", "--mtls-port", "0", "--mtls-enforce", "all", "--ca-key", "p256",
                                "--mtls-upstream", f"http://127.0.0.1:{origin.server_address[1]}"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline().strip() for _ in range(2)]
        base_url, mtls = lines[0], lines[1].split()[1]
        root = base_url[: -len("/client/v4")]
        (tmp_path / "ca.pem").write_text(subprocess.run(["curl", "-sf", root + "/__emulator/ca.pem"],
                                                        capture_output=True, text=True).stdout)
        cli("create", "--cn", "origin.example.com", "--key-out", "k.pem", "--cert-out", "c.pem",
            env={"CLOUDFLARE_BASE_URL": base_url}, check_status=0)
        status, body = curl(mtls + "x", tmp_path, tmp_path / "c.pem", tmp_path / "k.pem",
                            headers=["cf-cert-verified: true", "cf-cert-subject-dn: CN=admin", "Client-Cert: :AAAA:",
                                     "Client-Cert-Chain: :AAAA:", "X-Kept: yes"])
        assert status == 200
        received = body["headers"]
        def values(name):
            return [value for header, value in received if header == name]
        assert values("cf-cert-verified") == ["true"] and values("cf-cert-revoked") == ["false"]
        assert values("cf-cert-subject-dn") == ["CN=origin.example.com"]
        assert values("client-cert")[0].startswith(":MII") and values("client-cert-chain") == []
        assert values("x-kept") == ["yes"]
    finally:
        process.terminate()
        process.wait(timeout=30)
        origin.shutdown()


def test_revocation_holds_across_a_restart_from_state(cli, tmp_path):
    state = tmp_path / "state.json"

    def start():
        process = subprocess.Popen([os.environ["CFCERTS_EMULATOR"], "--port", "0", "--mtls-port", "0", "--mtls-enforce", "all", "--ca-key", "p256",
                                    "--state", str(state), "--transition-delay", "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = [process.stdout.readline().strip() for _ in range(2)]
        return process, lines[0], lines[1].split()[1]

    process, base_url, mtls = start()
    try:
        (tmp_path / "ca.pem").write_text(subprocess.run(["curl", "-sf", base_url[:-10] + "/__emulator/ca.pem"],
                                                        capture_output=True, text=True).stdout)
        created = json.loads(cli("create", "--cn", "state.example.com", "--key-out", "k.pem", "--cert-out", "c.pem",
                                 "--output", "json", env={"CLOUDFLARE_BASE_URL": base_url}, check_status=0).stdout)
        assert curl(mtls, tmp_path, tmp_path / "c.pem", tmp_path / "k.pem")[0] == 200
        cli("revoke", created["id"], env={"CLOUDFLARE_BASE_URL": base_url}, check_status=0)
    finally:
        process.terminate()
        process.wait(timeout=30)
    process, base_url, mtls = start()
    try:
        status, body = curl(mtls, tmp_path, tmp_path / "c.pem", tmp_path / "k.pem")
        assert status == 403 and body["failed_condition"] == "cert_revoked"
    finally:
        process.terminate()
        process.wait(timeout=30)
