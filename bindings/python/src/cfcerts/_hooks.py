"""A fleet hook handed out by an apply (``cfcerts_fleet_apply_next``), run as ``cfcerts apply`` runs it."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any, Mapping, Optional, Tuple


class HookProcess:
    """``/bin/sh -c HOOK`` with standard input from /dev/null, this process's environment less the credential
    variables (``unset``) plus the entry's ``CFCERTS_*`` variables, every signal at its default and none blocked, in
    a process group of its own. It is ended after ``timeout`` seconds, by ``stop()`` (a cancel, from any thread) or
    by an exception in the waiting thread (Ctrl-C; a second one kills at once): SIGTERM to its group, SIGKILL 5 s
    later or as soon as the shell has ended, before the shell is reaped (its group id cannot have been reused). A
    hook that ends by itself keeps what it started in the background."""

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
        # posix_spawn returns once the shell runs: no moment where a Ctrl-C could lose its pid.
        try:
            pid = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", self._hook["command"]], environment,
                                 file_actions=[(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)],
                                 setpgroup=0, setsigmask=(), setsigdef=_DEFAULTED)
        except OSError as error:
            return False, f"could not be started: {error.strerror}"
        try:
            ended_because, code, number = self._watch(pid)
        except ChildProcessError:
            return False, "could not be waited for: something else in this process reaped it"
        except BaseException:
            _end(pid)  # Ctrl-C while the hook runs: it does not outlive the apply
            raise
        if ended_because is not None or code == os.CLD_KILLED or code == os.CLD_DUMPED:
            _signal_group(pid, signal.SIGKILL)  # what it started goes with it; the shell is not reaped yet
        _reap(pid)
        if ended_because == "timeout":
            return False, f"was ended after its timeout ({self._timeout:g} s)"
        if ended_because == "cancel":
            return False, "was ended: the apply was cancelled"
        if code == os.CLD_EXITED:
            return (True, None) if number == 0 else (False, f"exited with status {number}")
        return False, f"was killed by signal {number}"

    def _watch(self, pid: int) -> Tuple[Optional[str], int, int]:
        """Waits until the shell has ended (left unreaped): why it was ended, if it was, and how it ended."""
        deadline = time.monotonic() + self._timeout
        ended_because: Optional[str] = None
        terminated_at = 0.0
        while True:
            ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if ended is not None and ended.si_pid == pid:
                return ended_because, ended.si_code, ended.si_status
            now = time.monotonic()
            if ended_because is None and (now >= deadline or self._stop.is_set()):
                ended_because = "timeout" if now >= deadline else "cancel"
                _signal_group(pid, signal.SIGTERM)
                terminated_at = now
            elif ended_because is not None and now >= terminated_at + self.GRACE:
                _signal_group(pid, signal.SIGKILL)
            time.sleep(self._POLL)


#: Signals the hook starts with at their default action, whatever this process does with them.
_DEFAULTED = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP, signal.SIGPIPE, signal.SIGCHLD)


def _signal_group(pid: int, number: int) -> None:
    try:
        os.killpg(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # reaped by someone else (a SIGCHLD handler of the host)


def _end(pid: int) -> None:
    """SIGTERM to the group, SIGKILL once it ended or after the grace; SIGKILL whatever interrupts the grace."""
    ours = True
    try:
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + HookProcess.GRACE
        while time.monotonic() < deadline:
            ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if ended is not None and ended.si_pid == pid:
                break
            time.sleep(HookProcess._POLL)
    except ChildProcessError:
        ours = False  # reaped elsewhere: its group id may be another's by now
    finally:
        if ours:
            _signal_group(pid, signal.SIGKILL)
            _reap(pid)
