"""Bulk runs from Python: outcomes as they complete, failures isolated, a journal that records one run (a
finished one is refused, one in use too), cancel from another thread and while a create is being settled, and the
pacing keyword."""

import threading
import time

import pytest

import cfcerts
from conftest import TOKEN


def ids_of(client, zone):
    return [c.id for c in client.client_certificates.list(zone)]


def test_bulk_revoke_reports_each_item_and_a_failure_stops_nothing(client, emulator, zone):
    emulator.seed(zone, 10)
    ids = ids_of(client, zone)
    missing = "0" * 32
    with client.client_certificates.bulk_revoke([*ids[:3], missing, *ids[3:]], zone_id=zone, concurrency=3) as run:
        outcomes = list(run)
    assert sorted(o.index for o in outcomes) == list(range(11))
    failed = [o for o in outcomes if not o.ok]
    assert [o.id for o in failed] == [missing] and isinstance(failed[0].error, cfcerts.NotFound)
    assert failed[0].error.ray_id
    assert {o.certificate.status for o in outcomes if o.ok} == {cfcerts.PENDING_REVOCATION}
    assert run.summary == cfcerts.BulkSummary(total=11, done=10, already_done=0, failed=1, not_started=0,
                                              rate_limited_answers=0, elapsed=run.summary.elapsed)
    assert list(run) == []  # one pass


def test_bulk_create_with_a_journal_records_one_run(client, emulator, zone, tmp_path):
    csrs = [cfcerts.generate_csr(common_name=f"d{i}.example.com").csr_pem for i in range(5)]
    items = [{"csr": csr, "name": f"d{i}"} for i, csr in enumerate(csrs)]
    journal = str(tmp_path / "create.journal")
    first = list(client.client_certificates.bulk_create(items, zone_id=zone, validity_days=30, journal=journal))
    assert sorted(o.name for o in first) == [f"d{i}" for i in range(5)] and all(o.status == "done" for o in first)
    assert all(o.certificate.validity_days == 30 for o in first)
    with pytest.raises(cfcerts.InvalidArgument, match="pass a new journal"):
        client.client_certificates.bulk_create(items, zone_id=zone, validity_days=30, journal=journal)
    assert len(ids_of(client, zone)) == 5
    with pytest.raises(cfcerts.InvalidArgument, match="create run"):
        client.client_certificates.bulk_revoke([], zone_id=zone, journal=journal)


def test_a_journal_in_use_by_another_run_is_refused(client, emulator, zone, tmp_path):
    emulator.seed(zone, 1)
    ids = ids_of(client, zone)
    emulator.fault(kind="delay", method="DELETE", delay_ms=1500)
    journal = str(tmp_path / "revoke.journal")
    with client.client_certificates.bulk_revoke(ids, zone_id=zone, journal=journal) as first:
        with pytest.raises(cfcerts.InUse, match="in use"):
            client.client_certificates.bulk_revoke(ids, zone_id=zone, journal=journal)
        assert [o.status for o in first] == ["done"]


def test_cancel_ends_a_run_settling_a_create_by_a_long_listing(client, emulator, zone, tmp_path):
    csr = cfcerts.generate_csr(common_name="lost.example.com").csr_pem
    journal = str(tmp_path / "create.journal")
    emulator.fault(kind="drop", method="POST", path=f"/client/v4/zones/{zone}/client_certificates")
    assert [o.status for o in client.client_certificates.bulk_create([{"csr": csr}], zone_id=zone, journal=journal)] \
        == ["failed"]
    emulator.seed(zone, 250)
    # The resumed run settles the lost create by listing the zone: every page takes 20 s (the listing, 40 s or more).
    emulator.fault(kind="delay", method="GET", path=f"/client/v4/zones/{zone}/client_certificates", count=100,
                   delay_ms=20000)
    run = client.client_certificates.bulk_create([{"csr": csr}], zone_id=zone, journal=journal)
    time.sleep(2)  # the listing has started (a delayed request is logged only when it ends: nothing to poll)
    cancelled = time.monotonic()
    run.cancel()
    outcomes = list(run)
    assert time.monotonic() - cancelled < 10  # generous: the listing alone would take 40 s more
    assert [type(o.error) for o in outcomes] == [cfcerts.Cancelled]
    run.close()


def test_bad_items_are_refused_before_anything_is_sent(client, emulator, zone):
    before = emulator.request_count(zone)
    for call in (lambda: client.client_certificates.bulk_revoke(["a", "a"], zone_id=zone),
                 lambda: client.client_certificates.bulk_revoke([".."], zone_id=zone),
                 lambda: client.client_certificates.bulk_revoke(["a"], zone_id=zone, concurrency=0),
                 lambda: client.client_certificates.bulk_create([{"csr": ""}], zone_id=zone),
                 lambda: client.client_certificates.bulk_create([42], zone_id=zone),
                 lambda: client.client_certificates.bulk_create(["\ud800"], zone_id=zone)):
        with pytest.raises(cfcerts.InvalidArgument):
            call()
    assert emulator.request_count(zone) == before


def test_cancel_from_another_thread_starts_no_more_items(client, emulator, zone):
    emulator.seed(zone, 40)
    ids = ids_of(client, zone)
    emulator.fault(kind="delay", method="DELETE", count=100, delay_ms=100)
    run = client.client_certificates.bulk_revoke(ids, zone_id=zone, concurrency=2)
    first = next(run)
    threading.Thread(target=run.cancel).start()
    rest = list(run)
    assert run.summary.not_started > 20
    assert 1 + len(rest) + run.summary.not_started == 40
    assert first.index in range(40)
    time.sleep(0.3)  # the revokes in flight at the cancel reach the server's log within their 100 ms delay


def test_pacing_keyword(emulator, zone):
    for bad in ("sometimes", "5/", (0, 10), (5, 0), (1, 86401), 12):
        with pytest.raises(cfcerts.InvalidArgument):
            cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url, pacing=bad)
    for good in ("off", "100/10", (50, 5)):
        with cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url, pacing=good) as client:
            assert client.client_certificates.list_page(zone).result == ()


def test_an_unwritable_journal_still_hands_out_the_issued_certificate(client, emulator, zone, tmp_path):
    """The journal cannot take the record of an issue (a file size limit): the outcome still carries the certificate,
    with `journal_error` saying why the record is missing, and the summary says so too."""
    import json
    import os
    import resource
    import signal
    import subprocess
    import sys

    csr = cfcerts.generate_csr(common_name="kept.example.com").csr_pem
    journal = tmp_path / "create.journal"
    emulator.fault(kind="drop", method="POST", path=f"/client/v4/zones/{zone}/client_certificates")
    assert [o.status for o in client.client_certificates.bulk_create([csr], zone_id=zone, journal=str(journal),
                                                                        )] == ["failed"]
    sent = next(line for line in journal.read_text().splitlines(keepends=True) if '"event":"sent"' in line)
    limit = journal.stat().st_size + len(sent.encode()) + 8  # room for the resumed run's "sent", not its "done"

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    script = """
import json, sys, cfcerts
with cfcerts.Client(api_token=sys.argv[1], base_url=sys.argv[2], timeout=5) as client:
    run = client.client_certificates.bulk_create([sys.argv[5]], zone_id=sys.argv[3], journal=sys.argv[4])
    (outcome,) = list(run)
    print(json.dumps({"status": outcome.status, "id": outcome.certificate and outcome.certificate.id,
                      "journal_error": type(outcome.journal_error).__name__,
                      "summary_journal_error": type(run.summary.journal_error).__name__}))
"""
    child = subprocess.run([sys.executable, "-c", script, TOKEN, emulator.base_url, zone, str(journal), csr],
                           capture_output=True, text=True, timeout=120, preexec_fn=limit_file_size, env=os.environ)
    assert child.returncode == 0, child.stderr
    answer = json.loads(child.stdout)
    (issued,) = ids_of(client, zone)
    assert answer["status"] == "done" and answer["id"] == issued
    assert answer["journal_error"] != "NoneType" and answer["summary_journal_error"] != "NoneType", answer
