package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// serveHTTP runs `benchmcp serve --transport http` on db with the given
// hosts spec, connects a client, and returns both; kill ends the process
// with SIGKILL (no cleanup: a crash).
func serveHTTP(t *testing.T, db, hosts string) (mc *mcpClient, kill func()) {
	t.Helper()
	base, kill := startServer(t, "http", db, hosts)
	c, err := client.NewStreamableHttpClient(base + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	mc = initClient(t, c)
	mc.DB = db
	return mc, kill
}

// waitJob polls job_status (wait_s 20) until the job ends.
func waitJob(t *testing.T, mc *mcpClient, id string) tools.JobStatusResult {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var st tools.JobStatusResult
		structured(t, mc.call(context.Background(), t, "job_status", map[string]any{"job_id": id, "wait_s": 20}, ""), &st)
		if st.Status == record.JobCompleted || st.Status == record.JobFailed || st.Status == record.JobCancelled {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not end: %+v", id, st)
		}
	}
}

func jobStatusOf(t *testing.T, mc *mcpClient, id string) tools.JobStatusResult {
	t.Helper()
	var st tools.JobStatusResult
	structured(t, mc.call(context.Background(), t, "job_status", map[string]any{"job_id": id}, ""), &st)
	return st
}

// TestBackgroundRunOverStdio is the jobs acceptance test: a 204-call run
// started with background returns before it has run (its job queued or
// running, nothing done yet), job_status shows progress rising, job_result
// equals what the blocking call returns for the same run, logging
// notifications follow the job, and cancel_job leaves a resumable run with
// exactly the samples finished before it (the cancel comes while a chatGate
// holds the job's next model call, whatever the machine's speed).
func TestBackgroundRunOverStdio(t *testing.T) {
	gate := newChatGate(t)
	mc := startStdioOn(t, "", gate.URL)
	ctx := context.Background()
	args := map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 34, "seed": 7}
	bg := map[string]any{"background": true}
	for k, v := range args {
		bg[k] = v
	}
	start := time.Now()
	var queued tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", bg, ""), &queued)
	t.Logf("background call returned in %s", time.Since(start))
	if queued.JobID == "" || (queued.Status != "queued" && queued.Status != "running") || queued.RunID != "" || queued.Summary.Samples != 0 {
		t.Fatalf("background result: job %q status %s run %q samples %d", queued.JobID, queued.Status, queued.RunID, queued.Summary.Samples)
	}
	// Progress rises while it runs.
	var seen []int
	waitFor(t, func() bool {
		st := jobStatusOf(t, mc, queued.JobID)
		if len(seen) == 0 || st.Done != seen[len(seen)-1] {
			seen = append(seen, st.Done)
		}
		if st.Total != 204 && st.Total != 0 {
			t.Fatalf("job total %d, want 204", st.Total)
		}
		return len(seen) >= 3 || st.Status == record.JobCompleted
	})
	if !strings.Contains(fmt.Sprint(seen), " ") || seen[len(seen)-1] <= seen[0] {
		t.Errorf("progress did not rise: %v", seen)
	}
	st := waitJob(t, mc, queued.JobID)
	if st.Status != record.JobCompleted || st.Done != 204 || st.Total != 204 || len(st.RunIDs) != 1 || st.ETAS == nil || *st.ETAS != 0 {
		t.Fatalf("ended job %+v", st)
	}
	var fromJob tools.RunBenchmarkResult
	res := mc.call(ctx, t, "job_result", map[string]any{"job_id": queued.JobID}, "")
	structured(t, res, &fromJob)
	if fromJob.RunID != st.RunIDs[0] || fromJob.JobID != queued.JobID || !strings.Contains(text(res), "pass rate") {
		t.Errorf("job_result: run %s job %s; text %q", fromJob.RunID, fromJob.JobID, text(res))
	}

	// The same run, blocking: the same statistics (seed 7, temperature 0).
	var blocking tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", args, "b"), &blocking)
	if blocking.JobID == "" || blocking.Status != record.StatusCompleted {
		t.Errorf("blocking call: job %q status %s (a blocking call runs as a job too)", blocking.JobID, blocking.Status)
	}
	a, b := fromJob.Summary, blocking.Summary
	if a.Samples != b.Samples || a.PassRate != b.PassRate || a.PassRateCI != b.PassRateCI || a.TaskCount != b.TaskCount || !cmp.Equal(a.Seeds, b.Seeds) {
		t.Errorf("background and blocking differ: %d %.3f %+v %d %+v vs %d %.3f %+v %d %+v",
			a.Samples, a.PassRate, a.PassRateCI, a.TaskCount, a.Seeds, b.Samples, b.PassRate, b.PassRateCI, b.TaskCount, b.Seeds)
	}
	if p := mc.progress("b"); len(p) == 0 || p[len(p)-1]["progress"] != float64(204) {
		t.Errorf("the blocking call's progress did not reach 204: %d notifications", len(p))
	}

	// Job state changes arrive as logging notifications.
	waitFor(t, func() bool { return hasJobLog(mc, queued.JobID, "completed") })
	if !hasJobLog(mc, queued.JobID, "running") {
		t.Error("no running notification for the job")
	}

	// cancel_job on a running job, while its next model call is held,
	// leaves a cancelled, resumable run holding every timed call answered
	// before (all answered calls but the warm-up) and nothing for the held one.
	answeredBefore, _ := gate.Stopped() // the jobs above have ended
	structured(t, mc.call(ctx, t, "run_benchmark", bg, ""), &queued)
	waitFor(t, func() bool { return jobStatusOf(t, mc, queued.JobID).Done >= 5 })
	gate.Hold()
	var answered int
	waitFor(t, func() (ok bool) { answered, ok = gate.Stopped(); return ok })
	timed := answered - answeredBefore - bench.DefaultWarmup
	var cancelled tools.JobStatusResult
	structured(t, mc.call(ctx, t, "cancel_job", map[string]any{"job_id": queued.JobID}, ""), &cancelled)
	if cancelled.Status != record.JobCancelled || len(cancelled.RunIDs) != 1 || cancelled.Done != timed || timed < 5 {
		t.Fatalf("cancelled job %+v; want cancelled with the %d samples Ollama answered before", cancelled, timed)
	}
	var partial tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "job_result", map[string]any{"job_id": queued.JobID}, ""), &partial)
	if partial.Status != record.StatusCancelled || partial.Summary.Samples != timed {
		t.Errorf("cancelled job's result: %s with %d samples, want cancelled with %d", partial.Status, partial.Summary.Samples, timed)
	}
	gate.Open()
	var resumed tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"resume_run_id": cancelled.RunIDs[0]}, ""), &resumed)
	if resumed.RunID != cancelled.RunIDs[0] || resumed.Status != record.StatusCompleted || resumed.Summary.Samples != 204 {
		t.Errorf("resumed: run %s status %s samples %d", resumed.RunID, resumed.Status, resumed.Summary.Samples)
	}

	// list_jobs and the jobs resource show them.
	var list tools.ListJobsResult
	structured(t, mc.call(ctx, t, "list_jobs", map[string]any{}, ""), &list)
	if len(list.Jobs) != 4 || list.Jobs[len(list.Jobs)-1].Status != record.JobCompleted {
		t.Errorf("list_jobs: %+v", list.Jobs)
	}
	rr := mcp.ReadResourceRequest{}
	rr.Params.URI = "benchmcp://jobs/" + cancelled.JobID
	r, err := mc.ReadResource(ctx, rr)
	if err != nil || !strings.Contains(r.Contents[0].(mcp.TextResourceContents).Text, `"status": "cancelled"`) {
		t.Errorf("job resource: %v %v", err, r)
	}
}

func hasJobLog(mc *mcpClient, id, status string) bool {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	for _, n := range mc.notes {
		if n.Method != string(mcp.MethodNotificationMessage) {
			continue
		}
		p := n.Params.AdditionalFields
		data, _ := p["data"].(map[string]any)
		if p["logger"] == "benchmcp.jobs" && data["job_id"] == id && data["status"] == status {
			return true
		}
	}
	return false
}

func TestJobToolErrors(t *testing.T) {
	mc := startStdio(t, "")
	ctx := context.Background()
	var done tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks()}, ""), &done)
	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"job_status", map[string]any{"job_id": "j-nope"}, "not known"},
		{"job_result", map[string]any{"job_id": "j-nope"}, "not known"},
		{"cancel_job", map[string]any{"job_id": "j-nope"}, "not known"},
		{"job_status", map[string]any{"job_id": done.JobID, "wait_s": 51}, "wait_s 51 is out of range"},
		{"job_status", map[string]any{"job_id": done.JobID, "wait_s": -1}, "out of range"},
		{"cancel_job", map[string]any{"job_id": done.JobID}, "already completed; nothing to cancel"},
		{"list_jobs", map[string]any{"status": "sleeping"}, "not one of"},
		{"list_jobs", map[string]any{"limit": 1000}, "out of range"},
		// Bad input to a background call is refused at once, no job made.
		{"run_benchmark", map[string]any{"model": "tiny-x", "background": true}, "ollama pull tiny-x"},
		{"compare_models", map[string]any{"variants": []any{map[string]any{"model": "tiny-m"}, map[string]any{"model": "tiny-x"}}, "background": true}, "tiny-x"},
	} {
		res := mc.call(ctx, t, c.tool, c.args, "")
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s %v: isError %v, %q; want it to mention %q", c.tool, c.args, res.IsError, text(res), c.want)
		}
	}
	var list tools.ListJobsResult
	structured(t, mc.call(ctx, t, "list_jobs", map[string]any{}, ""), &list)
	if len(list.Jobs) != 1 {
		t.Errorf("bad calls made jobs: %+v", list.Jobs)
	}
}

// TestKillNineResumesJob: the server dies by SIGKILL in the middle of a
// background job; a new server on the same store resumes it, and the run
// ends with every (task, iteration) sample exactly once.
func TestKillNineResumesJob(t *testing.T) {
	db := t.TempDir() + "/bench.db"
	hosts := "local=" + ollamatest.Get(t).URL.String()
	mc, kill := serveHTTP(t, db, hosts)
	var queued tools.RunBenchmarkResult
	structured(t, mc.call(context.Background(), t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 30, "background": true}, ""), &queued)
	waitFor(t, func() bool { return jobStatusOf(t, mc, queued.JobID).Done >= 40 })
	kill()

	mc2, _ := serveHTTP(t, db, hosts)
	st := waitJob(t, mc2, queued.JobID)
	if st.Status != record.JobCompleted || st.Done != 180 || len(st.RunIDs) != 1 || st.Attempts != 2 {
		t.Fatalf("after the restart: %+v", st)
	}
	rr := mcp.ReadResourceRequest{}
	rr.Params.URI = "benchmcp://runs/" + st.RunIDs[0]
	res, err := mc2.ReadResource(context.Background(), rr)
	if err != nil {
		t.Fatal(err)
	}
	var line memory.Line
	if err := json.Unmarshal([]byte(res.Contents[0].(mcp.TextResourceContents).Text), &line); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, s := range line.Samples {
		seen[fmt.Sprintf("%s/%d", s.TaskID, s.Iteration)]++
	}
	if line.Run.Status != record.StatusCompleted || len(line.Samples) != 180 || len(seen) != 180 {
		t.Errorf("run %s: %s, %d samples, %d distinct (task, iteration)", line.Run.ID, line.Run.Status, len(line.Samples), len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("sample %s stored %d times", k, n)
		}
	}
}

// TestJobsPerHost: two Ollama servers (two hosts) run their jobs at the
// same time; two jobs on one host run one after the other.
func TestJobsPerHost(t *testing.T) {
	second := secondOllama(t, "tiny-m")
	hosts := "a=" + ollamatest.Get(t).URL.String() + ",b=" + second.URL.String()
	mc, _ := serveHTTP(t, t.TempDir()+"/bench.db", hosts)
	submit := func(host string) string {
		var r tools.RunBenchmarkResult
		structured(t, mc.call(context.Background(), t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 15, "host": host, "background": true}, ""), &r)
		return r.JobID
	}
	a1, a2, b1 := submit("a"), submit("a"), submit("b")
	both, queuedBehind := false, false
	waitFor(t, func() bool {
		sa1, sa2, sb1 := jobStatusOf(t, mc, a1), jobStatusOf(t, mc, a2), jobStatusOf(t, mc, b1)
		if sa1.Status == record.JobRunning && sa2.Status == record.JobRunning {
			t.Fatalf("two jobs running on host a at once: %+v %+v", sa1, sa2)
		}
		if sa1.Status == record.JobRunning && sb1.Status == record.JobRunning {
			both = true
		}
		if sa1.Status == record.JobRunning && sa2.Status == record.JobQueued && sa2.QueuePosition == 1 && sa2.Host == "a" {
			queuedBehind = true
		}
		return both && queuedBehind || sa1.Status == record.JobCompleted
	})
	if !both || !queuedBehind {
		t.Errorf("host a's and b's jobs ran at the same time: %v; a's second job waited in position 1: %v", both, queuedBehind)
	}
	for _, id := range []string{a1, a2, b1} {
		if st := waitJob(t, mc, id); st.Status != record.JobCompleted || st.Done != 90 {
			t.Errorf("job %s: %+v", id, st)
		}
	}
	sa1, sa2 := jobStatusOf(t, mc, a1), jobStatusOf(t, mc, a2)
	if sa2.StartedAt.Before(sa1.EndedAt) {
		t.Errorf("host a's second job started at %s, before the first ended at %s", sa2.StartedAt, sa1.EndedAt)
	}
}

// TestToolListBudget: tools/list is under 32,000 characters (issue #27) with
// every tool (about 29,500 now, leaving room for new tools), and --toolsets
// exposes only what is asked.
func TestToolListBudget(t *testing.T) {
	mc := startStdio(t, "")
	list, err := mc.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(list.Tools)
	t.Logf("tools/list: %d tools, %d characters", len(list.Tools), len(b))
	if len(list.Tools) != 10 || len(b) >= 32000 {
		t.Errorf("tools/list: %d tools in %d characters; want 10 under 32,000 characters", len(list.Tools), len(b))
	}

	srv := ollamatest.Get(t)
	c, err := client.NewStdioMCPClient(binary, append(os.Environ(), "BENCHMCP_HOSTS=local="+srv.URL.String(), "BENCHMCP_DB="+t.TempDir()+"/b.db"), "serve", "--toolsets", "run,jobs")
	if err != nil {
		t.Fatal(err)
	}
	small := initClient(t, c)
	list, err = small.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range list.Tools {
		names = append(names, tl.Name)
	}
	if want := []string{"cancel_job", "job_result", "job_status", "list_jobs", "run_benchmark"}; !cmp.Equal(sortedCopy(names), want) {
		t.Errorf("--toolsets run,jobs: %v, want %v", names, want)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestMCPTaskCompletes: a client that calls run_benchmark as an MCP task
// (params.task, spec 2025-11-25) gets a task at once; tasks/get follows it
// to completed, and tasks/result gives the same result as job_result.
func TestMCPTaskCompletes(t *testing.T) {
	db := t.TempDir() + "/bench.db"
	mc, _ := serveHTTP(t, db, "local="+ollamatest.Get(t).URL.String())
	ctx := context.Background()
	resp, err := mc.GetTransport().SendRequest(ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(int64(9001)), Method: string(mcp.MethodToolsCall),
		Params: map[string]any{"name": "run_benchmark", "arguments": map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 10}, "task": map[string]any{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error != nil {
		t.Fatalf("tools/call as a task: %+v", resp.Error)
	}
	var created mcp.CreateTaskResult
	if err := json.Unmarshal(resp.Result, &created); err != nil || created.Task.TaskId == "" {
		t.Fatalf("create task result %s: %v", resp.Result, err)
	}
	waited, err := mc.WaitForTask(ctx, mcp.GetTaskRequest{Params: mcp.GetTaskParams{TaskId: created.Task.TaskId}}, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if waited.Status != mcp.TaskStatusCompleted {
		t.Fatalf("task %s ended %s: %s (mcp-go#897 would cancel it within milliseconds)", created.Task.TaskId, waited.Status, waited.StatusMessage)
	}
	tr, err := mc.TaskResult(ctx, mcp.TaskResultRequest{Params: mcp.TaskResultParams{TaskId: created.Task.TaskId}})
	if err != nil {
		t.Fatal(err)
	}
	var fromTask, fromJob tools.RunBenchmarkResult
	b, _ := json.Marshal(tr.StructuredContent)
	if err := json.Unmarshal(b, &fromTask); err != nil || fromTask.Status != record.StatusCompleted || fromTask.Summary.Samples != 60 {
		t.Fatalf("tasks/result: %s (%v); isError %v content %+v", b, err, tr.IsError, tr.Content)
	}
	structured(t, mc.call(ctx, t, "job_result", map[string]any{"job_id": fromTask.JobID}, ""), &fromJob)
	if diff := cmp.Diff(fromJob, fromTask); diff != "" {
		t.Errorf("tasks/result differs from job_result (-job +task):\n%s", diff)
	}
}

// TestMCPTasksStayInTheirSession: 2025-11-25 tasks (mcp-go's) are the
// session's own: another session's tasks/list does not show them and it
// gets none of their status notifications, which mcp-go sends to every
// client; the owner's carry the ttl key the 2025-11-25 schema requires.
func TestMCPTasksStayInTheirSession(t *testing.T) {
	db := t.TempDir() + "/bench.db"
	base, _ := startServer(t, "http", db, "local="+ollamatest.Get(t).URL.String())
	connect := func() *mcpClient {
		c, err := client.NewStreamableHttpClient(base + "/mcp")
		if err != nil {
			t.Fatal(err)
		}
		return initClient(t, c)
	}
	a, b := connect(), connect()
	ctx := context.Background()
	resp, err := a.GetTransport().SendRequest(ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(int64(9002)), Method: string(mcp.MethodToolsCall),
		Params: map[string]any{"name": "run_benchmark", "arguments": map[string]any{"model": "tiny-m", "tasks": quickTasks()}, "task": map[string]any{}},
	})
	if err != nil || resp.Error != nil {
		t.Fatalf("tools/call as a task: %v %+v", err, resp)
	}
	var created mcp.CreateTaskResult
	if err := json.Unmarshal(resp.Result, &created); err != nil || created.Task.TaskId == "" {
		t.Fatalf("create task result %s: %v", resp.Result, err)
	}
	id := created.Task.TaskId
	if _, err := a.WaitForTask(ctx, mcp.GetTaskRequest{Params: mcp.GetTaskParams{TaskId: id}}, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	listed := func(mc *mcpClient) bool {
		res, err := mc.ListTasksByPage(ctx, mcp.ListTasksRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range res.Tasks {
			if task.TaskId == id {
				return true
			}
		}
		return false
	}
	if !listed(a) {
		t.Errorf("the owner's tasks/list lacks its task %s", id)
	}
	if listed(b) {
		t.Errorf("another session's tasks/list shows task %s", id)
	}
	statuses := func(mc *mcpClient) (n int, withTTL int) {
		mc.mu.Lock()
		defer mc.mu.Unlock()
		for _, note := range mc.notes {
			if note.Method != mcp.MethodNotificationTasksStatus {
				continue
			}
			b, _ := json.Marshal(note.Params)
			var p map[string]any
			json.Unmarshal(b, &p)
			if p["taskId"] != id {
				continue
			}
			n++
			if _, ok := p["ttl"]; ok {
				withTTL++
			}
		}
		return n, withTTL
	}
	// A call each, so that queued notifications are written.
	a.call(ctx, t, "list_jobs", nil, "")
	b.call(ctx, t, "list_jobs", nil, "")
	time.Sleep(500 * time.Millisecond)
	if n, ttl := statuses(a); n == 0 || ttl != n {
		t.Errorf("the owner got %d status notifications of its task, %d with ttl; want some, all with ttl", n, ttl)
	}
	if n, _ := statuses(b); n != 0 {
		t.Errorf("another session got %d status notifications of task %s", n, id)
	}
}
