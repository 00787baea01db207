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
	Axes           *sweep.Axes      `json:"axes,omitempty" jsonschema:"grid: each combination is a cell"`
	Cells          []sweep.Cell     `json:"cells,omitempty" jsonschema:"instead of axes: explicit cells"`
	Hosts          []string         `json:"hosts,omitempty" jsonschema:"spread cells over these hosts (default first)"`
	MaxCells       int              `json:"max_cells,omitempty" jsonschema:"allow over 256 cells (max 4096)"`
	Objective      string           `json:"objective,omitempty" jsonschema:"pass_rate (default), mean_score, gen_tps, prompt_tps, ttft_p50_ms, latency_p50_ms, points_per_s or throughput_tps"`
	PassRateWithin float64          `json:"pass_rate_within,omitempty" jsonschema:"pass-rate margin from the best to compete (default 0.02)"`
	EarlyStop      *sweep.EarlyStop `json:"early_stop,omitempty" jsonschema:"stop clearly worse cells; {} for defaults"`
	Plan           bool             `json:"plan,omitempty" jsonschema:"only estimate cells, loads, time"`
	ReportPath     string           `json:"report_path,omitempty" jsonschema:"report: x.md, x.html or x (both)"`
	Background     bool             `json:"background,omitempty" jsonschema:"return job_id at once; then job_status, job_result"`
	Priority       int              `json:"priority,omitempty" jsonschema:"queue priority (default 0)"`
}

// wording words the shared run settings for Sweep's callers.
func (SweepArgs) wording() map[string]string {
	return map[string]string{
		"iterations": "runs per task per cell, 1-100 (default 1)",
		"seed":       "base seed, shared by cells (default fresh)",
		"seeds":      "a seed per iteration for all cells",
		"warmup":     "warm-up calls per cell, 0-10 (default 1)",
		"tags":       "labels stored with each cell's run",
	}
}

// SweepResult is what sweep returns.
type SweepResult struct {
	SweepID     string             `json:"sweep_id,omitempty" jsonschema:"id shared by the runs"`
	Status      record.Status      `json:"status" jsonschema:"completed, planned, queued or the first unfinished state"`
	JobID       string             `json:"job_id,omitempty"`
	Suite       string             `json:"suite"`
	SuiteHash   string             `json:"suite_hash"`
	Seeds       []int              `json:"seeds" jsonschema:"each iteration's seed"`
	Cells       []sweep.CellResult `json:"cells" jsonschema:"each cell's settings, run_id, summary"`
	Best        []sweep.Best       `json:"best" jsonschema:"best per objective, with CI and ties"`
	Choice      *sweep.Choice      `json:"choice,omitempty" jsonschema:"best within pass_rate_within"`
	Pareto      compare.Frontier   `json:"pareto" jsonschema:"pass rate / cost frontier"`
	Effects     []sweep.Effect     `json:"effects" jsonschema:"each axis value's paired effect"`
	Notes       []string           `json:"notes,omitempty"`
	Plan        *sweep.Plan        `json:"plan,omitempty" jsonschema:"the plan's estimate"`
	ReportPaths []string           `json:"report_paths,omitempty" jsonschema:"files written"`
}

// SweepTool is the MCP definition of sweep.
func SweepTool() mcp.Tool {
	return mcp.NewTool("sweep",
		mcp.WithDescription("Find the best configuration over a grid of models, preambles, options, think, depths, hosts and concurrency: "+
			"the best per objective, Pareto frontier, axis effects. A resumable job."),
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
