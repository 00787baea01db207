package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/route"
)

// Limits and defaults of route_task.
const (
	MaxRouteCandidates  = 8
	DefaultMinPassRate  = 0.8
	DefaultRouteTimeout = route.DefaultTimeout
)

// RouteTaskArgs are the arguments of route_task.
type RouteTaskArgs struct {
	Task        string         `json:"task,omitempty" jsonschema:"the task prompt to route"`
	Category    string         `json:"category,omitempty" jsonschema:"task category (for evidence and policy)"`
	Suite       string         `json:"suite,omitempty" jsonschema:"evidence: only runs of this suite"`
	Options     map[string]any `json:"options,omitempty" jsonschema:"Ollama options; evidence matches them"`
	Candidates  []string       `json:"candidates,omitempty" jsonschema:"1-8 models (model[@host]), cheapest first"`
	Strategy    string         `json:"strategy,omitempty" jsonschema:"policy (default if evaluated), evidence (else default), heuristic or cascade"`
	PolicyID    string         `json:"policy_id,omitempty" jsonschema:"policy: a policy_id (default newest)"`
	DecisionID  string         `json:"decision_id,omitempty" jsonschema:"decision to report an outcome for"`
	OutcomeOK   *bool          `json:"outcome_ok,omitempty" jsonschema:"with decision_id: answer was good"`
	Outcome     string         `json:"outcome,omitempty" jsonschema:"with decision_id: a note"`
	MinPassRate float64        `json:"min_pass_rate,omitempty" jsonschema:"evidence: pass rate needed (default 0.8)"`
	Checks      []check.Spec   `json:"checks,omitempty" jsonschema:"cascade: checks an answer must pass"`
	JudgeModel  string         `json:"judge_model,omitempty" jsonschema:"cascade judge if no checks: model[@host]"`
	Host        string         `json:"host,omitempty" jsonschema:"host for candidates without @host (default first)"`
	TimeoutS    float64        `json:"timeout_s,omitempty" jsonschema:"cascade: seconds per call (default 120)"`
	Background  bool           `json:"background,omitempty" jsonschema:"cascade: return at once with job_id"`
}

// RouteTaskResult is what route_task returns.
type RouteTaskResult struct {
	Chosen     string                `json:"chosen" jsonschema:"model to take the task"`
	Strategy   string                `json:"strategy" jsonschema:"strategy used (may fall back to heuristic)"`
	Policy     string                `json:"policy,omitempty" jsonschema:"policy followed"`
	Reason     string                `json:"reason"`
	Difficulty string                `json:"difficulty,omitempty" jsonschema:"heuristic: easy, medium or hard"`
	Evidence   []route.ModelEvidence `json:"evidence,omitempty" jsonschema:"runs and pass rate per candidate"`
	Attempts   []route.Attempt       `json:"attempts,omitempty" jsonschema:"cascade: candidates tried, in order"`
	DecisionID string                `json:"decision_id" jsonschema:"stored decision id"`
	JobID      string                `json:"job_id,omitempty" jsonschema:"cascade: its job"`
}

// RouteTaskTool is the MCP definition of route_task.
func RouteTaskTool() mcp.Tool {
	return mcp.NewTool("route_task",
		mcp.WithDescription("Pick the model for a task by policy, evidence, heuristic or cascade (a job); "+
			"report its outcome later by decision_id."),
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
	req, err := s.resolveRoute(&args)
	return err == nil && s.router().RunsModels(*req)
}

// submitRoute validates a cascade and submits it as a job holding every
// candidate's host.
func (s *Service) submitRoute(ctx context.Context, args RouteTaskArgs) (record.Job, error) {
	checked := args
	req, err := s.resolveRoute(&checked)
	if err != nil {
		return record.Job{}, err
	}
	var hosts, models []string
	for _, c := range req.Candidates {
		if !slices.Contains(hosts, c.Host) {
			hosts = append(hosts, c.Host)
		}
		models = append(models, c.Model)
	}
	return s.Jobs.SubmitFor(submitter(ctx), KindRoute, hosts, models, args, 0)
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

// RouteTask decides which candidate should take the task, stores the
// decision and returns it with its markdown summary. With decision_id it
// records the outcome of an earlier decision instead.
func (s *Service) RouteTask(ctx context.Context, args RouteTaskArgs) (*RouteTaskResult, string, error) {
	defer s.track()()
	if args.DecisionID != "" {
		return s.reportOutcome(args)
	}
	req, err := s.resolveRoute(&args)
	if err != nil {
		return nil, "", err
	}
	d, err := s.router().Decide(ctx, *req)
	if err != nil {
		return nil, "", err
	}
	res := routeResult(d)
	return res, routeMarkdown(res), nil
}

// reportOutcome records how a stored decision turned out; with its scope it
// becomes evidence for the chosen candidate.
func (s *Service) reportOutcome(args RouteTaskArgs) (*RouteTaskResult, string, error) {
	if args.OutcomeOK == nil {
		return nil, "", userErrorf("decision_id %s needs outcome_ok: true if the chosen model's answer was good, false if not", args.DecisionID)
	}
	d, err := s.router().ReportOutcome(args.DecisionID, *args.OutcomeOK, args.Outcome)
	if err != nil {
		return nil, "", err
	}
	res := routeResult(d)
	return res, routeMarkdown(res), nil
}

// routeResult is the tool's view of a decision.
func routeResult(d *route.Decision) *RouteTaskResult {
	return &RouteTaskResult{Chosen: d.Chosen, Strategy: d.Strategy, Policy: d.Policy, Reason: d.Reason, Difficulty: d.Difficulty,
		Evidence: d.Evidence, Attempts: d.Attempts, DecisionID: d.ID}
}

// resolveRoute checks and defaults the arguments and resolves the
// candidates' hosts; a cascade gets its compiled checks.
func (s *Service) resolveRoute(args *RouteTaskArgs) (*route.Request, error) {
	checks, err := validateRoute(args)
	if err != nil {
		return nil, err
	}
	req := &route.Request{Task: args.Task, Category: args.Category, Suite: args.Suite, Options: args.Options,
		PolicyID: args.PolicyID, MinPassRate: args.MinPassRate, Checks: checks, JudgeModel: args.JudgeModel,
		Timeout: time.Duration(args.TimeoutS * float64(time.Second))}
	for i, spec := range args.Candidates {
		c, err := s.resolveCandidate(fmt.Sprintf("candidates[%d]", i), spec, args.Host)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(req.Candidates, func(o record.RoutingCandidate) bool { return o.Model == c.Model && o.Host == c.Host }) {
			return nil, userErrorf("candidate %s is listed twice", c.Name())
		}
		req.Candidates = append(req.Candidates, c)
	}
	if args.JudgeModel != "" {
		if _, err := s.resolveCandidate("judge_model", args.JudgeModel, args.Host); err != nil {
			return nil, err
		}
	}
	if len(args.Checks) == 0 { // the cascade's check is judge_model's
		req.JudgeHost = route.ParseCandidate(args.JudgeModel).Host
	}
	if args.Strategy == "" {
		if args.Strategy, err = s.router().DefaultStrategy(req.Candidates); err != nil {
			return nil, err
		}
	}
	req.Strategy = args.Strategy
	return req, nil
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
	if _, err := bench.CallTimeout(args.TimeoutS); err != nil {
		return nil, err
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
