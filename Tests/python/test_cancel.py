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
        import sys, time, cfcerts
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
