#!/usr/bin/env bash
# make deb: three Debian packages from what `make lib tools` staged, without debhelper:
#   libcfcerts$SOVERSION  the library and its SONAME link (shlibs file, ldconfig trigger)
#   libcfcerts-dev        the header, the .so link and cfcerts.pc
#   cfcerts               the `cfcerts` command and `cfcerts-emulator`
# Depends come from dpkg-shlibdeps, as scripts/build-sdk.sh's route recorded in SDK_DIR: the dpkg database of
# SDK_DIR/libraries-root, the root whose libraries the binaries were linked against (the Debian 11 sysroot on the
# debian11 route, whose symbols files keep Depends within Debian 11; / on the zig route), overridden by
# SDK_DIR/shlibs.local for the libraries that root does not stand for (on the zig route glibc's, linked as zig's
# 2.28 stubs: this machine's symbols files would ask for its libc6). Each package carries copyright and changelog;
# lintian must report no error.
# Usage: scripts/build-deb.sh STAGE DIST VERSION SOVERSION SDK_DIR
set -euo pipefail
stage=$1 dist=$2 version=$3 soversion=$4 sdk_dir=$5
libraries_root=$(cat "$sdk_dir/libraries-root")
top=$(pwd)
[ -f "$libraries_root/var/lib/dpkg/status" ] || { echo "build-deb: no dpkg database in $libraries_root (make sdk makes it)" >&2; exit 1; }
debversion=$version-1
# The architecture the binaries were built for: that root's (amd64 for x86_64, arm64 for aarch64).
arch=$(dpkg-query --admindir="$libraries_root/var/lib/dpkg" -W -f='${Architecture}' libc6)
multiarch=$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
maintainer="cfcerts developers <cfcerts@users.noreply.github.com>"
libpkg=libcfcerts$soversion
work=$top/.build-deb
rm -rf "$work"
mkdir -p "$work" "$dist"
rm -f "$dist"/*.deb

# dpkg-shlibdeps works inside a source tree: debian/control naming the packages, debian/shlibs.local the route's
# overrides, and our own library's shlibs.
mkdir -p "$work/src/debian"
cp "$sdk_dir/shlibs.local" "$work/src/debian/shlibs.local"
printf 'Source: cfcerts\nMaintainer: %s\n\nPackage: %s\nArchitecture: %s\n\nPackage: cfcerts\nArchitecture: %s\n' \
  "$maintainer" "$libpkg" "$arch" "$arch" >"$work/src/debian/control"
depends_of() {
  local depends
  depends=$(cd "$work/src" && dpkg-shlibdeps --admindir="$libraries_root/var/lib/dpkg" -O -e"$@" 2>"$work/shlibdeps.log" \
    | sed -n 's/^shlibs:Depends=//p')
  [ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no Depends for $*:" >&2; cat "$work/shlibdeps.log" >&2; return 1; }
  echo "$depends"
}

# Files common to every package: copyright, a compressed changelog, root-owned, 0644/0755.
package_root() {
  local name=$1 root=$work/$1
  install -d "$root/DEBIAN" "$root/usr/share/doc/$name"
  install -m 0644 packaging/deb/copyright "$root/usr/share/doc/$name/copyright"
  gzip -9nc packaging/deb/changelog >"$root/usr/share/doc/$name/changelog.Debian.gz"
  chmod 0644 "$root/usr/share/doc/$name/changelog.Debian.gz"
}
control() {
  local name=$1 section=$2 depends=$3 summary=$4 description=$5 extra=${6:-}
  local size
  size=$(du -sk --exclude=DEBIAN "$work/$name" | cut -f1)
  {
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: %s\nInstalled-Size: %s\n' \
      "$name" "$debversion" "$arch" "$maintainer" "$size"
    [ -n "$depends" ] && printf 'Depends: %s\n' "$depends"
    [ -n "$extra" ] && printf '%s\n' "$extra"
    printf 'Section: %s\nPriority: optional\nHomepage: https://github.com/cfcerts/cfcerts\n' "$section"
    printf 'Description: %s\n%s\n' "$summary" "$description"
  } >"$work/$name/DEBIAN/control"
  (cd "$work/$name" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | sort | xargs md5sum >DEBIAN/md5sums)
  chmod 0644 "$work/$name/DEBIAN/"*
  chmod 0755 "$work/$name/DEBIAN/"post* 2>/dev/null || true
  dpkg-deb --build --root-owner-group -Zxz "$work/$name" "$dist/${name}_${debversion}_${arch}.deb" >/dev/null
}

# The library.
package_root "$libpkg"
install -d "$work/$libpkg/usr/lib/$multiarch"
install -m 0644 "$stage/lib/libcfcerts.so.$version" "$work/$libpkg/usr/lib/$multiarch/"
ln -s "libcfcerts.so.$version" "$work/$libpkg/usr/lib/$multiarch/libcfcerts.so.$soversion"
echo "libcfcerts $soversion $libpkg (>= $version)" >"$work/$libpkg/DEBIAN/shlibs"
echo "activate-noawait ldconfig" >"$work/$libpkg/DEBIAN/triggers"
lib_depends=$(depends_of "$work/$libpkg/usr/lib/$multiarch/libcfcerts.so.$version")
control "$libpkg" libs "$lib_depends" \
  "Cloudflare API Shield mTLS client certificates (C library)" \
" libcfcerts manages the client certificates of Cloudflare API Shield mTLS
 (/zones/{zone_id}/client_certificates): list, get, create from a CSR,
 revoke and reactivate, and generates keys and CSRs. It is self-contained
 (the Swift runtime is linked in) and has a documented, versioned C ABI." \
  "Multi-Arch: same"

# Its development files.
package_root libcfcerts-dev
install -d "$work/libcfcerts-dev/usr/include" "$work/libcfcerts-dev/usr/lib/$multiarch/pkgconfig"
install -m 0644 include/cfcerts.h "$work/libcfcerts-dev/usr/include/"
ln -s "libcfcerts.so.$soversion" "$work/libcfcerts-dev/usr/lib/$multiarch/libcfcerts.so"
sed -e "s|@PREFIX@|/usr|g" -e "s|@LIBDIR@|/usr/lib/$multiarch|g" -e "s|@VERSION@|$version|g" packaging/cfcerts.pc.in \
  >"$work/libcfcerts-dev/usr/lib/$multiarch/pkgconfig/cfcerts.pc"
chmod 0644 "$work/libcfcerts-dev/usr/lib/$multiarch/pkgconfig/cfcerts.pc"
control libcfcerts-dev libdevel "$libpkg (= $debversion)" \
  "Cloudflare API Shield mTLS client certificates (C development files)" \
" The header cfcerts.h (the whole C API, documented), the libcfcerts.so link
 and cfcerts.pc: compile with \`pkg-config --cflags --libs cfcerts\`." \
  "Multi-Arch: same"

# The commands, their man pages and shell completions (staged by `make tools`), and the renewal timer: the units,
# the template of /etc/cfcerts/renew.env (postinst creates it 0600 on first install; purge removes it).
package_root cfcerts
tools=$work/cfcerts
install -d "$tools/usr/bin" "$tools/usr/share/man/man1" "$tools/lib/systemd/system" "$tools/usr/share/cfcerts"
install -m 0755 "$stage/bin/cfcerts" "$stage/bin/cfcerts-emulator" "$tools/usr/bin/"
for page in "$stage/share/man/man1/"*.1; do gzip -9nc "$page" >"$tools/usr/share/man/man1/$(basename "$page").gz"; done
chmod 0644 "$tools/usr/share/man/man1/"*.gz
for completion in bash-completion/completions/cfcerts zsh/vendor-completions/_cfcerts fish/vendor_completions.d/cfcerts.fish; do
  install -D -m 0644 "$stage/share/$completion" "$tools/usr/share/$completion"
done
install -m 0644 packaging/systemd/cfcerts-renew.service packaging/systemd/cfcerts-renew.timer "$tools/lib/systemd/system/"
install -m 0644 packaging/renew.env "$tools/usr/share/cfcerts/renew.env"
install -D -m 0644 packaging/deb/cfcerts.lintian-overrides "$tools/usr/share/lintian/overrides/cfcerts"
install -m 0755 packaging/deb/cfcerts.postinst "$tools/DEBIAN/postinst"
install -m 0755 packaging/deb/cfcerts.postrm "$tools/DEBIAN/postrm"
tools_depends=$(depends_of "$work/cfcerts/usr/bin/cfcerts" "$work/cfcerts/usr/bin/cfcerts-emulator")
control cfcerts utils "$tools_depends" \
  "Cloudflare API Shield mTLS client certificates (command-line tool)" \
" cfcerts lists, creates, renews, revokes and reactivates the mTLS client
 certificates of a Cloudflare zone, and watches for expiring ones.
 cfcerts-emulator is a local stand-in for the API with a real CA, for tests."

ls -l "$dist"/*.deb
