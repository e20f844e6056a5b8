"""The fault matrix through the C ABI (the Python binding over libcfcerts): every operation against every fault
the emulator acts out ends in the documented outcome, the one Tests/CFCertsTests/FaultMatrixTests.swift asserts
for the Swift API: done after retries, or the right error class with the HTTP status and the ray id, after the
documented number of requests, and never a second certificate for one create."""

import time

import pytest

import cfcerts

ALWAYS = 100
FAULTS = {
    "500 once": {"kind": "status", "status": 500},
    "503 always": {"kind": "status", "status": 503, "count": ALWAYS},
    "429 once, Retry-After 1": {"kind": "rate_limit", "retry_after": 1},
    "429 once, no Retry-After": {"kind": "rate_limit"},
    "429 always, Retry-After 1": {"kind": "rate_limit", "retry_after": 1, "count": ALWAYS},
    "408 once": {"kind": "status", "status": 408},
    "409 once": {"kind": "status", "status": 409},
    "delay past the timeout, always": {"kind": "delay", "delay_ms": 3000, "count": ALWAYS},
    "stalled body once": {"kind": "stall", "delay_ms": 3000},
    "dropped connection once": {"kind": "drop"},
    "lost answer once": {"kind": "lost_answer"},
    "applied, then 504 once": {"kind": "applied_then_error"},
    "HTML 502 once": {"kind": "html"},
    "truncated JSON once": {"kind": "truncated"},
    "success:false with 200": {"kind": "success_false", "code": 1234, "message": "refused"},
    "wrong content type": {"kind": "body", "status": 200, "body": "<p>ok</p>", "content_type": "text/html"},
}
OPERATIONS = ("list", "get", "create", "revoke", "reactivate")


def expected(operation, fault):
    """(error class or None for done, HTTP status, requests): the rules of docs/RELIABILITY.md's matrix."""
    create = operation == "create"
    transition = operation in ("revoke", "reactivate")
    done = (None, None, 2)
    table = {
        "500 once": (cfcerts.APIError, 500, 1) if create else done,
        "503 always": (cfcerts.APIError, 503, 1 if create else 3),
        "429 once, Retry-After 1": done,
        "429 once, no Retry-After": done,
        "429 always, Retry-After 1": (cfcerts.RateLimited, 429, 3),
        "408 once": (cfcerts.APIError, 408, 1) if create else done,
        "409 once": (cfcerts.APIError, 409, 1) if create else done,
        "delay past the timeout, always": (None, None, 3) if transition else (cfcerts.Timeout, None, 1 if create else 3),
        "stalled body once": (cfcerts.Timeout, None, 1) if create else done,
        "dropped connection once": (cfcerts.Connection, None, 1) if create else done,
        "lost answer once": (cfcerts.Connection, None, 1) if create else done,
        "applied, then 504 once": (cfcerts.APIError, 504, 1) if create else done,
        "HTML 502 once": (cfcerts.APIError, 502, 1) if create else done,
        "truncated JSON once": (cfcerts.Decode, 200, 1),
        "success:false with 200": (cfcerts.APIError, 200, 1),
        "wrong content type": (cfcerts.Decode, 200, 1),
    }
    return table[fault]


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_fault_matrix(emulator, zone, operation, fault):
    client = cfcerts.Client(api_token="cfcerts-emulator-token", base_url=emulator.base_url, timeout=2, pacing="off")
    certificates = client.client_certificates
    csr = cfcerts.generate_csr(common_name="matrix.example.com").csr_pem
    target = ""
    if operation not in ("create", "list"):
        target = certificates.create(zone_id=zone, csr=csr, validity_days=30).id
        if operation == "reactivate":
            certificates.revoke(target, zone_id=zone)
    path = f"/client/v4/zones/{zone}/client_certificates" + (f"/{target}" if target else "")
    method = {"list": "GET", "get": "GET", "create": "POST", "revoke": "DELETE", "reactivate": "PATCH"}[operation]
    emulator.fault(method=method, path=path, **FAULTS[fault])
    before = len(emulator.control("GET", "/requests")["requests"])
    calls = {
        "list": lambda: certificates.list_page(zone),
        "get": lambda: certificates.get(target, zone_id=zone),
        "create": lambda: certificates.create(zone_id=zone, csr=csr, validity_days=30),
        "revoke": lambda: certificates.revoke(target, zone_id=zone),
        "reactivate": lambda: certificates.reactivate(target, zone_id=zone),
    }
    error = None
    try:
        calls[operation]()
    except cfcerts.Error as raised:
        error = raised
    time.sleep((FAULTS[fault].get("delay_ms", 0) + 300) / 1000)  # what is still in flight at the server lands
    emulator.control("DELETE", "/faults")
    sent = sum(1 for entry in emulator.control("GET", "/requests")["requests"][before:]
               if entry["method"] == method and entry["path"] == path)
    kind, status, requests = expected(operation, fault)
    if kind is None:
        assert error is None, f"{operation} under {fault}: {error!r}"
    else:
        assert type(error) is kind, f"{operation} under {fault}: {error!r}"
        assert error.http_status == status
        if status is not None:
            assert error.ray_id, "an answered error carries the ray id"
    assert sent == requests, f"{operation} under {fault}: {sent} requests"
    if operation == "create":
        issued = certificates.list_page(zone).result
        assert len(issued) <= 1, "a second certificate for one create"
        assert error is not None or len(issued) == 1
