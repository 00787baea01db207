package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestBlockingCallHeartbeat: a blocking call whose job waits in the queue
// (another job holds the host) still hears from the server at least every
// 10 s, so hosts that reset their timeout on progress keep waiting.
func TestBlockingCallHeartbeat(t *testing.T) {
	mc := startStdio(t, "")
	ctx := context.Background()
	var long tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 100, "background": true}, ""), &long)
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "run_benchmark"
		req.Params.Arguments = map[string]any{"model": "tiny-m", "tasks": quickTasks()}
		req.Params.Meta = &mcp.Meta{ProgressToken: "hb"}
		res, err := mc.CallTool(ctx, req)
		if err != nil {
			t.Errorf("blocking call: %v", err)
		}
		done <- res
	}()
	// A generous guard, not a speed claim: the heartbeat is due after 10 s.
	deadline := time.Now().Add(6 * tools.Heartbeat)
	for !heard(mc, "hb", "queued") {
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat within %s while queued: %v", 6*tools.Heartbeat, mc.progress("hb"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	var st tools.JobStatusResult
	structured(t, mc.call(ctx, t, "cancel_job", map[string]any{"job_id": long.JobID}, ""), &st)
	res := <-done
	var r tools.RunBenchmarkResult
	structured(t, res, &r)
	if r.Status != record.StatusCompleted || r.Summary.Samples != 6 {
		t.Errorf("the queued blocking call: %s, %d samples", r.Status, r.Summary.Samples)
	}
}

func heard(mc *mcpClient, token, sub string) bool {
	for _, p := range mc.progress(token) {
		if msg, _ := p["message"].(string); strings.Contains(msg, sub) {
			return true
		}
	}
	return false
}

// TestKillNineResumesComparison: a background comparison killed mid-way
// resumes its variants' runs after the restart, and its result is the
// comparison of those runs with every sample once.
func TestKillNineResumesComparison(t *testing.T) {
	db := t.TempDir() + "/bench.db"
	hosts := "local=" + ollamatest.Get(t).URL.String()
	mc, kill := serveHTTP(t, db, hosts)
	var queued tools.CompareModelsResult
	structured(t, mc.call(context.Background(), t, "compare_models", map[string]any{
		"variants": []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-m"}},
		"tasks":    quickTasks(), "iterations": 10, "background": true,
	}, ""), &queued)
	waitFor(t, func() bool { return jobStatusOf(t, mc, queued.JobID).Done >= 30 })
	kill()

	mc2, _ := serveHTTP(t, db, hosts)
	st := waitJob(t, mc2, queued.JobID)
	if st.Status != record.JobCompleted || st.Attempts != 2 || len(st.RunIDs) != 2 {
		t.Fatalf("after the restart: %+v", st)
	}
	var res tools.CompareModelsResult
	structured(t, mc2.call(context.Background(), t, "job_result", map[string]any{"job_id": queued.JobID}, ""), &res)
	if res.Status != record.StatusCompleted || len(res.Variants) != 2 || res.Comparisons[0].Pairs != 60 {
		t.Fatalf("resumed comparison: %s, %d variants, %+v", res.Status, len(res.Variants), res.Comparisons)
	}
	for _, v := range res.Variants {
		if v.Samples != 60 || v.Status != record.StatusCompleted {
			t.Errorf("%s: %d samples, %s", v.Label, v.Samples, v.Status)
		}
	}
	if !slices.Contains(st.RunIDs, res.Variants[0].RunID) || !slices.Contains(st.RunIDs, res.Variants[1].RunID) {
		t.Errorf("the result's runs %s, %s are not the job's %v", res.Variants[0].RunID, res.Variants[1].RunID, st.RunIDs)
	}
}
