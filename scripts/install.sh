#!/usr/bin/env bash
# Installs what `make lib` staged -- the library with its SONAME and development links, the header, cfcerts.pc --
# under DESTDIR/PREFIX. Never builds anything: `make install` builds first, test scripts reuse the staged copy.
# Usage: scripts/install.sh STAGE DESTDIR PREFIX LIBDIR VERSION SOVERSION
set -euo pipefail
stage=$1 destdir=$2 prefix=$3 libdir=$4 version=$5 soversion=$6
[ -f "$stage/lib/libcfcerts.so.$version" ] || { echo "install: $stage/lib/libcfcerts.so.$version is missing: run make lib" >&2; exit 1; }
install -d "$destdir$libdir/pkgconfig" "$destdir$prefix/include"
install -m 0644 "$stage/lib/libcfcerts.so.$version" "$destdir$libdir/"
ln -sf "libcfcerts.so.$version" "$destdir$libdir/libcfcerts.so.$soversion"
ln -sf "libcfcerts.so.$soversion" "$destdir$libdir/libcfcerts.so"
install -m 0644 include/cfcerts.h "$destdir$prefix/include/"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@VERSION@|$version|g" \
  packaging/cfcerts.pc.in > "$destdir$libdir/pkgconfig/cfcerts.pc"
chmod 0644 "$destdir$libdir/pkgconfig/cfcerts.pc"
