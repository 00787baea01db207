package findings_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/findings -update to write it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-golden +got); if the change is meant, go test ./internal/findings -run %s -update:\n%s", name, t.Name(), d)
	}
}

// variantOf makes a variant of 12 tasks × 2 iterations: pass(task, it)
// says which samples pass; every call takes ms end to end and ttft to its
// first token, generating tps tokens/s.
func variantOf(label, model string, ms, ttft, tps float64, pass func(task, it int) bool) compare.Variant {
	v := compare.Variant{Label: label, Run: record.Run{ID: "run-" + label, Model: model, Status: record.StatusCompleted,
		Seeds: &record.SeedInfo{Mode: "derived", Seeds: []int{101, 102}}}}
	for task := 1; task <= 12; task++ {
		for it := 1; it <= 2; it++ {
			seed := 100 + it
			s := record.Sample{RunID: v.Run.ID, TaskID: fmt.Sprintf("t%02d", task), Category: "calc", Iteration: it, Seed: &seed,
				Measurement: record.Measurement{Output: "answer", WallMs: ms + float64(task), TTFTMs: ttft, GenTPS: tps, EvalTokens: 20}}
			if pass(task, it) {
				s.Pass, s.Score = true, 1
			}
			v.Samples = append(v.Samples, s)
		}
	}
	return v
}

// judged gives the first task's samples a judge rubric.
func judged(v compare.Variant, correctness, clarity float64) compare.Variant {
	for i := range v.Samples[:2] {
		v.Samples[i].Checks = append(v.Samples[i].Checks, record.CheckResult{Type: "llm_judge", Pass: true, Score: 1, Judge: &record.JudgeVerdict{
			Model: "tiny-judge", Criteria: []record.CriterionScore{{Name: "Correctness", Weight: 20, Score: correctness}, {Name: "Clarity", Weight: 10, Score: clarity}},
		}})
	}
	return v
}

// findingsFixture is three variants: small (the baseline) passes tasks
// 1-5; medium passes all but one iteration of task 12, significantly more,
// at twice the latency, and loses rubric points on clarity; quick passes
// about as often as small (no clear difference) with the lowest TTFT, one
// runaway and one reload.
func findingsFixture(t *testing.T) (compare.Result, []record.Run) {
	t.Helper()
	small := judged(variantOf("small", "tiny-s", 100, 40, 300, func(task, it int) bool { return task <= 5 }), 0.75, 0.9)
	medium := judged(variantOf("medium", "tiny-m", 200, 120, 140, func(task, it int) bool { return task < 12 || it == 1 }), 1, 0.6)
	quick := variantOf("quick", "tiny-q", 60, 25, 400, func(task, it int) bool { return task <= 4 || task == 6 || (task == 5 && it == 1) })
	quick.Samples[14].Flags.Runaway = true // task 8, iteration 1: a failing sample
	quick.Samples[20].Flags.Reloaded = true
	res, err := compare.Compare([]compare.Variant{small, medium, quick}, "small")
	if err != nil {
		t.Fatal(err)
	}
	agree := 0.5
	runs := []record.Run{small.Run, medium.Run, quick.Run}
	runs[1].Summary = &record.Summary{JudgeAgreement: &agree}
	return res, runs
}

func TestFindingsGolden(t *testing.T) {
	res, runs := findingsFixture(t)
	for _, c := range res.Comparisons { // the fixture's premises
		t.Logf("%s: %s, p_adj %.4f, MDE %.2f", c.B, c.Verdict, c.PAdjusted, c.Power.MDE)
	}
	if c := res.Comparisons[0]; c.B != "medium" || !c.Significant || c.Verdict != compare.Better {
		t.Fatalf("fixture: medium against small is %s (significant %v), want significant better", c.Verdict, c.Significant)
	}
	if c := res.Comparisons[1]; c.B != "quick" || c.Significant || c.Verdict != compare.NoDifference {
		t.Fatalf("fixture: quick against small is %s, want no clear difference", c.Verdict)
	}
	w := findings.Findings(res, runs...)
	md := report.FindingsMarkdown(w)
	golden(t, "findings.md", md)

	if n := strings.Count(w.ExecutiveSummary, ". "); n < 1 || n > 3 {
		t.Errorf("executive summary has %d sentences, want 2-4: %s", n+1, w.ExecutiveSummary)
	}
	for _, want := range []string{"small at a 42% pass rate (19–68%)", "medium is better: +54 pts, p = 0.031", "quick shows no clear difference: +4 pts, p = 1", "detects only 27 pts"} {
		if !strings.Contains(w.ExecutiveSummary, want) {
			t.Errorf("executive summary lacks %q: %s", want, w.ExecutiveSummary)
		}
	}
	for i, f := range w.Findings {
		if !strings.Contains(f, "**") {
			t.Errorf("finding %d has no bold callout: %s", i+1, f)
		}
	}
	if len(w.Recommendations) < 3 {
		t.Fatalf("%d recommendations, want quality, latency and throughput", len(w.Recommendations))
	}
	for i, r := range w.Recommendations {
		if r.Evidence == "" || len(r.Findings) == 0 {
			t.Errorf("recommendation %d has no evidence: %+v", i+1, r)
		}
		for _, n := range r.Findings {
			if n < 1 || n > len(w.Findings) {
				t.Errorf("recommendation %d cites finding %d of %d", i+1, n, len(w.Findings))
			}
		}
	}
	// Quality goes to medium; latency and throughput to quick, naming the
	// pass rate it accepts: its cost against medium is not tested directly
	// (neither is the other's baseline).
	for i, want := range []string{"Use medium where quality matters.",
		"Use quick for latency-sensitive work where a 46% pass rate (against 96% for medium) is acceptable.",
		"Use quick for throughput-bound batch work where a 46% pass rate (against 96% for medium) is acceptable."} {
		if w.Recommendations[i].Action != want {
			t.Errorf("recommendation %d is %q, want %q", i+1, w.Recommendations[i].Action, want)
		}
	}
	if !strings.Contains(w.Recommendations[1].Evidence, "TTFT p50 25.0 ms vs 40.0 ms for small, 120.0 ms for medium") ||
		!strings.Contains(w.Recommendations[1].Evidence, "not tested against each other") {
		t.Errorf("latency recommendation: %s", w.Recommendations[1].Evidence)
	}
	risks := map[string]bool{}
	for _, r := range w.Risks {
		risks[r.Risk] = true
	}
	for _, want := range []string{"Small sample", "Runaways", "Reloads", "Judge disagreement", "Rubric regression"} {
		if !risks[want] {
			t.Errorf("risks lack %q: %+v", want, w.Risks)
		}
	}
	if risks["Replays"] || risks["Collapse"] {
		t.Errorf("risks flag what did not happen: %+v", w.Risks)
	}
}

// TestFindingsNoClearDifference: when no test supports a difference, the
// write-up says so with the MDE and never calls a variant better or worse.
func TestFindingsNoClearDifference(t *testing.T) {
	a := variantOf("a", "tiny-s", 100, 40, 300, func(task, it int) bool { return task <= 6 })
	b := variantOf("b", "tiny-m", 300, 120, 100, func(task, it int) bool { return task <= 5 || task == 7 || task == 8 })
	res, err := compare.Compare([]compare.Variant{a, b}, "a")
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Comparisons[0]; c.Verdict != compare.NoDifference {
		t.Fatalf("fixture: verdict %s", c.Verdict)
	}
	w := findings.Findings(res)
	md := report.FindingsMarkdown(w)
	for _, banned := range []string{"better", "worse", "outperform", "beats", "superior", "significantly"} {
		if strings.Contains(strings.ToLower(md), banned) {
			t.Errorf("write-up says %q without a significant test:\n%s", banned, md)
		}
	}
	mde := fmt.Sprintf("detects only **%.0f pts** or more", 100*res.Comparisons[0].Power.MDE)
	for _, want := range []string{"**no clear difference (+8 pts, p = 1)**", mde, "Keep a as the quality reference"} {
		if !strings.Contains(md, want) {
			t.Errorf("write-up lacks %q:\n%s", want, md)
		}
	}
	// b is slower on every axis: a is the pick for latency and throughput too.
	if got := w.Recommendations[1].Action; got != "Use a for latency-sensitive work as well." {
		t.Errorf("latency recommendation %q", got)
	}
	if !strings.Contains(md, "**2.9× slower**") {
		t.Errorf("no speed callout:\n%s", md)
	}
}

// TestFindingsRisks: a variant that breaks collapses, and pinned seeds
// make replays; both are in the risks, and the quality pick stays with
// the baseline.
func TestFindingsRisks(t *testing.T) {
	a := variantOf("a", "tiny-s", 100, 40, 300, func(task, it int) bool { return task <= 8 })
	a.Run.Seeds = &record.SeedInfo{Mode: "pinned", Seeds: []int{7, 7}}
	b := variantOf("b", "tiny-x", 50, 20, 500, func(task, it int) bool { return false })
	for i := range b.Samples {
		b.Samples[i].Flags.Empty, b.Samples[i].Output = true, ""
	}
	res, err := compare.Compare([]compare.Variant{a, b}, "a")
	if err != nil {
		t.Fatal(err)
	}
	w := findings.Findings(res)
	md := report.FindingsMarkdown(w)
	for _, want := range []string{"b against a: **collapse**", "| Collapse | b broke on 100% of its samples", "| Replays | options.seed pins every iteration of a",
		"**Keep a where quality matters.**", "**Use a for latency-sensitive work as well.**"} {
		if !strings.Contains(md, want) {
			t.Errorf("write-up lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(w.ExecutiveSummary, "b answers first") {
		t.Errorf("the summary touts the collapsed variant's speed: %s", w.ExecutiveSummary)
	}
}
