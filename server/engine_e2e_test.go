package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/tools"
)

var weatherTools = []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_weather", "description": "Get the weather in a city.",
	"parameters": map[string]any{"type": "object", "required": []any{"city"}, "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}}

// TestOpenAIHostOverMCP: the server started with an Ollama host and an
// OpenAI-compatible one (the same Ollama's /v1, behind a loopback proxy that
// wants a key) runs a suite on each through run_benchmark; the results say
// which engine, the priced one its cost; compare_models refuses to compare
// the two runs until told the engine may differ; the key is in no result
// and not in the store.
func TestOpenAIHostOverMCP(t *testing.T) {
	const key = "sk-e2e-1c9d7e5a3b"
	srv := ollamatest.Get(t)
	rp := httputil.NewSingleHostReverseProxy(srv.URL)
	rp.FlushInterval = -1
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"message":"bad key"}}`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	t.Setenv("BENCHMCP_CLOUD_API_KEY", key)

	db := filepath.Join(t.TempDir(), "bench.db")
	mc, _ := serveHTTP(t, db, "local="+srv.URL.String()+",cloud=openai:"+proxy.URL+"/v1;price=2/8")
	ctx := context.Background()
	args := func(host string) map[string]any {
		return map[string]any{"model": "tiny-m", "host": host, "options": map[string]any{"temperature": 0}, "seed": 5, "tasks": []any{
			map[string]any{"id": "add", "prompt": "What is 4817+971?", "checks": []any{map[string]any{"type": "exact", "value": "5788"}}},
			map[string]any{"id": "rev", "prompt": "Reverse the word planet.", "checks": []any{map[string]any{"type": "exact", "value": "tenalp"}}},
			map[string]any{"id": "weather", "prompt": "What is the weather in Paris?", "tools": weatherTools,
				"checks": []any{map[string]any{"type": "tool_call", "name": "get_weather", "arguments": map[string]any{"city": "Paris"}}}},
		}}
	}
	var native, cloud tools.RunBenchmarkResult
	var raw strings.Builder
	for host, out := range map[string]*tools.RunBenchmarkResult{"local": &native, "cloud": &cloud} {
		res := mc.call(ctx, t, "run_benchmark", args(host), "")
		structured(t, res, out)
		b, _ := json.Marshal(res)
		raw.Write(b)
	}
	if native.Environment.Engine != "" || cloud.Environment.Engine != "openai" || cloud.Summary.PassRate != native.Summary.PassRate {
		t.Errorf("native: engine %q, pass %.3f; cloud: engine %q, pass %.3f; want Ollama and openai, the same pass rate",
			native.Environment.Engine, native.Summary.PassRate, cloud.Environment.Engine, cloud.Summary.PassRate)
	}
	if c := cloud.Summary.Cost; c == nil || c.USD <= 0 || native.Summary.Cost != nil {
		t.Errorf("costs: cloud %+v, native %+v; want the priced host's only", cloud.Summary.Cost, native.Summary.Cost)
	}

	ids := []any{native.RunID, cloud.RunID}
	res := mc.call(ctx, t, "compare_models", map[string]any{"run_ids": ids}, "")
	if !res.IsError || !strings.Contains(text(res), "engine") || !strings.Contains(text(res), "allow_differences") {
		t.Errorf("comparing a native run with an openai run: %s; want a refusal naming engine and allow_differences", text(res))
	}
	var cmp tools.CompareModelsResult
	// The proxy is another host:port as well.
	res = mc.call(ctx, t, "compare_models", map[string]any{"run_ids": ids, "allow_differences": []any{"engine", "host"}}, "")
	structured(t, res, &cmp)
	if len(cmp.Comparisons) != 1 {
		t.Errorf("allowed comparison: %+v", cmp)
	}
	b, _ := json.Marshal(res)
	raw.Write(b)

	mc.Close()
	store, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.String(), key) || strings.Contains(string(store), key) {
		t.Error("the API key is in a tool result or the store")
	}
}
