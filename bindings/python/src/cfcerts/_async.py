"""``AsyncClient``: the same surface as ``Client`` for asyncio programs (any loop, uvloop included).

Each call runs on a thread of the client's own pool with a cancellable current there, so the event loop never
blocks; cancelling the awaiting task cancels the call in the library (it returns within 100 ms) and raises
``CancelledError`` in the task at once."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, AsyncIterator, Callable, Iterable, List, Mapping, Optional, Tuple, TypeVar, Union

from ._associations import HostnameAssociation, HostnameAssociations
from ._bulk import BulkOutcome, BulkRun
from ._client import CertificateIterator, Client, ClientCertificates, track_for_fork
from ._errors import InvalidArgument
from ._interrupt import Cancellable
from ._models import CertificatePage, ClientCertificate

T = TypeVar("T")


class AsyncClient:
    """``async with cfcerts.AsyncClient() as client: await client.client_certificates.get(...)``.

    Takes ``Client``'s keywords, and ``max_concurrency`` (default 32): the calls in flight at once (the size of
    the client's thread pool; more wait their turn without blocking the loop)."""

    def __init__(self, *, max_concurrency: int = 32, **options: Any) -> None:
        if not isinstance(max_concurrency, int) or isinstance(max_concurrency, bool) or not 1 <= max_concurrency <= 1024:
            raise InvalidArgument("max_concurrency must be an int from 1 to 1024")
        self._client = Client(**options)
        self._max_concurrency = max_concurrency
        self._pool = self._new_pool()
        self._closed = False
        self.client_certificates = AsyncClientCertificates(self)
        self.certificate_authorities = AsyncCertificateAuthorities(self)
        self.fleet = AsyncFleet(self)
        track_for_fork(self)

    def _new_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(max_workers=self._max_concurrency,
                                                     thread_name_prefix="cfcerts-async")

    def _reset_after_fork(self) -> None:
        # The parent's workers do not exist in a child, but its pool still counts them (and may hold their queued
        # work): a call submitted there would wait forever. The child gets a pool of its own.
        self._pool = self._new_pool()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Closes the connections once the calls in flight have returned (without blocking the loop). Idempotent."""
        if self._closed:
            return
        self._closed = True
        pool = self._pool
        await asyncio.get_running_loop().run_in_executor(pool, self._client.close)
        pool.shutdown(wait=False)

    def _off_loop(self, function: Callable[[], T]) -> "asyncio.Future[T]":
        """``function()`` (a close that may wait for a call in flight) on the pool, or after ``close()`` on the
        loop's default executor: never on the loop itself."""
        return asyncio.get_running_loop().run_in_executor(None if self._closed else self._pool, function)

    async def _run(self, function: Callable[[], T], on_cancel: Optional[Callable[[Cancellable], Any]] = None) -> T:
        """``function()`` on the pool with a cancellable current; cancelling the awaiting task cancels it."""
        if self._closed:
            raise InvalidArgument("the client is closed")
        cancellable = Cancellable()
        future = asyncio.get_running_loop().run_in_executor(self._pool, cancellable.run, function)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            (on_cancel or Cancellable.cancel)(cancellable)
            # The call returns within 100 ms; its result (or error) is not wanted any more.
            future.add_done_callback(lambda done: done.cancelled() or done.exception())
            raise


class AsyncClientCertificates:
    """``/zones/{zone_id}/client_certificates``, awaitable; the same names and keywords as ``ClientCertificates``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._sync: ClientCertificates = client._client.client_certificates

    def list(self, zone_id: str, *, status: Optional[str] = None, per_page: Optional[int] = None,
             prefetch_pages: Optional[int] = None) -> "AsyncCertificateIterator":
        """``async for`` over every certificate of the zone, a page crossing to the loop at a time."""
        iterator = self._sync.list(zone_id, status=status, per_page=per_page, prefetch_pages=prefetch_pages)
        return AsyncCertificateIterator(self._client, iterator)

    async def list_page(self, zone_id: str, **params: Any) -> CertificatePage:
        return await self._client._run(lambda: self._sync.list_page(zone_id, **params))

    async def get(self, certificate_id: str, *, zone_id: str) -> ClientCertificate:
        return await self._client._run(lambda: self._sync.get(certificate_id, zone_id=zone_id))

    async def create(self, *, zone_id: str, csr: str, validity_days: int = 3650) -> ClientCertificate:
        return await self._client._run(lambda: self._sync.create(zone_id=zone_id, csr=csr, validity_days=validity_days))

    async def reactivate(self, certificate_id: str, *, zone_id: str) -> ClientCertificate:
        return await self._client._run(lambda: self._sync.reactivate(certificate_id, zone_id=zone_id))

    async def revoke(self, certificate_id: str, *, zone_id: str) -> ClientCertificate:
        return await self._client._run(lambda: self._sync.revoke(certificate_id, zone_id=zone_id))

    edit = reactivate
    delete = revoke

    def bulk_revoke(self, certificate_ids: Iterable[str], *, zone_id: str, concurrency: Optional[int] = None,
                    journal: Optional[str] = None) -> "AsyncBulkRun":
        """An async iterator of each item's outcome as it completes (see ``ClientCertificates.bulk_revoke``)."""
        return AsyncBulkRun(self._client, self._sync.bulk_revoke(certificate_ids, zone_id=zone_id,
                                                                 concurrency=concurrency, journal=journal))

    def bulk_reactivate(self, certificate_ids: Iterable[str], *, zone_id: str, concurrency: Optional[int] = None,
                        journal: Optional[str] = None) -> "AsyncBulkRun":
        return AsyncBulkRun(self._client, self._sync.bulk_reactivate(certificate_ids, zone_id=zone_id,
                                                                     concurrency=concurrency, journal=journal))

    def bulk_create(self, items: Iterable[Union[str, Mapping[str, Any]]], *, zone_id: str, validity_days: int = 3650,
                    concurrency: Optional[int] = None, journal: Optional[str] = None) -> "AsyncBulkRun":
        return AsyncBulkRun(self._client, self._sync.bulk_create(items, zone_id=zone_id, validity_days=validity_days,
                                                                 concurrency=concurrency, journal=journal))


class AsyncCertificateAuthorities:
    """``/zones/{zone_id}/certificate_authorities``, awaitable."""

    def __init__(self, client: AsyncClient) -> None:
        self.hostname_associations = AsyncHostnameAssociations(client)


class AsyncHostnameAssociations:
    """``HostnameAssociations``, awaitable: the same names and keywords."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._sync: HostnameAssociations = client._client.certificate_authorities.hostname_associations

    async def get(self, *, zone_id: str, mtls_certificate_id: Optional[str] = None) -> HostnameAssociation:
        return await self._client._run(lambda: self._sync.get(zone_id=zone_id, mtls_certificate_id=mtls_certificate_id))

    async def update(self, *, zone_id: str, hostnames: Iterable[str],
                     mtls_certificate_id: Optional[str] = None) -> HostnameAssociation:
        names = list(hostnames)
        return await self._client._run(
            lambda: self._sync.update(zone_id=zone_id, hostnames=names, mtls_certificate_id=mtls_certificate_id))

    async def add(self, *, zone_id: str, hostnames: Iterable[str],
                  mtls_certificate_id: Optional[str] = None) -> HostnameAssociation:
        names = list(hostnames)
        return await self._client._run(
            lambda: self._sync.add(zone_id=zone_id, hostnames=names, mtls_certificate_id=mtls_certificate_id))

    async def remove(self, *, zone_id: str, hostnames: Iterable[str],
                     mtls_certificate_id: Optional[str] = None) -> HostnameAssociation:
        names = list(hostnames)
        return await self._client._run(
            lambda: self._sync.remove(zone_id=zone_id, hostnames=names, mtls_certificate_id=mtls_certificate_id))


class AsyncCertificateIterator(AsyncIterator[ClientCertificate]):
    """A lazy pass over a zone's certificates for ``async for``; ``aclose()`` frees it early."""

    def __init__(self, client: AsyncClient, iterator: CertificateIterator) -> None:
        self._client = client
        self._iterator = iterator
        self._buffer: List[ClientCertificate] = []
        # Tasks sharing the iterator take turns to refill the buffer (made on first use, in the running loop).
        self._refilling: Optional[asyncio.Lock] = None

    def __aiter__(self) -> "AsyncCertificateIterator":
        return self

    async def __anext__(self) -> ClientCertificate:
        if self._refilling is None:
            self._refilling = asyncio.Lock()
        async with self._refilling:
            if not self._buffer:
                page = await self._client._run(self._iterator._next_page_items)
                page.reverse()
                self._buffer = page
            if not self._buffer:
                raise StopAsyncIteration
            return self._buffer.pop()

    async def aclose(self) -> None:
        """Frees the listing once a page call in flight has returned, off the event loop."""
        await self._client._off_loop(self._iterator.close)


class AsyncFleet:
    """``client.fleet`` for asyncio: ``Fleet``'s plan and apply, off the event loop."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._sync = client._client.fleet

    async def plan(self, manifest: Any, *, state_dir: Optional[str] = None, base_dir: Optional[str] = None) -> Any:
        """What apply would do now (see ``Fleet.plan``)."""
        return await self._client._run(lambda: self._sync.plan(manifest, state_dir=state_dir, base_dir=base_dir))

    async def apply(self, manifest: Any, *, state_dir: Optional[str] = None, base_dir: Optional[str] = None,
                    concurrency: Optional[int] = None, plan: Any = None, hook_timeout: float = 600) -> "AsyncFleetApply":
        """An async iterator of each step's result as it ends; ``report`` at the end (see ``Fleet.apply``). Hooks
        run off the event loop, in the worker thread that pulls the steps."""
        run = await self._client._off_loop(lambda: self._sync.apply(manifest, state_dir=state_dir, base_dir=base_dir,
                                                                    concurrency=concurrency, plan=plan,
                                                                    hook_timeout=hook_timeout))
        return AsyncFleetApply(self._client, run)


class AsyncBulkRun(AsyncIterator[BulkOutcome]):
    """A bulk run for ``async for``: each outcome as it completes; ``summary`` at the end. Cancelling the iterating
    task cancels the run (no more items start; those in flight end at once)."""

    def __init__(self, client: AsyncClient, run: BulkRun) -> None:
        self._client = client
        self._run = run

    @property
    def summary(self):
        return self._run.summary

    def __aiter__(self) -> "AsyncBulkRun":
        return self

    async def __anext__(self) -> BulkOutcome:
        run = self._run
        outcome = await self._client._run(lambda: next(run, None), on_cancel=lambda _: run.cancel())
        if outcome is None:
            raise StopAsyncIteration
        return outcome

    def cancel(self) -> None:
        self._run.cancel()

    async def aclose(self) -> None:
        """Cancels the run and frees it once the read in flight has returned, off the event loop."""
        self._run.cancel()
        await self._client._off_loop(self._run.close)


class AsyncFleetApply(AsyncBulkRun):
    """An apply for ``async for``: each step's result as it ends; ``report`` at the end. Cancelling the iterating
    task cancels the apply (between steps; the next apply finishes what it left)."""

    @property
    def report(self):
        return self._run.report
