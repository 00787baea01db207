package sweep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// Configure turns one cell, with the sweep's shared settings (base: its
// iterations resolved to the plan's length, its seed settings as given, for
// a cell that pins options.seed), into its run configuration on the
// sweep's shared seed plan. The caller resolves the suite and preamble; its
// errors come back from Prepare and Run as they are.
type Configure func(c Cell, base record.RunConfig, seeds bench.SeedPlan) (bench.Config, error)

// Service runs sweeps: cells (from Grid) spread over hosts, checked as one
// before anything is stored, run in warmed blocks, stored as runs sharing
// the sweep's id, and analysed.
type Service struct {
	Store  *memory.Store
	Runner *bench.Runner
	Exec   *executor.Executor
	// Configure resolves a cell into its run configuration; required.
	Configure Configure
}

// Request is a sweep to prepare or run.
type Request struct {
	// Base is what every cell shares, as each cell's run stores it (suite,
	// iterations, seeds, limits, tags); a cell adds its model, preamble,
	// options, think and host. Zero values are the run defaults.
	Base  record.RunConfig
	Cells []Cell // the cells to run, from Grid: unique labels, options checked
	// Hosts are the named hosts to spread cells without a host over (Spread);
	// none is the default host.
	Hosts []string
	// EarlyStop, if set (and checked), stops cells clearly worse in pass rate.
	EarlyStop *EarlyStop
	// Objective is what the analysis's choice optimises; zero is pass rate.
	Objective Objective
	// Progress, if set, is told about every sample, over the whole sweep.
	Progress func(done, total int, message string)
	// Began, if set, is told every cell's run id and the sweep id once the
	// runs are stored.
	Began func(runIDs []string, sweepID string)
	// Resume, if set, is the id of a sweep begun before: its cells that
	// ended as meant stay as they are, the others resume without redoing
	// their finished samples.
	Resume string
}

// Setup is a sweep resolved and checked: its cells (hosts assigned), their
// run configurations and prepared sessions, in cell order.
type Setup struct {
	ID       string // the sweep's id; "" for a plan
	Cells    []Cell
	Configs  []bench.Config
	Sessions []*bench.Session
	Hosts    []string // the named hosts it runs on, in order of first use
}

// Swept is a sweep that ran, analysed from its stored runs.
type Swept struct {
	ID string
	// Status is completed when every cell completed or was stopped early,
	// else the state of the first cell that did neither.
	Status    record.Status
	Suite     string
	SuiteHash string
	Seeds     []int // the seed of each iteration, the same for every cell
	// Analysis has every cell (settings, run id, status, summary) in cell
	// order, the best cells, the choice, the frontier and the effects.
	Analysis Result
	// Variants are the cells' runs and samples, in cell order.
	Variants []compare.Variant
	// Err is the first cell's error, when a cell ended on one; the runs
	// are stored and analysed all the same.
	Err error
}

// Title names the sweep in its markdown and reports:
// "Sweep s… on tiny: completed".
func (o *Swept) Title() string {
	return fmt.Sprintf("Sweep %s on %s: %s", o.ID, o.Suite, o.Status)
}

// SideBySide is the comparison of the cells, against the first, for a
// side-by-side report.
func (o *Swept) SideBySide() (compare.Result, error) {
	cr, err := compare.Compare(o.Variants, o.Variants[0].Label)
	if err != nil {
		return cr, fmt.Errorf("sweep %s: side-by-side report: %w", o.ID, err)
	}
	return cr, nil
}

// stoppedPrefix starts the error field of a run that early stopping ended,
// followed by why.
const stoppedPrefix = "stopped early: "

// Prepare resolves and checks a sweep without running or storing
// anything: the hosts and their models, every cell's configuration, and
// every cell as bench.Runner.Prepare checks a run. id, if set, is the
// sweep's id for the runs (their comparison id and tag sweep:<id>).
func (s *Service) Prepare(ctx context.Context, req Request, id string) (*Setup, error) {
	setup := &Setup{ID: id, Cells: slices.Clone(req.Cells)}
	cells := setup.Cells
	var listErr error
	has := func(host, model string) bool { // as Prepare will check it
		_, err := s.Exec.ModelInfo(ctx, host, model)
		if err != nil && !errors.Is(err, executor.ErrModelNotFound) && listErr == nil {
			listErr = err
		}
		return err == nil
	}
	if err := Spread(cells, req.Hosts, has); err != nil {
		if listErr != nil {
			return nil, listErr
		}
		return nil, &bench.InputError{Err: err}
	}
	iterations, shared, err := bench.SeedPlanFor(req.Base.Iterations, req.Base.Seed, req.Base.Seeds, nil)
	if err != nil {
		return nil, err
	}
	base := req.Base
	base.Iterations = iterations
	var first bench.Config
	for i, c := range cells {
		cfg, err := s.Configure(c, base, shared)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = cfg
		} else { // one suite for all: resolved once, shared
			cfg.Suite = first.Suite
		}
		cfg.Label, cfg.Depth, cfg.ComparisonID = c.Label, c.Depth, id
		if id != "" {
			cfg.Tags = append(slices.Clone(cfg.Tags), "sweep:"+id)
		}
		setup.Configs = append(setup.Configs, cfg)
		if h := s.hostName(c.Host); !slices.Contains(setup.Hosts, h) {
			setup.Hosts = append(setup.Hosts, h)
		}
	}
	// Prepare checks every cell (models on their hosts, think support,
	// depth against num_ctx) before anything is stored.
	for i, cfg := range setup.Configs {
		sess, err := s.Runner.Prepare(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("cell %s (host %s): %w", cells[i].Label, s.hostName(cfg.Host), err)
		}
		setup.Sessions = append(setup.Sessions, sess)
	}
	return setup, nil
}

// Run runs a sweep (or resumes the one req.Resume names): Prepare checks
// it under a new id, the cells run in warmed
// blocks (the package's Run), and their stored runs are analysed. A cell
// that fails ends its own run (Swept.Err); Run's error is for what
// stopped the sweep as a whole.
func (s *Service) Run(ctx context.Context, req Request) (*Swept, error) {
	obj := req.Objective
	if err := obj.Check(); err != nil {
		return nil, &bench.InputError{Err: err}
	}
	id := req.Resume
	if id == "" {
		var err error
		if id, err = compare.NewGroupID(s.Store, "s"); err != nil {
			return nil, err
		}
	}
	setup, err := s.Prepare(ctx, req, id)
	if err != nil {
		return nil, err
	}
	prevs := map[string]record.Run{}
	if req.Resume != "" {
		if prevs, err = compare.GroupRuns(s.Store, req.Resume, "sweep"); err != nil {
			return nil, err
		}
	}
	// Cells that ended as meant (completed, stopped early) stay as they are.
	var todo []*bench.Session
	for _, sess := range setup.Sessions {
		if r, ok := prevs[sess.Config().Label]; !ok || !r.Status.Final() {
			todo = append(todo, sess)
		}
	}
	if err := compare.BeginSessions(s.Store, todo, prevs, id, func(ids []string, id string) {
		if req.Began == nil {
			return
		}
		for _, r := range prevs { // every cell's run, the finished ones too
			if r.Status.Final() {
				ids = append(ids, r.ID)
			}
		}
		req.Began(ids, id)
	}); err != nil {
		for _, sess := range todo {
			if sess.Run().ID != "" {
				sess.Finish(record.StatusFailed, err) //nolint:errcheck // the begin error is the one to report
			}
		}
		return nil, err
	}
	finished := 0 // samples of the cells that ended before a resume, so progress counts the whole sweep
	for _, r := range prevs {
		if r.Status.Final() && r.Summary != nil {
			finished += r.Summary.Samples
		}
	}
	outcomes := Run(ctx, s.Exec, todo, Options{
		EarlyStop: req.EarlyStop,
		Progress: func(done, total int, sess *bench.Session, smp record.Sample) {
			if req.Progress != nil {
				req.Progress(finished+done, finished+total, compare.SampleMessage(sess, smp))
			}
		},
	})
	var firstErr error
	for i, sess := range todo {
		o := outcomes[i]
		why := o.Err
		if o.Stopped != "" { // the run's error field says why it ended
			why = fmt.Errorf("%s%s", stoppedPrefix, o.Stopped)
		}
		if _, err := sess.Finish(o.Status, why); err != nil {
			return nil, err
		}
		if o.Err != nil && firstErr == nil {
			firstErr = fmt.Errorf("cell %s: %w", sess.Config().Label, o.Err)
		}
	}
	out, err := s.collect(setup, obj)
	if err != nil {
		return nil, err
	}
	out.Err = firstErr
	return out, nil
}

// collect reads a sweep's stored runs, cell by cell, and analyses them.
func (s *Service) collect(setup *Setup, obj Objective) (*Swept, error) {
	id := setup.ID
	runs, err := s.Store.ListRuns(memory.Filter{ComparisonID: id})
	if err != nil {
		return nil, fmt.Errorf("list runs of sweep %s: %w", id, err)
	}
	byLabel := map[string]record.Run{}
	for _, r := range runs {
		byLabel[r.Label] = r
	}
	first := setup.Configs[0]
	out := &Swept{ID: id, Status: record.StatusCompleted, Suite: first.Suite.Name, SuiteHash: first.Suite.Hash(), Seeds: first.Seeds.Seeds}
	var cells []CellResult
	var samples [][]record.Sample
	for _, c := range setup.Cells {
		r, ok := byLabel[c.Label]
		if !ok {
			return nil, fmt.Errorf("sweep %s has no run for cell %s; run the sweep again", id, c.Label)
		}
		smp, err := s.Store.Samples(r.ID)
		if err != nil {
			return nil, fmt.Errorf("read samples of run %s: %w", r.ID, err)
		}
		c.Host = r.Host
		cr := CellResult{Cell: c, RunID: r.ID, Status: r.Status, Summary: Summarize(r.Summary, smp)}
		if r.Status == record.StatusStopped {
			cr.Stopped = strings.TrimPrefix(r.Error, stoppedPrefix)
		}
		if !r.Status.Final() && out.Status == record.StatusCompleted {
			out.Status = r.Status
		}
		cells = append(cells, cr)
		samples = append(samples, smp)
		out.Variants = append(out.Variants, compare.Variant{Label: c.Label, Run: r, Samples: smp})
	}
	out.Analysis = Analyze(cells, samples, obj)
	return out, nil
}

// hostName is the configured name of a host ("" is the default host); an
// unknown name is returned as it is.
func (s *Service) hostName(host string) string {
	if s.Exec != nil {
		if h, err := s.Exec.Host(host); err == nil {
			return h.Name
		}
	}
	return host
}
