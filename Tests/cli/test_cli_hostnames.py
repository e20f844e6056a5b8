"""`cfcerts hostnames list|set|add|remove` and `cfcerts mtls rule` against the emulator."""

import json
import subprocess

from conftest import TOKEN, api

BYO = "b2134436-2555-4acf-be5b-26c48136575e"


def hostnames(cli, *extra):
    return json.loads(cli("hostnames", "list", "--output", "json", *extra, check_status=0).stdout)["hostnames"]


def test_set_add_remove_list_round_trip(cli, emulator, zone):
    assert cli("hostnames", "list", check_status=0).stdout == ""
    assert cli("hostnames", "set", "a.example.com", "b.example.com", check_status=0).stdout.split() == [
        "a.example.com", "b.example.com"]
    added = cli("hostnames", "add", "B.example.com", "c.example.com", "--output", "json", check_status=0)
    assert json.loads(added.stdout) == {"hostnames": ["a.example.com", "b.example.com", "c.example.com"]}
    # Idempotent: adding what is there (in any case) and removing what is not change nothing.
    cli("hostnames", "add", "A.EXAMPLE.COM", check_status=0)
    cli("hostnames", "remove", "absent.example.com", check_status=0)
    assert hostnames(cli) == ["a.example.com", "b.example.com", "c.example.com"]
    assert cli("hostnames", "remove", "a.example.com", "C.example.com", check_status=0).stdout.split() == [
        "b.example.com"]
    # What the API holds is what the command printed.
    assert api(emulator, f"/zones/{zone}/certificate_authorities/hostname_associations")["result"] == {
        "hostnames": ["b.example.com"]}


def test_emptying_the_list_needs_allow_empty(cli):
    cli("hostnames", "set", "a.example.com", check_status=0)
    refused = cli("hostnames", "set", check_status=2)
    assert "--allow-empty" in refused.stderr
    refused = cli("hostnames", "remove", "a.example.com", check_status=2)
    assert "every hostname" in refused.stderr
    assert hostnames(cli) == ["a.example.com"]
    cli("hostnames", "remove", "a.example.com", "--allow-empty", check_status=0)
    assert hostnames(cli) == []
    cli("hostnames", "set", "a.example.com", check_status=0)
    cli("hostnames", "set", "--allow-empty", check_status=0)
    assert hostnames(cli) == []


def test_a_byo_ca_has_a_list_of_its_own_and_bad_ids_are_refused_before_sending(cli, emulator, zone):
    cli("hostnames", "set", "managed.example.com", check_status=0)
    cli("hostnames", "add", "byo.example.com", "--mtls-certificate-id", BYO, check_status=0)
    assert hostnames(cli) == ["managed.example.com"]
    assert hostnames(cli, "--mtls-certificate-id", BYO) == ["byo.example.com"]
    before = len(emulator.control_json("GET", "/requests")["requests"])
    for bad in ("not-an-id", "x" * 36, BYO + "0"):
        result = cli("hostnames", "list", "--mtls-certificate-id", bad, check_status=2)
        assert "36 characters" in result.stderr
    result = cli("hostnames", "add", "not a hostname", check_status=2)
    assert "not a hostname" in result.stderr
    assert len(emulator.control_json("GET", "/requests")["requests"]) == before


def test_mtls_rule_pins_the_issuer_key_of_the_zone_ca(cli, emulator, tmp_path):
    refused = cli("mtls", "rule", check_status=2)
    assert "no hostname is associated" in refused.stderr
    cli("hostnames", "set", "api.example.com", "Web.Example.com", check_status=0)
    refused = cli("mtls", "rule", check_status=2)
    assert "--ski" in refused.stderr  # no certificate in the zone to read the CA's key id from
    cli("create", "--cn", "device.example.com", "--key-out", "k.pem", check_status=0)
    (tmp_path / "ca.pem").write_text(emulator.control("GET", "/ca.pem"))
    ca = subprocess.run(["openssl", "x509", "-in", tmp_path / "ca.pem", "-noout", "-ext", "subjectKeyIdentifier"],
                        capture_output=True, text=True, check=True).stdout
    ski = ca.strip().splitlines()[-1].strip().replace(":", "")
    assert len(ski) == 40
    expected = ('(http.host in {"api.example.com" "web.example.com"} and (not cf.tls_client_auth.cert_verified '
                f'or cf.tls_client_auth.cert_revoked or cf.tls_client_auth.cert_issuer_ski ne "{ski}"))')
    assert cli("mtls", "rule", check_status=0).stdout == expected + "\n"
    rule = json.loads(cli("mtls", "rule", "--json", check_status=0).stdout)
    assert rule["action"] == "block" and rule["expression"] == expected
    assert ski in rule["description"] and "api.example.com" in rule["description"]
    given = cli("mtls", "rule", "--ski", "ab:cd:ef:01", check_status=0).stdout
    assert 'cert_issuer_ski ne "ABCDEF01"' in given
    cli("mtls", "rule", "--ski", "not-hex", check_status=2)
    cli("mtls", "rule", "--ski", "\uff21\uff22:CD:EF:01", check_status=2)  # fullwidth letters are no hex digits
    # A BYO CA's rule cannot take the managed CA's key id from the zone's certificates: --ski is required.
    cli("hostnames", "add", "byo.example.com", "--mtls-certificate-id", BYO, check_status=0)
    refused = cli("mtls", "rule", "--mtls-certificate-id", BYO, check_status=2)
    assert "--ski" in refused.stderr
    byo_rule = cli("mtls", "rule", "--mtls-certificate-id", BYO, "--ski", "0A0B0C0D", check_status=0).stdout
    assert '{"byo.example.com"}' in byo_rule and 'cert_issuer_ski ne "0A0B0C0D"' in byo_rule


def test_a_read_only_token_lists_and_is_refused_a_change(cli):
    read_only = {"CLOUDFLARE_API_TOKEN": "cfcerts-emulator-read-only-token"}
    assert cli("hostnames", "list", env=read_only, check_status=0).stdout == ""
    refused = cli("hostnames", "set", "a.example.com", env=read_only)
    assert refused.returncode in (4, 5), refused.stderr
    assert "SSL and Certificates Write" in refused.stderr


def test_add_fails_when_another_writer_changes_the_list_before_the_read_back(cli, emulator, zone):
    """The API has no conditional write: `add` reads, writes the union, reads back. Here another writer replaces the
    list between the write and the read-back (the read-back is delayed 3 s); the command must say so and fail."""
    import subprocess as sp
    import time
    import os
    import urllib.request

    from conftest import environment

    path = f"/client/v4/zones/{zone}/certificate_authorities/hostname_associations"
    emulator.fault(kind="delay", method="GET", path=path, count=2, delay_ms=3000)
    process = sp.Popen([os.environ["CFCERTS_CLI"], "hostnames", "add", "mine.example.com"],
                       env=environment(emulator, zone), stdout=sp.PIPE, stderr=sp.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(entry["method"] == "PUT" and entry["path"] == path
                  for entry in emulator.control_json("GET", "/requests")["requests"]):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    intruder = urllib.request.Request(emulator.base_url + path[len("/client/v4"):], method="PUT",
                                      data=json.dumps({"hostnames": ["theirs.example.com"]}).encode(),
                                      headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    urllib.request.urlopen(intruder, timeout=30).read()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, (out, err)
    assert "another writer" in err and "lacks mine.example.com" in err and "theirs.example.com" in err

