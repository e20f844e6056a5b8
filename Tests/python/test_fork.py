"""A client inherited through fork(): gunicorn --preload, multiprocessing's fork start method, Celery prefork.

The child has none of its parent's threads (the library's event loops and call threads): the library makes its
own there, so a client made before the fork keeps working, a client made in the child works, and the parent is
unaffected. Each child is bounded by an alarm, so a hang fails the test instead of stalling the run."""

import multiprocessing
import os
import signal
import threading
import time

import pytest

import cfcerts
from conftest import TOKEN

CHILD_SECONDS = 20


def _in_child(work) -> int:
    """Forks; the child runs ``work`` (returning True for success) and exits 0, 1 or by the alarm. Returns the
    child's wait status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.alarm(CHILD_SECONDS)
            code = 0 if work() else 2
        except BaseException as error:  # anything: the child must exit, never return into pytest
            os.write(2, f"child failed: {error!r}\n".encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


def _exited_ok(status: int) -> bool:
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_client_used_before_fork_works_in_the_child(emulator, zone, client):
    emulator.seed(zone, 7)
    assert len(client.client_certificates.list_page(zone).result) == 7

    def child():
        started = time.monotonic()
        inherited = len(client.client_certificates.list_page(zone).result)
        listed = sum(1 for _ in client.client_certificates.list(zone, per_page=5))
        with cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url, timeout=3) as fresh:
            made_here = len(fresh.client_certificates.list_page(zone).result)
        client.close()
        return (inherited, listed, made_here) == (7, 7, 7) and time.monotonic() - started < 10

    assert _exited_ok(_in_child(child))
    # The parent's client and connections are untouched.
    assert len(client.client_certificates.list_page(zone).result) == 7
    assert sum(1 for _ in client.client_certificates.list(zone, per_page=5)) == 7


def test_fork_while_another_thread_is_in_a_call(emulator, zone, client):
    """The thread in flight does not exist in the child: its call must not make close() wait forever there."""
    emulator.seed(zone, 2)
    emulator.fault(kind="delay", method="GET", delay_ms=1500)
    in_call = threading.Thread(target=lambda: client.client_certificates.list_page(zone))
    in_call.start()
    time.sleep(0.3)

    def child():
        count = len(client.client_certificates.list_page(zone).result)
        client.close()
        return count == 2

    status = _in_child(child)
    in_call.join()
    assert _exited_ok(status)


def test_listing_started_before_fork_fails_at_once_in_the_child(emulator, zone, client):
    emulator.seed(zone, 12)
    iterator = client.client_certificates.list(zone, per_page=5)
    next(iterator)

    def child():
        try:
            next(iterator)
        except cfcerts.InvalidArgument as error:
            return "fork" in str(error)
        return False

    assert _exited_ok(_in_child(child))
    assert sum(1 for _ in iterator) == 11


_POOL_CLIENT = None


def _count_in_worker(zone: str) -> int:
    return len(_POOL_CLIENT.client_certificates.list_page(zone).result)


def test_multiprocessing_fork_pool(emulator, zone, client):
    global _POOL_CLIENT
    emulator.seed(zone, 3)
    client.client_certificates.list_page(zone)
    _POOL_CLIENT = client
    try:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            counts = pool.map_async(_count_in_worker, [zone] * 6).get(timeout=60)
    finally:
        _POOL_CLIENT = None
    assert counts == [3] * 6
    assert len(client.client_certificates.list_page(zone).result) == 3


def test_async_client_used_before_fork_works_in_the_child(emulator, zone):
    """AsyncClient's calls run on its own thread pool: in a child, that pool's workers do not exist."""
    import asyncio

    emulator.seed(zone, 4)
    client = cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url, max_concurrency=2)

    async def count() -> int:
        pages = await asyncio.gather(*(client.client_certificates.list_page(zone) for _ in range(4)))
        return sum(len(page.result) for page in pages) // 4

    try:
        assert asyncio.run(count()) == 4  # the parent's pool now has its two workers

        def child():
            listed = asyncio.run(count())
            asyncio.run(client.close())
            return listed == 4

        assert _exited_ok(_in_child(child))
        assert asyncio.run(count()) == 4
    finally:
        asyncio.run(client.close())


_POOL_ASYNC_CLIENT = None


def _count_in_worker_with_asyncio(zone: str) -> int:
    import asyncio

    async def count() -> int:
        return len((await _POOL_ASYNC_CLIENT.client_certificates.list_page(zone)).result)

    return asyncio.run(count())


def test_multiprocessing_fork_pool_running_asyncio_tasks(emulator, zone):
    import asyncio

    global _POOL_ASYNC_CLIENT
    emulator.seed(zone, 3)
    client = cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url, max_concurrency=1)
    try:
        asyncio.run(client.client_certificates.list_page(zone))
        _POOL_ASYNC_CLIENT = client
        with multiprocessing.get_context("fork").Pool(2) as pool:
            counts = pool.map_async(_count_in_worker_with_asyncio, [zone] * 6).get(timeout=60)
        assert counts == [3] * 6
    finally:
        _POOL_ASYNC_CLIENT = None
        asyncio.run(client.close())
