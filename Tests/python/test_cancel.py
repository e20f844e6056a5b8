"""Ending calls from Python: Ctrl-C during a blocking call, and AsyncClient (asyncio tasks cancelled, a loop that
never blocks, many concurrent calls, uvloop)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import cfcerts
from conftest import TOKEN


@pytest.fixture
def silent_server():
    """A loopback listener that accepts connections (through the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield "http://127.0.0.1:%d/client/v4" % listener.getsockname()[1]
    listener.close()


def test_ctrl_c_ends_a_blocking_call_within_200_ms(silent_server, tmp_path):
    script = tmp_path / "blocked.py"
    script.write_text(textwrap.dedent(f"""
        import signal, sys, time, cfcerts
        # A runner started in the background (by a non-interactive shell) passes SIGINT on ignored: restore it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        client = cfcerts.Client(api_token="t", base_url={silent_server!r})
        print("calling", flush=True)
        try:
            client.client_certificates.get("c" * 32, zone_id="0" * 32)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic(), flush=True)
        # The client still works afterwards (here: the same server, a call that times out quickly).
        try:
            cfcerts.Client(api_token="t", base_url={silent_server!r}, total_timeout=0.2).client_certificates.get(
                "c" * 32, zone_id="0" * 32)
        except cfcerts.Timeout:
            print("usable", flush=True)
        client.close()
    """))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert child.stdout.readline().strip() == "calling"
    time.sleep(0.5)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    line = child.stdout.readline().split()
    assert line and line[0] == "interrupted", line
    assert float(line[1]) - sent < 0.2, float(line[1]) - sent
    assert child.stdout.readline().strip() == "usable"
    assert child.wait(timeout=30) == 0


def test_ctrl_c_delivered_to_another_thread_still_ends_the_call(silent_server, tmp_path):
    # The kernel may give a process's SIGINT to any thread that does not block it; Python runs the handler on the
    # main thread, which must notice while it waits for the call (seen lost on a loaded machine: the call ran to
    # its 60 s timeout). Here the signal goes to a thread of the script's own, deliberately not the main one.
    script = tmp_path / "other_thread.py"
    script.write_text(textwrap.dedent(f"""
        import signal, threading, time, cfcerts
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as above: never inherited ignored
        client = cfcerts.Client(api_token="t", base_url={silent_server!r})
        def poke():
            time.sleep(0.5)
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        threading.Thread(target=poke).start()
        started = time.monotonic()
        try:
            client.client_certificates.get("c" * 32, zone_id="0" * 32)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic() - started, flush=True)
        client.close()
    """))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=50)
    words = result.stdout.split()
    assert words and words[0] == "interrupted", (result.stdout, result.stderr[-500:])
    assert float(words[1]) < 5, words


def test_a_cancelled_task_returns_at_once_and_the_loop_keeps_running(silent_server, emulator, zone):
    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        async with cfcerts.AsyncClient(api_token="t", base_url=silent_server) as client:
            call = asyncio.create_task(client.client_certificates.get("c" * 32, zone_id=zone))
            await asyncio.sleep(1.0)
            assert ticks >= 10  # the loop was never blocked by the call
            call.cancel()
            started = time.monotonic()
            with pytest.raises(asyncio.CancelledError):
                await call
            assert time.monotonic() - started < 0.1
        async with cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url) as client:
            page = await client.client_certificates.list_page(zone)
            assert page.result == ()
        ticking.cancel()

    asyncio.run(main())


def test_a_thousand_gets_from_32_tasks(emulator, zone):
    emulator.seed(zone, 3)

    async def main():
        async with cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url) as client:
            ids = [c.id async for c in client.client_certificates.list(zone)]
            assert len(ids) == 3
            started = time.monotonic()
            for _ in range(200):
                await client.client_certificates.get(ids[0], zone_id=zone)
            sequential = (time.monotonic() - started) * 5  # per 1,000
            semaphore = asyncio.Semaphore(32)
            errors = []

            async def one(index):
                async with semaphore:
                    try:
                        certificate = await client.client_certificates.get(ids[index % 3], zone_id=zone)
                        assert certificate.id == ids[index % 3]
                    except Exception as error:  # noqa: BLE001 - every failure is counted
                        errors.append(error)

            started = time.monotonic()
            await asyncio.gather(*(one(i) for i in range(1000)))
            concurrent = time.monotonic() - started
            assert errors == []
            assert concurrent < sequential, (concurrent, sequential)

    asyncio.run(main())


def test_bulk_as_an_async_iterator(emulator, zone):
    emulator.seed(zone, 6)

    async def main():
        async with cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url) as client:
            ids = [c.id async for c in client.client_certificates.list(zone)]
            run = client.client_certificates.bulk_revoke(ids, zone_id=zone)
            outcomes = [outcome async for outcome in run]
            assert sorted(o.id for o in outcomes) == sorted(ids) and run.summary.done == 6

    asyncio.run(main())


def test_uvloop(emulator, zone):
    import uvloop  # make deps installs it

    async def main():
        async with cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url) as client:
            return (await client.client_certificates.list_page(zone)).result

    assert uvloop.run(main()) == ()


def test_tasks_sharing_one_async_iterator_see_every_certificate_once(emulator, zone):
    """Tasks pulling from one iterator take turns to fetch a page: none overwrites the page another fetched."""
    emulator.seed(zone, 23)

    async def main():
        async with cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url) as client:
            expected = sorted([c.id async for c in client.client_certificates.list(zone)])
            shared = client.client_certificates.list(zone, per_page=5, prefetch_pages=0)

            async def drain():
                seen = []
                async for certificate in shared:
                    seen.append(certificate.id)
                    await asyncio.sleep(0.02)  # work on each certificate: the other tasks' pages arrive meanwhile
                return seen

            seen = [identifier for ids in await asyncio.gather(*(drain() for _ in range(4))) for identifier in ids]
            return expected, seen

    expected, seen = asyncio.run(main())
    assert len(expected) == 23
    assert sorted(seen) == expected


def test_aclose_while_a_page_is_in_flight_does_not_block_the_loop(emulator, zone):
    emulator.seed(zone, 12)

    async def main():
        async with cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url) as client:
            iterator = client.client_certificates.list(zone, per_page=5, prefetch_pages=0)
            await iterator.__anext__()
            emulator.fault(kind="delay", method="GET", delay_ms=6000)
            fetching = asyncio.create_task(_drain(iterator))
            await asyncio.sleep(0.5)  # the next page's call is now waiting for the delayed answer
            gaps = []

            async def ticker():
                last = time.monotonic()
                while True:
                    await asyncio.sleep(0.05)
                    now = time.monotonic()
                    gaps.append(now - last)
                    last = now

            ticking = asyncio.create_task(ticker())
            await asyncio.sleep(0.1)
            await iterator.aclose()
            await asyncio.sleep(0.2)  # the ticker records the gap it was waking up into
            ticking.cancel()
            await asyncio.gather(fetching, return_exceptions=True)
            return max(gaps)

    # The page call holds the iterator for about 5.5 s more; aclose waits for it on the client's pool, not the loop
    # (which, blocked, would show a gap of about 5 s; a busy machine's scheduling stays far below 3 s).
    assert asyncio.run(main()) < 3.0


async def _drain(iterator):
    return [certificate async for certificate in iterator]
