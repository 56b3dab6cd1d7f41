#!/usr/bin/env bash
# Where an idle Socket.IO connection's memory goes: the gateway (every module loaded, plus the Bench module; one loop)
# under valgrind's massif while `gateway-bench connect` holds N authenticated websocket connections; prints the heap
# bytes per connection grouped by the first project function above the allocator (and by allocation kind), largest
# first, then the plain RSS figure for the same N without valgrind: all connections as one user (the issue's method),
# then a user per connection (tokens from bench-tokens.py).
# Usage: Tests/Benchmarks/memory-per-connection.sh [connections=2000]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-2000}; PORT=${MEMORY_BENCH_PORT:-38094}
BENCH_NAME=memory-per-connection.sh
source Tests/Benchmarks/bench-common.sh
bench_build
valgrind_copy
raise_fd_limit "$N"
export GATEWAY_JWT_SECRET=memory-per-connection-secret-0123456789abcdef
token=$("$bin/fitmate-gateway" token --sub bench --ttl 1h)
echo '{"socketio": {"announcePresence": false}}' > "$work/config.json"

GATEWAY_BENCH=1 GATEWAY_LOG_LEVEL=warning valgrind --tool=massif --threshold=0.2 --depth=40 \
  --massif-out-file="$work/massif.out" "$work/gw" --config "$work/config.json" --host 127.0.0.1 --port "$PORT" \
  --loops 1 --data-dir "$work/data" >"$work/vg.log" 2>&1 &
server_pid=$!
await_healthz "$PORT"
# The bench holds the connections for 60 s; the snapshot is taken once all are open (massif's own peak may be at start-up).
"$bin/gateway-bench" connect --url "ws://127.0.0.1:$PORT" --connections "$N" --auth-token "$token" --settle 60 \
  >/dev/null 2>&1 &
bench=$!
for _ in $(seq 1 600); do
  [ "$(ss -tnH state established "( sport = :$PORT )" | wc -l)" -ge "$N" ] && break
  sleep 0.5
done
sleep 3
vgdb --pid=$server_pid detailed_snapshot "$work/snapshot.out" >/dev/null
kill $bench 2>/dev/null || true; wait $bench 2>/dev/null || true
kill -INT $server_pid; wait $server_pid 2>/dev/null || true; server_pid=
ms_print "$work/snapshot.out" > "$work/ms.txt"
python3 - "$work/ms.txt" "$N" "$work/gw" <<'PY'
import collections, re, subprocess, sys
text, n, binary = open(sys.argv[1]).read().split('\n'), int(sys.argv[2]), sys.argv[3]
start = max(i for i, l in enumerate(text) if re.match(r'^ +\d+ +[0-9,]+ +[0-9,]+ +[0-9,]+', l))
totals = [int(l.split()[2].replace(',', '')) for l in text if re.match(r'^ +\d+ +[0-9,]+ +[0-9,]+ +[0-9,]+', l)]
groups, stack = collections.Counter(), []
for line in text[start + 1:]:
    if re.match(r'^ +\d+ +[0-9,]+ +[0-9,]+ +[0-9,]+', line): break
    m = re.match(r'^([ |]*)->[0-9.]+% \(([0-9,]+)B\) (?:0x[0-9A-F]+: )?(\S+)(.*)$', line)
    if not m: continue
    depth, size, fn, rest = len(m.group(1)), int(m.group(2).replace(',', '')), m.group(3), m.group(4)
    while stack and stack[-1][0] >= depth: stack.pop()
    ours = binary in rest and not fn.startswith(('$ss', '$sS'))
    if ours and not any(s[1] for s in stack):
        kinds = [s[2] for s in stack if s[2] not in ('swift_slowAlloc', 'swift_allocObject', 'malloc')]
        groups[(fn, kinds[-1] if kinds else 'object')] += size
    stack.append((depth, ours, fn))
names = sorted({k for pair in groups for k in pair})
plain = subprocess.run(['swift-demangle', '--simplified', '--compact'], input='\n'.join(names),
                       capture_output=True, text=True).stdout.split('\n')
d = dict(zip(names, plain))
print(f"heap with {n} connections open: {totals[-1] if totals else 0:,} B (useful + allocator overhead)")
for (fn, kind), size in groups.most_common():
    if size / n < 16: break
    print(f"{size / n:7.0f} B/conn  {d[fn][:90]}  <- {d[kind][:60]}")
PY
# The plain RSS figure: a fresh gateway without valgrind, `gateway-bench connect` with the given authentication.
plain_rss() { # label data-directory auth-arguments…
  local label=$1 data=$2; shift 2
  GATEWAY_BENCH=1 GATEWAY_LOG_LEVEL=warning "$bin/fitmate-gateway" --config "$work/config.json" --host 127.0.0.1 \
    --port "$PORT" --loops 1 --data-dir "$work/$data" >/dev/null 2>&1 &
  server_pid=$!
  await_healthz "$PORT"
  echo "$label: $("$bin/gateway-bench" connect --url "ws://127.0.0.1:$PORT" --connections "$N" "$@" \
    --server-pid "$server_pid" --settle 3 2>/dev/null | tail -1)"
  kill -INT "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
}
plain_rss "without valgrind" data2 --auth-token "$token"
# The same with a user per connection (what production looks like): each user adds its room, its presence entry and
# its row in the users table (SQLite's page cache grows with the table, up to its fixed size).
Tests/Benchmarks/bench-tokens.py "$GATEWAY_JWT_SECRET" "$N" > "$work/tokens.txt"
plain_rss "without valgrind, a user per connection" data3 --auth-tokens "$work/tokens.txt"
