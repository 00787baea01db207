package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/tools"
)

// TestAnalyzeResultsOverStdio runs tiny-m twice and tiny-s once on inline
// tasks, then analyses the stored runs.
func TestAnalyzeResultsOverStdio(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var runs []string
	for _, model := range []string{"tiny-m", "tiny-m", "tiny-s"} {
		var r tools.RunBenchmarkResult
		structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": model, "tasks": quickTasks()}, ""), &r)
		runs = append(runs, r.RunID)
	}
	var res tools.AnalyzeResultsResult
	structured(t, mc.call(ctx, t, "analyze_results", map[string]any{"suite": "inline"}, ""), &res)
	if len(res.Runs) != 3 || res.Runs[0].ID != runs[2] || res.Runs[2].ID != runs[0] {
		t.Fatalf("runs %+v, want %v newest first", res.Runs, runs)
	}
	if res.Runs[0].Model != "tiny-s" || res.Runs[0].Samples != 6 {
		t.Errorf("newest run %+v", res.Runs[0])
	}
	// tiny-m's second run is measured against its first, paired on the six tasks.
	if len(res.Regressions) != 1 || res.Regressions[0].RunID != runs[1] || res.Regressions[0].BaselineRunID != runs[0] || res.Regressions[0].Pairs != 6 {
		t.Errorf("regressions %+v", res.Regressions)
	}
	if len(res.Trends) != 2 {
		t.Errorf("trends %+v", res.Trends)
	}
	mentions := false
	for _, f := range res.Findings {
		mentions = mentions || strings.Contains(f, "tiny-m on inline")
	}
	if !mentions {
		t.Errorf("findings do not mention tiny-m: %q", res.Findings)
	}

	bad := mc.call(ctx, t, "analyze_results", map[string]any{"since": "last tuesday"}, "")
	if !bad.IsError || !strings.Contains(text(bad), "RFC3339") {
		t.Errorf("bad since: isError %v, %q", bad.IsError, text(bad))
	}
}
