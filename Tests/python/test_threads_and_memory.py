"""Threads sharing one client overlap (calls release the GIL), and a long loop of calls keeps memory flat."""

import ctypes
import gc
import threading
import time

import cfcerts

CALLS = 2000
THREADS = 8
SERVER_DELAY_MS = 3


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def malloc_in_use_bytes() -> int:
    """Bytes malloc has handed out and not had back, in every arena and in its own mappings (glibc 2.33's mallinfo2).
    A leak shows here; the resident set also moves with what the allocator keeps cached per thread, which is not one."""
    mallinfo2 = ctypes.CDLL(None).mallinfo2
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


def test_eight_threads_share_one_client(client, emulator, zone):
    created = client.client_certificates.create(zone_id=zone, csr=cfcerts.generate_csr("threads.example.com").csr_pem)
    # A few milliseconds of server time per call: overlapping calls are then visible in the wall time even on a
    # busy 2-core machine, because the waiting happens with the GIL released.
    emulator.fault(kind="delay", delay_ms=SERVER_DELAY_MS, count=CALLS + CALLS // 8,
                   path="/client/v4/zones/*/client_certificates/*")

    sequential_calls = CALLS // 8
    start = time.perf_counter()
    for _ in range(sequential_calls):
        client.client_certificates.get(created.id, zone_id=zone)
    sequential_per_call = (time.perf_counter() - start) / sequential_calls

    errors, seen = [], []
    lock = threading.Lock()

    def worker():
        for _ in range(CALLS // THREADS):
            try:
                certificate = client.client_certificates.get(created.id, zone_id=zone)
                with lock:
                    seen.append(certificate.id)
            except Exception as error:  # noqa: BLE001 - every failure counts
                with lock:
                    errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    threaded_per_call = (time.perf_counter() - start) / CALLS

    assert errors == []
    assert len(seen) == CALLS and set(seen) == {created.id}
    assert threaded_per_call < sequential_per_call / 2, (
        f"8 threads: {threaded_per_call * 1e3:.2f} ms a call, sequential {sequential_per_call * 1e3:.2f} ms")


def test_ten_thousand_calls_keep_memory_flat(client, emulator, zone):
    emulator.seed(zone, 6)
    created = client.client_certificates.create(zone_id=zone, csr=cfcerts.generate_csr("memory.example.com").csr_pem)

    def one_round(index: int) -> None:
        kind = index % 4
        if kind == 0:
            client.client_certificates.get(created.id, zone_id=zone)
        elif kind == 1:
            client.client_certificates.list_page(zone, per_page=5)
        elif kind == 2:
            try:
                client.client_certificates.get("missing", zone_id=zone)
            except cfcerts.NotFound:
                pass
        else:
            assert len(list(client.client_certificates.list(zone, per_page=5))) == 7

    for index in range(1000):
        one_round(index)
    gc.collect()
    after_warm_up = malloc_in_use_bytes()
    for index in range(10_000):
        one_round(index)
    gc.collect()
    growth = malloc_in_use_bytes() - after_warm_up
    assert growth < 2 * 1024 * 1024, f"the C heap grew by {growth / 1e6:.1f} MB over 10,000 calls"
