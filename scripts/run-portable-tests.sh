#!/usr/bin/env bash
# make test-portable: the shipped artifacts where their oldest peers run, in a Debian 11 root (bullseye: glibc 2.31,
# Python 3.9, Ruby 2.7, GCC 10), made once with debootstrap and cached in .build-debian11/. Its programs talk to an
# emulator started on this machine (a chroot shares the loopback):
#   the wheel installs with the root's own pip into a venv, and examples/python/lifecycle.py runs;
#   the gem's library loads through the root's ruby-ffi (Ruby 2.7 is below the gem's floor, 3.0: the library file is
#   taken from the gem and called with FFI directly, the binding's own files are not run);
#   the .debs install with dpkg (their Depends satisfied by Debian 11), `cfcerts list` runs, and a C program built
#   against libcfcerts-dev with the root's gcc and pkg-config runs.
# First, the artifacts are the ones of the route asked for (scripts/build-sdk.sh records the route it took in SDK_DIR):
# SDK_ROUTE=zig's, or else debian11's, so that a default build that fell back to zig is seen here, not passed off
# as the debian11 route's.
# Only /proc is mounted into the root (Swift reads a command's arguments from /proc/self/cmdline), unmounted on
# exit; outputs go through files (/dev/stderr is a link into /proc/self). The packages are purged before each run, so every run installs them fresh.
# Usage: scripts/run-portable-tests.sh DIST STAGE SDK_DIR SDK_ROUTE
set -euo pipefail
# When bullseye leaves deb.debian.org (as buster has), DEBIAN_MIRROR=http://archive.debian.org/debian.
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
dist=$1 stage=$2 sdk_dir=$3 asked_route=$4
top=$(pwd)
cache=$top/.build-debian11
root=$cache/root
packages=python3,python3-venv,python3-pip,ruby,ruby-ffi,gcc,libc6-dev,libjansson-dev,pkg-config,ca-certificates

if [ ! -f "$root/.complete" ]; then
  command -v debootstrap >/dev/null || { echo "run-portable-tests: debootstrap is missing (make deps installs it)" >&2; exit 1; }
  rm -rf "$root" "$root.tmp"
  mkdir -p "$cache"
  echo "run-portable-tests: debootstrap bullseye into $root (once; about a minute)"
  if ! debootstrap --variant=minbase --include="$packages" bullseye "$root.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    echo "run-portable-tests: debootstrap of Debian 11 (bullseye) failed; is $mirror reachable? Its log:" >&2
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  fi
  mv "$root.tmp" "$root"
  touch "$root/.complete"
fi
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
in_root dpkg --purge cfcerts libcfcerts-dev libcfcerts0 >/dev/null 2>&1 || true

# What the checks use, copied in: the artifacts and the examples.
work=$root/tmp/portable
rm -rf "$work"
mkdir -p "$work"
cp "$dist"/cfcerts-*.whl "$dist"/cfcerts-*.gem "$dist"/*.deb "$work/"
cp examples/python/lifecycle.py examples/c/list_certs.c "$work/"
logs=$cache/logs
rm -rf "$logs"
mkdir -p "$logs"

source scripts/emulator.sh
unmount_proc() { if mountpoint -q "$root/proc"; then umount "$root/proc"; fi; }
trap 'stop_emulator; unmount_proc' EXIT
unmount_proc
mount -t proc proc "$root/proc"
start_emulator "$stage/bin" "$logs" --rate-limit 1000000000/300 --ca-key p256 --transition-delay 3600
zone=0123456789abcdef0123456789abcdef
curl -sf -X POST -H 'Content-Type: application/json' --data '{"count": 3, "common_name_prefix": "existing"}' \
  "$EMULATOR_ROOT/__emulator/zones/$zone/seed" >/dev/null
api=(CLOUDFLARE_API_TOKEN=cfcerts-emulator-token CLOUDFLARE_BASE_URL="$EMULATOR_URL" CLOUDFLARE_ZONE_ID=$zone)
echo "portable tests of the $(cat "$sdk_dir/route" 2>/dev/null || echo unknown) route's artifacts in Debian 11 ($(cat "$root/etc/debian_version"), glibc $(in_root ldd --version | head -n 1 | sed 's/.* //')) against $EMULATOR_URL"

passed=0 failed=0
check() {
  local name=$1; shift
  if "$@" >"$logs/$name.log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; tail -n 30 "$logs/$name.log"; fi
}

expected_route=debian11
[ "$asked_route" != zig ] || expected_route=zig
check built_by_route_asked sh -c "cat '$sdk_dir/route'; test \"\$(cat '$sdk_dir/route')\" = $expected_route"

# The wheel: the root's pip accepts its tag (manylinux_2_28 on glibc 2.31) and its Python (3.9) runs the example.
check wheel_installs in_root sh -c 'python3 -m venv /tmp/portable/venv && /tmp/portable/venv/bin/pip install -q --no-index --disable-pip-version-check /tmp/portable/cfcerts-*.whl'
check wheel_example in_root "${api[@]}" sh -c "/tmp/portable/venv/bin/python /tmp/portable/lifecycle.py $zone >/tmp/portable/lifecycle.out; cat /tmp/portable/lifecycle.out; grep -q 'reactivated status=pending_reactivation' /tmp/portable/lifecycle.out"

# The gem's library, through the root's ruby-ffi: its version, then a page of the zone from the emulator.
mkdir -p "$work/gem"
tar -xOf "$work"/cfcerts-*.gem data.tar.gz | tar -xz -C "$work/gem"
check gem_library_loads in_root "${api[@]}" ruby -rffi -e '
  module Lib
    extend FFI::Library
    ffi_lib ARGV[0]
    attach_function :cfcerts_version, [], :string
    attach_function :cfcerts_client_new, [:pointer, :pointer], :int
    attach_function :cfcerts_client_free, [:pointer], :void
    attach_function :cfcerts_list_page, [:pointer, :pointer, :string, :string], :int
    attach_function :cfcerts_string_free, [:pointer], :void
  end
  client = FFI::MemoryPointer.new(:pointer)
  out = FFI::MemoryPointer.new(:pointer)
  Lib.cfcerts_client_new(client, nil).zero? or abort "client_new failed"
  Lib.cfcerts_list_page(out, client.read_pointer, ARGV[1], "{}").zero? or abort "list_page failed"
  page = out.read_pointer.read_string
  Lib.cfcerts_string_free(out.read_pointer)
  Lib.cfcerts_client_free(client.read_pointer)
  puts "ruby #{RUBY_VERSION}, libcfcerts #{Lib.cfcerts_version}: #{page.scan(/"common_name"/).size} certificates"
  page.include?("existing") or abort "no seeded certificate in #{page}"' /tmp/portable/gem/lib/cfcerts/libcfcerts.so.0 $zone

# The .debs: Depends computed against Debian 11 (not this machine's libc6), installed with dpkg (it refuses Depends Debian 11 cannot satisfy), then the command and a C program.
check debs_depend_on_glibc_2_28_or_older sh -c "for deb in '$dist'/libcfcerts[0-9]*_*.deb '$dist'/cfcerts_*.deb; do dpkg-deb -f \"\$deb\" Depends; done | tee '$logs/depends' | grep -c 'libc6 (>= 2\.\([0-9]\|1[0-9]\|2[0-8]\))' | grep -qx 2"
check debs_install in_root sh -c 'dpkg -i /tmp/portable/*.deb && dpkg-query -W -f="\${Package} \${Status}\n" libcfcerts0 libcfcerts-dev cfcerts | grep -c "install ok installed" | grep -qx 3'
check deb_cfcerts_list in_root "${api[@]}" sh -c 'cfcerts list >/tmp/portable/list.out; cat /tmp/portable/list.out; grep -q existing /tmp/portable/list.out'
check deb_c_program_builds in_root sh -c 'cc -std=c99 -D_DEFAULT_SOURCE -O2 $(pkg-config --cflags cfcerts jansson) /tmp/portable/list_certs.c -o /tmp/portable/list_certs $(pkg-config --libs cfcerts jansson)'
check deb_c_program_runs in_root "${api[@]}" sh -c "/tmp/portable/list_certs $zone >/tmp/portable/list_certs.out; cat /tmp/portable/list_certs.out; grep -q '4 certificate(s)' /tmp/portable/list_certs.out"

echo "portable (Debian 11): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
