"""Schemathesis against the emulator, driven by Cloudflare's published OpenAPI document (Tests/conformance): requests
generated from the schema (its examples, its boundaries, then random ones, valid and not) and every answer
checked: never a 5xx, each status and content type one the document declares, each body valid against the schema
of its operation and status, schema-invalid requests refused, undeclared methods answered 405 with `Allow`.

The document is used as published but for two defects, each patched here with the reason: no answer can satisfy
the create operation's failure schema, and the reactivate operation declares no body although the API takes one.
Two checks are left out, each for a behaviour of the real API the emulator keeps: `positive_data_acceptance`
(the API validates beyond the schema: a CSR must be a real PKCS#10 request with a good signature, ids 32
lower-case hex digits; a schema-valid random string is refused with 400) and `ignored_auth` (the API answers a
request without credentials 400 with code 9106, where the check expects 401 or 403)."""

import copy
import json
import os
import re
import subprocess
import sys

import pytest

DOCUMENT = os.path.join(os.path.dirname(__file__), "..", "conformance", "openapi-client-certificates.json")
LIST = "/zones/{zone_id}/client_certificates"
ITEM = "/zones/{zone_id}/client_certificates/{client_certificate_id}"
# The zone of the document's examples: seeded, so the examples phase reaches real certificates.
EXAMPLE_ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
SEED = 20261205
# The document's security for every operation: api_email and api_key (the emulator's key credential).
EMAIL, KEY = "emulator@example.com", "0123456789abcdef0123456789abcdef01234"
EXCLUDED_CHECKS = ["positive_data_acceptance", "ignored_auth"]


def patched_document():
    with open(DOCUMENT) as file:
        document = json.load(file)
    patched = copy.deepcopy(document)
    # The create failure schema is allOf [a success response, a failure]: `success` must be both true and false.
    # Use the failure schema every other operation's 4XX uses.
    create_failure = patched["paths"][LIST]["post"]["responses"]["4XX"]["content"]["application/json"]
    assert len(create_failure["schema"]["allOf"]) == 2
    create_failure["schema"] = patched["paths"][ITEM]["get"]["responses"]["4XX"]["content"]["application/json"]["schema"]
    # The reactivate operation takes {"reactivate": true} (the API reference's `Reactivate param.Field[bool]`).
    reactivate = patched["paths"][ITEM]["patch"]
    assert "requestBody" not in reactivate
    reactivate["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["reactivate"],
        "properties": {"reactivate": {"type": "boolean", "enum": [True]}}}}}}
    return patched


def test_generated_requests_conform(emulator, tmp_path):
    emulator.seed(EXAMPLE_ZONE, 30, prefix="schemathesis")
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(patched_document()))
    report = tmp_path / "report.ndjson"
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
         "run", str(schema), "--url", emulator.base_url,
         "-H", f"X-Auth-Email: {EMAIL}", "-H", f"X-Auth-Key: {KEY}",
         "--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS),
         "--max-examples", "40", "--seed", str(SEED), "--workers", "1",
         "--request-timeout", "30", "--report", "ndjson", "--report-ndjson-path", str(report)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    # Every operation was tested, with many generated requests in all.
    assert "Selected: 5/5" in output and "Tested: 5" in output, output[-3000:]
    generated = re.search(r"^\s*(\d+) generated", output, re.MULTILINE)
    assert generated and int(generated.group(1)) >= 100, output[-3000:]
