package server_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestCompareModelsOverStdio is compare_models' acceptance test: tiny-s,
// tiny-m and tiny-l on the tiny suite, live, then again from the stored runs.
// It claims nothing about which model is faster (BenchmarkFixtureSpeeds
// prints that): the speed numbers must be there and consistent with each
// other, the frontier must be the one of the reported numbers, and each
// model must be loaded once, from a server that held none.
func TestCompareModelsOverStdio(t *testing.T) {
	srv := ollamatest.Get(t)
	unloadAll(t) // a known start: no model loaded, so every load seen below is this comparison's
	logStart := srv.LogMark()
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	var live tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{
		"variants": []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-m"}, map[string]any{"model": "tiny-l"}},
		"suite":    "tiny",
	}, "cmp"), &live)
	if live.Status != record.StatusCompleted || live.Baseline != "tiny-s" || !strings.HasPrefix(live.ComparisonID, "c") {
		t.Fatalf("status %s, baseline %s, id %q", live.Status, live.Baseline, live.ComparisonID)
	}
	v := map[string]compare.VariantSummary{}
	for _, x := range live.Variants {
		v[x.Label] = x
		if x.Samples != 36 {
			t.Errorf("%s has %d samples, want 36", x.Label, x.Samples)
		}
	}
	c := map[string]compare.Comparison{}
	for _, x := range live.Comparisons {
		c[x.B] = x
	}
	s, m, l := v["tiny-s"], v["tiny-m"], v["tiny-l"]
	t.Logf("pass rate s %.3f m %.3f l %.3f; latency p50 s %.1f m %.1f l %.1f ms", s.PassRate, m.PassRate, l.PassRate, s.LatencyP50Ms, m.LatencyP50Ms, l.LatencyP50Ms)
	t.Logf("m vs s: %+v", c["tiny-m"])
	t.Logf("l vs s: %+v", c["tiny-l"])

	// tiny-m is significantly better than tiny-s.
	if ms := c["tiny-m"]; !ms.Significant || ms.Verdict != compare.Better || ms.Pairs != 36 {
		t.Errorf("tiny-m vs tiny-s: significant %v, verdict %q, %d pairs; want significant better on 36", ms.Significant, ms.Verdict, ms.Pairs)
	}
	// Each model (the three and the tiny suite's judge) was loaded once,
	// by its warm-up: one runner start per model from a server holding
	// none, so no timed call paid a load.
	starts := srv.ModelLoadsSince(logStart)
	if len(starts) < 3 {
		t.Errorf("ollama started runners for %d models, want at least the 3 compared: %v", len(starts), starts)
	}
	for blob, n := range starts {
		if n != 1 {
			t.Errorf("ollama started %d runners for model %s; want 1 (a model reloaded during the comparison)", n, blob)
		}
	}
	for _, x := range live.Variants {
		if !(0 < x.TTFTP50Ms && x.TTFTP50Ms <= x.LatencyP50Ms && x.LatencyP50Ms <= x.LatencyP95Ms) || x.PromptTPS <= 0 || x.GenTPS <= 0 {
			t.Errorf("%s: TTFT p50 %.2f, latency p50 %.2f p95 %.2f ms, prompt %.0f gen %.0f tok/s; want 0 < TTFT <= p50 <= p95 and positive rates",
				x.Label, x.TTFTP50Ms, x.LatencyP50Ms, x.LatencyP95Ms, x.PromptTPS, x.GenTPS)
		}
	}
	wantSpeedRatios(t, live)
	wantFrontier(t, live)
	if len(live.Tasks) != 36 || len(live.Tasks[0].Variants) != 3 || live.Tasks[0].Winner == "" {
		t.Errorf("tasks table: %d rows, first %+v", len(live.Tasks), live.Tasks[0])
	}
	if len(live.PreambleAB) != 0 {
		t.Errorf("preamble view for variants that differ by model: %+v", live.PreambleAB)
	}
	// Progress counts every sample of every variant and names the variant.
	waitFor(t, func() bool {
		p := mc.progress("cmp")
		return len(p) > 0 && p[len(p)-1]["progress"] == p[len(p)-1]["total"]
	})
	p := mc.progress("cmp")
	last := p[len(p)-1]
	if last["total"] != float64(3*36) {
		t.Errorf("progress total %v, want 108", last["total"])
	}
	if msg, _ := last["message"].(string); !strings.Contains(msg, " task ") || !strings.Contains(msg, "iteration 1/1") {
		t.Errorf("progress message %q", msg)
	}

	// The same runs compared from the store give the same statistics.
	ids := []any{s.RunID, m.RunID, l.RunID}
	var again tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{"run_ids": ids}, ""), &again)
	if live.JobID == "" || again.JobID != "" {
		t.Errorf("job ids: live %q (a live comparison runs as a job), stored %q (comparing stored runs runs nothing)", live.JobID, again.JobID)
	}
	again.JobID = live.JobID
	if diff := cmp.Diff(live, again); diff != "" {
		t.Errorf("run_ids comparison differs from the live one (-live +stored):\n%s", diff)
	}

	// tiny-l against tiny-m: no significant difference.
	var ml tools.CompareModelsResult
	res := mc.call(ctx, t, "compare_models", map[string]any{"run_ids": []any{l.RunID, m.RunID}, "baseline": "tiny-m"}, "")
	structured(t, res, &ml)
	lm := ml.Comparisons[0]
	t.Logf("l vs m: %+v", lm)
	if ml.Baseline != "tiny-m" || lm.B != "tiny-l" || lm.Significant || lm.Verdict != compare.NoDifference {
		t.Errorf("tiny-l vs tiny-m: baseline %s, b %s, significant %v, verdict %q; want no clear difference", ml.Baseline, lm.B, lm.Significant, lm.Verdict)
	}
	wantSpeedRatios(t, ml)
	wantFrontier(t, ml)
	md := text(res)
	for _, want := range []string{"| Task | tiny-l | tiny-m | Winner |", "| comparison |", "Pareto frontier"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}

	// Every variant's run is a normal stored run, tagged with the comparison.
	mc.Close()
	st, err := memory.Open(mc.DB, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(memory.Filter{ComparisonID: live.ComparisonID})
	if err != nil || len(runs) != 3 {
		t.Fatalf("runs of comparison %s: %d (%v)", live.ComparisonID, len(runs), err)
	}
	for _, r := range runs {
		// No seed given: one seed was drawn for the iteration and every variant got it.
		if !slices.Contains(r.Tags, "comparison:"+live.ComparisonID) || r.Label != r.Model || r.Options["seed"] != nil ||
			r.Seeds == nil || r.Seeds.Mode != "drawn" || !cmp.Equal(r.Seeds.Seeds, runs[0].Seeds.Seeds) {
			t.Errorf("run %s: label %q tags %v options %v seeds %+v", r.ID, r.Label, r.Tags, r.Options, r.Seeds)
		}
	}
	for _, c := range live.Comparisons {
		if !c.SameSeeds || c.Tasks != 36 || c.Test != compare.TestMcNemar {
			t.Errorf("%s vs %s: same seeds %v, %d tasks, test %s; want paired seeds on 36 tasks, McNemar", c.B, c.A, c.SameSeeds, c.Tasks, c.Test)
		}
	}
}

func TestCompareModelsBadArgumentsStoreNothing(t *testing.T) {
	mc := startStdio(t, "")
	ctx := context.Background()
	two := []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-m"}}
	cases := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"variants": []any{map[string]any{"model": "tiny-s"}}}, "compare 2 to 8"},
		{map[string]any{"variants": []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-x"}}}, "ollama pull tiny-x"},
		{map[string]any{"variants": []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-s"}}}, "distinct label"},
		{map[string]any{"variants": two, "baseline": "tiny-l"}, "baseline"},
		{map[string]any{"variants": two, "run_ids": []any{"r1", "r2"}}, "not both"},
		{map[string]any{"run_ids": []any{"r1", "r2"}}, "not in the store"},
		{map[string]any{}, "give variants"},
	}
	mc.wantErrorsStoreNothing(ctx, t, "compare_models", cases)
}

// TestCompareModelsCancelKeepsSamples: a comparison cancelled while a model
// call is under way (held by a chatGate, so the point is known) marks both
// variants' runs cancelled and keeps exactly the samples finished before:
// every answered call but the two warm-ups.
func TestCompareModelsCancelKeepsSamples(t *testing.T) {
	gate := newChatGate(t)
	mc := startStdioOn(t, "", gate.URL)
	// The two warm-ups and two timed calls of each variant go through; the
	// next call is held. (Waiting for progress of both variants instead
	// raced a fast comparison: progress is throttled, so a run can end
	// before one variant's sample is reported.)
	gate.HoldAfter(2*bench.DefaultWarmup + 4)
	callCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "compare_models"
		req.Params.Arguments = map[string]any{
			"variants": []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-m"}},
			"tasks":    quickTasks(), "iterations": 2,
		}
		req.Params.Meta = &mcp.Meta{ProgressToken: "cc"}
		_, err := mc.CallTool(callCtx, req)
		done <- err
	}()
	var answered int
	waitFor(t, func() (ok bool) { answered, ok = gate.Stopped(); return ok })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled call returned %v, want context.Canceled", err)
	}

	// Closing the client ends the server, which lets the call record its runs first.
	mc.Close()
	st, err := memory.Open(mc.DB, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(memory.Filter{})
	if err != nil || len(runs) != 2 {
		t.Fatalf("want the two variants' runs, got %d (%v)", len(runs), err)
	}
	total := 0
	for _, r := range runs {
		n, _ := st.SampleCount(r.ID)
		total += n
		if r.Status != record.StatusCancelled || r.ComparisonID == "" || r.ComparisonID != runs[0].ComparisonID {
			t.Errorf("run %s (%s): status %s, comparison %q", r.ID, r.Label, r.Status, r.ComparisonID)
		}
	}
	if want := answered - 2*bench.DefaultWarmup; total != want || total < 2 || total >= 24 {
		t.Errorf("cancelled comparison kept %d samples of 24; Ollama answered %d calls before the cancel, %d of them timed", total, answered, want)
	}
}

// wantFrontier checks a comparison's Pareto frontier against the one its
// own numbers give: each variant's point is its pass rate and latency p50,
// and the optimal and dominated labels are stats.Pareto of those points.
// Which model is on it depends on the machine; that it is computed right
// does not.
func wantFrontier(t *testing.T, res tools.CompareModelsResult) {
	t.Helper()
	var pts []stats.Point
	for _, v := range res.Variants {
		pts = append(pts, stats.Point{Label: v.Label, Quality: v.PassRate, Cost: v.LatencyP50Ms})
	}
	f := stats.Pareto(pts)
	want := compare.Frontier{Quality: "pass_rate", Cost: "latency_p50_ms", Points: pts, Optimal: f.Optimal, DominatedBy: f.DominatedBy}
	if diff := cmp.Diff(want, res.Pareto); diff != "" {
		t.Errorf("pareto frontier is not the one of the variants' pass rates and latency p50s (-want +got):\n%s", diff)
	}
	if len(f.Optimal) == 0 {
		t.Errorf("no variant on the frontier: %+v", res.Pareto)
	}
}

// wantSpeedRatios checks each comparison's speed ratio against the latency
// p50s the result reports: b's over a's.
func wantSpeedRatios(t *testing.T, res tools.CompareModelsResult) {
	t.Helper()
	lat := map[string]float64{}
	for _, v := range res.Variants {
		lat[v.Label] = v.LatencyP50Ms
	}
	for _, c := range res.Comparisons {
		if want := lat[c.B] / lat[c.A]; !near(c.SpeedRatio, want) {
			t.Errorf("%s vs %s: speed ratio %v, want latency p50 %v / %v = %v", c.B, c.A, c.SpeedRatio, lat[c.B], lat[c.A], want)
		}
	}
}

// near is equality up to float rounding.
func near(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)) }
