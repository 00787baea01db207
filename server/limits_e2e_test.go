package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/mark3labs/mcp-go/client"
)

// TestSuiteRootsOverHTTP: over HTTP a suite file is read only inside the
// suite roots (symlinks resolved); a file outside is refused before it is
// opened, with what to do, and nothing is stored. Built-in suites and
// inline tasks are not files and always work.
func TestSuiteRootsOverHTTP(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "suites")
	outside := filepath.Join(dir, "private")
	for _, d := range []string{root, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const suiteYAML = "name: mine\ntasks:\n  - id: add-1\n    prompt: What is 47+385?\n    checks: [{type: exact, value: \"432\"}]\n"
	in, out := filepath.Join(root, "mine.yaml"), filepath.Join(outside, "mine.yaml")
	for _, f := range []string{in, out} {
		if err := os.WriteFile(f, []byte(suiteYAML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(out, filepath.Join(root, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BENCHMCP_SUITE_ROOTS", root)
	db := filepath.Join(dir, "bench.db")
	mc, _ := serveHTTP(t, db, "local="+ollamatest.Get(t).URL.String())
	ctx := context.Background()

	// Inside the root the suite is read (plan reads it and runs nothing).
	var plan tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "suite": in, "plan": true}, ""), &plan)
	if plan.Plan == nil || plan.Plan.Tasks != 1 {
		t.Errorf("plan of the suite inside the root: %+v, want 1 task", plan.Plan)
	}
	mc.wantErrorsStoreNothing(ctx, t, "run_benchmark", []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"model": "tiny-m", "suite": out}, "outside the suite roots"},
		{map[string]any{"model": "tiny-m", "suite": filepath.Join(root, "link.yaml")}, "outside the suite roots"},
		{map[string]any{"model": "tiny-m", "suite": filepath.Join(root, "..", "private", "mine.yaml")}, "--suite-root"},
		{map[string]any{"model": "tiny-m", "suite": "/etc/missing-file.yaml"}, "outside the suite roots"},
	})
}

// TestClientJobCapOverHTTP: one MCP session may have at most
// --max-client-jobs unfinished jobs; the next is refused with what to do,
// while another session may still submit.
func TestClientJobCapOverHTTP(t *testing.T) {
	t.Setenv("BENCHMCP_MAX_CLIENT_JOBS", "2")
	db := filepath.Join(t.TempDir(), "bench.db")
	base := startHTTP(t, "http", db)
	connect := func() *mcpClient {
		c, err := client.NewStreamableHttpClient(base + "/mcp")
		if err != nil {
			t.Fatal(err)
		}
		return initClient(t, c)
	}
	a, b := connect(), connect()
	ctx := context.Background()
	long := map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 100, "background": true}
	var jobIDs []string
	for range 2 {
		var res tools.RunBenchmarkResult
		structured(t, a.call(ctx, t, "run_benchmark", long, ""), &res)
		jobIDs = append(jobIDs, res.JobID)
	}
	res := a.call(ctx, t, "run_benchmark", long, "")
	if !res.IsError || !strings.Contains(text(res), "the most one client may have") || !strings.Contains(text(res), "cancel_job") {
		t.Errorf("third job of one session: isError %v, %q; want the cap and what to do", res.IsError, text(res))
	}
	var other tools.RunBenchmarkResult
	structured(t, b.call(ctx, t, "run_benchmark", long, ""), &other)
	jobIDs = append(jobIDs, other.JobID)
	// A cancelled job frees its place.
	structured(t, a.call(ctx, t, "cancel_job", map[string]any{"job_id": jobIDs[1]}, ""), &tools.JobStatusResult{})
	waitJob(t, a, jobIDs[1])
	var again tools.RunBenchmarkResult
	structured(t, a.call(ctx, t, "run_benchmark", long, ""), &again)
	jobIDs = append(jobIDs, again.JobID)
	for _, id := range jobIDs {
		a.call(ctx, t, "cancel_job", map[string]any{"job_id": id}, "")
	}
}

// TestReadersWhileServing is the finding: `benchmcp analyze` failed
// while `serve` held the store. Every read command now works beside a
// running server (reading a snapshot) and sees what it stored; a mistyped
// --db is an error, not a new store.
func TestReadersWhileServing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	mc, _ := serveHTTP(t, db, "local="+ollamatest.Get(t).URL.String())
	var res tools.RunBenchmarkResult
	structured(t, mc.call(context.Background(), t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks()}, ""), &res)
	for _, args := range [][]string{
		{"analyze", "--db", db, "--status", "all"},
		{"runs", "list", "--db", db},
		{"runs", "show", "--db", db, res.RunID},
		{"jobs", "list", "--db", db},
	} {
		out, err := exec.Command(binary, args...).CombinedOutput()
		if err != nil {
			t.Errorf("benchmcp %s while serve holds the store: %v\n%s", strings.Join(args, " "), err, out)
			continue
		}
		if args[0] != "jobs" && !strings.Contains(string(out), res.RunID) && !strings.Contains(string(out), "tiny-m") {
			t.Errorf("benchmcp %s does not show the stored run %s:\n%s", strings.Join(args, " "), res.RunID, out)
		}
	}
	missing := filepath.Join(t.TempDir(), "typo.db")
	for _, args := range [][]string{{"analyze", "--db", missing}, {"jobs", "list", "--db", missing}} {
		if out, err := exec.Command(binary, args...).CombinedOutput(); err == nil || !strings.Contains(string(out), "no store at") {
			t.Errorf("benchmcp %s on a missing store: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a read command created the mistyped store")
	}
}
