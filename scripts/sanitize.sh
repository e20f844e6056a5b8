#!/usr/bin/env bash
# make sanitize: the Swift suites built and run under AddressSanitizer, then under ThreadSanitizer (each in a
# scratch folder of its own: a full rebuild, about 6 minutes on 2 cores), then the C suites (plain, valgrind and
# ASan/UBSan builds: scripts/run-c-tests.sh). Any report fails the run. TSan suppressions, each explained:
# Tests/sanitizers/tsan.supp.
# Usage: scripts/sanitize.sh [address|thread|c]...
set -euo pipefail
top=$(pwd)
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread c)
for kind in "${kinds[@]}"; do
  case $kind in
    address|thread)
      scratch=.build-$kind
      swift build --scratch-path "$scratch" --build-tests --sanitize="$kind"
      # Reports go to files, one per process: the emulators the tests start send their stderr nowhere, and a
      # report there must fail the run too (a report from a process that halts on it shows only as a hang).
      reports=$top/$scratch/sanitizer-reports
      rm -rf "$reports"
      mkdir -p "$reports"
      export TSAN_OPTIONS="suppressions=$top/Tests/sanitizers/tsan.supp halt_on_error=1 second_deadlock_stack=1 log_path=$reports/tsan"
      export ASAN_OPTIONS="detect_leaks=0 halt_on_error=1 log_path=$reports/asan"
      echo "== Swift suites under $kind sanitizer"
      status=0
      swift test --scratch-path "$scratch" --skip-build --sanitize="$kind" --skip CFCertsABITests || status=$?
      [ "$status" -ne 0 ] || swift test --scratch-path "$scratch" --skip-build --sanitize="$kind" --filter CFCertsABITests || status=$?
      if [ -n "$(ls -A "$reports")" ]; then
        echo "sanitize: $kind sanitizer reports (in $reports):" >&2
        head -n 60 "$reports"/* >&2
        status=1
      fi
      [ "$status" -eq 0 ] || exit "$status"
      ;;
    c)
      make lib build
      version=$(sed -n 's/^#define CFCERTS_VERSION "\(.*\)"/\1/p' include/cfcerts.h)
      soversion=$(sed -n 's/^#define CFCERTS_SOVERSION \([0-9]*\)$/\1/p' include/cfcerts.h)
      scripts/run-c-tests.sh .build/debug "$version" "$soversion"
      ;;
    *) echo "unknown sanitizer run: $kind" >&2; exit 2 ;;
  esac
done
echo "sanitize: ${kinds[*]}: clean"
