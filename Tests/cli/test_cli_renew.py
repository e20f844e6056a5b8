"""Unattended renewal (`renew --due`) and expiry monitoring (`list --output prometheus`, `renew --metrics-file`)
against the emulator, with certificates due (seeded as issued 350 days ago, valid 365) and not due."""

import collections
import json
import os
import signal
import subprocess
import time
from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import TOKEN, certificates, environment, requests_to, run_then_kill

# The hook records what it was given, one JSON object a line, and fails for a common name listed in FAIL_FOR.
HOOK = r"""python3 -c '
import json, os
keys = ["CFCERTS_CERT_FILE", "CFCERTS_KEY_FILE", "CFCERTS_NEW_ID", "CFCERTS_OLD_ID", "CFCERTS_COMMON_NAME",
        "CFCERTS_EXPIRES_ON", "CFCERTS_ZONE_ID", "CFCERTS_OUT_DIR", "CLOUDFLARE_API_TOKEN"]
with open("hook.log", "a") as log:
    log.write(json.dumps({key: os.environ.get(key) for key in keys}) + "\n")
raise SystemExit(1 if os.environ["CFCERTS_COMMON_NAME"] in os.environ.get("FAIL_FOR", "").split(",") else 0)
'"""


def seed_due_and_fresh(emulator, zone, due=3, fresh=2):
    emulator.seed(zone, due, prefix="due", validity_days=365, issued_days_ago=350)
    emulator.seed(zone, fresh, prefix="fresh", validity_days=365)
    # Due, but revoked: not renewed (--status defaults to active).
    emulator.seed(zone, 1, prefix="gone", validity_days=365, issued_days_ago=350, status="revoked")
    return {c["common_name"]: c for c in certificates(emulator, zone)}


def hook_calls(tmp_path):
    log = tmp_path / "hook.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def verify_pair(emulator, tmp_path, certificate_file, key_file):
    ca = tmp_path / "ca.pem"
    ca.write_text(emulator.control("GET", "/ca.pem"))
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(ca), certificate_file], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    from_certificate = subprocess.run(["openssl", "x509", "-in", certificate_file, "-noout", "-pubkey"],
                                      capture_output=True, text=True, check=True).stdout
    from_key = subprocess.run(["openssl", "pkey", "-in", key_file, "-pubout"], capture_output=True, text=True,
                              check=True).stdout
    assert from_certificate == from_key, "the key is not the certificate's"
    assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"


def test_renews_exactly_the_due_ones_and_runs_the_hook_once_each(cli, emulator, zone, tmp_path):
    before = seed_due_and_fresh(emulator, zone)
    result = cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", HOOK, "--output", "jsonl", check_status=0)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    due_ids = {before[f"due-{n}"]["id"] for n in (1, 2, 3)}
    assert {line["old_id"] for line in lines} == due_ids
    assert {line["status"] for line in lines} == {"renewed"} and {line["hook"] for line in lines} == {"succeeded"}
    assert "all 3 due certificate(s) renewed: 3 now" in result.stderr

    after = certificates(emulator, zone)
    by_name = collections.Counter(c["common_name"] for c in after)
    assert by_name == {name: 2 if name.startswith("due-") else 1 for name in before}
    new = {c["id"]: c for c in after if c["id"] not in {b["id"] for b in before.values()}}
    assert set(new) == {line["new_id"] for line in lines}
    for line in lines:
        renewed, old = new[line["new_id"]], before[line["common_name"]]
        assert renewed["common_name"] == old["common_name"] and renewed["validity_days"] == 365
        assert line["certificate_file"] == f"out/{line['new_id']}.pem" and line["key_file"] == f"out/{line['new_id']}.key"
        verify_pair(emulator, tmp_path, str(tmp_path / line["certificate_file"]), str(tmp_path / line["key_file"]))
    assert all(c["status"] == "active" for c in after if not c["common_name"].startswith("gone-"))  # no --revoke-old

    calls = hook_calls(tmp_path)
    assert sorted(call["CFCERTS_OLD_ID"] for call in calls) == sorted(due_ids)  # once each
    for call in calls:
        line = next(line for line in lines if line["old_id"] == call["CFCERTS_OLD_ID"])
        assert call["CFCERTS_NEW_ID"] == line["new_id"] and call["CFCERTS_COMMON_NAME"] == line["common_name"]
        assert call["CFCERTS_CERT_FILE"] == line["certificate_file"] and call["CFCERTS_KEY_FILE"] == line["key_file"]
        assert call["CFCERTS_EXPIRES_ON"] == new[line["new_id"]]["expires_on"]
        assert call["CFCERTS_ZONE_ID"] == zone and call["CFCERTS_OUT_DIR"] == "out"
        assert call["CLOUDFLARE_API_TOKEN"] is None  # the credential is withheld from hooks

    # The next run (a timer's) finds them renewed: no create, no hook, exit 0.
    emulator.control("DELETE", "/requests")
    again = cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", HOOK, check_status=0)
    assert again.stdout.count("already renewed") == 3
    assert "all 3 due certificate(s) renewed: 0 now, 3 by earlier runs" in again.stderr
    assert {e["method"] for e in requests_to(emulator, zone)} == {"GET"}
    assert len(hook_calls(tmp_path)) == 3


def test_nothing_due_exits_zero_and_says_so(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 4, prefix="fresh", validity_days=365)
    emulator.control("DELETE", "/requests")
    result = cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", HOOK, check_status=0)
    assert result.stdout == ""
    assert "nothing due: no active certificates expiring within 30d" in result.stderr
    assert {e["method"] for e in requests_to(emulator, zone)} == {"GET"}
    assert [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".renew-")] == []
    assert hook_calls(tmp_path) == []


def test_filters_and_dry_run(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 3, prefix="edge", validity_days=365, issued_days_ago=350)
    emulator.seed(zone, 2, prefix="core", validity_days=365, issued_days_ago=350)
    emulator.control("DELETE", "/requests")
    dry = cli("renew", "--due", "30d", "--cn", "edge-*", "--out-dir", "out", "--dry-run", check_status=0)
    assert dry.stdout.count("would renew") == 3 and "core" not in dry.stdout
    assert "nothing was sent or written" in dry.stderr
    assert not (tmp_path / "out").exists()
    assert {e["method"] for e in requests_to(emulator, zone)} == {"GET"}
    # Due within 10 days: none (they expire in 15).
    cli("renew", "--due", "10d", "--out-dir", "out", check_status=0)
    assert len(certificates(emulator, zone)) == 5
    cli("renew", "--due", "30d", "--cn", "edge-*", "--out-dir", "out", check_status=0)
    assert collections.Counter(c["common_name"][:4] for c in certificates(emulator, zone)) == {"edge": 6, "core": 2}


def test_revoke_old_skips_a_certificate_whose_hook_failed_and_the_next_run_finishes_it(cli, emulator, zone, tmp_path):
    before = seed_due_and_fresh(emulator, zone)
    failed = cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", HOOK, "--revoke-old",
                 env={"FAIL_FOR": "due-2"}, check_status=13)
    assert "deploy hook failed" in failed.stderr and "hook failed" in failed.stdout
    status = {c["id"]: c["status"] for c in certificates(emulator, zone)}
    assert status[before["due-1"]["id"]] in ("pending_revocation", "revoked")
    assert status[before["due-3"]["id"]] in ("pending_revocation", "revoked")
    assert status[before["due-2"]["id"]] == "active"  # its hook failed: the old one stays
    assert len(hook_calls(tmp_path)) == 3

    emulator.control("DELETE", "/requests")
    fixed = cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", HOOK, "--revoke-old", check_status=0)
    calls = hook_calls(tmp_path)
    assert len(calls) == 4 and calls[-1]["CFCERTS_OLD_ID"] == before["due-2"]["id"]  # only the failed one again
    assert "1 finished now" in fixed.stderr
    assert not [e for e in requests_to(emulator, zone) if e["method"] == "POST"]  # nothing issued again
    deletes = [e["path"] for e in requests_to(emulator, zone) if e["method"] == "DELETE"]
    assert deletes == [f"/client/v4/zones/{zone}/client_certificates/{before['due-2']['id']}"]


def test_a_killed_run_resumed_renews_nothing_twice(emulator, zone, tmp_path):
    emulator.seed(zone, 60, prefix="fleet", validity_days=365, issued_days_ago=350)
    olds = {c["id"] for c in certificates(emulator, zone)}
    # Each create takes 25 ms at the server, so the kill lands with requests in flight.
    emulator.fault(kind="delay", method="POST", path=f"/client/v4/zones/{zone}/client_certificates", count=1000,
                   delay_ms=25)
    journal = tmp_path / "renew.journal"
    arguments = ["renew", "--due", "30d", "--out-dir", "out", "--journal", str(journal), "--concurrency", "4",
                 "--deploy-hook", HOOK, "--output", "jsonl"]
    run_then_kill(arguments, emulator, zone, tmp_path, journal, kill_after_done=15)
    resumed = subprocess.run([os.environ["CFCERTS_CLI"], *arguments], cwd=tmp_path, env=environment(emulator, zone),
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    after = certificates(emulator, zone)
    assert collections.Counter(c["common_name"] for c in after) == {f"fleet-{n}": 2 for n in range(1, 61)}
    records = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.renewed")]
    assert {r["old_id"] for r in records} == olds and len({r["new_id"] for r in records}) == 60
    for record in records:
        assert record["hook"] == "succeeded"
        assert (tmp_path / "out" / f"{record['new_id']}.pem").exists()
        assert (tmp_path / "out" / f"{record['new_id']}.key").exists()
    assert not list((tmp_path / "out").glob("*.pending.*")) and not list((tmp_path / "out").glob("*.partial*"))
    # Every hook ran; one the kill interrupted may have run twice (hooks are documented as at-least-once).
    ran = collections.Counter(call["CFCERTS_OLD_ID"] for call in hook_calls(tmp_path))
    assert set(ran) == olds and sum(ran.values()) <= 60 + 4
    sample = records[0]
    verify_pair(emulator, tmp_path, str(tmp_path / "out" / f"{sample['new_id']}.pem"),
                str(tmp_path / "out" / f"{sample['new_id']}.key"))


def test_a_hook_past_its_timeout_is_ended_and_fails(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 1, prefix="slow", validity_days=365, issued_days_ago=350)
    started = time.monotonic()
    result = cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", "echo $$ > hook.pid; sleep 60",
                 "--hook-timeout", "1s", check_status=13)
    assert time.monotonic() - started < 30
    assert "after its timeout" in result.stdout
    pid = int((tmp_path / "hook.pid").read_text())
    assert not os.path.exists(f"/proc/{pid}"), "the hook was left running"


def test_renew_arguments_are_checked_before_anything_is_sent(cli, tmp_path):
    assert "--out-dir" in cli("renew", "--due", "30d", check_status=64).stderr
    assert "go with --due" in cli("renew", "--out-dir", "x", check_status=64).stderr
    assert "--key-out" in cli("renew", "--due", "30d", "--out-dir", "x", "--key-out", "k", check_status=64).stderr
    assert cli("renew", "--due", "0d", "--out-dir", "x").returncode == 64
    assert cli("renew", "--due", "30d", "--out-dir", "x", "--concurrency", "0").returncode == 64
    (tmp_path / "file").write_text("")
    assert "not a folder" in cli("renew", "--due", "30d", "--out-dir", "file", check_status=10).stderr


def metric_samples(text):
    families = {family.name: family for family in text_string_to_metric_families(text)}
    return families


def test_prometheus_output_parses_and_matches_the_zone(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 3, prefix='odd "quoted" \\ name', validity_days=365, issued_days_ago=100)
    emulator.seed(zone, 2, prefix="plain", validity_days=30)
    listed = certificates(emulator, zone)
    cli("revoke", listed[0]["id"], check_status=0)
    listed = certificates(emulator, zone)
    result = cli("list", "--all", "--output", "prometheus", check_status=0)
    assert "# HELP cfcerts_certificate_expiry_timestamp_seconds" in result.stdout
    families = metric_samples(result.stdout)
    expiry = families["cfcerts_certificate_expiry_timestamp_seconds"]
    assert expiry.type == "gauge"
    samples = {s.labels["id"]: s for s in expiry.samples}
    assert set(samples) == {c["id"] for c in listed}
    for certificate in listed:
        sample = samples[certificate["id"]]
        assert sample.labels == {"zone": zone, "id": certificate["id"], "common_name": certificate["common_name"],
                                 "status": certificate["status"]}
        expected = datetime.fromisoformat(certificate["expires_on"].replace("Z", "+00:00")).timestamp()
        assert sample.value == expected
    counts = {s.labels["status"]: s.value for s in families["cfcerts_certificates"].samples}
    assert all(s.labels["zone"] == zone for s in families["cfcerts_certificates"].samples)
    expected_counts = collections.Counter(c["status"] for c in listed)
    assert counts == {status: expected_counts.get(status, 0)
                      for status in ("active", "pending_revocation", "revoked", "pending_reactivation")}
    # --status narrows both metrics.
    active = metric_samples(cli("list", "--output", "prometheus", "--status", "active", check_status=0).stdout)
    assert {s.labels["status"] for s in active["cfcerts_certificates"].samples} == {"active"}
    assert len(active["cfcerts_certificate_expiry_timestamp_seconds"].samples) == expected_counts["active"]
    assert cli("list", "--output", "prometheus", "--page", "2").returncode == 64


def test_renew_writes_the_metrics_file_whole_and_readable(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 2, prefix="due", validity_days=365, issued_days_ago=350)
    metrics = tmp_path / "cfcerts.prom"
    cli("renew", "--due", "30d", "--out-dir", "out", "--metrics-file", str(metrics), check_status=0)
    families = metric_samples(metrics.read_text())
    assert len(families["cfcerts_certificate_expiry_timestamp_seconds"].samples) == 4  # the old and the new
    assert oct(metrics.stat().st_mode & 0o777) == "0o644"
    assert not list(tmp_path.glob("*.partial*"))


# The renewal folder: one run at a time, every record finished, only a folder of the user's own.

def wait_for(path, process, seconds=60):
    """Waits until `path` exists (a hook wrote it), failing early if `process` ended first."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, "cfcerts ended first: " + process.stderr.read()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_a_second_run_on_the_same_folder_is_refused_at_once(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 1, prefix="due", validity_days=365, issued_days_ago=350)
    # The first run holds the folder while its hook waits for the file `release` (its one create is done by then).
    hook = "echo $$ > hook.pid; while [ ! -e release ]; do sleep 0.1; done"
    first = subprocess.Popen([os.environ["CFCERTS_CLI"], "renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", hook],
                             cwd=tmp_path, env=environment(emulator, zone), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for(tmp_path / "hook.pid", first)
        emulator.control("DELETE", "/requests")
        second = cli("renew", "--due", "30d", "--out-dir", "out", check_status=14)
        assert "out is in use by another run" in second.stderr
        assert requests_to(emulator, zone) == []  # refused before any request
    finally:
        (tmp_path / "release").write_text("")
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert collections.Counter(c["common_name"] for c in certificates(emulator, zone)) == {"due-1": 2}
    for record in [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.renewed")]:
        assert (tmp_path / "out" / f"{record['new_id']}.key").exists()
    # The lock ends with the run: the next one goes ahead.
    cli("renew", "--due", "30d", "--out-dir", "out", check_status=0)


def test_a_key_left_pending_by_a_kill_is_moved_by_every_later_run(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 2, prefix="due", validity_days=365, issued_days_ago=350)
    before = {c["common_name"]: c for c in certificates(emulator, zone)}
    cli("renew", "--due", "30d", "--out-dir", "out", check_status=0)
    out = tmp_path / "out"
    records = {r["old_id"]: r for r in (json.loads(p.read_text()) for p in out.glob("*.renewed"))}
    # Killed between writing OLD.renewed and moving the key: the key is still OLD.pending.key. One old certificate
    # is no longer due at all (revoked meanwhile): its key must be moved all the same.
    for record in records.values():
        os.rename(out / f"{record['new_id']}.key", out / f"{record['old_id']}.pending.key")
    cli("revoke", before["due-2"]["id"], check_status=0)
    cli("renew", "--due", "30d", "--out-dir", "out", check_status=0)
    assert not list(out.glob("*.pending.*"))
    for record in records.values():
        verify_pair(emulator, tmp_path, str(out / f"{record['new_id']}.pem"), str(out / f"{record['new_id']}.key"))


def test_partial_files_a_killed_run_left_are_removed_by_the_next(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 1, prefix="due", validity_days=365, issued_days_ago=350)
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    # What a run killed mid-write leaves: a partial file of its own name (PID and random part).
    (out / "0123456789abcdef0123456789abcdef.pem.partial-4242-9f3a").write_text("torn")
    cli("renew", "--due", "30d", "--out-dir", "out", check_status=0)
    assert not list(out.glob("*.partial*"))
    assert len(list(out.glob("*.pem"))) == len(list(out.glob("*.key"))) == 1


def test_an_out_dir_others_could_write_or_that_is_not_ours_is_refused(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 1, prefix="due", validity_days=365, issued_days_ago=350)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    emulator.control("DELETE", "/requests")
    refused = cli("renew", "--due", "30d", "--out-dir", "out", check_status=10)
    assert "writable by others" in refused.stderr and "chmod go-w" in refused.stderr
    out.chmod(0o700)
    if os.geteuid() == 0:
        os.chown(out, 65534, 65534)
        refused = cli("renew", "--due", "30d", "--out-dir", "out", check_status=10)
        assert "owned by uid 65534" in refused.stderr
        os.chown(out, 0, 0)
    assert not [e for e in requests_to(emulator, zone) if e["method"] != "GET"]
    assert list(out.iterdir()) == []
    cli("renew", "--due", "30d", "--out-dir", "out", check_status=0)


# Deploy hooks: a clean start (signals, mask, environment), and an interrupted cfcerts takes its hook along.

def test_a_hook_starts_with_default_signals_and_an_empty_mask(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 1, prefix="due", validity_days=365, issued_days_ago=350)
    # grep reads its own status, inherited from the hook's shell as it started (the shell's own status is no
    # witness: dash blocks every signal for a moment while it waits for a child).
    hook = "grep -E '^Sig(Ign|Blk):' /proc/self/status > signals.txt; yes 2> yes.err | head -1 > head.out"
    cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", hook, check_status=0)
    signals = dict(line.split(":\t") for line in (tmp_path / "signals.txt").read_text().splitlines())
    # Signals 32 and 33 are glibc's own (SIGCANCEL, SIGSETXID): its posix_spawn always leaves them ignored.
    glibc_internal = (1 << 31) | (1 << 32)
    assert int(signals["SigIgn"], 16) & ~glibc_internal == 0, signals  # SIGPIPE (bit 12, signal 13) too
    assert int(signals["SigBlk"], 16) == 0, signals
    assert (tmp_path / "head.out").read_text() == "y\n" and (tmp_path / "yes.err").read_text() == ""


def test_the_token_from_a_file_and_no_credential_variable_reaches_a_hook(cli, emulator, zone, tmp_path):
    emulator.seed(zone, 1, prefix="due", validity_days=365, issued_days_ago=350)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", "env > hook.env", check_status=0,
        env={"CLOUDFLARE_API_TOKEN": None, "CLOUDFLARE_API_TOKEN_FILE": str(token_file), "CLOUDFLARE_EMAIL": "a@b.c"})
    names = {line.split("=", 1)[0] for line in (tmp_path / "hook.env").read_text().splitlines() if "=" in line}
    assert not names & {"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_TOKEN_FILE", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL",
                        "CLOUDFLARE_API_USER_SERVICE_KEY"}
    assert "CFCERTS_CERT_FILE" in names
    assert TOKEN not in (tmp_path / "hook.env").read_text()
    # A file that cannot be the token: refused before any request, the path named, the content never shown.
    token_file.write_text("first line\nsecond line\n")
    refused = cli("renew", "--due", "30d", "--out-dir", "out", check_status=2,
                  env={"CLOUDFLARE_API_TOKEN": None, "CLOUDFLARE_API_TOKEN_FILE": str(token_file)})
    assert str(token_file) in refused.stderr and "first line" not in refused.stderr


def group_members(pgid):
    """Live processes (zombies are dead) whose process group is `pgid`."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_hook_ends_its_whole_group_and_leaves_the_renewal_pending(emulator, zone, tmp_path,
                                                                                    cli, signal_number):
    emulator.seed(zone, 1, prefix="due", validity_days=365, issued_days_ago=350)
    # A background child of a non-interactive shell ignores SIGINT: only ending the group ends it.
    hook = "sleep 60 & echo $! > child.pid; echo $$ > hook.pid; wait"
    # As from a terminal: SIGINT at its default, whatever the runner of this suite was started with (a background
    # job of a non-interactive shell passes it on ignored).
    run = subprocess.Popen([os.environ["CFCERTS_CLI"], "renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", hook],
                           cwd=tmp_path, env=environment(emulator, zone), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(tmp_path / "hook.pid", run)
        wait_for(tmp_path / "child.pid", run)
        hook_pid = int((tmp_path / "hook.pid").read_text())
        run.send_signal(signal_number)
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, (run.returncode, err)
    assert "deploy hook" in err and "the next run" in err
    deadline = time.monotonic() + 30
    while group_members(hook_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_members(hook_pid) == [], "a process of the hook's group survived"
    [record] = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.renewed")]
    assert record["hook"] == "pending"
    again = cli("renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", "true", "--output", "jsonl", check_status=0)
    assert json.loads(again.stdout)["hook"] == "succeeded"


def test_a_run_started_with_sigint_ignored_keeps_ignoring_it_during_a_hook(emulator, zone, tmp_path):
    emulator.seed(zone, 1, prefix="due", validity_days=365, issued_days_ago=350)
    hook = "echo $$ > hook.pid; while [ ! -e release ]; do sleep 0.1; done"
    # As a background job of a script starts it: SIGINT ignored, which the relay must not undo.
    run = subprocess.Popen([os.environ["CFCERTS_CLI"], "renew", "--due", "30d", "--out-dir", "out", "--deploy-hook", hook],
                           cwd=tmp_path, env=environment(emulator, zone), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        wait_for(tmp_path / "hook.pid", run)
        run.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert run.poll() is None, "cfcerts took a SIGINT it was started ignoring"
    finally:
        (tmp_path / "release").write_text("")
        out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "passed on" not in err
