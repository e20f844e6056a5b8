#!/usr/bin/env bash
# make bench: release builds of the emulator and the Swift bench (the library is `make lib`'s), the C bench and
# example against the staged library, Cloudflare's official Python SDK in a virtualenv of its own, then
# bench/run.py, which measures every scenario in one run and writes bench/README.md.
set -euo pipefail
top=$(pwd)
work=$top/.build-bench
mkdir -p "$work"
swift build -c release --scratch-path "$work" --product cfcerts-emulator
swift build -c release --scratch-path "$work" --product cfcerts-bench
swift build -c release --scratch-path "$work" --product cfcerts
cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -Iinclude bench/list_bench.c -o "$work/list_bench" -Lstage/lib -lcfcerts
cc -std=c99 -D_DEFAULT_SOURCE -O2 -Iinclude examples/c/list_certs.c -o "$work/list_certs" -Lstage/lib -lcfcerts -ljansson
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/python" -c 'import cloudflare' 2>/dev/null || "$work/venv/bin/pip" install -q cloudflare==5.9.0
python3 bench/run.py "$work/release" "$work/list_bench" "$work/list_certs" "$top/stage/lib" "$work/venv/bin/python"
