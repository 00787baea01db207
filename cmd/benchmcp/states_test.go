package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// TestRunsViewsShowDeadRunsInterrupted: a run stored running by a process
// that is gone (here: this pid, but another process start, as after a
// container restart) reads interrupted in `runs list`, `runs list --status
// interrupted`, `runs show` and `runs export`, which open the store
// read-only and so do not sweep it; `runs list --status running` leaves it
// out. A run of an older record (no start) owned by this live pid on this
// host still reads running.
func TestRunsViewsShowDeadRunsInterrupted(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	host, _ := os.Hostname()
	s, err := memory.Open(db, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lines := []memory.Line{
		{Run: record.Run{ID: "r-dead", Status: record.StatusRunning, Model: "tiny-s", Suite: "arith", Iterations: 1, StartedAt: runsT0,
			OwnerPID: os.Getpid(), OwnerHost: host, OwnerStart: "00000000-0000-0000-0000-000000000000:1"},
			Samples: []record.Sample{{TaskID: "sum", Iteration: 1, Pass: true, Score: 1, Measurement: record.Measurement{Output: "432", WallMs: 100}}}},
		{Run: record.Run{ID: "r-live", Status: record.StatusRunning, Model: "tiny-s", Suite: "arith", Iterations: 1, StartedAt: runsT0.Add(1),
			OwnerPID: os.Getpid(), OwnerHost: host}},
	}
	if _, err := s.PutLines(lines); err != nil {
		t.Fatal(err)
	}
	s.Close()

	list := func(args ...string) map[string]record.Status {
		t.Helper()
		code, out, errs := runRuns(t, append([]string{"list", "--json", "--db", db}, args...)...)
		if code != 0 {
			t.Fatalf("runs list %v: exit %d: %s", args, code, errs)
		}
		var got []listedRun
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		m := map[string]record.Status{}
		for _, r := range got {
			m[r.ID] = r.Status
		}
		return m
	}
	if got := list(); got["r-dead"] != record.StatusInterrupted || got["r-live"] != record.StatusRunning {
		t.Errorf("runs list: %v", got)
	}
	if got := list("--status", "interrupted"); len(got) != 1 || got["r-dead"] != record.StatusInterrupted {
		t.Errorf("runs list --status interrupted: %v, want r-dead alone", got)
	}
	if got := list("--status", "running"); len(got) != 1 || got["r-live"] != record.StatusRunning {
		t.Errorf("runs list --status running: %v, want r-live alone", got)
	}
	code, out, errs := runRuns(t, "show", "r-dead", "--json", "--db", db)
	if code != 0 || !strings.Contains(out, `"status": "interrupted"`) && !strings.Contains(out, `"status":"interrupted"`) {
		t.Errorf("runs show r-dead: exit %d %s\n%s", code, errs, out)
	}
	code, out, errs = runRuns(t, "export", "--db", db)
	if code != 0 {
		t.Fatalf("runs export: exit %d: %s", code, errs)
	}
	var statuses []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var line memory.Line
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		statuses = append(statuses, line.Run.ID+"="+string(line.Run.Status))
	}
	slices.Sort(statuses)
	if want := []string{"r-dead=interrupted", "r-live=running"}; !slices.Equal(statuses, want) {
		t.Errorf("runs export: %v, want %v", statuses, want)
	}
	code, out, _ = runRuns(t, "export", "--status", "interrupted", "--db", db)
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, `"id":"r-dead"`) {
		t.Errorf("runs export --status interrupted: exit %d\n%s", code, out)
	}
}
