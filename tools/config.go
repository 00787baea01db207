package tools

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
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

// sweeps is the sweep use case on the service's store and executor: cells
// resolved as run_benchmark arguments are, hosts held by the per-host slots.
func (s *Service) sweeps() *sweep.Service {
	return &sweep.Service{Store: s.Store, Runner: s.runner(), Exec: s.Exec, Configure: s.cellConfig, Acquire: s.acquire}
}

// cellConfig is a sweep cell's run configuration, as run_benchmark would
// make it with the cell's settings: the arguments stored with its run.
func (s *Service) cellConfig(c sweep.Cell, set sweep.Settings, shared bench.SeedPlan) (bench.Config, error) {
	return s.variantConfig(RunBenchmarkArgs{
		Model: c.Model, Suite: set.Suite, Tasks: set.Tasks, Preamble: c.Preamble, Options: c.Options, Think: c.Think,
		Iterations: set.Iterations, Warmup: set.Warmup, MaxOutputTokens: set.MaxOutputTokens,
		TimeoutS: set.TimeoutS, Tags: set.Tags, Host: c.Host, JudgeHost: set.JudgeHost, Seed: set.Seed, Seeds: set.Seeds,
	}, "cell "+c.Label, shared)
}

// benchConfig turns tool arguments into a run configuration, resolving the
// suite and preamble. It checks what can be checked without Ollama.
func (s *Service) benchConfig(args RunBenchmarkArgs) (bench.Config, error) {
	if args.Model == "" {
		return bench.Config{}, userErrorf("model is required; name an Ollama model such as qwen2.5-coder:1.5b")
	}
	if err := option.Check("options", args.Options); err != nil {
		return bench.Config{}, &UserError{Err: err}
	}
	st, err := s.loadSuite(args.Suite, args.Tasks)
	if err != nil {
		return bench.Config{}, err
	}
	preamble, preambleName := prompts.Resolve(args.Preamble)
	warmup := bench.DefaultWarmup
	if args.Warmup != nil {
		warmup = *args.Warmup
		if warmup == 0 {
			warmup = -1
		}
		if warmup < 0 || warmup > bench.MaxWarmup {
			return bench.Config{}, userErrorf("warmup %d is out of range; use 0 to %d", *args.Warmup, bench.MaxWarmup)
		}
	}
	if args.TimeoutS < 0 {
		return bench.Config{}, userErrorf("timeout_s %.1f is negative", args.TimeoutS)
	}
	think, err := bench.ParseThink(args.Think)
	if err != nil {
		return bench.Config{}, err
	}
	iterations, seeds, err := bench.SeedPlanFor(args.Iterations, args.Seed, args.Seeds, args.Options)
	if err != nil {
		return bench.Config{}, err
	}
	request := args.runConfig()
	return bench.Config{
		Host: args.Host, JudgeHost: args.JudgeHost, Model: args.Model, Suite: st,
		Preamble: preamble, PreambleName: preambleName, Options: args.Options,
		Iterations: iterations, Seeds: seeds, Warmup: warmup, Concurrency: args.Concurrency,
		MaxOutputTokens: args.MaxOutputTokens, Timeout: time.Duration(args.TimeoutS * float64(time.Second)),
		Cold: args.Cold, Think: think, Tags: args.Tags, Request: &request,
	}, nil
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
// one cell of a sweep: args with the caller's seed arguments, run on the
// shared seed plan. A variant that pins options.seed keeps the caller's seed
// arguments, so that benchConfig pins it or refuses the conflict; the others
// run the shared plan, whose list their stored arguments record.
func (s *Service) variantConfig(args RunBenchmarkArgs, where string, shared bench.SeedPlan) (bench.Config, error) {
	_, pinned, _ := bench.OptionSeed(args.Options)
	if !pinned {
		args.Seed, args.Seeds = nil, seedArgs(shared.Seeds)
	}
	cfg, err := s.benchConfig(args)
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

// seedArgs is a seed list as tool arguments, so that a variant's stored
// arguments name the seeds it ran with.
func seedArgs(seeds []int) []bench.Seed {
	out := make([]bench.Seed, len(seeds))
	for i, s := range seeds {
		out[i] = bench.Seed(s)
	}
	return out
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
