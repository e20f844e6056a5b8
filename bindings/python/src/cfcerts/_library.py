"""Finding, loading and declaring libcfcerts; reading the strings and errors it hands out."""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Callable, Optional

#: The SONAME this binding is built for, and the library major version it accepts.
SONAME = "libcfcerts.so.0"
EXPECTED_MAJOR = 0

ITEROVER = -10
ECANCELLED = -12


class LibraryNotFound(ImportError):
    """No usable libcfcerts: the message lists every place tried and why each failed."""


class ClientOptions(ctypes.Structure):
    """``cfcerts_client_options``, version 3."""

    _fields_ = [
        ("version", ctypes.c_uint),
        ("api_token", ctypes.c_char_p),
        ("api_email", ctypes.c_char_p),
        ("api_key", ctypes.c_char_p),
        ("user_service_key", ctypes.c_char_p),
        ("base_url", ctypes.c_char_p),
        ("connect_timeout_ms", ctypes.c_int),
        ("request_timeout_ms", ctypes.c_int),
        ("max_retries", ctypes.c_int),
        ("user_agent_suffix", ctypes.c_char_p),
        ("allow_insecure_http", ctypes.c_int),
        ("total_timeout_ms", ctypes.c_int),
        ("pacing_requests", ctypes.c_int),
        ("pacing_window_seconds", ctypes.c_int),
    ]


OPTIONS_VERSION = 3
NO_RETRIES = -1


class LastError(ctypes.Structure):
    """``cfcerts_error``: read only the fields this binding knows (the library may append more)."""

    _fields_ = [
        ("code", ctypes.c_int),
        ("http_status", ctypes.c_int),
        ("message", ctypes.c_char_p),
        ("ray_id", ctypes.c_char_p),
        ("cloudflare_errors", ctypes.c_char_p),
        ("retry_after_ms", ctypes.c_longlong),
        ("outcome_unknown", ctypes.c_int),
    ]


def _candidates() -> list[str]:
    places = []
    override = os.environ.get("CFCERTS_LIBRARY")
    if override:
        places.append(override)
    places.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), SONAME))
    places.append(SONAME)
    return places


def _declare(lib: ctypes.CDLL) -> None:
    """argtypes/restype for every function: strings handed out are ``c_void_p`` so they can be freed."""
    c_int, c_char_p, c_void_p = ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p
    out = ctypes.POINTER(c_void_p)
    signatures: dict[str, tuple[list, object]] = {
        "cfcerts_version_number": ([], c_int),
        "cfcerts_version": ([], c_char_p),
        "cfcerts_strerror": ([c_int], c_char_p),
        "cfcerts_error_last": ([], ctypes.POINTER(LastError)),
        "cfcerts_error_clear": ([], None),
        "cfcerts_string_free": ([c_void_p], None),
        "cfcerts_client_options_init": ([ctypes.POINTER(ClientOptions), ctypes.c_uint], c_int),
        "cfcerts_client_new": ([out, ctypes.POINTER(ClientOptions)], c_int),
        "cfcerts_client_free": ([c_void_p], None),
        "cfcerts_list_page": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_get": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_create": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_reactivate": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_revoke": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_iter_new": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_iter_next": ([out, c_void_p], c_int),
        "cfcerts_iter_next_page": ([out, c_void_p], c_int),
        "cfcerts_iter_free": ([c_void_p], None),
        "cfcerts_bulk_new": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_bulk_next": ([out, c_void_p], c_int),
        "cfcerts_bulk_summary": ([out, c_void_p], c_int),
        "cfcerts_bulk_cancel": ([c_void_p], None),
        "cfcerts_bulk_free": ([c_void_p], None),
        "cfcerts_fleet_plan": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_fleet_apply_new": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_fleet_apply_next": ([out, c_void_p], c_int),
        "cfcerts_fleet_apply_hook_done": ([c_void_p, c_int, c_char_p], c_int),
        "cfcerts_fleet_apply_report": ([out, c_void_p], c_int),
        "cfcerts_fleet_apply_cancel": ([c_void_p], None),
        "cfcerts_fleet_apply_free": ([c_void_p], None),
        "cfcerts_cancellable_new": ([ctypes.POINTER(c_void_p)], c_int),
        "cfcerts_cancellable_cancel": ([c_void_p], None),
        "cfcerts_cancellable_is_cancelled": ([c_void_p], c_int),
        "cfcerts_cancellable_reset": ([c_void_p], None),
        "cfcerts_cancellable_push_current": ([c_void_p], c_int),
        "cfcerts_cancellable_pop_current": ([c_void_p], c_int),
        "cfcerts_cancellable_free": ([c_void_p], None),
        "cfcerts_hostname_associations_get": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_hostname_associations_update": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_hostname_associations_add": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_hostname_associations_remove": ([out, c_void_p, c_char_p, c_char_p], c_int),
        "cfcerts_csr_generate": ([out, c_char_p], c_int),
        "cfcerts_csr_inspect": ([out, c_char_p], c_int),
        "cfcerts_pacing_parse": ([ctypes.POINTER(c_int), ctypes.POINTER(c_int), c_char_p], c_int),
        "cfcerts_pkcs12_create": ([ctypes.POINTER(c_void_p), ctypes.POINTER(ctypes.c_size_t), c_char_p, c_char_p], c_int),
        "cfcerts_bytes_free": ([c_void_p], None),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype


def load() -> ctypes.CDLL:
    """The first library that loads, declares every function and has the expected major version."""
    attempts = []
    for place in _candidates():
        if os.sep in place and not os.path.exists(place):
            attempts.append(f"{place}: no such file")
            continue
        try:
            lib = ctypes.CDLL(place)
            _declare(lib)
        except (OSError, AttributeError) as error:
            attempts.append(f"{place}: {error}")
            continue
        number = lib.cfcerts_version_number()
        if number // 10000 != EXPECTED_MAJOR:
            found = lib.cfcerts_version().decode("ascii", "replace")
            attempts.append(f"{place}: version {found}, this binding needs {EXPECTED_MAJOR}.x")
            continue
        return lib
    raise LibraryNotFound(
        "cannot load libcfcerts; tried, in order: " + "; ".join(attempts)
        + " (set CFCERTS_LIBRARY to the library's path)"
    )


_lib: Optional[ctypes.CDLL] = None
_lock = threading.Lock()


def library() -> ctypes.CDLL:
    """The loaded library, loaded on first use."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = load()
    return _lib


def take_string(pointer: ctypes.c_void_p) -> str:
    """Copies a string the library handed out and frees it with ``cfcerts_string_free``."""
    if not pointer.value:
        return ""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        library().cfcerts_string_free(pointer.value)


def call_for_string(function: Callable[..., int], *arguments) -> tuple[int, str]:
    """Calls ``function(&out, *arguments)``; the code and the string (``""`` when none)."""
    out = ctypes.c_void_p()
    code = function(ctypes.byref(out), *arguments)
    return code, take_string(out)
