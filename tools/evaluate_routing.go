package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/internal/route"
)

// KindRouteEval is the job kind of evaluate_routing.
const KindRouteEval = "evaluate_routing"

// Defaults of evaluate_routing.
const (
	DefaultRoutingIterations = 3
	DefaultRoutingWithin     = 0.02
)

// RoutingCost is what one call of a candidate costs: per 1,000 tokens
// (prompt and output) or per second of measured time.
type RoutingCost struct {
	Per1KTokens float64 `json:"per_1k_tokens,omitempty"`
	PerSecond   float64 `json:"per_second,omitempty"`
}

// EvaluateRoutingArgs are the arguments of evaluate_routing.
type EvaluateRoutingArgs struct {
	Candidates []string               `json:"candidates" jsonschema:"2-8 models, cheapest first; the last is the big one"`
	Costs      map[string]RoutingCost `json:"costs,omitempty" jsonschema:"per candidate (default its host's price)"`
	Suite      string                 `json:"suite,omitempty" jsonschema:"suite (default tiny)"`
	Options    map[string]any         `json:"options,omitempty" jsonschema:"Ollama options (seed aside)"`
	Iterations int                    `json:"iterations,omitempty" jsonschema:"seeds per task (default 3)"`
	Seed       *bench.Seed            `json:"seed,omitempty" jsonschema:"online: base seed"`
	Within     *float64               `json:"within,omitempty" jsonschema:"max pass-rate loss vs always-big (default 0.02)"`
	Judge      string                 `json:"judge,omitempty" jsonschema:"cascade judge model@host (default stored verdicts)"`
	Online     bool                   `json:"online,omitempty" jsonschema:"run missing runs, as a job"`
	HTMLPath   string                 `json:"html_path,omitempty" jsonschema:"write an HTML report (.html)"`
	Background bool                   `json:"background,omitempty" jsonschema:"return at once with job_id"`
	Priority   int                    `json:"priority,omitempty"`
}

// RoutingVerdict is what the recommended policy did with one task.
type RoutingVerdict struct {
	TaskID   string   `json:"task_id"`
	Category string   `json:"category,omitempty"`
	Models   []string `json:"models" jsonschema:"per iteration, the candidate whose answer was kept"`
	Passes   []bool   `json:"passes" jsonschema:"per iteration, whether it passed"`
}

// EvaluateRoutingResult is what evaluate_routing returns.
type EvaluateRoutingResult struct {
	PolicyID    string                    `json:"policy_id,omitempty" jsonschema:"the stored evaluation"`
	Status      record.Status             `json:"status"`
	JobID       string                    `json:"job_id,omitempty"`
	Mode        string                    `json:"mode,omitempty"`
	Suite       string                    `json:"suite"`
	SuiteHash   string                    `json:"suite_hash"`
	Candidates  []record.RoutingCandidate `json:"candidates"`
	Runs        map[string]string         `json:"runs"`
	Iterations  int                       `json:"iterations"`
	Seeds       []int                     `json:"seeds,omitempty"`
	Tasks       int                       `json:"tasks"`
	Policies    []route.PolicyResult      `json:"policies" jsonschema:"each policy: pass rate, share, cost"`
	Pareto      []string                  `json:"pareto"`
	Recommended string                    `json:"recommended"`
	Deployed    record.RoutingSpec        `json:"deployed"`
	Why         string                    `json:"why"`
	Decisions   []route.CategoryRow       `json:"decisions" jsonschema:"per-category routing"`
	Verdicts    []RoutingVerdict          `json:"verdicts"`
	Notes       []string                  `json:"notes,omitempty"`
	ReportPath  string                    `json:"report_path,omitempty"`
}

// EvaluateRoutingTool is the MCP definition of evaluate_routing.
func EvaluateRoutingTool() mcp.Tool {
	return mcp.NewTool("evaluate_routing",
		mcp.WithDescription("How much can go to the small model without losing quality: scores always-X, heuristic, evidence, "+
			"cascade and oracle routing on a suite; stores a recommendation for route_task."),
		inputSchema[EvaluateRoutingArgs](),
		outputSchema[EvaluateRoutingResult](),
		mcp.WithTitleAnnotation("Evaluate routing policies"),
		mcp.WithReadOnlyHintAnnotation(false),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(false),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// EvaluateRoutingHandler is the MCP handler of evaluate_routing: offline it
// answers at once; online or with a judge it calls models, as a job.
func (s *Service) EvaluateRoutingHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return jobHandler(s, longTool[EvaluateRoutingArgs, EvaluateRoutingResult]{
		direct:     s.EvaluateRouting,
		inline:     func(a EvaluateRoutingArgs) bool { return !a.Online && a.Judge == "" },
		background: func(a EvaluateRoutingArgs) bool { return a.Background },
		submit:     s.submitRouteEval,
		queued: func(j record.Job) (*EvaluateRoutingResult, string) {
			return emptyRouting(&EvaluateRoutingResult{JobID: j.ID, Status: record.Status(j.Status)}), queuedText(j)
		},
	})
}

// EvaluateRouting evaluates the routing policies and stores the result.
func (s *Service) EvaluateRouting(ctx context.Context, args EvaluateRoutingArgs, progress ProgressFunc) (*EvaluateRoutingResult, string, error) {
	return s.evaluateRouting(ctx, args, progress, nil, "")
}

func (s *Service) submitRouteEval(ctx context.Context, args EvaluateRoutingArgs) (record.Job, error) {
	rs, err := s.checkRouting(args)
	if err != nil {
		return record.Job{}, err
	}
	if _, err := s.router().StoredRuns(ctx, rs.Setup); err != nil {
		return record.Job{}, err
	}
	var hosts, models []string
	for _, c := range rs.Candidates {
		if !slices.Contains(hosts, c.Host) {
			hosts = append(hosts, c.Host)
		}
		models = append(models, c.Model)
	}
	if rs.Judge != nil && !slices.Contains(hosts, rs.Judge.Host) {
		hosts = append(hosts, rs.Judge.Host)
	}
	return s.Jobs.SubmitFor(submitter(ctx), KindRouteEval, hosts, models, args, args.Priority)
}

// routeEvalJob is the work of an evaluate_routing job; an interrupted one
// resumes the runs it began.
func (s *Service) routeEvalJob(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
	var args EvaluateRoutingArgs
	if err := json.Unmarshal(job.Args, &args); err != nil {
		return nil, "", fmt.Errorf("decode arguments of job %s: %w", job.ID, err)
	}
	args.Background = false
	res, md, err := s.evaluateRouting(ctx, args, reporterProgress(r), r.Began, job.ComparisonID)
	if res != nil {
		res.JobID = job.ID
	}
	return res, md, err
}

// routingSetup is an evaluation's arguments checked: the domain's setup and
// the report files to write.
type routingSetup struct {
	route.Setup
	reports []artifact.Target
}

// checkRouting checks an evaluation's arguments as far as they can be
// without Ollama or the stored runs: the candidates and their hosts, costs,
// options, judge, report path and suite.
func (s *Service) checkRouting(args EvaluateRoutingArgs) (*routingSetup, error) {
	if n := len(args.Candidates); n < 2 || n > MaxRouteCandidates {
		return nil, userErrorf("candidates has %d models; give 2 to %d, cheapest first, e.g. [\"tiny-s\", \"tiny-m\"] or [\"qwen2.5-coder:7b@local\", \"qwen2.5-coder:32b@gpu-box\"]", n, MaxRouteCandidates)
	}
	rs := &routingSetup{Setup: route.Setup{Iterations: args.Iterations, Within: DefaultRoutingWithin, Options: args.Options, Online: args.Online, Seed: args.Seed}}
	if rs.Iterations == 0 {
		rs.Iterations = DefaultRoutingIterations
	}
	if rs.Iterations < 1 || rs.Iterations > 100 {
		return nil, userErrorf("iterations %d is out of range; give 1 to 100 (default %d)", args.Iterations, DefaultRoutingIterations)
	}
	if args.Within != nil {
		if *args.Within < 0 || *args.Within > 1 {
			return nil, userErrorf("within %g is outside 0-1; it is a share of tasks, e.g. 0.02 for 2 points of pass rate", *args.Within)
		}
		rs.Within = *args.Within
	}
	if err := option.Check("options", args.Options); err != nil {
		return nil, &UserError{Err: err}
	}
	for i, spec := range args.Candidates {
		c, err := s.resolveCandidate(fmt.Sprintf("candidates[%d]", i), spec, "")
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(rs.Candidates, func(o record.RoutingCandidate) bool { return o.Model == c.Model && o.Host == c.Host }) {
			return nil, userErrorf("candidate %s is listed twice", c.Name())
		}
		rs.Candidates = append(rs.Candidates, c)
	}
	for name, cost := range args.Costs {
		i := slices.IndexFunc(rs.Candidates, func(c record.RoutingCandidate) bool { return c.Name() == name || c.Model == name })
		if i < 0 {
			var names []string
			for _, c := range rs.Candidates {
				names = append(names, c.Name())
			}
			return nil, userErrorf("costs has %q, which is not a candidate; the candidates are %s", name, strings.Join(names, ", "))
		}
		switch {
		case cost.Per1KTokens < 0 || cost.PerSecond < 0:
			return nil, userErrorf("costs[%s] is negative; give a price per 1,000 tokens or per second", name)
		case cost.Per1KTokens > 0 && cost.PerSecond > 0:
			return nil, userErrorf("costs[%s] has both per_1k_tokens and per_second; give one", name)
		}
		rs.Candidates[i].CostPer1KTokens, rs.Candidates[i].CostPerSecond = cost.Per1KTokens, cost.PerSecond
	}
	if args.Judge != "" {
		j, err := s.resolveCandidate("judge", args.Judge, "")
		if err != nil {
			return nil, err
		}
		rs.Judge = &j
	}
	reports, err := s.reportTargets("html_path", args.HTMLPath, artifact.HTML)
	if err != nil {
		return nil, err
	}
	rs.reports = reports
	st, err := s.loadSuite(args.Suite, nil)
	if err != nil {
		return nil, err
	}
	rs.Suite, rs.SuiteRef = st, args.Suite
	return rs, nil
}

// evaluateRouting is EvaluateRouting; began and resume are as for a sweep.
func (s *Service) evaluateRouting(ctx context.Context, args EvaluateRoutingArgs, progress ProgressFunc, began func([]string, string), resume string) (*EvaluateRoutingResult, string, error) {
	defer s.track()()
	rs, err := s.checkRouting(args)
	if err != nil {
		return nil, "", err
	}
	ev, err := s.router().Evaluate(ctx, rs.Setup, route.EvaluateHooks{
		Progress: progress, Began: began, Resume: resume,
		Full: func(ev *route.Evaluation) any { return routingResult(ev) },
	})
	if err != nil {
		return nil, "", err
	}
	res := emptyRouting(routingResult(ev))
	written, err := writeReports(rs.reports, nil, func() string { return report.RoutingHTML(routingReport(res)) })
	if err != nil {
		return nil, "", err
	}
	md := report.RoutingMarkdown(routingReport(res))
	if len(written) > 0 {
		res.ReportPath = written[0]
		md += "\nHTML report: " + res.ReportPath + "\n"
	}
	return res, md, nil
}

// routingResult is the tool's view of an evaluation.
func routingResult(ev *route.Evaluation) *EvaluateRoutingResult {
	res := &EvaluateRoutingResult{
		PolicyID: ev.PolicyID, Status: record.StatusCompleted, Mode: ev.Mode, Suite: ev.Suite, SuiteHash: ev.SuiteHash,
		Candidates: ev.Candidates, Runs: ev.Runs, Iterations: ev.Iterations, Seeds: ev.Seeds, Tasks: ev.Tasks,
		Policies: ev.Policies, Pareto: ev.Pareto, Recommended: ev.Recommended, Deployed: ev.Deployed, Why: ev.Why,
		Decisions: ev.Decisions, Notes: ev.Notes,
	}
	for _, v := range ev.Verdicts {
		res.Verdicts = append(res.Verdicts, RoutingVerdict(v))
	}
	return res
}

// emptyRouting sets a result's lists, so that none is null.
func emptyRouting(r *EvaluateRoutingResult) *EvaluateRoutingResult {
	if r.Candidates == nil {
		r.Candidates = []record.RoutingCandidate{}
	}
	if r.Runs == nil {
		r.Runs = map[string]string{}
	}
	if r.Policies == nil {
		r.Policies = []route.PolicyResult{}
	}
	if r.Pareto == nil {
		r.Pareto = []string{}
	}
	if r.Decisions == nil {
		r.Decisions = []route.CategoryRow{}
	}
	if r.Verdicts == nil {
		r.Verdicts = []RoutingVerdict{}
	}
	return r
}

// routingReport is the report's view of a result.
func routingReport(r *EvaluateRoutingResult) report.Routing {
	out := report.Routing{
		PolicyID: r.PolicyID, Suite: r.Suite, Mode: r.Mode, Iterations: r.Iterations, Tasks: r.Tasks,
		Recommended: r.Recommended, Why: r.Why, Notes: r.Notes, Decisions: r.Decisions,
	}
	for _, c := range r.Candidates {
		out.Candidates = append(out.Candidates, c.Name())
	}
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, p)
	}
	return out
}
