#!/usr/bin/env python3
"""make bench: every scenario against one release emulator in one run, as medians and ratios (never absolute
targets: the machine is shared and noisy). Writes the table to bench/README.md with the date and the machine.

Usage: bench/run.py BIN_DIR C_BENCH LIST_CERTS LIB_DIR VENV_PYTHON
(the Python binding runs from bindings/python/src with the staged library, in VENV_PYTHON like the official SDK)
  BIN_DIR      release build with cfcerts-emulator, cfcerts-bench and cfcerts (fleet rows: bench/fleet.py)
  C_BENCH      bench/list_bench.c built against the staged library
  LIST_CERTS   examples/c/list_certs.c built the same way (cold start)
  LIB_DIR      the staged library (stage/lib)
  VENV_PYTHON  a Python with Cloudflare's official SDK installed
"""
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import emulator_state
import fleet
from emulator_control import control

BIN, C_BENCH, LIST_CERTS, LIB_DIR, VENV_PYTHON = sys.argv[1:6]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TOKEN = "cfcerts-emulator-token"
ZONE = "0123456789abcdef0123456789abcdef"         # 10,000 certificates
BIG_ZONE = "fedcba9876543210fedcba9876543210"     # 100,000 certificates
HERE = os.path.dirname(os.path.abspath(__file__))


def measure(command, env):
    """Runs `command` to its end: (wall seconds, CPU seconds, peak RSS in MB, stdout)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit("%s failed: %s" % (command[0], process.stderr.read().decode()[-2000:]))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.decode()


def first_line_matching(command, env, pattern):
    """Seconds from process start to the first stdout line matching `pattern`."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for line in process.stdout:
        if re.search(pattern, line.decode()):
            elapsed = time.monotonic() - started
            process.kill()
            process.wait()
            return elapsed
    process.wait()
    sys.exit("%s printed no line matching %s" % (command[0], pattern))


def alternate(scenarios, env, runs=RUNS):
    """Runs every scenario `runs` times, alternating, and keeps each measurement."""
    results = {name: [] for name in scenarios}
    for _ in range(runs):
        for name, command in scenarios.items():
            results[name].append(measure(command, env))
    return results


def median(values):
    return statistics.median(values)


def main():
    emulator = subprocess.Popen([os.path.join(BIN, "cfcerts-emulator"), "--port", "0", "--rate-limit", "1000000000/300", "--ca-key", "p256",
                                 "--transition-delay", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        base = emulator.stdout.readline().decode().strip()
        root = base[: -len("/client/v4")]
        env = dict(os.environ, CLOUDFLARE_API_TOKEN=TOKEN, CLOUDFLARE_BASE_URL=base, LD_LIBRARY_PATH=LIB_DIR,
                   CFCERTS_LIBRARY=os.path.join(LIB_DIR, "libcfcerts.so.0"),
                   PYTHONPATH=os.path.join(HERE, "..", "bindings", "python", "src"))
        control(root, "POST", "/zones/%s/seed" % ZONE, {"count": 10_000})
        control(root, "POST", "/zones/%s/seed" % BIG_ZONE, {"count": 100_000})

        work = tempfile.mkdtemp(prefix="cfcerts-bench-")
        def curl_config(zone, pages):
            path = os.path.join(work, zone + ".curl")
            with open(path, "w") as config:
                config.write('header = "Authorization: Bearer %s"\n' % TOKEN)
                for page in range(1, pages + 1):
                    config.write('url = "%s/zones/%s/client_certificates?page=%d&per_page=50"\noutput = "/dev/null"\n' % (base, zone, page))
            return path
        floor = ["curl", "-s", "-K", curl_config(ZONE, 200)]
        # Warm-up: every seeded certificate is signed on its first read.
        measure(floor, env)
        measure(["curl", "-s", "-K", curl_config(BIG_ZONE, 2000)], env)

        swift_bench = os.path.join(BIN, "cfcerts-bench")
        scenarios = {
            "floor: curl, 200 pages on one connection": floor,
            "official Python SDK (cloudflare 5.9.0)": [VENV_PYTHON, os.path.join(HERE, "official_sdk_list.py"), ZONE, "10000"],
            "cfcerts C iterator": [C_BENCH, "iter", ZONE, "10000"],
            "cfcerts Python binding": [VENV_PYTHON, os.path.join(HERE, "python_binding_list.py"), ZONE, "10000"],
            "cfcerts Swift list()": [swift_bench, "list", ZONE, "10000"],
            "official Python SDK, AsyncCloudflare": [VENV_PYTHON, os.path.join(HERE, "official_sdk_async_list.py"), ZONE, "10000"],
            "cfcerts Python AsyncClient": [VENV_PYTHON, os.path.join(HERE, "async_binding_list.py"), ZONE, "10000"],
        }
        listing = alternate(scenarios, env)

        # A real network: 50 ms added to every page answer.
        control(root, "POST", "/faults", {"kind": "delay", "method": "GET", "delay_ms": 50, "count": 1_000_000,
                                          "path": "/client/v4/zones/%s/client_certificates" % ZONE})
        slow = alternate({"official Python SDK, 50 ms a page": scenarios["official Python SDK (cloudflare 5.9.0)"],
                          "cfcerts C iterator, 50 ms a page": scenarios["cfcerts C iterator"]}, env, runs=3)
        control(root, "DELETE", "/faults")

        request = urllib.request.Request(base + "/zones/%s/client_certificates?per_page=5" % ZONE,
                                         headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(request) as response:
            certificate_id = json.loads(response.read())["result"][0]["id"]
        gets = {"C": [], "Swift": []}
        for _ in range(3):
            gets["C"].append([float(v) for v in measure([C_BENCH, "gets", ZONE, certificate_id, "1000"], env)[3].split()])
            gets["Swift"].append([float(v) for v in measure([swift_bench, "gets", ZONE, certificate_id, "1000"], env)[3].split()])

        memory = alternate({"C iterator, 100,000": [C_BENCH, "iter", BIG_ZONE, "100000"],
                            "Swift list(), 100,000": [swift_bench, "list", BIG_ZONE, "100000"]}, env, runs=1)

        cold = {"C example, first certificate printed": [], "curl, one request": []}
        for _ in range(RUNS):
            cold["C example, first certificate printed"].append(
                first_line_matching([LIST_CERTS, ZONE], env, r"^[0-9a-f]{32}\b"))
            cold["curl, one request"].append(measure(["curl", "-s", "-o", "/dev/null", "-H", "Authorization: Bearer " + TOKEN,
                                                      base + "/zones/%s/client_certificates?per_page=50" % ZONE], env)[0])
    finally:
        emulator.terminate()
        emulator.wait()

    fleet_results = fleet.measure(BIN, VENV_PYTHON)
    state_results = emulator_state.measure(BIN)
    library = os.path.join(LIB_DIR, "libcfcerts.so.0")
    report(listing, slow, gets, memory, cold, os.stat(library).st_size, fleet_results, state_results)


def report(listing, slow, gets, memory, cold, library_bytes, fleet_results, state_results):
    wall = {name: median([run[0] for run in runs]) for name, runs in listing.items()}
    cpu = {name: median([run[1] for run in runs]) for name, runs in listing.items()}
    rss = {name: max(run[2] for run in runs) for name, runs in listing.items()}
    slow_wall = {name: median([run[0] for run in runs]) for name, runs in slow.items()}
    floor, sdk = wall["floor: curl, 200 pages on one connection"], wall["official Python SDK (cloudflare 5.9.0)"]
    c, swift = wall["cfcerts C iterator"], wall["cfcerts Swift list()"]
    python = wall["cfcerts Python binding"]
    python_async, sdk_async = wall["cfcerts Python AsyncClient"], wall["official Python SDK, AsyncCloudflare"]
    c_get = median([run[0] for run in gets["C"]]), median([run[1] for run in gets["C"]])
    swift_get = median([run[0] for run in gets["Swift"]]), median([run[1] for run in gets["Swift"]])
    big = {name: runs[0][2] for name, runs in memory.items()}
    cold_c, cold_curl = median(cold["C example, first certificate printed"]), median(cold["curl, one request"])

    def verdict(ok):
        return "met" if ok else "**missed**"

    rows = [
        ("1", "list 10,000 via the C iterator vs the official SDK", "%.2f s vs %.2f s: %.1fx its speed" % (c, sdk, sdk / c), ">= 5x", verdict(sdk / c >= 5)),
        ("1", "... vs the floor (curl)", "%.2f s vs %.2f s: %.2fx the floor" % (c, floor, c / floor), "<= 1.5x", verdict(c / floor <= 1.5)),
        ("1", "client CPU per certificate (C iterator process)", "%.1f us" % (cpu["cfcerts C iterator"] / 10_000 * 1e6), "<= 20 us",
         verdict(cpu["cfcerts C iterator"] / 10_000 * 1e6 <= 20)),
        ("2", "50 ms a page: C iterator vs the official SDK", "%.2f s vs %.2f s: %.1fx its speed" % (
            slow_wall["cfcerts C iterator, 50 ms a page"], slow_wall["official Python SDK, 50 ms a page"],
            slow_wall["official Python SDK, 50 ms a page"] / slow_wall["cfcerts C iterator, 50 ms a page"]), ">= 3x",
         verdict(slow_wall["official Python SDK, 50 ms a page"] / slow_wall["cfcerts C iterator, 50 ms a page"] >= 3)),
        ("3", "1,000 gets: C ABI vs Swift API, median (p99)", "%.0f us (%.0f) vs %.0f us (%.0f): %+.1f%%" % (
            c_get[0], c_get[1], swift_get[0], swift_get[1], (c_get[0] / swift_get[0] - 1) * 100), "<= +10%",
         verdict(c_get[0] <= swift_get[0] * 1.10)),
        ("4", "peak RSS listing 10,000: C iterator / Swift list()", "%.1f MB / %.1f MB" % (rss["cfcerts C iterator"], rss["cfcerts Swift list()"]),
         "within 10 MB, < 60 MB", verdict(abs(rss["cfcerts C iterator"] - rss["cfcerts Swift list()"]) <= 10 and max(rss["cfcerts C iterator"], rss["cfcerts Swift list()"]) < 60)),
        ("4", "peak RSS listing 100,000: C iterator / Swift list()", "%.1f MB / %.1f MB" % (big["C iterator, 100,000"], big["Swift list(), 100,000"]),
         "within 10 MB, < 60 MB", verdict(abs(big["C iterator, 100,000"] - big["Swift list(), 100,000"]) <= 10 and max(big.values()) < 60)),
        ("5", "cold start: C example to first certificate vs one curl request", "%.0f ms vs %.0f ms: %.2fx" % (cold_c * 1000, cold_curl * 1000, cold_c / cold_curl),
         "<= 1.5x", verdict(cold_c / cold_curl <= 1.5)),
        ("6", "stripped libcfcerts.so", "%.1f MB" % (library_bytes / 1e6), "<= 30 MB", verdict(library_bytes <= 30e6)),
        ("7", "Swift list() vs the C iterator", "%.2f s vs %.2f s: %.2fx" % (swift, c, swift / c), "<= 1.0x", verdict(swift <= c * 1.0)),
        ("9", "list 10,000: the Python binding vs the official Python SDK (same interpreter)",
         "%.2f s vs %.2f s: %.1fx its speed" % (python, sdk, sdk / python), ">= 3x", verdict(sdk / python >= 3)),
        ("20", "list 10,000 with async for: AsyncClient vs the official AsyncCloudflare (same interpreter)",
         "%.2f s vs %.2f s: %.1fx its speed" % (python_async, sdk_async, sdk_async / python_async), ">= 3x",
         verdict(sdk_async / python_async >= 3)),
    ]
    fleet_rows, fleet_table = fleet.rows(fleet_results)
    rows += fleet_rows
    rows += emulator_state.rows(state_results)
    cpu_model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    lines = [
        "# make bench",
        "",
        "The last run of `make bench` (it rewrites this file). Release builds of the emulator, the library and the Swift",
        "bench; one emulator, rate limiting off, P-256 CA; 10,000 certificates at 50 a page (200 pages); medians of %d" % RUNS,
        "alternating runs (3 with latency), each scenario a process of its own. Ratios are within this one run.",
        "",
        "Run %s on %s, %d cores." % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), cpu_model, os.cpu_count()),
        "",
        "| target | what | measured | goal | |",
        "| --- | --- | --- | --- | --- |",
    ] + ["| %s | %s | %s | %s | %s |" % row for row in rows] + [
        "",
        "Listing 10,000 certificates, every scenario:",
        "",
        "| scenario | wall (median) | CPU | peak RSS |",
        "| --- | --- | --- | --- |",
    ] + ["| %s | %.2f s | %.2f s | %.1f MB |" % (name, wall[name], cpu[name], rss[name]) for name in listing] + fleet_table + [
        "",
        PROFILE_NOTES,
    ]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(HERE, "README.md"), "w") as out:
        out.write(text)


# Kept with every table: where the time went when a target was last missed, and what was tried (perf record on
# the release cfcerts-bench listing 10,000 certificates; see the issue notes for the commands).
PROFILE_NOTES = """## Profile notes (2026-11-28)

Before this work the C iterator listed 10,000 certificates in 2.31 s (the official SDK 3.62 s, curl 0.44 s): every
certificate was decoded into a model, encoded again and crossed the bridge on its own. Now a page crosses once,
certificates are handed out as the server's JSON, and 4 pages are fetched ahead (a method/closure name clash had
silently disabled prefetching; `PaginationTests.prefetchOverlaps` now guards it).

Target 7 (Swift `list()` at least as fast as the C iterator) is missed by about a third. The Swift path must build
a `ClientCertificate` (17 strings) per certificate where C copies bytes. Tried: Codable -> the same scanner the C
path uses, decoding straight into the model (client CPU 1.07 s -> 0.28 s for 10,000); strings built as UTF-8 bytes and PEM line endings
normalised while unescaping (removed `PEM.normalized` and `UTF8View.contains`, 9% of samples). What is left, by
`perf report --no-children`: kernel task switches and wake-ups 15% (hops between the event loop and the
cooperative pool), retain/release 11%, JSON string scanning 10%, malloc/free 5%. The C iterator spends the same
scanning time but makes no strings and hops once a page on its own threads.
"""

if __name__ == "__main__":
    main()
