package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/tools"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestPrompts: the write-up prompts over MCP are filled with the store's
// real numbers: plan_benchmark with run_benchmark's own power analysis,
// write_findings and compare_writeup with those of a comparison that
// compare_models stored; a missing or unknown id says what to pass.
func TestPrompts(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tasks := []map[string]any{
		{"id": "add-1", "category": "add", "prompt": "What is 47+385?", "checks": []map[string]any{{"type": "exact", "value": "432"}}},
		{"id": "srt-1", "category": "srt", "prompt": "Sort the letters dcab.", "checks": []map[string]any{{"type": "exact", "value": "abcd"}}},
	}
	var cmp tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{
		"variants": []map[string]any{{"model": "tiny-s"}, {"model": "tiny-m"}}, "tasks": tasks, "iterations": 1,
	}, ""), &cmp)
	if cmp.ComparisonID == "" || len(cmp.Variants) != 2 || len(cmp.Comparisons) != 1 || len(cmp.Tasks) != 2 {
		t.Fatalf("comparison: id %q, %d variants, %d comparisons, %d tasks", cmp.ComparisonID, len(cmp.Variants), len(cmp.Comparisons), len(cmp.Tasks))
	}

	list, err := mc.ListPrompts(ctx, mcp.ListPromptsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Prompts {
		names = append(names, p.Name)
	}
	for _, want := range []string{"benchmark_model", "plan_benchmark", "write_findings", "compare_writeup"} {
		if !slices.Contains(names, want) {
			t.Errorf("prompts %v lack %s", names, want)
		}
	}

	get := func(name string, args map[string]string) (string, error) {
		req := mcp.GetPromptRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		res, err := mc.GetPrompt(ctx, req)
		if err != nil {
			return "", err
		}
		if len(res.Messages) != 1 || res.Messages[0].Role != mcp.RoleUser {
			t.Fatalf("%s: messages %+v, want one user message", name, res.Messages)
		}
		tc, ok := res.Messages[0].Content.(mcp.TextContent)
		if !ok {
			t.Fatalf("%s: content %T", name, res.Messages[0].Content)
		}
		return tc.Text, nil
	}
	mustGet := func(name string, args map[string]string) string {
		t.Helper()
		text, err := get(name, args)
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return text
	}
	wantAll := func(name, text string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, text)
			}
		}
	}

	// plan_benchmark gives the numbers run_benchmark's plan gives.
	var plan tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "suite": "tiny", "iterations": 2, "plan": true}, ""), &plan)
	p := plan.Plan.Power
	wantAll("plan_benchmark", mustGet("plan_benchmark", map[string]string{"model": "tiny-m", "suite": "tiny", "iterations": "2", "goal": "is it good at sums"}),
		"tiny-m on Ollama: is it good at sums.", "Use only the numbers below",
		fmt.Sprintf("suite tiny, %d tasks × 2 iterations = %d calls per variant.", plan.Plan.Tasks, 2*plan.Plan.Tasks),
		fmt.Sprintf("detects differences of **%.0f points** or more", 100*p.MDE),
		fmt.Sprintf("A 10-point difference needs **%d tasks** at 2 iterations", p.TasksNeeded))

	a, b, c := cmp.Variants[0], cmp.Variants[1], cmp.Comparisons[0]
	rate := func(x float64) string { return fmt.Sprintf("%.0f", 100*x) }
	byID := map[string]string{"comparison_id": cmp.ComparisonID}
	findings := mustGet("write_findings", byID)
	wantAll("write_findings", findings,
		"comparison "+cmp.ComparisonID+" (tiny-s vs tiny-m on ", "Use only the numbers below", "exactly three", "| risk | evidence | mitigation |",
		fmt.Sprintf("tiny-s (tiny-s, the baseline) passed %d of %d samples: **%s%% pass rate (%s–%s%%)**", a.Passed, a.Samples, rate(a.PassRate), rate(a.PassRateCI.Lo), rate(a.PassRateCI.Hi)),
		fmt.Sprintf("tiny-m (tiny-m) passed %d of %d samples: **%s%% pass rate (%s–%s%%)**", b.Passed, b.Samples, rate(b.PassRate), rate(b.PassRateCI.Lo), rate(b.PassRateCI.Hi)),
		fmt.Sprintf("TTFT p50 %s vs %s", msText(b.TTFTP50Ms), msText(a.TTFTP50Ms)),
		fmt.Sprintf("this design detects only **%.0f pts** or more", 100*c.Power.MDE)) // two tasks detect no difference
	if c.Significant || strings.Contains(findings, "tiny-m is better") {
		t.Errorf("two tasks gave a significant difference (%s), or the write-up claims one", c.Verdict)
	}
	// The same from run_ids.
	if byRuns := mustGet("write_findings", map[string]string{"run_ids": a.RunID + ", " + b.RunID}); !strings.Contains(byRuns, fmt.Sprintf("**%s%% pass rate", rate(b.PassRate))) {
		t.Errorf("write_findings by run_ids lacks tiny-m's pass rate:\n%s", byRuns)
	}

	writeup := mustGet("compare_writeup", byID)
	t.Logf("write_findings:\n%s\ncompare_writeup:\n%s", findings, writeup)
	wantAll("compare_writeup", writeup, "side-by-side verdicts of comparison "+cmp.ComparisonID, "Use only the numbers below",
		fmt.Sprintf("| tiny-s (baseline) | tiny-s | %s%% (%s%%–%s%%) |", rate(a.PassRate), rate(a.PassRateCI.Lo), rate(a.PassRateCI.Hi)),
		fmt.Sprintf("- tiny-m against tiny-s: %s%% → %s%%", rate(c.PassRate.A), rate(c.PassRate.B)), "**"+c.Verdict+"**")
	prompt := map[string]string{"add-1": "What is 47+385?", "srt-1": "Sort the letters dcab."}
	for _, row := range cmp.Tasks {
		// Each task's row names its prompt, each variant's verdict, score and latency, and the winner.
		head := fmt.Sprintf("| %s (%s): %s |", row.Task, row.Category, prompt[row.Task])
		i := strings.Index(writeup, head)
		if i < 0 {
			t.Errorf("compare_writeup has no row %q:\n%s", head, writeup)
			continue
		}
		line := writeup[i : i+strings.Index(writeup[i:], "\n")]
		var wants []string
		for _, cell := range row.Variants {
			wants = append(wants, fmt.Sprintf(" %.0f/1 pass, score %.2f, %s, ", cell.PassRate, cell.MeanScore, msText(cell.LatencyP50Ms)))
		}
		wantAll("row "+row.Task, line, append(wants, "| "+row.Winner+" |")...)
	}

	// What to pass when the id is missing or unknown: the newest comparisons.
	for _, tc := range []struct {
		name string
		args map[string]string
		want []string
	}{
		{"write_findings", nil, []string{"give comparison_id", "run_ids", cmp.ComparisonID}},
		{"compare_writeup", map[string]string{"comparison_id": "c19990101-000000.000"}, []string{"comparison c19990101-000000.000 is not in the store", "newest comparison ids: " + cmp.ComparisonID}},
		{"write_findings", map[string]string{"run_ids": "r-nope, " + a.RunID}, []string{"run r-nope is not in the store"}},
		{"plan_benchmark", map[string]string{}, []string{"model is required"}},
		{"plan_benchmark", map[string]string{"model": "tiny-m", "iterations": "many"}, []string{"iterations \"many\" is not a whole number"}},
	} {
		_, err := get(tc.name, tc.args)
		if err == nil {
			t.Errorf("%s %v: no error", tc.name, tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: error %q lacks %q", tc.name, tc.args, err, w)
			}
		}
	}
}

// msText is a duration as the reports write it: milliseconds, or seconds from 1 s.
func msText(x float64) string {
	if x >= 1000 {
		return fmt.Sprintf("%.2f s", x/1000)
	}
	return fmt.Sprintf("%.1f ms", x)
}
