#!/usr/bin/env bash
# WebSocket benchmark of the gateway's echo endpoint (GATEWAY_WS_ECHO_PATH=/ws-echo), with and without permessage-deflate:
#   - echo: small (32 B) and medium (4 KB) text messages over many connections, one in flight each: msgs/s, p50, p99;
#   - idle: server RSS per open WebSocket at 10,000 connections (each has exchanged one 2 KB message, compressed when on).
# Gateway (one loop) pinned to CPU 0, gateway-bench (one loop) to CPU 1; a fresh gateway for every run, so each idle
# measurement starts from a server that has never served a connection. Loopback port 38610 (WS_BENCH_PORT to change).
# Usage: Tests/Benchmarks/websocket-echo.sh [seconds=10] [connections=100] [idle-connections=10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
CONNECTIONS=${2:-100}
IDLE_CONNECTIONS=${3:-10000}
PORT=${WS_BENCH_PORT:-38610}
WARMUP=2
BENCH_NAME=websocket-echo.sh
source Tests/Benchmarks/bench-common.sh
bench_build
raise_fd_limit "$IDLE_CONNECTIONS"
# Ephemeral ports: every bench connection takes one from 127.0.0.1 to the one server port.
read -r port_lo port_hi < /proc/sys/net/ipv4/ip_local_port_range
[ $((port_hi - port_lo)) -gt "$IDLE_CONNECTIONS" ] ||
  fail "ephemeral port range $port_lo-$port_hi is smaller than $IDLE_CONNECTIONS connections"
if ss -ltnH "sport = :$PORT" | grep -q .; then fail "port $PORT is already in use; set WS_BENCH_PORT (38000-39999)"; fi

start_gateway() { # compression: true|false
  echo "{\"websocket\": {\"compression\": $1}}" > "$work/config.json"
  rm -rf "$work/data"
  GATEWAY_LOG_LEVEL=warning GATEWAY_WS_ECHO_PATH=/ws-echo GATEWAY_SHUTDOWN_TIMEOUT_MS=1000 \
    taskset -c 0 "$bin/fitmate-gateway" --config "$work/config.json" --host 127.0.0.1 --port "$PORT" --loops 1 \
    --data-dir "$work/data" &
  server_pid=$!
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || fail "the gateway did not start"
    if ss -ltnpH "sport = :$PORT" | grep -q "pid=$server_pid,"; then sleep 0.5; return; fi
    sleep 0.1
  done
  fail "the gateway is not listening on $PORT after 10 s"
}
stop_gateway() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

bench() { # compression(true|false) scenario args... -> the JSON line on stdout, the human summary on stderr
  local compression=$1; shift
  start_gateway "$compression"
  local deflate_flag=()
  [ "$compression" = true ] && deflate_flag=(--deflate)
  local out
  out=$(taskset -c 1 "$bin/gateway-bench" "$@" --url "ws://127.0.0.1:$PORT/ws-echo" --server-pid "$server_pid" \
        "${deflate_flag[@]}") || echo "websocket-echo.sh: gateway-bench reported errors (exit $?)" >&2
  stop_gateway
  grep -v '^{' <<<"$out" >&2
  tail -n 1 <<<"$out"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results=()
per_message() { awk "BEGIN { if (\"$1\" == \"null\" || $2 == 0) print \"-\"; else printf \"%.1f\", $1 * 10000 / $2 }"; }
echo "scenario | msgs/s | p50 µs | p99 µs | server CPU % | server CPU µs/msg | bench CPU % | bench CPU µs/msg | errors" \
  > "$work/table"
for size in 32 4096; do
  for compression in false true; do
    json=$(bench "$compression" ws-echo --connections "$CONNECTIONS" --size "$size" --in-flight 1 --duration "$DURATION" \
           --warmup "$WARMUP")
    results+=("$json")
    rate=$(field "$json" messagesPerSecond); server_cpu=$(field "$json" serverCpuPercent); bench_cpu=$(field "$json" clientCpuPercent)
    printf "%s B, deflate %s | %s | %s | %s | %s | %s | %s | %s | %s\n" "$size" \
      "$([ "$compression" = true ] && echo on || echo off)" "$rate" "$(field "$json" p50us)" "$(field "$json" p99us)" \
      "$server_cpu" "$(per_message "$server_cpu" "$rate")" "$bench_cpu" "$(per_message "$bench_cpu" "$rate")" \
      "$(field "$json" errors)" >> "$work/table"
  done
done
echo >> "$work/table"
echo "idle, $IDLE_CONNECTIONS connections | server bytes/connection | RSS before KiB | RSS after KiB | open | errors" >> "$work/table"
for compression in false true; do
  json=$(bench "$compression" ws-idle --connections "$IDLE_CONNECTIONS" --size 2048)
  results+=("$json")
  printf "deflate %s | %s | %s | %s | %s | %s\n" "$([ "$compression" = true ] && echo on || echo off)" \
    "$(field "$json" bytesPerConnection)" "$(field "$json" serverRssBeforeKiB)" "$(field "$json" serverRssAfterKiB)" \
    "$(field "$json" connections)" "$(field "$json" errors)" >> "$work/table"
done

echo
echo "load average before the runs: $load_before (2 cores; anything above ~0 means other work shared the CPUs)"
echo "WebSocket echo: $CONNECTIONS connections, 1 message in flight each, ${DURATION} s after ${WARMUP} s warm-up;" \
     "gateway 1 loop on CPU 0, gateway-bench 1 loop on CPU 1"
cat "$work/table"
echo
printf "%s\n" "${results[@]}"
