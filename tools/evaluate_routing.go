package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/internal/route"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/internal/sweep"
	"github.com/benchmcp/benchmcp/memory"
)

// KindRouteEval is the job kind of evaluate_routing.
const KindRouteEval = "evaluate_routing"

// Defaults of evaluate_routing.
const (
	DefaultRoutingIterations = 3
	DefaultRoutingWithin     = 0.02
	// MaxRoutingVerdicts bounds the per-task verdicts in a result.
	MaxRoutingVerdicts = 200
)

// RoutingCost is what one call of a candidate costs: per 1,000 tokens
// (prompt and output) or per second of measured time.
type RoutingCost struct {
	Per1KTokens float64 `json:"per_1k_tokens,omitempty"`
	PerSecond   float64 `json:"per_second,omitempty"`
}

// EvaluateRoutingArgs are the arguments of evaluate_routing.
type EvaluateRoutingArgs struct {
	Candidates []string               `json:"candidates" jsonschema:"2-8 models, cheapest first, model or model@host; the last is the big one"`
	Costs      map[string]RoutingCost `json:"costs,omitempty" jsonschema:"per candidate: {per_1k_tokens} or {per_second}"`
	Suite      string                 `json:"suite,omitempty" jsonschema:"built-in suite or suite file (default tiny)"`
	Options    map[string]any         `json:"options,omitempty" jsonschema:"Ollama options of the runs (seed aside)"`
	Iterations int                    `json:"iterations,omitempty" jsonschema:"seeds per task (default 3)"`
	Seed       *bench.Seed            `json:"seed,omitempty" jsonschema:"online: base seed"`
	Within     *float64               `json:"within,omitempty" jsonschema:"the recommendation stays within this of always-big's pass rate (default 0.02)"`
	Judge      string                 `json:"judge,omitempty" jsonschema:"cascade judge, model@host, grading stored answers (default: stored llm_judge verdicts)"`
	Online     bool                   `json:"online,omitempty" jsonschema:"run what has no stored run, as a job (default: stored runs only)"`
	HTMLPath   string                 `json:"html_path,omitempty" jsonschema:"also write an HTML report (.html) in the reports directory"`
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
	Policies    []route.PolicyResult      `json:"policies" jsonschema:"every policy and threshold: pass_rate, pass_rate_ci, delta_vs_big, share, big_share, cost, latency_p50_ms"`
	Pareto      []string                  `json:"pareto"`
	Recommended string                    `json:"recommended"`
	Deployed    record.RoutingSpec        `json:"deployed"`
	Why         string                    `json:"why"`
	Decisions   []route.CategoryRow       `json:"decisions" jsonschema:"per category: where the recommendation sends it"`
	Verdicts    []RoutingVerdict          `json:"verdicts"`
	Notes       []string                  `json:"notes,omitempty"`
	ReportPath  string                    `json:"report_path,omitempty"`
}

// EvaluateRoutingTool is the MCP definition of evaluate_routing.
func EvaluateRoutingTool() mcp.Tool {
	return mcp.NewTool("evaluate_routing",
		mcp.WithDescription("How much can go to the small model without losing quality: always-X, heuristic, evidence (cross-validated), cascade and oracle routing between candidates (cheapest first) on a suite, from stored runs or online (a job), "+
			"with pass-rate intervals, shares, cost and latency, the frontier against big-model share, a decision matrix and a recommendation route_task follows."),
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
	setup, err := s.routingSetup(ctx, args)
	if err != nil {
		return record.Job{}, err
	}
	var hosts, models []string
	for _, c := range setup.cands {
		if !slices.Contains(hosts, c.Host) {
			hosts = append(hosts, c.Host)
		}
		models = append(models, c.Model)
	}
	if setup.judge != nil && !slices.Contains(hosts, setup.judge.Host) {
		hosts = append(hosts, setup.judge.Host)
	}
	return s.Jobs.SubmitFor(clientOf(ctx), KindRouteEval, hosts, models, args, args.Priority)
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

// routingSetup is an evaluation resolved and checked: the candidates with
// their hosts and costs, the suite, and each candidate's stored run (nil
// when it has none).
type routingSetup struct {
	cands      []record.RoutingCandidate
	suite      suite.Suite
	iterations int
	within     float64
	judge      *record.RoutingCandidate
	runs       []*record.Run
	reports    []artifact.Target
}

// missing lists the candidates without a stored run.
func (rs *routingSetup) missing() []int {
	var out []int
	for i, r := range rs.runs {
		if r == nil {
			out = append(out, i)
		}
	}
	return out
}

// checkRouting checks an evaluation's arguments as far as they can be
// without Ollama or the stored runs: the candidates and their hosts, costs,
// options, judge, report path and suite.
func (s *Service) checkRouting(args EvaluateRoutingArgs) (*routingSetup, error) {
	if n := len(args.Candidates); n < 2 || n > MaxRouteCandidates {
		return nil, userErrorf("candidates has %d models; give 2 to %d, cheapest first, e.g. [\"tiny-s\", \"tiny-m\"] or [\"qwen2.5-coder:7b@local\", \"qwen2.5-coder:32b@gpu-box\"]", n, MaxRouteCandidates)
	}
	rs := &routingSetup{iterations: args.Iterations, within: DefaultRoutingWithin}
	if rs.iterations == 0 {
		rs.iterations = DefaultRoutingIterations
	}
	if rs.iterations < 1 || rs.iterations > 100 {
		return nil, userErrorf("iterations %d is out of range; give 1 to 100 (default %d)", args.Iterations, DefaultRoutingIterations)
	}
	if args.Within != nil {
		if *args.Within < 0 || *args.Within > 1 {
			return nil, userErrorf("within %g is outside 0-1; it is a share of tasks, e.g. 0.02 for 2 points of pass rate", *args.Within)
		}
		rs.within = *args.Within
	}
	if err := option.Check("options", args.Options); err != nil {
		return nil, &UserError{Err: err}
	}
	for i, spec := range args.Candidates {
		c, err := s.resolveCandidate(fmt.Sprintf("candidates[%d]", i), spec, "")
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(rs.cands, func(o record.RoutingCandidate) bool { return o.Model == c.Model && o.Host == c.Host }) {
			return nil, userErrorf("candidate %s is listed twice", c.Name())
		}
		rs.cands = append(rs.cands, c)
	}
	for name, cost := range args.Costs {
		i := slices.IndexFunc(rs.cands, func(c record.RoutingCandidate) bool { return c.Name() == name || c.Model == name })
		if i < 0 {
			var names []string
			for _, c := range rs.cands {
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
		rs.cands[i].CostPer1KTokens, rs.cands[i].CostPerSecond = cost.Per1KTokens, cost.PerSecond
	}
	if args.Judge != "" {
		j, err := s.resolveCandidate("judge", args.Judge, "")
		if err != nil {
			return nil, err
		}
		rs.judge = &j
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
	rs.suite = st
	return rs, nil
}

// routingSetup checks the arguments (nothing runs or is stored) and finds
// each candidate's newest matching run.
func (s *Service) routingSetup(ctx context.Context, args EvaluateRoutingArgs) (*routingSetup, error) {
	rs, err := s.checkRouting(args)
	if err != nil {
		return nil, err
	}
	// The models must be on their hosts when anything will be called.
	if args.Online || rs.judge != nil {
		check := slices.Clone(rs.cands)
		if rs.judge != nil {
			check = append(check, *rs.judge)
		}
		for _, c := range check {
			if _, err := s.Exec.ModelInfo(ctx, c.Host, c.Model); err != nil {
				return nil, userErrorf("%s: %v", c.Name(), err)
			}
		}
	}
	rs.runs = make([]*record.Run, len(rs.cands))
	for i, c := range rs.cands {
		if rs.runs[i], err = s.routingRun(c, rs.suite, args.Options, rs.iterations); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// routingRun is the newest completed run of the candidate on the suite's
// exact content, on its host, with the options (seed aside), without a
// preamble or padding, and with at least the iterations; nil when none.
func (s *Service) routingRun(c record.RoutingCandidate, st suite.Suite, options map[string]any, iterations int) (*record.Run, error) {
	runs, err := s.Store.ListRuns(memory.Filter{Model: c.Model, Status: record.StatusCompleted})
	if err != nil {
		return nil, fmt.Errorf("list runs of %s: %w", c.Model, err)
	}
	hash, want := st.Hash(), compare.OptionsKey(options)
	for _, r := range runs {
		if r.SuiteHash == hash && r.Host == c.Host && compare.OptionsKey(r.Options) == want &&
			r.Preamble == "" && r.Depth == 0 && r.Iterations >= iterations {
			return &r, nil
		}
	}
	return nil, nil
}

// missingError says which candidates have no stored run, and how to make them.
func missingError(rs *routingSetup, args EvaluateRoutingArgs) error {
	var lines []string
	for _, i := range rs.missing() {
		c := rs.cands[i]
		call := map[string]any{"model": c.Model, "host": c.Host, "suite": rs.suite.Name, "iterations": rs.iterations}
		if len(args.Options) > 0 {
			call["options"] = args.Options
		}
		b, _ := json.Marshal(call)
		lines = append(lines, fmt.Sprintf("%s: run_benchmark %s", c.Name(), b))
	}
	return userErrorf("no completed run on suite %s (hash %.12s) with %d iterations and these options for: %s. Run them, or call again with online: true to run what is missing as a job",
		rs.suite.Name, rs.suite.Hash(), rs.iterations, strings.Join(lines, "; "))
}

// evaluateRouting is EvaluateRouting; began and resume are as for a sweep.
func (s *Service) evaluateRouting(ctx context.Context, args EvaluateRoutingArgs, progress ProgressFunc, began func([]string, string), resume string) (*EvaluateRoutingResult, string, error) {
	defer s.track()()
	rs, err := s.routingSetup(ctx, args)
	if err != nil {
		return nil, "", err
	}
	mode := "offline"
	if missing := rs.missing(); len(missing) > 0 || resume != "" {
		if !args.Online {
			return nil, "", missingError(rs, args)
		}
		mode = "online"
		if err := s.runMissing(ctx, rs, args, progress, began, resume); err != nil {
			return nil, "", err
		}
	}
	m, notes, err := s.routingMatrix(ctx, rs, progress)
	if err != nil {
		return nil, "", err
	}
	policies, err := route.Evaluate(m)
	if err != nil {
		return nil, "", err
	}
	big := rs.cands[len(rs.cands)-1].Name()
	costed := slices.ContainsFunc(rs.cands, func(c record.RoutingCandidate) bool { return c.CostPer1KTokens > 0 || c.CostPerSecond > 0 })
	rec := policies[route.Recommend(policies, big, rs.within, costed)]
	res := &EvaluateRoutingResult{
		Status: record.StatusCompleted, Mode: mode, Suite: rs.suite.Name, SuiteHash: rs.suite.Hash(),
		Candidates: rs.cands, Runs: map[string]string{}, Iterations: rs.iterations, Tasks: len(m.Tasks),
		Policies: policies, Recommended: rec.ID, Deployed: rec.Spec, Notes: notes,
		Decisions: route.Decisions(m, rec),
	}
	for i, c := range rs.cands {
		res.Runs[c.Name()] = rs.runs[i].ID
	}
	res.Seeds = sharedSeeds(rs)
	for _, p := range policies {
		if p.Pareto {
			res.Pareto = append(res.Pareto, p.ID)
		}
	}
	if rec.Policy == route.Evidence {
		res.Deployed.Categories = route.LearnCategories(m, *rec.Threshold)
	}
	bigRes := policies[len(rs.cands)-1]
	res.Why = fmt.Sprintf("%s sends %.0f%% of tasks to %s with pass rate %.3f, %+.3f against always-%s (95%% CI %+.3f to %+.3f), the cheapest policy within %.3f of it",
		rec.ID, 100*rec.BigShare, big, rec.PassRate, rec.DeltaVsBig, big, rec.DeltaCI.Lo, rec.DeltaCI.Hi, rs.within)
	if costed {
		res.Why += fmt.Sprintf(" by cost (%.4g per task against %.4g)", rec.Cost, bigRes.Cost)
	} else {
		res.Why += " by share of the big model (no costs given)"
	}
	for ti, t := range m.Tasks {
		if ti == MaxRoutingVerdicts {
			res.Notes = append(res.Notes, fmt.Sprintf("verdicts lists the first %d of %d tasks", MaxRoutingVerdicts, len(m.Tasks)))
			break
		}
		v := RoutingVerdict{TaskID: t.ID, Category: t.Category}
		for _, o := range rec.Outcomes[ti] {
			v.Models = append(v.Models, rs.cands[o.Answered()].Name())
			v.Passes = append(v.Passes, o.Pass)
		}
		res.Verdicts = append(res.Verdicts, v)
	}
	if rec.Policy == route.Cascade && rs.judge == nil {
		res.Notes = append(res.Notes, "the recommended cascade was judged by the suite's stored llm_judge verdicts; route_task needs judge_model to run it")
	}
	if err := s.storeRouting(rs, res, policies); err != nil {
		return nil, "", err
	}
	emptyRouting(res)
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

// storeRouting stores the evaluation, with the heuristic threshold learned
// for route_task, and sets the result's policy id.
func (s *Service) storeRouting(rs *routingSetup, res *EvaluateRoutingResult, policies []route.PolicyResult) error {
	p := record.RoutingPolicy{
		Suite: rs.suite.Name, SuiteHash: rs.suite.Hash(), Candidates: rs.cands,
		Within: rs.within, Recommended: res.Deployed,
	}
	if rs.judge != nil {
		p.Judge = rs.judge.Name()
	}
	if h := bestHeuristic(policies, rs.within); h != nil {
		p.Heuristic = h
	}
	full, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode routing evaluation: %w", err)
	}
	p.Result = full
	if err := s.Store.PutRoutingPolicy(&p); err != nil {
		return fmt.Errorf("store routing evaluation: %w", err)
	}
	res.PolicyID = p.ID
	return nil
}

// bestHeuristic is the heuristic threshold route_task uses: the one the
// recommendation rule picks among the heuristic's thresholds (and the two
// always policies it sits between).
func bestHeuristic(policies []route.PolicyResult, within float64) *float64 {
	var hs []route.PolicyResult
	var big string
	for _, p := range policies {
		if p.Policy == route.Always {
			big = p.Spec.Target
			if len(hs) == 0 || hs[0].Policy == route.Always {
				hs = []route.PolicyResult{p} // the last always is the big one
			}
		}
	}
	for _, p := range policies {
		if p.Policy == route.Heuristic {
			hs = append(hs, p)
		}
	}
	if len(hs) < 2 {
		return nil
	}
	r := hs[route.Recommend(hs, big, within, false)]
	if r.Threshold == nil {
		t := 0.0 // always-big: every task is hard
		return &t
	}
	return r.Threshold
}

// runMissing runs the candidates without a stored run as the cells of one
// sweep, on the seeds of the stored runs when they share them.
func (s *Service) runMissing(ctx context.Context, rs *routingSetup, args EvaluateRoutingArgs, progress ProgressFunc, began func([]string, string), resume string) error {
	sw := SweepArgs{RunSettings: RunSettings{Suite: args.Suite, Iterations: rs.iterations, Seed: args.Seed, Tags: []string{"route-eval"}}}
	if stored := sharedSeeds(rs); stored != nil && args.Seed == nil {
		sw.Seeds, sw.Iterations = nil, 0
		for _, s := range stored {
			sw.Seeds = append(sw.Seeds, bench.Seed(s))
		}
	}
	for _, i := range rs.missing() {
		c := rs.cands[i]
		sw.Cells = append(sw.Cells, sweep.Cell{Label: c.Name(), Model: c.Model, Host: c.Host, Options: args.Options})
	}
	if len(sw.Cells) == 0 && resume != "" {
		return nil // an interrupted job whose runs all finished
	}
	res, _, err := s.sweep(ctx, sw, progress, began, resume)
	if err != nil {
		return err
	}
	for _, c := range res.Cells {
		if c.Status != record.StatusCompleted {
			return fmt.Errorf("the run of %s ended %s (run %s); evaluate_routing needs it completed: resume it with job_status, or run it with run_benchmark", c.Label, c.Status, c.RunID)
		}
	}
	for i, c := range rs.cands {
		if rs.runs[i], err = s.routingRun(c, rs.suite, args.Options, rs.iterations); err != nil {
			return err
		}
		if rs.runs[i] == nil {
			return fmt.Errorf("the run of %s completed but is not found on suite %s; report this", c.Name(), rs.suite.Name)
		}
	}
	return nil
}

// sharedSeeds is the seeds of the first iterations when every stored run
// used the same; nil otherwise.
func sharedSeeds(rs *routingSetup) []int {
	var out []int
	for _, r := range rs.runs {
		if r == nil {
			continue
		}
		if r.Seeds == nil || len(r.Seeds.Seeds) < rs.iterations || (out != nil && !slices.Equal(out, r.Seeds.Seeds[:rs.iterations])) {
			return nil
		}
		out = r.Seeds.Seeds[:rs.iterations]
	}
	return out
}

// routingMatrix reads every candidate's samples into the matrix: the
// suite's tasks in order, the first iterations of each run. The cascade's
// signal is the judge's score: graded now by the given judge, else the
// stored llm_judge verdict of the sample.
func (s *Service) routingMatrix(ctx context.Context, rs *routingSetup, progress ProgressFunc) (route.Matrix, []string, error) {
	m := route.Matrix{Candidates: rs.cands, Iterations: rs.iterations}
	byTask := make([]map[string][]record.Sample, len(rs.cands))
	for c, r := range rs.runs {
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
	if rs.judge != nil {
		spec := check.Spec{Type: "llm_judge", Judge: &check.JudgeSpec{Model: rs.judge.Model}}
		jc, err := check.Compile(spec)
		if err != nil {
			return m, nil, err
		}
		judge := bench.Judge(s.Exec, rs.judge.Host, DefaultRouteTimeout)
		grade = func(ctx context.Context, task suite.Task, smp record.Sample) (float64, float64, error) {
			start := time.Now()
			results, _, _ := check.Evaluate(ctx, []check.Check{jc}, check.Answer{Task: task.Prompt, Output: smp.Output}, check.Env{Judge: judge})
			ms := float64(time.Since(start)) / float64(time.Millisecond)
			if len(results) == 0 || results[0].Skipped {
				return 0, ms, fmt.Errorf("judge %s could not grade task %s: %s", rs.judge.Name(), task.ID, results[0].Reason)
			}
			return results[0].Score, ms, nil
		}
	}
	unjudged, total, graded := 0, len(rs.suite.Tasks)*(len(rs.cands)-1)*rs.iterations, 0
	for _, task := range rs.suite.Tasks {
		t := route.Task{ID: task.ID, Category: task.Category, Prompt: task.Prompt, Trials: make([][]route.Trial, len(rs.cands))}
		for c := range rs.cands {
			got := byTask[c][task.ID]
			slices.SortFunc(got, func(a, b record.Sample) int { return a.Iteration - b.Iteration })
			if len(got) < rs.iterations {
				return m, nil, fmt.Errorf("run %s of %s has %d samples of task %s, want %d; rerun it", rs.runs[c].ID, rs.cands[c].Name(), len(got), task.ID, rs.iterations)
			}
			for _, smp := range got[:rs.iterations] {
				tr := route.Trial{Pass: smp.Pass, LatencyMs: smp.WallMs, Tokens: smp.PromptTokens + smp.EvalTokens}
				last := c == len(rs.cands)-1
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
						progress(graded, total, fmt.Sprintf("judged %s on %s iteration %d", rs.cands[c].Name(), task.ID, smp.Iteration))
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
		if rs.judge != nil {
			how = "the judge could not grade them"
		}
		notes = append(notes, fmt.Sprintf("%d of %d answers of the cheaper candidates have no judge verdict; the cascade escalates them (%s)", unjudged, total, how))
	}
	if rs.judge == nil && unjudged < total {
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
