package route

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/internal/sweep"
	"github.com/benchmcp/benchmcp/memory"
)

// MaxVerdicts bounds the per-task verdicts of an evaluation.
const MaxVerdicts = 200

// Modes of an evaluation: from stored runs only, or after running what
// was missing.
const (
	Offline = "offline"
	Online  = "online"
)

// SweepTag labels the runs an online evaluation makes.
const SweepTag = "route-eval"

// Setup is a routing evaluation asked for, its arguments checked.
type Setup struct {
	// Candidates are the models, cheapest first (the last is the big one),
	// each on its host, with its costs.
	Candidates []Candidate
	Suite      suite.Suite
	// SuiteRef is the suite as the call named it (a built-in's name or a
	// file): what the runs of an online evaluation store, to resume.
	SuiteRef string
	// Options are the runs' Ollama options (seed aside).
	Options    map[string]any
	Iterations int
	// Within is how far below always-big's pass rate the recommendation
	// may stay.
	Within float64
	// Judge grades the cheaper candidates' answers for the cascade; nil:
	// the stored llm_judge verdicts.
	Judge *Candidate
	// Online runs the candidates without a stored run; Seed is their
	// base seed.
	Online bool
	Seed   *bench.Seed
}

// Sweeper runs an online evaluation's missing candidates as the cells of
// one sweep; *sweep.Service is the one benchmcp uses.
type Sweeper interface {
	Run(ctx context.Context, req sweep.Request) (*sweep.Swept, error)
}

// EvaluateHooks are Evaluate's hooks into its caller: how it reports
// progress, and what it stores as the full result.
type EvaluateHooks struct {
	// Progress is told how far running and judging have come; may be nil.
	Progress func(done, total int, message string)
	// Began and Resume are as for a sweep (sweep.Request): told the
	// missing candidates' run ids and the sweep id once they exist, and the
	// sweep id of an interrupted evaluation's sweep to resume.
	Began  func(runIDs []string, sweepID string)
	Resume string
	// Full is the evaluation as the caller shows it, stored (as JSON) with
	// the policy; nil stores the Evaluation.
	Full func(*Evaluation) any
}

// Verdict is what the recommended policy did with one task.
type Verdict struct {
	TaskID   string
	Category string
	// Models are, per iteration, the candidate whose answer was kept;
	// Passes whether it passed.
	Models []string
	Passes []bool
}

// Evaluation is a routing evaluation's outcome, stored as a policy that
// route_task follows.
type Evaluation struct {
	// PolicyID is the stored policy's.
	PolicyID   string
	Mode       string
	Suite      string
	SuiteHash  string
	Candidates []Candidate
	// Runs maps each candidate's name to its run's id.
	Runs       map[string]string
	Iterations int
	// Seeds are the first iterations' seeds, when every run shared them.
	Seeds    []int
	Tasks    int
	Policies []PolicyResult
	// Pareto lists the policies on the frontier.
	Pareto      []string
	Recommended string
	// Deployed is the recommended policy as route_task follows it.
	Deployed  Spec
	Why       string
	Decisions []CategoryRow
	Verdicts  []Verdict
	Notes     []string
}

// StoredRuns checks that the models are on their hosts when anything will
// call them (online, or a judge), and finds each candidate's newest
// matching stored run (nil when it has none). Nothing runs or is stored.
func (s *Service) StoredRuns(ctx context.Context, st Setup) ([]*record.Run, error) {
	if st.Online || st.Judge != nil {
		check := slices.Clone(st.Candidates)
		if st.Judge != nil {
			check = append(check, *st.Judge)
		}
		for _, c := range check {
			if _, err := s.Exec.ModelInfo(ctx, c.Host, c.Model); err != nil {
				return nil, inputErrorf("%s: %v", c.Name(), err)
			}
		}
	}
	runs := make([]*record.Run, len(st.Candidates))
	for i, c := range st.Candidates {
		var err error
		if runs[i], err = s.storedRun(c, st); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// storedRun is the newest completed run of the candidate on the suite's
// exact content, on its host, with the options (seed aside), without a
// preamble or padding, and with at least the iterations; nil when none.
func (s *Service) storedRun(c Candidate, st Setup) (*record.Run, error) {
	runs, err := s.Store.ListRuns(memory.Filter{Model: c.Model, Status: record.StatusCompleted})
	if err != nil {
		return nil, fmt.Errorf("list runs of %s: %w", c.Model, err)
	}
	hash, want := st.Suite.Hash(), compare.OptionsKey(st.Options)
	for _, r := range runs {
		if r.SuiteHash == hash && r.Host == c.Host && compare.OptionsKey(r.Options) == want &&
			r.Preamble == "" && r.Depth == 0 && r.Iterations >= st.Iterations {
			return &r, nil
		}
	}
	return nil, nil
}

// missing lists the candidates without a run.
func missing(runs []*record.Run) []int {
	var out []int
	for i, r := range runs {
		if r == nil {
			out = append(out, i)
		}
	}
	return out
}

// missingError says which candidates have no stored run, and how to make them.
func missingError(st Setup, runs []*record.Run) error {
	var lines []string
	for _, i := range missing(runs) {
		c := st.Candidates[i]
		call := map[string]any{"model": c.Model, "host": c.Host, "suite": st.Suite.Name, "iterations": st.Iterations}
		if len(st.Options) > 0 {
			call["options"] = st.Options
		}
		b, _ := json.Marshal(call)
		lines = append(lines, fmt.Sprintf("%s: run_benchmark %s", c.Name(), b))
	}
	return inputErrorf("no completed run on suite %s (hash %.12s) with %d iterations and these options for: %s. Run them, or call again with online: true to run what is missing as a job",
		st.Suite.Name, st.Suite.Hash(), st.Iterations, strings.Join(lines, "; "))
}

// priceCandidates gives each candidate without a cost of its own the
// price its run was counted at (--hosts price=), so that a cloud model's
// tokens cost what the user pays and an unpriced local model nothing.
func priceCandidates(cs []Candidate, runs []*record.Run) {
	for i := range cs {
		if cs[i].CostPer1KTokens == 0 && cs[i].CostPerSecond == 0 && i < len(runs) && runs[i] != nil && runs[i].Price != nil {
			p := *runs[i].Price
			cs[i].Price = &p
		}
	}
}

// Evaluate evaluates the routing policies between the candidates on the
// suite, from their stored runs (online, first running the missing ones
// with s.Sweeps), and stores the recommendation as a policy.
func (s *Service) Evaluate(ctx context.Context, st Setup, h EvaluateHooks) (*Evaluation, error) {
	runs, err := s.StoredRuns(ctx, st)
	if err != nil {
		return nil, err
	}
	mode := Offline
	if len(missing(runs)) > 0 || h.Resume != "" {
		if !st.Online {
			return nil, missingError(st, runs)
		}
		mode = Online
		if runs, err = s.runMissing(ctx, st, runs, h); err != nil {
			return nil, err
		}
	}
	priceCandidates(st.Candidates, runs)
	m, notes, err := s.matrix(ctx, st, runs, h.Progress)
	if err != nil {
		return nil, err
	}
	policies, err := Evaluate(m)
	if err != nil {
		return nil, err
	}
	big := st.Candidates[len(st.Candidates)-1].Name()
	costed := slices.ContainsFunc(st.Candidates, func(c Candidate) bool { return c.CostPer1KTokens > 0 || c.CostPerSecond > 0 || c.Price != nil })
	rec := policies[Recommend(policies, big, st.Within, costed)]
	ev := &Evaluation{
		Mode: mode, Suite: st.Suite.Name, SuiteHash: st.Suite.Hash(),
		Candidates: st.Candidates, Runs: map[string]string{}, Iterations: st.Iterations, Tasks: len(m.Tasks),
		Policies: policies, Recommended: rec.ID, Deployed: rec.Spec, Notes: notes,
		Decisions: Decisions(m, rec),
	}
	for i, c := range st.Candidates {
		ev.Runs[c.Name()] = runs[i].ID
	}
	ev.Seeds = sharedSeeds(runs, st.Iterations)
	for _, p := range policies {
		if p.Pareto {
			ev.Pareto = append(ev.Pareto, p.ID)
		}
	}
	if rec.Policy == Evidence {
		ev.Deployed.Categories = LearnCategories(m, *rec.Threshold)
	}
	bigRes := policies[len(st.Candidates)-1]
	ev.Why = fmt.Sprintf("%s sends %.0f%% of tasks to %s with pass rate %.3f, %+.3f against always-%s (95%% CI %+.3f to %+.3f), the cheapest policy within %.3f of it",
		rec.ID, 100*rec.BigShare, big, rec.PassRate, rec.DeltaVsBig, big, rec.DeltaCI.Lo, rec.DeltaCI.Hi, st.Within)
	if costed {
		ev.Why += fmt.Sprintf(" by cost (%.4g per task against %.4g)", rec.Cost, bigRes.Cost)
	} else {
		ev.Why += " by share of the big model (no costs given)"
	}
	for ti, t := range m.Tasks {
		if ti == MaxVerdicts {
			ev.Notes = append(ev.Notes, fmt.Sprintf("verdicts lists the first %d of %d tasks", MaxVerdicts, len(m.Tasks)))
			break
		}
		v := Verdict{TaskID: t.ID, Category: t.Category}
		for _, o := range rec.Outcomes[ti] {
			v.Models = append(v.Models, st.Candidates[o.Answered()].Name())
			v.Passes = append(v.Passes, o.Pass)
		}
		ev.Verdicts = append(ev.Verdicts, v)
	}
	if rec.Policy == Cascade && st.Judge == nil {
		ev.Notes = append(ev.Notes, "the recommended cascade was judged by the suite's stored llm_judge verdicts; route_task needs judge_model to run it")
	}
	if err := s.store(st, ev, policies, h.Full); err != nil {
		return nil, err
	}
	return ev, nil
}

// store stores the evaluation, with the heuristic threshold learned for
// route_task, and sets its policy id.
func (s *Service) store(st Setup, ev *Evaluation, policies []PolicyResult, full func(*Evaluation) any) error {
	p := record.RoutingPolicy{
		Suite: st.Suite.Name, SuiteHash: st.Suite.Hash(), Candidates: st.Candidates,
		Within: st.Within, Recommended: ev.Deployed,
	}
	if st.Judge != nil {
		p.Judge = st.Judge.Name()
	}
	if h := bestHeuristic(policies, st.Within); h != nil {
		p.Heuristic = h
	}
	var shown any = ev
	if full != nil {
		shown = full(ev)
	}
	b, err := json.Marshal(shown)
	if err != nil {
		return fmt.Errorf("encode routing evaluation: %w", err)
	}
	p.Result = b
	if err := s.Store.PutRoutingPolicy(&p); err != nil {
		return fmt.Errorf("store routing evaluation: %w", err)
	}
	ev.PolicyID = p.ID
	return nil
}

// bestHeuristic is the heuristic threshold route_task uses: the one the
// recommendation rule picks among the heuristic's thresholds (and the two
// always policies it sits between).
func bestHeuristic(policies []PolicyResult, within float64) *float64 {
	var hs []PolicyResult
	var big string
	for _, p := range policies {
		if p.Policy == Always {
			big = p.Spec.Target
			if len(hs) == 0 || hs[0].Policy == Always {
				hs = []PolicyResult{p} // the last always is the big one
			}
		}
	}
	for _, p := range policies {
		if p.Policy == Heuristic {
			hs = append(hs, p)
		}
	}
	if len(hs) < 2 {
		return nil
	}
	r := hs[Recommend(hs, big, within, false)]
	if r.Threshold == nil {
		t := 0.0 // always-big: every task is hard
		return &t
	}
	return r.Threshold
}

// runMissing runs the candidates without a stored run as the cells of one
// sweep, on the seeds of the stored runs when they share them, and returns
// every candidate's run.
func (s *Service) runMissing(ctx context.Context, st Setup, runs []*record.Run, h EvaluateHooks) ([]*record.Run, error) {
	req := sweep.Request{Base: record.RunConfig{Suite: st.SuiteRef, Iterations: st.Iterations, Seed: (*int)(st.Seed), Tags: []string{SweepTag}},
		Progress: h.Progress, Began: h.Began, Resume: h.Resume}
	if stored := sharedSeeds(runs, st.Iterations); stored != nil && st.Seed == nil {
		req.Base.Seeds, req.Base.Iterations = stored, 0
	}
	for _, i := range missing(runs) {
		c := st.Candidates[i]
		req.Cells = append(req.Cells, sweep.Cell{Label: c.Name(), Model: c.Model, Host: c.Host, Options: st.Options})
	}
	if len(req.Cells) == 0 && h.Resume != "" {
		return runs, nil // an interrupted job whose runs all finished
	}
	if s.Sweeps == nil {
		return nil, fmt.Errorf("evaluate routing online: no sweeper to run the missing candidates")
	}
	var err error
	if req.Cells, err = sweep.Grid(nil, req.Cells, 0); err != nil {
		return nil, &bench.InputError{Err: err}
	}
	sw, err := s.Sweeps.Run(ctx, req)
	if err != nil {
		return nil, err
	}
	for _, c := range sw.Analysis.Cells {
		if c.Status != record.StatusCompleted {
			return nil, fmt.Errorf("the run of %s ended %s (run %s); evaluate_routing needs it completed: resume it with job_status, or run it with run_benchmark", c.Label, c.Status, c.RunID)
		}
	}
	out := make([]*record.Run, len(st.Candidates))
	for i, c := range st.Candidates {
		if out[i], err = s.storedRun(c, st); err != nil {
			return nil, err
		}
		if out[i] == nil {
			return nil, fmt.Errorf("the run of %s completed but is not found on suite %s; report this", c.Name(), st.Suite.Name)
		}
	}
	return out, nil
}

// sharedSeeds is the seeds of the first iterations when every stored run
// used the same; nil otherwise.
func sharedSeeds(runs []*record.Run, iterations int) []int {
	var out []int
	for _, r := range runs {
		if r == nil {
			continue
		}
		if r.Seeds == nil || len(r.Seeds.Seeds) < iterations || (out != nil && !slices.Equal(out, r.Seeds.Seeds[:iterations])) {
			return nil
		}
		out = r.Seeds.Seeds[:iterations]
	}
	return out
}

// matrix reads every candidate's samples into the matrix: the suite's
// tasks in order, the first iterations of each run. The cascade's signal is
// the judge's score: graded now by the setup's judge (timed), else the
// stored llm_judge verdict of the sample.
func (s *Service) matrix(ctx context.Context, st Setup, runs []*record.Run, progress func(done, total int, message string)) (Matrix, []string, error) {
	m := Matrix{Candidates: st.Candidates, Iterations: st.Iterations}
	byTask := make([]map[string][]record.Sample, len(st.Candidates))
	for c, r := range runs {
		samples, err := s.Store.Samples(r.ID)
		if err != nil {
			return m, nil, fmt.Errorf("read samples of run %s: %w", r.ID, err)
		}
		byTask[c] = map[string][]record.Sample{}
		for _, smp := range samples {
			byTask[c][smp.TaskID] = append(byTask[c][smp.TaskID], smp)
		}
	}
	var notes []string
	var grade func(ctx context.Context, task suite.Task, smp record.Sample) (float64, float64, error)
	if st.Judge != nil {
		spec := check.Spec{Type: "llm_judge", Judge: &check.JudgeSpec{Model: st.Judge.Model}}
		jc, err := check.Compile(spec)
		if err != nil {
			return m, nil, err
		}
		judge := bench.Judge(s.Exec, st.Judge.Host, DefaultTimeout)
		grade = func(ctx context.Context, task suite.Task, smp record.Sample) (float64, float64, error) {
			start := time.Now()
			results, _, _ := check.Evaluate(ctx, []check.Check{jc}, check.Answer{Task: task.Prompt, Output: smp.Output}, check.Env{Judge: judge})
			ms := float64(time.Since(start)) / float64(time.Millisecond)
			if len(results) == 0 || results[0].Skipped {
				return 0, ms, fmt.Errorf("judge %s could not grade task %s: %s", st.Judge.Name(), task.ID, results[0].Reason)
			}
			return results[0].Score, ms, nil
		}
	}
	unjudged, total, graded := 0, len(st.Suite.Tasks)*(len(st.Candidates)-1)*st.Iterations, 0
	for _, task := range st.Suite.Tasks {
		t := Task{ID: task.ID, Category: task.Category, Prompt: task.Prompt, Trials: make([][]Trial, len(st.Candidates))}
		for c := range st.Candidates {
			got := byTask[c][task.ID]
			slices.SortFunc(got, func(a, b record.Sample) int { return a.Iteration - b.Iteration })
			if len(got) < st.Iterations {
				return m, nil, fmt.Errorf("run %s of %s has %d samples of task %s, want %d; rerun it", runs[c].ID, st.Candidates[c].Name(), len(got), task.ID, st.Iterations)
			}
			for _, smp := range got[:st.Iterations] {
				tr := Trial{Pass: smp.Pass, LatencyMs: smp.WallMs, InTokens: smp.PromptTokens, OutTokens: smp.EvalTokens}
				last := c == len(st.Candidates)-1
				switch {
				case last:
				case grade != nil:
					v, ms, err := grade(ctx, task, smp)
					if ctx.Err() != nil {
						return m, nil, ctx.Err()
					}
					if err == nil {
						tr.Verify, tr.VerifyMs = &v, ms
					}
					graded++
					if progress != nil {
						progress(graded, total, fmt.Sprintf("judged %s on %s iteration %d", st.Candidates[c].Name(), task.ID, smp.Iteration))
					}
				default:
					tr.Verify = storedJudge(smp)
				}
				if !last && tr.Verify == nil {
					unjudged++
				}
				t.Trials[c] = append(t.Trials[c], tr)
			}
		}
		m.Tasks = append(m.Tasks, t)
	}
	if unjudged > 0 {
		how := "give judge (e.g. tiny-judge) to grade them"
		if st.Judge != nil {
			how = "the judge could not grade them"
		}
		notes = append(notes, fmt.Sprintf("%d of %d answers of the cheaper candidates have no judge verdict; the cascade escalates them (%s)", unjudged, total, how))
	}
	if st.Judge == nil && unjudged < total {
		notes = append(notes, "the cascade uses the llm_judge verdicts stored with the answers; their judging time is not in its latency")
	}
	return m, notes, nil
}

// storedJudge is the score of the sample's llm_judge check, nil without one.
func storedJudge(smp record.Sample) *float64 {
	for _, c := range smp.Checks {
		if c.Type == "llm_judge" && !c.Skipped {
			v := c.Score
			return &v
		}
	}
	return nil
}
