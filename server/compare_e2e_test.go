package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestCompareModelsOverStdio is compare_models' acceptance test: tiny-s,
// tiny-m and tiny-l on the tiny suite, live, then again from the stored runs.
func TestCompareModelsOverStdio(t *testing.T) {
	unloadAll(t) // four models interleave here; one left loaded by an earlier test would evict one of them
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
	// tiny-l is several times slower than tiny-m: its prompt processing is,
	// and so is each call end to end, less the fixed per-call cost that
	// dominates answers of a few tokens on a 2-core machine.
	if l.PromptTPS*3 > m.PromptTPS || l.LatencyP50Ms < 1.5*m.LatencyP50Ms {
		t.Errorf("tiny-l is not several times slower: prompt tokens/s %.0f vs tiny-m's %.0f, latency p50 %.1f vs %.1f ms", l.PromptTPS, m.PromptTPS, l.LatencyP50Ms, m.LatencyP50Ms)
	}
	if s.Reloads+m.Reloads+l.Reloads > 0 {
		t.Errorf("models were reloaded during the comparison (%d/%d/%d): latencies are not comparable", s.Reloads, m.Reloads, l.Reloads)
	}
	// tiny-s (cheapest) and tiny-m (better, still fast) are on the frontier.
	for _, want := range []string{"tiny-s", "tiny-m"} {
		if !slices.Contains(live.Pareto.Optimal, want) {
			t.Errorf("pareto optimal %v lacks %s", live.Pareto.Optimal, want)
		}
	}
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
	if lm.SpeedRatio < 1.5 {
		t.Errorf("tiny-l / tiny-m latency ratio %.2f, want >= 1.5", lm.SpeedRatio)
	}
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

func TestCompareModelsCancelKeepsSamples(t *testing.T) {
	mc := startStdio(t, "")
	callCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req := mcp.CallToolRequest{}
		req.Params.Name = "compare_models"
		req.Params.Arguments = map[string]any{
			"variants": []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-m"}},
			"tasks":    quickTasks(), "iterations": 2,
		}
		req.Params.Meta = &mcp.Meta{ProgressToken: "cc"}
		_, _ = mc.CallTool(callCtx, req)
	}()
	waitFor(t, func() bool { return len(mc.progress("cc")) >= 3 })
	cancel()
	<-done

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
	if total < 3 || total >= 24 {
		t.Errorf("cancelled comparison kept %d samples, want some of 24", total)
	}
}
