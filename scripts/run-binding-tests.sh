#!/usr/bin/env bash
# The Python and Ruby bindings: their suites against an emulator (the binding sources, the staged library through
# CFCERTS_LIBRARY), then the built wheel and gem installed into a fresh virtualenv and a fresh GEM_HOME and their
# examples run as a user runs them: no CFCERTS_LIBRARY, no LD_LIBRARY_PATH, the library from inside the package.
# Usage: scripts/run-binding-tests.sh EMULATOR_BINARY_DIR STAGE DIST
set -euo pipefail
bin=$1 stage=$2 dist=$3
top=$(pwd)
work=$top/.build-bindings
rm -rf "$work"
mkdir -p "$work"
source scripts/emulator.sh
trap stop_emulator EXIT
start_emulator "$bin" "$work" --rate-limit 1000000000/300 --ca-key p256 --transition-delay 3600
echo "binding tests against $EMULATOR_URL"

passed=0 failed=0
run() {
  local name=$1; shift
  if "$@" >"$work/$name.log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; tail -n 40 "$work/$name.log"; fi
  grep -E "[0-9]+ passed|[0-9]+ runs, |certificate\(s\)|reactivated" "$work/$name.log" | sed "s/^/  $name: /" || true
}

export CFCERTS_TEST_BASE_URL=$EMULATOR_URL
run python env CFCERTS_LIBRARY="$top/$stage/lib/libcfcerts.so.0" PYTHONPATH="$top/bindings/python/src" \
  python3 -m pytest -q -p no:cacheprovider Tests/python
run ruby env CFCERTS_LIBRARY="$top/$stage/lib/libcfcerts.so.0" \
  ruby -I"$top/bindings/ruby/lib" -e 'Dir[ARGV[0] + "/test_*.rb"].sort.each { |file| require file }' "$top/Tests/ruby"

# As users install them. The examples print the zone as a table, then the lifecycle.
zone=0123456789abcdef0123456789abcdef
curl -sf -X POST -H 'Content-Type: application/json' --data '{"count": 3, "common_name_prefix": "existing"}' "$EMULATOR_ROOT/__emulator/zones/$zone/seed" >/dev/null
user_env=(env -u CFCERTS_LIBRARY -u LD_LIBRARY_PATH -u PYTHONPATH -u RUBYLIB CLOUDFLARE_API_TOKEN=cfcerts-emulator-token
          CLOUDFLARE_BASE_URL="$EMULATOR_URL")
python3 -m venv "$work/venv"
run wheel_installs "$work/venv/bin/pip" install -q --no-index --disable-pip-version-check "$dist"/cfcerts-*.whl
run wheel_example sh -c '"$@" | tee /dev/stderr | grep -q "reactivated status=pending_reactivation"' sh \
  "${user_env[@]}" "$work/venv/bin/python" examples/python/lifecycle.py "$zone"
run wheel_uses_its_own_library sh -c '"$@" | grep -q "$0"' "$work/venv/lib/" "${user_env[@]}" "$work/venv/bin/python" -c \
  'import cfcerts; cfcerts.library(); print(open("/proc/self/maps").read())'
run gem_installs env GEM_HOME="$work/gems" gem install --local --no-document "$dist"/cfcerts-*.gem
run gem_example sh -c '"$@" | tee /dev/stderr | grep -q "reactivated status=pending_reactivation"' sh \
  "${user_env[@]}" GEM_HOME="$work/gems" ruby -rcfcerts examples/ruby/lifecycle.rb "$zone"
run gem_uses_its_own_library sh -c '"$@" | grep -q "$0"' "$work/gems/gems/cfcerts-" "${user_env[@]}" GEM_HOME="$work/gems" \
  ruby -rcfcerts -e 'print File.read("/proc/self/maps")'

echo "bindings: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
