package tools

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/memory"
)

// storeCategoryRun stores a completed run of model whose add category passed
// `passed` of `samples` tasks (add-0, add-1, ...), and 4 upper tasks passing.
func storeCategoryRun(t *testing.T, st *memory.Store, model string, passed, samples int) string {
	t.Helper()
	r := &record.Run{Model: model, Host: "local", Suite: "tiny", SuiteHash: "h1", StartedAt: time.Now().UTC(), Iterations: 1}
	if err := st.PutRun(r); err != nil {
		t.Fatal(err)
	}
	add := func(id, cat string, pass bool) {
		if err := st.AppendSample(record.Sample{RunID: r.ID, TaskID: id, Category: cat, Iteration: 1, Pass: pass}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range samples {
		add(fmt.Sprintf("add-%d", i), "add", i < passed)
	}
	for i := range 4 {
		add(fmt.Sprintf("upper-%d", i), "upper", true)
	}
	sum := &record.Summary{Headline: record.Headline{Samples: samples + 4, PassRate: float64(passed+4) / float64(samples+4), PassRateCI: stats.WilsonRate(float64(passed+4)/float64(samples+4), float64(samples+4), 0.95)}, Passed: passed + 4,
		Categories: []record.TaskSummary{
			{ID: "add", Samples: samples, Passed: passed, PassRate: float64(passed) / float64(samples)},
			{ID: "upper", Samples: 4, Passed: 4, PassRate: 1},
		}}
	if err := st.FinishRun(r.ID, record.StatusCompleted, sum, ""); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// localExec is an executor with one host, "local", that no test calls.
func localExec(t *testing.T) *executor.Executor {
	t.Helper()
	hosts, err := executor.ParseHosts("local=http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	return executor.New(hosts...)
}

func TestRouteTaskEvidence(t *testing.T) {
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := &Service{Store: st, Exec: localExec(t)}
	ctx := context.Background()
	cands := []string{"tiny-s", "tiny-m", "tiny-l"}

	// No runs yet: evidence falls back to the heuristic, and says so.
	res, md, err := svc.RouteTask(ctx, RouteTaskArgs{Task: "What is 4821+967?", Category: "add", Candidates: cands})
	if err != nil {
		t.Fatal(err)
	}
	if res.Strategy != "heuristic" || res.Chosen != "tiny-m" || res.Difficulty != "medium" || !strings.Contains(res.Reason, "fell back to the heuristic") {
		t.Errorf("no evidence: %+v", res)
	}
	if !strings.Contains(md, "**Route: tiny-m**") {
		t.Errorf("markdown %q", md)
	}

	s1 := storeCategoryRun(t, st, "tiny-s", 2, 10)
	s2 := storeCategoryRun(t, st, "tiny-s", 3, 10)
	m1 := storeCategoryRun(t, st, "tiny-m", 9, 10)
	storeCategoryRun(t, st, "tiny-l", 10, 10)

	res, _, err = svc.RouteTask(ctx, RouteTaskArgs{Task: "What is 4821+967?", Category: "add", Candidates: cands, Strategy: "evidence"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Strategy != "evidence" || res.Chosen != "tiny-m" {
		t.Fatalf("add: chose %s by %s (%s), want tiny-m by evidence", res.Chosen, res.Strategy, res.Reason)
	}
	ev := res.Evidence
	if len(ev) != 3 || ev[0].Samples != 20 || ev[0].Passed != 5 || ev[0].PassRate != 0.25 || ev[0].Qualifies ||
		len(ev[0].RunIDs) != 2 || ev[0].RunIDs[0] != s2 || ev[0].RunIDs[1] != s1 {
		t.Errorf("tiny-s evidence %+v (runs newest first: %s, %s)", ev[0], s2, s1)
	}
	if ev[1].RunIDs[0] != m1 || ev[1].PassRate != 0.9 || !ev[1].Qualifies || ev[1].CI.Lo < 0.59 || ev[1].CI.Hi > 0.99 {
		t.Errorf("tiny-m evidence %+v", ev[1])
	}

	// The upper category: tiny-s is cheapest and good enough.
	res, _, err = svc.RouteTask(ctx, RouteTaskArgs{Task: "Uppercase river.", Category: "upper", Candidates: cands})
	if err != nil || res.Chosen != "tiny-s" {
		t.Errorf("upper: %+v, %v", res, err)
	}
	// A bar nobody reaches: the best scorer.
	res, _, err = svc.RouteTask(ctx, RouteTaskArgs{Task: "x", Category: "add", Candidates: []string{"tiny-s", "tiny-m"}, MinPassRate: 0.95})
	if err != nil || res.Chosen != "tiny-m" || !strings.Contains(res.Reason, "no candidate reaches pass rate 0.95") {
		t.Errorf("fallback to best: %+v, %v", res, err)
	}

	ds, err := st.RouteDecisions(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 4 || ds[0].Chosen != "tiny-m" || ds[0].Strategy != "evidence" || ds[3].Strategy != "heuristic" || ds[3].Task != "What is 4821+967?" || ds[0].ID != res.DecisionID {
		t.Errorf("stored decisions %+v", ds)
	}
}

func TestRouteTaskHeuristicAndErrors(t *testing.T) {
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := &Service{Store: st, Exec: localExec(t)}
	ctx := context.Background()
	cands := []string{"tiny-s", "tiny-m", "tiny-l"}

	res, _, err := svc.RouteTask(ctx, RouteTaskArgs{Task: "Write a Python function add(a, b) that returns the sum of a and b.", Candidates: cands, Strategy: "heuristic"})
	if err != nil || res.Chosen != "tiny-l" || res.Difficulty != "hard" || !strings.Contains(res.Reason, "code") {
		t.Errorf("code task: %+v, %v", res, err)
	}

	for _, tc := range []struct {
		args RouteTaskArgs
		want string
	}{
		{RouteTaskArgs{Task: "x"}, "candidates has 0 models"},
		{RouteTaskArgs{Task: " ", Candidates: cands}, "task is empty"},
		{RouteTaskArgs{Task: "x", Candidates: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}}, "candidates has 9 models"},
		{RouteTaskArgs{Task: "x", Candidates: []string{"tiny-s", "tiny-s"}}, "listed twice"},
		{RouteTaskArgs{Task: "x", Candidates: cands, Strategy: "random"}, "not one of"},
		{RouteTaskArgs{Task: "x", Candidates: cands, MinPassRate: 1.5}, "min_pass_rate"},
		{RouteTaskArgs{Task: "x", Candidates: cands, Strategy: "cascade"}, "give checks"},
		{RouteTaskArgs{Task: "x", Candidates: cands, Strategy: "cascade", Checks: nil, JudgeModel: ""}, "judge_model"},
	} {
		_, _, err := svc.RouteTask(ctx, tc.args)
		var ue *UserError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want a UserError with %q", tc.args, err, tc.want)
		}
	}
}

// TestRouteTaskOutcomesAndScope: reported outcomes become evidence for the
// chosen candidate, in their category; runs on another host, or of another
// suite, do not count.
func TestRouteTaskOutcomesAndScope(t *testing.T) {
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hosts, err := executor.ParseHosts("local=http://127.0.0.1:1,other=http://127.0.0.1:2")
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st, Exec: executor.New(hosts...)}
	ctx := context.Background()
	cands := []string{"tiny-s", "tiny-m"}

	// A run of tiny-s on host other: no evidence for tiny-s on local.
	r := &record.Run{Model: "tiny-s", Host: "other", Suite: "tiny", SuiteHash: "h1", StartedAt: time.Now().UTC(), Iterations: 1}
	if err := st.PutRun(r); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := st.AppendSample(record.Sample{RunID: r.ID, TaskID: fmt.Sprint("sort-", i), Category: "sort", Iteration: 1, Pass: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.FinishRun(r.ID, record.StatusCompleted, &record.Summary{}, ""); err != nil {
		t.Fatal(err)
	}
	res, _, err := svc.RouteTask(ctx, RouteTaskArgs{Task: "Sort the letters dcab.", Category: "sort", Candidates: cands})
	if err != nil {
		t.Fatal(err)
	}
	if res.Strategy != "heuristic" {
		t.Fatalf("a run on another host counted as evidence: %+v", res)
	}
	res, _, err = svc.RouteTask(ctx, RouteTaskArgs{Task: "Sort the letters dcab.", Category: "sort", Candidates: []string{"tiny-s@other", "tiny-m@other"}})
	if err != nil || res.Strategy != "evidence" || res.Chosen != "tiny-s@other" {
		t.Fatalf("tiny-s@other with its run: %+v, %v", res, err)
	}
	res, _, err = svc.RouteTask(ctx, RouteTaskArgs{Task: "Sort the letters dcab.", Category: "sort", Suite: "coding", Candidates: []string{"tiny-s@other", "tiny-m@other"}})
	if err != nil || res.Strategy != "heuristic" {
		t.Fatalf("a run of suite tiny counted for suite coding: %+v, %v", res, err)
	}

	// Three decisions for tiny-s on local, reported good: evidence.
	for _, p := range []string{"Sort the letters dcab.", "Sort the letters fed.", "Sort the letters zyx."} {
		res, _, err := svc.RouteTask(ctx, RouteTaskArgs{Task: p, Category: "sort", Candidates: cands})
		if err != nil || res.Chosen != "tiny-s" {
			t.Fatalf("route %q: %+v, %v", p, res, err)
		}
		ok := true
		got, _, err := svc.RouteTask(ctx, RouteTaskArgs{DecisionID: res.DecisionID, OutcomeOK: &ok, Outcome: "sorted right"})
		if err != nil || !strings.Contains(got.Reason, "recorded the outcome of decision "+res.DecisionID) {
			t.Fatalf("report outcome of %s: %+v, %v", res.DecisionID, got, err)
		}
	}
	res, _, err = svc.RouteTask(ctx, RouteTaskArgs{Task: "Sort the letters cba.", Category: "sort", Candidates: cands})
	if err != nil {
		t.Fatal(err)
	}
	if res.Strategy != "evidence" || res.Chosen != "tiny-s" || res.Evidence[0].Tasks != 3 || !strings.HasPrefix(res.Evidence[0].RunIDs[0], "d") {
		t.Errorf("reported outcomes as evidence: %+v", res)
	}
	// In another category they do not count.
	res, _, err = svc.RouteTask(ctx, RouteTaskArgs{Task: "Uppercase river.", Category: "upper", Candidates: cands})
	if err != nil || res.Strategy != "heuristic" {
		t.Errorf("sort outcomes counted for upper: %+v, %v", res, err)
	}

	// Refusals: an outcome without outcome_ok, an unknown decision, an unknown host.
	if _, _, err := svc.RouteTask(ctx, RouteTaskArgs{DecisionID: "d1"}); err == nil || !strings.Contains(err.Error(), "needs outcome_ok") {
		t.Errorf("outcome without outcome_ok: %v", err)
	}
	ok := true
	if _, _, err := svc.RouteTask(ctx, RouteTaskArgs{DecisionID: "d999", OutcomeOK: &ok}); err == nil || !strings.Contains(err.Error(), "no stored decision") {
		t.Errorf("unknown decision: %v", err)
	}
	if _, _, err := svc.RouteTask(ctx, RouteTaskArgs{Task: "x", Candidates: []string{"tiny-s@gpu"}}); err == nil || !strings.Contains(err.Error(), `unknown host "gpu"`) {
		t.Errorf("unknown host: %v", err)
	}
	if _, _, err := svc.RouteTask(ctx, RouteTaskArgs{Task: "x", Candidates: cands, Strategy: "policy"}); err == nil || !strings.Contains(err.Error(), "run evaluate_routing") {
		t.Errorf("policy without an evaluation: %v", err)
	}
}
