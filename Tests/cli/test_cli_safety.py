"""The CLI never loses an issued certificate, refuses flags it would ignore, keeps --timeout, and shows
subject fields from strangers' CSRs without letting them drive the terminal."""

import json
import os
import subprocess
import time
import urllib.request

from conftest import TOKEN


def count(emulator, zone):
    """How many certificates the zone has, asked of the API itself."""
    request = urllib.request.Request(f"{emulator.base_url}/zones/{zone}/client_certificates?per_page=50",
                                     headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["result_info"]["total_count"]


def test_output_paths_are_checked_before_anything_is_sent(cli, emulator, zone, tmp_path):
    missing = cli("create", "--cn", "a.example.com", "--key-out", "k.pem", "--cert-out", "nodir/c.pem", check_status=10)
    assert "nodir" in missing.stderr and not (tmp_path / "k.pem").exists()
    same = cli("create", "--cn", "a.example.com", "--key-out", "same.pem", "--cert-out", "./same.pem", "--force",
               check_status=2)
    assert "same file" in same.stderr and not (tmp_path / "same.pem").exists()
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o500)
    if os.geteuid() != 0:  # root writes anywhere: the folder check is then access(2)'s answer
        cli("create", "--cn", "a.example.com", "--key-out", "k.pem", "--cert-out", "ro/c.pem", check_status=10)
    assert count(emulator, zone) == 0


def test_a_certificate_issued_is_never_lost_when_its_file_cannot_be_written(cli, emulator, zone, tmp_path):
    (tmp_path / "out").mkdir()
    emulator.fault(kind="delay", method="POST", delay_ms=1500)
    environment = {"PATH": os.environ["PATH"], "CLOUDFLARE_API_TOKEN": TOKEN,
                   "CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_ZONE_ID": zone}
    running = subprocess.Popen([os.environ["CFCERTS_CLI"], "create", "--cn", "lost.example.com", "--key-out", "k.pem",
                                "--cert-out", "out/c.pem"], cwd=tmp_path, env=environment, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # The key is written after the paths were checked, just before the request: then the folder goes, while the
    # API (delayed 1.5 s) issues the certificate.
    waited = time.monotonic()
    while not (tmp_path / "k.pem").exists() and time.monotonic() - waited < 30:
        time.sleep(0.02)
    (tmp_path / "out").rmdir()
    stdout, stderr = running.communicate(timeout=60)
    assert running.returncode == 10, (stdout, stderr)
    assert count(emulator, zone) == 1
    assert "WAS ISSUED" in stderr and "-----BEGIN CERTIFICATE-----" in stderr
    issued = json.loads(cli("list", "--output", "json", check_status=0).stdout)[0]
    assert issued["id"] in stderr and issued["certificate"].strip() in stderr


def test_renew_saves_the_new_certificate_before_a_failing_revoke_of_the_old(cli, emulator, zone, tmp_path):
    old = json.loads(cli("create", "--cn", "r.example.com", "--key-out", "old.key", "--output", "json",
                         check_status=0).stdout)
    emulator.fault(kind="status", status=400, code=1099, method="DELETE", count=5)
    result = cli("renew", old["id"], "--key-out", "new.key", "--cert-out", "new.pem", "--revoke-old", "--output", "json",
                 check_status=11)
    new = json.loads(result.stdout)
    assert (tmp_path / "new.pem").read_text().strip() == new["certificate"].strip()
    assert "revoking the old one failed" in result.stderr and old["id"] in result.stderr
    assert json.loads(cli("get", old["id"], "--output", "json", check_status=0).stdout)["status"] == "active"


def test_flags_that_would_be_ignored_are_usage_errors_or_honoured(cli, emulator, zone, tmp_path):
    (tmp_path / "r.csr").write_text("-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n")
    assert "--key-type" in cli("create", "--csr", "r.csr", "--key-type", "rsa2048", check_status=64).stderr
    assert "--wait" in cli("revoke", "0" * 32, "--timeout", "10m", check_status=64).stderr
    emulator.seed(zone, 7)
    emulator.control("DELETE", "/requests")
    cli("list", "--expiring-within", "30d", "--per-page", "5", check_status=0)
    queries = [entry.get("query", "") for entry in emulator.control_json("GET", "/requests")["requests"]]
    assert queries and all("per_page=5" in query for query in queries), queries
    assert "360 s" in cli("create", "--help", check_status=0).stdout  # --call-timeout states the real bound (pacing included)


def test_wait_ends_within_its_timeout_even_when_a_poll_hangs(cli, emulator):
    created = json.loads(cli("create", "--cn", "w.example.com", "--key-out", "w.key", "--output", "json",
                             check_status=0).stdout)
    emulator.fault(kind="delay", method="GET", delay_ms=60_000, count=20)
    started = time.monotonic()
    result = cli("revoke", created["id"], "--wait", "--timeout", "3s", check_status=7)
    assert time.monotonic() - started < 4.0 + 1.0, result.stderr  # --timeout + 1 s (+ start-up of the process)
    assert "within 3 s" in result.stderr


def test_subject_fields_cannot_drive_the_terminal(cli, tmp_path):
    name = "evil\x1b]0;owned\x07\x1b[2K.example.com"
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(tmp_path / "e.key"), "-out", str(tmp_path / "e.csr"), "-utf8",
                    "-subj", f"/CN={name}"], check=True, capture_output=True)
    created = json.loads(cli("create", "--csr", "e.csr", "--output", "json", check_status=0).stdout)
    assert created["common_name"] == name  # JSON stays exact
    for output in (cli("list", check_status=0).stdout, cli("get", created["id"], check_status=0).stdout):
        assert "\x1b" not in output and "\x07" not in output
        assert "\\u{1b}]0;owned\\u{7}\\u{1b}[2K" in output
