package tools

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
)

// RunBenchmarkArgs are the arguments of run_benchmark.
type RunBenchmarkArgs struct {
	RunSettings
	Model            string         `json:"model,omitempty" jsonschema:"model; required unless resume_run_id"`
	Preamble         string         `json:"preamble,omitempty" jsonschema:"system prompt: concise, coder, tool-user, careful, or text"`
	Options          map[string]any `json:"options,omitempty" jsonschema:"Ollama options, e.g. num_ctx"`
	Plan             bool           `json:"plan,omitempty" jsonschema:"only estimate cost and power"`
	Effect           float64        `json:"effect,omitempty" jsonschema:"pass-rate change to detect (default 0.10)"`
	ExpectedPassRate float64        `json:"expected_pass_rate,omitempty" jsonschema:"plan: expected pass rate (default 0.5)"`
	Concurrency      int            `json:"concurrency,omitempty" jsonschema:"calls in flight, 1-16; needs OLLAMA_NUM_PARALLEL"`
	Cold             bool           `json:"cold,omitempty" jsonschema:"unload before every call"`
	Think            string         `json:"think,omitempty" jsonschema:"true, false, high, medium or low (default: model's)"`
	Host             string         `json:"host,omitempty" jsonschema:"named host (default first)"`
	ResumeRunID      string         `json:"resume_run_id,omitempty" jsonschema:"resume an interrupted or cancelled run"`
	Background       bool           `json:"background,omitempty" jsonschema:"return job_id at once; then job_status, job_result"`
	Priority         int            `json:"priority,omitempty" jsonschema:"queue priority (default 0)"`
}

// Environment is what a run was measured on.
type Environment struct {
	Model         string         `json:"model"`
	Digest        string         `json:"digest,omitempty"`
	Family        string         `json:"family,omitempty"`
	ParameterSize string         `json:"parameter_size,omitempty"`
	Quantization  string         `json:"quantization,omitempty"`
	Host          string         `json:"host"`
	HostURL       string         `json:"host_url"`
	Engine        string         `json:"engine,omitempty" jsonschema:"openai: an OpenAI-compatible host; absent: Ollama"`
	OllamaVersion string         `json:"ollama_version,omitempty"`
	Options       map[string]any `json:"options,omitempty"`
	Preamble      string         `json:"preamble,omitempty"`
	Suite         string         `json:"suite"`
	SuiteHash     string         `json:"suite_hash"`
}

// Failure is one sample that did not pass (bench.Failures).
type Failure = bench.Failure

// RunBenchmarkResult is what run_benchmark returns.
type RunBenchmarkResult struct {
	RunID       string               `json:"run_id"`
	Status      record.Status        `json:"status" jsonschema:"completed, cancelled, failed, planned or queued"`
	JobID       string               `json:"job_id,omitempty" jsonschema:"the job running it"`
	Plan        *bench.Plan          `json:"plan,omitempty" jsonschema:"the plan's cost and power"`
	Summary     record.Summary       `json:"summary"`
	Tasks       []record.TaskSummary `json:"tasks"`
	Categories  []record.TaskSummary `json:"categories"`
	Failures    []Failure            `json:"failures"`
	Environment Environment          `json:"environment"`
}

// RunBenchmarkTool is the MCP definition of run_benchmark.
func RunBenchmarkTool() mcp.Tool {
	return mcp.NewTool("run_benchmark",
		mcp.WithDescription("Run a suite on one model, scoring each answer (exact, regex, JSON schema, tool call, code, LLM judge): "+
			"pass rate with 95% CI, latency, TTFT, tokens/s, per task. Stores the run. plan: true only estimates; resume_run_id finishes a cancelled run."),
		inputSchema[RunBenchmarkArgs](),
		outputSchema[RunBenchmarkResult](),
		mcp.WithTaskSupport(mcp.TaskSupportOptional),
		mcp.WithTitleAnnotation("Run a benchmark"),
		mcp.WithReadOnlyHintAnnotation(false),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(false),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// RunBenchmarkHandler is the MCP handler of run_benchmark. With a job
// manager every run is a job: background returns its id at once, a
// blocking call waits for it (and a dropped connection does not lose it).
func (s *Service) RunBenchmarkHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return jobHandler(s, longTool[RunBenchmarkArgs, RunBenchmarkResult]{
		direct:     s.RunBenchmark,
		inline:     func(a RunBenchmarkArgs) bool { return a.Plan },
		background: func(a RunBenchmarkArgs) bool { return a.Background },
		submit:     s.submitRun,
		queued:     queuedRun,
	})
}

// RunBenchmark validates the arguments, runs (or resumes) the benchmark and
// returns the result and its markdown summary.
func (s *Service) RunBenchmark(ctx context.Context, args RunBenchmarkArgs, progress ProgressFunc) (*RunBenchmarkResult, string, error) {
	return s.runBenchmark(ctx, args, progress, nil)
}

// resolveRun turns arguments into a run configuration and checks all of
// it that can be checked without Ollama (the rest is Prepare's); with
// resume_run_id it takes the stored run's own settings (its RunConfig) and
// returns the run and its finished samples, and the call as a resume (no
// plan, the larger of the two effects). Nothing runs.
func (s *Service) resolveRun(args RunBenchmarkArgs) (cfg bench.Config, resolved RunBenchmarkArgs, prev *record.Run, done []record.Sample, err error) {
	if args.ResumeRunID != "" {
		run, err := s.Store.GetRun(args.ResumeRunID)
		if err != nil {
			return cfg, args, nil, nil, userErrorf("resume_run_id %s: %w; list runs with analyze_results or `benchmcp runs list`", args.ResumeRunID, err)
		}
		if run.Status == record.StatusCompleted || run.Status == record.StatusRunning {
			return cfg, args, nil, nil, userErrorf("run %s is %s; only interrupted, cancelled or failed runs can be resumed", run.ID, run.Status)
		}
		if run.Config == nil {
			return cfg, args, nil, nil, userErrorf("run %s has no stored arguments to resume from; start a new run", run.ID)
		}
		rc := *run.Config
		rc.Effect = max(rc.Effect, args.Effect)
		args = RunBenchmarkArgs{Model: rc.Model, Host: rc.Host, Effect: rc.Effect}
		if done, err = s.Store.Samples(run.ID); err != nil {
			return cfg, args, nil, nil, fmt.Errorf("read samples of run %s: %w", run.ID, err)
		}
		prev = &run
		cfg, err = s.configFor(rc)
	} else {
		cfg, err = s.configFor(args.runConfig())
	}
	if err != nil {
		return cfg, args, prev, done, err
	}
	if args.Plan {
		if err := bench.CheckPlan(args.Effect, args.ExpectedPassRate); err != nil {
			return cfg, args, prev, done, err
		}
	}
	return cfg, args, prev, done, cfg.Validate()
}

// runBenchmark is RunBenchmark; began, if not nil, is told the run's id
// as soon as the run is stored.
func (s *Service) runBenchmark(ctx context.Context, args RunBenchmarkArgs, progress ProgressFunc, began func(runID string)) (*RunBenchmarkResult, string, error) {
	defer s.track()()
	cfg, args, prev, done, err := s.resolveRun(args)
	if err != nil {
		return nil, "", err
	}
	if args.Plan {
		plan, err := s.plan(cfg, []string{cfg.Model}, 1, args.Effect, args.ExpectedPassRate)
		if err != nil {
			return nil, "", err
		}
		res := &RunBenchmarkResult{Status: StatusPlanned, Plan: &plan, Tasks: []record.TaskSummary{}, Categories: []record.TaskSummary{}, Failures: []Failure{}}
		res.Environment = Environment{Model: cfg.Model, Options: cfg.Options, Preamble: cfg.Preamble, Suite: cfg.Suite.Name, SuiteHash: cfg.Suite.Hash()}
		return res, report.PlanMarkdown(plan), nil
	}
	sess, err := s.runner().Prepare(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	if err := sess.Begin(prev, done); err != nil {
		return nil, "", err
	}
	if began != nil {
		began(sess.Run().ID)
	}
	run, err := sess.Execute(ctx, sampleProgress(progress, sess.Config().Iterations))
	if err != nil {
		return nil, "", err
	}
	if args.Effect > 0 && run.Summary != nil && run.Summary.Power != nil {
		p := bench.Retarget(*run.Summary.Power, args.Effect)
		run.Summary.Power = &p
	}
	res := runResult(run, sess.Samples())
	return &res, report.RunMarkdown(run), nil
}

// runConfig is the run settings of the arguments, as the run stores them
// to resume: what only the call needed (plan, background, priority,
// resume_run_id, expected_pass_rate) is left out.
func (a RunBenchmarkArgs) runConfig() record.RunConfig {
	c := a.RunSettings.runConfig(a.Model, a.Host)
	c.Preamble, c.Options, c.Concurrency, c.Cold, c.Think, c.Effect = a.Preamble, a.Options, a.Concurrency, a.Cold, a.Think, a.Effect
	return c
}

func runResult(run record.Run, samples []record.Sample) RunBenchmarkResult {
	var sum record.Summary
	if run.Summary != nil {
		sum = *run.Summary
	}
	res := RunBenchmarkResult{
		RunID: run.ID, Status: run.Status,
		Tasks: sum.Tasks, Categories: sum.Categories,
		Failures:    bench.Failures(samples, 10),
		Environment: environment(run),
	}
	sum.Tasks, sum.Categories = nil, nil
	res.Summary = sum
	if res.Tasks == nil {
		res.Tasks = []record.TaskSummary{}
	}
	if res.Categories == nil {
		res.Categories = []record.TaskSummary{}
	}
	return res
}

func environment(run record.Run) Environment {
	return Environment{
		Model: run.Model, Digest: run.ModelInfo.Digest, Family: run.ModelInfo.Family,
		ParameterSize: run.ModelInfo.ParameterSize, Quantization: run.ModelInfo.Quantization,
		Host: run.Host, HostURL: run.HostURL, Engine: run.Engine, OllamaVersion: run.OllamaVersion,
		Options: run.Options, Preamble: run.Preamble, Suite: run.Suite, SuiteHash: run.SuiteHash,
	}
}

// runJob is the work of a run_benchmark job. A job that began a run before
// (it was interrupted) resumes that run.
func (s *Service) runJob(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
	var args RunBenchmarkArgs
	if err := json.Unmarshal(job.Args, &args); err != nil {
		return nil, "", fmt.Errorf("decode arguments of job %s: %w", job.ID, err)
	}
	args.Background = false
	if len(job.RunIDs) > 0 {
		run, err := s.Store.GetRun(job.RunIDs[0])
		if err != nil {
			return nil, "", fmt.Errorf("job %s: its run: %w", job.ID, err)
		}
		if run.Status == record.StatusCompleted {
			samples, err := s.Store.Samples(run.ID)
			if err != nil {
				return nil, "", fmt.Errorf("read samples of run %s: %w", run.ID, err)
			}
			res := runResult(run, samples)
			res.JobID = job.ID
			return &res, report.RunMarkdown(run), nil
		}
		args = RunBenchmarkArgs{ResumeRunID: run.ID, Effect: args.Effect}
	}
	res, md, err := s.runBenchmark(ctx, args, reporterProgress(r), func(id string) { r.Began([]string{id}, "") })
	if res != nil {
		res.JobID = job.ID
		err = bench.StoppedByHost(ctx, s.Exec, job.Host, res.Status, res.RunID) // then the job waits for the host
	}
	return res, md, err
}

// submitRun validates a run_benchmark call without storing anything (bad
// arguments, a model that is not installed, an unreachable host come back
// at once) and submits it as a job.
func (s *Service) submitRun(ctx context.Context, args RunBenchmarkArgs) (record.Job, error) {
	cfg, err := s.checkRun(ctx, args)
	if err != nil {
		return record.Job{}, err
	}
	return s.Jobs.SubmitFor(submitter(ctx), KindRun, []string{s.hostName(cfg.Host)}, []string{cfg.Model}, args, args.Priority)
}

// checkRun validates a run_benchmark call as Prepare does (arguments, suite,
// options, the models on the host) without running or storing anything.
func (s *Service) checkRun(ctx context.Context, args RunBenchmarkArgs) (bench.Config, error) {
	cfg, _, _, _, err := s.resolveRun(args)
	if err != nil {
		return cfg, err
	}
	_, err = s.runner().Prepare(ctx, cfg)
	return cfg, err
}

// queuedRun is run_benchmark's result for a background call.
func queuedRun(j record.Job) (*RunBenchmarkResult, string) {
	res := &RunBenchmarkResult{JobID: j.ID, Status: record.Status(j.Status),
		Tasks: []record.TaskSummary{}, Categories: []record.TaskSummary{}, Failures: []Failure{}}
	return res, queuedText(j)
}

// EnqueueRun validates a run_benchmark call and stores it as a queued job
// without running it: a server (`benchmcp serve`) or `benchmcp jobs work`
// runs it when it opens the store.
func (s *Service) EnqueueRun(ctx context.Context, args RunBenchmarkArgs) (record.Job, error) {
	cfg, err := s.checkRun(ctx, args)
	if err != nil {
		return record.Job{}, err
	}
	args.Background = false
	raw, err := json.Marshal(args)
	if err != nil {
		return record.Job{}, fmt.Errorf("encode job arguments: %w", err)
	}
	j := record.Job{Kind: KindRun, Status: record.JobQueued, Priority: args.Priority, Host: s.hostName(cfg.Host), Models: []string{cfg.Model}, Args: raw}
	if err := s.Store.PutJob(&j); err != nil {
		return record.Job{}, fmt.Errorf("store job: %w", err)
	}
	return j, nil
}
