package sweep_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/sweep"
	"github.com/benchmcp/benchmcp/memory"
)

// TestServiceRunsAndResumesCells runs listed cells through the sweep use
// case as a caller other than the sweep tool does (evaluate_routing runs
// its missing candidates so): every cell's run is stored under the sweep's
// id with the given tags and seeds, began is told the runs, and resuming the finished sweep runs nothing again.
func TestServiceRunsAndResumesCells(t *testing.T) {
	store, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ex := ollamatest.Executor(t)
	st := quick(t)
	svc := &sweep.Service{
		Store: store, Runner: &bench.Runner{Exec: ex, Store: store}, Exec: ex,
		Configure: func(c sweep.Cell, set record.RunConfig, seeds bench.SeedPlan) (bench.Config, error) {
			return bench.Config{Model: c.Model, Host: c.Host, Options: c.Options, Suite: st,
				Iterations: set.Iterations, Seeds: seeds, Tags: set.Tags}, nil
		},
	}
	cells, err := sweep.Grid(nil, []sweep.Cell{{Model: "tiny-s"}, {Model: "tiny-m"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var began []string
	var beganID string
	req := sweep.Request{
		Base:  record.RunConfig{Seeds: []int{7}, Tags: []string{"route-eval"}},
		Cells: cells,
		Began: func(ids []string, id string) { began, beganID = ids, id },
	}
	sw, err := svc.Run(context.Background(), req)
	if err != nil || sw.Err != nil {
		t.Fatalf("run: %v, cell error %v", err, sw.Err)
	}
	if beganID != sw.ID || len(began) != 2 {
		t.Fatalf("began %v of %q; want the 2 runs of %s", began, beganID, sw.ID)
	}
	if sw.Status != record.StatusCompleted || !slices.Equal(sw.Seeds, []int{7}) || sw.Suite != "quick" {
		t.Errorf("status %s, seeds %v, suite %s", sw.Status, sw.Seeds, sw.Suite)
	}
	for i, c := range sw.Analysis.Cells {
		if c.RunID != began[i] || c.Status != record.StatusCompleted || c.Summary.Samples != len(st.Tasks) {
			t.Errorf("cell %s: run %s (began %s), %s, %d samples", c.Label, c.RunID, began[i], c.Status, c.Summary.Samples)
		}
		run, err := store.GetRun(c.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"route-eval", "sweep:" + sw.ID}, run.Tags); diff != "" || run.ComparisonID != sw.ID || run.Label != c.Label {
			t.Errorf("run %s: comparison %q, label %q, tags (-want +got):\n%s", run.ID, run.ComparisonID, run.Label, diff)
		}
	}

	// Resuming a finished sweep stores nothing new: the same runs come back.
	first := slices.Clone(began)
	req.Resume = sw.ID
	req.Began = func(ids []string, id string) { // every cell's run, the finished ones too, in no order
		if id != sw.ID || !cmp.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(first))) {
			t.Errorf("resume began %v of %s, want %v of %s", ids, id, first, sw.ID)
		}
	}
	again, err := svc.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range again.Analysis.Cells {
		ids = append(ids, c.RunID)
	}
	if !slices.Equal(ids, first) || again.ID != sw.ID {
		t.Errorf("resumed sweep %s has runs %v, want %s's %v", again.ID, ids, sw.ID, first)
	}
	runs, err := store.ListRuns(memory.Filter{ComparisonID: sw.ID})
	if err != nil || len(runs) != 2 {
		t.Errorf("%d runs stored under %s (%v), want 2", len(runs), sw.ID, err)
	}
}
