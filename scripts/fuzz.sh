#!/usr/bin/env bash
# The fuzz targets under libFuzzer (the build of `make fuzz-build`: -sanitize=fuzzer,address), each for SECONDS,
# each from a copy of its seed corpus (Tests/fuzz/corpus/TARGET; what libFuzzer adds stays in .build-fuzz/work).
# python_arguments is atheris over the Python binding (Tests/fuzz/python_arguments.py, the staged library of
# `make lib`); its seeds are inputs an atheris run found (FuzzedDataProvider bytes, not readable text).
# A crash, an ASan report, a leak, an input slower than 10 s or over 2 GB fails the run; its input is kept in
# .build-fuzz/work/artifacts (add it to the corpus as regression-NAME once fixed). Prints per target: executions,
# their rate, coverage and corpus size.
# Usage: scripts/fuzz.sh SECONDS [TARGET...]
set -euo pipefail
seconds=$1; shift
top=$(pwd)
fuzzer=$top/.build-fuzz/debug/cfcerts-fuzz
work=$top/.build-fuzz/work
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(list_answer single_answer retry_after csr_inspection pkcs12_bundle c_parameters emulator_csr emulator_request \
                                      python_arguments)
mkdir -p "$work/artifacts"
failed=0
printf '%-18s %12s %10s %8s %8s\n' target executions "exec/s" cov corpus
for target in "${targets[@]}"; do
  rm -rf "$work/corpus/$target"
  mkdir -p "$work/corpus/$target"
  cp "$top/Tests/fuzz/corpus/$target/"* "$work/corpus/$target/"
  log=$work/$target.log
  command=("$fuzzer")
  [ "$target" != python_arguments ] || command=(env CFCERTS_LIBRARY="$top/stage/lib/libcfcerts.so"
    PYTHONPATH="$top/bindings/python/src" python3 "$top/Tests/fuzz/python_arguments.py")
  if ! CFCERTS_FUZZ_TARGET=$target "${command[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/artifacts/$target-" -print_final_stats=1 "$work/corpus/$target" >"$log" 2>&1; then
    failed=$((failed + 1))
    echo "FAILED: $target (log: $log)"
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
  fi
  done_line=$(grep -E '^#[0-9]+.*DONE' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  corpus=$(ls "$work/corpus/$target" | wc -l)
  printf '%-18s %12s %10s %8s %8s\n' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$corpus"
done
[ "$failed" -eq 0 ]
