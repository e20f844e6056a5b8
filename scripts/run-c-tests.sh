#!/usr/bin/env bash
# The C suites, against an emulator on a free port: the exported ABI, every function and code (plain, under
# valgrind, and built with ASan/UBSan), bad input in every position (the same three ways), bulk runs and fleet applies (the same three ways), cancelling calls, 16 threads sharing a client, dlopen/dlclose cycles, the C examples, and
# the library against a hostile server (Tests/hostile).
# Everything links the staged library through an installed copy (scripts/install.sh, as `make install` runs it)
# and pkg-config.
# Usage: scripts/run-c-tests.sh EMULATOR_BINARY_DIR VERSION SOVERSION
set -euo pipefail
bin=$1 version=$2 soversion=$3
top=$(pwd)
work=$top/.build-c
dest=$work/root
rm -rf "$work"
mkdir -p "$work"
scripts/install.sh stage "$dest" /usr /usr/lib "$version" "$soversion"
# The separate debug information, so valgrind reports (and suppressions) name functions.
cp stage/lib/libcfcerts.so.*.debug "$dest/usr/lib/"

pc() { PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig pkg-config --define-variable=prefix="$dest/usr" \
         --define-variable=libdir="$dest/usr/lib" "$@"; }
cflags="-std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -g $(pc --cflags cfcerts jansson)"
libs="$(pc --libs cfcerts jansson) -pthread -ldl"
build() { local out=$1; shift; cc $cflags "$@" -o "$work/$out" $libs; }
build test_api -O1 Tests/c/test_api.c
build test_threads -O1 Tests/c/test_threads.c
build test_dlopen -O1 Tests/c/test_dlopen.c
build test_fork -O1 Tests/c/test_fork.c
build test_bulk -O1 Tests/c/test_bulk.c
build test_cancel -O1 Tests/c/test_cancel.c
build test_fleet -O1 Tests/c/test_fleet.c
build test_fleet_asan -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all Tests/c/test_fleet.c
build test_bad_input -O1 Tests/c/test_bad_input.c
build test_bad_input_asan -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all Tests/c/test_bad_input.c
build test_bulk_asan -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all Tests/c/test_bulk.c
build leak_canary -O1 Tests/c/leak_canary.c
build test_api_asan -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all Tests/c/test_api.c
build test_threads_asan -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all Tests/c/test_threads.c
build list_certs -O2 examples/c/list_certs.c
build lifecycle -O2 examples/c/lifecycle.c

source scripts/emulator.sh
trap stop_emulator EXIT
start_emulator "$bin" "$work" --rate-limit 1000000000/300 --ca-key p256 --transition-delay 3600
export CFCERTS_TEST_BASE_URL=$EMULATOR_URL
export LD_LIBRARY_PATH=$dest/usr/lib
echo "C tests against $CFCERTS_TEST_BASE_URL with $(readlink -f "$dest/usr/lib/libcfcerts.so")"

passed=0 failed=0
run() {
  local name=$1; shift
  if "$@" >"$work/$name.log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
  grep -E "passed, [0-9]+ failed|[0-9]+ passed in|ERROR SUMMARY|definitely lost|possibly lost|threads x" "$work/$name.log" | sed "s/^/  /" || true
  [ "$failed" -eq 0 ] || tail -n 30 "$work/$name.log"
}
# --undef-value-errors=no: memcheck misreads the spare-bit tags of Swift's multi-payload enums as undefined (in
# NIO, async-http-client and the runtime alike); invalid reads and writes are still errors, and ASan checks the C side.
valgrind=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible --undef-value-errors=no
          --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
          --suppressions="$top/Tests/c/valgrind.supp" --gen-suppressions=all)

run check-exports Tests/c/check-exports.sh "$dest/usr/lib/libcfcerts.so.$soversion" include/cfcerts.h
# The check must see a declared function with digits in its name that the library lacks (a later _v2).
sed 's/^int cfcerts_get(/int cfcerts_get_v2(char **out);\nint cfcerts_get(/' include/cfcerts.h >"$work/header_with_v2.h"
run check-exports_sees_v2_names sh -c '! Tests/c/check-exports.sh "$1" "$2"' sh "$dest/usr/lib/libcfcerts.so.$soversion" "$work/header_with_v2.h"
grep -q '^int cfcerts_get_v2(' "$work/header_with_v2.h" || { echo "FAILED: the _v2 header was not made"; failed=$((failed + 1)); }
run test_api "$work/test_api"
run test_api_valgrind "${valgrind[@]}" "$work/test_api"
run test_api_asan env ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 "$work/test_api_asan"
run test_bad_input "$work/test_bad_input"
run test_bad_input_valgrind "${valgrind[@]}" "$work/test_bad_input"
run test_bad_input_asan env ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 "$work/test_bad_input_asan"
run test_threads "$work/test_threads"
run test_threads_asan env ASAN_OPTIONS=detect_leaks=0 "$work/test_threads_asan"
run test_dlopen "$work/test_dlopen" "$dest/usr/lib/libcfcerts.so.0"
run test_fork "$work/test_fork"
run test_bulk "$work/test_bulk"
# Cancelling: its 100 ms bounds are checked in this plain run; under valgrind only that nothing leaks or breaks.
run test_cancel "$work/test_cancel"
run test_cancel_valgrind env CFCERTS_TEST_NO_TIME_BOUNDS=1 "${valgrind[@]}" "$work/test_cancel"
run test_bulk_valgrind "${valgrind[@]}" "$work/test_bulk"
run test_bulk_asan env ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 "$work/test_bulk_asan"
run test_fleet "$work/test_fleet"
run test_fleet_valgrind "${valgrind[@]}" "$work/test_fleet"
run test_fleet_asan env ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 "$work/test_fleet_asan"
run test_dlopen_valgrind "${valgrind[@]}" "$work/test_dlopen" "$dest/usr/lib/libcfcerts.so.0"
run valgrind_catches_a_leak sh -c '"$@" >/dev/null 2>&1; [ $? -eq 99 ]' sh "${valgrind[@]}" "$work/leak_canary"
# The library against a server that misbehaves on purpose (Python ctypes + a raw-socket server of its own).
run hostile_server env CFCERTS_LIBRARY="$dest/usr/lib/libcfcerts.so.0" \
  python3 -m pytest -q -p no:cacheprovider Tests/hostile

# The examples, as a user runs them: credentials from the environment.
zone=0123456789abcdef0123456789abcdef
curl -sf -X POST -H 'Content-Type: application/json' --data '{"count": 3}' "$EMULATOR_ROOT/__emulator/zones/$zone/seed" >/dev/null
export CLOUDFLARE_API_TOKEN=cfcerts-emulator-token CLOUDFLARE_BASE_URL=$CFCERTS_TEST_BASE_URL
run example_lifecycle sh -c "'$work/lifecycle' $zone | tee /dev/stderr | grep -q 'reactivated.*pending_reactivation'"
run example_list_certs sh -c "'$work/list_certs' $zone | tee /dev/stderr | grep -q '4 certificate(s)'"

echo "c: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
