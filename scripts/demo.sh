#!/usr/bin/env bash
# The main job, end to end, on the embedded emulator: make a key and CSR, have the CA issue a client
# certificate, verify it with openssl, list the zone, revoke and reactivate it.
set -euo pipefail
bin=${1:-.build/debug}
work=$(mktemp -d)
trap 'kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/cfcerts-emulator" --port 0 --transition-delay 2 >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.out" ] && break; sleep 0.1; done
base=$(head -n 1 "$work/emulator.out")
root=${base%/client/v4}
zone=023e105f4ecef8ad9ca31a8372d0c353
auth="Authorization: Bearer cfcerts-emulator-token"
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d['result']['$1'])"; }
echo "emulator: $base"

openssl req -new -newkey rsa:2048 -nodes -subj "/C=US/ST=CA/L=San Francisco/O=Example Inc/CN=demo.example.com" \
  -keyout "$work/client.key" -out "$work/client.csr" 2>/dev/null
python3 -c "import json,sys; print(json.dumps({'csr': open(sys.argv[1]).read(), 'validity_days': 365}))" \
  "$work/client.csr" >"$work/create.json"
curl -sf -H "$auth" -H "Content-Type: application/json" --data @"$work/create.json" \
  "$base/zones/$zone/client_certificates" >"$work/created.json"
id=$(field id <"$work/created.json")
echo "created:   $id  CN=$(field common_name <"$work/created.json")  status=$(field status <"$work/created.json")"
field certificate <"$work/created.json" >"$work/client.pem"
curl -sf "$root/__emulator/ca.pem" >"$work/ca.pem"
echo "verified:  $(openssl verify -CAfile "$work/ca.pem" "$work/client.pem")"
echo "listed:    $(curl -sf -H "$auth" "$base/zones/$zone/client_certificates" | python3 -c \
  'import json,sys; d=json.load(sys.stdin); print(d["result_info"]["total_count"], "certificate(s)")')"
echo "revoked:   status=$(curl -sf -X DELETE -H "$auth" "$base/zones/$zone/client_certificates/$id" | field status)"
echo "reactivate: status=$(curl -sf -X PATCH -H "$auth" -H "Content-Type: application/json" --data '{"reactivate":true}' \
  "$base/zones/$zone/client_certificates/$id" | field status)"
sleep 2.2
echo "settled:   status=$(curl -sf -H "$auth" "$base/zones/$zone/client_certificates/$id" | field status)"
