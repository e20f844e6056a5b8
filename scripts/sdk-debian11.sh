#!/usr/bin/env bash
# Route A of the shipped build (scripts/build-sdk.sh chooses the route): a Swift SDK around a Debian 11 (bullseye:
# glibc 2.31, GCC 10) sysroot made with debootstrap, wrapped as a Swift SDK bundle around this toolchain's own
# runtime, plus glibc-compat.o (packaging/glibc-compat.cc: hidden definitions for the few symbols bullseye would bind
# above 2.28). The sysroot is made once; the rest is rewritten on every call. In CACHE (.build-sysroot):
#   sdks/cfcerts-debian11.artifactbundle/ARCH/{swift-sdk.json,toolset.json,sysroot/} (an SDK per ARCH)
#   ARCH/glibc-compat.o
#   ARCH/route, ARCH/swiftpm-flags, ARCH/libraries-root, ARCH/shlibs.local: what the build reads (build-sdk.sh says)
# ARCH is x86_64 or aarch64. Only x86_64 is buildable on these machines: the toolchain has no aarch64 runtime.
# Exits 75 (sysexits EX_TEMPFAIL), having changed nothing the Makefile reads, when no mirror gives bullseye (the caller
# may take route B then).
# Usage: scripts/sdk-debian11.sh ARCH CACHE
set -euo pipefail
# Where bullseye is fetched from: DEBIAN_MIRROR alone when set; otherwise deb.debian.org, then archive.debian.org
# (where bullseye goes when it leaves the first, as buster has).
if [ -n "${DEBIAN_MIRROR:-}" ]; then
  mirrors=("$DEBIAN_MIRROR")
else
  mirrors=(http://deb.debian.org/debian http://archive.debian.org/debian)
fi
arch=$1
case $arch in
  x86_64) debarch=amd64 glibc_base=GLIBC_2.2.5 ;;
  aarch64) debarch=arm64 glibc_base=GLIBC_2.17 ;;
  *) echo "sdk-debian11: unknown architecture '$arch' (x86_64 or aarch64)" >&2; exit 1 ;;
esac
mkdir -p "$2"
cache=$(realpath "$2")
bundle=$cache/sdks/cfcerts-debian11.artifactbundle
variant=$bundle/$arch
sysroot=$variant/sysroot
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
triple=$arch-unknown-linux-gnu
[ -f "$toolchain/lib/swift_static/linux/static-stdlib-args.lnk" ] || { echo "sdk-debian11: no Swift toolchain found beside $(command -v swiftc)" >&2; exit 1; }

# 1. The sysroot: Debian 11's C library, libstdc++/libgcc of GCC 10, zlib and SQLite (the emulator's), headers included.
if [ ! -f "$sysroot/.complete" ]; then
  command -v debootstrap >/dev/null || { echo "sdk-debian11: debootstrap is missing (make deps installs it)" >&2; exit 1; }
  mkdir -p "$variant"
  # For another architecture, only the first stage (unpacked, not configured: all a sysroot needs; no emulator).
  foreign=()
  [ "$arch" = "$(uname -m)" ] || foreign=(--foreign)
  fetched=
  for mirror in "${mirrors[@]}"; do
    rm -rf "$sysroot" "$sysroot.tmp"
    echo "sdk-debian11: debootstrap bullseye ($debarch) from $mirror into $sysroot (once; about a minute)"
    if debootstrap --arch="$debarch" "${foreign[@]}" --variant=minbase \
         --include=libc6-dev,libstdc++-10-dev,libgcc-10-dev,zlib1g-dev,libsqlite3-dev \
         bullseye "$sysroot.tmp" "$mirror" >"$cache/debootstrap-$arch.log" 2>&1; then
      fetched=yes
      break
    fi
    echo "sdk-debian11: debootstrap of Debian 11 (bullseye) from $mirror failed; its log ends:" >&2
    tail -n 5 "$cache/debootstrap-$arch.log" >&2
  done
  if [ -z "$fetched" ]; then
    rm -rf "$sysroot.tmp"
    exit 75
  fi
  # The first stage leaves the packages unpacked only in part: unpack each one it fetched.
  if [ ${#foreign[@]} -gt 0 ]; then
    for deb in "$sysroot.tmp/var/cache/apt/archives"/*.deb; do dpkg-deb -x "$deb" "$sysroot.tmp"; done
  fi
  # debootstrap's symlinks are absolute (lib64/ld-linux-x86-64.so.2 -> /lib/...): the linker, outside the chroot,
  # would follow them into this machine's files. Point each at the same file inside the sysroot, relatively.
  find "$sysroot.tmp" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
    ln -sfn "$(realpath -m -s --relative-to="$(dirname "$link")" "$sysroot.tmp$(readlink "$link")")" "$link"
  done
  rm -rf "$sysroot.tmp/var/cache/apt/archives"/*.deb
  mv "$sysroot.tmp" "$sysroot"
  touch "$sysroot/.complete"
fi
# The driver looks for the Swift runtime (modules, static libraries) inside the SDK: this toolchain's.
ln -sfn "$toolchain/lib/swift" "$sysroot/usr/lib/swift"
ln -sfn "$toolchain/lib/swift_static" "$sysroot/usr/lib/swift_static"

# 2. The bundle. Both resource paths are swift_static: with usr/lib/swift, -static-stdlib crashes the driver
# (static-stdlib-args.lnk not found; SwiftPM #9072). `-z defs`: without it an undefined symbol (one the old
# libstdc++ lacks) is left for the loader to fail on.
cat >"$variant/swift-sdk.json" <<EOF
{
  "schemaVersion": "4.0",
  "targetTriples": {
    "$triple": {
      "sdkRootPath": "sysroot",
      "swiftResourcesPath": "sysroot/usr/lib/swift_static",
      "swiftStaticResourcesPath": "sysroot/usr/lib/swift_static",
      "toolsetPaths": ["toolset.json"]
    }
  }
}
EOF
cat >"$variant/toolset.json" <<EOF
{
  "schemaVersion": "1.0",
  "linker": { "extraCLIOptions": ["-z", "defs"] }
}
EOF
# The bundle's index names an SDK for every architecture made so far (cfcerts-debian11-x86_64, ...-aarch64), each
# usable from this machine (supportedTriples: where the toolchain runs, not what it builds for).
{
  printf '{\n  "schemaVersion": "1.0",\n  "artifacts": {'
  separator=
  for made in "$bundle"/*/swift-sdk.json; do
    made=$(basename "$(dirname "$made")")
    printf '%s\n    "cfcerts-debian11-%s": { "type": "swiftSDK", "version": "1", "variants": [{ "path": "%s", "supportedTriples": ["%s-unknown-linux-gnu"] }] }' \
      "$separator" "$made" "$made" "$(uname -m)"
    separator=,
  done
  printf '\n  }\n}\n'
} >"$bundle/info.json"

# 3. The compatibility object, compiled against the sysroot (hidden: the library exports only cfcerts_*).
mkdir -p "$cache/$arch"
"$toolchain/bin/clang++" --target="$triple" --sysroot="$sysroot" -O2 -fPIC -fvisibility=hidden -fno-builtin \
  -DCFCERTS_GLIBC_BASE="\"$glibc_base\"" -c packaging/glibc-compat.cc -o "$cache/$arch/glibc-compat.o"

# 4. What the build reads: the SDK, the compatibility object, identical code folded (gold's --icf=safe; the zig
# route's linker lacks it); and for make deb, the sysroot, whose dpkg database lists every library linked against.
echo "--swift-sdks-path $cache/sdks --swift-sdk cfcerts-debian11-$arch -Xlinker $cache/$arch/glibc-compat.o -Xlinker --icf=safe" \
  >"$cache/$arch/swiftpm-flags"
echo "$sysroot" >"$cache/$arch/libraries-root"
echo '# none: every library linked against is the sysroot'"'"'s (scripts/sdk-debian11.sh)' >"$cache/$arch/shlibs.local"
echo debian11 >"$cache/$arch/route"
echo "sdk-debian11: SDK cfcerts-debian11-$arch ready ($(du -sh "$sysroot" | cut -f1) sysroot)"
