# Sourced by the scripts that need an emulator: start_emulator BIN_DIR LOG_DIR [FLAG...] starts
# BIN_DIR/cfcerts-emulator on a free loopback port, waits (up to 20 s) until it answers, and sets EMULATOR_PID,
# EMULATOR_URL (the API base URL) and EMULATOR_ROOT (where /__emulator/ lives). It fails loudly, with the
# emulator's own error output, when the emulator does not come up. stop_emulator stops it (safe to call twice).
EMULATOR_PID=

start_emulator() {
  local bin=$1 logs=$2
  shift 2
  "$bin/cfcerts-emulator" --port 0 "$@" >"$logs/emulator.out" 2>"$logs/emulator.err" &
  EMULATOR_PID=$!
  local attempt
  for attempt in $(seq 400); do
    grep -q '^controls:' "$logs/emulator.out" 2>/dev/null && break
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
      echo "start_emulator: cfcerts-emulator exited before it was ready:" >&2
      cat "$logs/emulator.err" >&2
      EMULATOR_PID=
      return 1
    fi
    sleep 0.05
  done
  EMULATOR_URL=$(head -n 1 "$logs/emulator.out")
  EMULATOR_ROOT=${EMULATOR_URL%/client/v4}
  if [ -z "$EMULATOR_URL" ] || ! curl -sf -o /dev/null "$EMULATOR_ROOT/__emulator/ca.pem"; then
    echo "start_emulator: cfcerts-emulator did not answer at '${EMULATOR_URL}' within 20 s:" >&2
    cat "$logs/emulator.err" >&2
    stop_emulator
    return 1
  fi
}

stop_emulator() {
  if [ -n "$EMULATOR_PID" ]; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    EMULATOR_PID=
  fi
}
