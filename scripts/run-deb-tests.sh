#!/usr/bin/env bash
# The .deb packages as a user gets them: their file lists, lintian (no error), then unpacked into a throwaway root
# (never installed into this machine, so no other suite can pick the library up by accident): the packaged
# emulator serves, the packaged `cfcerts` talks to it, and a C example built with plain pkg-config against the
# packaged header and library runs against it.
# Usage: scripts/run-deb-tests.sh DIST STAGE
set -euo pipefail
dist=$1
top=$(pwd)
work=$top/.build-deb-test
rm -rf "$work"
mkdir -p "$work"
root=$work/root
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
passed=0 failed=0
check() {
  local name=$1; shift
  if "$@" >"$work/$name.log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; tail -n 30 "$work/$name.log"; fi
}

lib=$(ls "$dist"/libcfcerts[0-9]*_*.deb) dev=$(ls "$dist"/libcfcerts-dev_*.deb) tools=$(ls "$dist"/cfcerts_*.deb)
check lib_lists_library sh -c "dpkg-deb -c '$lib' | grep -qE '\./usr/lib/$multiarch/libcfcerts\.so\.[0-9]+\.[0-9]+\.[0-9]+\$'"
check lib_lists_soname_link sh -c "dpkg-deb -c '$lib' | grep -qE '\./usr/lib/$multiarch/libcfcerts\.so\.0 -> libcfcerts\.so\.[0-9.]+\$'"
check lib_has_shlibs_and_trigger sh -c "dpkg-deb --ctrl-tarfile '$lib' | tar -t | grep -qx './shlibs' && dpkg-deb -I '$lib' triggers | grep -qx 'activate-noawait ldconfig'"
check lib_has_copyright sh -c "dpkg-deb -c '$lib' | grep -q './usr/share/doc/libcfcerts0/copyright\$'"
check dev_lists_header sh -c "dpkg-deb -c '$dev' | grep -q './usr/include/cfcerts.h\$'"
check dev_lists_so_link sh -c "dpkg-deb -c '$dev' | grep -qE './usr/lib/$multiarch/libcfcerts\.so -> libcfcerts\.so\.0\$'"
check dev_lists_pc sh -c "dpkg-deb -c '$dev' | grep -q './usr/lib/$multiarch/pkgconfig/cfcerts.pc\$'"
check tools_list_commands sh -c "dpkg-deb -c '$tools' | grep -q './usr/bin/cfcerts\$' && dpkg-deb -c '$tools' | grep -q './usr/bin/cfcerts-emulator\$'"
check depends_computed sh -c "dpkg-deb -f '$lib' Depends | grep -q 'libc6 (>=' && dpkg-deb -f '$tools' Depends | grep -q 'libc6 (>=' && dpkg-deb -f '$dev' Depends | grep -q 'libcfcerts0 (='"
check lintian_no_error lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs "$lib" "$dev" "$tools"
grep -E '^[EW]:' "$work/lintian_no_error.log" | sed 's/^/  lintian: /' || true

for package in "$lib" "$dev" "$tools"; do dpkg-deb -x "$package" "$root"; done
source scripts/emulator.sh
trap stop_emulator EXIT
start_emulator "$root/usr/bin" "$work" --rate-limit 1000000000/300 --ca-key p256 --transition-delay 0
zone=0123456789abcdef0123456789abcdef
export CLOUDFLARE_API_TOKEN=cfcerts-emulator-token CLOUDFLARE_BASE_URL=$EMULATOR_URL CLOUDFLARE_ZONE_ID=$zone
check packaged_cli_creates sh -c "cd '$work' && '$root/usr/bin/cfcerts' create --cn deb.example.com --key-out deb.key | grep -q 'status *active'"
# Plain pkg-config, pointed at the unpacked root (its .pc says /usr, as installed).
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/$multiarch/pkgconfig:/usr/lib/$multiarch/pkgconfig:/usr/share/pkgconfig
check c_example_builds sh -c 'cc -std=c99 -D_DEFAULT_SOURCE -O2 $(pkg-config --cflags cfcerts jansson) examples/c/list_certs.c \
  -o "$0" $(pkg-config --libs cfcerts jansson)' "$work/list_certs"
check c_example_runs sh -c "LD_LIBRARY_PATH='$root/usr/lib/$multiarch' '$work/list_certs' $zone | grep -q '1 certificate(s)'"
check c_example_uses_packaged_library sh -c "LD_LIBRARY_PATH='$root/usr/lib/$multiarch' ldd '$work/list_certs' | grep -q '$root/usr/lib/$multiarch/libcfcerts.so.0'"
echo "deb: $passed passed, $failed failed ($(cd "$dist" && ls *.deb | tr '\n' ' '))"
[ "$failed" -eq 0 ]
