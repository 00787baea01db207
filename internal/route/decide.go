package route

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// MaxEvidenceRuns is how many of a candidate's most recent matching runs
// the evidence strategy reads.
const MaxEvidenceRuns = 50

// MaxEvidenceDecisions is how many recent decisions the evidence strategy
// reads for reported outcomes.
const MaxEvidenceDecisions = 1000

// What a cascade asks of each candidate: a deterministic answer, cut off by
// the circuit breaker.
const (
	cascadeTemperature = 0
	cascadeMaxTokens   = 2048
)

// Request is a task to route, its arguments checked and its candidates'
// hosts resolved.
type Request struct {
	Task string
	// Category, Suite and Options scope the evidence and the policy.
	Category string
	Suite    string
	Options  map[string]any
	// Candidates are the models, cheapest first, each on its host.
	Candidates []Candidate
	// Strategy is policy, evidence, heuristic or cascade; empty takes
	// DefaultStrategy's.
	Strategy string
	// PolicyID names the evaluation the policy strategy follows; empty:
	// the newest of these candidates.
	PolicyID string
	// MinPassRate is the pass rate evidence needs to qualify a candidate.
	MinPassRate float64
	// Checks are what a cascade's answer must pass.
	Checks []check.Check
	// JudgeModel is the judge, model@host as given, that a followed
	// cascade policy uses instead of the evaluation's.
	JudgeModel string
	// JudgeHost is the host of the judge when Checks are judge_model's
	// (given as model@host); empty: the judge runs on each candidate's host.
	JudgeHost string
	// Timeout limits each model call of a cascade; 0 is DefaultTimeout.
	Timeout time.Duration
}

// Decision is which candidate should take a task, and why.
type Decision struct {
	Chosen string
	// Strategy is the strategy used (evidence falls back to heuristic).
	Strategy string
	// Policy is the policy followed and its evaluation, e.g. evidence@0.8 (p3).
	Policy     string
	Reason     string
	Difficulty string
	Evidence   []ModelEvidence
	Attempts   []Attempt
	// ID is the stored decision's.
	ID string
}

// DefaultStrategy is the strategy of a request that names none: policy
// when an evaluation of these candidates is stored, else evidence.
func (s *Service) DefaultStrategy(cands []Candidate) (string, error) {
	p, err := s.FindPolicy("", cands)
	if err != nil {
		return "", err
	}
	if p != nil {
		return Policy, nil
	}
	return Evidence, nil
}

// RunsModels says whether deciding the request runs models: a cascade, or
// a followed policy that is one. A request it cannot resolve answers false,
// so that Decide reports the problem.
func (s *Service) RunsModels(r Request) bool {
	if r.Strategy == "" {
		var err error
		if r.Strategy, err = s.DefaultStrategy(r.Candidates); err != nil {
			return false
		}
	}
	if r.Strategy == Policy {
		p, err := s.FindPolicy(r.PolicyID, r.Candidates)
		return err == nil && p != nil && p.Recommended.Policy == Cascade
	}
	return r.Strategy == Cascade
}

// Decide decides which candidate should take the task and stores the
// decision.
func (s *Service) Decide(ctx context.Context, r Request) (*Decision, error) {
	if r.Strategy == "" {
		var err error
		if r.Strategy, err = s.DefaultStrategy(r.Candidates); err != nil {
			return nil, err
		}
	}
	res := &Decision{Strategy: r.Strategy}
	d := record.RouteDecision{Task: r.Task, Candidates: names(r.Candidates), Category: r.Category, Suite: r.Suite, Options: r.Options}
	switch r.Strategy {
	case Policy:
		if err := s.followPolicy(ctx, res, &d, r); err != nil {
			return nil, err
		}
	case Evidence:
		if err := s.byEvidence(res, r); err != nil {
			return nil, err
		}
	case Heuristic:
		if err := s.byHeuristic(res, r); err != nil {
			return nil, err
		}
	case Cascade:
		var cj *cascadeJudge
		if r.JudgeHost != "" {
			cj = &cascadeJudge{host: r.JudgeHost}
		}
		if err := s.cascade(ctx, res, &d, r, r.Checks, cj); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("route task: strategy %q is not one of: policy, evidence, heuristic, cascade", r.Strategy)
	}
	d.Strategy, d.Chosen, d.Reason = res.Strategy, res.Chosen, res.Reason
	if err := s.Store.PutRouteDecision(&d); err != nil {
		return nil, fmt.Errorf("route task: %w", err)
	}
	res.ID = d.ID
	return res, nil
}

// ReportOutcome records how a stored decision turned out (ok, and a note;
// "" says reported good or bad); with its scope it becomes evidence for the
// chosen candidate.
func (s *Service) ReportOutcome(id string, ok bool, note string) (*Decision, error) {
	d, err := s.Store.GetRouteDecision(id)
	if err != nil {
		return nil, &bench.InputError{Err: err}
	}
	d.OutcomeOK, d.Outcome = &ok, note
	if d.Outcome == "" {
		d.Outcome = map[bool]string{true: "reported good", false: "reported bad"}[ok]
	}
	if err := s.Store.PutRouteDecision(&d); err != nil {
		return nil, fmt.Errorf("route task: record the outcome of %s: %w", d.ID, err)
	}
	return &Decision{Chosen: d.Chosen, Strategy: d.Strategy, ID: d.ID,
		Reason: fmt.Sprintf("recorded the outcome of decision %s (%s): %s; it is evidence for %s in category %s from now on", d.ID, d.Chosen, d.Outcome, d.Chosen, orNone(d.Category))}, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// followPolicy follows a stored evaluation's recommended policy.
func (s *Service) followPolicy(ctx context.Context, res *Decision, d *record.RouteDecision, r Request) error {
	p, err := s.FindPolicy(r.PolicyID, r.Candidates)
	if err != nil {
		return err
	}
	all := names(r.Candidates)
	if p == nil {
		return inputErrorf("no routing evaluation is stored for candidates %s; run evaluate_routing with them first, or use strategy evidence or heuristic", strings.Join(all, ", "))
	}
	sp := p.Recommended
	d.PolicyID = p.ID
	res.Policy = sp.ID() + " (" + p.ID + ")"
	last := all[len(all)-1]
	switch sp.Policy {
	case Always:
		res.Chosen = sp.Target
		res.Reason = fmt.Sprintf("policy %s of evaluation %s (suite %s): every task goes to %s", sp.ID(), p.ID, p.Suite, sp.Target)
	case Heuristic:
		e := EstimateDifficulty(r.Task)
		res.Difficulty, res.Chosen = string(e.Difficulty), all[0]
		if float64(e.Points) >= *sp.Threshold {
			res.Chosen = last
		}
		res.Reason = fmt.Sprintf("policy %s of evaluation %s: %d difficulty points (%s) against threshold %g, so %s", sp.ID(), p.ID, e.Points, strings.Join(e.Reasons, "; "), *sp.Threshold, res.Chosen)
	case Evidence:
		c, ok := sp.Categories[r.Category]
		switch {
		case r.Category == "":
			res.Chosen = last
			res.Reason = fmt.Sprintf("policy %s of evaluation %s routes by category, and none was given; chose the last candidate, %s (give category: one of %s)", sp.ID(), p.ID, last, strings.Join(slices.Sorted(maps.Keys(sp.Categories)), ", "))
		case !ok:
			res.Chosen = last
			res.Reason = fmt.Sprintf("policy %s of evaluation %s has no evidence on category %s (it knows %s); chose the last candidate, %s", sp.ID(), p.ID, r.Category, strings.Join(slices.Sorted(maps.Keys(sp.Categories)), ", "), last)
		default:
			res.Chosen = c
			res.Reason = fmt.Sprintf("policy %s of evaluation %s (suite %s) sends category %s to %s", sp.ID(), p.ID, p.Suite, r.Category, c)
		}
	case Cascade:
		judge := p.Judge
		if r.JudgeModel != "" {
			judge = r.JudgeModel
		}
		if judge == "" {
			return inputErrorf("policy %s of evaluation %s is a cascade judged by the suite's stored verdicts; give judge_model (e.g. tiny-judge) to run it", sp.ID(), p.ID)
		}
		jc := ParseCandidate(judge)
		spec := check.Spec{Type: "llm_judge", Judge: &check.JudgeSpec{Model: jc.Model}}
		c, err := check.Compile(spec)
		if err != nil {
			return inputErrorf("judge_model: %v", err)
		}
		if err := s.cascade(ctx, res, d, r, []check.Check{c}, &cascadeJudge{threshold: sp.Threshold, host: jc.Host}); err != nil {
			return err
		}
		res.Reason = fmt.Sprintf("policy %s of evaluation %s: %s", sp.ID(), p.ID, res.Reason)
	default:
		return fmt.Errorf("evaluation %s recommends policy %q, which route_task cannot follow", p.ID, sp.Policy)
	}
	res.Strategy = Policy
	return nil
}

// FindPolicy is the stored evaluation with id, or the newest whose
// candidates are these (same models on the same hosts, in order); nil when
// there is none.
func (s *Service) FindPolicy(id string, cands []Candidate) (*record.RoutingPolicy, error) {
	if id != "" {
		p, err := s.Store.GetRoutingPolicy(id)
		if err != nil {
			return nil, &bench.InputError{Err: err}
		}
		if !sameCandidates(p.Candidates, cands) {
			return nil, inputErrorf("evaluation %s is for candidates %s, not %s", id, strings.Join(names(p.Candidates), ", "), strings.Join(names(cands), ", "))
		}
		return &p, nil
	}
	ps, err := s.Store.RoutingPolicies(1, func(p record.RoutingPolicy) bool { return sameCandidates(p.Candidates, cands) })
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return &ps[0], nil
}

func sameCandidates(a, b []Candidate) bool {
	return slices.EqualFunc(a, b, func(x, y Candidate) bool { return x.Model == y.Model && x.Host == y.Host })
}

// byEvidence picks by the stored evidence, scoped to the category, the
// options, the candidates' hosts and (if given) the suite, falling back to
// the heuristic without any.
func (s *Service) byEvidence(res *Decision, r Request) error {
	runs, err := s.evidence(r)
	if err != nil {
		return err
	}
	res.Evidence = Gather(names(r.Candidates), r.Category, r.Options, runs, r.MinPassRate)
	chosen, reason, ok := Choose(res.Evidence, r.MinPassRate)
	if ok {
		res.Chosen, res.Reason = chosen, reason
		return nil
	}
	where := "overall"
	if r.Category != "" {
		where = "in category " + r.Category
	}
	if r.Suite != "" {
		where += " of suite " + r.Suite
	}
	if key := compare.OptionsKey(r.Options); key != "" {
		where += " with options " + key
	} else {
		where += " with default options"
	}
	res.Strategy = Heuristic
	if err := s.byHeuristic(res, r); err != nil {
		return err
	}
	res.Reason = fmt.Sprintf("no completed run or reported outcome of any candidate has evidence %s on its host; fell back to the heuristic: %s", where, res.Reason)
	return nil
}

// evidence reads, per candidate, its completed runs on its host with the
// options (and the suite, if given), newest first, with their samples; and
// the stored decisions for it whose outcome was reported, in the same scope.
func (s *Service) evidence(r Request) ([]EvidenceRun, error) {
	want := compare.OptionsKey(r.Options)
	all := names(r.Candidates)
	var out []EvidenceRun
	for i, c := range r.Candidates {
		runs, err := s.Store.ListRuns(memory.Filter{Model: c.Model, Status: record.StatusCompleted, Suite: r.Suite})
		if err != nil {
			return nil, fmt.Errorf("route task: list runs of %s: %w", c.Model, err)
		}
		n := 0
		for _, run := range runs {
			if run.Host != c.Host || compare.OptionsKey(run.Options) != want || n == MaxEvidenceRuns {
				continue
			}
			samples, err := s.Store.Samples(run.ID)
			if err != nil {
				return nil, fmt.Errorf("route task: read samples of run %s: %w", run.ID, err)
			}
			out = append(out, EvidenceRun{For: all[i], Run: run, Samples: samples})
			n++
		}
	}
	ds, err := s.Store.RouteDecisions(MaxEvidenceDecisions)
	if err != nil {
		return nil, fmt.Errorf("route task: %w", err)
	}
	var scoped []record.RouteDecision
	for _, d := range ds {
		i := slices.Index(all, d.Chosen)
		if i < 0 || d.OutcomeOK == nil || d.Suite != r.Suite || compare.OptionsKey(d.Options) != want {
			continue
		}
		// The same candidate: the decision's candidate list resolves it to the same host.
		if j := slices.Index(d.Candidates, d.Chosen); j < 0 && len(d.Candidates) > 0 {
			continue
		}
		scoped = append(scoped, d)
	}
	return append(out, DecisionEvidence(scoped)...), nil
}

// byHeuristic estimates the difficulty. With a stored evaluation of these
// candidates it uses the threshold the evaluation learned (difficulty points
// at or above which a task goes to the last candidate); else the fixed
// rules' easy / medium / hard.
func (s *Service) byHeuristic(res *Decision, r Request) error {
	e := EstimateDifficulty(r.Task)
	res.Difficulty = string(e.Difficulty)
	p, err := s.FindPolicy("", r.Candidates)
	if err != nil {
		return err
	}
	all := names(r.Candidates)
	if p != nil && p.Heuristic != nil {
		res.Chosen = all[0]
		if float64(e.Points) >= *p.Heuristic {
			res.Chosen = all[len(all)-1]
		}
		res.Reason = fmt.Sprintf("%d difficulty points (%s) against threshold %g learned by evaluation %s on suite %s, so %s",
			e.Points, strings.Join(e.Reasons, "; "), *p.Heuristic, p.ID, p.Suite, res.Chosen)
		return nil
	}
	res.Chosen = Pick(all, e.Difficulty)
	res.Reason = fmt.Sprintf("estimated %s (%d points: %s), so %s", e.Difficulty, e.Points, strings.Join(e.Reasons, "; "), res.Chosen)
	return nil
}

// cascadeJudge makes a cascade accept an answer by the judge's score
// against a threshold (a policy's), with the judge on its own host.
type cascadeJudge struct {
	threshold *float64 // nil: the judge check's own pass score
	host      string   // empty: each candidate's host
}

// cascade runs the task on the candidates in order, each call holding its
// host's model slot.
func (s *Service) cascade(ctx context.Context, res *Decision, d *record.RouteDecision, r Request, checks []check.Check, cj *cascadeJudge) error {
	timeout := r.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	all := names(r.Candidates)
	ask := func(ctx context.Context, name string) (Answer, error) {
		c := r.Candidates[slices.Index(all, name)]
		m, err := s.Exec.ChatRetry(ctx, executor.Request{
			Host: c.Host, Model: c.Model, Prompt: r.Task,
			Options: map[string]any{"temperature": cascadeTemperature}, Timeout: timeout,
			Breaker: executor.Breaker{MaxTokens: cascadeMaxTokens, Repetition: true},
		}, nil)
		return Answer{Text: m.Output, LatencyMs: m.WallMs}, err
	}
	verify := func(ctx context.Context, name string, a Answer) (bool, string) {
		host := r.Candidates[slices.Index(all, name)].Host
		if cj != nil && cj.host != "" {
			host = cj.host
		}
		judge := bench.Judge(s.Exec, host, timeout)
		results, pass, _ := check.Evaluate(ctx, checks, check.Answer{Task: r.Task, Output: a.Text}, check.Env{Judge: judge, Python: s.Python, Sandbox: s.Sandbox})
		if cj != nil && cj.threshold != nil && len(results) == 1 && !results[0].Skipped {
			if results[0].Score < *cj.threshold {
				return false, fmt.Sprintf("judge score %.2f below the policy's threshold %g", results[0].Score, *cj.threshold)
			}
			return true, ""
		}
		var why []string
		for _, r := range results {
			if !r.Pass && !r.Advisory && r.Reason != "" {
				why = append(why, r.Type+": "+r.Reason)
			}
		}
		return pass, strings.Join(why, "; ")
	}
	attempts, chosen, passed, err := RunCascade(ctx, all, ask, verify)
	if err != nil {
		return err
	}
	res.Attempts, res.Chosen = attempts, chosen
	ok := passed
	d.OutcomeOK = &ok
	if passed {
		res.Reason = fmt.Sprintf("%s is the first candidate whose answer passed verification (%d attempt(s))", chosen, len(attempts))
		d.Outcome = fmt.Sprintf("%s passed", chosen)
	} else {
		res.Reason = fmt.Sprintf("no candidate's answer passed verification; chose the last, %s", chosen)
		d.Outcome = "no candidate passed"
	}
	return nil
}
