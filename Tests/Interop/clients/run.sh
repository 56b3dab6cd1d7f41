#!/usr/bin/env bash
# The official clients against `GATEWAY_CONFORMANCE=1 fitmate-gateway` (its interop fixture on /interop/):
# python-socketio's AsyncClient and the browser socket.io-client 4.x in headless Chromium, each with polling only,
# WebSocket only and polling→WebSocket upgrade. Prints "interop: N passed, M failed"; exits non-zero on any failure.
#
#   Tests/Interop/clients/run.sh [--only SUBSTRING ...] [--no-browser]
#
# Environment:
#   GATEWAY_BIN   the binary (default .build/debug/fitmate-gateway, built with `swift build` first)
#   PORT          the gateway's port (default: a free one in 38000-39999)
#   INTEROP_VENV  the Python venv (default .build/interop-venv; created and filled from PyPI when missing)
# Needs: python3 with venv, Debian packages chromium and chromium-driver (unless --no-browser), network for PyPI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$ROOT/Tests/Interop/clients"
VENV="${INTEROP_VENV:-$ROOT/.build/interop-venv}"
# The browser client's official build, as shipped inside this PyPI wheel (downloaded at test time, never committed).
CLIENT_WHEEL="nicegui==3.18.0"
CLIENT_JS_IN_WHEEL="nicegui/static/socket.io.min.js"

WORK="$(mktemp -d /tmp/interop-clients.XXXXXX)"
GATEWAY_PID=""
cleanup() {
    if [ -n "$GATEWAY_PID" ]; then kill "$GATEWAY_PID" 2>/dev/null || true; wait "$GATEWAY_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- the Python side ----------------------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
"$VENV/bin/pip" download -q --disable-pip-version-check --no-deps "$CLIENT_WHEEL" -d "$WORK/wheel"
"$VENV/bin/python" - "$WORK/wheel" "$CLIENT_JS_IN_WHEEL" "$WORK/socket.io.min.js" <<'PY'
import glob, sys, zipfile
wheel, = glob.glob(sys.argv[1] + "/*.whl")
with zipfile.ZipFile(wheel) as archive, open(sys.argv[3], "wb") as out:
    out.write(archive.read(sys.argv[2]))
PY

# --- the gateway --------------------------------------------------------------------------------------------------
GATEWAY_BIN="${GATEWAY_BIN:-$ROOT/.build/debug/fitmate-gateway}"
if [ "$GATEWAY_BIN" = "$ROOT/.build/debug/fitmate-gateway" ]; then (cd "$ROOT" && swift build --product fitmate-gateway >/dev/null); fi
# A free-looking port may still be taken by the time the gateway binds it (other test runs share the machine): when
# the gateway cannot start, another port is tried, unless PORT was given.
start_gateway() {
    mkdir -p "$WORK/data"
    GATEWAY_CONFORMANCE=1 GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="$1" GATEWAY_DATA_DIR="$WORK/data" \
        GATEWAY_LOOPS="${GATEWAY_LOOPS:-2}" GATEWAY_LOG_LEVEL="${GATEWAY_LOG_LEVEL:-warning}" \
        "$GATEWAY_BIN" >"$WORK/gateway.log" 2>&1 &
    GATEWAY_PID=$!
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then wait "$GATEWAY_PID" 2>/dev/null || true; GATEWAY_PID=""; return 1; fi
        sleep 0.1
    done
    echo "the gateway did not listen on $1 within 10 s" >&2
    kill "$GATEWAY_PID" 2>/dev/null || true; wait "$GATEWAY_PID" 2>/dev/null || true; GATEWAY_PID=""; return 1
}
started=""
for _ in $(seq 1 5); do
    port="${PORT:-$((38000 + RANDOM % 2000))}"
    if [ -z "${PORT:-}" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if start_gateway "$port"; then started=$port; break; fi
    [ -z "${PORT:-}" ] || break
done
[ -n "$started" ] || { echo "the gateway did not start:" >&2; cat "$WORK/gateway.log" >&2; exit 2; }
PORT=$started

# --- the cases ----------------------------------------------------------------------------------------------------
set +e
(cd "$HERE" && "$VENV/bin/python" main.py --gateway "http://127.0.0.1:$PORT" --client-js "$WORK/socket.io.min.js" "$@")
status=$?
set -e
if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
    echo "the gateway died during the run:" >&2; tail -50 "$WORK/gateway.log" >&2; exit 1
fi
exit "$status"
