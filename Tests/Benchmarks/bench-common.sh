# Shared by the benchmark scripts (sourced, not run): a scratch directory removed on exit together with the server
# being measured, release builds of the gateway and the load tool, and a descriptor limit raised for many connections.
# The sourcing script sets BENCH_NAME first and keeps the pid of the server it starts in `server_pid`.

work=$(mktemp -d)
server_pid=
bench_cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap bench_cleanup EXIT
fail() { echo "$BENCH_NAME: $*" >&2; exit 1; }
note() { echo "$BENCH_NAME: $*" >&2; }

# Release builds of fitmate-gateway and gateway-bench; `bin` is where they are.
bench_build() {
  swift build -c release --product fitmate-gateway >/dev/null
  swift build -c release --product gateway-bench >/dev/null
  bin=$(swift build -c release --show-bin-path)
}

# Raises the soft descriptor limit (to 65536 or the hard limit) for this shell and what it starts: the server and the
# bench each hold one descriptor per connection. Fails when that leaves no room for $1 connections and some spare.
raise_fd_limit() {
  local hard want=65536
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
  ulimit -n "$want"
  [ "$want" -ge $(($1 + 100)) ] || fail "fd hard limit $hard is below $(($1 + 100)); raise it (ulimit -Hn as root)"
}

# Waits (10 s at most) until the server started as `server_pid` listens on port $2, then warms it up with a second of
# Socket.IO acks from gateway-bench (token in `token`), so that no server is measured cold (Node's JIT included).
await_and_warm_up() { # name port
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || fail "the $1 server did not start"
    if ss -ltnpH "sport = :$2" | grep -q "pid=$server_pid,"; then
      taskset -c 1 "$bin/gateway-bench" echo --url "ws://127.0.0.1:$2" --connections 10 --duration 1 --warmup 0 \
        --auth-token "$token" >/dev/null 2>&1 || true
      return
    fi
    sleep 0.1
  done
  fail "the $1 server is not listening on $2 after 10 s"
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

# The value of JSON key $2 in the one-line JSON object $1.
field() { sed -E "s/.*\"$2\":([^,}]*).*/\1/" <<<"$1"; }

# gateway-bench (on CPU 1) against the server started as `server_pid` on port $1, with the scenario's arguments after it
# and the token in `token`; stops the server and prints the bench's last output line (its JSON, unless it failed).
bench_and_stop() { # port gateway-bench-args…
  local p=$1 json; shift
  json=$(taskset -c 1 "$bin/gateway-bench" "$@" --url "ws://127.0.0.1:$p" --server-pid "$server_pid" --auth-token "$token" \
         2>>"$work/progress.log" | tail -1) || true
  stop_server
  echo "$json"
}

# Port $1, or the next free one 10 further on: 38000-39999 lies in Linux's ephemeral range, so an earlier scenario's
# client ports (TIME-WAIT included) may hold it.
free_port() { # port
  local p=$1
  while ss -tanH "( sport = :$p )" | grep -q .; do p=$((p + 10)); done
  echo "$p"
}

# For the valgrind scripts: a copy of the gateway without debug info in `$work/gw` (valgrind 3.19 cannot read the DWARF 5
# Swift emits; the symbols stay), and a wait (60 s at most) for a gateway's /healthz on port $1.
valgrind_copy() { objcopy --strip-debug "$bin/fitmate-gateway" "$work/gw"; }
await_healthz() { # port
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.2; done
  fail "no gateway answering /healthz on port $1"
}
