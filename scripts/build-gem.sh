#!/usr/bin/env bash
# make gem: the Ruby binding with the staged library inside, as a platform gem (ARCH-linux: x86_64-linux); its only
# dependency is ffi (Debian's ruby-ffi provides it without a compiler).
# Usage: scripts/build-gem.sh STAGE DIST VERSION SOVERSION ARCH
set -euo pipefail
stage=$1 dist=$2 version=$3 soversion=$4 arch=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r bindings/ruby "$work/src"
grep -q "VERSION = \"$version\"" "$work/src/lib/cfcerts/version.rb" || { echo "build-gem: version.rb is not $version" >&2; exit 1; }
cp "$stage/lib/libcfcerts.so.$version" "$work/src/lib/cfcerts/libcfcerts.so.$soversion"
platform=$arch-linux
(cd "$work/src" && CFCERTS_GEM_PLATFORM=$platform gem build --silent cfcerts.gemspec) >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
mkdir -p "$dist"
rm -f "$dist"/cfcerts-*.gem
mv "$work/src/cfcerts-$version-$platform.gem" "$dist/"
echo "gem: $dist/cfcerts-$version-$platform.gem ($(du -h "$dist/cfcerts-$version-$platform.gem" | cut -f1))"
