#!/usr/bin/env bash
# Runs an official protocol test suite (engine.io-protocol or socket.io-protocol, `test-suite/`) against
# `GATEWAY_CONFORMANCE=1 fitmate-gateway`, on 127.0.0.1 and a port in 38000-39999.
#
#   Tests/Interop/official-suite.sh engine.io|socket.io   # builds (debug) if needed, runs, prints "passing N / failing M"
#   (Tests/Interop/engineio-suite/run.sh and socketio-suite/run.sh call it)
#
# Environment:
#   SUITE_DIR      the suite to copy (default /work/ref/<name>-protocol/test-suite)
#   GATEWAY_BIN    the binary (default .build/debug/fitmate-gateway, built with `swift build` when missing)
#   PORT           the port (default: a free one in 38000-39999)
#   GATEWAY_LOOPS  event loops of the gateway (default 2, so that cross-loop hand-offs are exercised)
#   SUITE_URL      run against an already running server instead (e.g. http://127.0.0.1:3000); no gateway is started
# Needs: node (>= 18, for the global fetch), Debian packages mocha, chai, node-ws (apt-get install -y mocha chai node-ws).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SUITE="${1:?usage: official-suite.sh engine.io|socket.io}"
case "$SUITE" in engine.io|socket.io) ;; *) echo "unknown suite $SUITE" >&2; exit 2 ;; esac
SUITE_DIR="${SUITE_DIR:-/work/ref/$SUITE-protocol/test-suite}"
export NODE_PATH=/usr/share/nodejs

for tool in node mocha; do command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nodejs mocha chai node-ws)" >&2; exit 2; }; done
for module in chai ws; do [ -d "$NODE_PATH/$module" ] || { echo "missing $NODE_PATH/$module (apt-get install -y chai node-ws)" >&2; exit 2; }; done
[ -f "$SUITE_DIR/test-suite.js" ] || { echo "no test suite at $SUITE_DIR" >&2; exit 2; }

WORK="$(mktemp -d "/tmp/$SUITE-suite.XXXXXX")"
GATEWAY_PID=""
cleanup() {
    if [ -n "$GATEWAY_PID" ]; then kill "$GATEWAY_PID" 2>/dev/null || true; wait "$GATEWAY_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- the gateway -------------------------------------------------------------------------------------------------
if [ -z "${SUITE_URL:-}" ]; then
    GATEWAY_BIN="${GATEWAY_BIN:-$ROOT/.build/debug/fitmate-gateway}"
    if [ ! -x "$GATEWAY_BIN" ]; then (cd "$ROOT" && swift build --product fitmate-gateway >/dev/null); fi
    if [ -z "${PORT:-}" ]; then
        for _ in $(seq 1 50); do
            candidate=$((38000 + RANDOM % 2000))
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then PORT=$candidate; break; fi
        done
    fi
    [ -n "${PORT:-}" ] || { echo "no free port in 38000-39999" >&2; exit 2; }
    mkdir -p "$WORK/data"
    GATEWAY_CONFORMANCE=1 GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="$PORT" GATEWAY_DATA_DIR="$WORK/data" \
        GATEWAY_LOOPS="${GATEWAY_LOOPS:-2}" GATEWAY_LOG_LEVEL="${GATEWAY_LOG_LEVEL:-warning}" \
        "$GATEWAY_BIN" >"$WORK/gateway.log" 2>&1 &
    GATEWAY_PID=$!
    SUITE_URL="http://127.0.0.1:$PORT"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
        kill -0 "$GATEWAY_PID" 2>/dev/null || { echo "gateway exited:" >&2; cat "$WORK/gateway.log" >&2; exit 2; }
        sleep 0.1
    done
fi
export SUITE_URL

# --- the suite, copied, with a configurable URL and Node-side shims ------------------------------------------------
cp -r "$SUITE_DIR/." "$WORK/suite/" 2>/dev/null || { mkdir -p "$WORK/suite" && cp -r "$SUITE_DIR/." "$WORK/suite/"; }
sed -i 's|^const URL = "http://localhost:3000";|const URL = process.env.SUITE_URL;|' "$WORK/suite/test-suite.js"
grep -q 'process.env.SUITE_URL' "$WORK/suite/test-suite.js" || { echo "could not patch the suite's URL" >&2; exit 2; }

cat >"$WORK/suite/node-imports.js" <<'JS'
// Replaces the suite's node-imports.js: Debian's modules through require (ESM ignores NODE_PATH), Node's own fetch.
import { createRequire } from "module";
const require = createRequire(import.meta.url);
const chai = require("chai");
const WS = require("ws");

// chai-string's startsWith, the only method the suite uses.
chai.use((c) => c.Assertion.addMethod("startsWith", function (prefix) {
  this.assert(String(this._obj).startsWith(prefix), "expected #{this} to start with #{exp}", "expected #{this} not to start with #{exp}", prefix);
}));

// ws 8.11 may emit the 101's first frame together with 'open', or two messages, in one tick; the suite registers its
// next one-shot listener only after awaiting the previous event. So: at most one of 'open'/'message' per tick — the
// first is emitted at once (like ws itself), later ones wait for the next turn of the event loop, and every other event
// stays behind the queued messages.
class OneMessagePerTickWebSocket extends WS {
  constructor(...args) {
    super(...args);
    const emit = this.emit.bind(this);
    const queue = [];
    let busy = false;
    const release = () => {
      if (queue.length === 0) { busy = false; return; }
      const [event, rest] = queue.shift();
      emit(event, ...rest);
      setImmediate(release);
    };
    this.emit = (event, ...rest) => {
      const counted = event === "message" || event === "open";
      if (queue.length === 0 && !(counted && busy)) {
        if (counted) { busy = true; setImmediate(release); }
        return emit(event, ...rest);
      }
      queue.push([event, rest]);
      return true;
    };
  }
}

globalThis.WebSocket = OneMessagePerTickWebSocket;
globalThis.chai = chai;
JS

cd "$WORK/suite"
echo "$SUITE-protocol test suite against $SUITE_URL"
set +e
mocha --reporter spec --exit test-suite.js 2>&1 | tee "$WORK/mocha.log"
status=${PIPESTATUS[0]}
set -e
passing=$(grep -Eo '[0-9]+ passing' "$WORK/mocha.log" | grep -Eo '[0-9]+' || echo 0)
failing=$(grep -Eo '[0-9]+ failing' "$WORK/mocha.log" | grep -Eo '[0-9]+' || echo 0)
echo "$SUITE suite: passing $passing / failing $failing"
if [ -n "$GATEWAY_PID" ] && ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
    echo "the gateway died during the run:" >&2; tail -50 "$WORK/gateway.log" >&2; exit 1
fi
exit "$status"
