package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/tools"
)

// TestSweepCommand: `benchmcp sweep` plans a grid from flags, runs one from
// a YAML spec, and refuses bad flags before running anything.
func TestSweepCommand(t *testing.T) {
	srv := ollamatest.Get(t)
	t.Setenv("BENCHMCP_HOSTS", "local="+srv.URL.String())
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append(append([]string{"sweep"}, args...), "--db", db), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := run("--model", "tiny-m", "--option", "num_ctx=256,512", "--option", "temperature=0,0.7", "--suite", "tiny", "--plan")
	if code != 0 || !strings.Contains(out, "Sweep plan: 4 cells, 144 calls") || !strings.Contains(out, "2 model loads") {
		t.Fatalf("sweep --plan: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run("--model", "tiny-m", "--concurrency", "1", "--concurrency", "4", "--suite", "tiny", "--plan")
	if code != 0 || !strings.Contains(out, "Sweep plan: 2 cells, 72 calls") || !strings.Contains(out, "as if their calls ran one at a time") {
		t.Fatalf("sweep --concurrency --plan: exit %d\n%s\n%s", code, out, errs)
	}
	spec := filepath.Join(dir, "sweep.yaml")
	if err := os.WriteFile(spec, []byte(`
axes:
  models: [tiny-s, tiny-m]
tasks:
  - {id: add-1, prompt: "What is 47+385?", checks: [{type: exact, value: "432"}]}
  - {id: rev-1, prompt: "Reverse the word planet.", checks: [{type: exact, value: tenalp}]}
seeds: [1, 2]
objective: latency_p50_ms
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = run("--spec", spec, "--json", "--report", filepath.Join(dir, "cells.md"))
	var res tools.SweepResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("sweep --spec: exit %d, %v\n%s\n%s", code, err, out, errs)
	}
	if res.Status != record.StatusCompleted || len(res.Cells) != 2 || res.Choice == nil || res.Choice.Objective != "latency_p50_ms" {
		t.Fatalf("sweep --spec: %+v", res)
	}
	if md, err := os.ReadFile(filepath.Join(dir, "cells.md")); err != nil || !strings.Contains(string(md), "## rev-1") || len(res.ReportPaths) != 1 {
		t.Errorf("sweep --report: %v, report_paths %v", err, res.ReportPaths)
	}
	for _, c := range res.Cells {
		if c.Summary.Samples != 4 {
			t.Errorf("cell %s: %d samples", c.Label, c.Summary.Samples)
		}
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--option", "num_ctx"}, "give name=v1,v2"},
		{[]string{"--model", "tiny-m", "--depth", "deep"}, "not a whole number"},
		{[]string{"--model", "tiny-m", "--concurrency", "many"}, "not a whole number of calls"},
		{[]string{"--model", "tiny-m", "--concurrency", "32"}, "axes.concurrency has 32"},
		{[]string{}, "give axes"},
		{[]string{"--spec", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"--model", "tiny-m", "--option", "num_ctxx=1"}, "did you mean num_ctx?"},
	} {
		if code, _, errs := run(bad.args...); code == 0 || !strings.Contains(errs, bad.want) {
			t.Errorf("sweep %v: exit %d, %q; want it to say %q", bad.args, code, errs, bad.want)
		}
	}
}
