"""make bench, fleet rows: revoking and creating 1,000 certificates against an emulator whose budget makes the
floor (N / budget rate) 20 s: the cfcerts CLI (pacing, 8 at a time) vs a plain loop over the official Python SDK
vs the SDK with 8 threads; and `cfcerts apply` of a manifest of 1,000 entries (a key and CSR made for each, then
issued and written), which has no SDK counterpart. Each scenario starts from a full budget (the emulator's windows
reset) on a zone of its own; 429s are counted in the emulator's request log."""
import json
import os
import subprocess
import tempfile
import time
import urllib.request

from emulator_control import control

N = 1_000
BUDGET, WINDOW = 250, 5            # 50 requests/s: the floor for 1,000 is 20 s
FLOOR = N / (BUDGET / WINDOW)
# The budget comes in fixed windows: the first BUDGET go at once, so the last window opens at this.
WINDOW_FLOOR = (-(-N // BUDGET) - 1) * WINDOW
TOKEN = "cfcerts-emulator-token"
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = (("cfcerts CLI (pacing, 8 at a time)", "cli"), ("official SDK, plain loop", "loop"),
           ("official SDK, 8 threads", "threads"))


def run_scenario(root, env, command, zone, method):
    """Runs `command` from a full budget: wall time, and the emulator's count of its requests and 429s."""
    control(root, "DELETE", "/requests")
    control(root, "POST", "/rate-limit/reset")
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    if result.returncode not in (0, 12):
        raise SystemExit("%s failed (%d): %s" % (command[0], result.returncode, result.stderr[-2000:]))
    mine = [e for e in control(root, "GET", "/requests")["requests"] if e["method"] == method and zone in e["path"]]
    return {"wall": wall, "429": sum(1 for e in mine if e["status"] == 429),
            "done": sum(1 for e in mine if 200 <= e["status"] < 300)}


def listed_ids(root, base, zone):
    """The zone's ids, listed through the API from a full budget (run_scenario starts from a full one again)."""
    control(root, "POST", "/rate-limit/reset")
    ids = []
    for page in range(1, N // 50 + 1):
        request = urllib.request.Request("%s/zones/%s/client_certificates?per_page=50&page=%d" % (base, zone, page),
                                         headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(request) as response:
            ids += [c["id"] for c in json.loads(response.read())["result"]]
    return ids


def measure(bin_dir, venv_python):
    """{"revoke": {client: result}, "create": {client: result}}."""
    emulator = subprocess.Popen([os.path.join(bin_dir, "cfcerts-emulator"), "--port", "0", "--ca-key", "p256",
                                 "--rate-limit", "%d/%d" % (BUDGET, WINDOW), "--transition-delay", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="cfcerts-fleet-")
    try:
        base = emulator.stdout.readline().decode().strip()
        root = base[: -len("/client/v4")]
        env = dict(os.environ, CLOUDFLARE_API_TOKEN=TOKEN, CLOUDFLARE_BASE_URL=base)
        cli = os.path.join(bin_dir, "cfcerts")
        sdk = os.path.join(HERE, "official_sdk_bulk.py")
        # 1,000 CSRs (one P-256 key; the CSRs differ by subject), made once with openssl.
        key = os.path.join(work, "key.pem")
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key], check=True)
        csr_dir = os.path.join(work, "csrs")
        os.mkdir(csr_dir)
        for index in range(N):
            subprocess.run(["openssl", "req", "-new", "-key", key, "-subj", "/CN=device-%04d.example.com" % index,
                            "-out", os.path.join(csr_dir, "device-%04d.csr" % index)], check=True, capture_output=True)
        results = {"revoke": {}, "create": {}}
        for label, kind in CLIENTS:
            zone = os.urandom(16).hex()
            control(root, "POST", "/zones/%s/seed" % zone, {"count": N})
            ids = listed_ids(root, base, zone)
            ids_file = os.path.join(work, zone + ".ids")
            with open(ids_file, "w") as out:
                out.write("\n".join(ids))
            command = ([cli, "revoke", "--zone", zone, "--yes", "--output", "jsonl", *ids] if kind == "cli"
                       else [venv_python, sdk, "revoke", kind, zone, ids_file])
            results["revoke"][label] = run_scenario(root, env, command, zone, "DELETE")

            zone = os.urandom(16).hex()
            out_dir = os.path.join(work, zone)
            os.mkdir(out_dir)
            command = ([cli, "create", "--zone", zone, "--csr-dir", csr_dir, "--cert-dir", out_dir,
                        "--validity-days", "30", "--output", "jsonl"] if kind == "cli"
                       else [venv_python, sdk, "create", kind, zone, csr_dir])
            results["create"][label] = run_scenario(root, env, command, zone, "POST")

        zone = os.urandom(16).hex()
        manifest = os.path.join(work, "fleet.yaml")
        with open(manifest, "w") as out:
            out.write("zone: %s\ndefaults: {validity_days: 30, outputs: {dir: certs}}\ncertificates:\n" % zone)
            out.writelines("  - {name: device-%04d, subject: {common_name: device-%04d.example.com}}\n" % (i, i)
                           for i in range(N))
        results["apply"] = run_scenario(root, env, [cli, "apply", "-f", manifest, "--yes", "--output", "json"], zone, "POST")
        return results
    finally:
        emulator.terminate()
        emulator.wait()


def rows(results):
    """The target rows (cfcerts: 0 answers 429, within 1.1x the floor) and the table of every client."""
    targets, table = [], []
    for operation, verb in (("revoke", "revoke"), ("create", "create")):
        ours = results[operation][CLIENTS[0][0]]
        ok = ours["429"] == 0 and ours["wall"] <= FLOOR * 1.1 and ours["done"] == N
        sdk_loop, sdk_threads = results[operation][CLIENTS[1][0]], results[operation][CLIENTS[2][0]]
        targets.append(("18", "%s 1,000 at a %d / %d s budget (floor %.0f s): cfcerts CLI" % (verb, BUDGET, WINDOW, FLOOR),
                        "%.1f s (%.2fx the floor), %d answers 429; the SDK: %.1f s / %d 429s (loop), %.1f s / %d 429s (8 threads)" % (
                            ours["wall"], ours["wall"] / FLOOR, ours["429"], sdk_loop["wall"], sdk_loop["429"],
                            sdk_threads["wall"], sdk_threads["429"]),
                        "0 answers 429, <= 1.1x the floor", "met" if ok else "**missed**"))
        for label, _ in CLIENTS:
            result = results[operation][label]
            table.append("| %s | %s | %.1f s | %.2fx | %.2fx | %d | %d |" % (
                verb, label, result["wall"], result["wall"] / FLOOR, result["wall"] / WINDOW_FLOOR, result["done"],
                result["429"]))
    ours = results["apply"]
    ok = ours["429"] == 0 and ours["wall"] <= FLOOR * 1.1 and ours["done"] == N
    targets.append(("18", "apply a manifest of 1,000 new entries at a %d / %d s budget (floor %.0f s): cfcerts apply" % (BUDGET, WINDOW, FLOOR),
                    "%.1f s (%.2fx the floor), %d answers 429, %d issued (a key, a CSR and two files each)" % (
                        ours["wall"], ours["wall"] / FLOOR, ours["429"], ours["done"]),
                    "0 answers 429, <= 1.1x the floor", "met" if ok else "**missed**"))
    table.append("| apply (manifest) | cfcerts apply (pacing, 8 at a time) | %.1f s | %.2fx | %.2fx | %d | %d |" % (
        ours["wall"], ours["wall"] / FLOOR, ours["wall"] / WINDOW_FLOOR, ours["done"], ours["429"]))
    lines = ["", "Fleet work: 1,000 certificates against a budget of %d requests per %d s. The floor N / rate is %.0f s; as the" % (BUDGET, WINDOW, FLOOR),
             "budget comes in fixed windows (the first %d go at once), the last window opens at %.0f s." % (BUDGET, WINDOW_FLOOR),
             "", "| operation | client | wall | vs N / rate | vs the last window | done | answers 429 |",
             "| --- | --- | --- | --- | --- | --- | --- |"] + table
    return targets, lines
