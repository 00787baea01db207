package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

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
