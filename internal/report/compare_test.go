package report

import (
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
)

func TestCompareMarkdown(t *testing.T) {
	sample := func(task string, pass bool, ms float64, out string) record.Sample {
		smp := record.Sample{TaskID: task, Iteration: 1, Pass: pass, Measurement: record.Measurement{WallMs: ms, Output: out}}
		if pass {
			smp.Score = 1
		}
		return smp
	}
	s := compare.Variant{Label: "tiny-s", Run: record.Run{ID: "r1", Model: "tiny-s"}, Samples: []record.Sample{
		sample("add-01", true, 10, "8"), sample("add-03", false, 12, "4 | 3"),
	}}
	m := compare.Variant{Label: "tiny-m+concise", Preamble: "concise", Run: record.Run{ID: "r2", Model: "tiny-m", Preamble: "Be brief."}, Samples: []record.Sample{
		sample("add-01", true, 30, "8"), sample("add-03", true, 31, "432"),
	}}
	mp := compare.Variant{Label: "tiny-m", Run: record.Run{ID: "r3", Model: "tiny-m"}, Samples: []record.Sample{
		sample("add-01", true, 29, "8"), sample("add-03", false, 28, "431"),
	}}
	res, err := compare.Compare([]compare.Variant{s, m, mp}, "tiny-s")
	if err != nil {
		t.Fatal(err)
	}
	md := CompareMarkdown("tiny-s vs tiny-m on tiny", res)
	for _, want := range []string{
		"## tiny-s vs tiny-m on tiny\n",
		"| variant | model | pass rate (95% CI) |",
		"| tiny-s (baseline) | tiny-s | **50%** (1/2, ",
		"| tiny-m+concise | tiny-m + concise | **100%** (2/2, ",
		"| comparison | tasks × iterations | pass rate a → b | diff (95% CI) |",
		// Two tasks, one iteration; the interval is clipped to the possible range.
		"| tiny-m+concise vs tiny-s | 2 × 1 | 50% → 100% | +50 pt (-100 pt to +100 pt) | ",
		// One discordant task gives p = 1; two tasks detect only 100 points;
		// latency p50 30.5 ms over 11 ms.
		"| 1.000 (McNemar) | 1.000 | 100% | 2.77× | no clear difference |",
		"| Task | tiny-s | tiny-m+concise | tiny-m | Winner |\n|---|---|---|---|---|\n",
		"| add-01 | ✓ 10.0 ms `8` | ✓ 30.0 ms `8` | ✓ 29.0 ms `8` | tie |\n",
		"| add-03 | ✗ 12.0 ms `4 \\| 3` | ✓ 31.0 ms `432` | ✗ 28.0 ms `431` | tiny-m+concise |\n",
		"Wins: tiny-s 0 · tiny-m+concise 1 · tiny-m 0 · tie 1\n",
		"Pareto frontier (pass_rate up, latency_p50_ms down): **tiny-s, tiny-m+concise**; dominated: tiny-m (by tiny-s).\n",
		"- tiny-m 50 -> 100 (+50) with concise\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table row has as many cells as its header.
	for _, block := range strings.Split(md, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if !strings.HasPrefix(lines[0], "|") {
			continue
		}
		cols := cells(lines[0])
		for _, l := range lines[1:] {
			if got := cells(l); got != cols {
				t.Errorf("row has %d cells, header %d: %s", got, cols, l)
			}
		}
	}
}

// cells counts the cells of a markdown table row, ignoring escaped pipes.
func cells(row string) int {
	return strings.Count(strings.ReplaceAll(row, `\|`, ""), "|") - 1
}

// TestRubricMarkdown: per-criterion points per variant, and the changes
// that explain a preamble's regression (Problem Analysis 20/20 -> 16/20).
func TestRubricMarkdown(t *testing.T) {
	judged := func(task string, pa, cc float64) record.Sample {
		return record.Sample{TaskID: task, Iteration: 1, Pass: true, Score: 1, Checks: []record.CheckResult{{Type: "llm_judge", Pass: true,
			Judge: &record.JudgeVerdict{Criteria: []record.CriterionScore{{Name: "Problem Analysis", Weight: 20, Score: pa}, {Name: "Code Completeness", Weight: 30, Score: cc}}}}}}
	}
	base := compare.Variant{Label: "coder", Run: record.Run{ID: "r1", Model: "m"}, Samples: []record.Sample{judged("t1", 1, 1), judged("t2", 1, 1)}}
	pre := compare.Variant{Label: "coder+terse", Run: record.Run{ID: "r2", Model: "m"}, Samples: []record.Sample{judged("t1", 0.8, 0.9), judged("t2", 0.8, 0.76666666)}}
	res, err := compare.Compare([]compare.Variant{base, pre}, "coder")
	if err != nil {
		t.Fatal(err)
	}
	md := RubricMarkdown(res)
	for _, want := range []string{
		"| criterion | weight | coder | coder+terse |",
		"| Problem Analysis | 20 | 20/20 (2 judged) | 16/20 (2 judged) |",
		"| Code Completeness | 30 | 30/30 (2 judged) | 25/30 (2 judged) |",
		"- coder+terse vs coder: Problem Analysis 20/20 → 16/20 (-4.0), Code Completeness 30/30 → 25/30 (-5.0)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("rubric markdown lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(CompareMarkdown("x", res), "Judge rubric") {
		t.Error("the comparison's markdown has no rubric table")
	}
	if RubricMarkdown(compare.Result{}) != "" {
		t.Error("a comparison without rubric scores got a rubric table")
	}
}
