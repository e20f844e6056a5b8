"""Every emulator answer, for every operation, successes and errors alike, validates against the schema of its
operation and status in Cloudflare's published OpenAPI document (Tests/conformance, OpenAPI 3.0)."""

import copy
import json
import os
import subprocess
import urllib.error
import urllib.request

import jsonschema
import pytest

from conftest import TOKEN

DOCUMENTS = [os.path.join(os.path.dirname(__file__), "..", "conformance", name)
             for name in ("openapi-client-certificates.json", "openapi-hostname-associations.json")]
LIST = "/zones/{zone_id}/client_certificates"
ITEM = "/zones/{zone_id}/client_certificates/{client_certificate_id}"
ASSOCIATIONS = "/zones/{zone_id}/certificate_authorities/hostname_associations"


def _json_schema(node, components):
    """An OpenAPI 3.0 schema as JSON Schema: `$ref`s inlined, `nullable: true` as a null alternative."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    converted = {key: _json_schema(value, components) for key, value in node.items()
                 if key not in ("nullable", "example", "x-auditable", "readOnly", "writeOnly")}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="module")
def schemas():
    found = {}
    for name in DOCUMENTS:
        with open(name) as file:
            document = json.load(file)
        components = document["components"]["schemas"]
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                for status, response in operation["responses"].items():
                    schema = response["content"]["application/json"]["schema"]
                    found[(path, method.upper(), status)] = _json_schema(copy.deepcopy(schema), components)
    return found


@pytest.fixture
def api(emulator, zone, schemas):
    """Sends a request, and validates its answer against the schema of `operation` for its status."""
    checked = []

    def send(method, operation, path, body=None, token=TOKEN):
        request = urllib.request.Request(emulator.base_url + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        if token:
            request.add_header("Authorization", "Bearer " + token)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        answer = json.loads(text)
        key = "200" if status == 200 else "4XX"
        assert 400 <= status < 500 or status == 200, (status, answer)
        schema = schemas[(operation, method, key)]
        if (operation, method, key) == (LIST, "POST", "4XX"):
            # The published create-failure schema is allOf [a success response, a failure]: success must be both
            # true and false, so no answer can satisfy it (the real API's neither). Such answers are checked
            # against the failure schema every other operation's 4XX uses.
            assert _contradicts_itself(schema)
            schema = schemas[(ITEM, "GET", "4XX")]
        problems = list(jsonschema.Draft4Validator(schema).iter_errors(answer))
        if status == 429:
            # Cloudflare's rate limiter answers code 971 ("Please wait and consider throttling your request
            # speed"), below the schema's minimum of 1000: the emulator sends what the API sends.
            problems = [p for p in problems if not (p.validator == "minimum" and p.instance == 971)]
            assert answer["errors"][0]["code"] == 971
        assert not problems, [problem.message for problem in problems]
        checked.append((method, operation, status))
        return status, answer

    send.checked = checked
    return send


def _contradicts_itself(schema):
    """Whether `schema` requires `success` to be both true and false."""
    wanted = set()

    def walk(node):
        if isinstance(node, dict):
            success = node.get("properties", {}).get("success", {})
            for value in success.get("enum", []):
                wanted.add(value)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema.get("allOf", []))
    return wanted == {True, False}


def _csr(tmp_path, name="schema.example.com"):
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "r.pem"),
                    "-subj", f"/C=US/O=Example/CN={name}"], check=True, capture_output=True)
    return (tmp_path / "r.pem").read_text()


def test_every_operation_and_status_conforms(api, zone, emulator, tmp_path):
    base = f"/zones/{zone}/client_certificates"
    status, created = api("POST", LIST, base, {"csr": _csr(tmp_path), "validity_days": 30})
    assert status == 200
    identifier = created["result"]["id"]
    assert len(identifier) == 32 and all(c in "0123456789abcdef" for c in identifier)
    emulator.seed(zone, 7)
    assert api("GET", LIST, base + "?per_page=5&page=2")[0] == 200
    assert api("GET", LIST, base + "?status=active")[0] == 200
    assert api("GET", ITEM, f"{base}/{identifier}")[0] == 200
    assert api("DELETE", ITEM, f"{base}/{identifier}")[0] == 200
    assert api("PATCH", ITEM, f"{base}/{identifier}", {"reactivate": True})[0] == 200
    # Errors: validation, unknown ids, refused transitions, credentials.
    assert api("GET", LIST, base + "?per_page=500")[0] == 400
    assert api("POST", LIST, base, {"csr": "not a csr", "validity_days": 30})[0] == 400
    assert api("POST", LIST, base, {"validity_days": 30})[0] == 400
    assert api("GET", ITEM, f"{base}/{'0' * 32}")[0] == 404
    assert api("PATCH", ITEM, f"{base}/{identifier}", {"reactivate": True})[0] == 400
    assert api("DELETE", ITEM, f"{base}/{'0' * 32}")[0] == 404
    assert api("GET", LIST, base, token=None)[0] == 400
    assert api("GET", ITEM, f"{base}/{identifier}", token="unknown-token")[0] == 403
    assert api("DELETE", ITEM, f"{base}/{identifier}", token="cfcerts-emulator-read-only-token")[0] == 403


def test_injected_error_answers_conform(api, zone, emulator):
    base = f"/zones/{zone}/client_certificates"
    emulator.fault(kind="status", status=409, method="GET", count=1)
    assert api("GET", LIST, base)[0] == 409
    emulator.fault(kind="rate_limit", method="GET", count=1)
    assert api("GET", LIST, base)[0] == 429


def test_every_hostname_association_answer_conforms(api, zone):
    path = f"/zones/{zone}/certificate_authorities/hostname_associations"
    byo = "b2134436-2555-4acf-be5b-26c48136575e"
    assert api("GET", ASSOCIATIONS, path) == (200, {"success": True, "errors": [], "messages": [],
                                                    "result": {"hostnames": []}})
    status, answer = api("PUT", ASSOCIATIONS, path, {"hostnames": ["a.example.com", "b.example.com"]})
    assert (status, answer["result"]) == (200, {"hostnames": ["a.example.com", "b.example.com"]})
    # PUT replaces the whole list; a BYO CA's list is its own; the answer never echoes the id.
    assert api("PUT", ASSOCIATIONS, path, {"hostnames": ["c.example.com"]})[1]["result"] == {"hostnames": ["c.example.com"]}
    status, answer = api("PUT", ASSOCIATIONS, path, {"hostnames": ["byo.example.com"], "mtls_certificate_id": byo})
    assert answer["result"] == {"hostnames": ["byo.example.com"]}
    assert api("GET", ASSOCIATIONS, path)[1]["result"] == {"hostnames": ["c.example.com"]}
    assert api("GET", ASSOCIATIONS, f"{path}?mtls_certificate_id={byo}")[1]["result"] == {"hostnames": ["byo.example.com"]}
    # [] clears, and so does a body without hostnames (neither field is required).
    assert api("PUT", ASSOCIATIONS, path, {"hostnames": []})[1]["result"] == {"hostnames": []}
    assert api("PUT", ASSOCIATIONS, path, {"mtls_certificate_id": byo})[1]["result"] == {"hostnames": []}
    assert api("GET", ASSOCIATIONS, f"{path}?mtls_certificate_id={byo}")[1]["result"] == {"hostnames": []}
    # Errors are 4XX envelopes: a malformed id (query or body), a hostname that is not one, the wrong types,
    # missing or unknown credentials, a read-only token writing.
    assert api("GET", ASSOCIATIONS, f"{path}?mtls_certificate_id=not-an-id")[0] == 400
    assert api("PUT", ASSOCIATIONS, path, {"hostnames": ["a.example.com"], "mtls_certificate_id": "x" * 36})[0] == 400
    assert api("PUT", ASSOCIATIONS, path, {"hostnames": ["not a hostname"]})[0] == 400
    assert api("PUT", ASSOCIATIONS, path, {"hostnames": "a.example.com"})[0] == 400
    assert api("PUT", ASSOCIATIONS, path, {"hostnames": [7]})[0] == 400
    assert api("PUT", ASSOCIATIONS, path, ["a.example.com"])[0] == 400
    assert api("GET", ASSOCIATIONS, path, token=None)[0] == 400
    assert api("GET", ASSOCIATIONS, path, token="unknown-token")[0] == 403
    assert api("GET", ASSOCIATIONS, path, token="cfcerts-emulator-read-only-token")[0] == 200
    assert api("PUT", ASSOCIATIONS, path, {"hostnames": ["a.example.com"]},
               token="cfcerts-emulator-read-only-token")[0] == 403
    assert api("GET", ASSOCIATIONS, path)[1]["result"] == {"hostnames": []}
