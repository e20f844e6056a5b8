"""``client.fleet``: fleet as code. A manifest of the certificates that should exist (a path to a YAML or JSON
file, or a mapping in the manifest's JSON shape), planned and applied as ``cfcerts plan`` and ``cfcerts apply``
do (README: "Fleet as code")."""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, Mapping, Optional, Tuple, Union

from . import _arguments as arguments
from ._client import _NativeHandle
from ._errors import InvalidArgument
from ._hooks import HookProcess
from ._library import call_for_string

if TYPE_CHECKING:
    from ._client import Client

Manifest = Union[str, "os.PathLike[str]", Mapping[str, Any]]


@dataclass(frozen=True)
class FleetStep:
    """What apply would do to one entry: ``action`` is ``create``, ``renew``, ``replace``, ``reactivate``,
    ``revoke``, ``revoke_replaced``, ``run_hook``, ``write_outputs``, ``keep`` or ``none``; ``reason`` says why."""

    name: str
    zone: str
    action: str
    reason: str
    certificate_id: Optional[str]


@dataclass(frozen=True)
class FleetPlan:
    steps: Tuple[FleetStep, ...]
    counts: Dict[str, int]
    #: API requests apply would make, and how long they take at the client's request budget.
    requests: int
    estimated_seconds: int
    budget: str
    #: Pass it to ``apply(plan=...)`` to apply only while the manifest, the state and the zone still give this plan.
    basis: str

    @property
    def has_changes(self) -> bool:
        return any(step.action not in ("none", "keep") for step in self.steps)


@dataclass(frozen=True)
class FleetStepResult:
    """One step of an apply, as it ended: ``outcome`` is ``"done"`` or ``"failed"`` (``detail`` says why)."""

    name: str
    action: str
    outcome: str
    certificate_id: Optional[str]
    detail: Optional[str]


@dataclass(frozen=True)
class FleetReport:
    done: int
    failed: int
    #: The apply was cancelled: apply again to finish what it left under way.
    interrupted: bool
    rate_limited_answers: int
    results: Tuple[FleetStepResult, ...]


class Fleet:
    """``client.fleet``. A manifest given as a path reads its relative paths from the file's folder, and keeps its
    state beside it (``fleet.yaml`` -> ``fleet.state``), as the CLI does; one given as a mapping needs
    ``state_dir`` and reads relative paths from ``base_dir`` (default: the current folder)."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def plan(self, manifest: Manifest, *, state_dir: Optional[str] = None,
             base_dir: Optional[str] = None) -> FleetPlan:
        """What ``apply`` would do now: reads each zone once; writes nothing."""
        text, params = _arguments(manifest, state_dir, base_dir, {})
        fields = json.loads(self._client._call("cfcerts_fleet_plan", text, params))
        return FleetPlan(steps=tuple(FleetStep(name=s["name"], zone=s["zone"], action=s["action"], reason=s["reason"],
                                               certificate_id=s.get("certificate_id")) for s in fields["steps"]),
                         counts=dict(fields["counts"]), requests=fields["requests"],
                         estimated_seconds=fields["estimated_seconds"], budget=fields["budget"], basis=fields["basis"])

    def apply(self, manifest: Manifest, *, state_dir: Optional[str] = None, base_dir: Optional[str] = None,
              concurrency: Optional[int] = None, plan: Optional[FleetPlan] = None,
              hook_timeout: float = 600) -> "FleetApply":
        """Makes the zone and the output files match the manifest, in the background: iterate for each step's
        result as it ends; ``report`` is set at the end. Killed at any moment and run again, it finishes what was
        under way and issues nothing twice. A state folder another apply holds raises ``InUse``; ``plan`` one that
        no longer matches raises ``InvalidArgument`` (while iterating).

        An entry's hook runs as ``cfcerts apply`` runs it, in the iterating thread once the entry's new files are
        in place: ``/bin/sh -c HOOK`` in a process group of its own, standard input from /dev/null, the
        ``CFCERTS_*`` variables added to this process's environment and the credential variables left out. After
        ``hook_timeout`` seconds, on ``cancel()`` or on Ctrl-C its group gets SIGTERM, then SIGKILL 5 s later or as
        soon as the shell has ended (a second Ctrl-C: at once). One
        that fails (or is ended) is reported as a failed ``run_hook`` step, and the certificate its entry's new one
        replaces stays active: the next apply runs it again."""
        if isinstance(hook_timeout, bool) or not isinstance(hook_timeout, (int, float)) or not 0 < hook_timeout <= 86400:
            raise InvalidArgument("hook_timeout must be a number of seconds, above 0 and at most 86400")
        extra = {"concurrency": None if concurrency is None else arguments.integer(concurrency, "concurrency"),
                 "plan_basis": plan.basis if plan is not None else None, "caller_runs_hooks": True}
        text, params = _arguments(manifest, state_dir, base_dir, extra)
        return FleetApply(self._client, text, params, hook_timeout)


class FleetApply(_NativeHandle, Iterator[FleetStepResult]):
    """An apply in progress. One pass; ``cancel()`` (any thread) stops it between steps, ``close()`` (or the end of
    a ``with`` block) cancels and frees it."""

    def __init__(self, client: "Client", manifest: bytes, params: bytes, hook_timeout: float = 600) -> None:
        super().__init__(client, "fleet_apply", manifest, params)
        self.report: Optional[FleetReport] = None
        self._hook_timeout = hook_timeout
        # A hook runs between two pulls: one thread at a time pulls, runs and answers.
        self._step_lock = threading.Lock()
        self._running_hook: Optional[HookProcess] = None
        self._cancelled = False
        self._hook_lock = threading.Lock()  # a cancel never misses a hook as it starts

    def __iter__(self) -> "FleetApply":
        return self

    def __next__(self) -> FleetStepResult:
        with self._step_lock:
            while True:
                text = self._pull(at_end=self._read_report, on_interrupt=lambda _: self.cancel())
                if text is None:
                    raise StopIteration
                fields = json.loads(text)
                if "hook" not in fields:
                    return _result(fields)
                hook = HookProcess(fields["hook"], self._hook_timeout)
                with self._hook_lock:
                    self._running_hook = hook
                    if self._cancelled:
                        hook.stop()
                try:
                    succeeded, detail = hook.run()
                except BaseException:
                    self.close()  # Ctrl-C while the hook ran: the apply stops, the next one runs it again
                    raise
                finally:
                    with self._hook_lock:
                        self._running_hook = None
                self._answer(succeeded, detail)

    def _answer(self, succeeded: bool, detail: Optional[str]) -> None:
        with self._handle_lock:
            if self._handle:
                # CFCERTS_EINVAL here means the apply was cancelled meanwhile: the next pull says how it ended.
                self._lib.cfcerts_fleet_apply_hook_done(self._handle, 1 if succeeded else 0,
                                                        None if detail is None else detail.encode()[:1000].decode("utf-8", "ignore").encode())

    def _read_report(self) -> None:
        code, text = call_for_string(self._lib.cfcerts_fleet_apply_report, self._handle)
        if code == 0:
            fields = json.loads(text)
            self.report = FleetReport(done=fields["done"], failed=fields["failed"], interrupted=fields["interrupted"],
                                      rate_limited_answers=fields["rate_limited_answers"],
                                      results=tuple(_result(result) for result in fields["results"]))

    def cancel(self) -> None:
        """Stops the apply between steps; its requests in flight end at once, and a hook that runs or is about to
        is ended (SIGTERM to its group, SIGKILL 5 s later or once the shell has ended). Safe from any thread."""
        with self._hook_lock:
            self._cancelled = True
            if self._running_hook is not None:
                self._running_hook.stop()
        with self._handle_lock:
            if self._handle:
                self._lib.cfcerts_fleet_apply_cancel(self._handle)

    def close(self) -> None:
        self.cancel()
        super().close()

    def __enter__(self) -> "FleetApply":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _result(fields: Dict[str, Any]) -> FleetStepResult:
    return FleetStepResult(name=fields["name"], action=fields["action"], outcome=fields["outcome"],
                           certificate_id=fields.get("certificate_id"), detail=fields.get("detail"))


def _arguments(manifest: Manifest, state_dir: Optional[str], base_dir: Optional[str],
               extra: Dict[str, Any]) -> Tuple[bytes, bytes]:
    """The manifest's JSON text and the C call's params."""
    if isinstance(manifest, Mapping):
        document: Any = manifest
        if state_dir is None:
            raise InvalidArgument("state_dir is required with a manifest given as a mapping")
        base = base_dir if base_dir is not None else os.getcwd()
    elif isinstance(manifest, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(manifest))
        document = _read(path)
        base = base_dir if base_dir is not None else os.path.dirname(path)
        if state_dir is None:
            stem, extension = os.path.splitext(path)
            state_dir = (stem if extension in (".yaml", ".yml", ".json") else path) + ".state"
    else:
        raise InvalidArgument(f"manifest must be a path or a mapping, not {type(manifest).__name__}")
    try:
        text = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidArgument(f"the manifest cannot be written as JSON: {error}") from None
    params = arguments.json_object({"base_dir": arguments.text(base, "base_dir").decode(),
                                    "state_dir": arguments.text(os.fspath(state_dir), "state_dir").decode(), **extra},
                                   "fleet")
    return arguments.text(text, "manifest"), params


def _read(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidArgument(f"cannot read the manifest {path}: {error}") from None
    if path.endswith(".json"):
        try:
            return json.loads(text)
        except ValueError as error:
            raise InvalidArgument(f"{path} is not valid JSON: {error}") from None
    return _load_yaml(text, path)


def _load_yaml(text: str, path: str) -> Any:
    """YAML with PyYAML's safe loader, read with YAML 1.2's booleans (only true and false: ``country: NO`` stays
    "NO"), without aliases, and refusing a key given twice."""
    try:
        import yaml
    except ImportError:
        raise InvalidArgument(f"{path}: reading YAML needs PyYAML (pip install pyyaml); or pass a JSON file or a mapping") from None

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            # Aliases are refused: a manifest has defaults for sharing, and an alias bomb cannot be expanded.
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(None, None, "aliases are not read (use defaults to share settings)",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
            for key in keys:
                if keys.count(key) > 1:
                    raise yaml.constructor.ConstructorError(None, None, f'the key "{key}" is given twice', node.start_mark)
            return super().construct_mapping(node, deep)

    boolean = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != boolean]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    Loader.add_implicit_resolver(boolean, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        raise InvalidArgument(f"{path} is not valid YAML: {' '.join(str(error).split())[:300]}") from None
