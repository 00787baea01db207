package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

var runsT0 = time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)

// seedStore writes three runs (newest first in the returned IDs) and closes the store.
func seedStore(t *testing.T, path string) []string {
	t.Helper()
	s, err := memory.Open(path, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ids []string
	for i, model := range []string{"tiny-s", "tiny-m", "tiny-s"} {
		r := &record.Run{Model: model, Suite: "arith", Iterations: 2, Tags: []string{"nightly"}, StartedAt: runsT0.Add(time.Duration(i) * time.Hour)}
		if err := s.PutRun(r); err != nil {
			t.Fatal(err)
		}
		for iter := 1; iter <= i+1; iter++ {
			smp := record.Sample{RunID: r.ID, TaskID: "sum", Iteration: iter, Pass: true, Score: 1,
				Measurement: record.Measurement{Output: "432", WallMs: 100}}
			if err := s.AppendSample(smp); err != nil {
				t.Fatal(err)
			}
		}
		if i < 2 {
			sum := &record.Summary{Headline: record.Headline{Samples: i + 1, PassRate: 1}, Passed: i + 1, Tasks: []record.TaskSummary{{ID: "sum", Samples: i + 1, PassRate: 1}}}
			if err := s.FinishRun(r.ID, record.StatusCompleted, sum, ""); err != nil {
				t.Fatal(err)
			}
		}
		ids = append([]string{r.ID}, ids...)
	}
	return ids
}

func runRuns(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), append([]string{"runs"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunsCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")
	ids := seedStore(t, db)
	t.Setenv("BENCHMCP_DB", filepath.Join(dir, "elsewhere.db")) // --db wins over it

	t.Run("list", func(t *testing.T) {
		code, out, errs := runRuns(t, "list", "--db", db)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "PASS") {
			t.Fatalf("table:\n%s", out)
		}
		for i, id := range ids {
			if !strings.HasPrefix(lines[i+1], id) {
				t.Errorf("row %d = %q, want run %s", i+1, lines[i+1], id)
			}
		}
		if !strings.Contains(lines[1], "running") || !strings.Contains(lines[2], "100.0%") {
			t.Errorf("table:\n%s", out)
		}
	})

	t.Run("list json filtered", func(t *testing.T) {
		code, out, errs := runRuns(t, "list", "--model", "tiny-s", "--json", "--db", db)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var got []listedRun
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[2] || got[0].SampleCount != 3 || got[1].SampleCount != 1 {
			t.Errorf("list --model tiny-s --json = %+v", got)
		}
		code, out, _ = runRuns(t, "list", "--status", "completed", "--limit", "1", "--json", "--db", db)
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 1 || got[0].ID != ids[1] {
			t.Errorf("list --status completed --limit 1: exit %d, %v, %+v", code, err, got)
		}
	})

	t.Run("env twin", func(t *testing.T) {
		t.Setenv("BENCHMCP_DB", db)
		code, out, errs := runRuns(t, "list", "--json")
		var got []listedRun
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 3 {
			t.Errorf("list with BENCHMCP_DB: exit %d, %d runs, %v %s", code, len(got), err, errs)
		}
	})

	t.Run("show json after the ID", func(t *testing.T) {
		code, out, errs := runRuns(t, "show", ids[1], "--json", "--db", db)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var got memory.Line
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		s, err := memory.Open(db, memory.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r, _ := s.GetRun(ids[1])
		smps, _ := s.Samples(ids[1])
		r.Summary = bench.Resummarize(r, smps) // shown with this version's statistics
		if d := cmp.Diff(memory.Line{Run: r, Samples: smps}, got); d != "" {
			t.Errorf("show --json (-store +printed):\n%s", d)
		}
	})

	t.Run("show text", func(t *testing.T) {
		code, out, errs := runRuns(t, "show", "--db", db, ids[1])
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, want := range []string{ids[1], "completed", "pass rate", "100.0% (2/2", "TASK", "2 samples", "432"} {
			if !strings.Contains(out, want) {
				t.Errorf("show output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("export import", func(t *testing.T) {
		file := filepath.Join(dir, "tiny-s.jsonl")
		code, _, errs := runRuns(t, "export", "--model", "tiny-s", "--out", file, "--db", db)
		if code != 0 || !strings.Contains(errs, "exported 2 runs") {
			t.Fatalf("export: exit %d: %s", code, errs)
		}
		other := filepath.Join(dir, "other.db")
		code, out, errs := runRuns(t, "import", file, "--db", other)
		if code != 0 || !strings.Contains(out, "imported 2 runs") {
			t.Fatalf("import: exit %d: %s%s", code, out, errs)
		}
		code, out, _ = runRuns(t, "export", "--db", other)
		if code != 0 || strings.Count(out, "\n") != 2 {
			t.Errorf("export of the imported store to stdout: exit %d, %d lines", code, strings.Count(out, "\n"))
		}
		want, _ := os.ReadFile(file)
		if d := cmp.Diff(string(want), out); d != "" {
			t.Errorf("re-export differs (-first +second):\n%s", d)
		}
		code, _, errs = runRuns(t, "import", file, "--db", other)
		if code != 1 || !strings.Contains(errs, "already exists") || !strings.Contains(errs, ids[0]) {
			t.Errorf("second import: exit %d, %s", code, errs)
		}
	})

	t.Run("delete", func(t *testing.T) {
		code, out, errs := runRuns(t, "delete", ids[2], "--db", db)
		if code != 0 || !strings.Contains(out, "deleted run "+ids[2]+" and its 1 samples") {
			t.Fatalf("delete: exit %d: %s%s", code, out, errs)
		}
		code, _, errs = runRuns(t, "show", ids[2], "--db", db)
		if code != 1 || !strings.Contains(errs, "no run "+ids[2]) || !strings.Contains(errs, "benchmcp runs list") {
			t.Errorf("show of a deleted run: exit %d, %s", code, errs)
		}
		code, _, errs = runRuns(t, "delete", ids[2], "--db", db)
		if code != 1 || !strings.Contains(errs, "no run") {
			t.Errorf("second delete: exit %d, %s", code, errs)
		}
	})

	t.Run("missing store", func(t *testing.T) {
		missing := filepath.Join(dir, "none", "bench.db")
		if code, out, _ := runRuns(t, "list", "--json", "--db", missing); code != 0 || strings.TrimSpace(out) != "[]" {
			t.Errorf("list --json of a missing store: exit %d, %q", code, out)
		}
		if code, _, errs := runRuns(t, "list", "--db", missing); code != 0 || !strings.Contains(errs, "no runs") {
			t.Errorf("list of a missing store: exit %d, %q", code, errs)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Errorf("list created %s", missing)
		}
	})

	usage := [][]string{
		nil,
		{"frobnicate"},
		{"show"},
		{"show", "a", "b"},
		{"list", "extra"},
		{"list", "--status", "done"},
		{"list", "--limit", "-1"},
		{"list", "--nope"},
		{"import"},
	}
	for _, args := range usage {
		if code, _, errs := runRuns(t, append(args, "--db", db)...); code != 2 || errs == "" {
			t.Errorf("runs %v: exit %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
	if code, _, _ := runRuns(t, "import", filepath.Join(dir, "nope.jsonl"), "--db", db); code != 1 {
		t.Errorf("import of a missing file: exit %d, want 1", code)
	}
}

func TestRunsCompact(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")
	ids := seedStore(t, db)
	out := filepath.Join(dir, "compact.db")
	if code, _, errs := runRuns(t, "compact", out, "--db", db); code != 0 {
		t.Fatalf("compact: exit %d: %s", code, errs)
	}
	code, listed, errs := runRuns(t, "list", "--json", "--db", out)
	var got []listedRun
	if err := json.Unmarshal([]byte(listed), &got); code != 0 || err != nil || len(got) != len(ids) {
		t.Fatalf("the compacted store lists %d runs (exit %d, %v, %s), want %d", len(got), code, err, errs, len(ids))
	}
	if code, _, errs := runRuns(t, "compact", out, "--db", db); code == 0 || !strings.Contains(errs, "exists") {
		t.Errorf("compacting onto an existing file: exit %d, %q", code, errs)
	}
}
