#!/usr/bin/env bash
# Socket.IO side by side: the gateway (GATEWAY_BENCH=1 turns on the Bench module, Plugins/Bench; one loop) against
# python-socketio (AsyncServer on aiohttp with uvloop, Tests/Benchmarks/python-socketio-server.py), same three events
# (echo, join, broadcast), same load tool (gateway-bench, one loop), same run. The gateway authenticates every socket:
# the bench sends a token from `fitmate-gateway token` (the python server ignores it); presence announcements are off
# (socketio.announcePresence false), since python-socketio has none. Each server pinned to CPU 0, the load tool to CPU 1; a fresh server per scenario.
#   - idle memory: server VmRSS per Socket.IO connection at IDLE_COUNTS connections (connect latency too);
#   - echo: 100 connections, 1 ack in flight each: acks/s and round-trip p50/p99;
#   - fanout: 1,000 receivers in one room; saturated (4 broadcasts in flight) and at a fixed 5 broadcasts/s
#     (5,000 deliveries/s, well within both): deliveries/s and delivery-latency p50/p99, lost deliveries.
# python-socketio is installed from PyPI into a venv under /tmp (SIO_VENV), never into the repository.
# Usage: Tests/Benchmarks/socketio-vs-python.sh [seconds=10] [idle-counts="1000 10000"]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
IDLE_COUNTS=${2:-"1000 10000"}
GATEWAY_PORT=${SIO_GATEWAY_PORT:-38620}
PYTHON_PORT=${SIO_PYTHON_PORT:-38621}
VENV=${SIO_VENV:-/tmp/socketio-bench-venv}
BENCH_NAME=socketio-vs-python.sh
source Tests/Benchmarks/bench-common.sh

if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q python-socketio aiohttp uvloop
python_version=$("$VENV/bin/python" -c 'import importlib.metadata as m; print("python-socketio", m.version("python-socketio"), "on aiohttp", m.version("aiohttp"), "with uvloop", m.version("uvloop"))')

bench_build

max_idle=0
for n in $IDLE_COUNTS; do [ "$n" -gt "$max_idle" ] && max_idle=$n; done
raise_fd_limit "$max_idle"
for port in "$GATEWAY_PORT" "$PYTHON_PORT"; do
  if ss -ltnH "sport = :$port" | grep -q .; then fail "port $port is in use; set SIO_GATEWAY_PORT / SIO_PYTHON_PORT (38000-39999)"; fi
done

echo '{"socketio": {"announcePresence": false}}' > "$work/config.json"
# The zero-config signing secret lives in the data directory: made once here, kept across the gateway runs.
token=$("$bin/fitmate-gateway" token --sub bench --ttl 1h --config "$work/config.json" --data-dir "$work/data")
start_server() { # gateway|python
  if [ "$1" = gateway ]; then
    port=$(free_port "$GATEWAY_PORT")
    find "$work/data" -mindepth 1 ! -name jwt-secret -delete
    GATEWAY_BENCH=1 GATEWAY_LOG_LEVEL=warning GATEWAY_SHUTDOWN_TIMEOUT_MS=1000 \
      taskset -c 0 "$bin/fitmate-gateway" --config "$work/config.json" --host 127.0.0.1 --port "$port" --loops 1 \
      --data-dir "$work/data" &
  else
    port=$(free_port "$PYTHON_PORT")
    taskset -c 0 "$VENV/bin/python" Tests/Benchmarks/python-socketio-server.py "$port" &
  fi
  server_pid=$!
  await_and_warm_up "$1" "$port"
}
bench() { # server scenario args…: prints the JSON line (stderr progress to the log)
  local server=$1; shift
  start_server "$server"
  bench_and_stop "$port" "$@"
}

rows=()
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "null" || b == "null") print "–"; else printf "%.2f", a / b }'; }
row() { rows+=("| $1 | $2 | $3 | $(ratio "$2" "$3") |"); }
# Server CPU µs per event: the CPU share over the window divided by the events in it (steadier than rates on a busy box).
per_event() { awk -v cpu="$(field "$1" serverCpuPercent)" -v rate="$(field "$1" "$2")" \
  'BEGIN { if (cpu == "null" || rate == 0) print "null"; else printf "%.1f", cpu / 100 * 1e6 / rate }'; }

for n in $IDLE_COUNTS; do
  g=$(bench gateway connect --connections "$n" --handshakes 64 --settle 3)
  p=$(bench python connect --connections "$n" --handshakes 64 --settle 3)
  echo "connect $n: gateway $g" >&2; echo "connect $n: python  $p" >&2
  row "idle memory per connection, $n connections (B) ↓" "$(field "$g" bytesPerConnection)" "$(field "$p" bytesPerConnection)"
  row "connections open, of $n" "$(field "$g" connections)" "$(field "$p" connections)"
  row "connect p99, $n connections, 64 at a time (µs) ↓" "$(field "$g" connectP99us)" "$(field "$p" connectP99us)"
done

g=$(bench gateway echo --connections 100 --in-flight 1 --duration "$DURATION" --warmup 2)
p=$(bench python echo --connections 100 --in-flight 1 --duration "$DURATION" --warmup 2)
echo "echo: gateway $g" >&2; echo "echo: python  $p" >&2
row "echo acks/s, 100 connections × 1 in flight ↑" "$(field "$g" acksPerSecond)" "$(field "$p" acksPerSecond)"
row "echo round trip p50 (µs) ↓" "$(field "$g" p50us)" "$(field "$p" p50us)"
row "echo round trip p99 (µs) ↓" "$(field "$g" p99us)" "$(field "$p" p99us)"
row "echo server CPU per ack (µs) ↓" "$(per_event "$g" acksPerSecond)" "$(per_event "$p" acksPerSecond)"

g=$(bench gateway fanout --connections 1000 --in-flight 4 --duration "$DURATION" --warmup 2)
p=$(bench python fanout --connections 1000 --in-flight 4 --duration "$DURATION" --warmup 2)
echo "fanout saturated: gateway $g" >&2; echo "fanout saturated: python  $p" >&2
row "fan-out to 1,000, saturated: deliveries/s ↑" "$(field "$g" deliveriesPerSecond)" "$(field "$p" deliveriesPerSecond)"
row "fan-out saturated: delivery p99 (µs) ↓" "$(field "$g" p99us)" "$(field "$p" p99us)"
row "fan-out saturated: server CPU per delivery (µs) ↓" "$(per_event "$g" deliveriesPerSecond)" "$(per_event "$p" deliveriesPerSecond)"
row "fan-out saturated: lost" "$(field "$g" lost)" "$(field "$p" lost)"

g=$(bench gateway fanout --connections 1000 --rate 5 --duration "$DURATION" --warmup 2)
p=$(bench python fanout --connections 1000 --rate 5 --duration "$DURATION" --warmup 2)
echo "fanout 5/s: gateway $g" >&2; echo "fanout 5/s: python  $p" >&2
row "fan-out to 1,000 at 5 broadcasts/s: delivery p50 (µs) ↓" "$(field "$g" p50us)" "$(field "$p" p50us)"
row "fan-out at 5/s: delivery p99 (µs) ↓" "$(field "$g" p99us)" "$(field "$p" p99us)"
row "fan-out at 5/s: server CPU (% of a core) ↓" "$(field "$g" serverCpuPercent)" "$(field "$p" serverCpuPercent)"
row "fan-out at 5/s: lost" "$(field "$g" lost)" "$(field "$p" lost)"

echo
echo "Socket.IO, gateway (one loop) vs $python_version (AsyncServer), $(date -u +%F), load average $(cut -d' ' -f1 /proc/loadavg)"
echo "server on CPU 0, gateway-bench on CPU 1, ${DURATION} s windows after 2 s warm-up; ratio = gateway / python (↓ lower is better)"
echo
echo "| measure | gateway | python-socketio | ratio |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
