#!/usr/bin/env bash
# Builds uws-responder.cpp against uWebSockets and uSockets sources kept OUTSIDE the repository (never committed).
# Bring them with the `fetch` tool (github:uNetworking/uWebSockets, github:uNetworking/uSockets) or git clone, then
#   git --git-dir=<uWebSockets git dir> archive HEAD | tar -x -C DIR/uWebSockets   (same for uSockets)
# Usage: build-uws-responder.sh DIR   (DIR holds uWebSockets/ and uSockets/; the binary is DIR/uws-responder)
# Plain TCP only (LIBUS_NO_SSL), uSockets' default epoll backend, no zlib (the responder disables compression),
# -O3 -march=native -flto as uWebSockets' own build.c compiles its examples.
set -euo pipefail
DIR=$(cd "${1:?usage: build-uws-responder.sh DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$DIR/uWebSockets/src/App.h" ] && [ -f "$DIR/uSockets/src/libusockets.h" ] || {
  echo "build-uws-responder.sh: $DIR must hold uWebSockets/src and uSockets/src" >&2; exit 1; }
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
for c in "$DIR"/uSockets/src/*.c "$DIR"/uSockets/src/eventing/*.c "$DIR"/uSockets/src/crypto/*.c; do
  gcc -O3 -march=native -flto=auto -DLIBUS_NO_SSL -I"$DIR/uSockets/src" -c "$c" -o "$obj/$(basename "$c" .c).o"
done
g++ -std=c++20 -O3 -march=native -flto=auto -DLIBUS_NO_SSL -DUWS_NO_ZLIB -I"$DIR/uWebSockets/src" -I"$DIR/uSockets/src" \
  "$HERE/uws-responder.cpp" "$obj"/*.o -o "$DIR/uws-responder"
echo "built $DIR/uws-responder"
