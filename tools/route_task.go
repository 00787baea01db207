package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/route"
	"github.com/benchmcp/benchmcp/memory"
)

// Limits and defaults of route_task.
const (
	MaxRouteCandidates  = 8
	DefaultMinPassRate  = 0.8
	DefaultRouteTimeout = 120 * time.Second
)

// RouteTaskArgs are the arguments of route_task.
type RouteTaskArgs struct {
	Task        string         `json:"task,omitempty" jsonschema:"the task prompt to route"`
	Category    string         `json:"category,omitempty" jsonschema:"task family (a suite category such as add, code); evidence and policy route by it"`
	Suite       string         `json:"suite,omitempty" jsonschema:"evidence: only runs of this suite (name)"`
	Options     map[string]any `json:"options,omitempty" jsonschema:"Ollama options of the task; evidence counts runs with the same (seed aside)"`
	Candidates  []string       `json:"candidates,omitempty" jsonschema:"1-8 models ordered cheapest first, model or model@host, e.g. [tiny-s, tiny-m@gpu-box]"`
	Strategy    string         `json:"strategy,omitempty" jsonschema:"policy (default after evaluate_routing of these candidates), evidence (default otherwise), heuristic or cascade"`
	PolicyID    string         `json:"policy_id,omitempty" jsonschema:"policy: evaluate_routing policy_id (default the newest)"`
	DecisionID  string         `json:"decision_id,omitempty" jsonschema:"report the outcome of an earlier decision (with outcome_ok)"`
	OutcomeOK   *bool          `json:"outcome_ok,omitempty" jsonschema:"with decision_id: was the answer good; becomes evidence"`
	Outcome     string         `json:"outcome,omitempty" jsonschema:"with decision_id: a note"`
	MinPassRate float64        `json:"min_pass_rate,omitempty" jsonschema:"evidence: pass rate a candidate needs, over at least 3 tasks (0-1, default 0.8)"`
	Checks      []check.Spec   `json:"checks,omitempty" jsonschema:"cascade: checks an answer must pass, same as a suite task's checks"`
	JudgeModel  string         `json:"judge_model,omitempty" jsonschema:"cascade without checks: judge model or model@host (e.g. tiny-judge)"`
	Host        string         `json:"host,omitempty" jsonschema:"host of the candidates without @host (default the first)"`
	TimeoutS    float64        `json:"timeout_s,omitempty" jsonschema:"cascade: time limit per model call in seconds (default 120)"`
	Background  bool           `json:"background,omitempty" jsonschema:"cascade: return at once with job_id"`
}

// RouteTaskResult is what route_task returns.
type RouteTaskResult struct {
	Chosen     string                `json:"chosen" jsonschema:"the model that should take the task"`
	Strategy   string                `json:"strategy" jsonschema:"the strategy used (evidence falls back to heuristic)"`
	Policy     string                `json:"policy,omitempty" jsonschema:"policy: the one followed, e.g. evidence@0.8 (p3)"`
	Reason     string                `json:"reason"`
	Difficulty string                `json:"difficulty,omitempty" jsonschema:"heuristic: easy, medium or hard"`
	Evidence   []route.ModelEvidence `json:"evidence,omitempty" jsonschema:"evidence: per candidate, the stored runs and pass rate used"`
	Attempts   []route.Attempt       `json:"attempts,omitempty" jsonschema:"cascade: each candidate tried, in order"`
	DecisionID string                `json:"decision_id" jsonschema:"id of the stored routing decision"`
	JobID      string                `json:"job_id,omitempty" jsonschema:"cascade: its job"`
}

// RouteTaskTool is the MCP definition of route_task.
func RouteTaskTool() mcp.Tool {
	return mcp.NewTool("route_task",
		mcp.WithDescription("Decide which of several models (cheapest first) should take a task: policy (evaluate_routing's recommendation), evidence (stored pass rates on the category), "+
			"heuristic (prompt difficulty) or cascade (each candidate in turn until an answer passes the checks or judge; a job). Decisions are stored; report outcomes with decision_id."),
		inputSchema[RouteTaskArgs](),
		outputSchema[RouteTaskResult](),
		mcp.WithTitleAnnotation("Route a task"),
		mcp.WithReadOnlyHintAnnotation(false),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(false),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// RouteTaskHandler is the MCP handler of route_task.
// A cascade runs models, so with a job manager it runs as a job, like a
// run; evidence and heuristic decisions answer at once.
func (s *Service) RouteTaskHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return jobHandler(s, longTool[RouteTaskArgs, RouteTaskResult]{
		direct: func(ctx context.Context, a RouteTaskArgs, _ ProgressFunc) (*RouteTaskResult, string, error) {
			return s.RouteTask(ctx, a)
		},
		inline:     func(a RouteTaskArgs) bool { return !s.routeRunsModels(a) },
		background: func(a RouteTaskArgs) bool { return a.Background },
		submit:     s.submitRoute,
		queued: func(j record.Job) (*RouteTaskResult, string) {
			return &RouteTaskResult{Strategy: route.Cascade, Reason: "queued as job " + j.ID, JobID: j.ID}, queuedText(j)
		},
	})
}

// routeRunsModels says whether a call runs a cascade: strategy cascade, or
// a followed policy that is one. Bad arguments answer false, so that the
// call itself reports them.
func (s *Service) routeRunsModels(args RouteTaskArgs) bool {
	if args.DecisionID != "" {
		return false
	}
	rc, err := s.resolveRoute(&args)
	if err != nil {
		return false
	}
	if args.Strategy == route.Policy {
		p, err := s.findPolicy(args.PolicyID, rc)
		return err == nil && p != nil && p.Recommended.Policy == route.Cascade
	}
	return args.Strategy == route.Cascade
}

// submitRoute validates a cascade and submits it as a job holding every
// candidate's host.
func (s *Service) submitRoute(ctx context.Context, args RouteTaskArgs) (record.Job, error) {
	checked := args
	rc, err := s.resolveRoute(&checked)
	if err != nil {
		return record.Job{}, err
	}
	var hosts, models []string
	for _, c := range rc.cands {
		if !slices.Contains(hosts, c.Host) {
			hosts = append(hosts, c.Host)
		}
		models = append(models, c.Model)
	}
	return s.Jobs.SubmitFor(clientOf(ctx), KindRoute, hosts, models, args, 0)
}

// routeJob is the work of a cascade job: the whole cascade again if it
// was interrupted (its decision is stored only at the end).
func (s *Service) routeJob(ctx context.Context, job record.Job, _ jobs.Reporter) (any, string, error) {
	var args RouteTaskArgs
	if err := json.Unmarshal(job.Args, &args); err != nil {
		return nil, "", fmt.Errorf("decode arguments of job %s: %w", job.ID, err)
	}
	res, md, err := s.RouteTask(ctx, args)
	if res != nil {
		res.JobID = job.ID
	}
	return res, md, err
}

// routeCall is a route_task call resolved: its candidates with their hosts.
type routeCall struct {
	cands  []record.RoutingCandidate
	names  []string
	checks []check.Check
}

// RouteTask decides which candidate should take the task, stores the
// decision and returns it with its markdown summary. With decision_id it
// records the outcome of an earlier decision instead.
func (s *Service) RouteTask(ctx context.Context, args RouteTaskArgs) (*RouteTaskResult, string, error) {
	defer s.track()()
	if args.DecisionID != "" {
		return s.reportOutcome(args)
	}
	rc, err := s.resolveRoute(&args)
	if err != nil {
		return nil, "", err
	}
	res := &RouteTaskResult{Strategy: args.Strategy}
	d := record.RouteDecision{Task: args.Task, Candidates: rc.names, Category: args.Category, Suite: args.Suite, Options: args.Options}
	switch args.Strategy {
	case route.Policy:
		if err := s.routePolicy(ctx, res, &d, args, rc); err != nil {
			return nil, "", err
		}
	case route.Evidence:
		if err := s.routeEvidence(res, args, rc); err != nil {
			return nil, "", err
		}
	case route.Heuristic:
		if err := s.routeHeuristic(res, args, rc); err != nil {
			return nil, "", err
		}
	case route.Cascade:
		var cj *cascadeJudge
		if h := route.ParseCandidate(args.JudgeModel).Host; len(args.Checks) == 0 && h != "" {
			cj = &cascadeJudge{host: h}
		}
		if err := s.cascade(ctx, res, &d, args, rc, rc.checks, cj); err != nil {
			return nil, "", err
		}
	}
	d.Strategy, d.Chosen, d.Reason = res.Strategy, res.Chosen, res.Reason
	if err := s.Store.PutRouteDecision(&d); err != nil {
		return nil, "", fmt.Errorf("route task: %w", err)
	}
	res.DecisionID = d.ID
	return res, routeMarkdown(res), nil
}

// reportOutcome records how a stored decision turned out; with its scope it
// becomes evidence for the chosen candidate.
func (s *Service) reportOutcome(args RouteTaskArgs) (*RouteTaskResult, string, error) {
	if args.OutcomeOK == nil {
		return nil, "", userErrorf("decision_id %s needs outcome_ok: true if the chosen model's answer was good, false if not", args.DecisionID)
	}
	d, err := s.Store.GetRouteDecision(args.DecisionID)
	if err != nil {
		return nil, "", &UserError{Err: err}
	}
	d.OutcomeOK, d.Outcome = args.OutcomeOK, args.Outcome
	if d.Outcome == "" {
		d.Outcome = map[bool]string{true: "reported good", false: "reported bad"}[*args.OutcomeOK]
	}
	if err := s.Store.PutRouteDecision(&d); err != nil {
		return nil, "", fmt.Errorf("route task: record the outcome of %s: %w", d.ID, err)
	}
	res := &RouteTaskResult{Chosen: d.Chosen, Strategy: d.Strategy, DecisionID: d.ID,
		Reason: fmt.Sprintf("recorded the outcome of decision %s (%s): %s; it is evidence for %s in category %s from now on", d.ID, d.Chosen, d.Outcome, d.Chosen, orNone(d.Category))}
	return res, routeMarkdown(res), nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// routePolicy follows a stored evaluation's recommended policy.
func (s *Service) routePolicy(ctx context.Context, res *RouteTaskResult, d *record.RouteDecision, args RouteTaskArgs, rc *routeCall) error {
	p, err := s.findPolicy(args.PolicyID, rc)
	if err != nil {
		return err
	}
	if p == nil {
		return userErrorf("no routing evaluation is stored for candidates %s; run evaluate_routing with them first, or use strategy evidence or heuristic", strings.Join(rc.names, ", "))
	}
	sp := p.Recommended
	d.PolicyID = p.ID
	res.Policy = sp.ID() + " (" + p.ID + ")"
	last := rc.names[len(rc.names)-1]
	switch sp.Policy {
	case route.Always:
		res.Chosen = sp.Target
		res.Reason = fmt.Sprintf("policy %s of evaluation %s (suite %s): every task goes to %s", sp.ID(), p.ID, p.Suite, sp.Target)
	case route.Heuristic:
		e := route.EstimateDifficulty(args.Task)
		res.Difficulty, res.Chosen = string(e.Difficulty), rc.names[0]
		if float64(e.Points) >= *sp.Threshold {
			res.Chosen = last
		}
		res.Reason = fmt.Sprintf("policy %s of evaluation %s: %d difficulty points (%s) against threshold %g, so %s", sp.ID(), p.ID, e.Points, strings.Join(e.Reasons, "; "), *sp.Threshold, res.Chosen)
	case route.Evidence:
		c, ok := sp.Categories[args.Category]
		switch {
		case args.Category == "":
			res.Chosen = last
			res.Reason = fmt.Sprintf("policy %s of evaluation %s routes by category, and none was given; chose the last candidate, %s (give category: one of %s)", sp.ID(), p.ID, last, strings.Join(slices.Sorted(maps.Keys(sp.Categories)), ", "))
		case !ok:
			res.Chosen = last
			res.Reason = fmt.Sprintf("policy %s of evaluation %s has no evidence on category %s (it knows %s); chose the last candidate, %s", sp.ID(), p.ID, args.Category, strings.Join(slices.Sorted(maps.Keys(sp.Categories)), ", "), last)
		default:
			res.Chosen = c
			res.Reason = fmt.Sprintf("policy %s of evaluation %s (suite %s) sends category %s to %s", sp.ID(), p.ID, p.Suite, args.Category, c)
		}
	case route.Cascade:
		judge := p.Judge
		if args.JudgeModel != "" {
			judge = args.JudgeModel
		}
		if judge == "" {
			return userErrorf("policy %s of evaluation %s is a cascade judged by the suite's stored verdicts; give judge_model (e.g. tiny-judge) to run it", sp.ID(), p.ID)
		}
		jc := route.ParseCandidate(judge)
		spec := check.Spec{Type: "llm_judge", Judge: &check.JudgeSpec{Model: jc.Model}}
		c, err := check.Compile(spec)
		if err != nil {
			return userErrorf("judge_model: %v", err)
		}
		if err := s.cascade(ctx, res, d, args, rc, []check.Check{c}, &cascadeJudge{threshold: sp.Threshold, host: jc.Host}); err != nil {
			return err
		}
		res.Reason = fmt.Sprintf("policy %s of evaluation %s: %s", sp.ID(), p.ID, res.Reason)
	default:
		return fmt.Errorf("evaluation %s recommends policy %q, which route_task cannot follow", p.ID, sp.Policy)
	}
	res.Strategy = route.Policy
	return nil
}

// findPolicy is the evaluation with id, or the newest whose candidates are
// these (same models on the same hosts, in order); nil when there is none.
func (s *Service) findPolicy(id string, rc *routeCall) (*record.RoutingPolicy, error) {
	if id != "" {
		p, err := s.Store.GetRoutingPolicy(id)
		if err != nil {
			return nil, &UserError{Err: err}
		}
		if !sameCandidates(p.Candidates, rc.cands) {
			return nil, userErrorf("evaluation %s is for candidates %s, not %s", id, candidateNames(p.Candidates), strings.Join(rc.names, ", "))
		}
		return &p, nil
	}
	ps, err := s.Store.RoutingPolicies(1, func(p record.RoutingPolicy) bool { return sameCandidates(p.Candidates, rc.cands) })
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return &ps[0], nil
}

func sameCandidates(a, b []record.RoutingCandidate) bool {
	return slices.EqualFunc(a, b, func(x, y record.RoutingCandidate) bool { return x.Model == y.Model && x.Host == y.Host })
}

func candidateNames(cs []record.RoutingCandidate) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name())
	}
	return strings.Join(out, ", ")
}

// routeEvidence picks by the stored evidence, scoped to the category, the
// options, the candidates' hosts and (if given) the suite, falling back to
// the heuristic without any.
func (s *Service) routeEvidence(res *RouteTaskResult, args RouteTaskArgs, rc *routeCall) error {
	runs, err := s.evidence(rc, args)
	if err != nil {
		return err
	}
	res.Evidence = route.Gather(rc.names, args.Category, args.Options, runs, args.MinPassRate)
	chosen, reason, ok := route.Choose(res.Evidence, args.MinPassRate)
	if ok {
		res.Chosen, res.Reason = chosen, reason
		return nil
	}
	where := "overall"
	if args.Category != "" {
		where = "in category " + args.Category
	}
	if args.Suite != "" {
		where += " of suite " + args.Suite
	}
	if key := compare.OptionsKey(args.Options); key != "" {
		where += " with options " + key
	} else {
		where += " with default options"
	}
	res.Strategy = route.Heuristic
	if err := s.routeHeuristic(res, args, rc); err != nil {
		return err
	}
	res.Reason = fmt.Sprintf("no completed run or reported outcome of any candidate has evidence %s on its host; fell back to the heuristic: %s", where, res.Reason)
	return nil
}

// MaxEvidenceRuns is how many of a candidate's most recent matching runs
// the evidence strategy reads.
const MaxEvidenceRuns = 50

// MaxEvidenceDecisions is how many recent decisions the evidence strategy
// reads for reported outcomes.
const MaxEvidenceDecisions = 1000

// evidence reads, per candidate, its completed runs on its host with the
// options (and the suite, if given), newest first, with their samples; and
// the stored decisions for it whose outcome was reported, in the same scope.
func (s *Service) evidence(rc *routeCall, args RouteTaskArgs) ([]route.EvidenceRun, error) {
	want := compare.OptionsKey(args.Options)
	var out []route.EvidenceRun
	for i, c := range rc.cands {
		runs, err := s.Store.ListRuns(memory.Filter{Model: c.Model, Status: record.StatusCompleted, Suite: args.Suite})
		if err != nil {
			return nil, fmt.Errorf("route task: list runs of %s: %w", c.Model, err)
		}
		n := 0
		for _, r := range runs {
			if r.Host != c.Host || compare.OptionsKey(r.Options) != want || n == MaxEvidenceRuns {
				continue
			}
			samples, err := s.Store.Samples(r.ID)
			if err != nil {
				return nil, fmt.Errorf("route task: read samples of run %s: %w", r.ID, err)
			}
			out = append(out, route.EvidenceRun{For: rc.names[i], Run: r, Samples: samples})
			n++
		}
	}
	ds, err := s.Store.RouteDecisions(MaxEvidenceDecisions)
	if err != nil {
		return nil, fmt.Errorf("route task: %w", err)
	}
	var scoped []record.RouteDecision
	for _, d := range ds {
		i := slices.Index(rc.names, d.Chosen)
		if i < 0 || d.OutcomeOK == nil || d.Suite != args.Suite || compare.OptionsKey(d.Options) != want {
			continue
		}
		// The same candidate: the decision's candidate list resolves it to the same host.
		if j := slices.Index(d.Candidates, d.Chosen); j < 0 && len(d.Candidates) > 0 {
			continue
		}
		scoped = append(scoped, d)
	}
	return append(out, route.DecisionEvidence(scoped)...), nil
}

// routeHeuristic estimates the difficulty. With a stored evaluation of these
// candidates it uses the threshold the evaluation learned (difficulty points
// at or above which a task goes to the last candidate); else the fixed
// rules' easy / medium / hard.
func (s *Service) routeHeuristic(res *RouteTaskResult, args RouteTaskArgs, rc *routeCall) error {
	e := route.EstimateDifficulty(args.Task)
	res.Difficulty = string(e.Difficulty)
	p, err := s.findPolicy("", rc)
	if err != nil {
		return err
	}
	if p != nil && p.Heuristic != nil {
		res.Chosen = rc.names[0]
		if float64(e.Points) >= *p.Heuristic {
			res.Chosen = rc.names[len(rc.names)-1]
		}
		res.Reason = fmt.Sprintf("%d difficulty points (%s) against threshold %g learned by evaluation %s on suite %s, so %s",
			e.Points, strings.Join(e.Reasons, "; "), *p.Heuristic, p.ID, p.Suite, res.Chosen)
		return nil
	}
	res.Chosen = route.Pick(rc.names, e.Difficulty)
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
func (s *Service) cascade(ctx context.Context, res *RouteTaskResult, d *record.RouteDecision, args RouteTaskArgs, rc *routeCall, checks []check.Check, cj *cascadeJudge) error {
	timeout := time.Duration(args.TimeoutS * float64(time.Second))
	if timeout == 0 {
		timeout = DefaultRouteTimeout
	}
	ask := func(ctx context.Context, name string) (route.Answer, error) {
		c := rc.cands[slices.Index(rc.names, name)]
		m, err := s.Exec.Chat(ctx, executor.Request{
			Host: c.Host, Model: c.Model, Prompt: args.Task,
			Options: map[string]any{"temperature": 0}, Timeout: timeout,
			Breaker: executor.Breaker{MaxTokens: 2048, Repetition: true},
		})
		return route.Answer{Text: m.Output, LatencyMs: m.WallMs}, err
	}
	verify := func(ctx context.Context, name string, a route.Answer) (bool, string) {
		host := rc.cands[slices.Index(rc.names, name)].Host
		if cj != nil && cj.host != "" {
			host = cj.host
		}
		judge := bench.Judge(s.Exec, host, timeout)
		results, pass, _ := check.Evaluate(ctx, checks, check.Answer{Task: args.Task, Output: a.Text}, check.Env{Judge: judge, Python: s.Python, Sandbox: s.Sandbox})
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
	attempts, chosen, passed, err := route.RunCascade(ctx, rc.names, ask, verify)
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

// resolveRoute checks and defaults the arguments and resolves the
// candidates' hosts; a cascade gets its compiled checks.
func (s *Service) resolveRoute(args *RouteTaskArgs) (*routeCall, error) {
	checks, err := validateRoute(args)
	if err != nil {
		return nil, err
	}
	rc := &routeCall{checks: checks}
	for i, spec := range args.Candidates {
		c, err := s.resolveCandidate(fmt.Sprintf("candidates[%d]", i), spec, args.Host)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(rc.cands, func(o record.RoutingCandidate) bool { return o.Model == c.Model && o.Host == c.Host }) {
			return nil, userErrorf("candidate %s is listed twice", c.Name())
		}
		rc.cands = append(rc.cands, c)
		rc.names = append(rc.names, c.Name())
	}
	if args.JudgeModel != "" {
		if _, err := s.resolveCandidate("judge_model", args.JudgeModel, args.Host); err != nil {
			return nil, err
		}
	}
	if args.Strategy == "" {
		args.Strategy = route.Evidence
		if p, err := s.findPolicy(args.PolicyID, rc); err != nil {
			return nil, err
		} else if p != nil {
			args.Strategy = route.Policy
		}
	}
	return rc, nil
}

// validateRoute checks and defaults the arguments; it returns the compiled
// checks of a cascade.
func validateRoute(args *RouteTaskArgs) ([]check.Check, error) {
	if strings.TrimSpace(args.Task) == "" {
		return nil, userErrorf("task is empty; give the prompt to route")
	}
	if n := len(args.Candidates); n < 1 || n > MaxRouteCandidates {
		return nil, userErrorf("candidates has %d models; give 1 to %d, cheapest first, e.g. [\"tiny-s\", \"tiny-m\", \"tiny-l\"]", n, MaxRouteCandidates)
	}
	for i, c := range args.Candidates {
		if strings.TrimSpace(c) == "" || route.ParseCandidate(c).Model == "" {
			return nil, userErrorf("candidates[%d] is empty; give a model name, or model@host", i)
		}
	}
	args.Strategy = strings.ToLower(args.Strategy)
	switch args.Strategy {
	case "": // policy when one is stored for the candidates, else evidence
		if args.PolicyID != "" {
			args.Strategy = route.Policy
		}
	case route.Policy, route.Evidence, route.Heuristic, route.Cascade:
	default:
		return nil, userErrorf("strategy %q is not one of: policy, evidence, heuristic, cascade", args.Strategy)
	}
	switch {
	case args.MinPassRate == 0:
		args.MinPassRate = DefaultMinPassRate
	case args.MinPassRate < 0 || args.MinPassRate > 1:
		return nil, userErrorf("min_pass_rate %g is out of range; give a share between 0 and 1, e.g. 0.8", args.MinPassRate)
	}
	if args.TimeoutS < 0 {
		return nil, userErrorf("timeout_s %g is negative; give seconds, e.g. 60", args.TimeoutS)
	}
	if err := option.Check("options", args.Options); err != nil {
		return nil, &UserError{Err: err}
	}
	if args.Strategy != route.Cascade {
		return nil, nil
	}
	specs := args.Checks
	if len(specs) == 0 {
		if args.JudgeModel == "" {
			return nil, userErrorf("cascade needs a way to verify answers: give checks (e.g. [{\"type\": \"exact\", \"value\": \"5788\"}]) or a judge_model such as tiny-judge")
		}
		specs = []check.Spec{{Type: "llm_judge", Judge: &check.JudgeSpec{Model: route.ParseCandidate(args.JudgeModel).Model}}}
	}
	var checks []check.Check
	for i, sp := range specs {
		c, err := check.Compile(sp)
		if err != nil {
			return nil, userErrorf("checks[%d]: %v", i, err)
		}
		checks = append(checks, c)
	}
	return checks, nil
}

func routeMarkdown(r *RouteTaskResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Route: %s** (strategy %s, decision %s)\n\n%s\n", r.Chosen, r.Strategy, r.DecisionID, r.Reason)
	if len(r.Evidence) > 0 {
		b.WriteString("\n| model | samples | tasks | pass rate | 95% CI | runs | qualifies |\n|---|---|---|---|---|---|---|\n")
		for _, e := range r.Evidence {
			fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %.2f-%.2f | %d | %v |\n", e.Model, e.Samples, e.Tasks, e.PassRate, e.CI.Lo, e.CI.Hi, len(e.RunIDs), e.Qualifies)
		}
	}
	if len(r.Attempts) > 0 {
		b.WriteString("\n| model | pass | latency ms | answer |\n|---|---|---|---|\n")
		for _, a := range r.Attempts {
			ans := strings.ReplaceAll(strings.ReplaceAll(a.Answer, "\n", " "), "|", "\\|")
			fmt.Fprintf(&b, "| %s | %v | %.0f | %s |\n", a.Model, a.Pass, a.LatencyMs, ans)
		}
	}
	return b.String()
}
