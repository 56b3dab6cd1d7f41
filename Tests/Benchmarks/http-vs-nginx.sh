#!/usr/bin/env bash
# Requests per second for GET /healthz with keep-alive, gateway (one loop) vs nginx (one worker) serving a static 200,
# over plain HTTP and TLS, measured side by side in one run on this machine.
# Server pinned to CPU 0, wrk to CPU 1 (see ../shared/TOOLS.md). Needs: wrk, nginx, openssl (Debian packages).
# Usage: Tests/Benchmarks/http-vs-nginx.sh [seconds=10] [connections=50] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-50}
ROUNDS=${3:-3}
GATEWAY_PORT=38080; GATEWAY_TLS_PORT=38443; NGINX_PORT=38081; NGINX_TLS_PORT=38444
work=$(mktemp -d)
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
pids=(); trap cleanup EXIT

swift build -c release --product fitmate-gateway >/dev/null
bin=$(swift build -c release --show-bin-path)/fitmate-gateway
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

GATEWAY_LOG_LEVEL=warning taskset -c 0 "$bin" --host 127.0.0.1 --port $GATEWAY_PORT --loops 1 --data-dir "$work/plain" &
pids+=($!)
GATEWAY_LOG_LEVEL=warning taskset -c 0 "$bin" --host 127.0.0.1 --port $GATEWAY_TLS_PORT --loops 1 --data-dir "$work/tls" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" &
pids+=($!)
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
worker_cpu_affinity 01;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    listen 127.0.0.1:$NGINX_TLS_PORT ssl;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    location / { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
pids+=($!)
sleep 1

rate() { # url -> requests/s
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$1" | awk '/Requests\/sec/ {print int($2)}'
}
for url in http://127.0.0.1:$GATEWAY_PORT/healthz http://127.0.0.1:$NGINX_PORT/healthz \
           https://127.0.0.1:$GATEWAY_TLS_PORT/healthz https://127.0.0.1:$NGINX_TLS_PORT/healthz; do
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d2s "$url" >/dev/null   # warm-up
done
echo "round | gateway http | nginx http | ratio | gateway https | nginx https | ratio"
for round in $(seq 1 "$ROUNDS"); do
  g=$(rate http://127.0.0.1:$GATEWAY_PORT/healthz); n=$(rate http://127.0.0.1:$NGINX_PORT/healthz)
  gs=$(rate https://127.0.0.1:$GATEWAY_TLS_PORT/healthz); ns=$(rate https://127.0.0.1:$NGINX_TLS_PORT/healthz)
  printf "%s | %s | %s | %s | %s | %s | %s\n" "$round" "$g" "$n" "$(awk "BEGIN{printf \"%.2f\", $g/$n}")" \
    "$gs" "$ns" "$(awk "BEGIN{printf \"%.2f\", $gs/$ns}")"
done
