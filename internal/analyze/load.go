package analyze

import (
	"context"
	"errors"
	"fmt"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// Store is what an analysis reads. *memory.Store implements it.
type Store interface {
	GetRun(id string) (record.Run, error)
	ListRuns(f memory.Filter) ([]record.Run, error)
	Baseline(model, suite string) (record.Run, error)
	Samples(runID string) ([]record.Sample, error)
}

// FromStore analyses the stored runs f selects, each (model, suite) series
// against its baseline: the run baselineRunID names for its suite, else the
// stored baseline of the series, else its oldest selected run. Runs and
// baselines are read first, without samples (the summaries stored at each
// run's finish stand for them); then only the samples the analysis needs.
// It returns the analysis and how many runs were selected. A baseline that
// is not stored or of no selected suite is a *bench.InputError.
func FromStore(ctx context.Context, st Store, f memory.Filter, baselineRunID string, allow []string) (Result, int, error) {
	var explicit *Input
	if baselineRunID != "" {
		r, err := st.GetRun(baselineRunID)
		if errors.Is(err, memory.ErrRunNotFound) {
			return Result{}, 0, &bench.InputError{Err: fmt.Errorf("baseline_run_id %s is not in the store; list runs with `benchmcp runs list`", baselineRunID)}
		}
		if err != nil {
			return Result{}, 0, fmt.Errorf("analyze results: read run %s: %w", baselineRunID, err)
		}
		explicit = &Input{Run: r}
	}
	runs, err := st.ListRuns(f)
	if err != nil {
		return Result{}, 0, fmt.Errorf("analyze results: %w", err)
	}
	inputs := make([]Input, 0, len(runs))
	baselines := map[Key]Input{}
	for _, r := range runs {
		inputs = append(inputs, Input{Run: r})
		k := Key{Model: r.Model, Suite: r.Suite}
		if _, ok := baselines[k]; ok {
			continue
		}
		switch b, err := st.Baseline(r.Model, r.Suite); {
		case explicit != nil && explicit.Run.Suite == r.Suite:
			baselines[k] = *explicit
		case errors.Is(err, memory.ErrRunNotFound):
			// the oldest selected run stands in
		case err != nil:
			return Result{}, 0, fmt.Errorf("analyze results: %w", err)
		default:
			baselines[k] = Input{Run: b}
		}
	}
	if explicit != nil && len(runs) > 0 && !hasSuite(runs, explicit.Run.Suite) {
		return Result{}, 0, &bench.InputError{Err: fmt.Errorf("baseline_run_id %s is a run of suite %s, but no selected run is; pick a baseline of the selected suite or widen the filters", explicit.Run.ID, explicit.Run.Suite)}
	}
	need := SamplesNeeded(inputs, baselines, allow)
	read := map[string][]record.Sample{}
	samples := func(id string) ([]record.Sample, error) {
		if smps, ok := read[id]; ok || !need[id] {
			return smps, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		smps, err := st.Samples(id)
		if err != nil {
			return nil, fmt.Errorf("analyze results: read samples of run %s: %w", id, err)
		}
		read[id] = smps
		return smps, nil
	}
	for i := range inputs {
		if inputs[i].Samples, err = samples(inputs[i].Run.ID); err != nil {
			return Result{}, 0, err
		}
	}
	for k, b := range baselines {
		if b.Samples, err = samples(b.Run.ID); err != nil {
			return Result{}, 0, err
		}
		baselines[k] = b
	}
	return Analyze(inputs, baselines, allow), len(runs), nil
}

func hasSuite(runs []record.Run, suite string) bool {
	for _, r := range runs {
		if r.Suite == suite {
			return true
		}
	}
	return false
}
