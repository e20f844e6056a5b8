"""Fleet as code: `cfcerts plan` and `cfcerts apply` against the emulator, with YAML manifests, kills at random
moments, and keys checked against their certificates with openssl."""

import json
import shutil
import os
import random
import signal
import subprocess
import time

from conftest import certificates, environment, requests_to


def manifest(path, zone, count, validity=365, extra=""):
    lines = [f"zone: {zone}", "defaults:", f"  validity_days: {validity}", "  subject: {organization: Acme, country: NO}",
             "  outputs: {dir: certs}", extra, "certificates:"]
    for index in range(count):
        lines += [f"  - name: dev-{index:03d}", f"    subject: {{common_name: dev-{index:03d}.example.com}}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def public_key(*command):
    return subprocess.run(["openssl", *command, "-pubout" if command[0] == "pkey" else "-pubkey"],
                          capture_output=True, check=True, text=True).stdout


def state_entries(tmp_path):
    """The state's entries: fleet.state/entries/NAME.json."""
    folder = tmp_path / "fleet.state" / "entries"
    return {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}


def assert_converged(emulator, zone, tmp_path, count):
    """Exactly one active certificate per entry, the state's; each output is it, and its key matches it."""
    state = {"entries": state_entries(tmp_path)}
    assert sorted(state["entries"]) == [f"dev-{index:03d}" for index in range(count)]
    zone_certificates = {certificate["id"]: certificate for certificate in certificates(emulator, zone)}
    active = [certificate for certificate in zone_certificates.values()
              if certificate["status"] in ("active", "pending_reactivation")]
    assert len(active) == count, f"{len(active)} active certificates for {count} entries"
    assert {entry["certificate_id"] for entry in state["entries"].values()} == {c["id"] for c in active}
    for name, entry in state["entries"].items():
        pem = (tmp_path / "certs" / f"{name}.pem").read_text()
        assert pem.strip() == zone_certificates[entry["certificate_id"]]["certificate"].strip(), name
        key_file = tmp_path / "certs" / f"{name}.key"
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
        assert public_key("x509", "-noout", "-in", str(tmp_path / "certs" / f"{name}.pem")) == \
            public_key("pkey", "-in", str(key_file)), f"{name}: the key does not match its certificate"


def test_plan_apply_plan_again(cli, emulator, zone, tmp_path):
    manifest(tmp_path / "fleet.yaml", zone, 5)
    plan = cli("plan", "-f", "fleet.yaml", "--detailed-exitcode", check_status=2)
    assert plan.stdout.count(" create ") == 5 and "Plan: 5 create; 0 up to date. 6 request(s)" in plan.stdout
    assert not (tmp_path / "fleet.state").exists() and not (tmp_path / "certs").exists()
    refused = cli("apply", "-f", "fleet.yaml", stdin=subprocess.DEVNULL, check_status=2)
    assert "pass --yes" in refused.stderr and certificates(emulator, zone) == []

    applied = cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    assert applied.stdout.count("done   create") == 5
    assert "Apply: 5 done, 0 failed, 0 answers 429." in applied.stderr
    assert_converged(emulator, zone, tmp_path, 5)
    subject = subprocess.run(["openssl", "x509", "-noout", "-subject", "-in", str(tmp_path / "certs" / "dev-000.pem")],
                             capture_output=True, text=True, check=True).stdout
    assert "C = NO" in subject, "YAML 1.2: NO is a string, not false"
    assert oct((tmp_path / "fleet.state").stat().st_mode & 0o777) == "0o700"

    again = cli("plan", "-f", "fleet.yaml", "--detailed-exitcode", check_status=0)
    assert "Plan: nothing to do; 5 up to date." in again.stdout
    assert cli("apply", "-f", "fleet.yaml", check_status=0).stdout.startswith("Nothing to do")

    as_json = json.loads(cli("plan", "-f", "fleet.yaml", "--output", "json", check_status=0).stdout)
    assert as_json["counts"]["none"] == 5 and as_json["requests"] == 1 and len(as_json["basis"]) == 64


def test_saved_plan_refused_once_the_zone_changed(cli, emulator, zone, tmp_path):
    manifest(tmp_path / "fleet.yaml", zone, 2)
    cli("plan", "-f", "fleet.yaml", "--out", "plan.json", check_status=0)
    emulator.seed(zone, 1)  # a certificate of no entry's: the plan still holds
    cli("apply", "-f", "fleet.yaml", "--plan", "plan.json", check_status=0)
    assert len(certificates(emulator, zone)) == 3
    manifest(tmp_path / "fleet.yaml", zone, 2, validity=30)
    cli("plan", "-f", "fleet.yaml", "--out", "plan.json", check_status=0)
    cli("revoke", state_entries(tmp_path)["dev-000"]["certificate_id"], check_status=0)  # outside cfcerts
    refused = cli("apply", "-f", "fleet.yaml", "--plan", "plan.json", check_status=2)
    assert "no longer matches" in refused.stderr
    assert len(certificates(emulator, zone)) == 3, "nothing sent"
    cli("plan", "-f", "fleet.yaml", "--out", "plan.json", check_status=0)
    cli("apply", "-f", "fleet.yaml", "--plan", "plan.json", check_status=0)
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0


def test_a_malformed_manifest_names_the_field(cli, tmp_path):
    (tmp_path / "fleet.yaml").write_text("zone: 023e105f4ecef8ad9ca31a8372d0c353\ncertificates:\n"
                                         "  - name: a\n    subject: {common_name: a}\n    validty_days: 5\n")
    refused = cli("plan", "-f", "fleet.yaml", check_status=2)
    assert "certificates[0].validty_days is not a manifest field" in refused.stderr
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb.append(f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]")
    (tmp_path / "fleet.yaml").write_text("\n".join(bomb) + "\n")
    started = time.monotonic()
    assert "once its aliases are expanded" in cli("plan", "-f", "fleet.yaml", check_status=2).stderr
    assert time.monotonic() - started < 60
    (tmp_path / "fleet.yaml").write_text("zone: a\nzone: b\ncertificates: []\n")
    duplicated = cli("plan", "-f", "fleet.yaml", check_status=2).stderr
    assert '(line 2): has the key "zone" twice' in duplicated and len(duplicated.splitlines()) == 1
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 1
    # Read with libyaml's events: one document, the core schema's tags only, no unbounded nesting, no dangling alias.
    for text, reason in [("zone: a\n---\nzone: b\n", "holds more than one document"),
                         ("zone: !!python/object:os.system a\ncertificates: []\n", "zone has the tag tag:yaml.org,2002:python/object:os.system"),
                         ("certificates: [" * 200 + "]" * 200 + "\n", "nests deeper than 64 levels"),
                         ("certificates:\n" + "- " * 100_000 + "x\n", "nests deeper than 64 levels"),
                         ("zone: *nowhere\n", "zone uses the alias *nowhere, which names no anchor before it"),
                         ("zone: [a\n", "is not valid YAML"),
                         ("? [a]\n: b\n", "has a key that is not a plain string")]:
        (tmp_path / "fleet.yaml").write_text(text)
        refused = cli("plan", "-f", "fleet.yaml", check_status=2).stderr
        assert reason in refused and len(refused.splitlines()) == 1, (text[:40], refused)
    # An anchor's alias shares a subject; !!str makes 12 a string, which validity_days refuses.
    shared = ("zone: 023e105f4ecef8ad9ca31a8372d0c353\ncertificates:\n"
              "  - {name: a, subject: &s {common_name: a.example.com, country: NO}, validity_days: 12}\n"
              "  - {name: b, subject: *s, validity_days: 12}\n")
    (tmp_path / "fleet.yaml").write_text(shared)
    def planned(text):
        (tmp_path / "fleet.yaml").write_text(text, encoding="utf-8")
        plan = cli("plan", "-f", "fleet.yaml", "--output", "json")
        assert plan.returncode == 0, (text[:60], plan.stderr)
        return sorted((step["name"], step["action"]) for step in json.loads(plan.stdout)["steps"])
    assert planned(shared) == [("a", "create"), ("b", "create")]
    (tmp_path / "fleet.yaml").write_text(shared.replace("validity_days: 12}\n  - {name: b", "validity_days: !!str 12}\n  - {name: b"))
    mistyped = cli("plan", "-f", "fleet.yaml", check_status=2).stderr
    assert "certificates[0].validity_days" in mistyped, mistyped
    # What real files hold reads as any YAML parser reads it: a BOM and CRLF, a directive and document markers,
    # block scalars, quoted and aliased keys, the non-specific tag, comments.
    zone_line = "zone: 023e105f4ecef8ad9ca31a8372d0c353"
    for text in ["\ufeff" + shared.replace("\n", "\r\n"),
                 "%YAML 1.2\n---\n" + shared + "...\n",
                 f"{zone_line}  # the zone\ncertificates:\n- name: a\n  subject:\n    common_name: a.example.com\n"
                 "  hook: |\n    echo one\n    echo two\n",
                 "&z zone: 023e105f4ecef8ad9ca31a8372d0c353\ncertificates: [{name: a, subject: {common_name: a.example.com}}]\n",
                 f'"zone": 023e105f4ecef8ad9ca31a8372d0c353\ncertificates: [{{name: a, subject: {{common_name: ! 1234}}}}]\n',
                 f"{zone_line}\ncertificates:\n- {{&k name: a, subject: {{common_name: a.example.com}}}}\n"
                 "- {*k : b, subject: {common_name: b.example.com}}\n"]:
        assert [name for name, _ in planned(text)] in (["a"], ["a", "b"]), text[:60]


def test_hook_gates_the_old_certificates_revocation(cli, emulator, zone, tmp_path):
    marker = tmp_path / "hook-ok"
    hook = f"test -e {marker} && echo \"$CFCERTS_NAME $CFCERTS_OLD_ID\" >> {tmp_path / 'hook.log'}"
    manifest(tmp_path / "fleet.yaml", zone, 1, extra=f"  hook: '{hook}'")
    marker.touch()
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    old_id = state_entries(tmp_path)["dev-000"]["certificate_id"]
    marker.unlink()
    manifest(tmp_path / "fleet.yaml", zone, 1, validity=30, extra=f"  hook: '{hook}'")
    failed = cli("apply", "-f", "fleet.yaml", "--yes", check_status=12)
    assert "FAILED run_hook" in failed.stdout
    assert {c["id"]: c["status"] for c in certificates(emulator, zone)}[old_id] == "active"
    marker.touch()
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    assert {c["id"]: c["status"] for c in certificates(emulator, zone)}[old_id] in ("pending_revocation", "revoked")
    assert (tmp_path / "hook.log").read_text().splitlines()[-1] == f"dev-000 {old_id}"


def kill_at_random(arguments, emulator, zone, cwd, rng):
    """Starts `cfcerts ARGS` and SIGKILLs it after a random 0.1 to 1.5 s (or lets it end)."""
    process = subprocess.Popen([os.environ["CFCERTS_CLI"], *arguments], cwd=cwd, env=environment(emulator, zone),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        process.wait(timeout=rng.uniform(0.1, 1.5))
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # Requests in flight at the kill reach the server all the same; let them land before the next run looks.
    time.sleep(0.3)


def assert_creates(emulator, zone, expected, seed):
    """As many POSTs as certificates needed; when not, what the zone holds says why. A POST cut off by the kill
    before its body arrived whole (logged 499) was carried out by no one: the next apply rightly sends it again."""
    posts = [r for r in requests_to(emulator, zone) if r["method"] == "POST" and r["status"] != 499]
    if len(posts) == expected:
        return
    by_csr = {}
    for certificate in certificates(emulator, zone):
        by_csr.setdefault(certificate["csr"].strip(), []).append(
            (certificate["issued_on"], certificate["status"], certificate["id"]))
    twice = [sorted(issued) for issued in by_csr.values() if len(issued) > 1]
    answers = sorted((r["time"], r["status"]) for r in posts if r["status"] != 200)
    raise AssertionError(f"{len(posts)} creates sent where {expected} were needed; {sum(map(len, by_csr.values()))} "
                         f"certificates in the zone; CSRs issued more than once: {twice}; answers not 200: {answers}; "
                         f"CFCERTS_FLEET_KILL_SEED={seed}")


def test_applies_killed_at_random_moments_converge_issuing_nothing_twice(cli, emulator, zone, tmp_path):
    seed = os.environ.get("CFCERTS_FLEET_KILL_SEED", str(time.time_ns()))
    rng = random.Random(seed)
    count = 200
    manifest(tmp_path / "fleet.yaml", zone, count)
    arguments = ["apply", "-f", "fleet.yaml", "--yes", "--call-timeout", "10s"]
    for _ in range(5):
        kill_at_random(arguments, emulator, zone, tmp_path, rng)
    cli(*arguments, check_status=0)
    assert_converged(emulator, zone, tmp_path, count)
    assert_creates(emulator, zone, count, seed)
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0

    # Replacing 50 (create, save, then revoke the old), killed twice.
    manifest(tmp_path / "fleet.yaml", zone, count, extra="")
    text = (tmp_path / "fleet.yaml").read_text().splitlines()
    for index in range(50):
        position = text.index(f"  - name: dev-{index:03d}")
        text.insert(position + 2, "    validity_days: 30")
    (tmp_path / "fleet.yaml").write_text("\n".join(text) + "\n")
    for _ in range(2):
        kill_at_random(arguments, emulator, zone, tmp_path, rng)
    cli(*arguments, check_status=0)
    assert_converged(emulator, zone, tmp_path, count)
    assert_creates(emulator, zone, count + 50, seed)
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0


def test_the_editor_schema_agrees_with_the_manifest_reader(cli, tmp_path):
    import jsonschema
    import yaml  # PyYAML, which schemathesis (make deps) needs too

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    schema = json.loads(open(os.path.join(root, "docs", "fleet-manifest.schema.json")).read())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    example = yaml.safe_load(open(os.path.join(root, "examples", "fleet", "fleet.yaml")))
    validator.validate(example)
    # The example reads as the CLI reads it (its partner CSR must exist for plan; here only the reading matters).
    (tmp_path / "fleet.yaml").write_text(open(os.path.join(root, "examples", "fleet", "fleet.yaml")).read())
    reading = cli("plan", "-f", "fleet.yaml", "--base-url", "http://127.0.0.1:9/client/v4", "--max-retries", "0")
    assert "manifest" not in reading.stderr, reading.stderr
    for wrong in ({"certificates": [{"name": "a", "validty_days": 5}]},
                  {"certificates": [{"name": "../a"}]},
                  {"certificates": [], "prune": "delete"},
                  {"certificates": [{"name": "a", "renew_before": "100%"}]},
                  {"certificates": [{"name": "a", "key": {"type": "dsa"}}]}):
        assert not validator.is_valid(wrong), wrong
        (tmp_path / "wrong.json").write_text(json.dumps({"zone": "a" * 32, **wrong}))
        assert cli("plan", "-f", "wrong.json").returncode == 2, wrong


def test_import_adopts_by_id_or_a_unique_common_name_and_refuses_the_rest(cli, emulator, zone, tmp_path):
    manifest(tmp_path / "fleet.yaml", zone, 3)
    # dev-000 exists already, made by hand with its key; two certificates share dev-001's common name.
    cli("create", "--cn", "dev-000.example.com", "--org", "Acme", "--country", "NO", "--validity-days", "365",
        "--key-out", "dev0.key", "--cert-out", "dev0.pem", check_status=0)
    for copy in range(2):
        cli("create", "--cn", "dev-001.example.com", "--validity-days", "365", "--key-out", f"dev1-{copy}.key",
            check_status=0)
    by_cn = {}
    for certificate in certificates(emulator, zone):
        by_cn.setdefault(certificate["common_name"], []).append(certificate["id"])

    refused = cli("import", "-f", "fleet.yaml", "dev-001", "--cn", "dev-001.example.com", check_status=2)
    assert "2 active certificates have the common name" in refused.stderr
    assert all(i in refused.stderr for i in by_cn["dev-001.example.com"])
    assert "no active certificate" in cli("import", "-f", "fleet.yaml", "dev-002", "--cn", "nobody", check_status=2).stderr
    assert "no entry" in cli("import", "-f", "fleet.yaml", "ghost", "--cn", "x", check_status=2).stderr
    other_key = tmp_path / "other.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(other_key)],
                   check=True, capture_output=True)
    wrong = cli("import", "-f", "fleet.yaml", "dev-000", "--cn", "dev-000.example.com", "--key", "other.key", check_status=2)
    assert "is not certificate" in wrong.stderr

    adopted = cli("import", "-f", "fleet.yaml", "dev-000", "--cn", "dev-000.example.com", "--key", "dev0.key", check_status=0)
    assert by_cn["dev-000.example.com"][0] in adopted.stdout
    again = cli("import", "-f", "fleet.yaml", "dev-002", "--id", by_cn["dev-000.example.com"][0], check_status=2)
    assert "already the certificate of dev-000" in again.stderr
    cli("import", "-f", "fleet.yaml", "dev-001", "--id", by_cn["dev-001.example.com"][0], check_status=0)

    plan = json.loads(cli("plan", "-f", "fleet.yaml", "--output", "json", check_status=0).stdout)
    actions = {step["name"]: (step["action"], step["reason"]) for step in plan["steps"]}
    assert actions["dev-000"][0] == "write_outputs", actions  # adopted with its key: only its files are missing
    assert actions["dev-001"][0] == "replace"
    # No key, and made without the manifest's organization and country.
    assert actions["dev-001"][1] == "cfcerts has no key for it (adopted without --key, or the owner's CSR before), subject changed"
    assert actions["dev-002"][0] == "create"
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    assert (tmp_path / "certs" / "dev-000.key").read_text() == (tmp_path / "dev0.key").read_text()
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0


def test_the_issue_walkthrough_of_500_entries(cli, emulator, zone, tmp_path):
    """Plan on an empty zone, apply, plan again; 10 validities changed; a renew_before that would renew on every
    apply refused; 5 removed with prune: revoke; one revoked outside cfcerts."""
    count = 500
    path = manifest(tmp_path / "fleet.yaml", zone, count)
    plan = json.loads(cli("plan", "-f", "fleet.yaml", "--output", "json", check_status=0).stdout)
    assert plan["counts"]["create"] == count and plan["requests"] == count + 1
    assert "estimated_seconds" in plan and plan["budget"]
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    assert sum(1 for r in requests_to(emulator, zone) if r["status"] == 429) == 0
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0
    assert len(list((tmp_path / "certs").glob("*.pem"))) == count

    def edit(transform):
        lines = path.read_text().splitlines()
        path.write_text("\n".join(transform(lines)) + "\n")

    def with_line_after(names, line):
        def transform(lines):
            out = []
            for text in lines:
                out.append(text)
                if any(text == f"    subject: {{common_name: {name}.example.com}}" for name in names):
                    out.append(line)
            return out
        return transform

    before = state_entries(tmp_path)
    edit(with_line_after([f"dev-{i:03d}" for i in range(10)], "    validity_days: 30"))
    plan = json.loads(cli("plan", "-f", "fleet.yaml", "--output", "json", check_status=0).stdout)
    assert plan["counts"]["replace"] == 10 and plan["counts"]["none"] == count - 10
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    statuses = {c["id"]: c["status"] for c in certificates(emulator, zone)}
    after = state_entries(tmp_path)
    for index in range(10):
        name = f"dev-{index:03d}"
        assert statuses[before[name]["certificate_id"]] in ("pending_revocation", "revoked")
        assert statuses[after[name]["certificate_id"]] == "active"

    # A renew_before as long as the validity would renew on every apply: refused, naming it. (Renewal when due is
    # shown by the Swift suite, which plans a year ahead: FleetTests.renewDue.)
    edit(with_line_after([f"dev-{i:03d}" for i in range(10, 15)], "    renew_before: 365d"))
    refused = cli("plan", "-f", "fleet.yaml", check_status=2)
    assert "not shorter than validity_days 365: every apply would renew it" in refused.stderr
    edit(lambda lines: [line for line in lines if "renew_before: 365d" not in line])

    edit(lambda lines: ["prune: revoke"] + lines[: -10])  # the last 5 entries (two lines each) removed
    plan = json.loads(cli("plan", "-f", "fleet.yaml", "--output", "json", check_status=0).stdout)
    assert plan["counts"]["revoke"] == 5
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    assert len(state_entries(tmp_path)) == count - 5

    victim = state_entries(tmp_path)["dev-100"]["certificate_id"]
    api_revoked = subprocess.run([os.environ["CFCERTS_CLI"], "revoke", victim], env=environment(emulator, zone),
                                 capture_output=True, text=True)
    assert api_revoked.returncode == 0, api_revoked.stderr
    plan = json.loads(cli("plan", "-f", "fleet.yaml", "--output", "json", check_status=0).stdout)
    step = next(s for s in plan["steps"] if s["name"] == "dev-100")
    assert step["action"] == "replace" and "revoked outside cfcerts" in step["reason"]
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0
    posts = sum(1 for r in requests_to(emulator, zone) if r["method"] == "POST")
    assert posts == count + 10 + 1, posts


def test_pkcs12_bundles_written_with_each_new_certificate(cli, emulator, zone, tmp_path):
    (tmp_path / "pass").write_text("device secret\n")
    extra = "  pkcs12: {password_file: pass, profile: legacy}"
    manifest(tmp_path / "fleet.yaml", zone, 2)
    text = (tmp_path / "fleet.yaml").read_text().replace(
        "  outputs: {dir: certs}", "  outputs:\n    dir: certs\n    files: [certificate, key, pkcs12]\n  " + extra.strip())
    text = text.replace("  pkcs12: {password_file", "    pkcs12: {password_file")
    (tmp_path / "fleet.yaml").write_text(text)
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    bundle = tmp_path / "certs" / "dev-000.p12"
    assert oct(bundle.stat().st_mode & 0o777) == "0o600"

    def read(path, password="device secret"):
        return subprocess.run(["openssl", "pkcs12", "-in", str(path), "-passin", f"pass:{password}", "-nodes", "-legacy"],
                              capture_output=True, text=True)
    opened = read(bundle)
    assert opened.returncode == 0, opened.stderr
    (tmp_path / "from-p12.pem").write_text(opened.stdout)
    assert public_key("x509", "-noout", "-in", str(tmp_path / "from-p12.pem")) == \
        public_key("pkey", "-in", str(tmp_path / "certs" / "dev-000.key"))
    assert read(bundle, "wrong").returncode != 0
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0, "a bundle is not made again for nothing"
    bundle.unlink()
    plan = json.loads(cli("plan", "-f", "fleet.yaml", "--output", "json", check_status=0).stdout)
    assert {s["name"]: s["reason"] for s in plan["steps"]}["dev-000"] == "missing dev-000.p12"
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    assert read(bundle).returncode == 0

    def step_of(name):
        plan = json.loads(cli("plan", "-f", "fleet.yaml", "--output", "json", check_status=0).stdout)
        return next(s for s in plan["steps"] if s["name"] == name)
    # A password file that changed: both bundles are made again, and open only with the new password.
    (tmp_path / "pass").write_text("rotated secret\n")
    step = step_of("dev-000")
    assert step["action"] == "write_outputs" and "dev-000.p12" in step["reason"], step
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    assert read(bundle, "rotated secret").returncode == 0 and read(bundle).returncode != 0
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0
    # Planned where the password is not at hand (a drift check without the devices' secret): nothing to do, since
    # the certificate and profile are right; a profile switched is seen without it.
    (tmp_path / "pass").rename(tmp_path / "pass.away")
    assert cli("plan", "-f", "fleet.yaml", "--detailed-exitcode").returncode == 0
    (tmp_path / "fleet.yaml").write_text(text.replace("profile: legacy", "profile: modern"))
    step = step_of("dev-000")
    assert step["action"] == "write_outputs" and "was made with another profile" in step["reason"], step
    (tmp_path / "fleet.yaml").write_text(text)
    (tmp_path / "pass.away").rename(tmp_path / "pass")
    # A bundle of another certificate (a file copied over it): made again.
    shutil.copy(tmp_path / "certs" / "dev-001.p12", bundle)
    assert step_of("dev-000")["action"] == "write_outputs"
    cli("apply", "-f", "fleet.yaml", "--yes", check_status=0)
    opened = read(bundle, "rotated secret")
    (tmp_path / "from-p12.pem").write_text(opened.stdout)
    assert public_key("x509", "-noout", "-in", str(tmp_path / "from-p12.pem")) == \
        public_key("pkey", "-in", str(tmp_path / "certs" / "dev-000.key"))
    # A bundle that cannot be made (its password file is gone) fails its step and says why; nothing else is lost.
    (tmp_path / "fleet.yaml").write_text(text.replace("password_file: pass", "password_file: nowhere"))
    bundle.unlink()
    failed = cli("apply", "-f", "fleet.yaml", "--yes", check_status=12)
    assert "FAILED write_outputs   dev-000" in failed.stdout and "password_file" in failed.stdout and "cannot open it" in failed.stdout
    assert "device secret" not in failed.stdout + failed.stderr
