package prompts

import (
	"fmt"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
)

func TestPlanBenchmark(t *testing.T) {
	st := suite.Suite{Name: "tiny"}
	for i := range 12 {
		st.Tasks = append(st.Tasks, suite.Task{ID: fmt.Sprintf("t%d", i)})
	}
	plan := bench.MakePlan(st, 3, 1, bench.SeedPlan{Mode: bench.SeedsDrawn}, bench.DefaultEffect, 0, nil, 0)
	p := plan.Power
	if p.MDE <= p.Effect || p.IterationsNeeded != 0 {
		t.Fatalf("premise: 12 tasks at 3 iterations detect %.2f, iterations needed %d", p.MDE, p.IterationsNeeded)
	}
	text := PlanBenchmark("qwen2.5-coder:1.5b", "is it good enough for code review", plan)
	for _, want := range []string{
		"benchmark the local model qwen2.5-coder:1.5b on Ollama: is it good enough for code review.",
		"Use only the numbers below",
		"suite tiny, 12 tasks × 3 iterations = 36 calls per variant.",
		fmt.Sprintf("detects differences of **%.0f points** or more", 100*p.MDE),
		fmt.Sprintf("A 10-point difference needs **%d tasks** at 3 iterations; no number of iterations on these 12 tasks reaches it.", p.TasksNeeded),
		"| iterations | MDE with 12 tasks |", // the power table
		"run_benchmark with model=qwen2.5-coder:1.5b, suite=tiny and iterations=3",
		"write_findings",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan prompt lacks %q:\n%s", want, text)
		}
	}
	// A design that reaches the effect with more iterations says how many.
	plan.Power = bench.PairedPower(0.001, 0.2, 0.2, true, 100, 1, bench.DefaultEffect)
	if plan.Power.IterationsNeeded == 0 {
		t.Fatal("premise: iterations reach the effect")
	}
	text = PlanBenchmark("m", "", plan)
	if want := fmt.Sprintf("or **%d iterations** on these 12 tasks", plan.Power.IterationsNeeded); !strings.Contains(text, want) {
		t.Errorf("plan prompt lacks %q:\n%s", want, text)
	}
}

// result is tiny-s against tiny-m on four tasks, one iteration.
func result(t *testing.T) compare.Result {
	t.Helper()
	smp := func(task string, pass bool, ms, ttft float64, out string) record.Sample {
		s := record.Sample{TaskID: task, Iteration: 1, Pass: pass, Measurement: record.Measurement{WallMs: ms, TTFTMs: ttft, Output: out, GenTPS: 200}}
		if pass {
			s.Score = 1
		}
		return s
	}
	a := compare.Variant{Label: "tiny-s", Run: record.Run{ID: "r1", Model: "tiny-s"}, Samples: []record.Sample{
		smp("add-1", false, 30, 12, "417"), smp("mul-1", true, 31, 12, "266"), smp("rev-1", false, 29, 12, "planet"), smp("srt-1", true, 28, 12, "abcd"),
	}}
	b := compare.Variant{Label: "tiny-m", Run: record.Run{ID: "r2", Model: "tiny-m"}, Samples: []record.Sample{
		smp("add-1", true, 45, 30, "432"), smp("mul-1", true, 44, 30, "266"), smp("rev-1", false, 46, 30, "tenalpp"), smp("srt-1", true, 43, 30, "abcd"),
	}}
	r, err := compare.Compare([]compare.Variant{a, b}, "tiny-s")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWriteFindings(t *testing.T) {
	r := result(t)
	text := WriteFindings("comparison c1 (tiny-s vs tiny-m on quick)", findings.Findings(r))
	for _, want := range []string{
		"Write the findings report of comparison c1 (tiny-s vs tiny-m on quick)",
		"Use only the numbers below",
		"**Executive summary**", "exactly three", "latency-sensitive work (TTFT)", "throughput-bound", "| risk | evidence | mitigation |",
		// The facts: the deterministic write-up with the real numbers.
		"### Executive summary", "**50% pass rate (15–85%)**", "**75% pass rate (30–95%)**",
		"**no clear difference (+25 pts, p = 1)**", "TTFT p50 30.0 ms vs 12.0 ms",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("findings prompt lacks %q:\n%s", want, text)
		}
	}
}

func TestCompareWriteup(t *testing.T) {
	r := result(t)
	text := CompareWriteup("comparison c1", r, map[string]string{"add-1": "What is 47+385?"})
	for _, want := range []string{
		"side-by-side verdicts of comparison c1", "Use only the numbers below", "baseline tiny-s",
		"| tiny-s (baseline) | tiny-s | 50% (15%–85%) | 0 of 4 | 29.5 ms | 12.0 ms | 200 |",
		"| tiny-m | tiny-m | 75% (30%–95%) | 1 of 4 |",
		"Ties: 3 of 4 tasks.",
		"- tiny-m against tiny-s: 50% → 75%, +25 pts",
		": **no clear difference**.",
		"| add-1: What is 47+385? | 0/1 pass, score 0.00, 30.0 ms, `417` | 1/1 pass, score 1.00, 45.0 ms, `432` | tiny-m | higher pass rate: tiny-s 0/1, tiny-m 1/1 |",
		"| mul-1 | 1/1 pass, score 1.00, 31.0 ms, `266` | 1/1 pass, score 1.00, 44.0 ms, `266` | tie | tie on pass rate and score (tiny-s 1/1, tiny-m 1/1); fastest of the tied: tiny-s at 31.0 ms |",
		"| rev-1 | 0/1 pass, score 0.00, 29.0 ms, `planet` | 0/1 pass, score 0.00, 46.0 ms, `tenalpp` | tie |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("compare prompt lacks %q:\n%s", want, text)
		}
	}
}
