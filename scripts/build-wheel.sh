#!/usr/bin/env bash
# make wheel: the Python binding with the staged library inside, as a platform wheel (py3-none-manylinux_*: ctypes
# works on any CPython 3) whose manylinux tag auditwheel computes from the library's symbol versions.
# Usage: scripts/build-wheel.sh STAGE DIST VERSION SOVERSION
set -euo pipefail
stage=$1 dist=$2 version=$3 soversion=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r bindings/python "$work/src"
rm -rf "$work/src/build" "$work/src"/src/*.egg-info
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
grep -q "^version = \"$version\"" "$work/src/pyproject.toml" || { echo "build-wheel: pyproject.toml's version is not $version" >&2; exit 1; }
cp "$stage/lib/libcfcerts.so.$version" "$work/src/src/cfcerts/libcfcerts.so.$soversion"
python3 -m build --wheel --outdir "$work/wheel" "$work/src" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
# The library needs nothing outside the manylinux policy (libc, libm, libstdc++, libgcc_s, libz), so nothing is
# grafted in: auditwheel names the tag the library's symbol versions allow, and the wheel is retagged with it.
auditwheel show "$work"/wheel/*.whl >"$work/show.log" 2>&1 || { cat "$work/show.log" >&2; exit 1; }
tag=$(tr '\n' ' ' <"$work/show.log" | sed -n 's/.*following platform tag: *"\(manylinux_[0-9a-z_]*\)".*/\1/p')
[ -n "$tag" ] || { echo "build-wheel: auditwheel gives the wheel no manylinux tag:" >&2; cat "$work/show.log" >&2; exit 1; }
python3 -m wheel tags --remove --platform-tag "$tag" "$work"/wheel/*.whl >/dev/null
mkdir -p "$dist"
rm -f "$dist"/cfcerts-*.whl
mv "$work"/wheel/cfcerts-"$version"-py3-none-"$tag".whl "$dist/"
wheel="$dist/cfcerts-$version-py3-none-$tag.whl"
auditwheel show "$wheel" 2>&1 | tr '\n' ' ' | grep -q "\"$tag\"" || { echo "build-wheel: auditwheel does not confirm $tag" >&2; exit 1; }
echo "wheel: $wheel ($(du -h "$wheel" | cut -f1))"
