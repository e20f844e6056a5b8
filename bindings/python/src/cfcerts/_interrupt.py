"""Calls that can be interrupted: Ctrl-C on the main thread, or a cancel from another thread or an asyncio task.

A blocking call of the library holds the thread that makes it, and Python runs a signal handler only on the main
thread between bytecodes. So a call made on the main thread runs on a worker thread instead, with a cancellable
current there; the main thread waits for it in a way a signal interrupts. On Ctrl-C (or any exception a signal
handler raises) the cancellable is cancelled, the call returns ``CFCERTS_ECANCELLED`` within 100 ms, and the
exception goes on. Calls made on other threads run where they are: the library observes that thread's current
cancellable, which ``AsyncClient`` pushes for each call."""

from __future__ import annotations

import concurrent.futures
import ctypes
import threading
from typing import Any, Callable, Optional, TypeVar

from ._library import library

T = TypeVar("T")

_executor_lock = threading.Lock()
_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None


def _workers() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="cfcerts-call")
        return _executor


def reset_after_fork() -> None:
    """In a child of fork() the workers do not exist: the next call starts new ones."""
    global _executor, _executor_lock
    _executor_lock = threading.Lock()
    _executor = None


class Cancellable:
    """``cfcerts_cancellable``: cancel() from any thread ends the calls of the threads that made it current."""

    def __init__(self) -> None:
        lib = library()
        handle = ctypes.c_void_p()
        lib.cfcerts_cancellable_new(ctypes.byref(handle))
        self._lib = lib
        self._handle = handle.value

    def cancel(self) -> None:
        self._lib.cfcerts_cancellable_cancel(self._handle)

    @property
    def cancelled(self) -> bool:
        return bool(self._lib.cfcerts_cancellable_is_cancelled(self._handle))

    def run(self, function: Callable[[], T]) -> T:
        """``function()`` on this thread with this cancellable current."""
        self._lib.cfcerts_cancellable_push_current(self._handle)
        try:
            return function()
        finally:
            self._lib.cfcerts_cancellable_pop_current(self._handle)

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = None
            self._lib.cfcerts_cancellable_free(handle)


def interruptible(function: Callable[[], T], on_interrupt: Optional[Callable[[Cancellable], Any]] = None) -> T:
    """``function()`` (which makes blocking library calls), so that Ctrl-C ends it within 200 ms on the main thread.
    ``on_interrupt`` replaces cancelling the call's cancellable (a bulk run cancels itself instead)."""
    if threading.current_thread() is not threading.main_thread():
        return function()
    cancellable = Cancellable()
    future = _workers().submit(cancellable.run, function)
    try:
        # Woken every 50 ms: a signal the kernel gave to another thread (a worker, one of the library's) is only
        # flagged there, and its handler runs when this thread next runs Python code. An endless wait could miss it.
        while not future.done():
            concurrent.futures.wait([future], timeout=0.05)
        return future.result()
    except BaseException:
        if not future.done():
            # A signal handler raised (KeyboardInterrupt, SystemExit...): end the call, then let that go on.
            (on_interrupt or Cancellable.cancel)(cancellable)
            concurrent.futures.wait([future])
        raise
