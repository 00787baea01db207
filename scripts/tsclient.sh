#!/usr/bin/env bash
# Installs the official TypeScript MCP clients that server/tsclient_e2e_test.go
# drives benchmcp with (@modelcontextprotocol/client + ext-tasks for
# 2026-07-28, @modelcontextprotocol/sdk for 2025-11-25), at the exact
# versions of server/testdata/tsclient/package-lock.json, into .tools once
# (npm ci; Node 22 and npm come from scripts/node.sh). Prints the
# environment the test reads, for eval:
#
#   eval "$(scripts/tsclient.sh)" && go test -run TestOfficialTSClients ./server/
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log=tsclient
. scripts/node.sh

src=$root/server/testdata/tsclient
# Keyed on the lock file: a changed lock installs afresh beside the old one.
key=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-12)
dir=$tools/tsclient-$key
if [ ! -f "$dir/.installed" ]; then
  echo "tsclient: npm ci of server/testdata/tsclient into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  touch "$dir/.installed"
fi
printf 'export BENCHMCP_NODE=%q BENCHMCP_TSCLIENT_MODULES=%q\n' "$nodedir/bin/node" "$dir/node_modules"
