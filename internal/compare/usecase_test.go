package compare

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// storeRuns is a store holding completed runs of four tasks: each run is
// given as a record.Run template and a pass string ("PPF."), one sample
// per task at iteration 1. It returns the store and the runs' ids in order.
func storeRuns(t *testing.T, runs ...struct {
	run  record.Run
	pass string
}) (*memory.Store, []string) {
	t.Helper()
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var ids []string
	for _, r := range runs {
		run := r.run
		if run.Status == "" {
			run.Status = record.StatusCompleted
		}
		if err := st.PutRun(&run); err != nil {
			t.Fatal(err)
		}
		for i, p := range r.pass {
			smp := record.Sample{RunID: run.ID, TaskID: fmt.Sprintf("t%02d", i+1), Iteration: 1, Pass: p == 'P'}
			if smp.Pass {
				smp.Score = 1
			}
			if err := st.AppendSample(smp); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, run.ID)
	}
	return st, ids
}

type stored = struct {
	run  record.Run
	pass string
}

func TestStoredRefusals(t *testing.T) {
	st, ids := storeRuns(t,
		stored{record.Run{Model: "tiny-s", Suite: "tiny", SuiteHash: "h1"}, "PPFF"},
		stored{record.Run{Model: "tiny-m", Suite: "tiny", SuiteHash: "h1"}, "PPPF"},
		stored{record.Run{Model: "tiny-l", Suite: "other", SuiteHash: "h2"}, "PPPP"},
		stored{record.Run{Model: "tiny-l", Suite: "tiny", SuiteHash: "h1", Options: map[string]any{"num_ctx": 512.0}}, "PPPP"},
	)
	s := &Service{Store: st}
	for _, tc := range []struct {
		q    Query
		want string
	}{
		{Query{RunIDs: ids[:1]}, "1 run_ids; compare 2 to 8 runs"},
		{Query{RunIDs: []string{ids[0], ids[0]}}, "run " + ids[0] + " is listed twice in run_ids"},
		{Query{RunIDs: []string{ids[0], "r-nowhere"}}, "run r-nowhere is not in the store; list runs with `benchmcp runs list`"},
		{Query{RunIDs: ids[:3]}, fmt.Sprintf("run %s used suite other (hash h2) but run %s used tiny (hash h1); only runs of the same suite can be paired", ids[2], ids[0])},
		{Query{RunIDs: ids[:2], Baseline: "tiny-x"}, `baseline "tiny-x" is neither a label nor a run id of the compared runs; labels: tiny-m, tiny-s`},
		{Query{RunIDs: []string{ids[0], ids[3]}}, "options"},
	} {
		_, err := s.Stored(context.Background(), tc.q)
		var ie *bench.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want an InputError with %q", tc.q, err, tc.want)
		}
	}
}

func TestStoredComparison(t *testing.T) {
	st, ids := storeRuns(t,
		stored{record.Run{Model: "tiny-m", Suite: "tiny", SuiteHash: "h1", ComparisonID: "c1"}, "PPFF"},
		stored{record.Run{Model: "tiny-m", Suite: "tiny", SuiteHash: "h1", ComparisonID: "c1", Preamble: "Be brief.", Notes: "preamble:concise", Options: map[string]any{"num_ctx": 512.0}}, "PPPP"},
		stored{record.Run{Model: "tiny-m", Suite: "tiny", SuiteHash: "h1", ComparisonID: "c1", Preamble: "Answer with the result only, nothing else at all.", Status: record.StatusCancelled}, "PPP"},
	)
	s := &Service{Store: st}
	o, err := s.Stored(context.Background(), Query{RunIDs: ids, Baseline: ids[1]})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, v := range o.Variants {
		labels = append(labels, v.Label)
	}
	// Same-comparison runs may differ in options and preamble; the
	// comparison id is the one they share; a cancelled run sets the status;
	// a run id names the baseline.
	want := []string{"tiny-m", "tiny-m+concise", `tiny-m+"Answer with the result …"`}
	if diff := cmp.Diff(want, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if o.ComparisonID != "c1" || o.Status != record.StatusCancelled || o.Result.Baseline != "tiny-m+concise" || o.Suite != "tiny" || o.SuiteHash != "h1" {
		t.Errorf("got id %q status %s baseline %q suite %s/%s", o.ComparisonID, o.Status, o.Result.Baseline, o.Suite, o.SuiteHash)
	}
	if got, want := o.Title(), "Comparison c1 on tiny: cancelled"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
}

func TestRecent(t *testing.T) {
	st, _ := storeRuns(t,
		stored{record.Run{Model: "tiny-s", ComparisonID: "c1"}, "P"},
		stored{record.Run{Model: "tiny-m", ComparisonID: "c1"}, "P"},
		stored{record.Run{Model: "tiny-m"}, "P"},
		stored{record.Run{Model: "tiny-m", ComparisonID: "s2"}, "P"},
		stored{record.Run{Model: "tiny-l", ComparisonID: "c3"}, "P"},
	)
	for n, want := range map[int][]string{1: {"c3"}, 5: {"c3", "s2", "c1"}} {
		got, err := Recent(st, n)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Recent(%d) (-want +got):\n%s", n, diff)
		}
	}
}
