"""Each exception class, driven by the emulator's fault injection, and bad arguments refused before any request."""

import math
import time

import pytest

import cfcerts
from conftest import TOKEN

CERTIFICATES = "/client/v4/zones/*/client_certificates/*"


def fresh(emulator, **options):
    return cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url, max_retries=0, **options)


@pytest.mark.parametrize("fault, expected, status", [
    ({"kind": "status", "status": 404, "code": 1404}, cfcerts.NotFound, 404),
    ({"kind": "status", "status": 403, "code": 9109}, cfcerts.PermissionDenied, 403),
    ({"kind": "status", "status": 500, "code": 1000}, cfcerts.APIError, 500),
    ({"kind": "status", "status": 400, "code": 1003}, cfcerts.APIError, 400),
    ({"kind": "success_false"}, cfcerts.APIError, 200),
    ({"kind": "rate_limit", "retry_after": 7}, cfcerts.RateLimited, 429),
    ({"kind": "truncated"}, cfcerts.Decode, 200),
    ({"kind": "html", "status": 502}, cfcerts.APIError, 502),
])
def test_each_failure_raises_its_class(emulator, zone, fault, expected, status):
    emulator.fault(path=CERTIFICATES, **fault)
    with fresh(emulator) as client, pytest.raises(expected) as raised:
        client.client_certificates.get("0123", zone_id=zone)
    error = raised.value
    assert isinstance(error, cfcerts.Error)
    assert error.http_status == status
    assert error.ray_id
    assert isinstance(error.errors, list)
    if "code" in fault:
        assert error.errors[0]["code"] == fault["code"]
    if expected is cfcerts.RateLimited:
        assert error.retry_after == 7.0
    else:
        assert error.retry_after is None
    assert not error.outcome_unknown


def test_unknown_token_is_authentication(emulator, zone):
    with cfcerts.Client(api_token="not-a-token", base_url=emulator.base_url) as client:
        with pytest.raises(cfcerts.Authentication) as raised:
            client.client_certificates.list_page(zone)
    assert raised.value.http_status == 403 and raised.value.errors[0]["code"] == 10000
    assert "not-a-token" not in str(raised.value) and "not-a-token" not in repr(raised.value.errors)


def test_timeout(emulator, zone):
    emulator.fault(kind="delay", delay_ms=3000, path=CERTIFICATES)
    with fresh(emulator, timeout=0.3) as client, pytest.raises(cfcerts.Timeout) as raised:
        client.client_certificates.get("0123", zone_id=zone)
    assert isinstance(raised.value, TimeoutError)
    wait_until_served(emulator, zone, 1)


def wait_until_served(emulator, zone, count):
    """Lets the delayed requests a test left in flight end in it, not in the middle of a later test's count."""
    deadline = time.monotonic() + 10
    while emulator.request_count(zone) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_create_whose_answer_is_lost_has_an_unknown_outcome(emulator, zone):
    emulator.fault(kind="delay", method="POST", delay_ms=1500, path="/client/v4/zones/*/client_certificates")
    csr = cfcerts.generate_csr(common_name="lost.example.com").csr_pem
    with fresh(emulator, timeout=0.5) as client:
        with pytest.raises(cfcerts.Timeout) as lost:
            client.client_certificates.create(zone_id=zone, csr=csr, validity_days=30)
        assert lost.value.outcome_unknown, "the POST may have been carried out: read the zone before sending it again"
        with pytest.raises(cfcerts.Timeout) as read:
            emulator.fault(kind="delay", delay_ms=1500, path=CERTIFICATES)
            client.client_certificates.get("0123", zone_id=zone)
        assert not read.value.outcome_unknown, "a read changes nothing"
    wait_until_served(emulator, zone, 2)


def test_connection(zone):
    import socket
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with cfcerts.Client(api_token=TOKEN, base_url=f"http://127.0.0.1:{port}/client/v4", max_retries=0,
                        connect_timeout=0.5) as client:
        with pytest.raises(cfcerts.Connection) as raised:
            client.client_certificates.list_page(zone)
    assert isinstance(raised.value, ConnectionError) and raised.value.http_status is None


def test_iterator_error_then_ends(emulator, client, zone):
    emulator.seed(zone, 10)
    emulator.fault(kind="status", status=404, code=1404, path="/client/v4/zones/*/client_certificates")
    listing = client.client_certificates.list(zone, per_page=5)
    with pytest.raises(cfcerts.NotFound):
        next(listing)
    assert list(listing) == []


@pytest.mark.parametrize("call", [
    lambda c, z: c.client_certificates.get("..", zone_id=z),
    lambda c, z: c.client_certificates.get("", zone_id=z),
    lambda c, z: c.client_certificates.get("x" * 300, zone_id=z),
    lambda c, z: c.client_certificates.get("abc\x00../x", zone_id=z),
    lambda c, z: c.client_certificates.get("\ud800", zone_id=z),
    lambda c, z: c.client_certificates.get(42, zone_id=z),
    lambda c, z: c.client_certificates.get("abc", zone_id=None),
    lambda c, z: c.client_certificates.list_page(z, per_page=500),
    lambda c, z: c.client_certificates.list_page(z, page=0),
    lambda c, z: c.client_certificates.list_page(z, page=True),
    lambda c, z: c.client_certificates.list_page(z, per_page=math.nan),
    lambda c, z: c.client_certificates.list_page(z, status="bogus"),
    lambda c, z: c.client_certificates.list(z, per_page=2),
    lambda c, z: c.client_certificates.list(z, prefetch_pages=99),
    lambda c, z: c.client_certificates.create(zone_id=z, csr="x", validity_days="365"),
    lambda c, z: c.client_certificates.create(zone_id=z, csr=None),
    lambda c, z: c.client_certificates.revoke("id", zone_id="z" * 300),
], ids=lambda call: "")
def test_bad_arguments_are_refused_before_any_request(emulator, client, zone, call):
    before = emulator.request_count()
    with pytest.raises(cfcerts.InvalidArgument):
        call(client, zone)
    assert emulator.request_count() == before


@pytest.mark.parametrize("options", [
    {"timeout": math.nan}, {"timeout": math.inf}, {"timeout": -1}, {"timeout": 1e30}, {"timeout": 2 * 86400},
    {"timeout": 1e308}, {"connect_timeout": 1.7e308}, {"total_timeout": 10**400},
    {"timeout": "60"}, {"max_retries": -1}, {"max_retries": 11}, {"max_retries": 2**40},
    {"total_timeout": 0}, {"connect_timeout": True},
    {"base_url": "http://user:secret@127.0.0.1:1/client/v4"}, {"base_url": "ftp://example.com"},
    {"api_token": "a", "api_key": "b"}, {"api_token": "bad\ntoken"}, {"api_token": ""},
])
def test_bad_client_options_are_refused(emulator, options):
    options.setdefault("base_url", emulator.base_url)
    if not any(key in options for key in ("api_token", "api_key")):
        options["api_token"] = TOKEN
    with pytest.raises(cfcerts.InvalidArgument) as raised:
        cfcerts.Client(**options)
    assert "secret" not in str(raised.value)


def test_csr_helpers_refuse_bad_input():
    with pytest.raises(cfcerts.InvalidArgument):
        cfcerts.generate_csr("")
    with pytest.raises(cfcerts.InvalidArgument):
        cfcerts.generate_csr("x", key_type="dsa")
    with pytest.raises(cfcerts.InvalidArgument):
        cfcerts.generate_csr("x", country="USA")
    with pytest.raises(cfcerts.InvalidArgument):
        cfcerts.inspect_csr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")
