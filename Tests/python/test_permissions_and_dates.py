"""A token without the write permission, and dates the server sends without an offset."""

from datetime import timezone

import pytest

import cfcerts

READ_ONLY_TOKEN = "cfcerts-emulator-read-only-token"


def test_read_only_token_reads_and_is_refused_writes_as_a_permission_error(emulator, zone, client):
    created = client.client_certificates.create(
        zone_id=zone, csr=cfcerts.generate_csr("perm.example.com").csr_pem, validity_days=30)
    with cfcerts.Client(api_token=READ_ONLY_TOKEN, base_url=emulator.base_url, max_retries=0) as reader:
        assert [c.id for c in reader.client_certificates.list(zone)] == [created.id]
        with pytest.raises(cfcerts.PermissionDenied) as refused:
            reader.client_certificates.revoke(created.id, zone_id=zone)
    assert refused.value.http_status == 403
    assert refused.value.errors[0]["code"] == 10000
    assert "SSL and Certificates Write" in str(refused.value)
    assert client.client_certificates.get(created.id, zone_id=zone).status == "active"


def test_first_call_refused_names_both_causes(emulator, zone):
    with cfcerts.Client(api_token=READ_ONLY_TOKEN, base_url=emulator.base_url, max_retries=0) as reader:
        with pytest.raises(cfcerts.Authentication) as refused:
            reader.client_certificates.create(zone_id=zone, csr=cfcerts.generate_csr("p.example.com").csr_pem)
    assert "SSL and Certificates Write" in str(refused.value) and "invalid" in str(refused.value)


def test_a_date_without_offset_is_aware_utc(emulator, zone, client):
    body = ('{"success":true,"errors":[],"messages":[],"result":{"id":"d1","status":"active",'
            '"issued_on":"2026-01-02T03:04:05","expires_on":"2027-01-02T03:04:05+02:00"}}')
    emulator.fault(kind="body", method="GET", path="/client/v4/zones/*/client_certificates/*", body=body)
    certificate = client.client_certificates.get("d1", zone_id=zone)
    assert certificate.issued_on.tzinfo is not None and certificate.issued_on.utcoffset().total_seconds() == 0
    assert (certificate.issued_on.hour, certificate.issued_on.tzinfo) == (3, timezone.utc)
    assert (certificate.expires_on.hour, certificate.expires_on.tzinfo) == (1, timezone.utc)
