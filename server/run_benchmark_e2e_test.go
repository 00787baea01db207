package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/mark3labs/mcp-go/mcp"
)

func TestRunBenchmarkOverStdio(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	list, err := mc.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tl := range list.Tools {
		found = found || tl.Name == "run_benchmark"
	}
	if !found {
		t.Fatalf("run_benchmark not listed: %+v", list.Tools)
	}

	var m, s tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "suite": "tiny"}, "m"), &m)
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-s", "suite": "tiny"}, "s"), &s)
	if m.Status != record.StatusCompleted || s.Status != record.StatusCompleted {
		t.Fatalf("status %s / %s", m.Status, s.Status)
	}
	if m.Summary.PassRate < s.Summary.PassRate+0.25 {
		t.Errorf("tiny-m pass rate %.2f should be well above tiny-s's %.2f", m.Summary.PassRate, s.Summary.PassRate)
	}
	if len(m.Tasks) != 36 || len(m.Categories) != 9 || m.Environment.Digest == "" {
		t.Errorf("result shape: %d tasks, %d categories, env %+v", len(m.Tasks), len(m.Categories), m.Environment)
	}
	// Progress arrives, throttled, and its final notification says all is done.
	waitFor(t, func() bool {
		p := mc.progress("m")
		return len(p) > 0 && p[len(p)-1]["progress"] == p[len(p)-1]["total"]
	})
	p := mc.progress("m")
	msg, _ := p[len(p)-1]["message"].(string)
	if !strings.HasPrefix(msg, "task ") || !strings.Contains(msg, "iteration 1/1") {
		t.Errorf("progress message %q", msg)
	}
	// Both runs are in memory, readable through the run resource.
	for _, id := range []string{m.RunID, s.RunID} {
		rr := mcp.ReadResourceRequest{}
		rr.Params.URI = "benchmcp://runs/" + id
		res, err := mc.ReadResource(ctx, rr)
		if err != nil {
			t.Fatal(err)
		}
		var line memory.Line
		if err := json.Unmarshal([]byte(res.Contents[0].(mcp.TextResourceContents).Text), &line); err != nil {
			t.Fatal(err)
		}
		if line.Run.ID != id || len(line.Samples) != 36 {
			t.Errorf("stored run %s has %d samples", line.Run.ID, len(line.Samples))
		}
	}
}

// TestCancelThenResumeOverStdio: a run cancelled while one of its model
// calls is under way keeps every sample finished before (each answered call
// but the warm-up), stores nothing for the cancelled call, is marked
// cancelled, and resumes with the missing samples only. The cancel comes
// while a chatGate holds the next call, so the samples done at the cancel
// are known whatever the machine's speed.
func TestCancelThenResumeOverStdio(t *testing.T) {
	gate := newChatGate(t)
	mc := startStdioOn(t, "", gate.URL)
	ctx := context.Background()
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "run_benchmark"
		req.Params.Arguments = map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 4}
		req.Params.Meta = &mcp.Meta{ProgressToken: "c"}
		_, err := mc.CallTool(callCtx, req)
		done <- err
	}()
	waitFor(t, func() bool { return len(mc.progress("c")) >= 2 }) // warmed up, timed calls under way
	gate.Hold()
	var answered int
	waitFor(t, func() (ok bool) { answered, ok = gate.Stopped(); return ok })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled call returned %v, want context.Canceled", err)
	}

	// Closing the client ends the server; it lets the cancelled call record its run first.
	mc.Close()
	st, err := memory.Open(mc.DB, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.ListRuns(memory.Filter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("want one stored run, got %d (%v)", len(runs), err)
	}
	if runs[0].Status != record.StatusCancelled {
		t.Fatalf("run status %s, want cancelled", runs[0].Status)
	}
	kept, _ := st.Samples(runs[0].ID)
	runID := runs[0].ID
	st.Close()
	if want := answered - bench.DefaultWarmup; len(kept) != want || len(kept) < 2 {
		t.Fatalf("cancelled run kept %d samples; Ollama answered %d calls before the cancel, %d of them timed (at least the 2 reported)", len(kept), answered, want)
	}

	gate.Open()
	mc2 := startStdioOn(t, mc.DB, gate.URL)
	var res tools.RunBenchmarkResult
	structured(t, mc2.call(ctx, t, "run_benchmark", map[string]any{"resume_run_id": runID}, "r"), &res)
	if res.RunID != runID || res.Status != record.StatusCompleted || res.Summary.Samples != 24 {
		t.Errorf("resumed: id %s status %s samples %d", res.RunID, res.Status, res.Summary.Samples)
	}
	// Only the missing samples ran: progress starts right after the kept ones.
	waitFor(t, func() bool { return len(mc2.progress("r")) > 0 })
	if first, _ := mc2.progress("r")[0]["progress"].(float64); int(first) != len(kept)+1 {
		t.Errorf("resume progress started at %v, but %d samples were already done", first, len(kept))
	}
}

func TestBadArgumentsStoreNothing(t *testing.T) {
	mc := startStdio(t, "")
	ctx := context.Background()
	cases := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"model": "tiny-x"}, "ollama pull tiny-x"},
		{map[string]any{"model": "tiny-m", "suite": "nosuch"}, "built-in"},
		{map[string]any{"model": "tiny-m", "iterations": 1000}, "iterations"},
		{map[string]any{"model": "tiny-m", "tasks": []any{map[string]any{"id": "r", "prompt": "x", "checks": []any{map[string]any{"type": "regex", "pattern": "("}}}}}, "regex"},
		{map[string]any{"model": "tiny-m", "tasks": []any{map[string]any{"id": "j", "prompt": "x", "checks": []any{map[string]any{"type": "json_schema", "schema": map[string]any{"type": 12}}}}}}, "schema"},
		{map[string]any{}, "model is required"},
		{map[string]any{"model": "tiny-m", "think": "true"}, "does not support thinking"},
		{map[string]any{"model": "tiny-m", "think": "very"}, "think"},
		// A misspelled argument is refused, not dropped (it ran one iteration).
		{map[string]any{"model": "tiny-m", "iteratons": 3}, `has no argument "iteratons" (did you mean "iterations"?)`},
	}
	mc.wantErrorsStoreNothing(ctx, t, "run_benchmark", cases)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// quickTasks are six fast tasks of the families the fixture models know.
func quickTasks() []any {
	task := func(id, prompt, want string) map[string]any {
		return map[string]any{"id": id, "category": id[:3], "prompt": prompt, "checks": []any{map[string]any{"type": "exact", "value": want}}}
	}
	return []any{
		task("add-1", "What is 47+385?", "432"), task("mul-1", "What is 7*38?", "266"),
		task("rev-1", "Reverse the word planet.", "tenalp"), task("srt-1", "Sort the letters dcab.", "abcd"),
		task("upp-1", "Uppercase river.", "RIVER"), task("cnt-1", "How many a in banana?", "3"),
	}
}

// TestResumeRunOfV4Store: a run that benchmcp's schema v4 code stored and
// was killed in (testdata/memory/v4.db: tiny-m on tiny, seeds 11, 12, 13,
// 24 of 108 samples done) resumes after the store migrates: its RunConfig
// gives back the settings its call gave, the 24 samples stay as they were
// and only the 84 missing ones run.
func TestResumeRunOfV4Store(t *testing.T) {
	const id = "r20261207-101249-0001"
	fixture, err := os.ReadFile("../testdata/memory/v4.db")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "bench.db")
	if err := os.WriteFile(db, fixture, 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := memory.Open(db, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := before.Samples(id)
	before.Close()
	if err != nil || len(kept) != 24 {
		t.Fatalf("fixture run %s has %d samples (%v), want 24", id, len(kept), err)
	}

	mc := startStdio(t, db)
	var res tools.RunBenchmarkResult
	structured(t, mc.call(context.Background(), t, "run_benchmark", map[string]any{"resume_run_id": id}, "r"), &res)
	if res.RunID != id || res.Status != record.StatusCompleted || res.Summary.Samples != 108 {
		t.Fatalf("resumed: id %s status %s samples %d, want %s completed with 108", res.RunID, res.Status, res.Summary.Samples, id)
	}
	// The first sample's progress (heartbeats before it, on a slow
	// machine, repeat 0) comes right after the 24 kept.
	for _, p := range mc.progress("r") {
		if n, _ := p["progress"].(float64); n > 0 {
			if n != 25 {
				t.Errorf("resume progress started at %v, but 24 samples were already done", n)
			}
			break
		}
	}
	mc.Close()

	st, err := memory.Open(db, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run, err := st.GetRun(id)
	if err != nil {
		t.Fatal(err)
	}
	warmup := 1
	want := &record.RunConfig{Version: record.RunConfigVersion, Model: "tiny-m", Suite: "tiny", Iterations: 3, Seeds: []int{11, 12, 13},
		Warmup: &warmup, Concurrency: 1, MaxOutputTokens: 256, TimeoutS: 60, Tags: []string{"fixture"}}
	if d := cmp.Diff(want, run.Config); d != "" {
		t.Errorf("resumed run's config (-want +got):\n%s", d)
	}
	if run.Seeds == nil || !slices.Equal(run.Seeds.Seeds, []int{11, 12, 13}) {
		t.Errorf("resumed run's seeds = %+v, want 11, 12, 13", run.Seeds)
	}
	all, err := st.Samples(id)
	if err != nil || len(all) != 108 {
		t.Fatalf("%d samples after resume (%v), want 108", len(all), err)
	}
	if d := cmp.Diff(kept, all[:24]); d != "" {
		t.Errorf("the 24 samples done before changed (-before +after):\n%s", d)
	}
	for _, smp := range all[24:] {
		if smp.Seed == nil || *smp.Seed != 10+smp.Iteration {
			t.Errorf("sample %s#%d ran with seed %v, want %d", smp.TaskID, smp.Iteration, smp.Seed, 10+smp.Iteration)
			break
		}
	}
}
