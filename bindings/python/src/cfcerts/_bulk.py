"""Bulk runs: many certificates revoked, reactivated or created, ``concurrency`` at a time, resumable with a
journal; outcomes come back as items complete."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Optional

from ._client import _NativeHandle
from ._errors import _BY_CODE, Error
from ._library import call_for_string
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
    #: The item is done (``certificate`` is here, to be saved) but the journal could not record it; the run stopped.
    journal_error: Optional[Error] = None

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
    #: Why the journal could not be written, when it could not (the run then started no more items).
    journal_error: Optional[Error] = None


def _error(fields: dict) -> Error:
    cls = _BY_CODE.get(fields.get("code"), Error)
    return cls(fields.get("message", ""), http_status=fields.get("http_status") or None,
               errors=fields.get("cloudflare_errors") or [], ray_id=fields.get("ray_id") or None)


class BulkRun(_NativeHandle, Iterator[BulkOutcome]):
    """A bulk run in progress: iterate for each item's outcome as it completes; ``summary`` is set once the
    iteration is over. The work goes on in the background between reads. ``cancel()`` (from any thread) starts no
    more items; ``close()`` (or the end of a ``with`` block) cancels and frees it. One pass: a second iteration
    yields nothing more."""

    def __init__(self, client: "Client", zone_id: bytes, params: bytes) -> None:
        super().__init__(client, "bulk", zone_id, params)
        self.summary: Optional[BulkSummary] = None

    def __iter__(self) -> "BulkRun":
        return self

    def __next__(self) -> BulkOutcome:
        text = self._pull(at_end=self._read_summary, on_interrupt=lambda _: self.cancel())
        if text is None:
            raise StopIteration
        fields: dict[str, Any] = json.loads(text)
        certificate = fields.get("certificate")
        return BulkOutcome(
            index=fields["index"], status=fields["status"], id=fields.get("id"), name=fields.get("name"),
            certificate=ClientCertificate.from_json(certificate) if isinstance(certificate, dict) else None,
            error=_error(fields["error"]) if isinstance(fields.get("error"), dict) else None,
            journal_error=_error(fields["journal_error"]) if isinstance(fields.get("journal_error"), dict) else None)

    def _read_summary(self) -> None:
        code, text = call_for_string(self._lib.cfcerts_bulk_summary, self._handle)
        if code == 0:
            fields = json.loads(text)
            self.summary = BulkSummary(
                total=fields["total"], done=fields["done"], already_done=fields["already_done"],
                failed=fields["failed"], not_started=fields["not_started"],
                rate_limited_answers=fields["rate_limited_answers"], elapsed=fields["elapsed_ms"] / 1000.0,
                journal_error=_error(fields["journal_error"]) if isinstance(fields.get("journal_error"), dict) else None)

    def cancel(self) -> None:
        """Starts no more items; those in flight end at once (failed, cancelled). Safe from any thread."""
        with self._handle_lock:
            if self._handle:
                self._lib.cfcerts_bulk_cancel(self._handle)

    def close(self) -> None:
        self.cancel()
        super().close()

    def __enter__(self) -> "BulkRun":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
