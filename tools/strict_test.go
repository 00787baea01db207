package tools

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/memory"
)

// TestUnknownArgumentsRefused: every tool, as the server serves it, refuses
// a misspelled argument by name with the nearest one, and one it does not
// take at all with the list of those it does, before anything runs or is
// stored. A known argument passes on to the tool.
func TestUnknownArgumentsRefused(t *testing.T) {
	svc := offlineService(t)
	svc.EnableJobs()
	defer svc.Jobs.Shutdown(5 * time.Second)

	typos := map[string][2]string{ // tool: a typo and the argument it means
		"run_benchmark":    {"iteratons", "iterations"},
		"compare_models":   {"variant", "variants"},
		"sweep":            {"axis", "axes"},
		"analyze_results":  {"baseline_run", "baseline_run_id"},
		"route_task":       {"stratgy", "strategy"},
		"evaluate_routing": {"candidate", "candidates"},
		"job_status":       {"wait", "wait_s"},
		"job_result":       {"jobid", "job_id"},
		"cancel_job":       {"jobid", "job_id"},
		"list_jobs":        {"limits", "limit"},
	}
	call := func(reg Tool, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		req := mcp.CallToolRequest{}
		req.Params.Name = reg.Definition().Name
		req.Params.Arguments = args
		res, err := reg.Serve(svc)(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: a Go error: %v", req.Params.Name, err)
		}
		return res
	}
	text := func(res *mcp.CallToolResult) string {
		if len(res.Content) == 0 {
			return ""
		}
		tc, _ := res.Content[0].(mcp.TextContent)
		return tc.Text
	}
	for _, reg := range Registry {
		name := reg.Definition().Name
		typo, ok := typos[name]
		if !ok {
			t.Fatalf("no typo case for tool %s", name)
		}
		res := call(reg, map[string]any{typo[0]: 3})
		want := `has no argument "` + typo[0] + `" (did you mean "` + typo[1] + `"?)`
		if !res.IsError || !strings.Contains(text(res), want) || !strings.Contains(text(res), "nothing was run or stored") {
			t.Errorf("%s with %q: isError %v, %q; want it to say %s", name, typo[0], res.IsError, text(res), want)
		}
	}
	// An argument that is nowhere near one: the list of those there are.
	res := call(Registry[5], map[string]any{"candidates": []any{"tiny-s", "tiny-m"}, "tasks": []any{}})
	if !res.IsError || !strings.Contains(text(res), `evaluate_routing has no argument "tasks"; nothing was run or stored. Its arguments are: background, candidates, `) {
		t.Errorf("evaluate_routing with tasks: %q", text(res))
	}
	// Known arguments reach the tool (here its own check refuses them).
	res = call(Registry[6], map[string]any{"job_id": "j-nope"})
	if !res.IsError || !strings.Contains(text(res), "is not known") {
		t.Errorf("job_status with a known argument: %q; want the tool's own answer", text(res))
	}
	if runs, _ := svc.Store.ListRuns(memory.Filter{}); len(runs) != 0 {
		t.Errorf("%d runs stored by refused calls", len(runs))
	}
	if jobs, _ := svc.Store.ListJobs(memory.JobFilter{}); len(jobs) != 0 {
		t.Errorf("%d jobs stored by refused calls", len(jobs))
	}
}

// FuzzUnknownArguments: the check never panics, and refuses exactly the
// calls that name an argument outside the schema.
func FuzzUnknownArguments(f *testing.F) {
	known := inputProperties(RunBenchmarkTool())
	for _, s := range []string{"model", "iteratons", "", "\u0000", "ITERATIONS", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := unknownArguments("run_benchmark", known, map[string]any{name: 1, "model": "m"})
		isKnown := false
		for _, k := range known {
			isKnown = isKnown || k == name
		}
		if (err == nil) != isKnown {
			t.Fatalf("argument %q: err %v, known %v", name, err, isKnown)
		}
	})
}

// offlineService is a service on a new store whose one host, local, never
// answers: for what runs before any call. The store closes with the test.
func offlineService(t *testing.T) *Service {
	t.Helper()
	dir := t.TempDir()
	st, err := memory.Open(filepath.Join(dir, "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hosts, err := executor.ParseHosts("local=http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Store: st, Exec: executor.New(hosts...), Reports: artifact.Dir{Root: filepath.Join(dir, "reports"), Confined: true}}
}
