#!/usr/bin/env bash
# Instructions per HTTP request (GET /healthz, keep-alive) in the gateway's process, counted by callgrind: a figure that
# does not depend on how busy the machine is, so later changes can be compared against it.
# Usage: Tests/Benchmarks/instructions-per-request.sh [seconds=5] [connections=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-5}; CONNECTIONS=${2:-10}; PORT=38091
work=$(mktemp -d); trap 'pkill -f "$work/gw" 2>/dev/null || true; rm -rf "$work"' EXIT
swift build -c release --product fitmate-gateway >/dev/null
# valgrind 3.19 cannot read the DWARF 5 that Swift emits: profile a copy without debug info (symbols stay).
objcopy --strip-debug "$(swift build -c release --show-bin-path)/fitmate-gateway" "$work/gw"
GATEWAY_LOG_LEVEL=warning valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/gw" \
  --host 127.0.0.1 --port $PORT --loops 1 --data-dir "$work/data" >"$work/vg.log" 2>&1 &
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
callgrind_control -z >/dev/null
requests=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$PORT/healthz" | awk '/requests in/ {print $1}')
callgrind_control -d >/dev/null
sleep 1
total=$(grep -h '^summary:' "$work"/cg.out.* | awk '{s+=$2} END {print s}')
echo "requests=$requests instructions=$total instructions_per_request=$((total / requests))"
