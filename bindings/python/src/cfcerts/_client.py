"""The client, its ``client_certificates`` resource and the lazy listing iterator."""

from __future__ import annotations

import ctypes
import json
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Optional, Tuple, Union

from . import _arguments as arguments
from . import _interrupt
from ._associations import CertificateAuthorities
from ._errors import InvalidArgument, from_last_error
from ._interrupt import interruptible
from ._library import ITEROVER, NO_RETRIES, OPTIONS_VERSION, ClientOptions, call_for_string, library
from ._models import CertificatePage, ClientCertificate

if TYPE_CHECKING:
    from ._bulk import BulkRun


def _parse(text: str) -> Any:
    return json.loads(text)


#: Every open client and iterator, so that a child of ``fork()`` can reset their locks (another thread may have
#: held one, or been in a call, at the moment of the fork: neither exists in the child).
_live: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    _interrupt.reset_after_fork()
    for item in list(_live):
        item._reset_after_fork()


def track_for_fork(item: Any) -> None:
    """Has ``item._reset_after_fork()`` called in a child of ``fork()`` while ``item`` lives."""
    _live.add(item)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Client:
    """A connection to the Cloudflare API (or anything speaking it). Safe to share between threads; calls release
    the GIL while they wait for the network.

    Every argument left None comes from the environment, as the official SDKs read it: ``CLOUDFLARE_API_TOKEN``,
    else ``CLOUDFLARE_API_TOKEN_FILE`` (a file whose one line is the token), else ``CLOUDFLARE_API_KEY`` +
    ``CLOUDFLARE_EMAIL``, else ``CLOUDFLARE_API_USER_SERVICE_KEY``;
    ``CLOUDFLARE_BASE_URL``. ``timeout`` bounds one attempt in seconds (default 60), ``total_timeout`` a whole
    call with its retries (default: no bound but the documented worst case), ``max_retries`` counts retries after
    the first attempt (default 2; 0 for none).

    ``pacing``: the credential's request budget that calls of this process share and wait for instead of drawing
    a 429: ``"off"``, ``"REQUESTS/SECONDS"`` or a ``(requests, seconds)`` pair (default: Cloudflare's 1200/300, then
    what the API's ``Ratelimit`` headers say; one you set is a ceiling, which those headers may lower, never raise;
    1 to 1000000000 requests per 1 to 86400 seconds). A call that cannot get budget before ``total_timeout`` (or,
    without one, within 60 s) raises ``RateLimited`` at once with ``retry_after`` set.
    """

    def __init__(self, *, api_token: Optional[str] = None, api_email: Optional[str] = None,
                 api_key: Optional[str] = None, user_service_key: Optional[str] = None,
                 base_url: Optional[str] = None, timeout: Optional[float] = None,
                 connect_timeout: Optional[float] = None, total_timeout: Optional[float] = None,
                 max_retries: Optional[int] = None, user_agent_suffix: Optional[str] = None,
                 pacing: Union[None, str, Tuple[int, int]] = None) -> None:
        lib = library()
        options = ClientOptions()
        options.version = OPTIONS_VERSION
        # The bytes must outlive cfcerts_client_new (ctypes keeps a reference in the structure's _objects).
        options.api_token = arguments.optional_text(api_token, "api_token")
        options.api_email = arguments.optional_text(api_email, "api_email")
        options.api_key = arguments.optional_text(api_key, "api_key")
        options.user_service_key = arguments.optional_text(user_service_key, "user_service_key")
        options.base_url = arguments.optional_text(base_url, "base_url")
        options.user_agent_suffix = arguments.optional_text(user_agent_suffix, "user_agent_suffix")
        options.request_timeout_ms = arguments.milliseconds(timeout, "timeout")
        options.connect_timeout_ms = arguments.milliseconds(connect_timeout, "connect_timeout")
        options.total_timeout_ms = arguments.milliseconds(total_timeout, "total_timeout")
        if max_retries is not None:
            retries = arguments.integer(max_retries, "max_retries")
            if retries < 0:
                raise InvalidArgument("max_retries must be 0 or more")
            options.max_retries = NO_RETRIES if retries == 0 else min(retries, arguments.INT_MAX)
        options.pacing_requests, options.pacing_window_seconds = arguments.pacing(pacing)
        handle = ctypes.c_void_p()
        code = lib.cfcerts_client_new(ctypes.byref(handle), ctypes.byref(options))
        if code != 0:
            raise from_last_error(lib, code)
        self._lib = lib
        self._handle: Optional[int] = handle.value
        # close() waits for calls in flight: C forbids freeing a client another thread is using.
        self._calls = 0
        self._state = threading.Condition()
        self.client_certificates = ClientCertificates(self)
        self.certificate_authorities = CertificateAuthorities(self)
        from ._fleet import Fleet
        self.fleet = Fleet(self)
        _live.add(self)

    def _reset_after_fork(self) -> None:
        # The library makes its own threads and connections anew in the child; the calls that were in flight
        # belonged to threads that are gone.
        self._calls = 0
        self._state = threading.Condition()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connections once every call in flight has returned. Idempotent; open iterators keep
        working (they hold the client's resources until they are closed)."""
        with self._state:
            handle, self._handle = self._handle, None
            while self._calls:
                self._state.wait()
        if handle:
            self._lib.cfcerts_client_free(handle)

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = None
            self._lib.cfcerts_client_free(handle)

    def _enter_call(self) -> int:
        with self._state:
            if not self._handle:
                raise InvalidArgument("the client is closed")
            self._calls += 1
            return self._handle

    def _leave_call(self) -> None:
        with self._state:
            self._calls -= 1
            if not self._calls:
                self._state.notify_all()

    def _call(self, function_name: str, *arguments_: Any) -> str:
        """Calls ``cfcerts_<name>(&out, client, ...)``: the JSON string, or the error raised. Ctrl-C ends it (see
        ``_interrupt``)."""
        handle = self._enter_call()
        function = getattr(self._lib, function_name)

        def call() -> str:
            # The error is read on the thread that made the call: it is that thread's.
            code, text = call_for_string(function, handle, *arguments_)
            if code != 0:
                raise from_last_error(self._lib, code)
            return text

        try:
            return interruptible(call)
        finally:
            self._leave_call()


class ClientCertificates:
    """``/zones/{zone_id}/client_certificates``: keyword names as in Cloudflare's official Python SDK."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self, zone_id: str, *, status: Optional[str] = None, per_page: Optional[int] = None,
             prefetch_pages: Optional[int] = None) -> "CertificateIterator":
        """Every certificate of the zone, fetched lazily page by page (``per_page`` 5..50, default 50; up to
        ``prefetch_pages`` pages fetched ahead, default 4). ``status``: one of the four, or ``"all"``."""
        params = arguments.json_object({"status": status, "per_page": per_page, "prefetch_pages": prefetch_pages},
                                       "list")
        return CertificateIterator(self._client, arguments.text(zone_id, "zone_id"), params)

    def list_page(self, zone_id: str, *, page: Optional[int] = None, per_page: Optional[int] = None,
                  status: Optional[str] = None, limit: Optional[int] = None,
                  offset: Optional[int] = None) -> CertificatePage:
        """One page (``page`` from 1, ``per_page`` 5..50, default 20)."""
        params = arguments.json_object({"page": page, "per_page": per_page, "status": status, "limit": limit,
                                        "offset": offset}, "list_page")
        text = self._client._call("cfcerts_list_page", arguments.text(zone_id, "zone_id"), params)
        return CertificatePage.from_json(_parse(text))

    def get(self, certificate_id: str, *, zone_id: str) -> ClientCertificate:
        """One certificate."""
        return self._certificate("cfcerts_get", zone_id, certificate_id)

    def create(self, *, zone_id: str, csr: str, validity_days: int = 3650) -> ClientCertificate:
        """Has Cloudflare's CA issue a certificate for ``csr`` (PEM). Never retried in a way that could issue two."""
        params = arguments.json_object({"csr": arguments.text(csr, "csr").decode("utf-8"),
                                        "validity_days": arguments.integer(validity_days, "validity_days")}, "create")
        text = self._client._call("cfcerts_create", arguments.text(zone_id, "zone_id"), params)
        return ClientCertificate.from_json(_parse(text))

    def edit(self, certificate_id: str, *, zone_id: str) -> ClientCertificate:
        """Reactivates a certificate in pending_revocation (the official SDK's name for it)."""
        return self.reactivate(certificate_id, zone_id=zone_id)

    def reactivate(self, certificate_id: str, *, zone_id: str) -> ClientCertificate:
        """Reactivates a certificate in pending_revocation; it is then pending_reactivation (or already active)."""
        return self._certificate("cfcerts_reactivate", zone_id, certificate_id)

    def delete(self, certificate_id: str, *, zone_id: str) -> ClientCertificate:
        """Revokes a certificate (the official SDK's name for it)."""
        return self.revoke(certificate_id, zone_id=zone_id)

    def revoke(self, certificate_id: str, *, zone_id: str) -> ClientCertificate:
        """Starts revoking an active certificate; it is then pending_revocation (or already revoked)."""
        return self._certificate("cfcerts_revoke", zone_id, certificate_id)

    def bulk_revoke(self, certificate_ids: Iterable[str], *, zone_id: str, concurrency: Optional[int] = None,
                    journal: Optional[str] = None) -> BulkRun:
        """Revokes many certificates, ``concurrency`` at a time (default 8): iterate for each outcome as it
        completes. With ``journal`` (a file path, the record of this run) a run killed at any moment and started
        again with the same ids and journal revokes nothing twice; a finished run's journal raises
        ``InvalidArgument``, one another run is using ``InUse``."""
        return self._bulk("revoke", zone_id, {"ids": [arguments.text(i, "certificate id").decode() for i in certificate_ids]},
                          concurrency, journal)

    def bulk_reactivate(self, certificate_ids: Iterable[str], *, zone_id: str, concurrency: Optional[int] = None,
                        journal: Optional[str] = None) -> BulkRun:
        """Reactivates many certificates in pending_revocation, as ``bulk_revoke`` does."""
        return self._bulk("reactivate", zone_id,
                          {"ids": [arguments.text(i, "certificate id").decode() for i in certificate_ids]},
                          concurrency, journal)

    def bulk_create(self, items: Iterable[Union[str, Mapping[str, Any]]], *, zone_id: str, validity_days: int = 3650,
                    concurrency: Optional[int] = None, journal: Optional[str] = None) -> BulkRun:
        """Issues one certificate per CSR: each item a PEM string, or ``{"csr", "validity_days"?, "name"?}`` (the
        name comes back in its outcome). With ``journal`` a run killed and started again issues nothing twice: a
        create whose answer was lost is found by its CSR."""
        converted = []
        for index, item in enumerate(items):
            if isinstance(item, str):
                item = {"csr": item}
            if not isinstance(item, Mapping):
                raise InvalidArgument(f"items[{index}] must be a CSR string or a mapping with 'csr'")
            entry = {"csr": item.get("csr"), "validity_days": item.get("validity_days", validity_days)}
            if item.get("name") is not None:
                entry["name"] = item["name"]
            converted.append(entry)
        return self._bulk("create", zone_id, {"items": converted}, concurrency, journal)

    def _bulk(self, operation: str, zone_id: str, work: dict, concurrency: Optional[int],
              journal: Optional[str]) -> BulkRun:
        params = arguments.json_object({"operation": operation, **work, "concurrency": concurrency,
                                        "journal": journal}, f"bulk_{operation}")
        from ._bulk import BulkRun
        return BulkRun(self._client, arguments.text(zone_id, "zone_id"), params)

    def _certificate(self, function_name: str, zone_id: str, certificate_id: str) -> ClientCertificate:
        text = self._client._call(function_name, arguments.text(zone_id, "zone_id"),
                                  arguments.text(certificate_id, "certificate_id"))
        return ClientCertificate.from_json(_parse(text))


class _NativeHandle:
    """A C handle made from a client (``cfcerts_<kind>_new``), pulled one item at a time under a lock
    (``cfcerts_<kind>_next``) and freed once: at the end, on an error, by ``close()`` or by the garbage collector.
    ``cancel`` (bulk runs) may come from another thread: the handle itself is guarded by a lock of its own, so it
    never reaches a handle being freed."""

    def __init__(self, client: Client, kind: str, zone_id: bytes, params: bytes) -> None:
        handle_of_client = client._enter_call()
        try:
            lib = client._lib
            handle = ctypes.c_void_p()
            code = getattr(lib, f"cfcerts_{kind}_new")(ctypes.byref(handle), handle_of_client, zone_id, params)
            if code != 0:
                raise from_last_error(lib, code)
        finally:
            client._leave_call()
        self._lib = lib
        self._next = getattr(lib, "cfcerts_iter_next_page" if kind == "iter" else f"cfcerts_{kind}_next")
        self._free_function = getattr(lib, f"cfcerts_{kind}_free")
        self._handle: Optional[int] = handle.value
        self._lock = threading.Lock()
        self._handle_lock = threading.Lock()
        _live.add(self)

    def _reset_after_fork(self) -> None:
        # Its next call fails with InvalidArgument: work in flight does not survive a fork.
        self._lock = threading.Lock()
        self._handle_lock = threading.Lock()

    def _pull(self, at_end: Any = None, on_interrupt: Any = None) -> Optional[str]:
        """The next item's JSON text; None at the end (``at_end`` runs first, with the handle still open). Ctrl-C
        ends the wait (``on_interrupt`` instead of cancelling the call, see ``interruptible``); an error or an
        interruption frees the handle (its work is over)."""
        with self._lock:
            handle = self._handle
            if not handle:
                return None

            def call() -> Optional[str]:
                code, text = call_for_string(self._next, handle)
                if code == ITEROVER:
                    return None
                if code != 0:
                    raise from_last_error(self._lib, code)
                return text

            try:
                text = interruptible(call, on_interrupt)
            except BaseException:
                self._free()
                raise
            if text is None:
                if at_end:
                    at_end()
                self._free()
            return text

    def close(self) -> None:
        with self._lock:
            self._free()

    def _free(self) -> None:
        with self._handle_lock:
            handle, self._handle = self._handle, None
            if handle:
                self._free_function(handle)

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = None
            self._free_function(handle)


class CertificateIterator(_NativeHandle, Iterator[ClientCertificate]):
    """A lazy pass over every certificate of a zone. Safe to use from several threads (calls are serialised);
    ``close()`` (or the end of a ``with`` block, or exhaustion) frees it early."""

    def __init__(self, client: Client, zone_id: bytes, params: bytes) -> None:
        super().__init__(client, "iter", zone_id, params)
        # A page crosses from the library at once (one call, one interruptible wait); certificates come from here.
        self._buffer: list[ClientCertificate] = []
        self._buffer_lock = threading.Lock()

    def __iter__(self) -> "CertificateIterator":
        return self

    def __next__(self) -> ClientCertificate:
        with self._buffer_lock:
            if not self._buffer:
                self._buffer = self._next_page_items()
                self._buffer.reverse()
            if not self._buffer:
                raise StopIteration
            return self._buffer.pop()

    def _next_page_items(self) -> "list[ClientCertificate]":
        """The rest of the current page (fetching the next one when it is used up); [] at the end."""
        text = self._pull()
        return [] if text is None else [ClientCertificate.from_json(raw) for raw in _parse(text)]

    def _reset_after_fork(self) -> None:
        # The parent's listing does not go on in a child: not even from the page it had fetched.
        super()._reset_after_fork()
        self._buffer_lock = threading.Lock()
        self._buffer = []

    def __enter__(self) -> "CertificateIterator":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
