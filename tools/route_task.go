package tools

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
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/route"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/mark3labs/mcp-go/mcp"
)

// Limits and defaults of route_task.
const (
	MaxRouteCandidates  = 8
	DefaultMinPassRate  = 0.8
	DefaultRouteTimeout = 120 * time.Second
)

// RouteTaskArgs are the arguments of route_task.
type RouteTaskArgs struct {
	Task        string         `json:"task" jsonschema:"the task prompt to route"`
	Category    string         `json:"category,omitempty" jsonschema:"task family (a suite category id such as add, code, tool); evidence uses that category's samples, else all of a run's samples"`
	Options     map[string]any `json:"options,omitempty" jsonschema:"Ollama options the task will run with; evidence counts only runs with the same options (the seed aside); default none"`
	Candidates  []string       `json:"candidates" jsonschema:"1-8 Ollama models ordered cheapest first, e.g. [tiny-s, tiny-m, tiny-l]"`
	Strategy    string         `json:"strategy,omitempty" jsonschema:"evidence (default: pass rates of stored runs), heuristic (rules over the prompt), or cascade (run the task on each candidate in order until an answer passes)"`
	MinPassRate float64        `json:"min_pass_rate,omitempty" jsonschema:"evidence: pass rate a candidate needs, over at least 3 tasks (0-1, default 0.8)"`
	Checks      []check.Spec   `json:"checks,omitempty" jsonschema:"cascade: checks an answer must pass, same as a suite task's checks"`
	JudgeModel  string         `json:"judge_model,omitempty" jsonschema:"cascade without checks: judge model (e.g. tiny-judge) that grades each answer with the default judge prompt"`
	Host        string         `json:"host,omitempty" jsonschema:"named Ollama host (default: the first configured)"`
	TimeoutS    float64        `json:"timeout_s,omitempty" jsonschema:"cascade: time limit per model call in seconds (default 120)"`
	Background  bool           `json:"background,omitempty" jsonschema:"cascade: return at once with job_id; job_status and job_result follow it"`
}

// RouteTaskResult is what route_task returns.
type RouteTaskResult struct {
	Chosen     string                `json:"chosen" jsonschema:"the model that should take the task"`
	Strategy   string                `json:"strategy" jsonschema:"the strategy actually used (evidence falls back to heuristic without evidence)"`
	Reason     string                `json:"reason"`
	Difficulty string                `json:"difficulty,omitempty" jsonschema:"heuristic: easy, medium or hard"`
	Evidence   []route.ModelEvidence `json:"evidence,omitempty" jsonschema:"evidence: per candidate, the stored runs and pass rate used"`
	Attempts   []route.Attempt       `json:"attempts,omitempty" jsonschema:"cascade: each candidate tried, in order"`
	DecisionID string                `json:"decision_id" jsonschema:"id of the stored routing decision"`
	JobID      string                `json:"job_id,omitempty" jsonschema:"cascade: the job that ran it (with background, follow it with job_status)"`
}

// RouteTaskTool is the MCP definition of route_task.
func RouteTaskTool() mcp.Tool {
	return mcp.NewTool("route_task",
		mcp.WithDescription("Decide which of several models (ordered cheapest first) should take a task. "+
			"evidence: the cheapest candidate whose stored pass rate on the category reaches min_pass_rate (with a 95% interval), else the best; "+
			"heuristic: estimates easy/medium/hard from the prompt and picks the first/middle/last candidate; "+
			"cascade: runs the task on each candidate in order and stops at the first answer that passes the checks or the judge. "+
			"Every decision is stored. A cascade runs as a job (background: true returns its job_id at once)."),
		mcp.WithInputSchema[RouteTaskArgs](),
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
		inline:     func(a RouteTaskArgs) bool { return !strings.EqualFold(a.Strategy, route.Cascade) },
		background: func(a RouteTaskArgs) bool { return a.Background },
		submit:     s.submitRoute,
		queued: func(j record.Job) (*RouteTaskResult, string) {
			return &RouteTaskResult{Strategy: route.Cascade, Reason: "queued as job " + j.ID, JobID: j.ID}, queuedText(j)
		},
	})
}

// submitRoute validates a cascade and submits it as a job.
func (s *Service) submitRoute(ctx context.Context, args RouteTaskArgs) (record.Job, error) {
	checked := args
	if _, err := validateRoute(&checked); err != nil {
		return record.Job{}, err
	}
	if _, err := s.Exec.Host(args.Host); err != nil {
		return record.Job{}, userErrorf("host: %v", err)
	}
	return s.Jobs.Submit(KindRoute, []string{s.hostName(args.Host)}, args.Candidates, args, 0)
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
// decision and returns it with its markdown summary.
func (s *Service) RouteTask(ctx context.Context, args RouteTaskArgs) (*RouteTaskResult, string, error) {
	defer s.track()()
	checks, err := validateRoute(&args)
	if err != nil {
		return nil, "", err
	}
	res := &RouteTaskResult{Strategy: args.Strategy}
	d := record.RouteDecision{Task: args.Task}
	switch args.Strategy {
	case route.Evidence:
		runs, err := s.evidence(args.Candidates, args.Options)
		if err != nil {
			return nil, "", err
		}
		res.Evidence = route.Gather(args.Candidates, args.Category, args.Options, runs, args.MinPassRate)
		chosen, reason, ok := route.Choose(res.Evidence, args.MinPassRate)
		if ok {
			res.Chosen, res.Reason = chosen, reason
			break
		}
		where := "overall"
		if args.Category != "" {
			where = "in category " + args.Category
		}
		if key := compare.OptionsKey(args.Options); key != "" {
			where += " with options " + key
		} else {
			where += " with default options"
		}
		res.Strategy = route.Heuristic
		routeHeuristic(res, args)
		res.Reason = fmt.Sprintf("no completed run of any candidate has evidence %s; fell back to the heuristic: %s", where, res.Reason)
	case route.Heuristic:
		routeHeuristic(res, args)
	case route.Cascade:
		if err := s.cascade(ctx, res, &d, args, checks); err != nil {
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

// MaxEvidenceRuns is how many of a candidate's most recent matching runs
// the evidence strategy reads.
const MaxEvidenceRuns = 50

// evidence reads the completed runs of the candidates whose options match,
// newest first, with their samples.
func (s *Service) evidence(candidates []string, options map[string]any) ([]route.EvidenceRun, error) {
	want := compare.OptionsKey(options)
	var out []route.EvidenceRun
	for _, c := range candidates {
		runs, err := s.Store.ListRuns(memory.Filter{Model: c, Status: record.StatusCompleted})
		if err != nil {
			return nil, fmt.Errorf("route task: list runs of %s: %w", c, err)
		}
		n := 0
		for _, r := range runs {
			if compare.OptionsKey(r.Options) != want || n == MaxEvidenceRuns {
				continue
			}
			samples, err := s.Store.Samples(r.ID)
			if err != nil {
				return nil, fmt.Errorf("route task: read samples of run %s: %w", r.ID, err)
			}
			out = append(out, route.EvidenceRun{Run: r, Samples: samples})
			n++
		}
	}
	return out, nil
}

func routeHeuristic(res *RouteTaskResult, args RouteTaskArgs) {
	e := route.EstimateDifficulty(args.Task)
	res.Difficulty = string(e.Difficulty)
	res.Chosen = route.Pick(args.Candidates, e.Difficulty)
	res.Reason = fmt.Sprintf("estimated %s (%d points: %s), so %s", e.Difficulty, e.Points, strings.Join(e.Reasons, "; "), res.Chosen)
}

// cascade runs the task on the candidates in order, holding the model slot.
func (s *Service) cascade(ctx context.Context, res *RouteTaskResult, d *record.RouteDecision, args RouteTaskArgs, checks []check.Check) error {
	if _, err := s.Exec.Host(args.Host); err != nil {
		return userErrorf("host: %v", err)
	}
	timeout := time.Duration(args.TimeoutS * float64(time.Second))
	if timeout == 0 {
		timeout = DefaultRouteTimeout
	}
	release, err := s.acquire(ctx, args.Host)
	if err != nil {
		return err
	}
	defer release()
	ask := func(ctx context.Context, model string) (route.Answer, error) {
		m, err := s.Exec.Chat(ctx, executor.Request{
			Host: args.Host, Model: model, Prompt: args.Task,
			Options: map[string]any{"temperature": 0}, Timeout: timeout,
			Breaker: executor.Breaker{MaxTokens: 2048, Repetition: true},
		})
		return route.Answer{Text: m.Output, LatencyMs: m.WallMs}, err
	}
	judge := bench.Judge(s.Exec, args.Host, timeout)
	verify := func(ctx context.Context, model string, a route.Answer) (bool, string) {
		results, pass, _ := check.Evaluate(ctx, checks, check.Answer{Task: args.Task, Output: a.Text}, check.Env{Judge: judge, Python: s.Python})
		var why []string
		for _, r := range results {
			if !r.Pass && !r.Advisory && r.Reason != "" {
				why = append(why, r.Type+": "+r.Reason)
			}
		}
		return pass, strings.Join(why, "; ")
	}
	attempts, chosen, passed, err := route.RunCascade(ctx, args.Candidates, ask, verify)
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
		if strings.TrimSpace(c) == "" {
			return nil, userErrorf("candidates[%d] is empty; give a model name", i)
		}
		if slices.Index(args.Candidates, c) != i {
			return nil, userErrorf("candidate %s is listed twice", c)
		}
	}
	args.Strategy = strings.ToLower(args.Strategy)
	switch args.Strategy {
	case "":
		args.Strategy = route.Evidence
	case route.Evidence, route.Heuristic, route.Cascade:
	default:
		return nil, userErrorf("strategy %q is not one of: evidence, heuristic, cascade", args.Strategy)
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
	if args.Strategy != route.Cascade {
		return nil, nil
	}
	specs := args.Checks
	if len(specs) == 0 {
		if args.JudgeModel == "" {
			return nil, userErrorf("cascade needs a way to verify answers: give checks (e.g. [{\"type\": \"exact\", \"value\": \"5788\"}]) or a judge_model such as tiny-judge")
		}
		specs = []check.Spec{{Type: "llm_judge", Judge: &check.JudgeSpec{Model: args.JudgeModel}}}
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
