"""The emulator's HTTP surface against bad input: malformed and oversize bodies, bad and forged CSRs, numbers out
of range, wrong methods and unknown paths. Each is a clear error (an HTTP status with the API's error envelope,
or the documented success for an odd but valid request) and changes nothing: the zone's certificates are the same
before and after, and the emulator keeps serving."""

import json
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import TOKEN, certificates


def send(emulator, method, path, body=None, headers=None, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(emulator.base_url + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def csr(tmp_path, subject="/CN=bad-input.example.com"):
    key, request = tmp_path / "k.pem", tmp_path / "r.csr"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)], check=True)
    subprocess.run(["openssl", "req", "-new", "-utf8", "-key", str(key), "-subj", subject, "-out", str(request)],
                   check=True, capture_output=True)
    return request.read_text()


def forged(pem):
    """The CSR with one byte of its signature changed (the DER's last bytes are the signature)."""
    import base64
    lines = pem.strip().splitlines()
    der = bytearray(base64.b64decode("".join(lines[1:-1])))
    der[-3] ^= 0x01
    body = base64.b64encode(bytes(der)).decode()
    return "-----BEGIN CERTIFICATE REQUEST-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + \
        "\n-----END CERTIFICATE REQUEST-----\n"


def cases(zone, good_csr, some_id):
    collection = f"/zones/{zone}/client_certificates"
    item = f"{collection}/{some_id}"
    return [
        ("create: body not JSON", "POST", collection, dict(raw=b"{not json")),
        ("create: body a JSON array", "POST", collection, dict(body=[1, 2])),
        ("create: empty body", "POST", collection, dict(raw=b"")),
        ("create: 10 MB body", "POST", collection, dict(raw=b'{"csr": "' + b"A" * (10 << 20) + b'"}')),
        ("create: 100,000 nested arrays", "POST", collection, dict(raw=b"[" * 100000 + b"]" * 100000)),
        ("create: no csr", "POST", collection, dict(body={"validity_days": 30})),
        ("create: csr a number", "POST", collection, dict(body={"csr": 5})),
        ("create: csr garbage", "POST", collection, dict(body={"csr": "garbage"})),
        ("create: csr PEM with broken base64", "POST", collection,
         dict(body={"csr": "-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n"})),
        ("create: csr with a forged signature", "POST", collection, dict(body={"csr": forged(good_csr)})),
        ("create: a certificate instead of a CSR", "POST", collection,
         dict(body={"csr": good_csr.replace("CERTIFICATE REQUEST", "CERTIFICATE")})),
        ("create: validity_days 0", "POST", collection, dict(body={"csr": good_csr, "validity_days": 0})),
        ("create: validity_days -5", "POST", collection, dict(body={"csr": good_csr, "validity_days": -5})),
        ("create: validity_days 3651", "POST", collection, dict(body={"csr": good_csr, "validity_days": 3651})),
        ("create: validity_days 1e300", "POST", collection, dict(raw=('{"csr": %s, "validity_days": 1e300}' % json.dumps(good_csr)).encode())),
        ("create: validity_days 30.5", "POST", collection, dict(body={"csr": good_csr, "validity_days": 30.5})),
        ("create: validity_days a string", "POST", collection, dict(body={"csr": good_csr, "validity_days": "30"})),
        ("create: invalid UTF-8", "POST", collection, dict(raw=b'{"csr": "\xff\xfe"}')),
        ("list: page 0", "GET", collection + "?page=0", {}),
        ("list: page -1", "GET", collection + "?page=-1", {}),
        ("list: page huge", "GET", collection + "?page=99999999999999999999", {}),
        ("list: per_page 4", "GET", collection + "?per_page=4", {}),
        ("list: per_page 51", "GET", collection + "?per_page=51", {}),
        ("list: per_page a word", "GET", collection + "?per_page=five", {}),
        ("list: status unknown", "GET", collection + "?status=exploded", {}),
        ("revoke: unknown id", "DELETE", f"{collection}/{'0' * 32}", {}),
        ("reactivate: an active certificate", "PATCH", item, dict(body={"reactivate": True})),
        ("reactivate: body without reactivate", "PATCH", item, dict(body={"something": 1})),
        ("reactivate: body not JSON", "PATCH", item, dict(raw=b"nope")),
        ("wrong method: PUT on the collection", "PUT", collection, dict(body={})),
        ("wrong method: POST on a certificate", "POST", item, dict(body={})),
        ("wrong method: DELETE on the collection", "DELETE", collection, {}),
        ("unknown path", "GET", f"/zones/{zone}/client_certificates/{some_id}/extra", {}),
        ("unknown path: other resource", "GET", f"/zones/{zone}/dns_records", {}),
        ("zone id not hex", "GET", "/zones/not-a-zone/client_certificates", {}),
        ("path traversal", "GET", f"/zones/{zone}/client_certificates/%2e%2e/%2e%2e", {}),
        ("no credentials", "GET", collection, dict(headers={"Authorization": ""})),
        ("wrong token", "DELETE", item, dict(headers={"Authorization": "Bearer wrong"})),
    ]


def test_bad_input_is_a_clear_error_and_changes_nothing(emulator, zone, tmp_path):
    emulator.seed(zone, 3, prefix="kept")
    good = csr(tmp_path)
    before = certificates(emulator, zone)
    some_id = before[0]["id"]
    outcomes = []
    for name, method, path, options in cases(zone, good, some_id):
        status, body = send(emulator, method, path, **options)
        outcomes.append((name, status))
        assert 400 <= status < 500, f"{name}: {status} {body[:200]!r}"
        envelope = json.loads(body)
        assert envelope["success"] is False and envelope["errors"], name
        assert all(isinstance(e["code"], int) and e["message"] for e in envelope["errors"]), name
        assert certificates(emulator, zone) == before, f"{name} changed the zone"
    print("\n".join(f"{status}  {name}" for name, status in outcomes))
    assert len(outcomes) >= 30
    # Still serving, and a valid request still works.
    status, _ = send(emulator, "POST", f"/zones/{zone}/client_certificates", body={"csr": good, "validity_days": 30})
    assert status == 200 and len(certificates(emulator, zone)) == 4


@pytest.mark.parametrize("subject, common_name", [
    ("/CN=пример.example.com/O=Ünïcødé Org", "пример.example.com"),
    ("/CN=设备-17.example.com", "设备-17.example.com"),
    ("/CN=emoji-\U0001F512.example.com", "emoji-\U0001F512.example.com"),
])
def test_unicode_subjects_round_trip_exactly(emulator, zone, tmp_path, subject, common_name):
    status, body = send(emulator, "POST", f"/zones/{zone}/client_certificates",
                        body={"csr": csr(tmp_path, subject), "validity_days": 30})
    assert status == 200, body[:300]
    assert json.loads(body)["result"]["common_name"] == common_name
    assert [c["common_name"] for c in certificates(emulator, zone)] == [common_name]
