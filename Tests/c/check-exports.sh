#!/usr/bin/env bash
# The shipped library's ABI: exported symbols equal the header's functions exactly, the SONAME is
# libcfcerts.so.CFCERTS_SOVERSION (read from the header), no Swift runtime library is NEEDED, there is no RUNPATH,
# and -z nodelete is set.
set -uo pipefail
library=$1 header=$2
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1" >&2; fi; }

# Upper-case types are global; the version script leaves everything else local.
exported=$(nm -D --defined-only "$library" | awk '$2 ~ /^[TW]$/ {print $3}' | sed 's/@.*//' | sort -u)
declared=$(grep -oE '^[a-z_ *]+[ *]cfcerts_[a-z0-9_]+\(' "$header" | grep -oE 'cfcerts_[a-z0-9_]+\($' | tr -d '(' | sort -u)
soversion=$(sed -n 's/^#define CFCERTS_SOVERSION \([0-9][0-9]*\)$/\1/p' "$header")
check "the header defines CFCERTS_SOVERSION" '[ -n "$soversion" ]'
check "exported symbols equal the header's functions (diff: $(diff <(echo "$declared") <(echo "$exported") | tr '\n' ' '))" \
  '[ "$exported" = "$declared" ]'
check "no other global symbols (only the version node)" \
  '[ -z "$(nm -D --defined-only "$library" | awk '"'"'$2 ~ /^[A-Z]$/ && $2 != "A" && $3 !~ /^cfcerts_/'"'"')" ]' 
check "SONAME is libcfcerts.so.$soversion" 'readelf -d "$library" | grep -q "SONAME.*\[libcfcerts\.so\.$soversion\]"'
check "no Swift runtime among NEEDED" '! readelf -d "$library" | grep NEEDED | grep -qiE "swift|Foundation|dispatch|BlocksRuntime|icu"'
check "NEEDED is only libc, libm, libstdc++, libgcc_s, libz, ld-linux" \
  '[ -z "$(readelf -d "$library" | sed -n "s/.*NEEDED.*\[\(.*\)\]/\1/p" | grep -vE "^(libc|libm|libstdc\+\+|libgcc_s|libz|libdl|libpthread|librt|libutil|ld-linux-x86-64)\.so")" ]'
check "no RUNPATH/RPATH" '! readelf -d "$library" | grep -qE "RUNPATH|RPATH"'
check "-z nodelete is set" 'readelf -d "$library" | grep -q "NODELETE"'
check "stripped" '! file -L "$library" | grep -q "not stripped"'
echo "check-exports: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
