"""The exception hierarchy: one class per C error code, each carrying what the library's last error says."""

from __future__ import annotations

import json
from typing import Any, Optional


class Error(Exception):
    """A cfcerts failure.

    Attributes: ``code`` (the C code, e.g. -3), ``message`` (one line, free of secrets), ``http_status`` (None when
    the server did not answer), ``errors`` (Cloudflare's ``errors`` list of dicts), ``ray_id`` (the ``cf-ray`` header,
    None when none), ``retry_after`` (seconds the server asked to wait, None when it did not) and
    ``outcome_unknown`` (True when the failed call changes the zone and may have been carried out all the same: its
    answer was lost or was a 5xx; read the zone before sending it again).
    """

    code = -1

    def __init__(self, message: str, *, http_status: Optional[int] = None, errors: Optional[list] = None,
                 ray_id: Optional[str] = None, retry_after: Optional[float] = None,
                 outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.errors: list[dict[str, Any]] = errors or []
        self.ray_id = ray_id
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        text = self.message
        if self.http_status:
            text = f"{text} (HTTP {self.http_status})"
        if self.ray_id:
            text = f"{text} [cf-ray {self.ray_id}]"
        return text


class APIError(Error):
    """The API refused or failed the request (validation error, 5xx, ``success: false``)."""
    code = -1


class InvalidArgument(Error, ValueError):
    """An argument was refused before any request was sent."""
    code = -2


class NotFound(Error):
    """The zone or certificate does not exist (HTTP 404)."""
    code = -3


class Authentication(Error):
    """Credentials missing, malformed or unknown."""
    code = -4


class PermissionDenied(Error):
    """Valid credentials without permission for this (HTTP 403)."""
    code = -5


class RateLimited(Error):
    """HTTP 429 after every allowed retry; ``retry_after`` says for how long."""
    code = -6


class Timeout(Error, TimeoutError):
    """No answer within the configured timeout."""
    code = -7


class Connection(Error, ConnectionError):
    """The server could not be reached, or the connection broke."""
    code = -8


class Decode(Error):
    """The server's answer was not the JSON the API documents."""
    code = -9


class Cancelled(Error):
    """The call was cancelled (an asyncio task cancelled, Ctrl-C): a request already sent may still be carried out."""
    code = -12


class InUse(Error):
    """Another run holds what the call needs alone: a bulk journal in use by another run. Nothing was sent."""
    code = -13


class OutOfMemory(Error, MemoryError):
    """The library could not allocate a result."""
    code = -11


_BY_CODE = {cls.code: cls for cls in (APIError, InvalidArgument, NotFound, Authentication, PermissionDenied,
                                      RateLimited, Timeout, Connection, Decode, OutOfMemory, Cancelled, InUse)}


def from_last_error(lib, code: int) -> Error:
    """The exception for ``code``, with the calling thread's last error (read at once, on the same thread)."""
    last = lib.cfcerts_error_last().contents
    message = (last.message or b"").decode("utf-8", "replace") or lib.cfcerts_strerror(code).decode()
    ray = (last.ray_id or b"").decode("utf-8", "replace") or None
    try:
        errors = json.loads((last.cloudflare_errors or b"[]").decode("utf-8", "replace"))
    except ValueError:
        errors = []
    retry_after = last.retry_after_ms / 1000.0 if last.retry_after_ms > 0 else None
    cls = _BY_CODE.get(code, Error)
    return cls(message, http_status=last.http_status or None, errors=errors, ray_id=ray, retry_after=retry_after,
               outcome_unknown=bool(last.outcome_unknown))
