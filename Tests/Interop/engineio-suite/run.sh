#!/usr/bin/env bash
# The official engine.io protocol test suite against the gateway: see ../official-suite.sh.
exec "$(dirname "$0")/../official-suite.sh" engine.io "$@"
