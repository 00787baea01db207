package route

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/internal/sweep"
	"github.com/benchmcp/benchmcp/memory"
)

func openStore(t *testing.T) *memory.Store {
	t.Helper()
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// routingSuite has 4 easy tasks (sort) and 4 hard ones (mul).
func routingSuite() suite.Suite {
	s := suite.Suite{Name: "routing-test"}
	for i := range 4 {
		s.Tasks = append(s.Tasks, suite.Task{ID: fmt.Sprintf("sort-%d", i), Category: "sort", Prompt: "Sort the letters dcab."})
	}
	for i := range 4 {
		s.Tasks = append(s.Tasks, suite.Task{ID: fmt.Sprintf("mul-%d", i), Category: "mul", Prompt: "What is 4821*967?"})
	}
	return s
}

// storeRun stores a completed run of c on the suite, seeded 11, 12, ...:
// pass says whether the model passes a task; its samples carry an
// llm_judge verdict that says the truth.
func storeRun(t *testing.T, st *memory.Store, c Candidate, s suite.Suite, iterations int, options map[string]any, pass func(suite.Task) bool) string {
	t.Helper()
	seeds := &record.SeedInfo{Mode: "derived"}
	for i := range iterations {
		seeds.Seeds = append(seeds.Seeds, 11+i)
	}
	r := &record.Run{Model: c.Model, Host: c.Host, Suite: s.Name, SuiteHash: s.Hash(), StartedAt: time.Now().UTC(), Iterations: iterations, Seeds: seeds, Options: options}
	if err := st.PutRun(r); err != nil {
		t.Fatal(err)
	}
	for _, task := range s.Tasks {
		for it := 1; it <= iterations; it++ {
			ok := pass(task)
			score := 0.0
			if ok {
				score = 1
			}
			smp := record.Sample{RunID: r.ID, TaskID: task.ID, Category: task.Category, Iteration: it, Pass: ok,
				Checks: []record.CheckResult{{Type: "llm_judge", Pass: ok, Score: score}}}
			smp.WallMs = 100
			if err := st.AppendSample(smp); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.FinishRun(r.ID, record.StatusCompleted, &record.Summary{}, ""); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

var (
	tinyS = Candidate{Model: "tiny-s", Host: "local"}
	tinyL = Candidate{Model: "tiny-l", Host: "local"}
)

func easyOnly(t suite.Task) bool { return t.Category == "sort" }
func passAll(suite.Task) bool    { return true }

// TestEvaluateOffline: from stored runs, the recommendation keeps
// always-big's pass rate while sending the easy half to the small model,
// and it is stored as a policy that route_task's default strategy follows.
func TestEvaluateOffline(t *testing.T) {
	st := openStore(t)
	s := &Service{Store: st}
	ctx := context.Background()
	setup := Setup{Candidates: []Candidate{tinyS, tinyL}, Suite: routingSuite(), Iterations: 2, Within: 0.02}

	_, err := s.Evaluate(ctx, setup, EvaluateHooks{})
	var ie *bench.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "no completed run on suite routing-test") || !strings.Contains(err.Error(), "tiny-s@local: run_benchmark") {
		t.Fatalf("without runs: err %v, want an InputError naming both runs to make", err)
	}

	smallRun := storeRun(t, st, tinyS, setup.Suite, 2, nil, easyOnly)
	bigRun := storeRun(t, st, tinyL, setup.Suite, 2, nil, passAll)
	var stored *Evaluation
	ev, err := s.Evaluate(ctx, setup, EvaluateHooks{Full: func(ev *Evaluation) any { c := *ev; stored = &c; return ev }})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Mode != Offline || ev.Tasks != 8 || ev.PolicyID == "" || len(ev.Verdicts) != 8 {
		t.Errorf("evaluation %+v", ev)
	}
	if diff := cmp.Diff(map[string]string{"tiny-s@local": smallRun, "tiny-l@local": bigRun}, ev.Runs); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{11, 12}, ev.Seeds); diff != "" {
		t.Errorf("shared seeds (-want +got):\n%s", diff)
	}
	var rec PolicyResult
	for _, p := range ev.Policies {
		if p.ID == ev.Recommended {
			rec = p
		}
	}
	if rec.PassRate != 1 || rec.BigShare > 0.5 {
		t.Errorf("recommended %s: pass rate %g, big share %g; want 1 and at most half the tasks on the big model", rec.ID, rec.PassRate, rec.BigShare)
	}
	if stored == nil || stored.PolicyID != "" {
		t.Errorf("Full got %+v, want the evaluation before its policy id is known", stored)
	}
	p, err := st.GetRoutingPolicy(ev.PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	var full Evaluation
	if err := json.Unmarshal(p.Result, &full); err != nil || full.Recommended != ev.Recommended || p.Recommended.ID() != ev.Recommended || p.Heuristic == nil {
		t.Errorf("stored policy %+v (result %+v, %v)", p, full, err)
	}
	if got, err := s.DefaultStrategy(setup.Candidates); got != Policy || err != nil {
		t.Errorf("DefaultStrategy = %q, %v; want policy once an evaluation is stored", got, err)
	}
	if got, err := s.DefaultStrategy([]Candidate{tinyL, tinyS}); got != Evidence || err != nil {
		t.Errorf("DefaultStrategy of other candidates = %q, %v; want evidence", got, err)
	}
}

// sweeper is a Sweeper that runs nothing: it records the request and
// answers with what run makes of it (a cell state a real sweep gives only
// after a fault or a cancel).
type sweeper struct {
	asked *sweep.Request
	run   func(r sweep.Request) []sweep.CellResult
}

func (f sweeper) Run(ctx context.Context, r sweep.Request) (*sweep.Swept, error) {
	*f.asked = r
	return &sweep.Swept{Analysis: sweep.Result{Cells: f.run(r)}}, nil
}

// TestRunMissing: an online evaluation asks its sweeper for the candidates
// without a run only, on the seeds the stored runs share, and reads back
// every candidate's run. (The real sweep behind it: the server's
// TestEvaluateRoutingLive.)
func TestRunMissing(t *testing.T) {
	st := openStore(t)
	setup := Setup{Candidates: []Candidate{tinyS, tinyL}, Suite: routingSuite(), SuiteRef: "routing.yaml", Iterations: 2, Options: map[string]any{"num_ctx": 512}, Online: true}
	storeRun(t, st, tinyL, setup.Suite, 2, nil, passAll) // default options: does not count
	runs := []*record.Run{nil, {ID: "stored", Seeds: &record.SeedInfo{Seeds: []int{11, 12}}}}
	var asked sweep.Request
	var made string
	s := &Service{Store: st, Sweeps: sweeper{&asked, func(r sweep.Request) []sweep.CellResult {
		made = storeRun(t, st, tinyS, setup.Suite, 2, r.Cells[0].Options, easyOnly)
		return []sweep.CellResult{{Cell: r.Cells[0], RunID: made, Status: record.StatusCompleted}}
	}}}
	_, err := s.runMissing(context.Background(), setup, runs, EvaluateHooks{Resume: "s7"})
	// The big model's stored run has other options: after the sweep it is still not found.
	if err == nil || !strings.Contains(err.Error(), "the run of tiny-l@local completed but is not found on suite routing-test") {
		t.Errorf("err %v, want the big model's run not found", err)
	}
	want := sweep.Request{Base: record.RunConfig{Suite: "routing.yaml", Seeds: []int{11, 12}, Tags: []string{SweepTag}},
		Cells: []sweep.Cell{{Label: "tiny-s@local", Model: "tiny-s", Host: "local", Options: setup.Options}}, Resume: "s7"}
	if diff := cmp.Diff(want, asked,
		cmp.Comparer(func(a, b func(int, int, string)) bool { return a == nil && b == nil }),
		cmp.Comparer(func(a, b func([]string, string)) bool { return a == nil && b == nil })); diff != "" {
		t.Errorf("the sweeper was asked (-want +got):\n%s", diff)
	}
	if made == "" {
		t.Fatal("the sweeper was not called")
	}

	s.Sweeps = sweeper{&asked, func(r sweep.Request) []sweep.CellResult {
		return []sweep.CellResult{{Cell: r.Cells[0], RunID: "r9", Status: record.StatusCancelled}}
	}}
	_, err = s.runMissing(context.Background(), setup, []*record.Run{nil, nil}, EvaluateHooks{})
	if err == nil || !strings.Contains(err.Error(), "the run of tiny-s@local ended cancelled (run r9)") {
		t.Errorf("a cancelled cell: err %v", err)
	}
}

// TestDecideAndOutcome: a heuristic decision is stored; its reported
// outcome is recorded on it; an unknown decision is the caller's mistake.
func TestDecideAndOutcome(t *testing.T) {
	st := openStore(t)
	s := &Service{Store: st}
	ctx := context.Background()
	r := Request{Task: "Write a Python function add(a, b) that returns the sum of a and b.", Candidates: []Candidate{tinyS, tinyL}, Strategy: Heuristic}
	if s.RunsModels(r) {
		t.Error("RunsModels: a heuristic decision runs no model")
	}
	d, err := s.Decide(ctx, r)
	if err != nil || d.Chosen != "tiny-l@local" || d.Difficulty != string(Hard) || d.ID == "" {
		t.Fatalf("Decide = %+v, %v", d, err)
	}
	got, err := s.ReportOutcome(d.ID, false, "")
	if err != nil || !strings.Contains(got.Reason, "reported bad; it is evidence for tiny-l@local in category (none)") {
		t.Errorf("ReportOutcome = %+v, %v", got, err)
	}
	stored, err := st.GetRouteDecision(d.ID)
	if err != nil || stored.OutcomeOK == nil || *stored.OutcomeOK || stored.Outcome != "reported bad" {
		t.Errorf("stored decision %+v, %v", stored, err)
	}
	_, err = s.ReportOutcome("d999", true, "")
	var ie *bench.InputError
	if !errors.As(err, &ie) {
		t.Errorf("unknown decision: err %v, want an InputError", err)
	}
	if !s.RunsModels(Request{Candidates: r.Candidates, Strategy: Cascade}) {
		t.Error("RunsModels: a cascade runs models")
	}
	_, err = s.Decide(ctx, Request{Task: "x", Candidates: r.Candidates, Strategy: Policy})
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "no routing evaluation is stored for candidates tiny-s@local, tiny-l@local") {
		t.Errorf("policy without an evaluation: err %v", err)
	}
}

func TestSharedSeeds(t *testing.T) {
	seeded := func(s ...int) *record.Run { return &record.Run{Seeds: &record.SeedInfo{Seeds: s}} }
	for _, tc := range []struct {
		name string
		runs []*record.Run
		want []int
	}{
		{"the same", []*record.Run{seeded(1, 2, 3), nil, seeded(1, 2)}, []int{1, 2}},
		{"different", []*record.Run{seeded(1, 2), seeded(1, 3)}, nil},
		{"too few", []*record.Run{seeded(1)}, nil},
		{"unseeded", []*record.Run{seeded(1, 2), {}}, nil},
		{"none stored", []*record.Run{nil, nil}, nil},
	} {
		if got := sharedSeeds(tc.runs, 2); !cmp.Equal(got, tc.want) {
			t.Errorf("%s: sharedSeeds = %v, want %v", tc.name, got, tc.want)
		}
	}
}
