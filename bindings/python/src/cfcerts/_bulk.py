"""Bulk runs: many certificates revoked, reactivated or created, ``concurrency`` at a time, resumable with a
journal; outcomes come back as items complete."""

from __future__ import annotations

import ctypes
import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Optional

from ._errors import _BY_CODE, Error, from_last_error
from ._library import ITEROVER, call_for_string
from ._models import ClientCertificate

if TYPE_CHECKING:
    from ._client import Client


@dataclass(frozen=True)
class BulkOutcome:
    """One item's outcome. ``status``: ``"done"``, ``"already_done"`` (no request was needed: the journal, or a
    read after a lost answer, says it was done) or ``"failed"`` (``error`` says why)."""

    index: int
    status: str
    id: Optional[str]
    name: Optional[str]
    certificate: Optional[ClientCertificate]
    error: Optional[Error]

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass(frozen=True)
class BulkSummary:
    total: int
    done: int
    already_done: int
    failed: int
    not_started: int
    #: Answers 429 the run drew (0 while pacing keeps to the budget).
    rate_limited_answers: int
    elapsed: float


def _error(fields: dict) -> Error:
    cls = _BY_CODE.get(fields.get("code"), Error)
    return cls(fields.get("message", ""), http_status=fields.get("http_status") or None,
               errors=fields.get("cloudflare_errors") or [], ray_id=fields.get("ray_id") or None)


class BulkRun(Iterator[BulkOutcome]):
    """A bulk run in progress: iterate for each item's outcome as it completes; ``summary`` is set once the
    iteration is over. The work goes on in the background between reads. ``cancel()`` (from any thread) starts no
    more items; ``close()`` (or the end of a ``with`` block) cancels and frees it. One pass: a second iteration
    yields nothing more."""

    def __init__(self, client: "Client", zone_id: bytes, params: bytes) -> None:
        handle_of_client = client._enter_call()
        try:
            lib = client._lib
            handle = ctypes.c_void_p()
            code = lib.cfcerts_bulk_new(ctypes.byref(handle), handle_of_client, zone_id, params)
            if code != 0:
                raise from_last_error(lib, code)
        finally:
            client._leave_call()
        self._lib = lib
        self._handle: Optional[int] = handle.value
        self._lock = threading.Lock()
        self.summary: Optional[BulkSummary] = None
        from ._client import _live
        _live.add(self)

    def _reset_after_fork(self) -> None:
        # Its next read fails with InvalidArgument: a run's work does not survive a fork.
        self._lock = threading.Lock()

    def __iter__(self) -> "BulkRun":
        return self

    def __next__(self) -> BulkOutcome:
        with self._lock:
            if not self._handle:
                raise StopIteration
            code, text = call_for_string(self._lib.cfcerts_bulk_next, self._handle)
            if code == ITEROVER:
                self._read_summary()
                self._free()
                raise StopIteration
            if code != 0:
                error = from_last_error(self._lib, code)
                self._free()
                raise error
        fields: dict[str, Any] = json.loads(text)
        certificate = fields.get("certificate")
        return BulkOutcome(
            index=fields["index"], status=fields["status"], id=fields.get("id"), name=fields.get("name"),
            certificate=ClientCertificate.from_json(certificate) if isinstance(certificate, dict) else None,
            error=_error(fields["error"]) if isinstance(fields.get("error"), dict) else None)

    def _read_summary(self) -> None:
        code, text = call_for_string(self._lib.cfcerts_bulk_summary, self._handle)
        if code == 0:
            fields = json.loads(text)
            self.summary = BulkSummary(
                total=fields["total"], done=fields["done"], already_done=fields["already_done"],
                failed=fields["failed"], not_started=fields["not_started"],
                rate_limited_answers=fields["rate_limited_answers"], elapsed=fields["elapsed_ms"] / 1000.0)

    def cancel(self) -> None:
        """Starts no more items; those in flight end at once (failed, cancelled). Safe from any thread."""
        handle = self._handle
        if handle:
            self._lib.cfcerts_bulk_cancel(handle)

    def close(self) -> None:
        self.cancel()
        with self._lock:
            self._free()

    def __enter__(self) -> "BulkRun":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _free(self) -> None:
        handle, self._handle = self._handle, None
        if handle:
            self._lib.cfcerts_bulk_free(handle)

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = None
            self._lib.cfcerts_bulk_free(handle)
