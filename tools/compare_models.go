package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/prompts"
)

// Limits of compare_models.
const (
	MinVariants = compare.MinVariants
	MaxVariants = compare.MaxVariants
)

// CompareVariant is one side of a comparison: a model with an optional
// preamble and options.
type CompareVariant struct {
	Label    string         `json:"label,omitempty" jsonschema:"unique name (default the model)"`
	Model    string         `json:"model" jsonschema:"model, e.g. gemma3:4b"`
	Preamble string         `json:"preamble,omitempty" jsonschema:"system prompt: concise, coder, tool-user, careful, or text"`
	Options  map[string]any `json:"options,omitempty" jsonschema:"Ollama options; a seed pins all iterations"`
	Think    string         `json:"think,omitempty" jsonschema:"true, false, high, medium or low (default: model's)"`
}

// CompareModelsArgs are the arguments of compare_models.
type CompareModelsArgs struct {
	RunSettings
	Variants         []CompareVariant `json:"variants,omitempty" jsonschema:"2-8 variants to compare"`
	PairwiseJudge    string           `json:"pairwise_judge,omitempty" jsonschema:"model@host judging answers vs the baseline"`
	ReportPath       string           `json:"report_path,omitempty" jsonschema:"report: x.md, x.html or x (both)"`
	RunIDs           []string         `json:"run_ids,omitempty" jsonschema:"instead of variants: 2-8 stored runs"`
	Plan             bool             `json:"plan,omitempty" jsonschema:"only estimate cost and power"`
	Effect           float64          `json:"effect,omitempty" jsonschema:"pass-rate change to detect (default 0.10)"`
	ExpectedPassRate float64          `json:"expected_pass_rate,omitempty" jsonschema:"plan: expected pass rate (default 0.5)"`
	AllowDifferences []string         `json:"allow_differences,omitempty" jsonschema:"run_ids may differ in: digest, options, preamble, host, ollama_version, engine or all"`
	Baseline         string           `json:"baseline,omitempty" jsonschema:"label or run id to compare against (default first)"`
	Host             string           `json:"host,omitempty" jsonschema:"named host (default first)"`
	Background       bool             `json:"background,omitempty" jsonschema:"return job_id at once; then job_status, job_result"`
	Priority         int              `json:"priority,omitempty" jsonschema:"queue priority (default 0)"`
}

// wording words the shared run settings for CompareModels's callers.
func (CompareModelsArgs) wording() map[string]string {
	return map[string]string{
		"iterations": "runs per task per variant, 1-100 (default 1)",
		"seed":       "base seed, shared by variants (default fresh)",
		"seeds":      "a seed per iteration for all variants",
		"warmup":     "warm-up calls per variant, 0-10 (default 1)",
		"tags":       "labels stored with each variant's run",
	}
}

// CompareModelsResult is what compare_models returns.
type CompareModelsResult struct {
	ComparisonID string                   `json:"comparison_id,omitempty" jsonschema:"id shared by the runs"`
	Status       record.Status            `json:"status" jsonschema:"completed, planned, queued or the first unfinished state"`
	JobID        string                   `json:"job_id,omitempty" jsonschema:"the job running it"`
	Suite        string                   `json:"suite"`
	SuiteHash    string                   `json:"suite_hash"`
	Baseline     string                   `json:"baseline" jsonschema:"the baseline's label"`
	Variants     []compare.VariantSummary `json:"variants" jsonschema:"per-variant summary"`
	Comparisons  []compare.Comparison     `json:"comparisons" jsonschema:"each variant (b) vs baseline (a)"`
	Tasks        []compare.TaskRow        `json:"tasks" jsonschema:"per task: results and winner"`
	Pareto       compare.Frontier         `json:"pareto" jsonschema:"pass rate / latency frontier"`
	PreambleAB   []compare.PreambleDelta  `json:"preamble_ab" jsonschema:"pass rate with vs without preamble"`
	Differences  []compare.Mismatch       `json:"differences,omitempty" jsonschema:"allowed run differences"`
	ReportPaths  []string                 `json:"report_paths,omitempty" jsonschema:"files written"`
	Plan         *bench.Plan              `json:"plan,omitempty" jsonschema:"the plan's cost and power"`
}

// CompareModelsTool is the MCP definition of compare_models.
func CompareModelsTool() mcp.Tool {
	return mcp.NewTool("compare_models",
		mcp.WithDescription("Compare 2-8 variants (models, preambles, options) on the same tasks and seeds, or stored runs: "+
			"paired tests vs the baseline, a verdict, per-task winners, Pareto frontier."),
		inputSchema[CompareModelsArgs](),
		outputSchema[CompareModelsResult](),
		mcp.WithTaskSupport(mcp.TaskSupportOptional),
		mcp.WithTitleAnnotation("Compare models"),
		mcp.WithReadOnlyHintAnnotation(false),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(false),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// CompareModelsHandler is the MCP handler of compare_models.
func (s *Service) CompareModelsHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return jobHandler(s, longTool[CompareModelsArgs, CompareModelsResult]{
		direct: s.CompareModels,
		// Plans and comparisons of stored runs run nothing: they answer at once.
		inline: func(a CompareModelsArgs) bool {
			return a.Plan || len(a.Variants) == 0 || len(a.RunIDs) > 0 || len(a.AllowDifferences) > 0
		},
		background: func(a CompareModelsArgs) bool { return a.Background },
		submit:     s.submitCompare,
		queued:     queuedCompare,
	})
}

// CompareModels runs the variants interleaved and compares them, or
// compares stored runs; it returns the result and its markdown.
func (s *Service) CompareModels(ctx context.Context, args CompareModelsArgs, progress ProgressFunc) (*CompareModelsResult, string, error) {
	return s.compareModels(ctx, args, progress, nil, "")
}

// compareModels is CompareModels. began, if not nil, is told the variants'
// run ids and the comparison id as soon as the runs are stored. resume, if
// set, is the id of a comparison begun before: its stored variant runs are
// resumed without redoing their finished samples.
func (s *Service) compareModels(ctx context.Context, args CompareModelsArgs, progress ProgressFunc, began func([]string, string), resume string) (*CompareModelsResult, string, error) {
	defer s.track()()
	c, err := s.checkCompare(args)
	if err != nil {
		return nil, "", err
	}
	if len(args.RunIDs) > 0 {
		o, err := s.comparisons().Stored(ctx, compare.Query{RunIDs: args.RunIDs, Baseline: args.Baseline,
			Allow: args.AllowDifferences, Effect: args.Effect, Judge: c.pw})
		if err != nil {
			return nil, "", err
		}
		return s.compareResult(o, c.reports)
	}
	cfgs := c.cfgs
	if args.Plan {
		var models []string
		for _, c := range cfgs {
			models = append(models, c.Model)
		}
		plan, err := s.plan(cfgs[0], models, len(cfgs), args.Effect, args.ExpectedPassRate)
		if err != nil {
			return nil, "", err
		}
		res := &CompareModelsResult{Status: StatusPlanned, Suite: cfgs[0].Suite.Name, SuiteHash: cfgs[0].Suite.Hash(), Plan: &plan,
			Variants: []compare.VariantSummary{}, Comparisons: []compare.Comparison{}, Tasks: []compare.TaskRow{}, PreambleAB: []compare.PreambleDelta{},
			Pareto: compare.Frontier{Points: []stats.Point{}, Optimal: []string{}, DominatedBy: map[string][]string{}}}
		return res, report.PlanMarkdown(plan), nil
	}
	o, err := s.comparisons().Run(ctx, compare.Live{Configs: cfgs, Baseline: args.Baseline, Effect: args.Effect, Judge: c.pw,
		Progress: progress, Began: began, Resume: resume})
	if err != nil {
		return nil, "", err
	}
	return s.compareResult(o, c.reports)
}

// compareResult shapes a comparison as the tool's result and markdown,
// and writes its side-by-side report to the report targets.
func (s *Service) compareResult(o *compare.Outcome, reports []artifact.Target) (*CompareModelsResult, string, error) {
	cr := o.Result
	res := &CompareModelsResult{
		ComparisonID: o.ComparisonID, Status: o.Status,
		Suite: o.Suite, SuiteHash: o.SuiteHash, Baseline: cr.Baseline,
		Variants: cr.Variants, Comparisons: cr.Comparisons, Tasks: cr.Tasks, Pareto: cr.Pareto, PreambleAB: cr.PreambleAB,
		Differences: o.Differences,
	}
	title := o.Title()
	md := report.CompareMarkdown(title, cr)
	var err error
	if res.ReportPaths, err = s.sideBySide(reports, title, cr, o.Variants); err != nil {
		return nil, "", err
	}
	if len(res.ReportPaths) > 0 {
		md += "\nSide-by-side report: " + strings.Join(res.ReportPaths, ", ") + "\n"
	}
	return res, md, nil
}

// compareCall is a compare_models call checked before anything runs: its
// report targets, its pairwise judge and, for a live comparison, the
// variants' run configurations (none for run_ids).
type compareCall struct {
	reports []artifact.Target
	pw      *compare.PairJudge
	cfgs    []bench.Config
}

// checkCompare checks a compare_models call as far as it can be without
// Ollama or the stored runs.
func (s *Service) checkCompare(args CompareModelsArgs) (*compareCall, error) {
	reports, err := s.reportTargets("report_path", args.ReportPath, artifact.Markdown, artifact.HTML)
	if err != nil {
		return nil, err
	}
	pw, err := s.pairwiseJudge(args.PairwiseJudge, args.TimeoutS)
	if err != nil {
		return nil, err
	}
	c := &compareCall{reports: reports, pw: pw}
	switch {
	case len(args.Variants) > 0 && len(args.RunIDs) > 0:
		return nil, userErrorf("give either variants (to run) or run_ids (to compare stored runs), not both")
	case len(args.RunIDs) > 0:
		if args.Suite != "" || len(args.Tasks) > 0 || args.Iterations != 0 || args.Seed != nil || args.Seeds != nil || args.Plan {
			return nil, userErrorf("run_ids compares stored runs as they are; leave out suite, tasks, iterations, seed, seeds and plan")
		}
		if err := compare.CheckAllowed(args.AllowDifferences); err != nil {
			return nil, &UserError{Err: err}
		}
		return c, nil
	case len(args.Variants) == 0:
		return nil, userErrorf("give variants, e.g. [{\"model\": \"tiny-s\"}, {\"model\": \"tiny-m\"}], or run_ids of stored runs")
	case len(args.AllowDifferences) > 0:
		return nil, userErrorf("allow_differences applies to run_ids; the variants of a live comparison differ in exactly what they set")
	}
	if c.cfgs, err = s.compareConfigs(args); err != nil {
		return nil, err
	}
	return c, nil
}

// compareConfigs turns the variants into run configurations on one suite,
// with unique labels, the same seed and the baseline checked. Nothing runs.
func (s *Service) compareConfigs(args CompareModelsArgs) ([]bench.Config, error) {
	if n := len(args.Variants); n < MinVariants || n > MaxVariants {
		return nil, userErrorf("%d variants; compare %d to %d", n, MinVariants, MaxVariants)
	}
	var bad []error
	for i, v := range args.Variants {
		if err := option.Check(fmt.Sprintf("variants[%d].options", i), v.Options); err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 {
		return nil, &UserError{Err: errors.Join(bad...)}
	}
	// One plan for all: every variant gets the same seed at the same iteration.
	base := args.RunSettings.runConfig("", args.Host)
	iterations, shared, err := bench.SeedPlanFor(base.Iterations, base.Seed, base.Seeds, nil)
	if err != nil {
		return nil, err
	}
	labels := map[string]bool{}
	var cfgs []bench.Config
	for i, v := range args.Variants {
		if strings.TrimSpace(v.Model) == "" {
			return nil, userErrorf("variant %d has no model; every variant needs one, e.g. {\"model\": \"tiny-m\"}", i+1)
		}
		label := v.Label
		if label == "" {
			label = defaultLabel(v)
		}
		if labels[label] {
			return nil, userErrorf("two variants are labelled %q; give each variant a distinct label", label)
		}
		labels[label] = true
		rc := base
		rc.Model, rc.Preamble, rc.Options, rc.Think, rc.Iterations = v.Model, v.Preamble, v.Options, v.Think, iterations
		cfg, err := s.variantConfig(rc, "variant "+label, shared)
		if err != nil {
			return nil, err
		}
		if i > 0 { // one suite for all: resolved once, shared
			cfg.Suite = cfgs[0].Suite
		}
		cfg.Label = label
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("variant %s: %w", label, err)
		}
		cfgs = append(cfgs, cfg)
	}
	if args.Baseline != "" && !labels[args.Baseline] {
		return nil, userErrorf("baseline %q is not a variant label; use one of: %s", args.Baseline, strings.Join(slices.Sorted(maps.Keys(labels)), ", "))
	}
	return cfgs, nil
}

// pairwiseJudge checks a pairwise_judge argument (model or model@host);
// nil for "".
func (s *Service) pairwiseJudge(spec string, timeoutS float64) (*compare.PairJudge, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	c, err := s.resolveCandidate("pairwise_judge", spec, "")
	if err != nil {
		return nil, err
	}
	p, err := compare.NewPairJudge(c.Name(), c.Model, c.Host, timeoutS)
	if err != nil {
		return nil, userErrorf("pairwise_judge: %v", err)
	}
	return p, nil
}

// defaultLabel is the model, with "+" and the preamble's name when it has one.
func defaultLabel(v CompareVariant) string {
	if v.Preamble == "" {
		return v.Model
	}
	if _, name := prompts.Resolve(v.Preamble); name != "" {
		return v.Model + "+" + name
	}
	return v.Model + "+preamble"
}

// compareJob is the work of a compare_models job; an interrupted one
// resumes its comparison.
func (s *Service) compareJob(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
	var args CompareModelsArgs
	if err := json.Unmarshal(job.Args, &args); err != nil {
		return nil, "", fmt.Errorf("decode arguments of job %s: %w", job.ID, err)
	}
	args.Background = false
	res, md, err := s.compareModels(ctx, args, reporterProgress(r), r.Began, job.ComparisonID)
	if res != nil { // a host that went down: the job waits for it, then resumes the comparison's runs
		res.JobID, err = job.ID, bench.StoppedByHost(ctx, s.Exec, job.Host, res.Status, res.ComparisonID)
	}
	return res, md, err
}

// submitCompare validates a compare_models call that runs variants and
// submits it as a job.
func (s *Service) submitCompare(ctx context.Context, args CompareModelsArgs) (record.Job, error) {
	call, err := s.checkCompare(args)
	if err != nil {
		return record.Job{}, err
	}
	var models []string
	for _, c := range call.cfgs {
		if _, err := s.runner().Prepare(ctx, c); err != nil {
			return record.Job{}, fmt.Errorf("variant %s: %w", c.Label, err)
		}
		models = append(models, c.Model)
	}
	return s.Jobs.SubmitFor(submitter(ctx), KindCompare, []string{s.hostName(args.Host)}, models, args, args.Priority)
}

// queuedCompare is compare_models' result for a background call.
func queuedCompare(j record.Job) (*CompareModelsResult, string) {
	res := &CompareModelsResult{JobID: j.ID, Status: record.Status(j.Status),
		Variants: []compare.VariantSummary{}, Comparisons: []compare.Comparison{}, Tasks: []compare.TaskRow{}, PreambleAB: []compare.PreambleDelta{},
		Pareto: compare.Frontier{Points: []stats.Point{}, Optimal: []string{}, DominatedBy: map[string][]string{}}}
	return res, queuedText(j)
}
