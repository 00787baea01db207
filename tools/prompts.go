package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/record"
)

// The data the server's write-up prompts (plan_benchmark, write_findings,
// compare_writeup) are filled with, gathered here so that their handlers
// only turn it into text.

// PlanIterations is the iterations plan_benchmark plans for when none are given.
const PlanIterations = 3

// Compared is a comparison of stored runs, as the write-up prompts use it.
type Compared struct {
	ComparisonID string
	Suite        string
	Status       record.Status
	Result       compare.Result
	Runs         []record.Run      // the variants' runs, in the result's order
	Prompts      map[string]string // task id: prompt, when the suite is stored
}

// Subject names the comparison in a prompt: "comparison c… (tiny-s vs tiny-m on tiny)".
func (c Compared) Subject() string {
	var labels []string
	for _, v := range c.Result.Variants {
		labels = append(labels, v.Label)
	}
	what := strings.Join(labels, " vs ") + " on " + c.Suite
	if c.ComparisonID != "" {
		return "comparison " + c.ComparisonID + " (" + what + ")"
	}
	return what
}

// Findings is the comparison's deterministic findings write-up.
func (c Compared) Findings() findings.Writeup {
	w := findings.Findings(c.Result, c.Runs...)
	w.Title = "Findings of " + c.Subject()
	return w
}

// FindingsFor compares stored runs for a write-up, as compare_models does
// with run_ids: the runs of comparisonID (baseline the first made), or
// runIDs (baseline the first listed). Give one of the two; a missing or
// unknown id is a UserError that lists the newest comparison ids.
func (s *Service) FindingsFor(ctx context.Context, comparisonID string, runIDs []string) (Compared, error) {
	comparisonID = strings.TrimSpace(comparisonID)
	switch {
	case comparisonID != "" && len(runIDs) > 0:
		return Compared{}, userErrorf("give comparison_id or run_ids, not both")
	case comparisonID == "" && len(runIDs) == 0:
		return Compared{}, s.whichComparison("give comparison_id (a compare_models result's comparison_id) or run_ids (2 to 8 stored run ids, comma-separated)")
	case comparisonID != "":
		ids, err := compare.GroupRunIDs(s.Store, comparisonID)
		if err != nil {
			return Compared{}, err
		}
		if len(ids) == 0 {
			return Compared{}, s.whichComparison(fmt.Sprintf("comparison %s is not in the store", comparisonID))
		}
		if len(ids) > MaxVariants {
			return Compared{}, userErrorf("comparison %s has %d runs (a sweep?); pass run_ids of %d to %d of them instead", comparisonID, len(ids), MinVariants, MaxVariants)
		}
		runIDs = ids
	}
	o, err := s.comparisons().Stored(ctx, compare.Query{RunIDs: runIDs, ComparisonID: comparisonID})
	if err != nil {
		return Compared{}, err
	}
	c := Compared{ComparisonID: o.ComparisonID, Suite: o.Suite, Status: o.Status, Result: o.Result}
	for _, v := range o.Result.Variants { // the variants' runs, as the result orders them
		for _, in := range o.Variants {
			if in.Run.ID == v.RunID {
				c.Runs = append(c.Runs, in.Run)
			}
		}
	}
	if len(c.Runs) > 0 {
		c.Prompts = compare.Prompts(s.Store, c.Runs[0].SuiteHash)
	}
	return c, nil
}

// whichComparison is a UserError that says what is wrong and lists the
// newest comparison ids to pass.
func (s *Service) whichComparison(problem string) error {
	ids, err := s.RecentComparisons(5)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return userErrorf("%s; the store has no comparisons yet: run compare_models first, or pass run_ids of stored runs", problem)
	}
	return userErrorf("%s; the newest comparison ids: %s", problem, strings.Join(ids, ", "))
}

// RecentComparisons lists up to n comparison ids of stored runs, newest first.
func (s *Service) RecentComparisons(n int) ([]string, error) {
	return compare.Recent(s.Store, n)
}

// PlanFor is what a run of model on a suite (default tiny) at iterations
// (0: PlanIterations) can detect, as run_benchmark's plan=true gives it,
// aiming at a bench.DefaultEffect difference. Nothing runs.
func (s *Service) PlanFor(model, suite string, iterations int) (bench.Plan, error) {
	if iterations == 0 {
		iterations = PlanIterations
	}
	if iterations < 1 || iterations > bench.MaxIterations {
		return bench.Plan{}, userErrorf("iterations %d is out of range; give 1 to %d", iterations, bench.MaxIterations)
	}
	cfg, err := s.configFor(record.RunConfig{Model: model, Suite: suite, Iterations: iterations})
	if err != nil {
		return bench.Plan{}, err
	}
	return s.plan(cfg, []string{model}, 1, bench.DefaultEffect, 0)
}
