"""Device bundles: `--p12-out` on create, renew and get writes a PKCS#12 file that openssl, Python's `cryptography`
and Java's keytool open with its password (and refuse with another), holding the key and certificate written beside
it and the --chain given; everything it needs is checked before a request, and an issued certificate is never
lost when the file cannot be written."""

import json
import os
import shutil
import stat
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from conftest import TOKEN, certificates

# ASCII: Java's PBE keys refuse any other password ("Password is not ASCII"), for OpenSSL's files as for these.
PASSWORD = "Device password 17"


def openssl(*arguments, **options):
    return subprocess.run(["openssl", *arguments], capture_output=True, text=True, timeout=60, **options)


def public_key(pem_path):
    """The SubjectPublicKeyInfo (PEM) of a private key or certificate file, as openssl writes it."""
    text = open(pem_path).read()
    if "CERTIFICATE" in text:
        return openssl("x509", "-in", str(pem_path), "-pubkey", "-noout").stdout
    return openssl("pkey", "-in", str(pem_path), "-pubout").stdout


def keytool(*arguments):
    return subprocess.run(["keytool", *arguments], capture_output=True, text=True, timeout=120)


@pytest.fixture
def ca_file(emulator, tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text(emulator.control("GET", "/ca.pem"))
    return path


@pytest.mark.parametrize("profile", ["modern", "legacy"])
@pytest.mark.parametrize("key_type", ["p256", "rsa2048"])
def test_create_writes_a_bundle_openssl_cryptography_and_keytool_open(cli, tmp_path, ca_file, profile, key_type):
    result = cli("create", "--cn", "device-17.example.com", "--key-type", key_type, "--key-out", "k.pem",
                 "--cert-out", "c.pem", "--p12-out", "d.p12", "--p12-profile", profile, "--chain", "ca.pem",
                 "--output", "json", env={"CFCERTS_P12_PASSWORD": PASSWORD}, check_status=0)
    assert PASSWORD not in result.stdout + result.stderr
    bundle = tmp_path / "d.p12"
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    assert not [name for name in os.listdir(tmp_path) if ".partial-" in name]

    # openssl: the password opens it; the key inside is the key written beside it, the certificate the one issued.
    environment = {**os.environ, "PW": PASSWORD}
    info = openssl("pkcs12", "-info", "-in", str(bundle), "-passin", "env:PW", "-noout", env=environment)
    assert info.returncode == 0, info.stderr
    assert ("MAC: sha256" if profile == "modern" else "MAC: sha1") in info.stderr
    assert ("AES-256-CBC" if profile == "modern" else "pbeWithSHA1And3-KeyTripleDES-CBC") in info.stderr
    extracted = tmp_path / "extracted.pem"
    assert openssl("pkcs12", "-in", str(bundle), "-passin", "env:PW", "-nodes", "-nocerts", "-out", str(extracted),
                   env=environment).returncode == 0
    assert public_key(extracted) == public_key(tmp_path / "k.pem") == public_key(tmp_path / "c.pem")
    wrong = openssl("pkcs12", "-info", "-in", str(bundle), "-passin", "pass:device password 17", "-noout")
    assert wrong.returncode != 0 and "Mac verify error" in wrong.stderr

    # Python cryptography: the same key, the same certificate, the CA after it; the friendly name is the CN.
    data = bundle.read_bytes()
    key, certificate, additional = pkcs12.load_key_and_certificates(data, PASSWORD.encode())
    written = x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes())
    assert certificate == written
    spki = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(*spki) == written.public_key().public_bytes(*spki)
    assert additional == [x509.load_pem_x509_certificate(ca_file.read_bytes())]
    loaded = pkcs12.load_pkcs12(data, PASSWORD.encode())
    assert loaded.cert.friendly_name == b"device-17.example.com"
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"wrong password")

    # Java's keytool: one private key entry, under the friendly name, its chain the leaf and the CA.
    listed = keytool("-list", "-v", "-storetype", "PKCS12", "-keystore", str(bundle), "-storepass", PASSWORD)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "Your keystore contains 1 entry" in listed.stdout
    assert "Alias name: device-17.example.com" in listed.stdout
    assert "Entry type: PrivateKeyEntry" in listed.stdout
    assert "Certificate chain length: 2" in listed.stdout
    refused = keytool("-list", "-storetype", "PKCS12", "-keystore", str(bundle), "-storepass", "wrong password")
    assert refused.returncode != 0 and "password was incorrect" in refused.stdout + refused.stderr
    # Java decrypts the key too: copied into a keystore of its own, which openssl reads, it is the same key.
    copied = keytool("-importkeystore", "-noprompt", "-srckeystore", str(bundle), "-srcstoretype", "PKCS12",
                     "-srcstorepass", PASSWORD, "-destkeystore", str(tmp_path / "java.p12"), "-deststoretype", "PKCS12",
                     "-deststorepass", "java-password")
    assert copied.returncode == 0, copied.stdout + copied.stderr
    assert openssl("pkcs12", "-in", str(tmp_path / "java.p12"), "-passin", "pass:java-password", "-nodes", "-nocerts",
                   "-out", str(tmp_path / "java.pem")).returncode == 0
    assert public_key(tmp_path / "java.pem") == public_key(tmp_path / "k.pem")


def test_get_and_renew_write_bundles_with_the_key_given_or_made(cli, tmp_path):
    created = json.loads(cli("create", "--cn", "g.example.com", "--key-out", "k.pem", "--cert-out", "c.pem",
                             "--output", "json", check_status=0).stdout)
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    cli("get", created["id"], "--key", "k.pem", "--p12-out", "g.p12", "--p12-password-file", "pw", check_status=0)
    key, certificate, additional = pkcs12.load_key_and_certificates((tmp_path / "g.p12").read_bytes(), PASSWORD.encode())
    assert certificate == x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes())
    assert additional == []

    renewed = json.loads(cli("renew", created["id"], "--key-out", "new.key", "--p12-out", "new.p12",
                             "--p12-profile", "legacy", "--p12-password-file", "pw", "--output", "json",
                             check_status=0).stdout)
    key, certificate, _ = pkcs12.load_key_and_certificates((tmp_path / "new.p12").read_bytes(), PASSWORD.encode())
    assert certificate == x509.load_pem_x509_certificate(renewed["certificate"].encode())
    spki = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(*spki).decode() == public_key(tmp_path / "new.key")
    assert stat.S_IMODE((tmp_path / "new.p12").stat().st_mode) == 0o600

    # get: the key must be the certificate's (refused after the read, nothing written), and is required.
    other = cli("get", renewed["id"], "--key", "k.pem", "--p12-out", "x.p12", "--p12-password-file", "pw", check_status=2)
    assert "not the certificate's" in other.stderr and not (tmp_path / "x.p12").exists()
    assert "--key" in cli("get", renewed["id"], "--p12-out", "x.p12", check_status=64).stderr
    assert "--p12-out" in cli("get", renewed["id"], "--key", "k.pem", check_status=64).stderr
    # An output that is an input is refused before anything is read or written: the key stays.
    key_before = (tmp_path / "k.pem").read_text()
    same = cli("get", created["id"], "--key", "k.pem", "--p12-out", "./k.pem", "--p12-password-file", "pw", "--force",
               check_status=2)
    assert "which is read" in same.stderr and (tmp_path / "k.pem").read_text() == key_before


def test_create_from_a_csr_with_its_key(cli, emulator, zone, tmp_path):
    cli("csr", "--cn", "csr.example.com", "--key-out", "r.key", "--csr-out", "r.csr", check_status=0)
    cli("csr", "--cn", "other.example.com", "--key-out", "other.key", "--csr-out", "other.csr", check_status=0)
    environment = {"CFCERTS_P12_PASSWORD": PASSWORD}
    # The key is checked against the CSR before the request: nothing is issued for a mismatch.
    mismatch = cli("create", "--csr", "r.csr", "--key", "other.key", "--p12-out", "r.p12", env=environment,
                   check_status=2)
    assert "not the CSR's" in mismatch.stderr and certificates(emulator, zone) == []
    assert "--key FILE" in cli("create", "--csr", "r.csr", "--p12-out", "r.p12", env=environment, check_status=64).stderr
    assert "--key" in cli("create", "--cn", "x", "--key-out", "x.key", "--key", "r.key", check_status=64).stderr
    cli("create", "--csr", "r.csr", "--key", "r.key", "--p12-out", "r.p12", env=environment, check_status=0)
    key, certificate, _ = pkcs12.load_key_and_certificates((tmp_path / "r.p12").read_bytes(), PASSWORD.encode())
    assert certificate.subject.rfc4514_string() == "CN=csr.example.com"
    spki = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(*spki).decode() == public_key(tmp_path / "r.key")


def test_everything_the_bundle_needs_is_checked_before_a_request(cli, emulator, zone, tmp_path):
    def refused(*arguments, status, env=None):
        result = cli("create", "--cn", "early.example.com", "--key-out", "k.pem", "--p12-out", "d.p12", *arguments,
                     env=env, check_status=status)
        assert certificates(emulator, zone) == [] and not (tmp_path / "k.pem").exists()
        assert PASSWORD not in result.stdout + result.stderr
        return result.stderr

    assert "CFCERTS_P12_PASSWORD" in refused(status=2)
    (tmp_path / "empty").write_text("")
    assert "empty" in refused("--p12-password-file", "empty", status=2)
    (tmp_path / "two").write_text(PASSWORD + "\nsecond line\n")
    assert "more than one line" in refused("--p12-password-file", "two", status=2)
    (tmp_path / "garbage.pem").write_text("not a certificate")
    assert "chain" in refused("--chain", "garbage.pem", env={"CFCERTS_P12_PASSWORD": PASSWORD}, status=2)
    assert "missing.pem" in refused("--chain", "missing.pem", env={"CFCERTS_P12_PASSWORD": PASSWORD}, status=10)
    (tmp_path / "d.p12").write_text("a file already there")
    assert "--force" in refused(env={"CFCERTS_P12_PASSWORD": PASSWORD}, status=10)
    assert (tmp_path / "d.p12").read_text() == "a file already there"
    (tmp_path / "d.p12").unlink()
    assert "profile" in refused("--p12-profile", "rc2", status=64)
    assert "--p12-out" in cli("create", "--cn", "x", "--key-out", "x.key", "--chain", "ca.pem", check_status=64).stderr
    assert "--p12-out" in cli("renew", "--due", "30d", "--out-dir", "o", "--p12-out", "d.p12", check_status=64).stderr
    # --force replaces a .p12 that is there (whole: a new file renamed over it).
    (tmp_path / "d.p12").write_text("old")
    cli("create", "--cn", "early.example.com", "--key-out", "k.pem", "--p12-out", "d.p12", "--force",
        env={"CFCERTS_P12_PASSWORD": PASSWORD}, check_status=0)
    assert pkcs12.load_key_and_certificates((tmp_path / "d.p12").read_bytes(), PASSWORD.encode())[1] is not None


def test_an_issued_certificate_is_not_lost_when_its_bundle_cannot_be_written(cli, emulator, zone, tmp_path):
    (tmp_path / "out").mkdir()
    emulator.fault(kind="delay", method="POST", delay_ms=1500)
    environment = {"PATH": os.environ["PATH"], "CLOUDFLARE_API_TOKEN": TOKEN, "CFCERTS_P12_PASSWORD": PASSWORD,
                   "CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_ZONE_ID": zone}
    running = subprocess.Popen([os.environ["CFCERTS_CLI"], "create", "--cn", "lost.example.com", "--key-out", "k.pem",
                                "--cert-out", "c.pem", "--p12-out", "out/d.p12"], cwd=tmp_path, env=environment,
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # The key is written just before the request; then the .p12's folder goes while the API issues the certificate.
    waited = time.monotonic()
    while not (tmp_path / "k.pem").exists() and time.monotonic() - waited < 30:
        time.sleep(0.02)
    shutil.rmtree(tmp_path / "out")
    stdout, stderr = running.communicate(timeout=60)
    assert running.returncode == 10, (stdout, stderr)
    issued = certificates(emulator, zone)
    assert len(issued) == 1
    assert "WAS ISSUED" in stderr and issued[0]["id"] in stderr and issued[0]["certificate"].strip() in stderr
    assert "out/d.p12" in stderr and PASSWORD not in stdout + stderr
    # The certificate file was written before; the .p12 can be made again from it with get.
    (tmp_path / "out").mkdir()
    cli("get", issued[0]["id"], "--key", "k.pem", "--p12-out", "out/d.p12", env={"CFCERTS_P12_PASSWORD": PASSWORD},
        check_status=0)
    assert pkcs12.load_key_and_certificates((tmp_path / "out/d.p12").read_bytes(), PASSWORD.encode())[1] is not None


def test_a_password_java_refuses_is_noted(cli, tmp_path):
    result = cli("create", "--cn", "utf8.example.com", "--key-out", "k.pem", "--p12-out", "d.p12",
                 env={"CFCERTS_P12_PASSWORD": "p\u00e4ssw\u00f6rd"}, check_status=0)
    assert "not ASCII" in result.stderr and "p\u00e4ssw\u00f6rd" not in result.stderr
    data = (tmp_path / "d.p12").read_bytes()
    assert pkcs12.load_key_and_certificates(data, "p\u00e4ssw\u00f6rd".encode())[1] is not None
    # What the note is about: the JDK's PBE keys take ASCII only (OpenSSL's own files alike).
    listed = keytool("-list", "-v", "-storetype", "PKCS12", "-keystore", str(tmp_path / "d.p12"),
                     "-storepass", "p\u00e4ssw\u00f6rd")
    assert listed.returncode != 0 and "Password is not ASCII" in listed.stdout + listed.stderr
