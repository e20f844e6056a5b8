#!/usr/bin/env bash
# make load: the release emulator under wrk (64 connections, 30 s, GET of one certificate and of a page) with its
# memory sampled before, during and after; then 16 threads x 1,000 gets through one C client. Fails on any error
# or non-2xx answer, or when the emulator's memory grows more than 64 MB over the run. Prints the figures that
# docs/RELIABILITY.md quotes.
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
start_rss=$(rss)
for target in "zones/$zone/client_certificates/$id" "zones/$zone/client_certificates?per_page=50&page=3"; do
  wrk -t 2 -c 64 -d 30s --latency -H "Authorization: Bearer $token" "$EMULATOR_URL/$target" >"$work/wrk.txt" &
  wrk_pid=$!
  peak=0
  while kill -0 "$wrk_pid" 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; sleep 1; done
  wait "$wrk_pid"
  cat "$work/wrk.txt"
  echo "emulator RSS peak during the run: $peak MB"
  if grep -q "Non-2xx\|Socket errors" "$work/wrk.txt"; then echo "FAILED: errors under load"; exit 1; fi
  [ $((peak - start_rss)) -le 64 ] || { echo "FAILED: the emulator grew $((peak - start_rss)) MB"; exit 1; }
done
echo "emulator RSS after: $(rss) MB"
cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -Iinclude bench/load_c.c -o "$work/load_c" -L"$stage/lib" -lcfcerts -lpthread
LD_LIBRARY_PATH=$top/$stage/lib "$work/load_c" "$EMULATOR_URL" "$token" "$zone" "$id"
