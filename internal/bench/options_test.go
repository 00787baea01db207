package bench_test

import (
	"testing"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/google/go-cmp/cmp"
)

func TestLoadOptionsFollowOllama(t *testing.T) {
	// api.Runner, which Ollama's needsReload compares.
	want := []string{"main_gpu", "num_batch", "num_ctx", "num_gpu", "num_thread", "use_mmap"}
	if diff := cmp.Diff(want, bench.LoadOptions); diff != "" {
		t.Errorf("load options (-want +got):\n%s", diff)
	}
	if k := bench.LoadKey(map[string]any{"temperature": 1, "seed": 3}); k != "" {
		t.Errorf("sampling options have load key %q", k)
	}
	if a, b := bench.LoadKey(map[string]any{"num_ctx": 512, "temperature": 1}), bench.LoadKey(map[string]any{"temperature": 0, "num_ctx": 512}); a != b || a != `{"num_ctx":512}` {
		t.Errorf("load keys %q and %q", a, b)
	}
}

func TestRounds(t *testing.T) {
	cfg := func(model string, opts map[string]any) bench.Config { return bench.Config{Model: model, Options: opts} }
	for _, tc := range []struct {
		name string
		cfgs []bench.Config
		want [][]int
	}{
		{"models interleave", []bench.Config{cfg("s", nil), cfg("m", nil), cfg("l", nil)}, [][]int{{0, 1, 2}}},
		{"sampling options interleave", []bench.Config{cfg("m", map[string]any{"temperature": 0}), cfg("m", map[string]any{"temperature": 0.7})}, [][]int{{0, 1}}},
		{"load options do not", []bench.Config{cfg("m", map[string]any{"num_ctx": 256}), cfg("m", map[string]any{"num_ctx": 512})}, [][]int{{0}, {1}}},
		{"mixed", []bench.Config{
			cfg("m", map[string]any{"num_ctx": 256, "temperature": 0}), cfg("m", map[string]any{"num_ctx": 512}),
			cfg("s", nil), cfg("m", map[string]any{"num_ctx": 256, "temperature": 0.7}),
		}, [][]int{{0, 2, 3}, {1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, bench.Rounds(tc.cfgs)); diff != "" {
				t.Errorf("rounds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBlocks(t *testing.T) {
	cfg := func(model string, opts map[string]any) bench.Config { return bench.Config{Model: model, Options: opts} }
	for _, tc := range []struct {
		name string
		cfgs []bench.Config
		want [][]int
	}{
		{"one model at a time", []bench.Config{cfg("s", nil), cfg("m", nil), cfg("s", map[string]any{"temperature": 0.7})}, [][]int{{0, 2}, {1}}},
		{"a block per load key, a model's blocks together", []bench.Config{
			cfg("m", map[string]any{"num_ctx": 256, "temperature": 0}), cfg("s", nil), cfg("m", map[string]any{"num_ctx": 512}),
			cfg("m", map[string]any{"num_ctx": 256, "temperature": 0.7}),
		}, [][]int{{0, 3}, {2}, {1}}},
		{"the same option value is one key whatever its type", []bench.Config{cfg("m", map[string]any{"num_ctx": 256}), cfg("m", map[string]any{"num_ctx": 256, "top_k": 5})}, [][]int{{0, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, bench.Blocks(tc.cfgs)); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
		})
	}
}
