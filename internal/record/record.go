// Package record holds the data that benchmcp measures and keeps: one model
// call (Measurement), one scored sample, one run and its summary. The executor
// fills Measurements, the bench runner turns them into Samples and Summaries,
// and the memory stores them; none of those packages needs another to share data.
package record

import (
	"encoding/json"
	"strconv"
	"time"
)

// Status is the life-cycle state of a run.
type Status string

// Run states. A run starts running and ends in exactly one of the others.
const (
	StatusRunning     Status = "running"
	StatusCompleted   Status = "completed"
	StatusCancelled   Status = "cancelled"
	StatusInterrupted Status = "interrupted" // its process died while it was running
	StatusFailed      Status = "failed"
	// StatusStopped is a sweep cell that early stopping ended: it was
	// clearly worse than another cell on the tasks both had done.
	StatusStopped Status = "stopped"
)

// Final reports whether a run ended as it was meant to (completed, or
// stopped by early stopping): it is not resumed.
func (s Status) Final() bool { return s == StatusCompleted || s == StatusStopped }

// Terminal reports whether a run in this state will never change again on its own.
func (s Status) Terminal() bool { return s != StatusRunning }

// ToolCall is one tool call the model made, as Ollama parsed it.
type ToolCall struct {
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments"`
}

// Flags mark silent failures and breaker trips on one call.
type Flags struct {
	Truncated    bool `json:"truncated,omitempty"`     // done_reason=length: cut by num_predict
	ContextFull  bool `json:"context_full,omitempty"`  // prompt tokens reached num_ctx
	Empty        bool `json:"empty,omitempty"`         // no content, no tool call, no thinking
	ThinkingOnly bool `json:"thinking_only,omitempty"` // thinking but no answer
	Runaway      bool `json:"runaway,omitempty"`       // stopped by the circuit breaker
	PromptCached bool `json:"prompt_cached,omitempty"` // Ollama reused the KV cache for the prompt
	Reloaded     bool `json:"reloaded,omitempty"`      // a warm run's call paid a model load: the model had been evicted
}

// Measurement is what one model call produced and what it cost.
// Durations are milliseconds as float64 so that JSON stays readable.
type Measurement struct {
	Output        string     `json:"output"`
	Thinking      string     `json:"thinking,omitempty"`
	ToolCalls     []ToolCall `json:"tool_calls,omitempty"`
	DoneReason    string     `json:"done_reason,omitempty"`
	RunawayReason string     `json:"runaway_reason,omitempty"` // "token_cap" or "repetition"
	// Fingerprint is the system_fingerprint an OpenAI-compatible server
	// sent with the answer: the backend configuration that served it.
	Fingerprint string `json:"fingerprint,omitempty"`

	// Latencies on the client's clock, from the request being sent; see
	// docs/statistics.md, "Latency definitions". Zero in an omitempty field
	// means the stream had no such chunk.
	TTFCMs          float64 `json:"ttfc_ms,omitempty"`           // first chunk of any kind, an empty one too
	TTFTMs          float64 `json:"ttft_ms"`                     // first content, thinking or tool-call chunk
	FirstThinkingMs float64 `json:"first_thinking_ms,omitempty"` // first thinking chunk
	FirstContentMs  float64 `json:"first_content_ms,omitempty"`  // first answer-text or tool-call chunk
	WallMs          float64 `json:"wall_ms"`                     // last chunk

	LoadMs  float64 `json:"load_ms"`  // Ollama: load_duration
	TotalMs float64 `json:"total_ms"` // Ollama: total_duration

	PromptTokens int     `json:"prompt_tokens"` // Ollama: prompt_eval_count
	PromptMs     float64 `json:"prompt_ms"`     // Ollama: prompt_eval_duration
	EvalTokens   int     `json:"eval_tokens"`   // Ollama: eval_count
	EvalMs       float64 `json:"eval_ms"`       // Ollama: eval_duration
	PromptTPS    float64 `json:"prompt_tps"`    // prompt tokens/s
	GenTPS       float64 `json:"gen_tps"`       // generated tokens/s: eval_count / eval_duration
	// StreamTPS is the decode speed on the stream, in tokens/s on the
	// client's clock: the server's output token count (less the first
	// chunk's share) over the span from the first text chunk to the last;
	// 0 with under 2 text chunks, without a server count, or with a tool
	// call. Runs stored before 2026-12-07 have chunks/s here.
	StreamTPS float64 `json:"stream_tps,omitempty"`
	// StreamChunks and StreamChunksPerS are the text chunks and how fast
	// they came: chunks, not tokens (a chunk may hold several).
	StreamChunks     int     `json:"stream_chunks,omitempty"`
	StreamChunksPerS float64 `json:"stream_chunks_per_s,omitempty"`

	Flags Flags `json:"flags"`
}

// ModelInfo is what Ollama says about a model, kept with every run.
type ModelInfo struct {
	Name          string `json:"name"`
	Digest        string `json:"digest,omitempty"`
	Family        string `json:"family,omitempty"`
	ParameterSize string `json:"parameter_size,omitempty"`
	Quantization  string `json:"quantization,omitempty"`
	Format        string `json:"format,omitempty"`
	SizeBytes     int64  `json:"size_bytes,omitempty"`
	ContextLength int    `json:"context_length,omitempty"`
	// Capabilities are what Ollama says the model can do: completion, tools, thinking, vision, ...
	Capabilities []string `json:"capabilities,omitempty"`
}

// LoadedModel is a model an Ollama host holds in memory, as /api/ps lists it.
type LoadedModel struct {
	Name          string    `json:"name"`
	Model         string    `json:"model"`
	Digest        string    `json:"digest,omitempty"`
	SizeBytes     int64     `json:"size_bytes"`               // memory it takes, RAM and VRAM together
	VRAMBytes     int64     `json:"vram_bytes"`               // the part of it in GPU memory
	ContextLength int       `json:"context_length,omitempty"` // the context it was loaded with
	ExpiresAt     time.Time `json:"expires_at,omitzero"`      // when keep-alive unloads it
}

// Memory is what a loaded model occupies: in all, on the GPU, and the GPU's
// share of it (1 = fully offloaded, 0 = on the CPU only).
type Memory struct {
	SizeBytes int64   `json:"size_bytes"`
	VRAMBytes int64   `json:"vram_bytes"`
	GPUShare  float64 `json:"gpu_share"`
}

// JudgeVerdict is what an LLM judge said about one answer.
type JudgeVerdict struct {
	Model  string  `json:"model"`
	Prompt string  `json:"prompt"`
	Raw    string  `json:"raw"`
	Score  float64 `json:"score"` // normalised to [0,1]
	// Criteria are the judge's scores per rubric criterion, when the check
	// has a rubric and the reply scored them.
	Criteria []CriterionScore `json:"criteria,omitempty"`
}

// CriterionScore is a judge's score on one rubric criterion.
type CriterionScore struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	Score  float64 `json:"score"` // normalised to [0,1]
}

// CriterionSummary is one rubric criterion over a run's judged samples.
// Points puts the mean on the criterion's weight, as rubrics are written
// ("Problem Analysis 16/20" for weight 20).
type CriterionSummary struct {
	Name    string  `json:"name"`
	Weight  float64 `json:"weight"`
	Samples int     `json:"samples"`
	Mean    float64 `json:"mean" jsonschema:"mean score, 0-1"`
	Points  float64 `json:"points" jsonschema:"mean times the weight: the points out of the weight"`
}

// CheckResult is the outcome of one check on one sample.
type CheckResult struct {
	Type    string  `json:"type"`
	Pass    bool    `json:"pass"`
	Score   float64 `json:"score"` // in [0,1]
	Skipped bool    `json:"skipped,omitempty"`
	// Advisory results are reported but left out of the sample's verdict.
	Advisory bool          `json:"advisory,omitempty"`
	Reason   string        `json:"reason,omitempty"` // why it failed or was skipped
	Judge    *JudgeVerdict `json:"judge,omitempty"`
}

// SignatureError is a tool call's argument that does not fit the tool's
// own JSON schema: a missing required field, a wrong type (a shell string
// where an argument list is expected), an unknown field, a bad value.
type SignatureError struct {
	Field   string `json:"field"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// ToolResult is one tool call of an agentic step and what the scripted
// environment answered.
type ToolResult struct {
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments,omitempty"`
	Result    string         `json:"result"`
	// Source is where the result came from: response (a scripted match),
	// default, error, no_env (the tool has no script), or
	// invalid_arguments (the call did not fit the tool's schema, so the
	// tool rejected it).
	Source          string           `json:"source"`
	SignatureErrors []SignatureError `json:"signature_errors,omitempty"`
}

// AgentStep is one model turn of an agentic sample: the call (its output,
// tool calls, timings and tokens) and the results fed back.
type AgentStep struct {
	Measurement
	Results []ToolResult `json:"results,omitempty"`
}

// Agent is the trajectory of an agentic sample and how it scored.
type Agent struct {
	// Prompt is the user message the loop started from (with its depth
	// padding, if any), so that a resume sends the same history.
	Prompt string      `json:"prompt,omitempty"`
	Steps  []AgentStep `json:"steps"`
	// Stop is why the loop ended: answer (a turn without tool calls),
	// step_limit, loop (a call repeated with the same arguments), runaway
	// (the circuit breaker) or error.
	Stop   string      `json:"stop"`
	Scores AgentScores `json:"scores"`
}

// AgentScores score a trajectory. Pointers are nil when the task does not
// say (no expected trajectory, no checks).
type AgentScores struct {
	NeededTool bool `json:"needed_tool"` // the expected trajectory has calls
	CalledTool bool `json:"called_tool"`
	// Autonomy: a tool was needed and the model called one without being told.
	Autonomy *bool `json:"autonomy,omitempty"`
	// ToolChoice: every tool called is one the expected trajectory calls,
	// and the first call is to its first tool (no call at all when none is needed).
	ToolChoice       bool    `json:"tool_choice"`
	ArgumentValidity float64 `json:"argument_validity"` // share of calls whose arguments fit the tool's schema (1 with no calls)
	SignatureErrors  int     `json:"signature_errors"`
	// UsedResult: the model answered after a tool result, with a word of one.
	UsedResult  bool  `json:"used_result"`
	Trajectory  *bool `json:"trajectory,omitempty"`   // the calls match the expected ones
	FinalAnswer *bool `json:"final_answer,omitempty"` // the checks on the final answer pass
	Steps       int   `json:"steps"`                  // model turns
	ToolCalls   int   `json:"tool_calls"`
	WastedSteps int   `json:"wasted_steps"` // calls the expected trajectory does not make, repeats included
	Loop        bool  `json:"loop"`
}

// Sample is one (task, iteration) of a run: the call, its checks and its verdict.
type Sample struct {
	RunID     string `json:"run_id"`
	TaskID    string `json:"task_id"`
	Category  string `json:"category,omitempty"`
	Iteration int    `json:"iteration"` // 1-based
	// Seed is the sampling seed the call was sent with; nil for samples
	// stored before seeds were recorded.
	Seed      *int      `json:"seed,omitempty"`
	StartedAt time.Time `json:"started_at"`

	Measurement

	// Agent is the trajectory of an agentic task (several model turns);
	// the embedded Measurement then sums the turns and holds the final answer.
	Agent *Agent `json:"agent,omitempty"`
	// Partial marks an agentic sample still in progress: its steps so far,
	// stored after every step so that a resume continues it; the finished
	// sample replaces it. Statistics never see partial samples.
	Partial bool `json:"partial,omitempty"`

	Checks []CheckResult `json:"checks,omitempty"`
	Pass   bool          `json:"pass"`
	Score  float64       `json:"score"` // mean of the non-skipped checks' scores
	Error  string        `json:"error,omitempty"`

	// Retries are the calls of this sample that failed on the machine and
	// were tried again, in order.
	Retries []Retry `json:"retries,omitempty"`
	// Fault marks a sample the machine failed even after retries: no
	// verdict, kept to show what happened and run again on resume. Like
	// partial samples, statistics never see it (the store's Samples leaves
	// it out); a scored sample of the same task and iteration replaces it.
	Fault *Fault `json:"fault,omitempty"`
}

// Retry is one attempt of a call that failed on the machine, not the model.
type Retry struct {
	Kind  string `json:"kind"` // executor.FaultKind: unreachable, dropped_stream, server_error, rate_limited, timeout
	Error string `json:"error"`
}

// Fault is why a sample has no verdict: its call (or its judge's) failed
// on the machine on every attempt.
type Fault struct {
	Kind     string `json:"kind"` // executor.FaultKind
	Error    string `json:"error"`
	Attempts int    `json:"attempts"`
}

// Interval is a confidence interval.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// TaskSummary rolls up the samples of one task (or one category).
type TaskSummary struct {
	ID           string  `json:"id"`
	Category     string  `json:"category,omitempty"`
	Samples      int     `json:"samples"`
	Passed       int     `json:"passed"`
	PassRate     float64 `json:"pass_rate"`
	MeanScore    float64 `json:"mean_score"`
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	FlipRate     float64 `json:"flip_rate"`          // share of iterations whose verdict differs from the previous one
	CostUSD      float64 `json:"cost_usd,omitempty"` // the task's calls, every iteration, at the run's price
	// Distinct is how many different answers the iterations gave: 1 for
	// replays (same seed, or a model that does not sample).
	Distinct int `json:"distinct,omitempty"`
	// PassAtK and PassHatK, with k the task's iterations, are the chance
	// that at least one of k tries passes and that all k pass (tau-bench's
	// pass^k, the reliability measure); set when there are 2 or more iterations.
	PassAtK  *float64 `json:"pass_at_k,omitempty"`
	PassHatK *float64 `json:"pass_hat_k,omitempty"`
	Excerpt  string   `json:"excerpt,omitempty"`
	Errors   int      `json:"errors,omitempty"`
}

// KPoint is the suite's mean pass@k and pass^k at one k.
type KPoint struct {
	K        int     `json:"k"`
	PassAtK  float64 `json:"pass_at_k" jsonschema:"mean over tasks of the chance that at least one of k tries passes"`
	PassHatK float64 `json:"pass_hat_k" jsonschema:"mean over tasks of the chance that all k tries pass (pass^k)"`
}

// Power says what a run's numbers can tell apart: the variance of a task's
// verdict split into its parts, the smallest difference a paired comparison
// of this size detects, and how many tasks or iterations a target needs.
type Power struct {
	Basis string `json:"basis" jsonschema:"observed (from this data) or assumed (a plan before any run)"`
	// WithinTask is the variance of one call's verdict around its task's
	// own pass rate: what more iterations average away.
	WithinTask float64 `json:"within_task_variance"`
	// BetweenTask is the variance of the true per-task differences between
	// two variants: what only more tasks shrink. A comparison measures it;
	// a single run assumes it from its own between-task variance (see Assumptions).
	BetweenTask float64 `json:"between_task_variance"`
	// Identified is false with one iteration: the split cannot be seen, and
	// all variance is counted as between tasks.
	Identified bool `json:"identified"`
	Tasks      int  `json:"tasks"`
	Iterations int  `json:"iterations"`
	// MDE is the smallest pass-rate difference a paired comparison on these
	// tasks and iterations detects with 80% power at alpha 0.05.
	MDE float64 `json:"mde"`
	// Effect is the difference the recommendation aims at.
	Effect float64 `json:"effect"`
	// TasksNeeded is how many tasks detect Effect at these iterations.
	TasksNeeded int `json:"tasks_needed"`
	// IterationsNeeded is how many iterations detect Effect with these
	// tasks; 0 when no number up to the limit does (add tasks).
	IterationsNeeded int        `json:"iterations_needed"`
	Table            []PowerRow `json:"table" jsonschema:"tasks needed to detect effect at several iteration counts"`
	Advice           string     `json:"advice"`
	Assumptions      string     `json:"assumptions,omitempty"`
}

// PowerRow is one design: at this many iterations, the tasks that detect the effect.
type PowerRow struct {
	Iterations  int     `json:"iterations"`
	TasksNeeded int     `json:"tasks_needed"`
	Calls       int     `json:"calls" jsonschema:"model calls per variant: tasks_needed x iterations"`
	MDE         float64 `json:"mde" jsonschema:"with the suite's own number of tasks at these iterations"`
}

// Headline is what every view of a run shows first (run_benchmark's
// summary, a comparison's variants, a sweep's cells, analyze_results'
// rows): the samples, the pass rate with its interval, the mean score and
// the speed a user feels. bench.Summarize fills it; the views embed it.
type Headline struct {
	Samples      int      `json:"samples"`
	PassRate     float64  `json:"pass_rate"`
	PassRateCI   Interval `json:"pass_rate_ci" jsonschema:"95% interval, task-clustered: Wilson at the effective sample size, so replayed iterations do not narrow it"`
	MeanScore    float64  `json:"mean_score"`
	LatencyP50Ms float64  `json:"latency_p50_ms"`
	TTFTP50Ms    float64  `json:"ttft_p50_ms"`
	GenTPS       float64  `json:"gen_tps" jsonschema:"median generated tokens/s, from Ollama's eval_count/eval_duration"`
	Faults       int      `json:"faults,omitempty" jsonschema:"samples the machine failed even after retries: no verdict, counted nowhere, rerun on resume"`
}

// Summary is the aggregate of a run.
type Summary struct {
	// Headline is what every view of the run shows; Summarize fills it.
	Headline
	Passed      int      `json:"passed"`
	MeanScoreCI Interval `json:"mean_score_ci"` // 95%, bootstrap over tasks
	// TaskCount is the number of distinct tasks: the unit of independence.
	TaskCount int `json:"task_count"`
	// Iterations is the most iterations any task has.
	Iterations int `json:"iterations"`
	// PassRateSE is the task-clustered (cluster-robust) standard error of the pass rate.
	PassRateSE float64 `json:"pass_rate_se"`
	// EffectiveN is the number of independent observations the samples are
	// worth: between Tasks (pure replays) and Samples (independent calls).
	EffectiveN float64 `json:"effective_n"`
	// Interval names how pass_rate_ci was made: wilson (one iteration) or
	// wilson_clustered.
	Interval string `json:"interval,omitempty"`
	// Seeds is how the iterations were seeded (absent for runs stored before seeds were).
	Seeds *SeedInfo `json:"seeds,omitempty"`
	// Replays is set when the iterations repeated one seed: they are one
	// sample each, replayed.
	Replays bool `json:"replays,omitempty"`
	// VariedTasks counts tasks whose iterations gave more than one distinct answer.
	VariedTasks int `json:"varied_tasks"`
	// PassK is the mean pass@k and pass^k over tasks for k = 1..iterations
	// (at most 10 points, and always k = iterations); empty with one iteration.
	PassK              []KPoint `json:"pass_k,omitempty"`
	Power              *Power   `json:"power,omitempty"`
	LatencyP95Ms       float64  `json:"latency_p95_ms"`
	LatencyP99Ms       float64  `json:"latency_p99_ms"`
	TTFTP95Ms          float64  `json:"ttft_p95_ms"`
	TTFCP50Ms          float64  `json:"ttfc_p50_ms,omitempty"`           // time to the first chunk of any kind
	FirstThinkingP50Ms float64  `json:"first_thinking_p50_ms,omitempty"` // over the samples that thought
	FirstContentP50Ms  float64  `json:"first_content_p50_ms,omitempty"`  // over the samples with answer text or a tool call
	PromptTPS          float64  `json:"prompt_tps"`                      // median
	StreamTPS          float64  `json:"stream_tps,omitempty"`            // median decode tokens/s on the stream (Measurement.StreamTPS)
	StreamChunksPerS   float64  `json:"stream_chunks_per_s,omitempty"`   // median text chunks/s on the stream: chunks, not tokens
	// ThroughputTPS is the output tokens of all calls over the time calls
	// were in flight (bench.RunThroughput): what concurrency buys. InFlight
	// is the mean number of calls in flight over that time.
	ThroughputTPS   float64 `json:"throughput_tps,omitempty"`
	InFlight        float64 `json:"in_flight,omitempty"`
	PointsPerSecond float64 `json:"points_per_second"`
	WallSeconds     float64 `json:"wall_seconds"`
	Runaway         int     `json:"runaway"`
	Truncated       int     `json:"truncated"`
	Empty           int     `json:"empty"`
	Errors          int     `json:"errors"`
	// Retried counts the calls that failed on the machine and were tried
	// again, by kind of fault (executor.FaultKind); the samples they gave
	// are scored on the attempt that worked.
	Retried map[string]int `json:"retried,omitempty"`
	// Reloads counts calls of a warm run that paid a model load (the model
	// was evicted between calls, e.g. by OLLAMA_MAX_LOADED_MODELS); their
	// latency includes the load.
	Reloads int `json:"reloads"`
	// JudgeAgreement is the share of samples where an llm_judge check agreed
	// with the deterministic checks of the same task; nil when there is nothing to compare.
	JudgeAgreement *float64 `json:"judge_agreement,omitempty"`
	// Funnel is the tool-use funnel of the run's agentic samples.
	Funnel *Funnel `json:"funnel,omitempty"`
	// Criteria are the rubric criteria of the judged samples, in rubric order.
	Criteria []CriterionSummary `json:"criteria,omitempty"`
	// Cost is what the model's calls cost at the price given for it on its
	// host (--hosts price=); nil without a price.
	Cost *Cost `json:"cost,omitempty"`
	// Memory is what the model took once loaded for the run, as Ollama
	// reports it (/api/ps): the GPU share is the main lever on a GPU.
	Memory *Memory `json:"memory,omitempty"`
	// Version is the version of the statistics that made the summary
	// (bench.SummaryVersion); 0 for summaries stored before they had one.
	// A reader that trusts stored summaries (analyze_results) recomputes
	// one of another version from its samples.
	Version int `json:"version,omitempty"`

	Tasks      []TaskSummary `json:"tasks,omitempty"`
	Categories []TaskSummary `json:"categories,omitempty"`
}

// SeedInfo says how a run's iterations were seeded.
type SeedInfo struct {
	Mode  string `json:"mode" jsonschema:"given, derived, drawn or pinned"`
	Seeds []int  `json:"seeds" jsonschema:"iteration i ran with seeds[i-1]"`
}

// Funnel follows a run's agentic samples from needing a tool to the right
// answer; each stage counts the samples that reached it.
type Funnel struct {
	Samples        int `json:"samples"`
	NeededTool     int `json:"needed_tool"`
	CalledTool     int `json:"called_tool" jsonschema:"of those that needed one"`
	RightTool      int `json:"right_tool"`
	ValidArguments int `json:"valid_arguments"`
	UsedResult     int `json:"used_result"`
	RightAnswer    int `json:"right_answer"`
	// NoToolNeeded counts the samples that needed no tool; NoToolRight
	// those of them that called none and answered right.
	NoToolNeeded int           `json:"no_tool_needed"`
	NoToolRight  int           `json:"no_tool_right"`
	Failures     []FailureMode `json:"failures,omitempty"`
}

// FailureMode is one way agentic samples failed, how often, with an example.
type FailureMode struct {
	Mode    string `json:"mode" jsonschema:"no_call, unneeded_call, wrong_tool, signature_error, ignored_result, loop, step_limit, runaway, wrong_trajectory, wrong_answer, error"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// RunConfigVersion is the shape of RunConfig this code writes. Version 1
// replaced the tool arguments stored up to schema v4 (memory's migrate4to5
// keeps their run settings and drops what only the call needed).
const RunConfigVersion = 1

// RunConfig is what a run was asked to do, stored with it so that an
// interrupted run resumes with the same settings. It is its own type, not a
// tool's arguments: a tool's contract can change without changing how the
// stored runs resume.
type RunConfig struct {
	Version         int              `json:"version"`
	Model           string           `json:"model,omitempty"`
	Suite           string           `json:"suite,omitempty"` // a built-in suite's name or a suite file's path; "" with Tasks
	Tasks           []map[string]any `json:"tasks,omitempty"` // inline tasks, as given
	Preamble        string           `json:"preamble,omitempty"`
	Options         map[string]any   `json:"options,omitempty"`
	Iterations      int              `json:"iterations,omitempty"`
	Seed            *int             `json:"seed,omitempty"`
	Seeds           []int            `json:"seeds,omitempty"`
	Warmup          *int             `json:"warmup,omitempty"` // nil: the default; 0: none
	Concurrency     int              `json:"concurrency,omitempty"`
	MaxOutputTokens int              `json:"max_output_tokens,omitempty"`
	TimeoutS        float64          `json:"timeout_s,omitempty"`
	Cold            bool             `json:"cold,omitempty"`
	Think           string           `json:"think,omitempty"`
	Tags            []string         `json:"tags,omitempty"`
	Host            string           `json:"host,omitempty"`
	JudgeHost       string           `json:"judge_host,omitempty"`
	// Effect is the pass-rate difference the run's power analysis aims at
	// (0: the default), kept so that a resumed run reports the same.
	Effect float64 `json:"effect,omitempty"`
}

// Run is one benchmark run: a suite against one model with fixed options.
type Run struct {
	ID        string    `json:"id"`
	Status    Status    `json:"status"`
	Model     string    `json:"model"`
	ModelInfo ModelInfo `json:"model_info"`
	Host      string    `json:"host"`     // host name as configured ("local", "gpu-box")
	HostURL   string    `json:"host_url"` // its base URL
	// Engine is the API the host speaks: "openai" for an OpenAI-compatible
	// server; empty for Ollama's native API (every run stored before).
	Engine string `json:"engine,omitempty"`
	// Price is the price per million tokens the user gave for the model on
	// its host when the run started; the run's cost is counted at it.
	Price         *Price `json:"price,omitempty"`
	OllamaVersion string `json:"ollama_version,omitempty"`
	// BenchmcpVersion is the build of benchmcp that started the run
	// (buildinfo): which measurement code made its numbers.
	BenchmcpVersion string         `json:"benchmcp_version,omitempty"`
	Suite           string         `json:"suite"`
	SuiteHash       string         `json:"suite_hash"`
	Preamble        string         `json:"preamble,omitempty"`
	Options         map[string]any `json:"options,omitempty"`
	Iterations      int            `json:"iterations"`
	Depth           int            `json:"depth,omitempty"` // context depth: tokens of filler before every prompt
	Seeds           *SeedInfo      `json:"seeds,omitempty"`
	Tags            []string       `json:"tags,omitempty"`
	Notes           string         `json:"notes,omitempty"`
	ComparisonID    string         `json:"comparison_id,omitempty"`
	Label           string         `json:"label,omitempty"`  // variant label inside a comparison
	Config          *RunConfig     `json:"config,omitempty"` // the settings that started the run, to resume it
	StartedAt       time.Time      `json:"started_at"`
	EndedAt         time.Time      `json:"ended_at,omitzero"`
	Error           string         `json:"error,omitempty"`
	Summary         *Summary       `json:"summary,omitempty"`

	// Owner identifies the process running it, so that a later open can tell
	// a live run from one whose process died. OwnerStart is that process's
	// boot id and start time ("<boot id>:<start ticks>", Linux), so that a
	// pid used again, or a container restarted with the same pid, reads as
	// another process; empty in runs stored before it, and off Linux.
	OwnerPID   int    `json:"owner_pid,omitempty"`
	OwnerHost  string `json:"owner_host,omitempty"`
	OwnerStart string `json:"owner_start,omitempty"`
}

// RouteDecision is one routing decision and, once known, how it turned out.
type RouteDecision struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	Task     string    `json:"task"`
	Strategy string    `json:"strategy"`
	Chosen   string    `json:"chosen"` // the candidate as named (model or model@host)
	// What the decision was scoped to: its evidence, and the evidence its
	// outcome becomes.
	Candidates []string       `json:"candidates,omitempty"`
	Category   string         `json:"category,omitempty"`
	Suite      string         `json:"suite,omitempty"`
	Options    map[string]any `json:"options,omitempty"`
	PolicyID   string         `json:"policy_id,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Outcome    string         `json:"outcome,omitempty"`
	OutcomeOK  *bool          `json:"outcome_ok,omitempty"`
}

// JobStatus is the life-cycle state of a job.
type JobStatus string

// Job states. A job is queued, then running, then ends in one of the
// others; an interrupted job (its process stopped or died while it ran) is
// queued again, and resumed, when a server opens the store next. A waiting
// job's host stopped answering while it ran: it holds its host and resumes
// its runs when the host answers again.
const (
	JobQueued      JobStatus = "queued"
	JobRunning     JobStatus = "running"
	JobWaiting     JobStatus = "waiting"
	JobCompleted   JobStatus = "completed"
	JobFailed      JobStatus = "failed"
	JobCancelled   JobStatus = "cancelled"
	JobInterrupted JobStatus = "interrupted"
)

// Terminal reports whether a job in this state will never run again.
func (s JobStatus) Terminal() bool {
	return s == JobCompleted || s == JobFailed || s == JobCancelled
}

// Job is one long operation (a run, a comparison) queued and run in the
// background: what was asked, where it runs, how far it got, and what it gave.
type Job struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"` // the tool: run_benchmark, compare_models
	Status   JobStatus       `json:"status"`
	Priority int             `json:"priority,omitempty"` // higher runs first; FIFO within a priority
	Host     string          `json:"host"`               // the named Ollama host it runs on (the first, if several): one job at a time per host
	Hosts    []string        `json:"hosts,omitempty"`    // a multi-host job: every host it holds while it runs, Host first; read with HostSet
	Models   []string        `json:"models,omitempty"`
	Args     json.RawMessage `json:"args"` // the tool arguments, to run or resume it
	// Client names the MCP session that submitted it (a hash of its id),
	// for the per-client cap; "" from the CLI.
	Client string `json:"client,omitempty"`
	// TaskHash is set on a job its client follows as an MCP task (the Tasks
	// extension): the SHA-256 (hex) of the secret half of the task id, so
	// that only the holder of the id can reach the job as that task.
	TaskHash string `json:"task_hash,omitempty"`
	// Owner is the process running it (set while it runs or waits), so
	// that a reader can tell a job whose server is gone; OwnerStart is as
	// for a Run.
	OwnerPID   int    `json:"owner_pid,omitempty"`
	OwnerHost  string `json:"owner_host,omitempty"`
	OwnerStart string `json:"owner_start,omitempty"`

	Done    int    `json:"done"`
	Total   int    `json:"total"`
	Message string `json:"message,omitempty"` // the last progress message
	// RunIDs are the runs the job made, recorded when they begin, so that an
	// interrupted job resumes them instead of starting over.
	RunIDs       []string `json:"run_ids,omitempty"`
	ComparisonID string   `json:"comparison_id,omitempty"`

	Result     json.RawMessage `json:"result,omitempty"`      // the tool's structured result, when done
	ResultText string          `json:"result_text,omitempty"` // its markdown
	Error      string          `json:"error,omitempty"`
	Attempts   int             `json:"attempts,omitempty"` // times it started running (a resume is another)
	// Crashes counts the attempts in a row whose server died while the job
	// ran (found running by the next server); at the crash limit the job
	// fails instead of being queued again. AttemptAt is when the latest
	// attempt started.
	Crashes   int       `json:"crashes,omitempty"`
	AttemptAt time.Time `json:"attempt_at,omitzero"`

	CreatedAt time.Time `json:"created_at"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
}

// HostSet is every host the job holds while it runs: Hosts, or [Host] when
// Hosts is empty (a job on one host, or one stored before jobs could hold
// several). The slice may be the job's own: do not change it.
func (j Job) HostSet() []string {
	if len(j.Hosts) > 0 {
		return j.Hosts
	}
	return []string{j.Host}
}

// RoutingCandidate is one model a router can send a task to, on its host,
// with what a call to it costs. At most one of the costs is set: per 1,000
// tokens (prompt and output, a metered API) or per second of measured time
// (a local model's machine).
type RoutingCandidate struct {
	// Named is the candidate as the caller named it ("tiny-s", or
	// "qwen2.5-coder:32b@gpu-box"): results name it so.
	Named           string  `json:"name,omitempty"`
	Model           string  `json:"model"`
	Host            string  `json:"host"`
	CostPer1KTokens float64 `json:"cost_per_1k_tokens,omitempty"`
	CostPerSecond   float64 `json:"cost_per_second,omitempty"`
	// Price is the host's price for the model (its --hosts price), used
	// when neither cost above is given: input and output tokens apart.
	Price *Price `json:"price,omitempty"`
}

// Name is how results name the candidate: as the caller did, else model@host.
func (c RoutingCandidate) Name() string {
	if c.Named != "" {
		return c.Named
	}
	if c.Host == "" {
		return c.Model
	}
	return c.Model + "@" + c.Host
}

// Cost is what one call of in prompt and out output tokens taking ms
// milliseconds costs.
func (c RoutingCandidate) Cost(in, out int, ms float64) float64 {
	if c.CostPer1KTokens == 0 && c.CostPerSecond == 0 && c.Price != nil {
		return c.Price.Cost(in, out)
	}
	return c.CostPer1KTokens*float64(in+out)/1000 + c.CostPerSecond*ms/1000
}

// Cost is what calls cost at a Price.
type Cost struct {
	USD          float64 `json:"usd"`
	PerTaskUSD   float64 `json:"per_task_usd"` // USD over the tasks: every iteration of a task counted
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
}

// Price is what a million tokens cost on a host, in US dollars, as the
// user gave it (--hosts price=IN/OUT).
type Price struct {
	InputPerM  float64 `json:"input_per_m"`
	OutputPerM float64 `json:"output_per_m"`
}

// Cost is what in prompt and out output tokens cost.
func (p Price) Cost(in, out int) float64 {
	return (p.InputPerM*float64(in) + p.OutputPerM*float64(out)) / 1e6
}

// RoutingSpec is one routing policy at one threshold: enough to route a
// task the way an evaluation did.
type RoutingSpec struct {
	Policy string `json:"policy" jsonschema:"always, heuristic, evidence, cascade or oracle"`
	// Target is the candidate of an always policy, by name.
	Target string `json:"target,omitempty"`
	// Threshold: heuristic, difficulty points at or above which a task goes
	// to the last candidate; evidence, the cross-validated pass rate a
	// cheaper candidate needs in the task's category; cascade, the judge
	// score (0-1) at which an answer is accepted.
	Threshold *float64 `json:"threshold,omitempty"`
	// Categories is the evidence policy learned on every task: category to
	// candidate name. Only in a deployed (recommended) policy.
	Categories map[string]string `json:"categories,omitempty"`
}

// ID names a policy at a threshold: "always tiny-s", "evidence@0.8".
func (s RoutingSpec) ID() string {
	switch {
	case s.Policy == "always":
		return "always " + s.Target
	case s.Threshold != nil:
		return s.Policy + "@" + strconv.FormatFloat(*s.Threshold, 'g', 4, 64)
	}
	return s.Policy
}

// RoutingPolicy is a stored routing evaluation: the candidates, the suite
// and options it was measured on, and the policy it recommends, which
// route_task follows.
type RoutingPolicy struct {
	ID         string             `json:"id"` // "p" and a counter
	Time       time.Time          `json:"time"`
	Suite      string             `json:"suite"`
	SuiteHash  string             `json:"suite_hash"`
	Options    map[string]any     `json:"options,omitempty"`
	Candidates []RoutingCandidate `json:"candidates"`
	// Judge is the cascade's judge, model@host.
	Judge       string      `json:"judge,omitempty"`
	Within      float64     `json:"within"`
	Recommended RoutingSpec `json:"recommended"`
	// Heuristic is the best heuristic threshold the evaluation found (the
	// one route_task's heuristic uses for these candidates); nil when the
	// heuristic had nothing to threshold.
	Heuristic *float64 `json:"heuristic,omitempty"`
	// Result is the evaluation's full structured result.
	Result json.RawMessage `json:"result,omitempty"`
}
