#!/usr/bin/env python3
"""No credential in any output: every face (the CLI, the Python binding over the C ABI, the Ruby gem) is driven
through its successes and its failures (wrong and refused credentials, a read-only token writing, every server
fault the emulator can inject, malformed arguments that carry the secret, a timeout) with the library logging at
`trace`; every line of standard output, standard error, exception text, `repr`/`inspect`, and the emulator's own
log and request log is collected, and the sweep fails if any credential in use appears in it, as sent or encoded.

Usage: Tests/secrets/sweep.py BIN_DIR LIBRARY   (run by scripts/run-secrets-test.sh)
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

BIN, LIBRARY = sys.argv[1], sys.argv[2]
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Distinctive values, so that any appearance is a leak and never a coincidence.
TOKEN = "sweepTOKENq7Vx2Lp9Rk4Zt8Wm3Nc6Hb"
READ_ONLY = "sweepREADONLYa5Gd1Jf7Ks2Qw9Ey4U"
EMAIL, KEY = "sweep@example.com", "sweepKEYf3b9c2d7e1a6054b8c9d0e2f"
SERVICE_KEY = "v1.0-sweepSERVICEKEY-9d8c7b6a5f4e3d2c1b0a"
SECRETS = (TOKEN, READ_ONLY, KEY, SERVICE_KEY)
ZONE = "0123456789abcdef0123456789abcdef"
HERE = tempfile.mkdtemp(prefix="cfcerts-secrets-")


def forms(secret):
    """The secret as sent, and as it would look encoded in a URL, base64, JSON or a hex dump."""
    return {secret, urllib.parse.quote(secret, safe=""), base64.b64encode(secret.encode()).decode(),
            json.dumps(secret)[1:-1], secret.encode().hex(), secret[:12]}


def control(root, method, path, body=None):
    request = urllib.request.Request(root + "/__emulator" + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


def main():
    emulator_log = open(os.path.join(HERE, "emulator.err"), "w+")
    emulator = subprocess.Popen(
        [os.path.join(BIN, "cfcerts-emulator"), "--port", "0", "--ca-key", "p256", "--transition-delay", "0",
         "--rate-limit", "1000000000/300", "--token", TOKEN, "--read-only-token", READ_ONLY,
         "--api-key", f"{EMAIL}:{KEY}", "--service-key", SERVICE_KEY],
        stdout=subprocess.PIPE, stderr=emulator_log, text=True)
    base = emulator.stdout.readline().strip()
    root = base[: -len("/client/v4")]
    banner = emulator.stdout.readline()  # "token: ...": the emulator announces what it accepts (not a client's output)
    collected = []  # (where, text)
    try:
        cli_sweep(base, root, collected)
        binding_sweep(base, root, collected, "python", [sys.executable, "-c", PYTHON_SCENARIOS],
                      {"CFCERTS_LIBRARY": LIBRARY, "PYTHONPATH": os.path.join(TOP, "bindings/python/src")})
        binding_sweep(base, root, collected, "ruby", ["ruby", "-I", os.path.join(TOP, "bindings/ruby/lib"), "-e",
                                                      RUBY_SCENARIOS], {"CFCERTS_LIBRARY": LIBRARY})
        collected.append(("emulator request log", control(root, "GET", "/requests")))
    finally:
        emulator.terminate()
        emulator.wait()
    emulator_log.seek(0)
    collected.append(("emulator standard error", emulator_log.read()))

    # The scanner finds what it looks for: the emulator's banner names the token it accepts.
    assert any(form in banner for form in forms(TOKEN)), "the scanner would miss a leak"
    text = "\n".join(body for _, body in collected)
    leaks = [(where, secret) for where, body in collected for secret in SECRETS for form in forms(secret) if form in body]
    errors = sum(text.count(word) for word in ("authentication", "permission", "rate limited", "timeout", "decoding",
                                                "Error", "error"))
    log_lines = len(re.findall(r" (?:trace|debug|info|notice|warning|error|critical) cfcerts: ", text))
    print(f"secrets sweep: {len(collected)} outputs, {len(text.splitlines())} lines, {len(text)} bytes, "
          f"{errors} error mentions, {log_lines} library log lines")
    assert log_lines >= 100, "the library's log (CLOUDFLARE_LOG=trace) was hardly exercised"
    assert "Authorization: <redacted>" in text
    for kind in ("authentication", "permission", "rate", "timeout", "decod", "invalid"):
        assert kind in text.lower(), f"the sweep never produced a {kind} error: it proves less than it claims"
    if leaks:
        for where, secret in sorted(set(leaks)):
            print(f"LEAK: a credential ({secret[:5]}...) appears in {where}")
        raise SystemExit(1)
    print("secrets sweep: no credential in any output")


def run(collected, where, command, env):
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=HERE)
    collected.append((where, f"$ {where} -> {result.returncode}\n{result.stdout}\n{result.stderr}"))
    return result


def cli_sweep(base, root, collected):
    cli = os.path.join(BIN, "cfcerts")
    plain = {"PATH": os.environ["PATH"], "CLOUDFLARE_BASE_URL": base, "CLOUDFLARE_ZONE_ID": ZONE, "CLOUDFLARE_LOG": "trace",
             "HOME": HERE}
    credentials = {
        "token": {"CLOUDFLARE_API_TOKEN": TOKEN},
        "read-only token": {"CLOUDFLARE_API_TOKEN": READ_ONLY},
        "key": {"CLOUDFLARE_API_KEY": KEY, "CLOUDFLARE_EMAIL": EMAIL},
        "service key": {"CLOUDFLARE_API_USER_SERVICE_KEY": SERVICE_KEY},
        "wrong token": {"CLOUDFLARE_API_TOKEN": TOKEN[:-1] + "X"},
        "wrong key": {"CLOUDFLARE_API_KEY": KEY[:-1] + "0", "CLOUDFLARE_EMAIL": EMAIL},
    }
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "k.pem"], cwd=HERE, check=True)
    subprocess.run(["openssl", "req", "-new", "-key", "k.pem", "-subj", "/CN=sweep.example.com", "-out", "r.csr"], cwd=HERE,
                   check=True)
    control(root, "POST", f"/zones/{ZONE}/seed", {"count": 3, "validity_days": 365, "issued_days_ago": 350})
    for name, credential in credentials.items():
        env = {**plain, **credential}
        tag = f"cfcerts ({name})"
        run(collected, f"{tag} list", [cli, "list", "--all"], env)
        listed = run(collected, f"{tag} list json", [cli, "list", "--output", "jsonl"], env)
        first = listed.stdout.splitlines()[0] if listed.returncode == 0 and listed.stdout else '{"id": "0" }'
        certificate = json.loads(first)["id"]
        run(collected, f"{tag} get", [cli, "get", certificate], env)
        run(collected, f"{tag} create", [cli, "create", "--csr", "r.csr", "--output", "json"], env)
        run(collected, f"{tag} revoke", [cli, "revoke", certificate], env)
        run(collected, f"{tag} reactivate", [cli, "reactivate", certificate], env)
        run(collected, f"{tag} bulk revoke", [cli, "revoke", "--all", "--yes", "--dry-run"], env)
        run(collected, f"{tag} renew due", [cli, "renew", "--due", "30d", "--out-dir", f"out-{len(collected)}",
                                            "--deploy-hook", "env | sort"], env)
        run(collected, f"{tag} prometheus", [cli, "list", "--output", "prometheus"], env)
    env = {**plain, **credentials["token"]}
    faults = [{"kind": "status", "status": 500, "count": 10}, {"kind": "rate_limit", "count": 10, "retry_after": 1},
              {"kind": "html", "count": 10}, {"kind": "truncated", "count": 10}, {"kind": "drop", "count": 10},
              {"kind": "success_false", "count": 10}, {"kind": "lost_answer", "count": 10},
              {"kind": "delay", "delay_ms": 3000, "count": 10}, {"kind": "stall", "count": 10}]
    for fault in faults:
        try:
            control(root, "DELETE", "/faults")
            control(root, "POST", "/faults", fault)
        except urllib.error.HTTPError as refused:
            raise SystemExit(f"the emulator refused fault {fault}: {refused.read().decode()}")
        run(collected, f"cfcerts fault {fault['kind']}", [cli, "list", "--call-timeout", "2s", "--max-retries", "1"], env)
        run(collected, f"cfcerts fault {fault['kind']} create", [cli, "create", "--csr", "r.csr", "--call-timeout", "2s"], env)
    control(root, "DELETE", "/faults")
    # Malformed arguments that carry a secret: each is refused, and the refusal must not repeat it.
    for index, arguments in enumerate((["list", "--api-token", TOKEN + "\n"], ["list", "--api-token", TOKEN + " space"],
                                       ["list", "--base-url", f"http://user:{TOKEN}@127.0.0.1:1/client/v4"],
                                       ["list", "--api-key", KEY, "--api-email", "not an email"],
                                       ["list", "--user-service-key", SERVICE_KEY + "\u0001"],
                                       ["list", "--api-token", TOKEN, "--api-key", KEY, "--api-email", EMAIL])):
        run(collected, f"cfcerts malformed credential argument #{index}", [cli, *arguments], plain)
    run(collected, "cfcerts unreachable", [cli, "list", "--base-url", "http://127.0.0.1:9/client/v4", "--api-token", TOKEN,
                                           "--call-timeout", "2s"], plain)


def binding_sweep(base, root, collected, name, command, extra):
    env = {"PATH": os.environ["PATH"], "CLOUDFLARE_LOG": "trace", "SWEEP_BASE": base, "SWEEP_ROOT": root,
           "SWEEP_ZONE": ZONE, "SWEEP_TOKEN": TOKEN, "SWEEP_READ_ONLY": READ_ONLY, "SWEEP_EMAIL": EMAIL,
           "SWEEP_KEY": KEY, "SWEEP_SERVICE_KEY": SERVICE_KEY, "SWEEP_CSR": os.path.join(HERE, "r.csr"),
           "HOME": HERE, **extra}
    result = run(collected, name, command, env)
    assert result.returncode == 0, f"{name} scenarios failed to run:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "scenarios done" in result.stdout


# Each scenario prints the exception's str and repr (and the client's repr); the library logs at trace to stderr.
PYTHON_SCENARIOS = r"""
import json, os, urllib.request
import cfcerts
e = os.environ
zone, base, csr = e["SWEEP_ZONE"], e["SWEEP_BASE"], open(e["SWEEP_CSR"]).read()
def arm(fault):
    for method, body in (("DELETE", None), ("POST", fault)):
        request = urllib.request.Request(e["SWEEP_ROOT"] + "/__emulator/faults", method=method,
            data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).read()
def attempt(label, call):
    try:
        print(label, "->", repr(call()))
    except Exception as error:
        print(label, "raised", type(error).__name__, str(error), repr(error), getattr(error, "__dict__", ""))
clients = {
    "token": dict(api_token=e["SWEEP_TOKEN"]), "read-only": dict(api_token=e["SWEEP_READ_ONLY"]),
    "key": dict(api_key=e["SWEEP_KEY"], api_email=e["SWEEP_EMAIL"]), "service": dict(user_service_key=e["SWEEP_SERVICE_KEY"]),
    "wrong": dict(api_token=e["SWEEP_TOKEN"][:-1] + "X"),
}
for label, credential in clients.items():
    client = cfcerts.Client(base_url=base, total_timeout=3, max_retries=1, **credential)
    print(label, repr(client), repr(client.client_certificates))
    certificates = client.client_certificates
    attempt(label + " list", lambda: [c.id for c in certificates.list(zone)][:1])
    attempt(label + " get", lambda: certificates.get("0" * 32, zone_id=zone))
    attempt(label + " create", lambda: certificates.create(zone_id=zone, csr=csr, validity_days=30))
    attempt(label + " revoke", lambda: certificates.revoke("0" * 32, zone_id=zone))
    attempt(label + " bulk", lambda: [repr(o) for o in certificates.bulk_revoke(["0" * 32, "1" * 32], zone_id=zone)])
    for fault in ({"kind": "status", "status": 500, "count": 5}, {"kind": "html", "count": 5}, {"kind": "delay", "delay_ms": 4000, "count": 5}):
        arm(fault)
        attempt(label + " fault " + fault["kind"], lambda: certificates.list_page(zone))
    arm({"kind": "status", "status": 500, "count": 1, "path": "/nowhere"})
for bad in (dict(api_token=e["SWEEP_TOKEN"] + "\n"), dict(api_token=e["SWEEP_TOKEN"], api_key=e["SWEEP_KEY"]),
            dict(api_token=e["SWEEP_TOKEN"], base_url="http://u:" + e["SWEEP_TOKEN"] + "@127.0.0.1:1/client/v4"),
            dict(api_token=e["SWEEP_TOKEN"].encode() + b"\xff"), dict(user_service_key=e["SWEEP_SERVICE_KEY"] * 1000)):
    attempt("bad " + ",".join(bad), lambda: cfcerts.Client(base_url=base, **bad))
print("scenarios done")
"""

RUBY_SCENARIOS = r"""
require "cfcerts"
require "json"
require "net/http"
e = ENV
zone, base, csr = e["SWEEP_ZONE"], e["SWEEP_BASE"], File.read(e["SWEEP_CSR"])
def attempt(label)
  puts "#{label} -> #{yield.inspect}"
rescue StandardError => error
  puts "#{label} raised #{error.class} #{error.message} #{error.inspect} #{error.full_message(highlight: false)}"
end
{ "token" => { api_token: e["SWEEP_TOKEN"] }, "read-only" => { api_token: e["SWEEP_READ_ONLY"] },
  "key" => { api_key: e["SWEEP_KEY"], api_email: e["SWEEP_EMAIL"] },
  "service" => { user_service_key: e["SWEEP_SERVICE_KEY"] }, "wrong" => { api_token: e["SWEEP_TOKEN"].chop + "X" } }.each do |label, credential|
  client = Cfcerts::Client.new(base_url: base, total_timeout: 3, max_retries: 1, **credential)
  puts "#{label} #{client.inspect}"
  certificates = client.client_certificates
  attempt("#{label} list") { certificates.list(zone_id: zone).first(1).map(&:id) }
  attempt("#{label} get") { certificates.get("0" * 32, zone_id: zone) }
  attempt("#{label} create") { certificates.create(zone_id: zone, csr: csr, validity_days: 30) }
  attempt("#{label} revoke") { certificates.revoke("0" * 32, zone_id: zone) }
end
attempt("bad token") { Cfcerts::Client.new(base_url: base, api_token: e["SWEEP_TOKEN"] + "\n") }
attempt("bad url") { Cfcerts::Client.new(base_url: "http://u:#{e["SWEEP_TOKEN"]}@127.0.0.1:1/client/v4", api_token: e["SWEEP_TOKEN"]) }
puts "scenarios done"
"""

if __name__ == "__main__":
    main()
