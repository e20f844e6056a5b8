#!/usr/bin/env bash
# Route B of the shipped build (scripts/build-sdk.sh chooses the route): no sysroot and no Debian 11 file. This
# machine's toolchain compiles against this machine's headers; zig (PyPI ziglang, pinned below) links, against its
# glibc 2.28 stubs, so no glibc symbol can bind above 2.28, and against this machine's libstdc++, libgcc_s, zlib and
# SQLite; `-z defs` makes a symbol those lack fail the link. packaging/glibc-compat.cc pins what this machine's newer
# headers would otherwise bind above the floor. In CACHE (.build-sysroot):
#   ARCH/zig/clang      swiftc's linker driver (swiftc -tools-directory ARCH/zig): runs scripts/zig-cc.py
#   ARCH/zig/lib/       links to this machine's libstdc++.so.6, libgcc_s.so.1, libz.so, libsqlite3.so
#   ARCH/zig/entry/     the commands' main functions, written by scripts/zig-cc.py
#   ARCH/glibc-compat.o
#   ARCH/route, ARCH/swiftpm-flags, ARCH/libraries-root, ARCH/shlibs.local: what the build reads (build-sdk.sh says)
# zig keeps its glibc stubs in its own cache (~/.cache/zig): the first link builds them, about half a minute.
# Builds for this machine's architecture only: the libraries it links against are this machine's.
# Usage: scripts/sdk-zig.sh ARCH CACHE
set -euo pipefail
zig_version=0.17.1
glibc_floor=2.28
arch=$1
[ "$arch" = "$(uname -m)" ] || { echo "sdk-zig: builds for this machine's architecture ($(uname -m)) only, not $arch" >&2; exit 1; }
case $arch in
  x86_64) glibc_base=GLIBC_2.2.5 loader="ld-linux-x86-64 2" ;;
  aarch64) glibc_base=GLIBC_2.17 loader="ld-linux-aarch64 1" ;;
  *) echo "sdk-zig: unknown architecture '$arch' (x86_64 or aarch64)" >&2; exit 1 ;;
esac
target=$arch-linux-gnu.$glibc_floor
top=$(pwd)
mkdir -p "$2"
cache=$(realpath "$2")
tools=$cache/$arch/zig
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
[ -x "$toolchain/bin/clang" ] || { echo "sdk-zig: no Swift toolchain found beside $(command -v swiftc)" >&2; exit 1; }

# 1. zig: the binary inside PyPI's ziglang package (about 410 MB installed).
if [ "$(python3 -m ziglang version 2>/dev/null)" != "$zig_version" ]; then
  echo "sdk-zig: installing ziglang $zig_version from PyPI"
  python3 -m pip install -q --disable-pip-version-check "ziglang==$zig_version"
fi
zig=$(python3 -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
python=$(python3 -c 'import sys; print(sys.executable)')

# 2. The libraries linked against, where this machine's clang finds them (it prints the bare name when it finds none).
rm -rf "$tools"
mkdir -p "$tools/lib"
for library in libstdc++.so.6 libgcc_s.so.1 libz.so libsqlite3.so; do
  path=$("$toolchain/bin/clang" --print-file-name="$library")
  [ "$path" != "$library" ] && [ -e "$path" ] \
    || { echo "sdk-zig: no $library on this machine (Debian: libstdc++6, libgcc-s1, zlib1g-dev, libsqlite3-dev)" >&2; exit 1; }
  ln -s "$(readlink -f "$path")" "$tools/lib/$library"
done

# 3. The linker driver swiftc runs as `clang`.
cat >"$tools/clang" <<EOF
#!/bin/sh
# Made by scripts/sdk-zig.sh: links with zig for $target (scripts/zig-cc.py says how).
exec "$python" "$top/scripts/zig-cc.py" "$zig" "$target" "$tools" "\$@"
EOF
chmod +x "$tools/clang"

# 4. The compatibility object, compiled against this machine's headers (hidden: the library exports only cfcerts_*).
"$toolchain/bin/clang++" --target="$arch-unknown-linux-gnu" -O2 -fPIC -fvisibility=hidden -fno-builtin \
  -DCFCERTS_GLIBC_BASE="\"$glibc_base\"" -c packaging/glibc-compat.cc -o "$cache/$arch/glibc-compat.o"

# 5. What the build reads: the linker driver; `-z defs` (zig's linker otherwise leaves undefined symbols in a shared
# library for the loader to fail on); --allow-shlib-undefined, because what this machine's libstdc++ and libgcc_s
# need from its newer glibc is not in the 2.28 stubs (the system a command runs on brings its own libstdc++; zig's
# linker checks this for executables only); the compatibility object. For make deb: / as the root whose dpkg database
# lists the libraries linked against, this machine's, but for glibc's, linked as the 2.28 stubs: this machine's libc6
# symbols file would ask for libc6 2.34 for any call of sysconf, since its headers make SIGSTKSZ and MINSIGSTKSZ
# sysconf names that older glibc lacks (no C source of this package or its dependencies uses either).
echo "-Xswiftc -tools-directory -Xswiftc $tools -Xlinker -z -Xlinker defs -Xlinker --allow-shlib-undefined" \
  "-Xlinker $cache/$arch/glibc-compat.o" \
  >"$cache/$arch/swiftpm-flags"
echo / >"$cache/$arch/libraries-root"
{
  echo "# glibc's libraries, linked as zig's glibc $glibc_floor stubs (scripts/sdk-zig.sh)"
  for library in "libc 6" "libm 6" "libpthread 0" "libdl 2" "librt 1" "libutil 1" "$loader"; do
    echo "$library libc6 (>= $glibc_floor)"
  done
} >"$cache/$arch/shlibs.local"
echo zig >"$cache/$arch/route"
echo "sdk-zig: zig $zig_version linking for $target ready"
