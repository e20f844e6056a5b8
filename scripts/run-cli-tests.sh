#!/usr/bin/env bash
# The `cfcerts` command against an emulator (transition delay 2 s, so --wait has something to wait for), and the
# emulator's mTLS gateway with curl.
# Usage: scripts/run-cli-tests.sh BINARY_DIR
set -euo pipefail
bin=$1
work=$(pwd)/.build-cli
rm -rf "$work"
mkdir -p "$work"
source scripts/emulator.sh
trap stop_emulator EXIT
start_emulator "$bin" "$work" --rate-limit 1000000000/300 --ca-key p256 --transition-delay 2 --mtls-port 0 --mtls-enforce all
echo "CLI tests against $EMULATOR_URL"
CFCERTS_TEST_MTLS_URL=$(sed -n 's/^mtls: \([^ ]*\).*/\1/p' "$work/emulator.out") \
CFCERTS_TEST_BASE_URL=$EMULATOR_URL CFCERTS_CLI=$(readlink -f "$bin/cfcerts") CFCERTS_EMULATOR=$(readlink -f "$bin/cfcerts-emulator") \
  python3 -m pytest -q -p no:cacheprovider Tests/cli
