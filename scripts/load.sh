#!/usr/bin/env bash
# make load: the release emulator under wrk (64 connections, 30 s, GET of one certificate and of a page) with its
# memory sampled before, during and after; each run then repeated for 15 s; then 16 threads x 1,000 gets through
# one C client. Fails on any error or non-2xx answer, or when memory is not bounded: a peak over 256 MB, or a repeat
# whose peak is more than 16 MB above the first run's (the first run grows the allocator's arenas; a leak would
# keep growing). Prints the figures that docs/RELIABILITY.md quotes.
# Usage: scripts/load.sh STAGE
set -euo pipefail
stage=$1
top=$(pwd)
work=$top/.build-load
rm -rf "$work"
mkdir -p "$work"
source scripts/emulator.sh
trap stop_emulator EXIT
start_emulator "$stage/bin" "$work" --no-rate-limit --ca-key p256 --transition-delay 0
token=cfcerts-emulator-token zone=0123456789abcdef0123456789abcdef
curl -sf -X POST -H 'Content-Type: application/json' --data '{"count": 1000}' "$EMULATOR_ROOT/__emulator/zones/$zone/seed" >/dev/null
id=$(curl -sf -H "Authorization: Bearer $token" "$EMULATOR_URL/zones/$zone/client_certificates?per_page=5" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["result"][0]["id"])')
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$EMULATOR_PID/status"; }
echo "emulator RSS before: $(rss) MB"
load() {  # TARGET SECONDS: runs wrk, prints its report, sets $peak to the emulator's peak RSS (MB) meanwhile
  wrk -t 2 -c 64 -d "$2s" --latency -H "Authorization: Bearer $token" "$EMULATOR_URL/$1" >"$work/wrk.txt" &
  local wrk_pid=$! r
  peak=0
  while kill -0 "$wrk_pid" 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; sleep 1; done
  wait "$wrk_pid"
  cat "$work/wrk.txt"
  if grep -q "Non-2xx\|Socket errors" "$work/wrk.txt"; then echo "FAILED: errors under load"; exit 1; fi
}
for target in "zones/$zone/client_certificates/$id" "zones/$zone/client_certificates?per_page=50&page=3"; do
  load "$target" 30
  first=$peak
  load "$target" 15
  echo "emulator RSS peak: $first MB over 30 s, then $peak MB over 15 s more"
  [ "$first" -le 256 ] || { echo "FAILED: the emulator reached $first MB"; exit 1; }
  [ $((peak - first)) -le 16 ] || { echo "FAILED: the emulator kept growing: $first MB, then $peak MB"; exit 1; }
done
echo "emulator RSS after: $(rss) MB"
cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -Iinclude bench/load_c.c -o "$work/load_c" -L"$stage/lib" -lcfcerts -lpthread
LD_LIBRARY_PATH=$top/$stage/lib "$work/load_c" "$EMULATOR_URL" "$token" "$zone" "$id"
