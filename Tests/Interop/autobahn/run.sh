#!/usr/bin/env bash
# Run the Autobahn|Testsuite fuzzing client against a WebSocket echo endpoint and
# write summary.txt. See README.md next to this file for the one-time setup.
#
# Usage: run.sh [URL] [SELECTION]
#   URL        default ws://127.0.0.1:38999/ws-echo          (or AUTOBAHN_URL)
#   SELECTION  default quick                                  (or AUTOBAHN_CASES)
#              quick       1.* 2.* 3.* 4.* 5.* 6.* 7.* 8.* 10.*   (~15 s)
#              compression 12.* 13.*                              (minutes)
#              limits      9.*                                    (large messages, slow)
#              all         1.* ... 13.*                           (~1 h on 2 cores)
#              or a comma-separated list of case patterns, e.g. "1.1.*,7.9.*,12.1.1"
#
# Environment:
#   AUTOBAHN_SRC      the Python 3 port (asodeur/autobahn-testsuite, branch py3, with the
#                     fixes in README.md)                    default /work/autobahn/src
#   AUTOBAHN_VENV     venv for the client, created if missing default /work/autobahn/venv
#   AUTOBAHN_PYTHON   interpreter used to create the venv     default python3
#   AUTOBAHN_REPORT_DIR  where spec, reports, logs and summary.txt go (default: new /tmp/autobahn.XXXXXX)
#   AUTOBAHN_AGENT    agent name in the report                default fitmate-gateway
#   AUTOBAHN_EXCLUDE  comma-separated case patterns to exclude (default none)
#   AUTOBAHN_TIMEOUT  seconds before the client is killed    (default by selection)
#   AUTOBAHN_SKIP_PORT_CHECK=1  do not verify that the port carries the fixes
#   GATEWAY_BIN       if set, start this gateway binary on the URL's port/path
#                     (GATEWAY_WS_ECHO_PATH, GATEWAY_PORT, GATEWAY_DATA_DIR=<tmp>,
#                     GATEWAY_HOST=127.0.0.1) and stop it at the end
#   GATEWAY_START_TIMEOUT  seconds to wait for the gateway to listen (default 30)
#
# Exit status: 0 all cases OK / NON-STRICT / INFORMATIONAL; 1 a case FAILED or is
# UNIMPLEMENTED; 2 no usable report (client crashed, nothing listening, run cut short);
# 3 setup problem (port missing or unfixed, venv install failed, gateway did not start).

set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
URL="${1:-${AUTOBAHN_URL:-ws://127.0.0.1:38999/ws-echo}}"
SELECTION="${2:-${AUTOBAHN_CASES:-quick}}"
AUTOBAHN_SRC="${AUTOBAHN_SRC:-/work/autobahn/src}"
AUTOBAHN_VENV="${AUTOBAHN_VENV:-/work/autobahn/venv}"
AUTOBAHN_PYTHON="${AUTOBAHN_PYTHON:-python3}"
AGENT="${AUTOBAHN_AGENT:-fitmate-gateway}"
EXCLUDE="${AUTOBAHN_EXCLUDE:-}"

log() { printf '[autobahn] %s\n' "$*" >&2; }
die() { local code="$1"; shift; printf '[autobahn] ERROR: %s\n' "$*" >&2; exit "$code"; }

# ---------------------------------------------------------------- case selection
case "$SELECTION" in
  quick)       CASES="1.*,2.*,3.*,4.*,5.*,6.*,7.*,8.*,10.*"; DEFAULT_TIMEOUT=600 ;;
  compression) CASES="12.*,13.*";                             DEFAULT_TIMEOUT=3600 ;;
  limits)      CASES="9.*";                                   DEFAULT_TIMEOUT=3600 ;;
  all)         CASES="1.*,2.*,3.*,4.*,5.*,6.*,7.*,8.*,9.*,10.*,11.*,12.*,13.*"; DEFAULT_TIMEOUT=7200 ;;
  *[0-9*]*)    CASES="$SELECTION";                            DEFAULT_TIMEOUT=3600 ;;
  *) die 3 "unknown selection '$SELECTION' (quick | compression | limits | all | comma-separated case patterns)" ;;
esac
TIMEOUT="${AUTOBAHN_TIMEOUT:-$DEFAULT_TIMEOUT}"

case "$URL" in
  ws://*|wss://*) ;;
  *) die 3 "URL must start with ws:// or wss:// (got '$URL')" ;;
esac

# ---------------------------------------------------------------- the port's source
if [ -f "$AUTOBAHN_SRC/autobahntestsuite/autobahntestsuite/wstest.py" ]; then
  PORT_PYTHONPATH="$AUTOBAHN_SRC/autobahntestsuite"
elif [ -f "$AUTOBAHN_SRC/autobahntestsuite/wstest.py" ]; then
  PORT_PYTHONPATH="$AUTOBAHN_SRC"
else
  cat >&2 <<EOF
[autobahn] ERROR: the Autobahn|Testsuite Python 3 port was not found at AUTOBAHN_SRC=$AUTOBAHN_SRC
  (expected $AUTOBAHN_SRC/autobahntestsuite/autobahntestsuite/wstest.py).

  This script cannot download it (only PyPI is reachable from here). One-time setup:
    1. Bring GitHub asodeur/autobahn-testsuite onto the machine (the search tool's
       fetch: github:asodeur/autobahn-testsuite); it arrives as a bare git dir, e.g.
       /work/.mirror/asodeur+autobahn-testsuite/repo/.git
    2. Export branch py3 OUTSIDE the project:
         mkdir -p $AUTOBAHN_SRC
         git --git-dir=/work/.mirror/asodeur+autobahn-testsuite/repo/.git archive origin/py3 \\
           | tar -x -C $AUTOBAHN_SRC
    3. Apply the Python 3 fixes listed in $HERE/README.md ("Fixes to the port").
    4. Re-run this script (it creates the venv itself), or set AUTOBAHN_SRC.
EOF
  exit 3
fi

# ---------------------------------------------------------------- venv
# Versions the harness was measured with (README.md). autobahn 18.4.1 is the newest
# release the port works with; it needs txaio <= 2.10.0. wsaccel (the "accelerate"
# extra: C UTF-8 validator and XOR masker) makes the 12.*/13.* cases ~2x faster.
REQUIREMENTS=(
  "autobahn[twisted,accelerate]==18.4.1"
  "wsaccel==0.6.7"
  "txaio==2.10.0"
  "Twisted==26.10.0"
  "future==1.0.0"
  "Jinja2==3.1.6"
  "MarkupSafe==3.0.4"
  "pyOpenSSL"
  "service-identity"
  "setuptools<81"
)
REQ_STAMP="$AUTOBAHN_VENV/.fitmate-autobahn-requirements"
if [ ! -x "$AUTOBAHN_VENV/bin/python" ] || [ "$(cat "$REQ_STAMP" 2>/dev/null || true)" != "${REQUIREMENTS[*]}" ]; then
  log "setting up venv $AUTOBAHN_VENV (pip, from PyPI)"
  if [ ! -x "$AUTOBAHN_VENV/bin/python" ]; then
    "$AUTOBAHN_PYTHON" -m venv "$AUTOBAHN_VENV" \
      || die 3 "could not create venv with '$AUTOBAHN_PYTHON -m venv' (Debian: apt-get install python3-venv)"
  fi
  "$AUTOBAHN_VENV/bin/python" -m pip install --disable-pip-version-check -q "${REQUIREMENTS[@]}" \
    || die 3 "pip install into $AUTOBAHN_VENV failed"
  printf '%s' "${REQUIREMENTS[*]}" > "$REQ_STAMP"
fi
PY="$AUTOBAHN_VENV/bin/python"

# ---------------------------------------------------------------- are the fixes in the port?
if [ "${AUTOBAHN_SKIP_PORT_CHECK:-0}" != "1" ]; then
  if ! PYTHONPATH="$PORT_PYTHONPATH" "$PY" - <<'EOF' >&2
import inspect, sys
problems = []
try:
    import autobahntestsuite.wstest  # noqa: F401
except Exception as e:
    print("fix 1 (wstest imports serializer/unittest2 lazily) missing: import failed: %r" % (e,))
    sys.exit(1)
from autobahntestsuite import fuzzing, case
if "sendFrame" not in fuzzing.FuzzingProtocol.__dict__:
    problems.append("fix 2 (FuzzingProtocol.sendFrame builds payload_len payloads itself) missing")
src_case = inspect.getsource(fuzzing.FuzzingFactory.createAgentCaseReportJSON)
src_index = inspect.getsource(fuzzing.FuzzingFactory.createMasterReportJSON)
if "default" not in src_case or "default" not in src_index:
    problems.append("fix 3 (JSON reports: bytes -> text via json.dumps default=) missing")
src_lost = inspect.getsource(fuzzing.FuzzingClientFactory.clientConnectionLost)
if "finally" not in src_lost:
    problems.append("fix 4 (reactor.stop() even when writing reports fails) missing")
codes = [c.CLOSE_CODE for c in case.Cases if c.__name__.startswith("Case7_9_")]
if 1014 in codes or 1015 in codes or len(case.Cases) != 517:
    problems.append("fix 5 (case 7.9.x close codes as upstream, 517 cases) missing: %d cases, 7.9.x codes %s" % (len(case.Cases), codes))
import os, pkg_resources
from autobahntestsuite.case import case12_x_x
for name, data in case12_x_x.WS_COMPRESSION_TESTDATA.items():
    if not data["binary"]:
        raw = open(pkg_resources.resource_filename("autobahntestsuite", "testdata/" + data["file"]), "rb").read()
        if any(b > 127 for b in raw):
            problems.append("fix 7 (text test data %s ASCII-only, so byte slices sent as text are valid UTF-8) missing" % data["file"])
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
  then
    die 3 "the port at $PORT_PYTHONPATH lacks the fixes in $HERE/README.md (or set AUTOBAHN_SKIP_PORT_CHECK=1)"
  fi
fi

# ---------------------------------------------------------------- report dir, spec
REPORT_DIR="${AUTOBAHN_REPORT_DIR:-$(mktemp -d /tmp/autobahn.XXXXXX)}"
mkdir -p "$REPORT_DIR"
REPORT_DIR="$(cd "$REPORT_DIR" && pwd)"
OUTDIR="$REPORT_DIR/reports"
rm -rf "$OUTDIR"
SPEC="$REPORT_DIR/fuzzingclient.json"
SUMMARY="$REPORT_DIR/summary.txt"
CLIENT_LOG="$REPORT_DIR/wstest.log"
rm -f "$SUMMARY"

"$PY" - "$SPEC" "$OUTDIR" "$AGENT" "$URL" "$CASES" "$EXCLUDE" <<'EOF'
import json, sys
spec_path, outdir, agent, url, cases, exclude = sys.argv[1:7]
split = lambda s: [p.strip() for p in s.split(",") if p.strip()]
spec = {
    "outdir": outdir,
    "servers": [{"agent": agent, "url": url}],
    "cases": split(cases),
    "exclude-cases": split(exclude),
    "exclude-agent-cases": {},
}
with open(spec_path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
EOF

# ---------------------------------------------------------------- optional gateway
GATEWAY_PID=""
GATEWAY_TMP=""
cleanup() {
  if [ -n "$GATEWAY_PID" ] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    log "stopping gateway (pid $GATEWAY_PID)"
    kill -TERM "$GATEWAY_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
  fi
  if [ -n "$GATEWAY_TMP" ]; then rm -rf "$GATEWAY_TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# host, port and path of the URL (for the gateway and the readiness wait)
read -r URL_HOST URL_PORT URL_PATH < <("$PY" - "$URL" <<'EOF'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or (443 if u.scheme == "wss" else 80), u.path or "/")
EOF
)

wait_for_port() {  # host port seconds
  "$PY" - "$1" "$2" "$3" <<'EOF'
import socket, sys, time
host, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.time() + limit
while time.time() < end:
    try:
        socket.create_connection((host, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
EOF
}

if [ -n "${GATEWAY_BIN:-}" ]; then
  [ -x "$GATEWAY_BIN" ] || die 3 "GATEWAY_BIN=$GATEWAY_BIN is not an executable file"
  if wait_for_port "$URL_HOST" "$URL_PORT" 0.5; then
    die 3 "port $URL_PORT is already in use; not starting the gateway"
  fi
  GATEWAY_TMP="$(mktemp -d /tmp/autobahn-gateway.XXXXXX)"
  log "starting gateway $GATEWAY_BIN on 127.0.0.1:$URL_PORT, echo path $URL_PATH (log: $REPORT_DIR/gateway.log)"
  GATEWAY_WS_ECHO_PATH="$URL_PATH" GATEWAY_PORT="$URL_PORT" GATEWAY_HOST=127.0.0.1 \
    GATEWAY_DATA_DIR="$GATEWAY_TMP" "$GATEWAY_BIN" > "$REPORT_DIR/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  if ! wait_for_port "$URL_HOST" "$URL_PORT" "${GATEWAY_START_TIMEOUT:-30}"; then
    tail -n 20 "$REPORT_DIR/gateway.log" >&2 || true
    die 3 "gateway did not listen on $URL_HOST:$URL_PORT within ${GATEWAY_START_TIMEOUT:-30}s"
  fi
  kill -0 "$GATEWAY_PID" 2>/dev/null || die 3 "gateway exited right after start (see $REPORT_DIR/gateway.log)"
elif ! wait_for_port "$URL_HOST" "$URL_PORT" 2; then
  log "WARNING: nothing accepts connections on $URL_HOST:$URL_PORT yet; the run will likely report no cases"
fi

# ---------------------------------------------------------------- run the fuzzing client
log "cases: $CASES${EXCLUDE:+ (excluding $EXCLUDE)}  target: $URL  agent: $AGENT"
log "report dir: $REPORT_DIR (timeout ${TIMEOUT}s)"
set +e
( cd "$REPORT_DIR" && PYTHONPATH="$PORT_PYTHONPATH" PYTHONWARNINGS=ignore \
    timeout --kill-after=10 "$TIMEOUT" "$PY" -m autobahntestsuite.wstest -m fuzzingclient -s "$SPEC" ) \
    > "$CLIENT_LOG" 2>&1
CLIENT_RC=$?
set -e
EXPECTED="$(sed -n 's/^Ok, will run \([0-9][0-9]*\) test cases.*/\1/p' "$CLIENT_LOG" | head -n 1)"
if [ "$CLIENT_RC" -ne 0 ]; then
  log "fuzzing client exited with status $CLIENT_RC$([ "$CLIENT_RC" -eq 124 ] && echo " (timeout after ${TIMEOUT}s)"); last lines of $CLIENT_LOG:"
  tail -n 15 "$CLIENT_LOG" >&2 || true
fi
if grep -q "Traceback" "$CLIENT_LOG"; then
  log "WARNING: the client logged Python tracebacks (see $CLIENT_LOG)"
fi
if [ -n "$GATEWAY_PID" ] && ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
  log "WARNING: the gateway is no longer running (crashed during the run?) - see $REPORT_DIR/gateway.log"
fi

# ---------------------------------------------------------------- summary
set +e
python3 "$HERE/summarize.py" "$OUTDIR" --agent "$AGENT" --out "$SUMMARY" ${EXPECTED:+--expect "$EXPECTED"}
SUMMARY_RC=$?
set -e
if [ ! -f "$SUMMARY" ]; then
  printf 'ERROR: no summary produced (see %s)\n' "$CLIENT_LOG" > "$SUMMARY"
fi
log "summary: $SUMMARY   HTML report: $OUTDIR/index.html"
if [ "$SUMMARY_RC" -eq 0 ] && [ "$CLIENT_RC" -ne 0 ]; then
  exit 2
fi
exit "$SUMMARY_RC"
