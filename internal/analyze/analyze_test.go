package analyze

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// mk builds a run of model on suite "s" (hash h1) started day days after t0,
// with one sample per verdict (task t<i>, iteration 1) and latency p50 lat.
func mk(id, model string, day int, lat float64, verdicts ...bool) Input {
	in := Input{Run: record.Run{ID: id, Model: model, Suite: "s", SuiteHash: "h1", Status: record.StatusCompleted, StartedAt: t0.Add(time.Duration(day) * 24 * time.Hour)}}
	passed := 0
	for i, v := range verdicts {
		in.Samples = append(in.Samples, record.Sample{RunID: id, TaskID: fmt.Sprintf("t%d", i), Iteration: 1, Pass: v, Measurement: record.Measurement{WallMs: lat}})
		if v {
			passed++
		}
	}
	n := len(verdicts)
	in.Run.Summary = &record.Summary{Headline: record.Headline{Samples: n, PassRate: float64(passed) / float64(max(n, 1)), PassRateCI: stats.WilsonRate(float64(passed)/float64(max(n, 1)), float64(n), 0.95), LatencyP50Ms: lat}, Passed: passed}
	return in
}

func verdicts(pass, fail int) []bool {
	v := make([]bool, 0, pass+fail)
	for range pass {
		v = append(v, true)
	}
	for range fail {
		v = append(v, false)
	}
	return v
}

func TestCompare(t *testing.T) {
	base := mk("b", "m", 0, 100, verdicts(10, 0)...)
	for _, tc := range []struct {
		name    string
		run     Input
		verdict string
		p       float64
		table   stats.McNemarTable
		ratio   float64
	}{
		// 7 baseline passes lost, none gained: p = 2 * 0.5^7 = 0.015625.
		{"pass-rate regression", mk("r", "m", 1, 100, verdicts(3, 7)...), Regression, 0.015625, stats.McNemarTable{BothPass: 3, AOnly: 7}, 1},
		// 4 lost: p = 2 * 0.5^4 = 0.125, not significant.
		{"not significant", mk("r", "m", 1, 110, verdicts(6, 4)...), Stable, 0.125, stats.McNemarTable{BothPass: 6, AOnly: 4}, 1.1},
		{"latency regression", mk("r", "m", 1, 130, verdicts(10, 0)...), Regression, 1, stats.McNemarTable{BothPass: 10}, 1.3},
		{"latency improvement", mk("r", "m", 1, 70, verdicts(10, 0)...), Improvement, 1, stats.McNemarTable{BothPass: 10}, 0.7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(base, tc.run, nil)
			if c.Verdict != tc.verdict || c.PValue == nil || math.Abs(*c.PValue-tc.p) > 1e-12 || math.Abs(c.LatencyRatio-tc.ratio) > 1e-12 || c.Pairs != 10 {
				t.Errorf("verdict %s, p %v, ratio %v, pairs %d; want %s, %v, %v, 10 (%v)", c.Verdict, deref(c.PValue), c.LatencyRatio, c.Pairs, tc.verdict, tc.p, tc.ratio, c.Reasons)
			}
			if diff := cmp.Diff(tc.table, *c.Table); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
		})
	}
	// Without samples there is no paired test, and so no pass-rate verdict.
	noSamples := mk("r", "m", 1, 100, verdicts(0, 10)...)
	noSamples.Samples = nil
	if c := Compare(base, noSamples, nil); c.PValue != nil || c.Verdict != Stable || c.PassRateDiff != -1 {
		t.Errorf("unpaired: %+v", c)
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func TestAnalyzeTrendsAndBaselines(t *testing.T) {
	// Given in scrambled order; the series must come out oldest first.
	runs := []Input{
		mk("m2", "m", 2, 100, verdicts(8, 2)...),
		mk("m0", "m", 0, 100, verdicts(10, 0)...),
		mk("m3", "m", 3, 100, verdicts(3, 7)...),
		mk("m1", "m", 1, 100, verdicts(9, 1)...),
		mk("s0", "small", 1, 50, verdicts(5, 5)...),
	}
	res := Analyze(runs, nil, nil)
	var ids []string
	for _, r := range res.Runs {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{"m3", "m2", "m1", "s0", "m0"}, ids); diff != "" {
		t.Errorf("runs not newest first (-want +got):\n%s", diff)
	}
	if len(res.Trends) != 2 || res.Trends[0].Model != "m" {
		t.Fatalf("trends %+v", res.Trends)
	}
	tr := res.Trends[0]
	var pts []string
	for _, p := range tr.Points {
		pts = append(pts, p.RunID)
	}
	if diff := cmp.Diff([]string{"m0", "m1", "m2", "m3"}, pts); diff != "" {
		t.Errorf("trend not oldest first (-want +got):\n%s", diff)
	}
	if tr.PassRateDirection != "down" || math.Abs(tr.PassRateChange+0.7) > 1e-9 || tr.LatencyDirection != "flat" || tr.LatencyRatio != 1 {
		t.Errorf("trend %+v", tr)
	}
	// Without a stored baseline the oldest run is the baseline; m3 lost 7.
	got := map[string]string{}
	for _, c := range res.Regressions {
		if c.BaselineRunID != "m0" {
			t.Errorf("%s compared with %s, want m0", c.RunID, c.BaselineRunID)
		}
		got[c.RunID] = c.Verdict
	}
	if diff := cmp.Diff(map[string]string{"m1": Stable, "m2": Stable, "m3": Regression}, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if !hasFinding(res, "m on s: pass rate 30% (95% CI 11–60%), 20 points below small.") {
		t.Errorf("findings: %q", res.Findings)
	}
	if !hasFinding(res, "run m3 is a regression against baseline m0") {
		t.Errorf("findings: %q", res.Findings)
	}

	// A given baseline is used; a run of another suite hash is not compared.
	other := mk("m4", "m", 4, 100, verdicts(3, 7)...)
	other.Run.SuiteHash = "h2"
	res = Analyze(append(runs, other), map[Key]Input{{"m", "s"}: runs[2]}, nil)
	got = map[string]string{}
	for _, c := range res.Regressions {
		got[c.RunID] = c.BaselineRunID
	}
	if diff := cmp.Diff(map[string]string{"m0": "m3", "m1": "m3", "m2": "m3"}, got); diff != "" {
		t.Errorf("baselines (-want +got):\n%s", diff)
	}
	if !hasFinding(res, "1 runs used a different version of the suite") {
		t.Errorf("findings: %q", res.Findings)
	}
}

func TestAnomalies(t *testing.T) {
	runs := []Input{
		mk("a", "m", 0, 100, verdicts(10, 0)...),
		mk("b", "m", 1, 104, verdicts(10, 0)...),
		mk("c", "m", 2, 98, verdicts(10, 0)...),
		mk("d", "m", 3, 400, verdicts(10, 0)...), // 300 ms from the median 102 ms; MAD 3 ms
		mk("e", "m", 4, 101, verdicts(10, 0)...),
	}
	// Analyze recomputes every summary from the samples, so the anomalies
	// are set on the samples.
	runs[1].Samples[0].Flags.Runaway = true // 1 of 10 = 10%: an anomaly
	runs[0].Samples[3].Flags.Reloaded = true
	runs[0].Samples[4].Flags.Reloaded = true
	for i := range runs[4].Samples { // the judge agrees on 5 of 10 < 0.6
		runs[4].Samples[i].Checks = []record.CheckResult{{Type: "exact", Pass: true}, {Type: "llm_judge", Pass: i%2 == 0}}
	}
	res := Analyze(runs, nil, nil)
	got := map[string]string{}
	for _, a := range res.Anomalies {
		got[a.RunID] += a.Kind + " "
		if a.Reason == "" {
			t.Errorf("%s %s without a reason", a.RunID, a.Kind)
		}
	}
	want := map[string]string{"a": "reloads ", "b": "runaway ", "d": "latency_outlier ", "e": "judge_agreement "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("anomalies (-want +got):\n%s\n%+v", diff, res.Anomalies)
	}
	// Fewer than four runs: no outlier test.
	if res := Analyze(runs[1:4], nil, nil); strings.Contains(fmt.Sprint(res.Anomalies), "latency_outlier") {
		t.Errorf("outlier on 3 runs: %+v", res.Anomalies)
	}
	// d is also a latency regression against a.
	for _, c := range res.Regressions {
		if (c.RunID == "d") != (c.Verdict == Regression) {
			t.Errorf("%s: %s %v", c.RunID, c.Verdict, c.Reasons)
		}
	}
}

func hasFinding(res Result, sub string) bool {
	for _, f := range res.Findings {
		if strings.Contains(f, sub) {
			return true
		}
	}
	return false
}

func TestCompareRefusesIncomparableRuns(t *testing.T) {
	base := mk("b", "m", 0, 100, verdicts(10, 0)...)
	run := mk("r", "m", 1, 100, verdicts(3, 7)...)
	run.Run.Options = map[string]any{"num_ctx": 4096}
	run.Run.OllamaVersion = "0.18.0"
	c := Compare(base, run, nil)
	if c.Verdict != Incomparable || c.PValue != nil || len(c.Reasons) != 2 || !strings.Contains(c.Reasons[0], "num_ctx") {
		t.Errorf("different options and version: %+v", c)
	}
	res := Analyze([]Input{base, run}, nil, nil)
	if !hasFinding(res, "was not compared with baseline b") || !hasFinding(res, "allow_differences") {
		t.Errorf("findings %v", res.Findings)
	}
	// Allowed: tested, and the difference is listed.
	if c := Compare(base, run, []string{"options", "ollama_version"}); c.Verdict != Regression || len(c.Differences) != 2 || !c.Differences[0].Allowed {
		t.Errorf("allowed: %+v", c)
	}
}

func TestCompareCountsTasksNotReplays(t *testing.T) {
	// 7 tasks lost, each replayed 3 times: 21 discordant pairs, but 7 tasks:
	// p = 2 * 0.5^7 = 0.015625, as with one iteration.
	base := mk("b", "m", 0, 100, verdicts(10, 0)...)
	run := mk("r", "m", 1, 100, verdicts(3, 7)...)
	for _, in := range []*Input{&base, &run} {
		one := in.Samples
		for it := 2; it <= 3; it++ {
			for _, s := range one {
				s.Iteration = it
				in.Samples = append(in.Samples, s)
			}
		}
	}
	c := Compare(base, run, nil)
	if c.Pairs != 30 || c.Tasks != 10 || c.Table.AOnly != 21 || c.PValue == nil || math.Abs(*c.PValue-0.015625) > 1e-12 || c.Test != "sign_flip_permutation" {
		t.Errorf("replayed: pairs %d tasks %d table %+v p %v test %s; want 30, 10, 21 lost pairs, p 0.015625", c.Pairs, c.Tasks, c.Table, deref(c.PValue), c.Test)
	}
}

// finished is run id of model on suite (hash h1) started day days after
// t0, iterations per task, as the runner stores it: completed, its samples
// (verdicts[task] per iteration; task t0 errored, t1 a runaway) and the
// summary bench.Summarize made at its end.
func finished(id, model, suiteName string, day, iterations int, lat float64, verdicts ...bool) Input {
	in := Input{Run: record.Run{ID: id, Model: model, Suite: suiteName, SuiteHash: "h1", Status: record.StatusCompleted, Iterations: iterations, StartedAt: t0.Add(time.Duration(day) * 24 * time.Hour)}}
	for it := 1; it <= iterations; it++ {
		for i, v := range verdicts {
			pass := v != (it == 2 && i%3 == 0) // the second iteration flips some
			smp := record.Sample{RunID: id, TaskID: fmt.Sprintf("t%d", i), Iteration: it, Pass: pass, Score: b2f(pass)*0.7 + 0.1, Measurement: record.Measurement{WallMs: lat + float64(i), TTFTMs: 10, GenTPS: 40}}
			smp.Error = map[bool]string{true: "boom"}[i == 0 && it == 1]
			smp.Flags.Runaway = i == 1
			in.Samples = append(in.Samples, smp)
		}
	}
	var s suite.Suite
	for i := len(verdicts) - 1; i >= 0; i-- { // suite order is not sample order
		s.Tasks = append(s.Tasks, suite.Task{ID: fmt.Sprintf("t%d", i)})
	}
	sum := bench.Summarize(s, in.Samples, time.Minute)
	in.Run.Summary = &sum
	return in
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestAnalyzeFromStoredSummaries: runs whose stored summaries are current
// give, without their samples (but those SamplesNeeded names), the analysis
// their samples give.
func TestAnalyzeFromStoredSummaries(t *testing.T) {
	runs := []Input{
		// One iteration: paired from the summaries' per-task verdicts.
		finished("a0", "m", "one", 0, 1, 100, verdicts(10, 0)...),
		finished("a1", "m", "one", 1, 1, 101, verdicts(9, 1)...),
		finished("a2", "m", "one", 2, 1, 100, verdicts(2, 8)...),
		finished("a3", "m", "one", 3, 1, 300, verdicts(10, 0)...),
		finished("b0", "small", "one", 1, 1, 50, verdicts(6, 4)...),
		// Three iterations: the pairs need the samples.
		finished("c0", "m", "three", 0, 3, 100, verdicts(10, 0)...),
		finished("c1", "m", "three", 1, 3, 100, verdicts(3, 7)...),
	}
	stale := finished("a4", "m", "one", 4, 1, 100, verdicts(5, 5)...)
	stale.Run.Summary.Version = 0 // stored by an older version
	interrupted := finished("a5", "m", "one", 5, 1, 100, verdicts(8, 2)...)
	interrupted.Run.Status = record.StatusInterrupted // may have samples newer than its summary
	runs = append(runs, stale, interrupted)
	base := map[Key]Input{{"small", "one"}: finished("bb", "small", "one", 0, 1, 50, verdicts(7, 3)...)}

	// What the samples give: every summary recomputed, every pair from samples.
	old := slices.Clone(runs)
	for i := range old {
		s := *old[i].Run.Summary
		s.Version = 0
		old[i].Run.Summary = &s
	}
	want := Analyze(old, base, nil)

	bare := func(in Input) Input { return Input{Run: in.Run} }
	var without []Input
	for _, in := range runs {
		without = append(without, bare(in))
	}
	need := SamplesNeeded(without, map[Key]Input{{"small", "one"}: bare(base[Key{"small", "one"}])}, nil)
	if diff := cmp.Diff(map[string]bool{"a4": true, "a5": true, "c0": true, "c1": true}, need); diff != "" {
		t.Errorf("samples needed (-want +got):\n%s", diff)
	}
	var given []Input
	for _, in := range runs {
		if !need[in.Run.ID] {
			in = bare(in)
		}
		given = append(given, in)
	}
	got := Analyze(given, map[Key]Input{{"small", "one"}: bare(base[Key{"small", "one"}])}, nil)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("analysis from stored summaries (-samples +summaries):\n%s", diff)
	}
	// The test is there to compare: a regression, paired by task.
	var tested int
	for _, c := range got.Regressions {
		if c.Table != nil {
			tested++
		}
		if c.RunID == "a2" && (c.Verdict != Regression || c.Tasks != 10 || c.Test != "mcnemar_exact") {
			t.Errorf("a2 against a0: %+v", c)
		}
	}
	if tested != len(got.Regressions) || tested != 7 {
		t.Errorf("%d of %d regressions tested, want all 7", tested, len(got.Regressions))
	}
}
