#!/usr/bin/env bash
# The main job, end to end, on the embedded emulator: the Swift example generates a key and CSR, has the CA
# issue a client certificate, lists the zone, revokes and reactivates it; openssl then verifies the certificate
# against the emulator's CA.
set -euo pipefail
bin=${1:-.build/debug}
work=$(mktemp -d)
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/cfcerts-emulator" --port 0 --transition-delay 2 >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 100); do grep -q controls: "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
base=$(head -n 1 "$work/emulator.out")
[ -n "$base" ] || { echo "the emulator did not start:" >&2; cat "$work/emulator.err" >&2; exit 1; }
zone=023e105f4ecef8ad9ca31a8372d0c353
# A few certificates already in the zone, so the listing has something to page through.
curl -sf -X POST --data '{"count": 3, "common_name_prefix": "existing"}' "${base%/client/v4}/__emulator/zones/$zone/seed" >/dev/null

echo "emulator    $base"
CLOUDFLARE_API_TOKEN=cfcerts-emulator-token CLOUDFLARE_BASE_URL="$base" "$bin/cfcerts-swift-example" "$zone" "$work"

curl -sf "${base%/client/v4}/__emulator/ca.pem" >"$work/ca.pem"
echo "openssl     $(openssl verify -CAfile "$work/ca.pem" "$work/certificate.pem")"
[ "$(openssl x509 -in "$work/certificate.pem" -noout -pubkey)" = "$(openssl pkey -in "$work/key.pem" -pubout)" ] \
  && echo "openssl     the certificate holds the generated key's public half"
