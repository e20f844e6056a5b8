"""The emulator's --state database under kill -9: bursts of creates and revokes from 4 threads, the emulator
SIGKILLed at a random moment, restarted on the same file, several rounds: no acknowledged change is lost, no stray
file is left, and a damaged or foreign file is refused with a message naming it, left untouched. A database killed
in the middle of a checkpoint starts whole; a second emulator on the same file is refused at once; after SIGTERM
the main file alone holds the state."""

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing

from conftest import TOKEN

ZONE = "0123456789abcdef0123456789abcdef"


def start(state, *flags):
    process = subprocess.Popen([os.environ["CFCERTS_EMULATOR"], "--port", "0", "--state", str(state),
                                "--transition-delay", "0", "--rate-limit", "1000000000/300", *flags],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = process.stdout.readline().strip()
    assert base.startswith("http://"), process.stderr.read()
    return process, base


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def stop(process, signal_number=signal.SIGTERM):
    process.send_signal(signal_number)
    process.wait(timeout=60)
    process.stdout.close()
    process.stderr.close()


def create(base, pem, count):
    return [call(base, "POST", f"/zones/{ZONE}/client_certificates", {"csr": pem, "validity_days": 30})["result"]["id"]
            for _ in range(count)]


def listed_ids(base):
    ids, page = set(), 1
    while True:
        answer = call(base, "GET", f"/zones/{ZONE}/client_certificates?per_page=50&page={page}")
        ids.update(c["id"] for c in answer["result"])
        if page >= answer["result_info"]["total_pages"]:
            return ids
        page += 1


def csr(tmp_path):
    key, request = tmp_path / "k.pem", tmp_path / "r.csr"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)], check=True)
    subprocess.run(["openssl", "req", "-new", "-key", str(key), "-subj", "/CN=durable.example.com", "-out", str(request)],
                   check=True)
    return request.read_text()


def test_kill_9_during_bursts_loses_no_acknowledged_change(tmp_path):
    state = tmp_path / "state.db"
    pem = csr(tmp_path)
    created, revoked = set(), set()
    lock = threading.Lock()
    random.seed(int(hashlib.sha256(str(tmp_path).encode()).hexdigest()[:8], 16))
    for _ in range(6):
        process, base = start(state)
        stop = threading.Event()

        def burst():
            while not stop.is_set():
                try:
                    with lock:
                        target = random.choice(sorted(created - revoked)) if len(created - revoked) > 5 and random.random() < 0.3 else None
                    if target:
                        call(base, "DELETE", f"/zones/{ZONE}/client_certificates/{target}")
                        with lock:
                            revoked.add(target)  # acknowledged
                    else:
                        answer = call(base, "POST", f"/zones/{ZONE}/client_certificates", {"csr": pem, "validity_days": 30})
                        with lock:
                            created.add(answer["result"]["id"])  # acknowledged
                except (urllib.error.URLError, ConnectionError, OSError, json.JSONDecodeError):
                    return  # the kill

        threads = [threading.Thread(target=burst) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(0.3, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        process.stdout.close()
        process.stderr.close()

    process, base = start(state)
    try:
        stored, page = {}, 1
        while True:
            answer = call(base, "GET", f"/zones/{ZONE}/client_certificates?per_page=50&page={page}")
            stored.update({c["id"]: c["status"] for c in answer["result"]})
            if page >= answer["result_info"]["total_pages"]:
                break
            page += 1
    finally:
        process.terminate()
        process.wait()
    assert len(created) > 50 and len(revoked) > 5, (len(created), len(revoked))
    missing = created - set(stored)
    assert not missing, f"{len(missing)} acknowledged creates lost"
    assert all(stored[i] in ("pending_revocation", "revoked") for i in revoked)
    # Only the database and SQLite's own files: no temporary copy of the CA key anywhere.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("state")) <= \
        ["state.db", "state.db-shm", "state.db-wal"]
    assert oct(state.stat().st_mode & 0o777) == "0o600"


def refused(tmp_path, state):
    before = state.read_bytes()
    result = subprocess.run([os.environ["CFCERTS_EMULATOR"], "--port", "0", "--state", str(state)],
                            capture_output=True, text=True, timeout=30)
    # Not a usage error: the message alone, exit 1.
    assert result.returncode == 1 and "Usage:" not in result.stderr, (result.returncode, result.stderr)
    assert state.read_bytes() == before, "the file was changed"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(state.name)) == [state.name]
    return result.stderr


def test_a_damaged_database_is_refused_untouched_with_a_message_naming_it(tmp_path):
    state = tmp_path / "state.db"
    process, base = start(state)
    call(base, "POST", f"/zones/{ZONE}/client_certificates", {"csr": csr(tmp_path), "validity_days": 30})
    process.terminate()
    process.wait()
    with sqlite3.connect(state) as connection:  # everything into the main file, the -wal and -shm gone
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode = DELETE")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("state")) == ["state.db"]
    data = bytearray(state.read_bytes())
    assert len(data) > 4096
    for offset in range(4096, len(data), 7):  # every page after the header's: the tables' b-trees
        data[offset] ^= 0x5A
    state.write_bytes(bytes(data))
    state.chmod(0o600)
    message = refused(tmp_path, state)
    assert str(state) in message and "damaged" in message


def test_garbage_foreign_and_old_json_state_files_are_refused_untouched(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(8192))
    garbage.chmod(0o600)
    assert str(garbage) in refused(tmp_path, garbage)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    foreign.chmod(0o600)
    assert "another program" in refused(tmp_path, foreign)
    old = tmp_path / "old.json"
    old.write_text('{"version": 1, "zones": {}}')
    old.chmod(0o600)
    assert "JSON state file of an earlier" in refused(tmp_path, old)


def test_a_second_emulator_on_the_same_state_is_refused_at_once_naming_it(tmp_path):
    state = tmp_path / "state.db"
    pem = csr(tmp_path)
    first, base = start(state)
    try:
        before = create(base, pem, 3)
        try:
            second = subprocess.run([os.environ["CFCERTS_EMULATOR"], "--port", "0", "--state", str(state)],
                                    capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired as still_running:
            raise AssertionError("a second emulator started and served on the same --state file") from still_running
        assert second.returncode == 1 and "Usage:" not in second.stderr, (second.returncode, second.stderr)
        assert str(state) in second.stderr and "in use" in second.stderr, second.stderr
        assert second.stdout == ""  # it never listened
        create(base, pem, 2)  # the first one goes on serving, alone
        assert listed_ids(base) >= set(before)
    finally:
        stop(first)
    again, base = start(state)  # released at exit
    try:
        assert len(listed_ids(base)) == 5
    finally:
        stop(again)


def test_sigterm_leaves_the_whole_state_in_the_main_file(tmp_path):
    state = tmp_path / "state.db"
    process, base = start(state, "--mtls-port", "0")  # as make demo starts it: the gateway holds the emulator too
    ids = create(base, csr(tmp_path), 20)
    stop(process, signal.SIGTERM)
    assert process.returncode == 0
    wal = tmp_path / "state.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0, f"the -wal still holds {wal.stat().st_size} bytes"
    # The main file on its own (immutable: SQLite reads no -wal) holds every certificate.
    with closing(sqlite3.connect(f"file:{state}?immutable=1", uri=True)) as connection:
        stored = {row[0] for row in connection.execute("SELECT id FROM certificates")}
    assert stored == set(ids)


def remove_shared_memory(tmp_path):
    if (tmp_path / "state.db-shm").exists():
        os.remove(tmp_path / "state.db-shm")


def crash(state, pem, count):
    """Runs an emulator on `state`, creates `count` certificates, SIGKILLs it: the changes are in the -wal only."""
    process, base = start(state)
    ids = create(base, pem, count)
    stop(process, signal.SIGKILL)
    return ids


def test_a_database_killed_in_the_middle_of_a_checkpoint_starts_with_every_change(tmp_path):
    state = tmp_path / "state.db"
    pem = csr(tmp_path)
    ids = crash(state, pem, 5)
    with closing(sqlite3.connect(state)) as connection:  # the first 5 into the main file: before the checkpoint
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    remove_shared_memory(tmp_path)
    ids += crash(state, pem, 40)
    before, log = state.read_bytes(), (tmp_path / "state.db-wal").read_bytes()
    assert len(log) > 0
    # What SQLite's checkpoint writes, in page order, once it is done...
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "state.db").write_bytes(before)
    (scratch / "state.db-wal").write_bytes(log)
    with closing(sqlite3.connect(scratch / "state.db")) as connection:
        busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and frames == copied > 0
    after = (scratch / "state.db").read_bytes()
    page = 4096
    pages = len(after) // page
    assert pages > 4
    # ...killed halfway: the first half of the pages written, the rest as they were; the -wal intact.
    cut = (pages // 2) * page
    state.write_bytes(after[:cut] + before[cut:])
    (tmp_path / "state.db-wal").write_bytes(log)
    remove_shared_memory(tmp_path)  # as after a reboot: SQLite rebuilds it from the -wal
    process, base = start(state)
    try:
        assert listed_ids(base) == set(ids)
    finally:
        stop(process)


def test_a_truncated_database_is_refused_untouched(tmp_path):
    state = tmp_path / "state.db"
    process, base = start(state, "--mtls-port", "0")
    create(base, csr(tmp_path), 20)
    stop(process, signal.SIGTERM)
    data = state.read_bytes()
    state.write_bytes(data[: len(data) // 2])  # the header intact, the second half gone
    message = refused(tmp_path, state)
    assert str(state) in message and "damaged" in message


def test_a_database_killed_in_its_first_transaction_is_rolled_back_and_starts(tmp_path):
    # Only a new file's first transaction runs with a rollback journal (then the database is in WAL mode). Made here
    # by SQLite itself: a transaction big enough to spill into the main file, copied with its hot journal.
    source = tmp_path / "source.db"
    with closing(sqlite3.connect(source, isolation_level=None)) as connection:
        connection.execute("PRAGMA application_id = 1667654501")  # the emulator's ("cfce") and schema version
        connection.execute("PRAGMA user_version = 1")
        connection.execute("CREATE TABLE filler (x BLOB)")
        connection.execute("PRAGMA cache_size = 2")
        connection.execute("BEGIN")
        for _ in range(200):
            connection.execute("INSERT INTO filler VALUES (?)", (os.urandom(1000),))
        state = tmp_path / "state.db"
        state.write_bytes(source.read_bytes())
        (tmp_path / "state.db-journal").write_bytes((tmp_path / "source.db-journal").read_bytes())
        connection.execute("ROLLBACK")
    state.chmod(0o600)
    (tmp_path / "state.db-journal").chmod(0o600)
    process, base = start(state)
    try:
        ids = create(base, csr(tmp_path), 1)
    finally:
        stop(process)
    assert not (tmp_path / "state.db-journal").exists()
    process, base = start(state)
    try:
        assert listed_ids(base) == set(ids)
    finally:
        stop(process)
