#!/usr/bin/env bash
# make wheel: the Python binding with the staged library inside, as a platform wheel (py3-none-manylinux_2_28_ARCH:
# ctypes works on any CPython 3.9+), tagged by auditwheel from the library's symbol versions.
# Usage: scripts/build-wheel.sh STAGE DIST VERSION SOVERSION ARCH
set -euo pipefail
stage=$1 dist=$2 version=$3 soversion=$4 arch=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r bindings/python "$work/src"
rm -rf "$work/src/build" "$work/src"/src/*.egg-info
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
grep -q "^version = \"$version\"" "$work/src/pyproject.toml" || { echo "build-wheel: pyproject.toml's version is not $version" >&2; exit 1; }
cp "$stage/lib/libcfcerts.so.$version" "$work/src/src/cfcerts/libcfcerts.so.$soversion"
python3 -m build --wheel --outdir "$work/wheel" "$work/src" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
# The library needs nothing outside the manylinux policy (libc, libm, libstdc++, libgcc_s, libz), so nothing is
# grafted in (auditwheel repair would only retag it, and needs a newer patchelf than Debian's): auditwheel show names
# the oldest manylinux_2_N the library's symbol versions allow, which must be 28 or older, and the wheel is tagged
# manylinux_2_28, the policy pip users compare (RHEL 8's glibc).
plat=manylinux_2_28_$arch
allows() {
  auditwheel show "$1" >"$work/show.log" 2>&1 || { cat "$work/show.log" >&2; return 1; }
  local floor
  floor=$(tr '\n' ' ' <"$work/show.log" | sed -n 's/.*following platform tag: *"manylinux_2_\([0-9]*\)_.*/\1/p')
  [ -n "$floor" ] && [ "$floor" -le 28 ] || { echo "build-wheel: the library is not within $plat:" >&2; cat "$work/show.log" >&2; return 1; }
}
allows "$work"/wheel/*.whl
python3 -m wheel tags --remove --platform-tag "$plat" "$work"/wheel/*.whl >/dev/null
mkdir -p "$dist"
rm -f "$dist"/cfcerts-*.whl
wheel="$dist/cfcerts-$version-py3-none-$plat.whl"
mv "$work/wheel/$(basename "$wheel")" "$wheel"
allows "$wheel"
echo "wheel: $wheel ($(du -h "$wheel" | cut -f1))"
