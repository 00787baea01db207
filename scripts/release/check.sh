#!/usr/bin/env bash
# Checks a release dist/ (make release-snapshot): every file in checksums.txt
# matches; the four archives and bundles are there; the host's binary runs
# and names the commit it was built from; every bundle holds its manifest and
# an executable server; the registry entry's packages point at the bundles
# with their right SHA-256 (the entry was validated against the registry's
# schema when written).
set -euo pipefail
dist=${1:-dist}
cd "$dist"
fail() { echo "release check: $*" >&2; exit 1; }
sha256sum --quiet -c checksums.txt || fail "checksums.txt does not match the files"
for os in linux darwin; do for arch in amd64 arm64; do
	ls benchmcp_*_${os}_${arch}.tar.gz >/dev/null 2>&1 || fail "no ${os}/${arch} archive"
	ls benchmcp_*_${os}_${arch}.mcpb >/dev/null 2>&1 || fail "no ${os}/${arch} MCP bundle"
done; done
arch=$(go env GOARCH)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tar xzf benchmcp_*_linux_${arch}.tar.gz -C "$tmp"
[ -f "$tmp/README.md" ] || fail "the archive has no README.md"
head=$(git rev-parse HEAD)
"$tmp/benchmcp" version --json > "$tmp/version.json" || fail "the archived binary does not run"
python3 - "$tmp/version.json" "$head" <<'PY' || fail "the archived binary does not name HEAD"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["commit"] == sys.argv[2], (v, sys.argv[2])
print("archived binary:", v["version"], v["commit"][:12], v["go"])
PY
python3 - <<'PY' || fail "the bundles or the registry entry are wrong"
import glob, hashlib, json, zipfile
entry = json.load(open("server.json"))
pk = {p["identifier"].rsplit("/", 1)[1]: p for p in entry["packages"]}
bundles = sorted(glob.glob("*.mcpb"))
assert sorted(pk) == bundles, (sorted(pk), bundles)
for b in bundles:
    z = zipfile.ZipFile(b)
    m = json.loads(z.read("manifest.json"))
    assert m["version"] == entry["version"] and m["server"]["entry_point"] == "server/benchmcp", m
    assert (z.getinfo("server/benchmcp").external_attr >> 16) & 0o111, b + ": server/benchmcp is not executable"
    sha = hashlib.sha256(open(b, "rb").read()).hexdigest()
    assert pk[b]["fileSha256"] == sha and pk[b]["registryType"] == "mcpb", (b, pk[b])
print("registry entry:", entry["name"], entry["version"], len(bundles), "mcpb packages")
PY
echo "release check: ok ($(grep -c . checksums.txt) files)"
