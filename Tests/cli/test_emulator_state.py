"""The emulator's --state database under kill -9: bursts of creates and revokes from 4 threads, the emulator
SIGKILLed at a random moment, restarted on the same file, several rounds: no acknowledged change is lost, no stray
file is left, and a damaged or foreign file is refused with a message naming it, left untouched."""

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
    assert result.returncode != 0
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
