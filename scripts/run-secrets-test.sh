#!/usr/bin/env bash
# No credential in any output: Tests/secrets/sweep.py drives the CLI, the Python binding (over the staged C
# library) and the Ruby gem through successes and failures with the library logging at trace, and fails on any
# credential in what they (and the emulator) print.
# Usage: scripts/run-secrets-test.sh BINARY_DIR STAGE
set -euo pipefail
bin=$1 stage=$2
python3 Tests/secrets/sweep.py "$(readlink -f "$bin")" "$(readlink -f "$stage/lib/libcfcerts.so.0")"
