#!/usr/bin/env bash
# Stages the built library as the shipped file: named libcfcerts.so.VERSION with the .so.SOVERSION (SONAME)
# and .so links, stripped, without the toolchain's RUNPATH. Its symbol table goes to libcfcerts.so.VERSION.debug
# beside it (linked with .gnu_debuglink), where gdb and valgrind find function names. The DWARF is left out:
# Swift's DWARF 5 is more than Debian's valgrind 3.19 can read.
set -euo pipefail
# Usage: scripts/stage-lib.sh BUILT_LIBRARY STAGE_DIR VERSION SOVERSION
built=$1 stage=$2 version=$3 soversion=$4
mkdir -p "$stage/lib"
real="$stage/lib/libcfcerts.so.$version"
cp "$built" "$real"
objcopy --only-keep-debug "$real" "$real.debug"
strip --strip-debug "$real.debug"
strip --strip-unneeded "$real"
(cd "$stage/lib" && objcopy --add-gnu-debuglink="libcfcerts.so.$version.debug" "libcfcerts.so.$version")
if readelf -d "$real" | grep -qE 'RUNPATH|RPATH'; then patchelf --remove-rpath "$real"; fi
ln -sf "libcfcerts.so.$version" "$stage/lib/libcfcerts.so.$soversion"
ln -sf "libcfcerts.so.$soversion" "$stage/lib/libcfcerts.so"
