#!/usr/bin/env bash
# make demo: the main job, end to end, on the embedded emulator (started on a free port, stopped at the end).
#   1. the `cfcerts` command: a key and CSR generated, a certificate issued and checked with openssl, the zone
#      listed as a table, revoked and reactivated with --wait; then a fleet of 20 issued from CSRs and revoked in
#      bulk (paced, resumable with a journal); then unattended renewal of the certificates due, a deploy hook, and
#      the zone's expiry metrics for Prometheus
#   2. the same lifecycle from C, Python, Ruby and Swift, each through its own face of the library
#   3. mTLS enabled as on Cloudflare: the demo's hostname associated with the CA and the rule that enforces it,
#      then the emulator's gateway: on that hostname the certificate from step 1 passes, is blocked once revoked,
#      passes again once reactivated; another hostname is not asked for a certificate
# Usage: scripts/demo.sh RELEASE_BIN_DIR STAGE
set -euo pipefail
bin=$1 stage=$2
top=$(pwd)
work=$(mktemp -d)
source scripts/emulator.sh
trap 'stop_emulator; rm -rf "$work"' EXIT
start_emulator "$stage/bin" "$work" --transition-delay 2 --mtls-port 0
gateway=$(sed -n 's/^mtls: \([^ ]*\).*/\1/p' "$work/emulator.out")

zone=023e105f4ecef8ad9ca31a8372d0c353
curl -sf -X POST -H 'Content-Type: application/json' --data '{"count": 3, "common_name_prefix": "existing"}' "$EMULATOR_ROOT/__emulator/zones/$zone/seed" >/dev/null
export CLOUDFLARE_API_TOKEN=cfcerts-emulator-token CLOUDFLARE_BASE_URL=$EMULATOR_URL CLOUDFLARE_ZONE_ID=$zone
cli=$top/$stage/bin/cfcerts
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "The emulator: $EMULATOR_URL (zone $zone, 3 certificates already there)"
cd "$work"
step "cfcerts: generate a key and CSR, have the CA issue a certificate"
show "$cli" create --cn demo.example.com --org "Example Inc" --country US --validity-days 365 \
  --key-out demo.key --cert-out demo.pem
id=$("$cli" list --all --output jsonl | python3 -c '
import json, sys
print(next(c["id"] for c in map(json.loads, sys.stdin) if c["common_name"] == "demo.example.com"))')
curl -sf "$EMULATOR_ROOT/__emulator/ca.pem" >ca.pem
echo "openssl: $(openssl verify -CAfile ca.pem demo.pem); key file mode $(stat -c %a demo.key)"
[ "$(openssl x509 -in demo.pem -noout -pubkey)" = "$(openssl pkey -in demo.key -pubout)" ] \
  && echo "openssl: the certificate holds the generated key's public half"
step "cfcerts: the zone as a table"
show "$cli" list --all
step "cfcerts: revoke, then reactivate and wait until it is active again"
show "$cli" revoke "$id" | grep -E '^([$]|id|status) '
show "$cli" reactivate "$id" --wait | grep -E '^([$]|id|status) '
step "cfcerts: certificates expiring within 400 days"
show "$cli" list --expiring-within 400d
step "cfcerts: a fleet in a zone of its own: 20 certificates issued from a folder of CSRs, then every one revoked"
fleet=$(openssl rand -hex 16)
mkdir -p csrs certs
for n in $(seq -w 1 20); do
  "$cli" csr --cn "fleet-$n.example.com" --key-out "certs/fleet-$n.key" --csr-out "csrs/fleet-$n.csr" >/dev/null
done
show "$cli" create --zone "$fleet" --csr-dir csrs --cert-dir certs --validity-days 90 --journal issue.journal 2>&1 | sed -n '1,4p;$p'
show "$cli" revoke --zone "$fleet" --all --cn 'fleet-1*' --dry-run 2>&1 | sed -n '1,3p;$p'
show "$cli" revoke --zone "$fleet" --all --cn 'fleet-*' --yes --journal revoke.journal 2>&1 | sed -n '1,4p;$p'
echo "run again with the same journal: that run is finished, so it is refused and nothing is sent twice (exit 2)"
printf '$ %s\n' "$cli create --zone $fleet --csr-dir csrs --cert-dir certs --validity-days 90 --journal issue.journal"
status=0
"$cli" create --zone "$fleet" --csr-dir csrs --cert-dir certs --validity-days 90 --journal issue.journal 2>&1 || status=$?
[ "$status" -eq 2 ]
step "cfcerts: fleet as code: plan, apply, plan again (a manifest of 12 devices in a zone of its own)"
devices=$(openssl rand -hex 16)
{
  printf 'zone: %s\ndefaults:\n  validity_days: 90\n  subject: {organization: Acme Devices}\n  outputs: {dir: devices}\ncertificates:\n' "$devices"
  for n in $(seq -w 1 12); do printf '  - name: device-%s\n    subject: {common_name: device-%s.example.com}\n' "$n" "$n"; done
} > fleet.yaml
show "$cli" plan -f fleet.yaml 2>&1 | sed -n '1,3p;$p'
show "$cli" apply -f fleet.yaml --yes 2>&1 | sed -n '1,3p;$p'
show "$cli" plan -f fleet.yaml --detailed-exitcode
echo "device-03's validity changes: it is replaced, and its old certificate revoked once the new one is saved"
sed -i 's/^  - name: device-03$/  - name: device-03\n    validity_days: 30/' fleet.yaml
show "$cli" plan -f fleet.yaml 2>&1
show "$cli" apply -f fleet.yaml --yes 2>&1
step "cfcerts: keeping certificates valid: renew what expires within 30 days (3 of 5 here), a hook per renewal"
renewals=$(openssl rand -hex 16)
curl -sf -X POST -H 'Content-Type: application/json' --data '{"count": 3, "common_name_prefix": "edge", "validity_days": 365, "issued_days_ago": 350}' \
  "$EMULATOR_ROOT/__emulator/zones/$renewals/seed" >/dev/null
curl -sf -X POST -H 'Content-Type: application/json' --data '{"count": 2, "common_name_prefix": "core", "validity_days": 365}' \
  "$EMULATOR_ROOT/__emulator/zones/$renewals/seed" >/dev/null
show "$cli" list --zone "$renewals" --expiring-within 30d
show "$cli" renew --zone "$renewals" --due 30d --out-dir renewed --revoke-old \
  --deploy-hook 'echo "hook: install $CFCERTS_CERT_FILE for $CFCERTS_COMMON_NAME (replaces $CFCERTS_OLD_ID)"' 2>&1
echo "the timer's next run: nothing left to do"
show "$cli" renew --zone "$renewals" --due 30d --out-dir renewed --revoke-old 2>&1
show "$cli" list --zone "$renewals" --all --output prometheus --status active 2>&1 | sed -n '1,4p'
cd "$top"

step "C (examples/c/lifecycle.c, libcfcerts from $stage/lib)"
cc -std=c99 -D_DEFAULT_SOURCE -O2 -Iinclude examples/c/lifecycle.c -o "$work/lifecycle" -L"$stage/lib" -lcfcerts -ljansson
LD_LIBRARY_PATH=$top/$stage/lib "$work/lifecycle" "$zone"

step "Python (examples/python/lifecycle.py)"
CFCERTS_LIBRARY=$top/$stage/lib/libcfcerts.so.0 PYTHONPATH=$top/bindings/python/src python3 examples/python/lifecycle.py "$zone"

step "Ruby (examples/ruby/lifecycle.rb)"
CFCERTS_LIBRARY=$top/$stage/lib/libcfcerts.so.0 ruby -I"$top/bindings/ruby/lib" examples/ruby/lifecycle.rb "$zone"

step "Swift (examples/swift)"
"$bin/cfcerts-swift-example" "$zone" "$work"

port=${gateway%/}; port=${port##*:}
step "Enabling mTLS: associate the hostname with the CA, and the rule that enforces it"
cd "$work"
show "$cli" hostnames add api.demo.example.com
show "$cli" mtls rule
cd "$top"
step "The mTLS gateway (port $port), as the edge: a certificate asked for on api.demo.example.com only"
call() {
  local host=$1
  shift
  printf '$ curl --resolve %s:%s:127.0.0.1 %s https://%s:%s/\n' "$host" "$port" "$*" "$host" "$port"
  (cd "$work" && curl -s --cacert ca.pem --resolve "$host:$port:127.0.0.1" "$@" -w '\n%{http_code}\n' "https://$host:$port/") \
    | python3 -c '
import json, sys
body, status = sys.stdin.read().rsplit("\n", 2)[:2]
answer = json.loads(body)
fields = answer["tls_client_auth"]
verdict = "passed" if status == "200" else "BLOCKED (%s failed)" % answer["failed_condition"]
print("  HTTP %s %s: presented=%s verified=%s revoked=%s %s" % (status, verdict, fields["cert_presented"],
      fields["cert_verified"], fields["cert_revoked"], fields["cert_subject_dn"]))'
}
with_cert=(--cert demo.pem --key demo.key)
call api.demo.example.com "${with_cert[@]}"
call api.demo.example.com
show "$cli" revoke "$id" | grep -E '^([$]|status )'
call api.demo.example.com "${with_cert[@]}"
show "$cli" reactivate "$id" | grep -E '^([$]|status )'
call api.demo.example.com "${with_cert[@]}"
echo "a hostname not associated is not asked for a certificate, and the rule does not name it:"
call www.demo.example.com

step "Done: every language managed the same zone, and the gateway enforced revocation; the emulator stops now."
