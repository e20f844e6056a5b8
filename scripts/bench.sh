#!/usr/bin/env bash
# make bench: figures measured as ratios within one run (the machine is shared and noisy). Needs `lib`.
set -euo pipefail
bin=$1
top=$(pwd)
work=$top/.build-bench
rm -rf "$work" && mkdir -p "$work"
cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -Iinclude bench/list_bench.c -o "$work/list_bench" -Lstage/lib -lcfcerts

"$bin/cfcerts-emulator" --port 0 --no-rate-limit --ca-key p256 >"$work/emulator.out" 2>/dev/null &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q controls: "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
export CFCERTS_TEST_BASE_URL=$(head -n 1 "$work/emulator.out")
root=${CFCERTS_TEST_BASE_URL%/client/v4}
zone=0123456789abcdef0123456789abcdef
curl -sf -X POST --data '{"count": 2000}' "$root/__emulator/zones/$zone/seed" >/dev/null
# Every page answer takes 20 ms more, as over a long link.
curl -sf -X POST --data '{"kind": "delay", "method": "GET", "delay_ms": 20, "count": 100000}' "$root/__emulator/faults" >/dev/null
LD_LIBRARY_PATH=stage/lib "$work/list_bench" "$zone" 2000

echo "library: $(stat -L -c %s stage/lib/libcfcerts.so.0) bytes stripped; NEEDED: $(readelf -d stage/lib/libcfcerts.so.0 | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
