#!/usr/bin/env bash
# Builds Node socket.io 4.8.3 as `npm install socket.io@4.8.3` resolves it today (engine.io 6.6.9, engine.io-parser 5.2.3,
# socket.io-parser 4.2.6, socket.io-adapter 2.5.8: the newest releases in its ~ ranges) from the socket.io monorepo's
# TypeScript into DIR/node_modules, OUTSIDE the repository (never committed). The npm registry is not needed:
#   - MONOREPO a git directory of github:socketio/socket.io (the `fetch` tool's, or a clone's .git): each package is taken
#     at its release tag (socket.io@4.8.3, engine.io@6.6.9, …);
#   - MONOREPO a plain checkout: taken as it is (a warning if a package's version differs from the one above).
# Debian gives the compiler and the runtime dependencies, resolved through NODE_PATH=/usr/share/nodejs:
#   apt-get install node-typescript node-ws node-debug node-cookie node-cors node-accepts node-base64id
# (Debian 12: ws 8.11 where engine.io pins ~8.21, debug 4.3 for ~4.4, cookie 0.5 for ~0.7; the APIs called are the same.
# ws's optional native addons bufferutil and utf-8-validate are absent, as in a plain `npm install`.) Type errors (no
# @types/node, Debian's tsc 4.8) do not stop the emit, and only the JavaScript is needed.
# Usage: build-node-socketio.sh MONOREPO DIR   (then NODE_SIO_DIR=DIR for socketio-anchors.sh)
set -euo pipefail
MONOREPO=$(cd "${1:?usage: build-node-socketio.sh MONOREPO DIR}" && pwd)
mkdir -p "${2:?usage: build-node-socketio.sh MONOREPO DIR}"
OUT=$(cd "$2" && pwd)/node_modules
declare -A release=([socket.io]=4.8.3 [engine.io]=6.6.9 [engine.io-parser]=5.2.3 [socket.io-parser]=4.2.6
                    [socket.io-adapter]=2.5.8 [socket.io-component-emitter]=3.1.2)
# The emitter has no release tags in the monorepo: it is taken as it is at socket.io@4.8.3 (version 3.1.2 there).
declare -A tag=([socket.io-component-emitter]=socket.io@4.8.3)
if git --git-dir="$MONOREPO" rev-parse --git-dir >/dev/null 2>&1 && [ ! -d "$MONOREPO/packages" ]; then
  SRC=$(mktemp -d)/packages
  trap 'rm -rf "$(dirname "$SRC")"' EXIT
  for p in "${!release[@]}"; do  # only lib/ and package.json: a fetched snapshot may lack large test fixtures
    git --git-dir="$MONOREPO" archive "${tag[$p]:-$p@${release[$p]}}" "packages/$p/lib" "packages/$p/package.json" \
      2> >(grep -v '^error: invalid object' >&2) | tar -x -C "$(dirname "$SRC")"
  done
else
  SRC=$MONOREPO/packages
  for p in "${!release[@]}"; do
    grep -q "\"version\": \"${release[$p]}\"" "$SRC/$p/package.json" || echo "warning: $SRC/$p is not ${release[$p]}" >&2
  done
fi
rm -rf "$OUT"; mkdir -p "$OUT/@socket.io"
build() { # package output-directory target [tsc flags…]
  local p=$1 out=$2 target=$3; shift 3
  mkdir -p "$OUT/$p"
  cp "$SRC/$p/package.json" "$OUT/$p/"
  if [ -f "$SRC/$p/wrapper.mjs" ]; then cp "$SRC/$p/wrapper.mjs" "$OUT/$p/"; fi
  tsc --outDir "$OUT/$p/$out" --rootDir "$SRC/$p/lib" --target "$target" --module commonjs --skipLibCheck "$@" \
      $(find "$SRC/$p/lib" -name '*.ts' ! -name '*.d.ts') > "$OUT/$p.tsc.log" 2>&1 || true
  [ -n "$(find "$OUT/$p/$out" -name '*.js')" ] || { echo "no JavaScript emitted for $p:" >&2; cat "$OUT/$p.tsc.log" >&2; exit 1; }
}
# Output directories, targets and module interop as each package's package.json "main" and tsconfig.json (at its tag) say.
build engine.io-parser build/cjs es2018
build socket.io-parser build/cjs es2018
build socket.io-adapter dist es2017
build engine.io build es2018
build socket.io dist es2017 --esModuleInterop
mkdir -p "$OUT/@socket.io/component-emitter"  # shipped as JavaScript
cp -r "$SRC/socket.io-component-emitter/lib" "$SRC/socket.io-component-emitter/package.json" "$OUT/@socket.io/component-emitter/"
echo "built into $OUT"
