#!/usr/bin/env bash
# Scaling and TLS, in one run: the gateway (GATEWAY_BENCH=1, the Bench module behind authentication, presence off) with
# --loops 1 and --loops 2, over plain ws:// and over wss:// (a self-signed certificate made here with openssl), measured
# by gateway-bench (one loop):
#   - echo: 100 connections, 4 acks in flight each (ECHO_IN_FLIGHT): acks/s, round trip p50/p99, server and bench CPU
#     per ack;
#   - fanout: 1,000 receivers in one room, 16 broadcasts in flight (FANOUT_IN_FLIGHT): deliveries/s, p99, server and
#     bench CPU per delivery, lost deliveries;
#   Both are closed loops with enough in flight to keep one server loop busy, so that a second loop has work to take.
#   - idle memory: server VmRSS per Socket.IO connection at IDLE connections (64 handshakes at a time).
# Pinning: --loops 1 runs the server on CPU 0; --loops 2 runs it on CPUs 0-1 (both cores), and the bench is on CPU 1 in
# every case, so with two loops the bench shares CPU 1 with the server's second loop: on this 2-core machine "2 loops"
# means "the whole machine, load tool included", and the ceiling is 2 cores / (server + bench CPU per message).
# A fresh server per measurement, warmed with one second of acks. Prints a markdown table (progress on stderr).
# Usage: Tests/Benchmarks/socketio-scaling.sh [seconds=10] [idle-connections=5000]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
IDLE=${2:-5000}
PORT=${SIO_SCALING_PORT:-38630}
ECHO_IN_FLIGHT=${ECHO_IN_FLIGHT:-4}
FANOUT_IN_FLIGHT=${FANOUT_IN_FLIGHT:-16}
BENCH_NAME=socketio-scaling.sh
source Tests/Benchmarks/bench-common.sh

bench_build

raise_fd_limit "$IDLE"
if ss -ltnH "sport = :$PORT" | grep -q .; then fail "port $PORT is in use; set SIO_SCALING_PORT (38000-39999)"; fi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
echo '{"socketio": {"announcePresence": false}}' > "$work/config.json"
# The zero-config signing secret lives in the data directory: made once here, kept across the gateway runs.
token=$("$bin/fitmate-gateway" token --sub bench --ttl 1h --config "$work/config.json" --data-dir "$work/data")

start_server() { # loops scheme. The port is in the kernel's ephemeral range: an outgoing connection (ours in TIME-WAIT,
  # another tool's) may hold it, and bind fails with "Address already in use"; then the next port is tried.
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if try_start_server "$@"; then return; fi
    echo "socketio-scaling.sh: port $PORT busy, trying $((PORT + 1))" >&2
    PORT=$((PORT + 1))
  done
  fail "the gateway did not start (ports up to $PORT tried)"
}
try_start_server() {
  local cpus=0 tls=()
  [ "$1" -gt 1 ] && cpus=0-1
  [ "$2" = wss ] && tls=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  find "$work/data" -mindepth 1 ! -name jwt-secret -delete
  GATEWAY_BENCH=1 GATEWAY_LOG_LEVEL=warning GATEWAY_SHUTDOWN_TIMEOUT_MS=1000 \
    taskset -c "$cpus" "$bin/fitmate-gateway" --config "$work/config.json" --host 127.0.0.1 --port "$PORT" --loops "$1" \
    --data-dir "$work/data" "${tls[@]}" &
  server_pid=$!
  target=(--url "$2://127.0.0.1:$PORT" --auth-token "$token")
  [ "$2" = wss ] && target+=(--ca "$work/cert.pem" --server-name localhost)
  for _ in $(seq 100); do
    if ! kill -0 "$server_pid" 2>/dev/null; then wait "$server_pid" 2>/dev/null || true; server_pid=; return 1; fi
    if ss -ltnpH "sport = :$PORT" | grep -q "pid=$server_pid,"; then
      taskset -c 1 "$bin/gateway-bench" echo "${target[@]}" --connections 10 --duration 1 --warmup 0 >/dev/null 2>&1 || true
      return 0
    fi
    sleep 0.1
  done
  fail "the gateway is not listening on $PORT after 10 s"
}
bench() { # loops scheme scenario args…: prints the JSON line (progress to the log)
  local loops=$1 scheme=$2; shift 2
  start_server "$loops" "$scheme"
  local json
  json=$(taskset -c 1 "$bin/gateway-bench" "$@" "${target[@]}" --server-pid "$server_pid" 2>>"$work/progress.log" | tail -1) || true
  stop_server
  echo "$loops loop(s) $scheme $1: $json" >&2
  echo "$json"
}
# CPU µs per event: a process's CPU share over the window divided by the events in it (steadier than rates on a busy box).
per_event() { awk -v cpu="$(field "$1" "$2")" -v rate="$(field "$1" "$3")" \
  'BEGIN { if (cpu == "" || cpu == "null" || rate == "" || rate == 0) print "–"; else printf "%.1f", cpu / 100 * 1e6 / rate }'; }
cpu_ratio() { awk -v b="$(field "$1" clientCpuPercent)" -v s="$(field "$1" serverCpuPercent)" \
  'BEGIN { if (s == "" || s == "null" || s == 0) print "–"; else printf "%.2f", b / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || b == 0 || a == "" || a == "null" || b == "null") print "–"; else printf "%.2f", a / b }'; }

configs=("1 ws" "2 ws" "1 wss" "2 wss")
declare -A echo_runs fanout_runs idle_runs
for config in "${configs[@]}"; do
  set -- $config
  idle_runs[$config]=$(bench "$1" "$2" connect --connections "$IDLE" --handshakes 64 --settle 3)
  echo_runs[$config]=$(bench "$1" "$2" echo --connections 100 --in-flight "$ECHO_IN_FLIGHT" --duration "$DURATION" --warmup 2)
  fanout_runs[$config]=$(bench "$1" "$2" fanout --connections 1000 --in-flight "$FANOUT_IN_FLIGHT" --duration "$DURATION" --warmup 2)
done

# The issue-6 reference load (one ack in flight per connection; 4 broadcasts in flight), plain, one loop: bench vs server
# CPU per message where the bench's own cost matters most.
ref_echo=$(bench 1 ws echo --connections 100 --in-flight 1 --duration "$DURATION" --warmup 2)
ref_fanout=$(bench 1 ws fanout --connections 1000 --in-flight 4 --duration "$DURATION" --warmup 2)

row() { # label, then a command run per configuration with the configuration's JSON
  local label=$1 line; shift
  line="| $label |"
  for config in "${configs[@]}"; do line+=" $("$@" "$config") |"; done
  echo "$line"
}
echo_field() { field "${echo_runs[$2]}" "$1"; }
fanout_field() { field "${fanout_runs[$2]}" "$1"; }
idle_field() { field "${idle_runs[$2]}" "$1"; }
echo_pair() { echo "$(field "${echo_runs[$1]}" p50us) / $(field "${echo_runs[$1]}" p99us)"; }
echo_busy() { echo "$(field "${echo_runs[$1]}" serverCpuPercent) / $(field "${echo_runs[$1]}" clientCpuPercent)"; }
fanout_busy() { echo "$(field "${fanout_runs[$1]}" serverCpuPercent) / $(field "${fanout_runs[$1]}" clientCpuPercent)"; }
echo_cpu() { per_event "${echo_runs[$2]}" "$1" acksPerSecond; }
fanout_cpu() { per_event "${fanout_runs[$2]}" "$1" deliveriesPerSecond; }
echo_share() { cpu_ratio "${echo_runs[$1]}"; }
fanout_share() { cpu_ratio "${fanout_runs[$1]}"; }
errors() { # a run that printed no JSON shows as "?"
  local total=0 n
  for n in "$(field "${idle_runs[$1]}" errors)" "$(field "${echo_runs[$1]}" errors)" "$(field "${fanout_runs[$1]}" errors)"; do
    if [[ $n =~ ^[0-9]+$ ]]; then total=$((total + n)); else total="?"; break; fi
  done
  n=$(field "${fanout_runs[$1]}" lost)
  [[ $n =~ ^[0-9]+$ ]] || n="?"
  echo "$total / $n"
}

echo
echo "Socket.IO scaling and TLS, gateway-bench (one loop, CPU 1) against the gateway; $(date -u +%F), load average $(cut -d' ' -f1 /proc/loadavg)"
echo "1 loop: server on CPU 0; 2 loops: server on CPUs 0-1 (sharing CPU 1 with the bench); ${DURATION} s windows after 2 s warm-up"
echo
echo "| measure | ws, 1 loop | ws, 2 loops | wss, 1 loop | wss, 2 loops |"
echo "|---|---|---|---|---|"
row "echo acks/s, 100 connections × $ECHO_IN_FLIGHT in flight ↑" echo_field acksPerSecond
row "echo round trip p50 / p99 (µs) ↓" echo_pair
row "echo CPU used, server / bench (% of one core)" echo_busy
row "echo server CPU per ack (µs) ↓" echo_cpu serverCpuPercent
row "echo bench CPU per ack (µs) ↓" echo_cpu clientCpuPercent
row "echo bench CPU ÷ server CPU" echo_share
row "fan-out to 1,000, $FANOUT_IN_FLIGHT in flight: deliveries/s ↑" fanout_field deliveriesPerSecond
row "fan-out delivery p99 (µs) ↓" fanout_field p99us
row "fan-out CPU used, server / bench (% of one core)" fanout_busy
row "fan-out server CPU per delivery (µs) ↓" fanout_cpu serverCpuPercent
row "fan-out bench CPU per delivery (µs) ↓" fanout_cpu clientCpuPercent
row "fan-out bench CPU ÷ server CPU" fanout_share
row "idle memory per connection, $IDLE connections (B) ↓" idle_field bytesPerConnection
row "time to open $IDLE connections (s) ↓" idle_field openSeconds
row "errors / fan-out deliveries lost" errors
echo
for scheme in ws wss; do
  echo "- $scheme, 2 loops ÷ 1 loop: echo acks/s ×$(ratio "$(field "${echo_runs[2 $scheme]}" acksPerSecond)" "$(field "${echo_runs[1 $scheme]}" acksPerSecond)"),"\
    "fan-out deliveries/s ×$(ratio "$(field "${fanout_runs[2 $scheme]}" deliveriesPerSecond)" "$(field "${fanout_runs[1 $scheme]}" deliveriesPerSecond)")"
done
echo "- bench vs server CPU at the reference load (ws, 1 loop): echo 100 × 1 in flight $(per_event "$ref_echo" clientCpuPercent acksPerSecond)"\
  "vs $(per_event "$ref_echo" serverCpuPercent acksPerSecond) µs per ack ($(cpu_ratio "$ref_echo"), $(field "$ref_echo" acksPerSecond) acks/s);"\
  "fan-out to 1,000, 4 in flight $(per_event "$ref_fanout" clientCpuPercent deliveriesPerSecond)"\
  "vs $(per_event "$ref_fanout" serverCpuPercent deliveriesPerSecond) µs per delivery ($(cpu_ratio "$ref_fanout"), $(field "$ref_fanout" deliveriesPerSecond) deliveries/s)"
echo "- wss ÷ ws, 1 loop: server CPU per ack ×$(ratio "$(echo_cpu serverCpuPercent "1 wss")" "$(echo_cpu serverCpuPercent "1 ws")"),"\
  "per delivery ×$(ratio "$(fanout_cpu serverCpuPercent "1 wss")" "$(fanout_cpu serverCpuPercent "1 ws")"),"\
  "idle memory per connection ×$(ratio "$(idle_field bytesPerConnection "1 wss")" "$(idle_field bytesPerConnection "1 ws")")"
