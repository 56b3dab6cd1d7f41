#!/usr/bin/env bash
# Instructions per Socket.IO echo round trip and per fan-out delivery in the gateway's process, counted by callgrind:
# figures that do not depend on how busy the machine is, for later changes to be compared against.
# The counters are zeroed just before each gateway-bench run, so each figure also carries that run's connection set-up
# (10 echo clients; 100 fan-out receivers): a few percent, stated with the result.
# Usage: Tests/Benchmarks/instructions-per-event.sh [seconds=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; PORT=${INSTRUCTIONS_PORT:-38093}
BENCH_NAME=instructions-per-event.sh
source Tests/Benchmarks/bench-common.sh
bench_build
valgrind_copy
export GATEWAY_JWT_SECRET=instructions-per-event-secret-0123456789abcdef
token=$("$bin/fitmate-gateway" token --sub bench --ttl 1h)
GATEWAY_BENCH=1 GATEWAY_LOG_LEVEL=warning valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/gw" \
  --host 127.0.0.1 --port $PORT --loops 1 --data-dir "$work/data" >"$work/vg.log" 2>&1 &
server_pid=$!
await_healthz "$PORT"

count() {   # $1: JSON key holding the event count; the rest: the gateway-bench command line
  local key=$1; shift
  callgrind_control -z >/dev/null 2>&1
  local line; line=$("$bin/gateway-bench" "$@" --url "ws://127.0.0.1:$PORT" --auth-token "$token" --warmup 0 \
    --duration "$DURATION" 2>/dev/null | tail -1)
  callgrind_control -d >/dev/null 2>&1; sleep 1
  local total; total=$(grep -h '^summary:' "$work"/cg.out.* | awk '{s+=$2} END {print s}')
  rm -f "$work"/cg.out.*
  local events; events=$(echo "$line" | grep -oE "\"$key\":[0-9]+" | cut -d: -f2)
  echo "$key=$events instructions=$total per_event=$((total / events))"
}
echo "echo (10 connections, 1 in flight): $(count acks echo --connections 10)"
echo "fanout (100 receivers, saturated): $(count deliveries fanout --connections 100)"
