package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/internal/sweep"
)

// KindSweep is the job kind of sweep.
const KindSweep = "sweep"

// SweepArgs are the arguments of sweep.
type SweepArgs struct {
	RunSettings
	Axes           *sweep.Axes      `json:"axes,omitempty" jsonschema:"the grid: every combination of its values is a cell"`
	Cells          []sweep.Cell     `json:"cells,omitempty" jsonschema:"instead of axes: the cells, each with the axes' fields (one value) and a label"`
	Hosts          []string         `json:"hosts,omitempty" jsonschema:"spread the cells over these named hosts, each model's cells on one host that has it (default: the first host)"`
	MaxCells       int              `json:"max_cells,omitempty" jsonschema:"allow more than 256 cells (up to 4096)"`
	Objective      string           `json:"objective,omitempty" jsonschema:"what the choice optimises: pass_rate, mean_score, gen_tps, prompt_tps, ttft_p50_ms, latency_p50_ms, points_per_s or throughput_tps (default pass_rate)"`
	PassRateWithin float64          `json:"pass_rate_within,omitempty" jsonschema:"only cells within this of the best pass rate compete for the objective, e.g. 0.02 = 2 points (default 0.02 for speed objectives)"`
	EarlyStop      *sweep.EarlyStop `json:"early_stop,omitempty" jsonschema:"stop cells clearly worse in pass rate (sequential sign test over tasks); {} for the defaults"`
	Plan           bool             `json:"plan,omitempty" jsonschema:"dry run: cells, calls, loads and a duration from one probe call per model; nothing stored"`
	ReportPath     string           `json:"report_path,omitempty" jsonschema:"side-by-side report (prompts, answers, verdicts, winners): x.md, x.html or x (both), in the reports directory"`
	Background     bool             `json:"background,omitempty" jsonschema:"return at once with job_id; follow it with job_status and take the result with job_result"`
	Priority       int              `json:"priority,omitempty" jsonschema:"queue priority: higher runs first (default 0)"`
}

// wording words the shared run settings for Sweep's callers.
func (SweepArgs) wording() map[string]string {
	return map[string]string{
		"tasks":             "inline tasks instead of a suite",
		"iterations":        "times each task runs per cell (1-100, default 1, or the length of seeds)",
		"seed":              "base seed: iteration i of every cell runs with the same seed derived from it; default fresh seeds, drawn once and shared by all cells",
		"seeds":             "one seed per iteration, the same for every cell, e.g. [1, 2, 3]",
		"warmup":            "untimed warm-up calls per cell before measuring (0-10, default 1)",
		"max_output_tokens": "circuit breaker token cap per call (default 2048)",
		"tags":              "labels stored with every cell's run, besides sweep:<id>",
	}
}

// SweepResult is what sweep returns.
type SweepResult struct {
	SweepID     string             `json:"sweep_id,omitempty" jsonschema:"id shared by the cells' runs (their comparison_id, and tag sweep:<id>)"`
	Status      record.Status      `json:"status" jsonschema:"completed when every cell completed or was stopped early; planned (plan), queued (background), or the state of the first cell that did neither"`
	JobID       string             `json:"job_id,omitempty"`
	Suite       string             `json:"suite"`
	SuiteHash   string             `json:"suite_hash"`
	Seeds       []int              `json:"seeds" jsonschema:"the seed of each iteration, the same for every cell"`
	Cells       []sweep.CellResult `json:"cells" jsonschema:"every cell: settings, run_id, status and its run's summary (full detail: analyze_results with the run_id)"`
	Best        []sweep.Best       `json:"best" jsonschema:"the best cell on each objective, with its 95% interval and the cells it cannot be told apart from"`
	Choice      *sweep.Choice      `json:"choice,omitempty" jsonschema:"the best cell on the objective among those within pass_rate_within of the best pass rate"`
	Pareto      compare.Frontier   `json:"pareto" jsonschema:"the cells on the pass rate / cost frontier"`
	Effects     []sweep.Effect     `json:"effects" jsonschema:"the marginal effect of every axis value against the axis's first, cells paired that differ only there"`
	Notes       []string           `json:"notes,omitempty"`
	Plan        *sweep.Plan        `json:"plan,omitempty" jsonschema:"with plan: what the sweep would take"`
	ReportPaths []string           `json:"report_paths,omitempty" jsonschema:"files written"`
}

// SweepTool is the MCP definition of sweep.
func SweepTool() mcp.Tool {
	return mcp.NewTool("sweep",
		mcp.WithDescription("Find the best configuration over a grid of models, preambles, Ollama options, think levels, context depths, hosts and concurrency, all on the same seeds. "+
			"Cells sharing a model and its load-time options run as one warmed block (no call pays a reload); hosts run at once. "+
			"Returns each cell's summary, the best cell per objective with intervals, a constrained choice, the Pareto frontier and paired marginal effects. "+
			"plan: true estimates cells, loads and duration. A job; an interrupted sweep resumes."),
		inputSchema[SweepArgs](),
		outputSchema[SweepResult](),
		mcp.WithTaskSupport(mcp.TaskSupportOptional),
		mcp.WithTitleAnnotation("Sweep configurations"),
		mcp.WithReadOnlyHintAnnotation(false),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(false),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// SweepHandler is the MCP handler of sweep.
func (s *Service) SweepHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return jobHandler(s, longTool[SweepArgs, SweepResult]{
		direct:     s.Sweep,
		inline:     func(a SweepArgs) bool { return a.Plan },
		background: func(a SweepArgs) bool { return a.Background },
		submit:     s.submitSweep,
		queued:     queuedSweep,
	})
}

// Sweep runs a sweep (or plans it) and analyses it; it returns the result
// and its markdown.
func (s *Service) Sweep(ctx context.Context, args SweepArgs, progress ProgressFunc) (*SweepResult, string, error) {
	return s.sweep(ctx, args, progress, nil, "")
}

// sweepJob is the work of a sweep job; an interrupted one resumes its sweep.
func (s *Service) sweepJob(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
	var args SweepArgs
	if err := json.Unmarshal(job.Args, &args); err != nil {
		return nil, "", fmt.Errorf("decode arguments of job %s: %w", job.ID, err)
	}
	args.Background = false
	res, md, err := s.sweep(ctx, args, reporterProgress(r), r.Began, job.ComparisonID)
	if res != nil {
		res.JobID = job.ID
	}
	return res, md, err
}

// submitSweep validates a sweep as it would run (cells, options, models on
// their hosts) without storing anything, and submits it as a job holding
// every host it runs on.
func (s *Service) submitSweep(ctx context.Context, args SweepArgs) (record.Job, error) {
	call, err := s.checkSweep(args)
	if err != nil {
		return record.Job{}, err
	}
	setup, err := s.sweeps().Prepare(ctx, call.request(args, nil, nil, ""), "")
	if err != nil {
		return record.Job{}, err
	}
	var models []string
	for _, c := range setup.Cells {
		if !slices.Contains(models, c.Model) {
			models = append(models, c.Model)
		}
	}
	return s.Jobs.SubmitFor(submitter(ctx), KindSweep, setup.Hosts, models, args, args.Priority)
}

func queuedSweep(j record.Job) (*SweepResult, string) {
	return emptySweep(&SweepResult{JobID: j.ID, Status: record.Status(j.Status)}), queuedText(j)
}

// emptySweep sets a result's lists, so that none is null.
func emptySweep(r *SweepResult) *SweepResult {
	if r.Cells == nil {
		r.Cells = []sweep.CellResult{}
	}
	if r.Best == nil {
		r.Best = []sweep.Best{}
	}
	if r.Effects == nil {
		r.Effects = []sweep.Effect{}
	}
	if r.Seeds == nil {
		r.Seeds = []int{}
	}
	if r.Pareto.Points == nil {
		r.Pareto = compare.Frontier{Points: []stats.Point{}, Optimal: []string{}, DominatedBy: map[string][]string{}}
	}
	return r
}

// sweepCall is a sweep call checked before anything runs: its cells, the
// objective, early stopping and the report targets.
type sweepCall struct {
	cells   []sweep.Cell
	reports []artifact.Target
	obj     sweep.Objective
	stop    *sweep.EarlyStop
}

// checkSweep checks a sweep's arguments as far as they can be without
// Ollama: the grid or cells (their options included), the objective, the
// report path, early stopping and the named hosts.
func (s *Service) checkSweep(args SweepArgs) (*sweepCall, error) {
	cells, err := sweep.Grid(args.Axes, args.Cells, args.MaxCells)
	if err != nil {
		return nil, &UserError{Err: err}
	}
	obj := sweep.Objective{Name: args.Objective, Within: args.PassRateWithin}
	if err := obj.Check(); err != nil {
		return nil, &UserError{Err: err}
	}
	reports, err := s.reportTargets("report_path", args.ReportPath, artifact.Markdown, artifact.HTML)
	if err != nil {
		return nil, err
	}
	if args.EarlyStop != nil {
		stop := *args.EarlyStop
		if err := stop.Check(); err != nil {
			return nil, &UserError{Err: err}
		}
		args.EarlyStop = &stop
	}
	var unknown []string
	for _, h := range args.Hosts {
		if _, err := s.Exec.Host(h); err != nil {
			unknown = append(unknown, h)
		}
	}
	for _, c := range cells {
		if c.Host != "" && !slices.Contains(unknown, c.Host) {
			if _, err := s.Exec.Host(c.Host); err != nil {
				unknown = append(unknown, c.Host)
			}
		}
	}
	if len(unknown) > 0 {
		return nil, userErrorf("unknown host %s; the configured hosts are %s (set more with --hosts or BENCHMCP_HOSTS)", strings.Join(unknown, ", "), strings.Join(s.hostNames(), ", "))
	}
	return &sweepCall{cells: cells, obj: obj, stop: args.EarlyStop, reports: reports}, nil
}

// request is the checked call as the sweep use case takes it.
func (c *sweepCall) request(args SweepArgs, progress ProgressFunc, began func([]string, string), resume string) sweep.Request {
	return sweep.Request{
		Base:  args.RunSettings.runConfig("", ""),
		Cells: c.cells, Hosts: args.Hosts, EarlyStop: c.stop, Objective: c.obj,
		Progress: progress, Began: began, Resume: resume,
	}
}

// sweep is Sweep. began, if set, is told the cells' run ids and the sweep id
// once they are stored; resume, if set, is the id of a sweep begun before,
// whose unfinished cells resume without redoing finished samples.
func (s *Service) sweep(ctx context.Context, args SweepArgs, progress ProgressFunc, began func([]string, string), resume string) (*SweepResult, string, error) {
	defer s.track()()
	call, err := s.checkSweep(args)
	if err != nil {
		return nil, "", err
	}
	req := call.request(args, progress, began, resume)
	if args.Plan {
		setup, err := s.sweeps().Prepare(ctx, req, "")
		if err != nil {
			return nil, "", err
		}
		first := setup.Configs[0]
		plan := sweep.MakePlan(ctx, setup.Sessions, true)
		res := &SweepResult{Status: StatusPlanned, Plan: &plan, Suite: first.Suite.Name, SuiteHash: first.Suite.Hash(), Seeds: first.Seeds.Seeds}
		for _, c := range setup.Cells {
			res.Cells = append(res.Cells, sweep.CellResult{Cell: c, Status: StatusPlanned})
		}
		emptySweep(res)
		return res, report.SweepPlanMarkdown(plan, setup.Cells), nil
	}
	sw, err := s.sweeps().Run(ctx, req)
	if err != nil {
		return nil, "", err
	}
	a := sw.Analysis
	res := &SweepResult{SweepID: sw.ID, Status: sw.Status, Suite: sw.Suite, SuiteHash: sw.SuiteHash, Seeds: sw.Seeds,
		Cells: a.Cells, Best: a.Best, Choice: a.Choice, Pareto: a.Pareto, Effects: a.Effects, Notes: a.Notes}
	emptySweep(res)
	title := sw.Title()
	md := report.SweepMarkdown(title, a)
	if len(call.reports) > 0 {
		cr, err := sw.SideBySide()
		if err != nil {
			return nil, "", err
		}
		if res.ReportPaths, err = s.sideBySide(call.reports, title, cr, sw.Variants); err != nil {
			return nil, "", err
		}
		md += "\nSide-by-side report: " + strings.Join(res.ReportPaths, ", ") + "\n"
	}
	if sw.Err != nil && ctx.Err() == nil {
		md += "\n\n**Error:** " + sw.Err.Error() + "\n"
	}
	return res, md, nil
}
