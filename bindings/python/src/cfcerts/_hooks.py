"""A fleet hook handed out by an apply (``cfcerts_fleet_apply_next``), run as ``cfcerts apply`` runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from typing import Any, Mapping, Optional, Tuple


class HookProcess:
    """``/bin/sh -c HOOK`` with standard input from /dev/null, this process's environment less the credential
    variables (``unset``) plus the entry's ``CFCERTS_*`` variables, in a process group of its own. It is ended after
    ``timeout`` seconds, by ``stop()`` (a cancel, from any thread) or by an exception in the waiting thread (Ctrl-C):
    SIGTERM to its group, SIGKILL 5 s later; whatever is left of the group is then killed, so nothing it started
    outlives it. A hook that ends by itself keeps what it started in the background."""

    #: Seconds between SIGTERM and SIGKILL.
    GRACE = 5.0
    _POLL = 0.05

    def __init__(self, hook: Mapping[str, Any], timeout: float) -> None:
        self._hook = hook
        self._timeout = timeout
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ends the hook (SIGTERM to its group, SIGKILL after the grace): the apply was cancelled."""
        self._stop.set()

    def run(self) -> Tuple[bool, Optional[str]]:
        """Whether the hook succeeded, and how it failed."""
        unset = set(self._hook["unset"])
        environment = {name: value for name, value in os.environ.items() if name not in unset}
        environment.update(self._hook["environment"])
        try:
            process = subprocess.Popen(["/bin/sh", "-c", self._hook["command"]], env=environment,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as error:
            return False, f"could not be started: {error.strerror}"
        deadline = time.monotonic() + self._timeout
        ended_because: Optional[str] = None
        terminated_at = 0.0
        try:
            while True:
                now = time.monotonic()
                if ended_because is None and (now >= deadline or self._stop.is_set()):
                    ended_because = "timeout" if now >= deadline else "cancel"
                    _signal_group(process.pid, signal.SIGTERM)
                    terminated_at = now
                elif ended_because is not None and now >= terminated_at + self.GRACE:
                    _signal_group(process.pid, signal.SIGKILL)
                try:
                    status = process.wait(self._POLL)
                    break
                except subprocess.TimeoutExpired:
                    continue
        except BaseException:
            _end(process)  # Ctrl-C while the hook runs: it does not outlive the apply
            raise
        if ended_because is not None:
            _signal_group(process.pid, signal.SIGKILL)
            if ended_because == "timeout":
                return False, f"was ended after its timeout ({self._timeout:g} s)"
            return False, "was ended: the apply was cancelled"
        if status == 0:
            return True, None
        if status < 0:
            return False, f"was killed by signal {-status}"
        return False, f"exited with status {status}"


def _signal_group(pid: int, number: int) -> None:
    try:
        os.killpg(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def _end(process: "subprocess.Popen[bytes]") -> None:
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(HookProcess.GRACE)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process.pid, signal.SIGKILL)
    try:
        process.wait(1)
    except subprocess.TimeoutExpired:
        pass
