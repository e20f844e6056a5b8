"""`cfcerts` against the emulator: every command and option, both output formats, each exit code."""

import json
import os
import pty
import stat
import subprocess
import socket

import pytest

from conftest import TOKEN
from conftest import api as conftest_api


def create(cli, name="cli.example.com", *extra):
    result = cli("create", "--cn", name, "--key-out", f"{name}.key", "--output", "json", *extra, check_status=0)
    return json.loads(result.stdout)


def test_create_generates_the_key_writes_files_and_the_ca_signed_it(cli, emulator, tmp_path):
    result = cli("create", "--cn", "cli.example.com", "--org", "Example Inc", "--ou", "Ops", "--country", "US",
                 "--state", "CA", "--locality", "San Francisco", "--key-type", "rsa2048", "--validity-days", "30",
                 "--key-out", "k.pem", "--cert-out", "c.pem", check_status=0)
    lines = dict(line.split(None, 1) if not line.startswith(("common name", "days left", "issued on", "expires on"))
                 else (line[:22].strip(), line[22:]) for line in result.stdout.splitlines())
    assert lines["status"] == "active" and lines["common name"] == "cli.example.com"
    assert lines["days left"] in ("29", "30")
    assert stat.S_IMODE(os.stat(tmp_path / "k.pem").st_mode) == 0o600
    assert "Private-Key: (2048 bit" in subprocess.run(["openssl", "pkey", "-in", tmp_path / "k.pem", "-noout", "-text"],
                                   capture_output=True, text=True).stdout
    (tmp_path / "ca.pem").write_text(emulator.control("GET", "/ca.pem"))
    verified = subprocess.run(["openssl", "verify", "-CAfile", tmp_path / "ca.pem", tmp_path / "c.pem"],
                              capture_output=True, text=True)
    assert verified.stdout.strip().endswith("OK")
    subject = subprocess.run(["openssl", "x509", "-in", tmp_path / "c.pem", "-noout", "-subject"],
                             capture_output=True, text=True).stdout
    for part in ("CN = cli.example.com", "O = Example Inc", "OU = Ops", "C = US", "ST = CA", "L = San Francisco"):
        assert part in subject


def test_create_from_a_csr_file_and_the_csr_command(cli, tmp_path):
    cli("csr", "--cn", "from-file.example.com", "--key-out", "k.pem", "--csr-out", "req.pem", check_status=0)
    assert stat.S_IMODE(os.stat(tmp_path / "k.pem").st_mode) == 0o600
    to_stdout = cli("csr", "--cn", "stdout.example.com", "--key-out", "k2.pem", check_status=0)
    assert to_stdout.stdout.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    created = json.loads(cli("create", "--csr", "req.pem", "--output", "json", check_status=0).stdout)
    assert created["common_name"] == "from-file.example.com" and created["validity_days"] == 3650


def test_key_files_are_never_overwritten_without_force(cli, tmp_path):
    (tmp_path / "k.pem").write_text("precious")
    result = cli("create", "--cn", "x.example.com", "--key-out", "k.pem", check_status=10)
    assert "k.pem exists; pass --force" in result.stderr
    assert (tmp_path / "k.pem").read_text() == "precious"
    cli("csr", "--cn", "x.example.com", "--key-out", "k.pem", check_status=10)
    os.symlink(tmp_path / "elsewhere", tmp_path / "link.pem")
    cli("csr", "--cn", "x.example.com", "--key-out", "link.pem", "--force", check_status=10)
    assert not (tmp_path / "elsewhere").exists()
    os.chmod(tmp_path / "k.pem", 0o644)
    cli("csr", "--cn", "x.example.com", "--key-out", "k.pem", "--force", check_status=0)
    assert "PRIVATE KEY" in (tmp_path / "k.pem").read_text()
    assert stat.S_IMODE(os.stat(tmp_path / "k.pem").st_mode) == 0o600


def test_list_table_json_jsonl_status_and_pages(cli, emulator, zone):
    emulator.seed(zone, 60)
    table = cli("list", check_status=0).stdout.splitlines()
    assert table[0].split() == ["ID", "STATUS", "COMMON", "NAME", "EXPIRES", "DAYS", "LEFT"]
    assert len(table) == 1 + 20
    page = json.loads(cli("list", "--page", "3", "--per-page", "25", "--output", "json", check_status=0).stdout)
    assert [c["common_name"] for c in page] == [f"seed-{n}" for n in range(51, 61)]
    every = cli("list", "--all", "--output", "jsonl", check_status=0).stdout.splitlines()
    assert len(every) == 60 and len({json.loads(line)["id"] for line in every}) == 60
    first = json.loads(every[0])
    cli("revoke", first["id"], check_status=0)
    pending = json.loads(cli("list", "--all", "--status", "pending_revocation", "--output", "json",
                             check_status=0).stdout)
    assert [c["id"] for c in pending] == [first["id"]]
    assert json.loads(cli("list", "--status", "revoked", "--output", "json", check_status=0).stdout) == []
    assert cli("list", "--status", "bogus").returncode == 64
    assert cli("list", "--page", "2", "--all").returncode == 64


def test_expiring_within(cli, zone):
    soon = create(cli, "soon.example.com", "--validity-days", "10")
    later = create(cli, "later.example.com", "--validity-days", "40")
    create(cli, "much-later.example.com", "--validity-days", "400")
    within_30 = json.loads(cli("list", "--expiring-within", "30d", "--output", "json", check_status=0).stdout)
    assert [c["id"] for c in within_30] == [soon["id"]]
    within_8w = cli("list", "--expiring-within", "8w", check_status=0).stdout.splitlines()
    assert [line.split()[0] for line in within_8w[1:]] == [soon["id"], later["id"]]
    assert cli("list", "--expiring-within", "30x").returncode == 64
    assert cli("list", "--expiring-within", "-3d").returncode == 64


def test_get_revoke_wait_reactivate_wait(cli, tmp_path):
    created = create(cli)
    got = json.loads(cli("get", created["id"], "--output", "json", "--cert-out", "got.pem", check_status=0).stdout)
    assert got == created
    assert (tmp_path / "got.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert "status                active" in cli("get", created["id"], check_status=0).stdout
    revoking = json.loads(cli("revoke", created["id"], "--output", "json", check_status=0).stdout)
    assert revoking["status"] == "pending_revocation"
    reactivated = json.loads(cli("reactivate", created["id"], "--wait", "--output", "json", check_status=0).stdout)
    assert reactivated["status"] == "active"
    revoked = json.loads(cli("revoke", created["id"], "--wait", "--timeout", "30s", "--output", "jsonl",
                             check_status=0).stdout)
    assert revoked["status"] == "revoked"


def test_wait_gives_up_at_its_timeout(cli):
    created = create(cli)
    result = cli("revoke", created["id"], "--wait", "--timeout", "1s", check_status=7)
    assert "did not reach revoked within 1 s (--timeout)" in result.stderr


def test_renew_keeps_subject_and_validity_and_revokes_the_old(cli, tmp_path):
    old = json.loads(cli("create", "--cn", "renew.example.com", "--org", "Example", "--country", "DE",
                         "--validity-days", "90", "--key-out", "old.key", "--output", "json", check_status=0).stdout)
    result = cli("renew", old["id"], "--key-out", "new.key", "--cert-out", "new.pem", "--revoke-old",
                 "--output", "json", check_status=0)
    renewed = json.loads(result.stdout)
    assert renewed["id"] != old["id"]
    assert (renewed["common_name"], renewed["organization"], renewed["country"], renewed["validity_days"]) == \
        ("renew.example.com", "Example", "DE", 90)
    assert f"old certificate {old['id']} is pending_revocation" in result.stderr
    assert cli("get", old["id"], "--output", "json", check_status=0).stdout.count("pending_revocation") == 1
    assert stat.S_IMODE(os.stat(tmp_path / "new.key").st_mode) == 0o600
    key = subprocess.run(["openssl", "pkey", "-in", tmp_path / "new.key", "-pubout"], capture_output=True, text=True)
    cert = subprocess.run(["openssl", "x509", "-in", tmp_path / "new.pem", "-noout", "-pubkey"],
                          capture_output=True, text=True)
    assert key.stdout == cert.stdout and key.stdout
    cli("renew", old["id"], "--key-out", "new.key", check_status=10)


@pytest.mark.parametrize("arguments, fault, status, message", [
    (["revoke", "{id}"], None, 0, None),
    (["get", "{id}", "--max-retries", "0"], {"kind": "status", "status": 500, "code": 1000}, 1, "api (HTTP 500)"),
    (["get", ".."], None, 2, "invalid argument"),
    (["get", "missing"], None, 3, "not found (HTTP 404)"),
    (["get", "{id}"], {"kind": "status", "status": 403, "code": 9109}, 5, "permission (HTTP 403)"),
    (["get", "{id}", "--max-retries", "0"], {"kind": "rate_limit", "retry_after": 9}, 6, "retry after 9 s"),
    (["get", "{id}", "--max-retries", "0", "--call-timeout", "1s"], {"kind": "delay", "delay_ms": 5000}, 7, "timeout"),
    (["get", "{id}", "--max-retries", "0"], {"kind": "truncated"}, 9, "decoding"),
    (["get"], None, 64, "Missing expected argument"),
])
def test_exit_codes(cli, emulator, arguments, fault, status, message):
    created = create(cli)
    if fault:
        emulator.fault(path="/client/v4/zones/*/client_certificates/*", **fault)
    result = cli(*[argument.format(id=created["id"]) for argument in arguments], check_status=status)
    if message:
        assert message in result.stderr
    if status not in (0, 64):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_api_errors_are_one_line_with_code_and_ray(cli):
    result = cli("get", "missing", check_status=3)
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith("cfcerts: not found (HTTP 404): ") and "(code 1404)" in line and "[ray " in line


def test_authentication_and_connection_exit_codes(cli):
    result = cli("list", env={"CLOUDFLARE_API_TOKEN": "wrong-secret-token"}, check_status=4)
    assert "authentication" in result.stderr and "wrong-secret-token" not in result.stderr + result.stdout
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    cli("list", "--max-retries", "0", env={"CLOUDFLARE_BASE_URL": f"http://127.0.0.1:{port}/client/v4"},
        check_status=8)
    result = cli("list", env={"CLOUDFLARE_API_TOKEN": None}, check_status=2)
    assert "no credentials" in result.stderr
    assert "no zone" in cli("list", env={"CLOUDFLARE_ZONE_ID": None}, check_status=2).stderr


def test_credentials_from_flags_and_no_secret_in_any_output(cli, emulator, zone):
    flags = ["--api-token", TOKEN, "--base-url", emulator.base_url, "--zone", zone]
    bare = {"CLOUDFLARE_API_TOKEN": None, "CLOUDFLARE_BASE_URL": None, "CLOUDFLARE_ZONE_ID": None}
    cli("list", *flags, env=bare, check_status=0)
    outputs = []
    for arguments in (["list", "--api-token", "s3cr3t-token-value"], ["get", "x", "--api-token", "s3cr3t-token-value"],
                      ["list", "--api-email", "a@example.com", "--api-key", "s3cr3t-token-value"],
                      ["list", "--api-token", "s3cr3t-token-value", "--user-service-key", "s3cr3t-token-value"],
                      ["list", "--base-url", "http://user:s3cr3t-token-value@127.0.0.1:1/client/v4"]):
        result = cli(*arguments, env=bare | {"CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_ZONE_ID": zone})
        assert result.returncode != 0
        outputs.append(result.stdout + result.stderr)
    assert all("s3cr3t-token-value" not in output for output in outputs), outputs


def test_progress_line_only_on_a_terminal(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 120)
    piped = cli("list", "--all", "--per-page", "20", check_status=0)
    assert piped.stderr == ""
    controller, terminal = pty.openpty()
    try:
        on_terminal = cli("list", "--all", "--per-page", "20", stderr=terminal, capture_output=False,
                          stdout=subprocess.PIPE)
        os.close(terminal)
        terminal = None
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if terminal is not None:
            os.close(terminal)
        os.close(controller)
    assert on_terminal.returncode == 0
    assert len(on_terminal.stdout.splitlines()) == 121
    assert b"fetched 100 certificates (page 5)" in shown


def test_help_version_and_completions(cli):
    for command in ("list", "get", "create", "revoke", "reactivate", "renew", "csr"):
        assert "USAGE: cfcerts " + command in cli(command, "--help", check_status=0).stdout
    top = cli("--help", check_status=0).stdout
    assert "Exit codes: 0 success; 1 the API refused" in " ".join(top.split())
    assert cli("--version", check_status=0).stdout.strip() == "0.5.0"
    assert "complete -o filenames -F _cfcerts cfcerts" in cli("--generate-completion-script", "bash", check_status=0).stdout
    assert "#compdef cfcerts" in cli("--generate-completion-script", "zsh", check_status=0).stdout


def test_a_create_whose_answer_was_lost_says_it_may_have_been_done(cli, emulator, zone, tmp_path):
    cli("csr", "--cn", "lost.example.com", "--key-out", "k.pem", "--csr-out", "r.csr", check_status=0)
    emulator.fault(kind="lost_answer", method="POST", path=f"/client/v4/zones/{zone}/client_certificates")
    result = cli("create", "--csr", "r.csr", "--call-timeout", "10s")
    assert result.returncode != 0
    assert "may have been done" in result.stderr, result.stderr
    # It was: the certificate is there.
    assert [c["common_name"] for c in conftest_api(emulator, f"/zones/{zone}/client_certificates")["result"]] == [
        "lost.example.com"]
