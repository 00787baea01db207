package compare

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// Limits of a comparison.
const (
	MinVariants = 2
	MaxVariants = 8
)

// DefaultJudgeTimeout is the pairwise judge's time limit per call when
// none is given.
const DefaultJudgeTimeout = 120 * time.Second

// Service runs and reads comparisons: the variants of a live comparison
// interleaved on one host, or stored runs compared as they are.
type Service struct {
	Store  *memory.Store
	Runner *bench.Runner
	// Exec makes the pairwise judge's calls.
	Exec *executor.Executor
}

// PairJudge is a pairwise judge resolved: a model on a host, asked which
// of two answers is better, with a time limit per call.
type PairJudge struct {
	Name    string // as the caller named it, e.g. tiny-judge@local
	Host    string
	Timeout time.Duration
	judge   *check.Pairwise
}

// NewPairJudge is the pairwise judge model on host, each call limited to
// timeoutS seconds (bench.CallTimeout; 0 is DefaultJudgeTimeout). The
// error is the time limit out of range or the judge's model unusable.
func NewPairJudge(name, model, host string, timeoutS float64) (*PairJudge, error) {
	timeout, err := bench.CallTimeout(timeoutS)
	if err != nil {
		return nil, err
	}
	p, err := check.NewPairwise(model, "", "")
	if err != nil {
		return nil, err
	}
	if timeout == 0 {
		timeout = DefaultJudgeTimeout
	}
	return &PairJudge{Name: name, Host: host, Timeout: timeout, judge: p}, nil
}

// Live is a comparison to run: the variants' configurations, checked and
// on one suite and seed plan, and how to follow it.
type Live struct {
	Configs []bench.Config
	// Baseline is the label of the variant the others are measured
	// against; "" is the first.
	Baseline string
	// Effect, if above 0, is the pass-rate difference the power analysis aims at.
	Effect float64
	// Judge, if set, compares every variant's answers with the baseline's.
	Judge *PairJudge
	// Progress, if set, is told about every sample.
	Progress func(done, total int, message string)
	// Began, if set, is told the variants' run ids and the comparison id
	// as soon as the runs are stored.
	Began func(runIDs []string, comparisonID string)
	// Resume, if set, is the id of a comparison begun before: its stored
	// variant runs resume without redoing their finished samples.
	Resume string
}

// Run runs a live comparison's variants interleaved (after Prepare has
// checked every one, before anything is stored), stores their runs under
// one comparison id, and compares the stored runs. The caller holds the
// host.
func (s *Service) Run(ctx context.Context, l Live) (*Outcome, error) {
	cfgs := slices.Clone(l.Configs)
	stored := func(ids []string, comparisonID string) (*Outcome, error) {
		// The statistics come from the stored runs, as with run ids, so the
		// two agree; the variants differ in options and preambles by design.
		return s.Stored(ctx, Query{RunIDs: ids, Baseline: l.Baseline, ComparisonID: comparisonID,
			Allow: []string{DiffOptions, DiffPreamble}, Effect: l.Effect, Judge: l.Judge})
	}
	id := l.Resume
	prevs := map[string]record.Run{}
	var err error
	if l.Resume != "" {
		if prevs, err = GroupRuns(s.Store, l.Resume, "comparison"); err != nil {
			return nil, err
		}
	} else if id, err = NewGroupID(s.Store, "c"); err != nil {
		return nil, err
	}
	sessions := make([]*bench.Session, len(cfgs))
	for i := range cfgs {
		cfgs[i].ComparisonID = id
		cfgs[i].Tags = append(slices.Clone(cfgs[i].Tags), "comparison:"+id)
		// Prepare checks every variant (models installed, suite valid) before anything is stored.
		if sessions[i], err = s.Runner.Prepare(ctx, cfgs[i]); err != nil {
			return nil, fmt.Errorf("variant %s: %w", cfgs[i].Label, err)
		}
	}
	if l.Resume != "" && len(prevs) == len(cfgs) && allCompleted(prevs) {
		var ids []string
		for _, c := range cfgs {
			ids = append(ids, prevs[c.Label].ID)
		}
		return stored(ids, id)
	}
	status, runErr := record.StatusFailed, BeginSessions(s.Store, sessions, prevs, id, l.Began)
	if runErr == nil {
		status, runErr = bench.Interleave(ctx, sessions, func(done, total int, sess *bench.Session, smp record.Sample) {
			if l.Progress != nil {
				l.Progress(done, total, SampleMessage(sess, smp))
			}
		})
	}
	var ids []string
	for _, sess := range sessions {
		if sess.Run().ID == "" { // never begun: the store failed before it
			continue
		}
		run, err := sess.Finish(status, runErr)
		if err != nil {
			return nil, err
		}
		ids = append(ids, run.ID)
	}
	if len(ids) < len(sessions) {
		return nil, runErr
	}
	return stored(ids, id)
}

func allCompleted(runs map[string]record.Run) bool {
	for _, r := range runs {
		if r.Status != record.StatusCompleted {
			return false
		}
	}
	return true
}

// Query is a comparison of stored runs to make.
type Query struct {
	RunIDs []string // 2 to 8 runs of one suite
	// Baseline is the label or run id of the variant the others are
	// measured against; "" is the first.
	Baseline string
	// ComparisonID is the live comparison's id, or "" to take the one the
	// runs share.
	ComparisonID string
	// Allow lists the differences between the runs to accept besides the
	// model (Diff*); runs of one comparison may differ in options and preamble.
	Allow []string
	// Effect, if above 0, is the pass-rate difference the power analysis aims at.
	Effect float64
	// Judge, if set, compares every variant's answers with the baseline's.
	Judge *PairJudge
}

// Outcome is a comparison of stored runs: the result, the runs' shared
// facts and the variants (runs and samples) it was made from.
type Outcome struct {
	// ComparisonID is the live comparison's id, or the one all the runs
	// share, or "".
	ComparisonID string
	// Status is completed when every run completed, else the state of the
	// first that did not.
	Status      record.Status
	Suite       string
	SuiteHash   string
	Result      Result
	Differences []Mismatch // how the runs differ besides the model (allowed ones)
	Variants    []Variant  // in the order of the run ids
}

// Title names the comparison in its markdown and reports:
// "Comparison c… on tiny: completed".
func (o *Outcome) Title() string {
	if o.ComparisonID != "" {
		return fmt.Sprintf("Comparison %s on %s: %s", o.ComparisonID, o.Suite, o.Status)
	}
	return fmt.Sprintf("Comparison on %s: %s", o.Suite, o.Status)
}

// Stored compares stored runs by id. Runs of different suites, runs
// that differ in what q.Allow does not accept, unknown ids and an unknown
// baseline are *bench.InputError.
func (s *Service) Stored(ctx context.Context, q Query) (*Outcome, error) {
	if n := len(q.RunIDs); n < MinVariants || n > MaxVariants {
		return nil, inputErrorf("%d run_ids; compare %d to %d runs", n, MinVariants, MaxVariants)
	}
	var vs []Variant
	seen := map[string]bool{}
	labels := map[string]bool{}
	for _, id := range q.RunIDs {
		if seen[id] {
			return nil, inputErrorf("run %s is listed twice in run_ids", id)
		}
		seen[id] = true
		run, err := s.Store.GetRun(id)
		if errors.Is(err, memory.ErrRunNotFound) {
			return nil, inputErrorf("run %s is not in the store; list runs with `benchmcp runs list`", id)
		}
		if err != nil {
			return nil, fmt.Errorf("read run %s: %w", id, err)
		}
		if len(vs) > 0 && run.SuiteHash != vs[0].Run.SuiteHash {
			first := vs[0].Run
			return nil, inputErrorf("run %s used suite %s (hash %s) but run %s used %s (hash %s); only runs of the same suite can be paired", run.ID, run.Suite, run.SuiteHash, first.ID, first.Suite, first.SuiteHash)
		}
		samples, err := s.Store.Samples(id)
		if err != nil {
			return nil, fmt.Errorf("read samples of run %s: %w", id, err)
		}
		name := preambleName(run)
		label := run.Label
		if label == "" {
			label = run.Model
			if name != "" {
				label += "+" + name
			}
		}
		if labels[label] {
			label += "@" + run.ID
		}
		labels[label] = true
		vs = append(vs, Variant{Label: label, Preamble: name, Run: run, Samples: samples})
	}
	baseline := q.Baseline
	if baseline != "" { // a run id names its variant
		for _, v := range vs {
			if v.Run.ID == baseline {
				baseline = v.Label
			}
		}
		if !labels[baseline] {
			return nil, inputErrorf("baseline %q is neither a label nor a run id of the compared runs; labels: %s", baseline, strings.Join(slices.Sorted(maps.Keys(labels)), ", "))
		}
	}
	var runs []record.Run
	allow := q.Allow
	sameComparison := vs[0].Run.ComparisonID != ""
	for _, v := range vs {
		runs = append(runs, v.Run)
		sameComparison = sameComparison && v.Run.ComparisonID == vs[0].Run.ComparisonID
	}
	if sameComparison { // the variants of one comparison differ in what they set
		allow = append(slices.Clone(allow), DiffOptions, DiffPreamble)
	}
	diffs := Mismatches(runs, allow)
	if refused := Refused(diffs); len(refused) > 0 {
		return nil, inputErrorf("%s", RefusalMessage(refused))
	}
	cr, err := Compare(vs, baseline)
	if err != nil {
		return nil, &bench.InputError{Err: err}
	}
	if q.Effect > 0 {
		for i := range cr.Comparisons {
			cr.Comparisons[i].Power = bench.Retarget(cr.Comparisons[i].Power, q.Effect)
		}
	}
	if q.Judge != nil {
		s.judgePairs(ctx, q.Judge, &cr, vs)
	}
	out := &Outcome{
		ComparisonID: q.ComparisonID, Status: record.StatusCompleted,
		Suite: vs[0].Run.Suite, SuiteHash: vs[0].Run.SuiteHash,
		Result: cr, Differences: diffs, Variants: vs,
	}
	shared := vs[0].Run.ComparisonID
	for _, v := range vs {
		if v.Run.Status != record.StatusCompleted && out.Status == record.StatusCompleted {
			out.Status = v.Run.Status
		}
		if v.Run.ComparisonID != shared {
			shared = ""
		}
	}
	if out.ComparisonID == "" {
		out.ComparisonID = shared
	}
	return out, nil
}

// judgePairs asks the pairwise judge about every variant against the
// baseline, on the tasks' prompts.
func (s *Service) judgePairs(ctx context.Context, pw *PairJudge, cr *Result, vs []Variant) {
	byLabel := map[string]Variant{}
	for _, v := range vs {
		byLabel[v.Label] = v
	}
	if len(vs) == 0 {
		return
	}
	prompts := Prompts(s.Store, vs[0].Run.SuiteHash)
	judge := bench.Judge(s.Exec, pw.Host, pw.Timeout)
	for i := range cr.Comparisons {
		c := &cr.Comparisons[i]
		c.Pairwise = Pairwise(ctx, pw.Name, byLabel[c.A], byLabel[c.B], func(ctx context.Context, task, a, b string) check.PairVerdict {
			return pw.judge.Compare(ctx, judge, prompts[task], a, b)
		})
	}
}

// preambleName is the library name of a run's preamble (kept in its notes
// as preamble:<name>), or the start of its text, or "" for none.
func preambleName(run record.Run) string {
	if run.Preamble == "" {
		return ""
	}
	for _, f := range strings.Fields(run.Notes) {
		if name, ok := strings.CutPrefix(f, "preamble:"); ok {
			return name
		}
	}
	text := strings.Join(strings.Fields(run.Preamble), " ")
	if r := []rune(text); len(r) > 24 {
		text = string(r[:23]) + "…"
	}
	return "\"" + text + "\""
}

func inputErrorf(format string, args ...any) error {
	return &bench.InputError{Err: fmt.Errorf(format, args...)}
}
