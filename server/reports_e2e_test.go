package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/tools"
)

// TestSideBySideReport: compare_models over MCP writes the side-by-side
// artifact, markdown and HTML, into the server's reports directory, with
// each task's prompt, every variant's full answer and the winner; a path
// outside the directory, an unknown extension or a user's own file are
// refused before anything runs.
func TestSideBySideReport(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reports := filepath.Join(filepath.Dir(mc.DB), "reports")
	tasks := []map[string]any{
		{"id": "add-03", "category": "add", "prompt": "What is 47+385?", "checks": []map[string]any{{"type": "exact", "value": "432"}}},
		{"id": "code-01", "category": "code", "prompt": "Write a Python function add(a, b) that returns the sum of a and b.",
			"checks": []map[string]any{{"type": "contains", "value": "return a + b"}}},
	}
	var res tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{
		"variants": []map[string]any{{"model": "tiny-s"}, {"model": "tiny-m"}}, "tasks": tasks, "iterations": 2, "report_path": "tiny-cmp",
		"pairwise_judge": "tiny-judge",
	}, ""), &res)
	// The pairwise judge was asked about every paired answer, in both
	// orders. tiny-judge only grades one answer ({"score": n}), so a real
	// judge's replies are recorded as undecided here, not guessed.
	if len(res.Comparisons) != 1 || res.Comparisons[0].Pairwise == nil {
		t.Fatalf("no pairwise verdicts: %+v", res.Comparisons)
	}
	if p := res.Comparisons[0].Pairwise; p.Items != 4 || p.WinsA+p.WinsB+p.Ties+p.Undecided != 4 || len(p.Tasks) != 2 || p.Judge != "tiny-judge" {
		t.Errorf("pairwise: %+v", p)
	}
	want := []string{filepath.Join(reports, "tiny-cmp.md"), filepath.Join(reports, "tiny-cmp.html")}
	if strings.Join(res.ReportPaths, ",") != strings.Join(want, ",") {
		t.Fatalf("report_paths %v, want %v", res.ReportPaths, want)
	}
	md, err := os.ReadFile(want[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| variant | model | pass rate (95% CI) | tasks won |", "## add-03 (add)", "What is 47+385?",
		"**tiny-m** (iteration 1):\n\n```\n432\n```", "def add(a, b):", "**Winner: "} {
		if !strings.Contains(string(md), s) {
			t.Errorf("markdown artifact lacks %q:\n%s", s, md)
		}
	}
	if page, err := os.ReadFile(want[1]); err != nil || !strings.Contains(string(page), `<section class="task" id="task-code-01">`) {
		t.Errorf("HTML artifact: %v", err)
	}

	// Rewriting a report is fine; a user's own file is not overwritten.
	notes := filepath.Join(reports, "notes.md")
	if err := os.WriteFile(notes, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	two := []map[string]any{{"model": "tiny-s"}, {"model": "tiny-m"}}
	mc.wantErrorsStoreNothingSince(ctx, t, "compare_models", 2, []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"variants": two, "tasks": tasks, "report_path": "../escape.md"}, "outside the reports directory"},
		{map[string]any{"variants": two, "tasks": tasks, "report_path": "/tmp/escape.md"}, "outside the reports directory"},
		{map[string]any{"variants": two, "tasks": tasks, "report_path": "cmp.txt"}, "extension .txt"},
		{map[string]any{"variants": two, "tasks": tasks, "report_path": "notes.md", "iterations": 1}, "benchmcp did not write; it is not overwritten"},
	})
	if b, _ := os.ReadFile(notes); string(b) != "mine\n" {
		t.Errorf("the user's notes.md changed: %q", b)
	}
}

// TestJudgeOnItsOwnHost: an llm_judge check naming a host asks the judge
// there; the run's judge_host moves every judge check. The second server
// has only tiny-judge, so a judge call anywhere else would fail the check;
// and its /api/ps shows the judge loaded there.
func TestJudgeOnItsOwnHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	judgeBox := secondOllama(t, "tiny-judge")
	db := filepath.Join(t.TempDir(), "bench.db")
	mc, kill := serveHTTP(t, db, "local="+ollamatest.Get(t).URL.String()+",judge="+judgeBox.URL.String())
	defer kill()
	task := func(host string) []map[string]any {
		judge := map[string]any{"model": "tiny-judge"}
		if host != "" {
			judge["host"] = host
		}
		return []map[string]any{{"id": "add-01", "prompt": "What is 3+5?", "checks": []map[string]any{
			{"type": "exact", "value": "8"}, {"type": "llm_judge", "judge": judge}}}}
	}
	for _, c := range []struct {
		name string
		args map[string]any
	}{
		{"check names the host", map[string]any{"model": "tiny-m", "tasks": task("judge")}},
		{"run's judge_host", map[string]any{"model": "tiny-m", "tasks": task(""), "judge_host": "judge"}},
	} {
		var res tools.RunBenchmarkResult
		structured(t, mc.call(ctx, t, "run_benchmark", c.args, ""), &res)
		if res.Summary.Passed != 1 || res.Summary.Errors != 0 {
			t.Errorf("%s: %d of %d passed, %d errors; failures %+v", c.name, res.Summary.Passed, res.Summary.Samples, res.Summary.Errors, res.Failures)
		}
		hosts, err := executor.ParseHosts("judge=" + judgeBox.URL.String())
		if err != nil {
			t.Fatal(err)
		}
		ex := executor.New(hosts...)
		loaded, err := ex.Loaded(ctx, "judge")
		if err != nil || len(loaded) != 1 || !strings.HasPrefix(loaded[0].Name, "tiny-judge") {
			t.Errorf("%s: the judge host holds %+v (%v); want tiny-judge, which only a judge call there loads", c.name, loaded, err)
		}
		if err := ex.Unload(ctx, "judge", "tiny-judge"); err != nil {
			t.Fatal(err)
		}
	}
	res := mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": task("nowhere")}, "")
	if !res.IsError || !strings.Contains(text(res), `host "nowhere"`) {
		t.Errorf("an unknown judge host: %s", text(res))
	}
}
