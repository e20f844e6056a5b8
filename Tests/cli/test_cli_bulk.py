"""Bulk commands: selectors, --dry-run, --yes, failures that do not stop the rest, and runs killed with SIGKILL at
an arbitrary moment and started again with the same arguments and journal (nothing is done twice)."""

import collections
import fcntl
import json
import os
import resource
import signal
import subprocess
import time

from conftest import certificates, environment, journal_lines, requests_to, run_then_kill


def test_dry_run_sends_no_write_request(cli, emulator, zone):
    emulator.seed(zone, 12, prefix="dry")
    emulator.control("DELETE", "/requests")
    result = cli("revoke", "--all", "--cn", "dry-1*", "--dry-run", check_status=0)
    assert result.stdout.count("would be revoked") == 4  # dry-1, dry-10, dry-11, dry-12
    assert "nothing was sent" in result.stderr
    assert {entry["method"] for entry in requests_to(emulator, zone)} == {"GET"}
    assert all(c["status"] == "active" for c in certificates(emulator, zone))


def test_more_than_one_needs_yes_without_a_terminal(cli, emulator, zone):
    emulator.seed(zone, 3)
    ids = [c["id"] for c in certificates(emulator, zone)]
    refused = cli("revoke", *ids, stdin=subprocess.DEVNULL, check_status=2)
    assert "--yes" in refused.stderr
    assert all(c["status"] == "active" for c in certificates(emulator, zone))
    done = cli("revoke", *ids, "--yes", "--output", "jsonl", stdin=subprocess.DEVNULL, check_status=0)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(line["id"] for line in lines) == sorted(ids) and {line["status"] for line in lines} == {"done"}


def test_selectors_pick_exactly_the_matching_certificates(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 6, prefix="keep")
    emulator.seed(zone, 5, prefix="drop")
    expiring = []
    for name in ("soon-a", "soon-b"):
        cli("create", "--cn", name, "--key-out", f"{name}.key", "--validity-days", "3", "--output", "json", check_status=0)
    expiring = {c["id"] for c in certificates(emulator, zone) if c["common_name"].startswith("soon-")}
    by_cn = cli("revoke", "--all", "--cn", "drop-*", "--yes", "--output", "jsonl", check_status=0)
    revoked = {json.loads(line)["id"] for line in by_cn.stdout.splitlines()}
    assert revoked == {c["id"] for c in certificates(emulator, zone) if c["common_name"].startswith("drop-")}
    by_expiry = cli("revoke", "--all", "--expiring-within", "7d", "--yes", "--output", "jsonl", check_status=0)
    assert {json.loads(line)["id"] for line in by_expiry.stdout.splitlines()} == expiring
    assert cli("revoke", "--all", "--issued-before", "2000-01-01", "--yes", check_status=0).stdout == ""
    # --status pending_revocation selects what was just revoked; reactivate's default selects the same.
    back = cli("reactivate", "--all", "--cn", "drop-*", "--yes", "--output", "jsonl", check_status=0)
    assert {json.loads(line)["id"] for line in back.stdout.splitlines()} == revoked
    cli("revoke", "--cn", "x", check_status=64)
    cli("revoke", "--all", "--issued-before", "yesterday", check_status=64)


def test_a_failed_item_does_not_stop_the_others(cli, emulator, zone):
    emulator.seed(zone, 8)
    ids = [c["id"] for c in certificates(emulator, zone)]
    missing = "0" * 32
    result = cli("revoke", *ids[:4], missing, *ids[4:], "--yes", "--output", "jsonl", check_status=12)
    outcomes = {line["id"]: line for line in map(json.loads, result.stdout.splitlines())}
    assert outcomes[missing]["status"] == "failed" and outcomes[missing]["error"]["kind"] == "not found"
    assert all(outcomes[i]["status"] == "done" for i in ids)
    assert all(c["status"] == "pending_revocation" for c in certificates(emulator, zone))
    assert "1 of 9 certificates were not revoked" in result.stderr


def test_bulk_revoke_killed_and_resumed_revokes_each_certificate_once(emulator, zone, tmp_path):
    emulator.seed(zone, 200, prefix="fleet")
    emulator.control("DELETE", "/requests")
    # Each revoke takes 25 ms at the server, so the kill lands with requests in flight.
    emulator.fault(kind="delay", method="DELETE", path=f"/client/v4/zones/{zone}/client_certificates/*", count=1000,
                   delay_ms=25)
    journal = tmp_path / "revoke.journal"
    arguments = ["revoke", "--all", "--yes", "--journal", str(journal)]
    run_then_kill(arguments, emulator, zone, tmp_path, journal, kill_after_done=60)
    done_before = journal_lines(journal, "done")
    assert 60 <= done_before < 200
    resumed = subprocess.run([os.environ["CFCERTS_CLI"], *arguments, "--output", "jsonl"], cwd=tmp_path,
                             env=environment(emulator, zone), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    statuses = collections.Counter(json.loads(line)["status"] for line in resumed.stdout.splitlines())
    # --all selects the certificates still active; those found revoked although unrecorded come back already_done.
    deletes = collections.Counter(e["path"].rsplit("/", 1)[1] for e in requests_to(emulator, zone) if e["method"] == "DELETE")
    assert len(deletes) == 200 and set(deletes.values()) == {1}, [k for k, v in deletes.items() if v != 1]
    # Revoked 2 s after the revoke (the emulator's transition delay): on a loaded machine the first ones already are.
    assert {c["status"] for c in certificates(emulator, zone)} <= {"pending_revocation", "revoked"}
    assert oct(journal.stat().st_mode & 0o777) == "0o600"
    assert statuses["failed"] == 0


def test_bulk_create_killed_and_resumed_leaves_exactly_one_certificate_per_csr(emulator, zone, tmp_path):
    csrs, certs = tmp_path / "csrs", tmp_path / "certs"
    csrs.mkdir()
    certs.mkdir()
    key = tmp_path / "device.key"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)], check=True)
    for index in range(100):
        subprocess.run(["openssl", "req", "-new", "-key", str(key), "-subj", f"/CN=device-{index:03}.example.com",
                        "-out", str(csrs / f"device-{index:03}.csr")], check=True, capture_output=True)
    emulator.fault(kind="delay", method="POST", path=f"/client/v4/zones/{zone}/client_certificates", count=1000,
                   delay_ms=25)
    journal = tmp_path / "create.journal"
    # --call-timeout bounds the resumed run's wait for answers the kill may have left in flight (default: 60 s).
    arguments = ["create", "--csr-dir", str(csrs), "--cert-dir", str(certs), "--validity-days", "30",
                 "--journal", str(journal), "--call-timeout", "15s"]
    run_then_kill(arguments, emulator, zone, tmp_path, journal, kill_after_done=30)
    assert journal_lines(journal, "done") < 100
    resumed = subprocess.run([os.environ["CFCERTS_CLI"], *arguments], cwd=tmp_path, env=environment(emulator, zone),
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    issued = certificates(emulator, zone)
    assert len(issued) == 100
    assert sorted(c["common_name"] for c in issued) == [f"device-{i:03}.example.com" for i in range(100)]
    pems = sorted(certs.glob("*.pem"))  # each written whole (a run killed mid-write leaves only a *.partial)
    assert [p.stem for p in pems] == [f"device-{i:03}" for i in range(100)]
    ca = tmp_path / "ca.pem"
    ca.write_text(emulator.control("GET", "/ca.pem"))
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(ca), *map(str, pems)], capture_output=True, text=True)
    assert verified.returncode == 0 and verified.stdout.count(": OK") == 100, verified.stdout + verified.stderr
    # The run is finished: a third run with its journal is refused and sends no create.
    emulator.control("DELETE", "/requests")
    again = subprocess.run([os.environ["CFCERTS_CLI"], *arguments], cwd=tmp_path, env=environment(emulator, zone),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "pass a new journal" in again.stderr, again.stderr
    assert not [e for e in requests_to(emulator, zone) if e["method"] == "POST"]


def test_bulk_create_refuses_existing_pems_and_bad_folders_before_sending(cli, emulator, zone, tmp_path):
    (tmp_path / "csrs").mkdir()
    (tmp_path / "certs").mkdir()
    cli("csr", "--cn", "a.example.com", "--key-out", "a.key", "--csr-out", "csrs/a.csr", check_status=0)
    (tmp_path / "certs" / "a.pem").write_text("mine")
    refused = cli("create", "--csr-dir", "csrs", "--cert-dir", "certs", check_status=10)
    assert "exists" in refused.stderr and (tmp_path / "certs" / "a.pem").read_text() == "mine"
    cli("create", "--csr-dir", "empty", "--cert-dir", "certs", check_status=10)
    cli("create", "--csr-dir", "csrs", check_status=64)
    assert certificates(emulator, zone) == []


def test_pacing_flag(cli):
    assert "--pacing" in cli("revoke", "--help", check_status=0).stdout
    cli("list", "--pacing", "0/10", check_status=2)
    cli("list", "--pacing", "off", check_status=0)
    cli("list", "--pacing", "5/1", check_status=0)


def test_progress_goes_to_a_terminal(emulator, zone):
    """On a terminal, standard error shows done/total, the rate, the ETA and the 429s seen; elsewhere it does not."""
    import pty
    emulator.seed(zone, 6)
    ids = [c["id"] for c in certificates(emulator, zone)]
    leader, follower = pty.openpty()
    process = subprocess.Popen([os.environ["CFCERTS_CLI"], "revoke", *ids, "--yes"], env=environment(emulator, zone),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=60)
    os.close(leader)
    text = seen.decode(errors="replace")
    assert process.returncode == 0
    assert "revoke: 6/6" in text and "/s" in text and "ETA" in text and "429s: 0" in text, text


def make_csr(cli, tmp_path, name):
    (tmp_path / "csrs").mkdir(exist_ok=True)
    (tmp_path / "certs").mkdir(exist_ok=True)
    cli("csr", "--cn", f"{name}.example.com", "--key-out", f"{name}.key", "--csr-out", f"csrs/{name}.csr", check_status=0)
    return (tmp_path / "csrs" / f"{name}.csr").read_text()


def test_a_rerun_never_settles_a_create_against_an_old_revoked_certificate(cli, emulator, zone, tmp_path):
    csr = make_csr(cli, tmp_path, "x")
    old = json.loads(cli("create", "--csr", "csrs/x.csr", "--output", "json", check_status=0).stdout)
    cli("revoke", old["id"], check_status=0)
    emulator.fault(kind="drop", method="POST", path=f"/client/v4/zones/{zone}/client_certificates")
    arguments = ["create", "--csr-dir", "csrs", "--cert-dir", "certs", "--journal", "j", "--call-timeout", "3s"]
    cli(*arguments, check_status=12)
    again = cli(*arguments, check_status=0)
    assert "already done" not in again.stdout and old["id"] not in again.stdout, again.stdout
    issued = [c for c in certificates(emulator, zone) if c["csr"].split() == csr.split() and c["id"] != old["id"]]
    assert len(issued) == 1 and issued[0]["status"] == "active"
    assert (tmp_path / "certs" / "x.pem").read_text().strip() == issued[0]["certificate"].strip()


def test_a_finished_journal_or_one_of_other_items_is_refused(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 2)
    first, second = [c["id"] for c in certificates(emulator, zone)]
    cli("revoke", first, "--journal", "j", check_status=0)
    emulator.control("DELETE", "/requests")
    finished = cli("revoke", first, "--journal", "j", check_status=2)
    assert "finished" in finished.stderr and "pass a new journal" in finished.stderr
    other = cli("revoke", second, "--journal", "j", check_status=2)
    assert "pass a new journal" in other.stderr
    assert not requests_to(emulator, zone)


def test_a_journal_in_use_by_another_run_is_refused_at_once_with_exit_14(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 1)
    (target,) = [c["id"] for c in certificates(emulator, zone)]
    # The first run's revoke takes 8 s at the server: the second run starts well within it, however loaded the machine.
    emulator.fault(kind="delay", method="DELETE", path=f"/client/v4/zones/{zone}/client_certificates/*", delay_ms=8000)
    journal = tmp_path / "j"
    first = subprocess.Popen([os.environ["CFCERTS_CLI"], "revoke", target, "--journal", str(journal)], cwd=tmp_path,
                             env=environment(emulator, zone), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while journal_lines(journal, "sent") < 1 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    second = cli("revoke", target, "--journal", "j", check_status=14)
    assert "in use" in second.stderr
    assert first.wait(timeout=60) == 0, first.stderr.read()
    deletes = [e for e in requests_to(emulator, zone) if e["method"] == "DELETE"]
    assert len(deletes) == 1
    assert "14" in cli("revoke", "--help", check_status=0).stdout


def test_a_journal_that_cannot_be_written_after_an_issue_loses_no_certificate(cli, emulator, zone, tmp_path):
    make_csr(cli, tmp_path, "x")
    emulator.fault(kind="drop", method="POST", path=f"/client/v4/zones/{zone}/client_certificates")
    arguments = ["create", "--csr-dir", "csrs", "--cert-dir", "certs", "--journal", "j", "--call-timeout", "2s"]
    cli(*arguments, check_status=12)
    journal = tmp_path / "j"
    sent_line = next(line for line in journal.read_text().splitlines(keepends=True) if '"event":"sent"' in line)
    # The resumed run may write its "sent" record, and nothing more: the "done" record after the issue fails.
    limit = journal.stat().st_size + len(sent_line.encode()) + 8

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    resumed = cli(*arguments, preexec_fn=limit_file_size)
    assert resumed.returncode == 10, (resumed.stdout, resumed.stderr)
    assert "journal" in resumed.stderr
    (issued,) = [c for c in certificates(emulator, zone)]
    lines = resumed.stdout.splitlines()
    assert any(line.startswith("issued") and issued["id"] in line for line in lines), lines
    pem = tmp_path / "certs" / "x.pem"
    saved = pem.exists() and pem.read_text().strip() == issued["certificate"].strip()
    assert saved or issued["certificate"].strip() in resumed.stderr.replace("\r", "")


def test_resuming_revoke_all_revokes_again_a_certificate_reactivated_since(cli, emulator, zone, tmp_path):
    """An unfinished `revoke --all` run (one item failed) is resumed after someone reactivated a certificate the
    first attempt had revoked: the listing shows it active, so the journal's "done" is stale and it is revoked
    again, not reported already done."""
    emulator.seed(zone, 2, prefix="breach")
    first, second = sorted(certificates(emulator, zone), key=lambda c: c["common_name"])
    emulator.fault(kind="status", status=500, method="DELETE", count=100,
                   path=f"/client/v4/zones/{zone}/client_certificates/{second['id']}")
    arguments = ["revoke", "--all", "--cn", "breach-*", "--yes", "--journal", "j", "--max-retries", "0"]
    cli(*arguments, check_status=12)
    emulator.control("DELETE", "/faults")
    cli("reactivate", first["id"], check_status=0)
    emulator.control("POST", "/settle")
    assert {c["id"]: c["status"] for c in certificates(emulator, zone)} == {first["id"]: "active",
                                                                          second["id"]: "active"}
    resumed = cli(*arguments, "--output", "jsonl", check_status=0)
    outcomes = {line["id"]: line["status"] for line in map(json.loads, resumed.stdout.splitlines())}
    assert outcomes == {first["id"]: "done", second["id"]: "done"}, resumed.stdout
    assert {c["status"] for c in certificates(emulator, zone)} <= {"pending_revocation", "revoked"}
