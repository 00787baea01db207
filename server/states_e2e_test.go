//go:build linux

package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/ollamaproc"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
)

// runLine reads a run and its samples through the benchmcp://runs resource.
func runLine(t *testing.T, mc *mcpClient, id string) memory.Line {
	t.Helper()
	rr := mcp.ReadResourceRequest{}
	rr.Params.URI = "benchmcp://runs/" + id
	res, err := mc.ReadResource(context.Background(), rr)
	if err != nil {
		t.Fatal(err)
	}
	var line memory.Line
	if err := json.Unmarshal([]byte(res.Contents[0].(mcp.TextResourceContents).Text), &line); err != nil {
		t.Fatal(err)
	}
	return line
}

// passByKey maps each (task, iteration) of a run to whether it passed.
func passByKey(samples []record.Sample) map[string]bool {
	out := map[string]bool{}
	for _, s := range samples {
		out[fmt.Sprintf("%s/%d", s.TaskID, s.Iteration)] = s.Pass
	}
	return out
}

// restartable returns a function that starts a private Ollama with tiny-s
// on addr ("" for any), its models kept in one directory from one server
// to the next, so that a test can stop one and start another in its place.
func restartable(ctx context.Context, t *testing.T) func(addr string) *ollamaproc.Process {
	dir := t.TempDir()
	fixtures, err := ollamatest.ModelsDir()
	if err != nil {
		t.Fatal(err)
	}
	return func(addr string) *ollamaproc.Process {
		t.Helper()
		p, err := ollamaproc.Start(ctx, ollamaproc.Config{Dir: dir, Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		if err := p.CreateModels(ctx, fixtures, "tiny-s"); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// TestJobWaitsForHostDown: a background run's Ollama server stops in the
// middle of the job. The job reads waiting, with a message naming the host
// and since when, instead of failing; an Ollama server started again on the
// same address lets it resume the same run, which completes with every
// sample once, and the same verdicts and pass rate as an undisturbed run
// with the same seeds on the same fixture model.
func TestJobWaitsForHostDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := restartable(ctx, t)
	first := start("")
	mc, _ := serveHTTP(t, filepath.Join(t.TempDir(), "bench.db"), "local="+first.URL.String())
	var seeds []any
	for i := range 40 {
		seeds = append(seeds, 11+i)
	}
	args := func(background bool) map[string]any {
		return map[string]any{"model": "tiny-s", "tasks": quickTasks(), "options": map[string]any{"temperature": 1.0},
			"seeds": seeds, "background": background}
	}
	var calm tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", args(false), ""), &calm)
	calmLine := runLine(t, mc, calm.RunID)

	var queued tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", args(true), ""), &queued)
	waitFor(t, func() bool { return jobStatusOf(t, mc, queued.JobID).Done >= 5 })
	first.Close()
	var waiting tools.JobStatusResult
	waitFor(t, func() bool {
		waiting = jobStatusOf(t, mc, queued.JobID)
		if waiting.Status == record.JobCompleted || waiting.Status == record.JobFailed {
			t.Fatalf("the job ended (%s: %s) while its host was down; it should wait", waiting.Status, waiting.Error)
		}
		return waiting.Status == record.JobWaiting
	})
	wantMsg := "host local (" + first.URL.String() + ") is down since "
	if !strings.HasPrefix(waiting.Message, wantMsg) || !strings.Contains(waiting.Message, "the job resumes when it answers") {
		t.Errorf("waiting message %q, want it to start %q and say it resumes", waiting.Message, wantMsg)
	}
	var listed tools.ListJobsResult
	structured(t, mc.call(ctx, t, "list_jobs", map[string]any{"status": "waiting"}, ""), &listed)
	if len(listed.Jobs) != 1 || listed.Jobs[0].JobID != queued.JobID {
		t.Errorf("list_jobs status waiting: %+v", listed.Jobs)
	}

	start(first.URL.Host)
	st := waitJob(t, mc, queued.JobID)
	if st.Status != record.JobCompleted || len(st.RunIDs) != 1 || st.Attempts != 2 {
		t.Fatalf("after the host came back: %+v", st)
	}
	line := runLine(t, mc, st.RunIDs[0])
	got, want := passByKey(line.Samples), passByKey(calmLine.Samples)
	if line.Run.Status != record.StatusCompleted || len(line.Samples) != len(calmLine.Samples) || len(got) != len(line.Samples) {
		t.Errorf("run %s: %s, %d samples (%d distinct), want completed with %d", line.Run.ID, line.Run.Status, len(line.Samples), len(got), len(calmLine.Samples))
	}
	for k, pass := range want {
		if got[k] != pass {
			t.Errorf("sample %s: pass %v after the outage, %v undisturbed", k, got[k], pass)
		}
	}
	if line.Run.Summary.PassRate != calmLine.Run.Summary.PassRate {
		t.Errorf("pass rate %v after the outage, %v undisturbed", line.Run.Summary.PassRate, calmLine.Run.Summary.PassRate)
	}
}

// TestFullDiskMidRun: the store is on a small tmpfs that fills up while a
// background run writes its samples. The run and its job end, saying the
// disk is full; nothing stays running. With space freed, resume_run_id
// finishes the run with every sample.
func TestFullDiskMidRun(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16777216"); err != nil {
		t.Skipf("a full disk is made with a small tmpfs, and mounting one is not permitted here (%v); run as root with CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	ctx := context.Background()
	mc, _ := serveHTTP(t, filepath.Join(dir, "bench.db"), "local="+ollamatest.Get(t).URL.String())
	var queued tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 100, "background": true}, ""), &queued)
	waitFor(t, func() bool { return jobStatusOf(t, mc, queued.JobID).Done >= 20 })

	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for chunk := make([]byte, 64<<10); ; {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()

	// The job ends failed when the run's end could not be stored either;
	// when it could, the job completes with the failed run as its result.
	st := waitJob(t, mc, queued.JobID)
	if st.Status == record.JobFailed && !strings.Contains(st.Error, "no space left on device") {
		t.Errorf("job on a full disk: failed with %q; want it to say the disk is full", st.Error)
	}
	if len(st.RunIDs) != 1 {
		t.Fatalf("job run ids %v", st.RunIDs)
	}
	line := runLine(t, mc, st.RunIDs[0])
	if line.Run.Status == record.StatusRunning || line.Run.Status == record.StatusCompleted || !strings.Contains(line.Run.Error, "no space left on device") {
		t.Errorf("run on a full disk: %s %q; want it ended (failed, or interrupted when even its end could not be stored), saying the disk is full", line.Run.Status, line.Run.Error)
	}
	var running tools.ListJobsResult
	structured(t, mc.call(ctx, t, "list_jobs", map[string]any{"status": "running"}, ""), &running)
	if len(running.Jobs) != 0 {
		t.Errorf("jobs still running: %+v", running.Jobs)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	var resumed tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"resume_run_id": line.Run.ID}, ""), &resumed)
	done := runLine(t, mc, line.Run.ID)
	if done.Run.Status != record.StatusCompleted || len(done.Samples) != 600 || len(passByKey(done.Samples)) != 600 {
		t.Errorf("resumed run: %s with %d samples (%d distinct), want completed with 600", done.Run.Status, len(done.Samples), len(passByKey(done.Samples)))
	}
}

// TestCompareJobWaitsForHostDown: a background comparison whose Ollama
// server stops waits for it, then resumes the same runs when a server
// answers on the same address, every sample once.
func TestCompareJobWaitsForHostDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := restartable(ctx, t)
	first := start("")
	mc, _ := serveHTTP(t, filepath.Join(t.TempDir(), "bench.db"), "local="+first.URL.String())
	var seeds []any
	for i := range 30 {
		seeds = append(seeds, 11+i)
	}
	var queued tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{
		"variants": []any{
			map[string]any{"model": "tiny-s", "label": "warm", "options": map[string]any{"temperature": 1.0}},
			map[string]any{"model": "tiny-s", "label": "cool", "options": map[string]any{"temperature": 0.5}},
		},
		"tasks": quickTasks(), "seeds": seeds, "background": true,
	}, ""), &queued)
	waitFor(t, func() bool { return jobStatusOf(t, mc, queued.JobID).Done >= 5 })
	first.Close()
	waitFor(t, func() bool {
		st := jobStatusOf(t, mc, queued.JobID)
		if st.Status == record.JobCompleted || st.Status == record.JobFailed {
			t.Fatalf("the comparison's job ended (%s: %s) while its host was down; it should wait", st.Status, st.Error)
		}
		return st.Status == record.JobWaiting
	})
	start(first.URL.Host)
	st := waitJob(t, mc, queued.JobID)
	if st.Status != record.JobCompleted || len(st.RunIDs) != 2 || st.Attempts != 2 {
		t.Fatalf("after the host came back: %+v", st)
	}
	for _, id := range st.RunIDs {
		line := runLine(t, mc, id)
		if got := len(passByKey(line.Samples)); line.Run.Status != record.StatusCompleted || len(line.Samples) != 6*30 || got != 6*30 || line.Run.Summary.Faults != 0 {
			t.Errorf("run %s: %s, %d samples (%d distinct), %d faults; want completed, 180 once each, none", id, line.Run.Status, len(line.Samples), got, line.Run.Summary.Faults)
		}
	}
}
