#!/usr/bin/env bash
# Prints the path of an ollama binary, building one from the Go module proxy
# when none is on PATH or in .tools/bin. Idempotent: a second run is instant.
#
#   scripts/ollama.sh            # path of an ollama binary (builds if needed)
#   OLLAMA_VERSION=v0.17.4       # the pinned version built when none is found
#   BENCHMCP_OLLAMA_BUILD=1      # always use the project-built binary, ignore PATH
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${OLLAMA_VERSION:-v0.17.4}
bin="$root/.tools/bin/ollama"

if [ "${BENCHMCP_OLLAMA_BUILD:-}" != "1" ] && command -v ollama >/dev/null 2>&1; then
  command -v ollama
  exit 0
fi
if [ -x "$bin" ] && [ "$(cat "$root/.tools/ollama.version" 2>/dev/null)" = "$version" ]; then
  echo "$bin"
  exit 0
fi

echo "building ollama $version from the Go module proxy (CPU only; a few minutes cold)..." >&2
sudo=""
[ "$(id -u)" = "0" ] || sudo="sudo"
if [ ! -f /usr/include/nlohmann/json.hpp ] || [ ! -f /usr/include/stb/stb_image.h ]; then
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nlohmann-json3-dev libstb-dev >&2
  else
    echo "need the nlohmann/json and stb headers (Debian: nlohmann-json3-dev libstb-dev)" >&2
    exit 1
  fi
fi

# miniaudio.h is left out of the ollama module zip; github.com/gen2brain/malgo ships it.
inc="$root/.tools/include"
mkdir -p "$inc" "$root/.tools/bin"
malgo_dir=$(cd "$root/.tools" && { [ -f go.mod ] || go mod init benchmcp-tools >/dev/null 2>&1; } \
  && go mod download -json github.com/gen2brain/malgo@v0.11.24 | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
if [ -z "$malgo_dir" ] || [ ! -f "$malgo_dir/miniaudio.h" ]; then
  echo "could not find miniaudio.h in github.com/gen2brain/malgo (got '$malgo_dir')" >&2
  exit 1
fi
ln -sfn "$malgo_dir" "$inc/miniaudio"

CGO_CPPFLAGS="-I$inc ${CGO_CPPFLAGS:-}" GOBIN="$root/.tools/bin" GOFLAGS=-mod=mod \
  go install "github.com/ollama/ollama@$version" >&2
echo "$version" > "$root/.tools/ollama.version"
echo "$bin"
