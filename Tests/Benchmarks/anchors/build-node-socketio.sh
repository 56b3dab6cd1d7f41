#!/usr/bin/env bash
# Builds Node socket.io 4.8.3 (with engine.io 6.6.9, engine.io-parser 5.2.3, socket.io-parser 4.2.6, socket.io-adapter
# 2.5.8) from the socket.io monorepo's TypeScript into DIR/node_modules, OUTSIDE the repository (never committed).
# The npm registry is not needed: the monorepo (github:socketio/socket.io at tag socket.io@4.8.3, or a `fetch` of it) gives
# the sources; Debian gives the compiler and the runtime dependencies:
#   apt-get install node-typescript node-ws node-debug node-cookie node-cors node-accepts node-base64id
# (ws 8.11, debug 4.3, cookie 0.5, cors 2.8.5, accepts 1.3.8 from Debian 12, resolved through NODE_PATH=/usr/share/nodejs;
# socket.io pins ws ~8.21, debug ~4.4, cookie ~0.7: the APIs it calls are the same). Type errors (no @types/node,
# Debian's tsc 4.8) do not stop the emit, and only the JavaScript is needed.
# Usage: build-node-socketio.sh MONOREPO DIR   (then NODE_SIO_DIR=DIR for socketio-anchors.sh)
set -euo pipefail
SRC=$(cd "${1:?usage: build-node-socketio.sh MONOREPO DIR}" && pwd)/packages
mkdir -p "${2:?usage: build-node-socketio.sh MONOREPO DIR}"
OUT=$(cd "$2" && pwd)/node_modules
grep -q '"version": "4.8.3"' "$SRC/socket.io/package.json" || echo "warning: $SRC/socket.io is not 4.8.3" >&2
rm -rf "$OUT"; mkdir -p "$OUT/@socket.io"
build() { # package output-directory target
  local p=$1 out=$2 target=$3
  mkdir -p "$OUT/$p"
  cp "$SRC/$p/package.json" "$OUT/$p/"
  if [ -f "$SRC/$p/wrapper.mjs" ]; then cp "$SRC/$p/wrapper.mjs" "$OUT/$p/"; fi
  tsc --outDir "$OUT/$p/$out" --rootDir "$SRC/$p/lib" --target "$target" --module commonjs --skipLibCheck \
      $(find "$SRC/$p/lib" -name '*.ts' ! -name '*.d.ts') > "$OUT/$p.tsc.log" 2>&1 || true
  [ -n "$(find "$OUT/$p/$out" -name '*.js')" ] || { echo "no JavaScript emitted for $p:" >&2; cat "$OUT/$p.tsc.log" >&2; exit 1; }
}
# Output directories and targets as each package's package.json "main" and tsconfig.json say.
build engine.io-parser build/cjs es2018
build socket.io-parser build/cjs es2018
build socket.io-adapter dist es2017
build engine.io build es2018
build socket.io dist es2018
cp -r "$SRC/socket.io-component-emitter" "$OUT/@socket.io/component-emitter"  # shipped as JavaScript
echo "built into $OUT"
