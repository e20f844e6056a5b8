"""Fleet as code from Python: a manifest as a YAML file (YAML 1.2 booleans: NO stays "NO") or a mapping, plan,
apply pulled step by step to its report, plan again, a held state folder (InUse), a saved plan that no longer
matches, hooks run as `cfcerts apply` runs them (environment, failure, timeout, asyncio), and an apply cancelled
and finished by the next one."""

import os
import subprocess

import pytest

import cfcerts
from conftest import TOKEN


def manifest(zone, count, **defaults):
    return {"zone": zone, "defaults": {"outputs": {"dir": "out"}, **defaults},
            "certificates": [{"name": f"dev-{i}", "subject": {"common_name": f"dev-{i}.example.com"}}
                             for i in range(count)]}


def public_key(kind, path):
    command = ["openssl", "x509", "-noout", "-pubkey", "-in", path] if kind == "cert" else \
        ["openssl", "pkey", "-pubout", "-in", path]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_yaml_file_plan_apply_plan_again(client, zone, tmp_path):
    (tmp_path / "fleet.yaml").write_text(
        f"zone: {zone}\ndefaults:\n  subject: {{country: NO}}\n  outputs: {{dir: certs}}\ncertificates:\n"
        "  - name: edge\n    subject: {common_name: edge.example.com}\n")
    plan = client.fleet.plan(str(tmp_path / "fleet.yaml"))
    assert [(s.name, s.action) for s in plan.steps] == [("edge", "create")] and plan.has_changes
    assert plan.requests == 2 and len(plan.basis) == 64
    with client.fleet.apply(tmp_path / "fleet.yaml") as run:
        results = list(run)
    assert [(r.name, r.action, r.outcome) for r in results] == [("edge", "create", "done")]
    assert run.report.done == 1 and run.report.failed == 0 and not run.report.interrupted
    assert public_key("cert", str(tmp_path / "certs" / "edge.pem")) == public_key("key", str(tmp_path / "certs" / "edge.key"))
    subject = subprocess.run(["openssl", "x509", "-noout", "-subject", "-in", str(tmp_path / "certs" / "edge.pem")],
                             capture_output=True, text=True, check=True).stdout
    assert "C = NO" in subject
    assert (tmp_path / "fleet.state" / "entries" / "edge.json").exists()
    assert not client.fleet.plan(str(tmp_path / "fleet.yaml")).has_changes


def test_mapping_needs_a_state_dir_and_errors_name_the_field(client, zone, tmp_path):
    with pytest.raises(cfcerts.InvalidArgument, match="state_dir is required"):
        client.fleet.plan(manifest(zone, 1))
    bad = manifest(zone, 1)
    bad["certificates"][0]["validty_days"] = 5
    with pytest.raises(cfcerts.InvalidArgument, match=r"certificates\[0\]\.validty_days is not a manifest field"):
        client.fleet.plan(bad, state_dir=str(tmp_path / "s"))
    with pytest.raises(cfcerts.InvalidArgument, match="hook_timeout"):
        client.fleet.apply(manifest(zone, 1, hook="true"), state_dir=str(tmp_path / "s"), hook_timeout=0)
    with pytest.raises(cfcerts.InvalidArgument, match="cannot be written as JSON"):
        client.fleet.plan({"zone": zone, "certificates": [], "x": float("nan")}, state_dir=str(tmp_path / "s"))
    with pytest.raises(cfcerts.InvalidArgument):
        client.fleet.plan(42)


def test_hooks_run_with_the_new_files_and_a_failed_one_runs_again(client, zone, tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "not-for-hooks")
    log, ready = tmp_path / "hooks.log", tmp_path / "dev-1.ready"
    hook = (f'test -s "$CFCERTS_CERT_FILE" && test -s "$CFCERTS_KEY_FILE" || exit 9; '
            f'echo "$CFCERTS_NAME $CFCERTS_NEW_ID ${{CLOUDFLARE_API_TOKEN:-unset}}" >> {log}; '
            f'[ "$CFCERTS_NAME" != dev-1 ] || [ -e {ready} ] || exit 3')
    document = manifest(zone, 2, hook=hook)
    state = str(tmp_path / "state")
    with client.fleet.apply(document, state_dir=state, base_dir=str(tmp_path)) as run:
        hooks = {r.name: r for r in run if r.action == "run_hook"}
    assert hooks["dev-0"].outcome == "done" and hooks["dev-1"].outcome == "failed"
    assert "exited with status 3" in hooks["dev-1"].detail
    lines = log.read_text().split("\n")
    assert lines[0].startswith("dev-0 ") and lines[0].endswith(" unset") and len(lines[0].split()[1]) == 32
    plan = client.fleet.plan(document, state_dir=state, base_dir=str(tmp_path))
    assert [(s.name, s.action) for s in plan.steps if s.action != "none"] == [("dev-1", "run_hook")]
    ready.touch()
    with client.fleet.apply(document, state_dir=state, base_dir=str(tmp_path)) as run:
        assert [(r.name, r.action, r.outcome) for r in run] == [("dev-1", "run_hook", "done")]
    assert not client.fleet.plan(document, state_dir=state, base_dir=str(tmp_path)).has_changes


def alive(pid_file, wait=3.0):
    """Whether the process whose pid the file holds still runs, once given `wait` seconds to end."""
    import time

    pid = int(pid_file.read_text())
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[-1].startswith("Z"):
                    return False  # a zombie has ended
        except FileNotFoundError:
            return False
        time.sleep(0.05)
    return True


def test_a_hook_past_its_timeout_is_ended_with_what_it_started(client, zone, tmp_path):
    document = manifest(zone, 1, hook=f"sleep 30 & echo $! > {tmp_path}/child.pid; sleep 30")
    with client.fleet.apply(document, state_dir=str(tmp_path / "s"), base_dir=str(tmp_path), hook_timeout=0.5) as run:
        hooks = [r for r in run if r.action == "run_hook"]
    assert len(hooks) == 1 and hooks[0].outcome == "failed" and "timeout" in hooks[0].detail
    assert not alive(tmp_path / "child.pid"), "the hook's background child outlived it"


def test_cancel_from_another_thread_ends_a_running_hook(client, zone, tmp_path):
    import threading
    import time

    document = manifest(zone, 1, hook=f"echo $$ > {tmp_path}/hook.pid; sleep 60")
    run = client.fleet.apply(document, state_dir=str(tmp_path / "s"), base_dir=str(tmp_path))
    started = time.monotonic()
    threading.Timer(1.0, run.cancel).start()
    results = list(run)
    assert time.monotonic() - started < 15, "cancel waited for the hook"
    assert [(r.action, r.outcome) for r in results if r.action == "run_hook"] == [("run_hook", "failed")]
    assert run.report.interrupted and not alive(tmp_path / "hook.pid")


def test_ctrl_c_while_a_hook_runs_stops_the_apply_and_the_next_apply_runs_it(client, zone, tmp_path):
    import signal
    import time

    marker = tmp_path / "interrupted-once"
    document = manifest(zone, 1, hook=f"if [ ! -e {marker} ]; then touch {marker}; echo $$ > {tmp_path}/hook.pid; "
                                      "kill -INT $PPID; sleep 30; fi")
    state = str(tmp_path / "s")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever the runner passed on
    try:
        with pytest.raises(KeyboardInterrupt):
            list(client.fleet.apply(document, state_dir=state, base_dir=str(tmp_path)))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not alive(tmp_path / "hook.pid"), "the hook outlived the interrupted apply"
    assert [s.action for s in client.fleet.plan(document, state_dir=state, base_dir=str(tmp_path)).steps] == ["run_hook"]
    deadline = time.monotonic() + 10
    while True:  # the cancelled apply holds the state folder until it has wound down
        try:
            with client.fleet.apply(document, state_dir=state, base_dir=str(tmp_path)) as run:
                assert [(r.action, r.outcome) for r in run] == [("run_hook", "done")]
            break
        except cfcerts.InUse:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_a_second_ctrl_c_kills_a_hook_that_ignores_sigterm_at_once(client, zone, tmp_path):
    import signal
    import threading
    import time

    pid_file = tmp_path / "hook.pid"
    hook = f"trap '' TERM; echo $$ > {pid_file}; kill -INT $PPID; sleep 30"

    def second_ctrl_c():
        while not pid_file.exists():
            time.sleep(0.05)
        time.sleep(0.5)  # inside the 5 s grace the first Ctrl-C began
        os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=second_ctrl_c, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            list(client.fleet.apply(manifest(zone, 1, hook=hook), state_dir=str(tmp_path / "s"), base_dir=str(tmp_path)))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not alive(pid_file, wait=1.0), "the hook outlived two Ctrl-C"
    assert time.monotonic() - started < 4.5, "the second Ctrl-C waited out the grace"


def test_held_state_and_saved_plan(client, emulator, zone, tmp_path):
    state = tmp_path / "state"
    document = manifest(zone, 3)
    plan = client.fleet.plan(document, state_dir=str(state), base_dir=str(tmp_path))
    client.fleet.plan(manifest(zone, 2), state_dir=str(state), base_dir=str(tmp_path))
    with pytest.raises(cfcerts.InvalidArgument, match="no longer matches"):
        # Two entries now, not three: not the plan that was made.
        list(client.fleet.apply(manifest(zone, 2), state_dir=str(state), base_dir=str(tmp_path), plan=plan))
    state.mkdir(mode=0o700, exist_ok=True)
    (state / ".lock").touch(mode=0o600)
    # Another process holds the state's lock (a POSIX lock: the library's open-file lock conflicts with it).
    child = subprocess.Popen(["python3", "-c", "import fcntl,sys,time; f=open(sys.argv[1],'w'); "
                              "fcntl.lockf(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)",
                              str(state / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(cfcerts.InUse):
            list(client.fleet.apply(document, state_dir=str(state), base_dir=str(tmp_path)))
    finally:
        child.kill()
        child.wait()
    with client.fleet.apply(document, state_dir=str(state), base_dir=str(tmp_path), concurrency=2) as run:
        assert sum(1 for r in run if r.outcome == "done") == 3


def test_a_cancelled_apply_is_finished_by_the_next(emulator, zone, tmp_path):
    # A create cut off by the cancel is settled by the next apply once no answer to it can still arrive: one
    # request timeout (3 s here) after it was sent.
    client = cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url, timeout=3)
    document = manifest(zone, 30)
    state = str(tmp_path / "state")
    emulator.fault(kind="delay", method="POST", path=f"/client/v4/zones/{zone}/client_certificates", count=30,
                   delay_ms=100)
    run = client.fleet.apply(document, state_dir=state, base_dir=str(tmp_path), concurrency=2)
    first = next(run)
    run.cancel()
    rest = list(run)
    assert run.report is not None and run.report.interrupted
    done_before = 1 + sum(1 for r in rest if r.outcome == "done")
    assert done_before < 30
    emulator.control("DELETE", "/faults")
    with client.fleet.apply(document, state_dir=state, base_dir=str(tmp_path)) as again:
        list(again)
    assert again.report.failed == 0
    certificates = list(client.client_certificates.list(zone))
    assert len(certificates) == 30, "nothing issued twice"
    assert not client.fleet.plan(document, state_dir=state, base_dir=str(tmp_path)).has_changes
    assert first.outcome in ("done", "failed")
    client.close()


def test_yaml_aliases_duplicate_keys_and_bombs_are_refused(client, zone, tmp_path):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{level}: &{level} [" + ", ".join([f"*{chr(ord(level) - 1)}"] * 10) + "]" for level in "bcdefghi"]
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    with pytest.raises(cfcerts.InvalidArgument, match="aliases are not read"):
        client.fleet.plan(str(tmp_path / "bomb.yaml"))
    (tmp_path / "twice.yaml").write_text(f"zone: {zone}\nzone: {zone}\ncertificates: []\n")
    with pytest.raises(cfcerts.InvalidArgument, match='the key "zone" is given twice'):
        client.fleet.plan(str(tmp_path / "twice.yaml"))
    (tmp_path / "object.yaml").write_text("zone: !!python/object/apply:os.system ['true']\ncertificates: []\n")
    with pytest.raises(cfcerts.InvalidArgument, match="not valid YAML"):
        client.fleet.plan(str(tmp_path / "object.yaml"))


def test_async_client_plans_and_applies(emulator, zone, tmp_path):
    import asyncio

    async def main():
        async with cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url) as client:
            document = manifest(zone, 3)
            plan = await client.fleet.plan(document, state_dir=str(tmp_path / "state"), base_dir=str(tmp_path))
            assert plan.counts["create"] == 3
            run = await client.fleet.apply({**document, "defaults": {**document["defaults"], "hook": f"touch {tmp_path}/$CFCERTS_NAME.hooked"}},
                                           state_dir=str(tmp_path / "state"), base_dir=str(tmp_path))
            results = [result async for result in run]
            assert sorted(r.name for r in results if r.outcome == "done" and r.action == "create") == ["dev-0", "dev-1", "dev-2"]
            assert sorted(r.name for r in results if r.outcome == "done" and r.action == "run_hook") == ["dev-0", "dev-1", "dev-2"]
            assert run.report.done == 6 and (tmp_path / "dev-2.hooked").exists()
            again = await client.fleet.plan({**document, "defaults": {**document["defaults"], "hook": "x"}},
                                            state_dir=str(tmp_path / "state"), base_dir=str(tmp_path))
            assert not again.has_changes

    asyncio.run(main())
