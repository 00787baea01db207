package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// optionService is a service on a fresh store whose one host no test
// reaches; with jobs, calls that run models are submitted as jobs.
func optionService(t *testing.T, withJobs bool) *Service {
	t.Helper()
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st, Exec: localExec(t)}
	if withJobs {
		svc.EnableJobs()
	}
	t.Cleanup(func() {
		if svc.Jobs != nil {
			svc.Jobs.Shutdown(5 * time.Second)
		}
		st.Close()
	})
	return svc
}

// call calls a tool's MCP handler with JSON arguments, as the server does.
func call(t *testing.T, h func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error), args string) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.RawArguments = json.RawMessage(args)
	res, err := h(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: Go error %v (a bad option is the caller's to fix)", args, err)
	}
	return res
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// storedNothing fails the test if the store holds any run, job, routing
// decision or routing policy.
func storedNothing(t *testing.T, st *memory.Store) {
	t.Helper()
	if runs, err := st.ListRuns(memory.Filter{}); err != nil || len(runs) > 0 {
		t.Errorf("stored %d runs (%v)", len(runs), err)
	}
	if jobs, err := st.ListJobs(memory.JobFilter{}); err != nil || len(jobs) > 0 {
		t.Errorf("stored %d jobs (%v)", len(jobs), err)
	}
	if ds, err := st.RouteDecisions(0); err != nil || len(ds) > 0 {
		t.Errorf("stored %d routing decisions (%v)", len(ds), err)
	}
	if ps, err := st.RoutingPolicies(0, func(record.RoutingPolicy) bool { return true }); err != nil || len(ps) > 0 {
		t.Errorf("stored %d routing policies (%v)", len(ps), err)
	}
}

// TestOptionsRefused: every tool argument that carries Ollama options, and
// suite files and inline tasks, refuse an unknown name before anything
// runs or is stored, naming where it is and the option meant; wrong value
// types likewise. With and without a job manager (server and CLI).
func TestOptionsRefused(t *testing.T) {
	dir := t.TempDir()
	suiteFile := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(suiteFile, []byte(`
name: typo
tasks:
  - {id: add-1, prompt: "What is 47+385?", checks: [{type: exact, value: "432"}]}
  - id: add-2
    prompt: "What is 2+2?"
    options: {temprature: 0}
    checks: [{type: exact, value: "4"}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	suiteRef, _ := json.Marshal(suiteFile)
	task := `{"id": "t1", "prompt": "What is 2+2?", "checks": [{"type": "exact", "value": "4"}]}`
	badTask := `{"id": "t2", "prompt": "What is 2+2?", "options": {"num_ctxx": 512}, "checks": [{"type": "exact", "value": "4"}]}`
	for _, withJobs := range []bool{false, true} {
		svc := optionService(t, withJobs)
		for _, tc := range []struct {
			tool string
			h    func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error)
			args string
			want []string
		}{
			{"run_benchmark", svc.RunBenchmarkHandler(), `{"model": "tiny-m", "tasks": [` + task + `], "options": {"num_ctxx": 4096}}`,
				[]string{"options.num_ctxx is not an Ollama option (Ollama would ignore it and use its default); did you mean num_ctx?"}},
			{"run_benchmark plan", svc.RunBenchmarkHandler(), `{"model": "tiny-m", "plan": true, "options": {"num_ctxx": 4096}}`,
				[]string{"options.num_ctxx is not an Ollama option", "did you mean num_ctx?"}},
			{"run_benchmark background", svc.RunBenchmarkHandler(), `{"model": "tiny-m", "background": true, "options": {"num_ctx": "4096"}}`,
				[]string{`options.num_ctx must be an integer, e.g. 4096; got "4096" (a string)`}},
			{"run_benchmark inline task", svc.RunBenchmarkHandler(), `{"model": "tiny-m", "tasks": [` + task + `, ` + badTask + `]}`,
				[]string{`task "t2": options.num_ctxx is not an Ollama option`, "did you mean num_ctx?"}},
			{"run_benchmark suite file", svc.RunBenchmarkHandler(), `{"model": "tiny-m", "suite": ` + string(suiteRef) + `}`,
				[]string{`task "add-2": options.temprature is not an Ollama option`, "did you mean temperature?"}},
			{"compare_models", svc.CompareModelsHandler(), `{"variants": [{"model": "tiny-s"}, {"model": "tiny-m", "options": {"num_ctxx": 4096}}], "tasks": [` + task + `]}`,
				[]string{"variants[1].options.num_ctxx is not an Ollama option", "did you mean num_ctx?"}},
			{"compare_models plan", svc.CompareModelsHandler(), `{"variants": [{"model": "tiny-s", "options": {"stop": "\n"}}, {"model": "tiny-m"}], "plan": true}`,
				[]string{`variants[0].options.stop must be a list of strings`}},
			{"compare_models task", svc.CompareModelsHandler(), `{"variants": [{"model": "tiny-s"}, {"model": "tiny-m"}], "tasks": [` + badTask + `]}`,
				[]string{`task "t2": options.num_ctxx`, "did you mean num_ctx?"}},
			{"sweep cells", svc.SweepHandler(), `{"cells": [{"model": "tiny-s"}, {"model": "tiny-m", "options": {"temprature": 0.7}}], "tasks": [` + task + `]}`,
				[]string{"cells[1].options.temprature is not an Ollama option", "did you mean temperature?"}},
			{"sweep axes", svc.SweepHandler(), `{"axes": {"models": ["tiny-m"], "options": {"num_ctx": [256, "big"], "top-k": [5]}}, "tasks": [` + task + `], "plan": true}`,
				[]string{`axes.options.num_ctx[1] must be an integer, e.g. 4096; got "big" (a string)`, "axes.options.top-k is not an Ollama option", "did you mean top_k?"}},
			{"route_task", svc.RouteTaskHandler(), `{"task": "What is 2+2?", "candidates": ["tiny-s", "tiny-m"], "strategy": "heuristic", "options": {"num_ctxx": 4096}}`,
				[]string{"options.num_ctxx is not an Ollama option", "did you mean num_ctx?"}},
			{"route_task cascade", svc.RouteTaskHandler(), `{"task": "What is 2+2?", "candidates": ["tiny-s", "tiny-m"], "strategy": "cascade", "checks": [{"type": "exact", "value": "4"}], "options": {"temperature": -1}}`,
				[]string{"options.temperature is -1; it must be 0 or more"}},
			{"evaluate_routing", svc.EvaluateRoutingHandler(), `{"candidates": ["tiny-s", "tiny-m"], "options": {"num_ctxx": 4096}}`,
				[]string{"options.num_ctxx is not an Ollama option", "did you mean num_ctx?"}},
			{"evaluate_routing online", svc.EvaluateRoutingHandler(), `{"candidates": ["tiny-s", "tiny-m"], "online": true, "options": {"use_mmap": "no"}}`,
				[]string{`options.use_mmap must be true or false; got "no" (a string)`}},
		} {
			res := call(t, tc.h, tc.args)
			text := resultText(res)
			if !res.IsError {
				t.Errorf("jobs %v, %s: not an error: %s", withJobs, tc.tool, text)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("jobs %v, %s: %q\nwant it to say %q", withJobs, tc.tool, text, w)
				}
			}
		}
		storedNothing(t, svc.Store)
	}
}
