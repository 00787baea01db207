package tools

import (
	"encoding/json"
	"fmt"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/route"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/internal/sweep"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/prompts"
)

// The tools' shared plumbing: the domain's use cases on the service's
// store and executor, tool arguments resolved into run configurations
// (suite roots, the preamble library, seeds), and plans of what a design
// can detect. run_benchmark, compare_models, sweep and evaluate_routing all
// resolve their runs here.

// comparisons is the comparison use case on the service's store and executor.
func (s *Service) comparisons() *compare.Service {
	return &compare.Service{Store: s.Store, Runner: s.runner(), Exec: s.Exec}
}

// router is the routing use cases on the service's store and executor;
// an online evaluation runs its missing candidates as a sweep.
func (s *Service) router() *route.Service {
	return &route.Service{Store: s.Store, Exec: s.Exec, Python: s.Python, Sandbox: s.Sandbox, Sweeps: s.sweeps()}
}

// StatusPlanned is the status of a plan: nothing ran.
const StatusPlanned record.Status = "planned"

// sweeps is the sweep use case on the service's store and executor, cells
// resolved as run_benchmark arguments are.
func (s *Service) sweeps() *sweep.Service {
	return &sweep.Service{Store: s.Store, Runner: s.runner(), Exec: s.Exec, Configure: s.cellConfig}
}

// cellConfig is a sweep cell's run configuration: the sweep's shared
// settings (base) with the cell's model, preamble, options, think, host and concurrency,
// resolved as run_benchmark resolves its own.
func (s *Service) cellConfig(c sweep.Cell, base record.RunConfig, shared bench.SeedPlan) (bench.Config, error) {
	rc := base
	rc.Model, rc.Preamble, rc.Options, rc.Think, rc.Host, rc.Concurrency = c.Model, c.Preamble, c.Options, c.Think, c.Host, c.Concurrency
	return s.variantConfig(rc, "cell "+c.Label, shared)
}

// configFor is the run configuration of run settings rc
// (bench.FromRunConfig): suite files are read inside the suite roots,
// preambles looked up in the library. Resumed runs come back through it with
// their stored settings.
func (s *Service) configFor(rc record.RunConfig) (bench.Config, error) {
	return bench.FromRunConfig(rc, bench.Resolver{Suite: s.loadSuite, Preamble: prompts.Resolve})
}

// loadSuite resolves a suite reference or inline tasks; a suite file must
// lie inside the service's suite roots.
func (s *Service) loadSuite(ref string, tasks []map[string]any) (suite.Suite, error) {
	switch {
	case ref != "" && len(tasks) > 0:
		return suite.Suite{}, userErrorf("give either suite or tasks, not both")
	case len(tasks) > 0:
		data, err := json.Marshal(map[string]any{"name": "inline", "tasks": tasks})
		if err != nil {
			return suite.Suite{}, userErrorf("tasks: %v", err)
		}
		st, err := suite.Parse(data, "inline")
		if err != nil {
			return suite.Suite{}, &UserError{Err: err}
		}
		if err := st.Validate(); err != nil {
			return suite.Suite{}, &UserError{Err: err}
		}
		return st, nil
	case ref == "":
		ref = "tiny"
	}
	if err := s.SuiteRoots.Allow(ref); err != nil {
		return suite.Suite{}, &UserError{Err: err}
	}
	st, err := suite.Load(ref)
	if err != nil {
		return suite.Suite{}, &UserError{Err: err}
	}
	return st, nil
}

// sampleProgress turns sample completions into progress messages such as
// "task add-03 iteration 2/3: pass, 41 ms".
func sampleProgress(p ProgressFunc, iterations int) bench.Progress {
	if p == nil {
		return nil
	}
	return func(done, total int, smp record.Sample) {
		p(done, total, fmt.Sprintf("task %s iteration %d/%d: %s, %.0f ms", smp.TaskID, smp.Iteration, iterations, bench.Verdict(smp), smp.WallMs))
	}
}

// variantConfig is the run configuration of one variant of a comparison or
// one cell of a sweep: rc with the caller's seed settings, run on the
// shared seed plan. A variant that pins options.seed keeps the caller's
// seed settings, so that FromRunConfig pins it or refuses the conflict; the
// others run the shared plan, whose list their stored settings record.
func (s *Service) variantConfig(rc record.RunConfig, where string, shared bench.SeedPlan) (bench.Config, error) {
	_, pinned, _ := bench.OptionSeed(rc.Options)
	if !pinned {
		rc.Seed, rc.Seeds = nil, shared.Seeds
	}
	cfg, err := s.configFor(rc)
	if err != nil && pinned {
		return cfg, userErrorf("%s: %v", where, err)
	}
	if err != nil {
		return cfg, err
	}
	if !pinned {
		cfg.Seeds = shared // the plan's own mode: drawn or derived, not "given"
	}
	return cfg, nil
}

// plan works out a plan for cfg on variants models from the stored runs
// of its suite, without calling a model (bench.PlanFromRuns).
func (s *Service) plan(cfg bench.Config, models []string, variants int, effect, rate float64) (bench.Plan, error) {
	if err := bench.CheckPlan(effect, rate); err != nil {
		return bench.Plan{}, err
	}
	runs, err := s.Store.ListRuns(memory.Filter{Suite: cfg.Suite.Name, Status: record.StatusCompleted})
	if err != nil {
		return bench.Plan{}, fmt.Errorf("plan: list runs: %w", err)
	}
	return bench.PlanFromRuns(cfg, models, variants, effect, rate, runs, s.Store.Samples)
}
