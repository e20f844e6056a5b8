"""cfcerts.make_pkcs12: device bundles of both profiles that Python's `cryptography` and openssl open with the
password, holding the key and certificate given and the CA chain; refused inputs raise InvalidArgument without the
password in the message."""

import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

import cfcerts

PASSWORD = "py p\u00e4ssword"
SPKI = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo


def issued(client, zone, key_type="p256"):
    generated = cfcerts.generate_csr("bundle.example.com", key_type=key_type)
    created = client.client_certificates.create(zone_id=zone, csr=generated.csr_pem, validity_days=30)
    return generated.private_key_pem, created.certificate


@pytest.mark.parametrize("profile", ["modern", "legacy"])
@pytest.mark.parametrize("key_type", ["p256", "rsa2048"])
def test_cryptography_and_openssl_open_both_profiles(client, emulator, zone, tmp_path, profile, key_type):
    key_pem, certificate_pem = issued(client, zone, key_type)
    ca_pem = emulator.ca_pem()
    data = cfcerts.make_pkcs12(certificate_pem, key_pem, password=PASSWORD, chain_pems=ca_pem, profile=profile,
                               friendly_name="bundle")
    assert isinstance(data, bytes) and data[0] == 0x30

    key, certificate, additional = pkcs12.load_key_and_certificates(data, PASSWORD.encode())
    assert certificate == x509.load_pem_x509_certificate(certificate_pem.encode())
    assert key.public_key().public_bytes(*SPKI) == certificate.public_key().public_bytes(*SPKI)
    assert key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()) == \
        serialization.load_pem_private_key(key_pem.encode(), None).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert additional == [x509.load_pem_x509_certificate(ca_pem.encode())]
    assert pkcs12.load_pkcs12(data, PASSWORD.encode()).key is not None
    assert pkcs12.load_pkcs12(data, PASSWORD.encode()).cert.friendly_name == b"bundle"
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"py passwort")

    (tmp_path / "b.p12").write_bytes(data)
    info = subprocess.run(["openssl", "pkcs12", "-info", "-noout", "-in", str(tmp_path / "b.p12"), "-passin",
                           "pass:" + PASSWORD], capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    assert ("MAC: sha256" if profile == "modern" else "MAC: sha1") in info.stderr
    # Fresh salts: two bundles of the same inputs differ.
    assert cfcerts.make_pkcs12(certificate_pem, key_pem, password=PASSWORD, profile=profile) != \
        cfcerts.make_pkcs12(certificate_pem, key_pem, password=PASSWORD, profile=profile)


def test_refused_inputs(client, zone):
    key_pem, certificate_pem = issued(client, zone)
    other_key = cfcerts.generate_csr("other").private_key_pem
    refused = [
        dict(certificate_pem=certificate_pem, private_key_pem=other_key, password=PASSWORD),
        dict(certificate_pem=certificate_pem, private_key_pem=key_pem, password=""),
        dict(certificate_pem=certificate_pem, private_key_pem=key_pem, password=PASSWORD, profile="rc2"),
        dict(certificate_pem="not a certificate", private_key_pem=key_pem, password=PASSWORD),
        dict(certificate_pem=certificate_pem, private_key_pem=key_pem, password=PASSWORD, chain_pems=["junk"]),
        dict(certificate_pem=certificate_pem, private_key_pem=key_pem, password=PASSWORD, chain_pems=5),
        dict(certificate_pem=certificate_pem, private_key_pem=key_pem, password=b"bytes"),
        dict(certificate_pem=certificate_pem, private_key_pem=key_pem, password="nul\x00inside"),
    ]
    for arguments in refused:
        certificate, key = arguments.pop("certificate_pem"), arguments.pop("private_key_pem")
        with pytest.raises(cfcerts.InvalidArgument) as raised:
            cfcerts.make_pkcs12(certificate, key, **arguments)
        assert PASSWORD not in str(raised.value)
