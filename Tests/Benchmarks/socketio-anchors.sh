#!/usr/bin/env bash
# Socket.IO side by side with issue 6's anchors, in one run, same load tool and commands for every server:
#   - gateway: GATEWAY_BENCH=1 (the Bench module, Plugins/Bench), one loop, presence off, a token from `fitmate-gateway token`;
#   - uWS: the minimal uWebSockets responder (Tests/Benchmarks/anchors/uws-responder.cpp), binary from UWS_RESPONDER_BIN;
#   - Node: socket.io 4.8.3 (Tests/Benchmarks/anchors/node-socketio-server.js), built into NODE_SIO_DIR/node_modules;
#   - python-socketio (Tests/Benchmarks/python-socketio-server.py) when its venv exists (SIO_VENV, as socketio-vs-python.sh).
# The anchors are built outside the repository (Tests/Benchmarks/README.md says how); a missing one is skipped.
# Each server is pinned to CPU 0 and started fresh per scenario, warmed with a second of acks; gateway-bench (one loop) on CPU 1:
#   - idle memory: server VmRSS per Socket.IO connection at IDLE_COUNT connections (64 handshakes at a time, 3 s settle);
#   - echo: 50 connections × 4 acks in flight: acks/s, round-trip p50/p99, server CPU per ack;
#   - fan-out: 1,000 receivers in one room, saturated (FANOUT_IN_FLIGHT broadcasts in flight, default 16: with 4 the
#     gateway waited on the load tool at 43% of its core): deliveries/s, p99, server CPU per delivery.
# Usage: NODE_SIO_DIR=… UWS_RESPONDER_BIN=… Tests/Benchmarks/socketio-anchors.sh [seconds=10] [idle-count=10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
IDLE_COUNT=${2:-10000}
PORT_BASE=${ANCHORS_PORT_BASE:-38340}  # gateway, uWS, Node, python on the next four ports
FANOUT_IN_FLIGHT=${FANOUT_IN_FLIGHT:-16}
VENV=${SIO_VENV:-/tmp/socketio-bench-venv}
NODE_SIO_DIR=${NODE_SIO_DIR:-}
UWS_RESPONDER_BIN=${UWS_RESPONDER_BIN:-}
BENCH_NAME=socketio-anchors.sh
source Tests/Benchmarks/bench-common.sh

servers=(gateway)
declare -A label=([gateway]=gateway [uws]="uWS responder" [node]="Node socket.io" [python]=python-socketio)
declare -A port=([gateway]=$PORT_BASE [uws]=$((PORT_BASE + 1)) [node]=$((PORT_BASE + 2)) [python]=$((PORT_BASE + 3)))
if [ -n "$UWS_RESPONDER_BIN" ] && [ -x "$UWS_RESPONDER_BIN" ]; then servers+=(uws)
else note "UWS_RESPONDER_BIN unset or not executable: the uWS responder is skipped"; fi
if [ -n "$NODE_SIO_DIR" ] && [ -f "$NODE_SIO_DIR/node_modules/socket.io/dist/index.js" ]; then
  servers+=(node)
  node_version="socket.io $(sed -nE 's/.*"version": "([^"]+)".*/\1/p' "$NODE_SIO_DIR/node_modules/socket.io/package.json" | head -1)"
  node_version+=" (engine.io $(sed -nE 's/.*"version": "([^"]+)".*/\1/p' "$NODE_SIO_DIR/node_modules/engine.io/package.json" | head -1)) on Node $(node --version)"
else note "NODE_SIO_DIR unset or without node_modules/socket.io/dist: Node socket.io is skipped"; fi
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import socketio, aiohttp, uvloop' 2>/dev/null; then
  servers+=(python)
  python_version=$("$VENV/bin/python" -c 'import importlib.metadata as m; print("python-socketio", m.version("python-socketio"))')
else note "no python-socketio venv at $VENV (socketio-vs-python.sh makes one): python-socketio is skipped"; fi

bench_build

raise_fd_limit "$IDLE_COUNT"
for s in "${servers[@]}"; do
  if ss -ltnH "sport = :${port[$s]}" | grep -q .; then fail "port ${port[$s]} is in use; set ANCHORS_PORT_BASE (38000-39999)"; fi
done

echo '{"socketio": {"announcePresence": false}}' > "$work/config.json"
# The zero-config signing secret lives in the data directory: made once here, kept across the gateway runs.
token=$("$bin/fitmate-gateway" token --sub bench --ttl 1h --config "$work/config.json" --data-dir "$work/data")
start_server() { # gateway|uws|node|python
  local p
  p=$(free_port "${port[$1]}")
  port[$1]=$p
  case $1 in
  gateway)
    find "$work/data" -mindepth 1 ! -name jwt-secret -delete
    GATEWAY_BENCH=1 GATEWAY_LOG_LEVEL=warning GATEWAY_SHUTDOWN_TIMEOUT_MS=1000 \
      taskset -c 0 "$bin/fitmate-gateway" --config "$work/config.json" --host 127.0.0.1 --port "$p" --loops 1 \
      --data-dir "$work/data" & ;;
  uws) taskset -c 0 "$UWS_RESPONDER_BIN" "$p" & ;;
  node)
    NODE_PATH="$NODE_SIO_DIR/node_modules:/usr/share/nodejs" \
      taskset -c 0 node Tests/Benchmarks/anchors/node-socketio-server.js "$p" & ;;
  python) taskset -c 0 "$VENV/bin/python" Tests/Benchmarks/python-socketio-server.py "$p" & ;;
  esac
  server_pid=$!
  await_and_warm_up "$1" "$p"
}
bench() { # server scenario args…: prints the JSON line (stderr progress to the log)
  local server=$1; shift
  start_server "$server"
  local json
  json=$(bench_and_stop "${port[$server]}" "$@")
  [[ $json == \{* ]] || json='{}'
  echo "$json"
}
# Server CPU µs per event: the CPU share over the window divided by the events in it (steadier than rates on a busy box).
per_event() { awk -v cpu="$(field "$1" serverCpuPercent)" -v rate="$(field "$1" "$2")" \
  'BEGIN { if (cpu == "null" || cpu == "{}" || rate == 0 || rate == "{}") print "null"; else printf "%.2f", cpu / 100 * 1e6 / rate }'; }

declare -A result
scenario() { # name gateway-bench-args…: runs every server, keeps each JSON line
  local name=$1; shift
  for s in "${servers[@]}"; do
    result[$name,$s]=$(bench "$s" "$@")
    echo "$name: ${label[$s]} ${result[$name,$s]}" >&2
  done
}
scenario connect connect --connections "$IDLE_COUNT" --handshakes 64 --settle 3
scenario echo echo --connections 50 --in-flight 4 --duration "$DURATION" --warmup 2
scenario fanout fanout --connections 1000 --in-flight "$FANOUT_IN_FLIGHT" --duration "$DURATION" --warmup 2

value() { # scenario server measure
  local json=${result[$1,$2]}
  case $3 in
  cpuPerAck) per_event "$json" acksPerSecond ;;
  cpuPerDelivery) per_event "$json" deliveriesPerSecond ;;
  *) local v; v=$(field "$json" "$3"); [[ $v == \{* ]] && v=null; echo "$v" ;;
  esac
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "null" || b == "null" || a == "" || b == "") print "–"; else printf "%.2f", a / b }'; }
has() { [[ " ${servers[*]} " == *" $1 "* ]]; }
row() { # title scenario measure
  local line="| $1 |" g
  g=$(value "$2" gateway "$3")
  for s in "${servers[@]}"; do line+=" $(value "$2" "$s" "$3") |"; done
  for s in uws node; do if has "$s"; then line+=" $(ratio "$g" "$(value "$2" "$s" "$3")") |"; fi; done
  echo "$line"
}

echo
echo "Socket.IO anchors, $(date -u +%F), load average $(cut -d' ' -f1 /proc/loadavg) at the end"
echo "gateway (one loop)${node_version:+; Node: $node_version}${python_version:+; $python_version (AsyncServer, aiohttp, uvloop)}"
echo "server on CPU 0, gateway-bench (one loop) on CPU 1, plain WebSocket, ${DURATION} s windows after 2 s warm-up;"
echo "ratio = gateway / anchor (↓ lower is better, ↑ higher is better)"
echo
header="| measure |"; rule="|---|"
for s in "${servers[@]}"; do header+=" ${label[$s]} |"; rule+="---|"; done
for s in uws node; do if has "$s"; then header+=" gateway / ${label[$s]%% *} |"; rule+="---|"; fi; done
echo "$header"; echo "$rule"
row "idle memory per connection, $IDLE_COUNT connections (B) ↓" connect bytesPerConnection
row "connections open, of $IDLE_COUNT" connect connections
row "connect p99, 64 at a time (µs) ↓" connect connectP99us
row "echo acks/s, 50 connections × 4 in flight ↑" echo acksPerSecond
row "echo round trip p50 (µs) ↓" echo p50us
row "echo round trip p99 (µs) ↓" echo p99us
row "echo server CPU per ack (µs) ↓" echo cpuPerAck
row "echo errors" echo errors
row "fan-out to 1,000, saturated: deliveries/s ↑" fanout deliveriesPerSecond
row "fan-out saturated: delivery p99 (µs) ↓" fanout p99us
row "fan-out saturated: server CPU per delivery (µs) ↓" fanout cpuPerDelivery
row "fan-out saturated: server CPU (% of a core)" fanout serverCpuPercent
row "fan-out saturated: lost" fanout lost
