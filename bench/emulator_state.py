"""make bench, emulator rows: what one change costs the emulator's --state database with 100 certificates stored
and with 100,000 (creates and revokes, one at a time over one keep-alive connection; the store's write is inside
each request), so a growing state is seen to cost nothing per change."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from emulator_control import control

TOKEN = "cfcerts-emulator-token"
SIZES = (100, 100_000)
CHANGES = 300


def _csr(work):
    key, csr = os.path.join(work, "key.pem"), os.path.join(work, "req.csr")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key], check=True)
    subprocess.run(["openssl", "req", "-new", "-key", key, "-subj", "/CN=state.example.com", "-out", csr], check=True)
    with open(csr) as source:
        return source.read()


def _per_change(bin_dir, work, stored, csr):
    """Seconds per create and per revoke with `stored` certificates in the database."""
    state = os.path.join(work, "state-%d.db" % stored)
    emulator = subprocess.Popen([os.path.join(bin_dir, "cfcerts-emulator"), "--port", "0", "--ca-key", "p256",
                                 "--no-rate-limit", "--transition-delay", "0", "--state", state],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        base = emulator.stdout.readline().decode().strip()
        root = base[: -len("/client/v4")]
        zone = os.urandom(16).hex()
        control(root, "POST", "/zones/%s/seed" % zone, {"count": stored})
        host, port = root[len("http://"):].split(":")
        connection = http.client.HTTPConnection(host, int(port))
        headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
        body = json.dumps({"csr": csr, "validity_days": 30})
        path = "/client/v4/zones/%s/client_certificates" % zone

        def request(method, target, payload=None):
            connection.request(method, target, body=payload, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            if answer.status != 200:
                raise SystemExit("%s %s: %d %s" % (method, target, answer.status, data[:300]))
            return json.loads(data)

        started = time.perf_counter()
        ids = [request("POST", path, body)["result"]["id"] for _ in range(CHANGES)]
        creates = (time.perf_counter() - started) / CHANGES
        started = time.perf_counter()
        for certificate in ids:
            request("DELETE", path + "/" + certificate)
        revokes = (time.perf_counter() - started) / CHANGES
        return {"create": creates, "revoke": revokes, "bytes": os.path.getsize(state)}
    finally:
        emulator.terminate()
        emulator.wait()


def measure(bin_dir):
    """{stored: {"create": s, "revoke": s, "bytes": n}} for each size."""
    work = tempfile.mkdtemp(prefix="cfcerts-state-")
    try:
        csr = _csr(work)
        return {stored: _per_change(bin_dir, work, stored, csr) for stored in SIZES}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rows(results):
    small, big = results[SIZES[0]], results[SIZES[-1]]
    rows = []
    for change in ("create", "revoke"):
        ratio = big[change] / small[change]
        rows.append(("21", "emulator --state: one %s with 100,000 certificates stored vs 100" % change,
                     "%.2f ms vs %.2f ms: %.2fx" % (big[change] * 1e3, small[change] * 1e3, ratio), "<= 1.5x",
                     "met" if ratio <= 1.5 else "**missed**"))
    return rows


if __name__ == "__main__":
    for row in rows(measure(sys.argv[1])):
        print("| %s | %s | %s | %s | %s |" % row)
