"""The gateway as Cloudflare's edge enforces mTLS: a certificate is asked for only on associated hostnames (by SNI),
the rule applies to requests whose Host is associated, and a revoke blocks at once. With curl and openssl s_client
against a gateway of its own (the suite's shared one runs with --mtls-enforce all)."""

import json
import os
import subprocess

import pytest

from conftest import TOKEN

ZONE = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """An emulator whose gateway enforces on associated hostnames (the default); its API, gateway port and CA."""
    work = tmp_path_factory.mktemp("edge")
    process = subprocess.Popen([os.environ["CFCERTS_EMULATOR"], "--port", "0", "--mtls-port", "0", "--ca-key", "p256",
                                "--transition-delay", "0", "--rate-limit", "1000000000/300"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = process.stdout.readline().strip()
        assert base.startswith("http://"), process.stderr.read()
        lines = [process.stdout.readline().strip() for _ in range(3)]
        mtls = next(line for line in lines if line.startswith("mtls: "))
        assert "enforced on associated hostnames" in mtls
        port = int(mtls.split()[1].rstrip("/").rsplit(":", 1)[1])
        subprocess.run(["curl", "-sf", "-o", str(work / "ca.pem"), base.replace("/client/v4", "/__emulator/ca.pem")],
                       check=True)
        yield {"base": base, "port": port, "ca": work / "ca.pem", "work": work}
    finally:
        process.terminate()
        process.wait(timeout=30)


def cfcerts(edge, *arguments):
    environment = {"PATH": os.environ["PATH"], "CLOUDFLARE_API_TOKEN": TOKEN, "CLOUDFLARE_BASE_URL": edge["base"],
                   "CLOUDFLARE_ZONE_ID": ZONE}
    result = subprocess.run([os.environ["CFCERTS_CLI"], *arguments], env=environment, cwd=edge["work"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def curl(edge, sni, host=None, cert=None, extra=()):
    """A request to https://SNI:PORT/ resolved to loopback (curl sends SNI as the SNI and, unless `host` says
    otherwise, as the Host header); the status and the gateway's JSON body."""
    command = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", str(edge["ca"]),
               "--resolve", f"{sni}:{edge['port']}:127.0.0.1"]
    if host:
        command += ["-H", f"Host: {host}"]
    if cert:
        command += ["--cert", str(edge["work"] / f"{cert}.pem"), "--key", str(edge["work"] / f"{cert}.key")]
    command += list(extra)
    result = subprocess.run(command + [f"https://{sni}:{edge['port']}/orders"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr  # the server certificate verified for that name
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body or "{}")


def asked_for_a_certificate(edge, sni):
    """What openssl s_client reports of the server's certificate request for that SNI: None when none was made,
    else the CA names it listed."""
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{edge['port']}", "-servername", sni,
                             "-CAfile", str(edge["ca"])], input="", capture_output=True, text=True, timeout=60)
    if "No client certificate CA names sent" in result.stdout and "Acceptable client certificate CA names" not in result.stdout:
        return None
    marker = "Acceptable client certificate CA names"
    assert marker in result.stdout, result.stdout
    return result.stdout.split(marker, 1)[1].splitlines()[1].strip()


def test_associated_hosts_ask_and_enforce_unassociated_ones_do_not(edge):
    cfcerts(edge, "hostnames", "set", "api.example.com")
    cfcerts(edge, "create", "--cn", "device.example.com", "--key-out", "device.key", "--cert-out", "device.pem")

    # Associated: the certificate is asked for, naming the emulator's CA; an active one passes, none is blocked.
    assert "Cloudflare Managed CA" in asked_for_a_certificate(edge, "api.example.com")
    status, body = curl(edge, "api.example.com", cert="device")
    assert status == 200 and body["tls_client_auth"]["cert_verified"]
    status, body = curl(edge, "api.example.com")
    assert status == 403 and body["failed_condition"] == "cert_presented"

    # Not associated: not asked, and passes without a certificate (the rule names only associated hosts).
    assert asked_for_a_certificate(edge, "www.example.com") is None
    status, body = curl(edge, "www.example.com")
    assert status == 200 and not body["tls_client_auth"]["cert_presented"]

    # SNI unassociated, Host associated: no certificate was asked for, so the rule on the Host blocks it.
    status, body = curl(edge, "www.example.com", host="api.example.com", cert="device")
    assert status == 403 and body["failed_condition"] == "cert_presented"


def test_a_revoked_certificate_is_blocked_on_the_next_request(edge):
    cfcerts(edge, "hostnames", "add", "pay.example.com")
    created = json.loads(cfcerts(edge, "create", "--cn", "till.example.com", "--key-out", "till.key",
                                 "--cert-out", "till.pem", "--output", "json"))
    assert curl(edge, "pay.example.com", cert="till")[0] == 200
    cfcerts(edge, "revoke", created["id"])
    status, body = curl(edge, "pay.example.com", cert="till")
    assert status == 403 and body["failed_condition"] == "cert_revoked"


def test_a_removed_hostname_is_not_asked_on_the_next_connection(edge):
    cfcerts(edge, "hostnames", "add", "old.example.com")
    assert asked_for_a_certificate(edge, "old.example.com") is not None
    assert curl(edge, "old.example.com")[0] == 403
    cfcerts(edge, "hostnames", "remove", "old.example.com")
    assert asked_for_a_certificate(edge, "old.example.com") is None
    assert curl(edge, "old.example.com")[0] == 200


def test_every_name_gets_a_server_certificate_of_its_own(edge):
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{edge['port']}", "-servername",
                             "anything.example.net", "-CAfile", str(edge["ca"]), "-verify_hostname",
                             "anything.example.net", "-verify_return_error"],
                            input="", capture_output=True, text=True, timeout=60)
    assert "Verify return code: 0 (ok)" in result.stdout, result.stdout


def test_a_host_cannot_dodge_the_rule_by_its_spelling(edge):
    """The root's trailing dot, letter case and a request without Host all reach the rule of an associated host."""
    cfcerts(edge, "hostnames", "add", "vault.example.com")
    assert curl(edge, "vault.example.com.")[0] == 403
    assert curl(edge, "www.example.com", host="VAULT.example.com.")[0] == 403
    assert curl(edge, "www.example.com", extra=["-0", "-H", "Host:"])[0] == 403
    assert curl(edge, "www.example.com")[0] == 200


def test_a_wildcard_association_guards_every_name_under_it(edge):
    cfcerts(edge, "hostnames", "add", "*.devices.example.com")
    cfcerts(edge, "create", "--cn", "meter.example.com", "--key-out", "meter.key", "--cert-out", "meter.pem")
    assert asked_for_a_certificate(edge, "m17.devices.example.com") is not None
    assert curl(edge, "m17.devices.example.com")[0] == 403
    assert curl(edge, "m17.devices.example.com", cert="meter")[0] == 200
    assert asked_for_a_certificate(edge, "devices.example.com") is None  # the wildcard is for names under it
    rule = cfcerts(edge, "mtls", "rule")
    assert 'ends_with(http.host, ".devices.example.com")' in rule
