#!/usr/bin/env bash
# The toolchain the shipped build (`make lib`, `make tools`) compiles and links with, so that what ships needs glibc
# 2.28, not this machine's glibc. Two routes make it:
#   debian11 (route A, scripts/sdk-debian11.sh): a Swift SDK around a Debian 11 sysroot fetched with debootstrap.
#   zig      (route B, scripts/sdk-zig.sh): this machine's headers and libraries, linked by zig against glibc 2.28
#            stubs; needs no Debian 11 file.
# ROUTE (the Makefile's SDK_ROUTE) chooses: auto, the default, takes debian11, and zig only when bullseye cannot be
# fetched (debootstrap failed on every mirror: DEBIAN_MIRROR, or deb.debian.org then archive.debian.org); debian11
# and zig take that route and no other. The route taken records in CACHE/ARCH what the build reads:
#   route            debian11 or zig (make test-portable checks it is the route asked for)
#   swiftpm-flags    that route's arguments to `swift build` (one line, read by the Makefile)
#   libraries-root   the root whose dpkg database lists the libraries the build linked against (make deb's Depends)
#   shlibs.local     make deb's Depends for the libraries that root does not stand for
# Whichever route built it, scripts/check-glibc-floor.sh then proves the floor of what was built.
# Usage: scripts/build-sdk.sh ARCH CACHE [ROUTE]
set -euo pipefail
arch=$1 cache=$2 route=${3:-auto}
case $route in
  debian11) exec scripts/sdk-debian11.sh "$arch" "$cache" ;;
  zig) exec scripts/sdk-zig.sh "$arch" "$cache" ;;
  auto)
    status=0
    scripts/sdk-debian11.sh "$arch" "$cache" || status=$?
    # 75: no mirror gave bullseye. Any other failure stops the build as it is.
    [ "$status" -eq 75 ] || exit "$status"
    echo "build-sdk: Debian 11 could not be fetched: taking the zig route (SDK_ROUTE=zig takes it directly," \
      "SDK_ROUTE=debian11 never falls back)" >&2
    exec scripts/sdk-zig.sh "$arch" "$cache"
    ;;
  *) echo "build-sdk: unknown route '$route' (auto, debian11 or zig)" >&2; exit 1 ;;
esac
