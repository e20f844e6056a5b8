#!/usr/bin/env bash
# make test-zig-route: the shipped build's fallback, without building the product a second time. scripts/build-sdk.sh
# is asked for the default route with a Debian mirror that does not resolve, so it must fall back to the zig route;
# the fixture in Tests/zig-route (Swift runtime linked in statically, C++ compiled against this machine's headers) is
# linked with that route's flags, then must pass scripts/check-glibc-floor.sh and load and answer through ctypes.
# The SDK, zig's install (ziglang from PyPI, once) and the fixture's build are kept in .build-zig-route/.
# Usage: scripts/run-zig-route-test.sh ARCH
set -euo pipefail
arch=$1
work=$(pwd)/.build-zig-route
mkdir -p "$work/logs"
logs=$work/logs
rm -f "$logs"/*.log

passed=0 failed=0
check() {
  local name=$1; shift
  if "$@" >"$logs/$name.log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; tail -n 30 "$logs/$name.log"; fi
}

# .invalid never resolves (RFC 6761): debootstrap fails at once, as it would once bullseye is on no mirror.
check falls_back_to_zig sh -c "DEBIAN_MIRROR=http://debian.invalid/debian scripts/build-sdk.sh '$arch' '$work/sdk' auto \
  && test \"\$(cat '$work/sdk/$arch/route')\" = zig"
library=$work/build/release/libZigRoute.so
check fixture_links sh -c "rm -f '$library' && swift build -c release --package-path Tests/zig-route --scratch-path '$work/build' \
  -Xswiftc -static-stdlib \$(cat '$work/sdk/$arch/swiftpm-flags')"
check fixture_within_glibc_2_28 scripts/check-glibc-floor.sh "$library"
check fixture_loads_and_answers python3 -c "import ctypes, sys; answer = ctypes.CDLL(sys.argv[1]).zig_route_fixture(); print(answer); sys.exit(answer != 43)" "$library"

echo "zig route: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
