"""Every operation of the Python binding against the emulator, with real certificates."""

import dataclasses
import datetime
import subprocess

import pytest

import cfcerts
from conftest import TOKEN, openssl_verify


def test_lifecycle_with_a_generated_key(client, emulator, zone, tmp_path):
    generated = cfcerts.generate_csr("py.example.com", organization="Example Inc", organizational_unit="Ops",
                                     country="US", state="CA", location="San Francisco")
    assert generated.key_type == "p256"
    assert "BEGIN PRIVATE KEY" in generated.private_key_pem or "BEGIN EC PRIVATE KEY" in generated.private_key_pem
    assert "PRIVATE KEY" not in repr(generated)

    created = client.client_certificates.create(zone_id=zone, csr=generated.csr_pem, validity_days=90)
    assert created.status == cfcerts.ACTIVE
    assert (created.common_name, created.organization, created.organizational_unit, created.country,
            created.state, created.location) == ("py.example.com", "Example Inc", "Ops", "US", "CA", "San Francisco")
    assert created.validity_days == 90
    assert created.issued_on.tzinfo is not None
    assert created.expires_on - created.issued_on == datetime.timedelta(days=90)
    assert created.raw["id"] == created.id
    assert openssl_verify(emulator.ca_pem(), created.certificate, tmp_path).endswith("OK")
    (tmp_path / "key.pem").write_text(generated.private_key_pem)
    public_of_key = subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "key.pem"), "-pubout"],
                                   capture_output=True, text=True, check=True).stdout
    public_of_certificate = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "cert.pem"), "-noout", "-pubkey"],
                                           capture_output=True, text=True, check=True).stdout
    assert public_of_key == public_of_certificate

    assert client.client_certificates.get(created.id, zone_id=zone) == created
    revoked = client.client_certificates.revoke(created.id, zone_id=zone)
    assert revoked.status == cfcerts.PENDING_REVOCATION
    reactivated = client.client_certificates.reactivate(created.id, zone_id=zone)
    assert reactivated.status == cfcerts.PENDING_REACTIVATION


def test_the_official_sdks_names_for_revoke_and_reactivate(client, zone):
    created = client.client_certificates.create(zone_id=zone, csr=cfcerts.generate_csr("alias.example.com").csr_pem)
    assert client.client_certificates.delete(created.id, zone_id=zone).status == cfcerts.PENDING_REVOCATION
    assert client.client_certificates.edit(created.id, zone_id=zone).status == cfcerts.PENDING_REACTIVATION


def test_rsa_csr_is_accepted_and_inspected(client, zone):
    generated = cfcerts.generate_csr("rsa.example.com", key_type="rsa2048")
    inspected = cfcerts.inspect_csr(generated.csr_pem)
    assert inspected.key_type == "rsa2048" and inspected.signature_valid
    assert inspected.subject.common_name == "rsa.example.com"
    created = client.client_certificates.create(zone_id=zone, csr=generated.csr_pem)
    assert created.common_name == "rsa.example.com" and created.validity_days == 3650


def test_listing_150_certificates_lazily(client, emulator, zone):
    emulator.seed(zone, 150)
    before = emulator.request_count(zone)
    listing = client.client_certificates.list(zone, per_page=50, prefetch_pages=0)
    assert emulator.request_count(zone) == before, "list() is lazy: no request before the first certificate"
    first = next(listing)
    assert emulator.request_count(zone) == before + 1
    rest = list(listing)
    ids = [first.id] + [certificate.id for certificate in rest]
    assert len(ids) == 150 and len(set(ids)) == 150
    assert [c.common_name for c in [first] + rest][:3] == ["seed-1", "seed-2", "seed-3"]
    assert all(isinstance(c.expires_on, datetime.datetime) for c in rest)
    assert emulator.request_count(zone) == before + 3
    assert list(listing) == []


def test_list_page_and_status_filter(client, emulator, zone):
    emulator.seed(zone, 12)
    page = client.client_certificates.list_page(zone, page=2, per_page=5)
    assert len(page) == 5 and page.result_info.page == 2 and page.result_info.total_count == 12
    assert page.result_info.total_pages == 3
    some = page.result[0]
    client.client_certificates.revoke(some.id, zone_id=zone)
    pending = list(client.client_certificates.list(zone, status=cfcerts.PENDING_REVOCATION))
    assert [c.id for c in pending] == [some.id]
    assert len(list(client.client_certificates.list(zone, status="all"))) == 12


def test_certificates_are_immutable(client, zone):
    created = client.client_certificates.create(zone_id=zone, csr=cfcerts.generate_csr("frozen.example.com").csr_pem)
    with pytest.raises(dataclasses.FrozenInstanceError):
        created.status = "revoked"
    assert "BEGIN CERTIFICATE" not in repr(created)


def test_credentials_and_base_url_from_the_environment(emulator, zone, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    with cfcerts.Client() as client:
        assert client.client_certificates.list_page(zone).result == ()


def test_closed_client_refuses_calls_and_iterators_outlive_it(emulator, zone):
    emulator.seed(zone, 7)
    client = cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url)
    listing = client.client_certificates.list(zone, per_page=5)
    client.close()
    client.close()
    with pytest.raises(cfcerts.InvalidArgument, match="closed"):
        client.client_certificates.list_page(zone)
    assert len(list(listing)) == 7


def test_versions(client):
    assert cfcerts.library_version() == cfcerts.__version__
