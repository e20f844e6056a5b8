#!/usr/bin/env bash
# The gate of the shipped build: fails when a file needs a newer system library than the manylinux_2_28 policy
# allows (GLIBC_2.28, GLIBCXX_3.4.24, CXXABI_1.3.11, GCC_7.0.0), or needs a symbol with no version at all (the
# loader would take whichever definition it meets first: the sign of a symbol the build's libraries lack). Weak
# imports may be unversioned: the loader leaves them null when nothing defines them (the C runtime's __gmon_start__,
# BoringSSL's OPENSSL_memory_* allocator hooks). Prints the highest version each file needs.
# Usage: scripts/check-glibc-floor.sh FILE...
set -euo pipefail
declare -A ceiling=([GLIBC]=2.28 [GLIBCXX]=3.4.24 [CXXABI]=1.3.11 [GCC]=7.0.0)
# Libraries that version none of their symbols (SQLite, for the emulator's --state database).
unversioned_libraries='^sqlite3_'
status=0
for file in "$@"; do
  # objdump -T: "ADDR FLAGS SECTION SIZE VERSION NAME" (VERSION "(GLIBC_2.2.5)", or "Base" for none); imports are *UND*.
  imports=$(objdump -T "$file" | awk '$0 ~ /\*UND\*/ {
      weak = ($2 == "w") ? "weak" : "strong"
      n = split($0, f, /[ \t]+/)
      if (n >= 2 && f[n-1] ~ /^\(?[A-Z_]+[0-9.]*\)?$/ && f[n-1] != "*UND*" && f[n-1] != "Base" && f[n-1] !~ /^0+$/) { v = f[n-1]; gsub(/[()]/, "", v) } else { v = "-" }
      print weak, v, f[n] }')
  summary=""
  for family in GLIBC GLIBCXX CXXABI GCC; do
    highest=$(awk -v fam="$family" '{ split($2, p, "_"); if (p[1] == fam) print p[2] }' <<<"$imports" | sort -V | tail -n 1)
    [ -n "$highest" ] || continue
    summary="$summary ${family}_$highest"
    if [ "$(printf '%s\n%s\n' "$highest" "${ceiling[$family]}" | sort -V | tail -n 1)" != "${ceiling[$family]}" ]; then
      echo "check-glibc-floor: $file needs ${family}_$highest (at most ${family}_${ceiling[$family]} allowed), for:" >&2
      awk -v fam="$family" -v max="${ceiling[$family]}" '{ split($2, p, "_"); if (p[1] == fam) print p[2], $3 }' <<<"$imports" \
        | while read -r version name; do
            [ "$(printf '%s\n%s\n' "$version" "${ceiling[$family]}" | sort -V | tail -n 1)" = "${ceiling[$family]}" ] \
              || echo "  $name (${family}_$version)" >&2
          done
      status=1
    fi
  done
  unversioned=$(awk -v lib="$unversioned_libraries" '$1 == "strong" && $2 == "-" && $3 !~ lib { print "  " $3 }' <<<"$imports")
  if [ -n "$unversioned" ]; then
    echo "check-glibc-floor: $file imports symbols with no version:" >&2
    echo "$unversioned" >&2
    status=1
  fi
  echo "check-glibc-floor: $(basename "$file") needs$summary"
done
exit $status
