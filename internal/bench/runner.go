// Package bench runs a suite against a model: it validates a run before
// starting it, executes every (task, iteration) on the executor, scores the
// answer with the task's checks, records each sample as it finishes, and
// summarises the run.
package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"

	"strings"
	"sync"
	"time"

	"github.com/benchmcp/benchmcp/internal/agent"
	"github.com/benchmcp/benchmcp/internal/buildinfo"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/ollama/ollama/api"
)

// Limits on what a run may ask for.
const (
	MaxIterations  = 100
	MaxConcurrency = 16
	MaxWarmup      = 10
)

// Defaults applied when a Config leaves a field zero.
const (
	DefaultIterations      = 1
	DefaultWarmup          = 1
	DefaultMaxOutputTokens = 2048
	DefaultTimeout         = 120 * time.Second
)

// ReloadMs is the least load time that counts a call of a warm run as a
// reload. A real load starts a runner process: 350-490 ms even for the
// fixture models on 2 cores (measured with cold calls, machine under load),
// 1.3-1.6 s for a 0.5B-shaped model, seconds for real models. A loaded
// model's load_duration is the scheduler's bookkeeping: 3-15 ms idle, up
// to 25 ms with the cores busy, which a 20 ms threshold wrongly counted as
// reloads. Once a run has seen the model load (its warm-up found it
// unloaded), the threshold is half that load (ReloadThreshold).
const ReloadMs = 100

// ReloadThreshold is the load time from which a warm run's call counts as
// a reload: half of the model's own load as this run measured it, and
// never under ReloadMs; ReloadMs while the model's load is unknown.
func ReloadThreshold(modelLoadMs float64) float64 {
	return max(ReloadMs, modelLoadMs/2)
}

// Store is where a run and its samples are recorded as they happen.
// *memory.Store implements it.
type Store interface {
	PutRun(r *record.Run) error
	AppendSample(s record.Sample) error
	PartialSamples(runID string) ([]record.Sample, error)
	FaultedSamples(runID string) ([]record.Sample, error)
	FinishRun(id string, status record.Status, summary *record.Summary, errMsg string) error
	PutSuite(hash, name string, content []byte) error
}

// Config describes one run.
type Config struct {
	Host string // named Ollama host; "" = default
	// JudgeHost runs every llm_judge check of the run on this named host,
	// whatever host the check names; "" = each check's host, else Host.
	JudgeHost    string
	Model        string
	Suite        suite.Suite
	Preamble     string // system prompt put before every task's own
	PreambleName string // its name in the preamble library, if it came from there
	Options      map[string]any
	Iterations   int
	// Seeds gives each iteration its seed (PlanSeeds); empty means drawn
	// fresh by Prepare. Variants of a comparison share one plan.
	Seeds           SeedPlan
	Warmup          int // throwaway calls before timing; -1 = none
	Concurrency     int // calls in flight at once for this model (Ollama queues them; see OLLAMA_NUM_PARALLEL)
	MaxOutputTokens int // circuit breaker token cap
	Timeout         time.Duration
	Cold            bool            // unload the model before every call, so each one pays the load
	Depth           int             // context depth: about this many tokens of uncached filler before every prompt (depth.go); 0 = none
	Think           *api.ThinkValue // thinking models: true/false or "high", "medium", "low"; nil = the model's default
	Tags            []string
	Notes           string
	Label           string // variant label inside a comparison
	ComparisonID    string
	// Request is what the run was asked to do, stored with it so that an
	// interrupted run resumes with the same settings; nil stores none.
	Request *record.RunConfig
}

func (c *Config) defaults() {
	if c.Iterations == 0 {
		c.Iterations = DefaultIterations
	}
	if c.Warmup == 0 {
		c.Warmup = DefaultWarmup
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.MaxOutputTokens == 0 {
		c.MaxOutputTokens = DefaultMaxOutputTokens
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
}

// InputError is a problem with what the caller asked for, which the caller
// can fix; the message says how. Nothing has been run or stored.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, args ...any) error {
	return &InputError{fmt.Errorf(format, args...)}
}

// Runner runs suites on an executor and records them in a store.
type Runner struct {
	Exec   *executor.Executor
	Store  Store
	Python string // interpreter for code_exec; "" = python3 on PATH
	// Sandbox is how code_exec confines the code it runs; the zero value
	// is bubblewrap, and a run with code_exec checks is refused without it.
	Sandbox check.Sandbox
}

// Session is a validated run, ready to execute jobs.
type Session struct {
	r      *Runner
	cfg    Config
	run    record.Run
	checks map[string][]check.Check
	tasks  map[string]suite.Task

	mu       sync.Mutex
	samples  []record.Sample
	finished map[Job]bool // the jobs of samples, built on first use, then kept up by Do
	started  time.Time

	// The sample writer stores samples in order, each in its own
	// transaction, off the path of the timed calls: the next call does not
	// wait for the previous sample's fsync. Finish waits for it.
	queue    chan record.Sample
	written  chan struct{}
	writeMu  sync.Mutex
	writeErr error
	elapsed  time.Duration // wall time of earlier attempts (resume)

	partial map[Job]record.Sample // agentic samples a resumed run had in progress
	faults  map[Job]record.Sample // samples the machine failed, not yet run again (guarded by mu)
	// warmRetries are the warm-up calls of this attempt retried after a
	// fault: counted in the summary's retried, in no sample (guarded by mu).
	warmRetries []record.Retry

	memOnce sync.Once
	memory  *record.Memory // the model's memory after the first call, where Ollama reports it
	// modelLoadMs is how long the model took to load in this run (its
	// warm-up, or a call that reloaded it); 0 while unknown.
	modelLoadMs float64
	prevMemory  *record.Memory // a resumed run's

	depthMu       sync.Mutex
	depthWords    int     // filler words that make cfg.Depth tokens, once calibrated
	tokensPerWord float64 // the model's tokens per filler word
}

// Job is one (task, iteration) of a run.
type Job struct {
	Task      string
	Iteration int
}

// Validate reports, as one *InputError, everything wrong with cfg that
// can be seen without Ollama: the model named, the ranges of the numbers
// (after defaults), the suite and the options. Prepare calls it first.
func (cfg Config) Validate() error {
	cfg.defaults()
	var errs []error
	if strings.TrimSpace(cfg.Model) == "" {
		errs = append(errs, errors.New("model is empty; name an Ollama model, e.g. qwen2.5-coder:1.5b"))
	}
	if cfg.Iterations < 1 || cfg.Iterations > MaxIterations {
		errs = append(errs, fmt.Errorf("iterations %d is out of range; use 1 to %d", cfg.Iterations, MaxIterations))
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency %d is out of range; use 1 to %d", cfg.Concurrency, MaxConcurrency))
	}
	if cfg.Warmup > MaxWarmup {
		errs = append(errs, fmt.Errorf("warmup %d is out of range; use 0 to %d", cfg.Warmup, MaxWarmup))
	}
	if cfg.MaxOutputTokens < 0 {
		errs = append(errs, fmt.Errorf("max_output_tokens %d is negative; use 0 for the default (%d)", cfg.MaxOutputTokens, DefaultMaxOutputTokens))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", cfg.Timeout))
	}
	if cfg.Depth < 0 {
		errs = append(errs, fmt.Errorf("depth %d is negative; use 0 for no padding", cfg.Depth))
	}
	if n, ok := option.Number(cfg.Options["num_ctx"]); ok && cfg.Depth > 0 && float64(cfg.Depth) >= n {
		errs = append(errs, fmt.Errorf("depth %d does not fit num_ctx %.0f: the prompt would be cut; raise num_ctx above the depth plus the prompt", cfg.Depth, n))
	}
	if err := cfg.Suite.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := option.Check("options", cfg.Options); err != nil { // the tasks' own: Suite.Validate
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return &InputError{errors.Join(errs...)}
	}
	return nil
}

// Prepare validates a run without running or storing anything: the suite
// and its checks, the ranges of the numbers, the model and judge models on
// the host. Problems the caller can fix come back as *InputError, or as the
// executor's typed errors (model not found, host unreachable).
func (r *Runner) Prepare(ctx context.Context, cfg Config) (*Session, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Seeds.Seeds) == 0 {
		plan, err := PlanSeeds(cfg.Iterations, nil, nil, cfg.Options)
		if err != nil {
			return nil, err
		}
		cfg.Seeds = plan
	}
	if len(cfg.Seeds.Seeds) != cfg.Iterations {
		return nil, inputErrorf("%d seeds for %d iterations; give one seed per iteration", len(cfg.Seeds.Seeds), cfg.Iterations)
	}
	s := &Session{r: r, cfg: cfg, checks: map[string][]check.Check{}, tasks: map[string]suite.Task{}}
	var specs []check.Spec
	for _, t := range cfg.Suite.Tasks {
		for _, sp := range t.Checks {
			c, err := check.Compile(sp)
			if err != nil { // Validate compiled them already; this is a bug if it happens
				return nil, fmt.Errorf("task %s: %w", t.ID, err)
			}
			s.checks[t.ID] = append(s.checks[t.ID], c)
		}
		s.tasks[t.ID] = t
		specs = append(specs, t.Checks...)
	}
	code := slices.ContainsFunc(specs, func(sp check.Spec) bool { return sp.Type == "code_exec" })
	if code {
		if err := check.CheckSandbox(ctx, r.Python, r.Sandbox); err != nil {
			return nil, &InputError{fmt.Errorf("suite %s has code_exec checks: %w", cfg.Suite.Name, err)}
		}
	}
	host, err := r.Exec.Host(cfg.Host)
	if err != nil {
		return nil, &InputError{err}
	}
	info, err := r.Exec.ModelInfo(ctx, cfg.Host, cfg.Model)
	if err != nil {
		return nil, err
	}
	if cfg.Think != nil && (cfg.Think.Value != false) && !slices.Contains(info.Capabilities, "thinking") {
		return nil, inputErrorf("model %s does not support thinking (its capabilities: %s); leave think out or set it to false", cfg.Model, strings.Join(info.Capabilities, ", "))
	}
	for _, jt := range check.JudgeTargets(specs) {
		host := cmp.Or(cfg.JudgeHost, jt.Host, cfg.Host)
		if _, err := r.Exec.Host(host); err != nil {
			return nil, inputErrorf("judge %s: host %q: %v", jt.Model, host, err)
		}
		if _, err := r.Exec.ModelInfo(ctx, host, jt.Model); err != nil {
			return nil, fmt.Errorf("judge model on host %s: %w", host, err)
		}
	}
	if cfg.Cold && !host.Ollama() {
		return nil, inputErrorf("cold starts need a host benchmcp can unload a model on: %s is an OpenAI-compatible server, which loads and frees models itself; leave cold out, or run on an Ollama host", host.Name)
	}
	for _, t := range cfg.Suite.Tasks { // an option the host's engine has no equivalent for is refused, not dropped
		if err := r.Exec.Refused(s.Request(t, 1)); err != nil {
			return nil, &InputError{fmt.Errorf("task %s: %w", t.ID, err)}
		}
	}
	version, _ := r.Exec.Version(ctx, cfg.Host)
	var price *record.Price
	if p, ok := r.Exec.Price(cfg.Host, cfg.Model); ok {
		price = &p
	}
	s.run = record.Run{
		Status:          record.StatusRunning,
		Model:           cfg.Model,
		ModelInfo:       info,
		Host:            host.Name,
		HostURL:         host.URL.String(),
		Engine:          engineName(host.Engine),
		Price:           price,
		OllamaVersion:   version,
		BenchmcpVersion: buildinfo.Get().Version,
		Suite:           cfg.Suite.Name,
		SuiteHash:       cfg.Suite.Hash(),
		Preamble:        cfg.Preamble,
		Options:         cfg.Options,
		Iterations:      cfg.Iterations,
		Depth:           cfg.Depth,
		Seeds:           &record.SeedInfo{Mode: cfg.Seeds.Mode, Seeds: cfg.Seeds.Seeds},
		Tags:            cfg.Tags,
		Notes:           cfg.Notes,
		Label:           cfg.Label,
		ComparisonID:    cfg.ComparisonID,
		Config:          cfg.Request,
	}
	if cfg.PreambleName != "" {
		s.run.Notes = strings.TrimSpace(s.run.Notes + " preamble:" + cfg.PreambleName)
	}
	if code && r.Sandbox.Unsafe { // the record says the code ran with the user's rights
		s.run.Notes = strings.TrimSpace(s.run.Notes + " code_exec:unconfined")
	}
	return s, nil
}

// Begin records the run as running. With a previous run it resumes that run
// instead: same id, its finished samples kept and not redone.
func (s *Session) Begin(prev *record.Run, done []record.Sample) error {
	if prev != nil {
		if prev.SuiteHash != s.run.SuiteHash {
			return inputErrorf("run %s was made with suite %s (hash %s) but that suite now hashes to %s; it changed since, so the run cannot be resumed; start a new run", prev.ID, prev.Suite, prev.SuiteHash, s.run.SuiteHash)
		}
		s.run.ID = prev.ID
		s.run.StartedAt = prev.StartedAt
		if prev.Seeds != nil && len(prev.Seeds.Seeds) == s.cfg.Iterations { // the recorded seeds, drawn ones included
			s.cfg.Seeds = SeedPlan{Mode: prev.Seeds.Mode, Seeds: prev.Seeds.Seeds}
			s.run.Seeds = prev.Seeds
		}
		s.run.Tags, s.run.Notes, s.run.Label, s.run.ComparisonID = prev.Tags, prev.Notes, prev.Label, prev.ComparisonID
		if prev.Summary != nil {
			s.elapsed = time.Duration(prev.Summary.WallSeconds * float64(time.Second))
			s.prevMemory = prev.Summary.Memory
		}
		s.samples = append(s.samples, done...)
		partial, err := s.r.Store.PartialSamples(prev.ID)
		if err != nil {
			return fmt.Errorf("read the samples run %s had in progress: %w", prev.ID, err)
		}
		s.partial = map[Job]record.Sample{}
		for _, p := range partial {
			s.partial[Job{p.TaskID, p.Iteration}] = p
		}
		faulted, err := s.r.Store.FaultedSamples(prev.ID)
		if err != nil {
			return fmt.Errorf("read the samples of run %s that the machine failed: %w", prev.ID, err)
		}
		for _, f := range faulted { // run again; they count as faults until they are
			s.addFault(f)
		}
	} else {
		s.run.StartedAt = time.Now().UTC()
	}
	if content, err := json.Marshal(s.cfg.Suite); err == nil {
		if err := s.r.Store.PutSuite(s.run.SuiteHash, s.cfg.Suite.Name, content); err != nil {
			return fmt.Errorf("store suite: %w", err)
		}
	}
	if err := s.r.Store.PutRun(&s.run); err != nil {
		return fmt.Errorf("store run: %w", err)
	}
	s.started = time.Now()
	s.queue = make(chan record.Sample, 256)
	s.written = make(chan struct{})
	go s.writeSamples()
	return nil
}

func (s *Session) writeSamples() {
	defer close(s.written)
	for smp := range s.queue {
		if err := s.r.Store.AppendSample(smp); err != nil {
			s.writeMu.Lock()
			if s.writeErr == nil {
				s.writeErr = fmt.Errorf("store sample %s/%d: %w", smp.TaskID, smp.Iteration, err)
			}
			s.writeMu.Unlock()
		}
	}
}

// storeErr is the first failure of the sample writer.
func (s *Session) storeErr() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.writeErr
}

// flush waits until every queued sample is stored.
func (s *Session) flush() error {
	if s.queue != nil {
		close(s.queue)
		<-s.written
		s.queue = nil
	}
	return s.storeErr()
}

// Config is the run's configuration, defaults applied.
func (s *Session) Config() Config { return s.cfg }

// Run is the run record as it stands.
func (s *Session) Run() record.Run { return s.run }

// Jobs lists the (task, iteration) pairs not yet done, iteration by iteration.
func (s *Session) Jobs() []Job {
	done := map[Job]bool{}
	s.mu.Lock()
	for _, smp := range s.samples {
		done[Job{smp.TaskID, smp.Iteration}] = true
	}
	s.mu.Unlock()
	var jobs []Job
	for it := 1; it <= s.cfg.Iterations; it++ {
		for _, t := range s.cfg.Suite.Tasks {
			if j := (Job{t.ID, it}); !done[j] {
				jobs = append(jobs, j)
			}
		}
	}
	return jobs
}

// AllJobs lists every (task, iteration) of the run, done or not, iteration by iteration.
func (s *Session) AllJobs() []Job {
	var jobs []Job
	for it := 1; it <= s.cfg.Iterations; it++ {
		for _, t := range s.cfg.Suite.Tasks {
			jobs = append(jobs, Job{t.ID, it})
		}
	}
	return jobs
}

// Finished reports whether job j already has a sample.
func (s *Session) Finished(j Job) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished == nil {
		s.finished = make(map[Job]bool, len(s.samples))
		for _, smp := range s.samples {
			s.finished[Job{smp.TaskID, smp.Iteration}] = true
		}
	}
	return s.finished[j]
}

// Total is the number of samples the run has when complete.
func (s *Session) Total() int { return s.cfg.Iterations * len(s.cfg.Suite.Tasks) }

// Request is the executor request for a task at an iteration (1-based):
// the run's options, the iteration's seed, then the task's own options
// (a task that sets its own seed keeps it).
func (s *Session) Request(t suite.Task, iteration int) executor.Request {
	opts := map[string]any{}
	maps.Copy(opts, s.cfg.Options)
	if i := iteration - 1; i >= 0 && i < len(s.cfg.Seeds.Seeds) {
		opts["seed"] = s.cfg.Seeds.Seeds[i]
	}
	maps.Copy(opts, t.Options)
	if len(opts) == 0 {
		opts = nil
	}
	system := s.cfg.Preamble
	if t.System != "" {
		if system != "" {
			system += "\n\n"
		}
		system += t.System
	}
	return executor.Request{
		Host: s.cfg.Host, Model: s.cfg.Model, System: system, Prompt: s.padded(t),
		Tools: t.Tools, Options: opts, Think: s.cfg.Think, Timeout: s.cfg.Timeout,
		Breaker: executor.Breaker{MaxTokens: s.cfg.MaxOutputTokens, Repetition: true},
	}
}

// noteLoad keeps a call's load time as the model's load when it was one (at
// least ReloadMs).
func (s *Session) noteLoad(ms float64) {
	if ms < ReloadMs {
		return
	}
	s.mu.Lock()
	s.modelLoadMs = max(s.modelLoadMs, ms)
	s.mu.Unlock()
}

// reloaded reports whether a call that reported this load time reloaded
// the model (ReloadThreshold), and keeps it as the model's load if so.
func (s *Session) reloaded(loadMs float64) bool {
	s.mu.Lock()
	threshold := ReloadThreshold(s.modelLoadMs)
	s.mu.Unlock()
	if loadMs < threshold {
		return false
	}
	s.noteLoad(loadMs)
	return true
}

// fatal reports errors that make every further call pointless.
func fatal(err error) bool {
	return errors.Is(err, executor.ErrHostUnreachable) || errors.Is(err, executor.ErrModelNotFound) ||
		errors.Is(err, executor.ErrHostAuth) || errors.Is(err, executor.ErrRefused)
}

// engineName is a run's engine as stored: empty for Ollama's native API,
// as in every run stored before there were others.
func engineName(engine string) string {
	if engine == executor.EngineOllama {
		return ""
	}
	return engine
}

// Do runs one job, scores it and records the sample. A cancelled context
// returns its error and records nothing: the job stays to do on resume.
func (s *Session) Do(ctx context.Context, j Job) (smp record.Sample, err error) {
	defer func() {
		if p := recover(); p != nil {
			smp, err = s.panicked(j, p, debug.Stack())
		}
	}()
	return s.do(ctx, j)
}

// panicked stores job j's sample as a fault after its work panicked, and
// logs the stack: a bug fails one sample, not the process (Do runs in
// worker goroutines, where a panic would end it). A bug in benchmcp is not
// the model's failure: the sample gets no verdict, the run ends failed, and
// a resume runs it again.
func (s *Session) panicked(j Job, p any, stack []byte) (record.Sample, error) {
	t := s.tasks[j.Task]
	slog.Error("a sample's work panicked; the sample is stored without a verdict", "run", s.run.ID, "task", t.ID, "iteration", j.Iteration, "panic", fmt.Sprint(p), "stack", string(stack))
	smp := record.Sample{RunID: s.run.ID, TaskID: t.ID, Category: t.Category, Iteration: j.Iteration, StartedAt: time.Now().UTC()}
	smp.Fault = &record.Fault{Kind: FaultInternal, Attempts: 1,
		Error: fmt.Sprintf("internal error: the sample's work panicked (%v); this is a bug in benchmcp: the stack is in the log, please report it", p)}
	if err := s.storeErr(); err != nil {
		return smp, err
	}
	s.queue <- smp
	s.addFault(smp)
	return smp, nil
}

// FaultInternal is the kind of fault of a sample whose work (or one of
// whose checks) panicked: a bug in benchmcp, not a failure of the model or
// of the host.
const FaultInternal = "internal_error"

// internalError is a bug in benchmcp met while scoring a sample.
type internalError struct{ msg string }

func (e *internalError) Error() string { return e.msg }

// do is Do without the recovery.
func (s *Session) do(ctx context.Context, j Job) (record.Sample, error) {
	t := s.tasks[j.Task]
	if err := s.calibrate(ctx); err != nil {
		return record.Sample{}, err
	}
	if s.cfg.Cold {
		if err := s.r.Exec.Unload(ctx, s.cfg.Host, s.cfg.Model); err != nil {
			return record.Sample{}, err
		}
	}
	req := s.Request(t, j.Iteration)
	smp := record.Sample{RunID: s.run.ID, TaskID: t.ID, Category: t.Category, Iteration: j.Iteration, StartedAt: time.Now().UTC()}
	if seed, ok, err := OptionSeed(req.Options); ok && err == nil {
		smp.Seed = &seed
	}
	var m record.Measurement
	var err error
	// The calls of this sample that failed on the machine and were tried
	// again; judge calls add theirs (one sample's calls are sequential).
	var retries []record.Retry
	retried := func(r record.Retry) { retries = append(retries, r) }
	if t.Agent != nil {
		task := agent.Task{Prompt: req.Prompt, Tools: t.Tools, Spec: *t.Agent, OnStep: func(a *record.Agent) {
			// The steps so far, stored before the next call so that a
			// resume continues from them. Written here, between two calls
			// and outside their timing; the sample writer's queue holds
			// only other jobs' samples, so the order of this job's writes holds.
			p := smp
			p.Partial, p.Agent = true, a
			if err := s.r.Store.AppendSample(p); err != nil {
				s.writeMu.Lock()
				if s.writeErr == nil {
					s.writeErr = fmt.Errorf("store the steps of sample %s/%d: %w", p.TaskID, p.Iteration, err)
				}
				s.writeMu.Unlock()
			}
		}}
		s.mu.Lock()
		if p, ok := s.partial[j]; ok && p.Agent != nil {
			task.Done, smp.StartedAt = p.Agent.Steps, p.StartedAt
			if p.Agent.Prompt != "" { // the same history: a depth filler's nonce differs per call
				task.Prompt = p.Agent.Prompt
			}
		}
		s.mu.Unlock()
		smp.Agent, m, err = agent.Run(ctx, func(ctx context.Context, msgs []api.Message) (record.Measurement, error) {
			turn := req
			turn.Prompt, turn.Messages = "", msgs
			return s.r.Exec.ChatRetry(ctx, turn, retried)
		}, task)
	} else {
		m, err = s.r.Exec.ChatRetry(ctx, req, retried)
	}
	if ctx.Err() != nil {
		return smp, ctx.Err()
	}
	smp.Retries = retries
	if executor.Fault(err) != "" {
		smp.Measurement = m
		return s.fault(smp, err)
	}
	if err != nil && fatal(err) {
		return smp, err
	}
	smp.Measurement = m
	smp.Flags.Reloaded = !s.cfg.Cold && s.reloaded(m.LoadMs)
	if err == nil {
		s.memOnce.Do(func() { // after the call, outside its timing; /api/ps is optional, so a failure leaves it unknown
			if mem, merr := s.r.Exec.Memory(ctx, s.cfg.Host, s.cfg.Model); merr == nil {
				s.mu.Lock()
				s.memory = mem
				s.mu.Unlock()
			}
		})
	}
	if err != nil {
		smp.Error = err.Error()
	} else {
		var final *bool // the checks' verdict on the answer; nil for an agentic task without checks
		if len(s.checks[t.ID]) > 0 {
			var judgeFault error // a judge call the machine failed: the sample has no verdict
			judge := func(host string) check.Judge {
				return judgeWith(s.r.Exec, host, s.cfg.Timeout, func(r record.Retry) { retried(r) }, func(err error) {
					if judgeFault == nil {
						judgeFault = err
					}
				})
			}
			env := check.Env{Judge: judge(s.judgeHost()), Python: s.r.Python, Sandbox: s.r.Sandbox, JudgeAt: judge}
			if s.cfg.JudgeHost != "" { // the run's override puts every judge there
				env.JudgeAt = nil
			}
			smp.Checks, smp.Pass, smp.Score = check.Evaluate(ctx, s.checks[t.ID], check.Answer{Task: t.Prompt, Output: m.Output, ToolCalls: m.ToolCalls}, env)
			final = &smp.Pass
			if ctx.Err() != nil {
				return smp, ctx.Err()
			}
			if judgeFault != nil {
				smp.Retries = retries
				return s.fault(smp, fmt.Errorf("judge: %w", judgeFault))
			}
			for _, r := range smp.Checks {
				if check.Panicked(r) {
					smp.Retries = retries
					return s.fault(smp, &internalError{r.Reason})
				}
			}
		}
		if smp.Agent != nil {
			smp.Pass, smp.Score = agentVerdict(smp.Agent, *t.Agent, final, smp.Score)
		}
	}
	smp.Retries = retries
	if err := s.storeErr(); err != nil {
		return smp, err
	}
	s.queue <- smp
	s.mu.Lock()
	s.samples = append(s.samples, smp)
	if s.finished != nil {
		s.finished[j] = true
	}
	delete(s.faults, j)
	s.mu.Unlock()
	return smp, nil
}

// fault stores a sample whose call (or judge call) the machine failed even
// after retries: it gets no verdict and no statistic counts it, and the job
// stays to do, for a resume to run again. A host that is down stops the
// run (err comes back: every further call would fail too); any other fault
// lets the run go on with its other jobs, and Finish fails it.
func (s *Session) fault(smp record.Sample, err error) (record.Sample, error) {
	kind := executor.Fault(err)
	var ie *internalError
	switch {
	case errors.As(err, &ie):
		kind = FaultInternal
	case kind == "": // a judge's fault, wrapped
		kind = executor.FaultServer
	}
	attempts := 1
	var re *executor.RetriedError
	if errors.As(err, &re) {
		kind, attempts = re.Kind, re.Attempts
	}
	smp.Fault = &record.Fault{Kind: string(kind), Error: err.Error(), Attempts: attempts}
	smp.Checks, smp.Pass, smp.Score = nil, false, 0
	if serr := s.storeErr(); serr != nil {
		return smp, serr
	}
	s.queue <- smp
	s.addFault(smp)
	if kind == executor.FaultUnreachable {
		return smp, err
	}
	return smp, nil
}

func (s *Session) addFault(smp record.Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = map[Job]record.Sample{}
	}
	s.faults[Job{smp.TaskID, smp.Iteration}] = smp
}

// Faults returns the samples the machine failed that no later attempt has
// replaced, in task order.
func (s *Session) Faults() []record.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Collect(maps.Values(s.faults))
	slices.SortFunc(out, func(a, b record.Sample) int {
		return cmp.Or(strings.Compare(a.TaskID, b.TaskID), cmp.Compare(a.Iteration, b.Iteration))
	})
	return out
}

// FaultError is why a run with faulted samples did not complete: which
// samples, what failed, and that a resume runs them again.
type FaultError struct {
	Faults []record.Sample
}

func (e *FaultError) Error() string {
	kinds := map[string]int{}
	for _, f := range e.Faults {
		kinds[f.Fault.Kind]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, kinds[k]))
	}
	first := e.Faults[0]
	return fmt.Sprintf("%d sample(s) got no verdict: the machine failed their calls on every attempt (%s; first: task %s iteration %d: %s); they are not scored; resume the run to run them again (resume_run_id, or job_status action resume)",
		len(e.Faults), strings.Join(parts, ", "), first.TaskID, first.Iteration, first.Fault.Error)
}

// agentVerdict is an agentic sample's verdict and score: it passes when the
// loop ended with an answer, the checks (if any) pass and the trajectory (if
// expected) is right; its score is the mean of the criteria it has: the
// checks' score, the trajectory (0 or 1) and ending with an answer (0 or 1).
func agentVerdict(a *record.Agent, spec agent.Spec, final *bool, checkScore float64) (bool, float64) {
	pass := agent.Score(a, spec, final)
	parts := []float64{b2f(a.Stop == agent.StopAnswer)}
	if final != nil {
		parts = append(parts, checkScore)
	}
	if a.Scores.Trajectory != nil {
		parts = append(parts, b2f(*a.Scores.Trajectory))
	}
	sum := 0.0
	for _, p := range parts {
		sum += p
	}
	return pass, sum / float64(len(parts))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// judgeHost is where the run's judge checks go by default.
func (s *Session) judgeHost() string {
	if s.cfg.JudgeHost != "" {
		return s.cfg.JudgeHost
	}
	return s.cfg.Host
}

// Judge grades answers with a judge model on a host, at temperature 0 and
// with the breaker on: the llm_judge checks' way to reach Ollama. A call
// that fails on the machine is retried (executor.ChatRetry).
func Judge(ex *executor.Executor, host string, timeout time.Duration) check.Judge {
	return judgeWith(ex, host, timeout, nil, nil)
}

// judgeWith is Judge telling retried about each retry and faulted about a
// call that still failed on the machine.
func judgeWith(ex *executor.Executor, host string, timeout time.Duration, retried func(record.Retry), faulted func(error)) check.Judge {
	return check.JudgeFunc(func(ctx context.Context, model, system, prompt string) (string, error) {
		m, err := ex.ChatRetry(ctx, executor.Request{
			Host: host, Model: model, System: system, Prompt: prompt,
			Options: map[string]any{"temperature": 0}, Timeout: timeout,
			Breaker: executor.Breaker{MaxTokens: 1024, Repetition: true},
		}, retried)
		if executor.Fault(err) != "" && faulted != nil {
			faulted(err)
		}
		return m.Output, err
	})
}

// Samples returns the samples recorded so far.
func (s *Session) Samples() []record.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]record.Sample(nil), s.samples...)
}

// Finish summarises the samples and records the run's end state.
func (s *Session) Finish(status record.Status, runErr error) (record.Run, error) {
	wall := s.elapsed + time.Since(s.started)
	if err := s.flush(); err != nil && runErr == nil {
		status, runErr = record.StatusFailed, err
	}
	faults := s.Faults()
	if status.Final() && len(faults) > 0 { // not complete: those samples have no verdict yet
		status, runErr = record.StatusFailed, &FaultError{Faults: faults}
	}
	samples := s.Samples()
	sum := Summarize(s.cfg.Suite, samples, wall)
	SetCost(&sum, s.run.Price, samples)
	sum.Faults = len(faults)
	for _, f := range faults {
		countRetries(&sum, f.Retries)
	}
	s.mu.Lock()
	countRetries(&sum, s.warmRetries)
	s.mu.Unlock()
	SetSeeds(&sum, s.run.Seeds)
	s.mu.Lock()
	sum.Memory = s.memory
	s.mu.Unlock()
	if sum.Memory == nil && s.prevMemory != nil { // resumed, and no call made it this time
		sum.Memory = s.prevMemory
	}
	s.run.Status = status
	s.run.Summary = &sum
	s.run.EndedAt = time.Now().UTC()
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
		s.run.Error = msg
	}
	if err := s.r.Store.FinishRun(s.run.ID, status, &sum, msg); err != nil {
		return s.run, fmt.Errorf("store end of run %s: %w", s.run.ID, err)
	}
	return s.run, nil
}

// Progress is told about every finished sample: how many of total are done.
type Progress func(done, total int, smp record.Sample)

// Execute runs the session's remaining jobs with the configured concurrency
// and finishes the run: completed, cancelled (ctx ended) or failed.
func (s *Session) Execute(ctx context.Context, progress Progress) (record.Run, error) {
	if err := s.Warm(ctx); err != nil {
		if ctx.Err() != nil {
			return s.Finish(record.StatusCancelled, ctx.Err())
		}
		return s.Finish(record.StatusFailed, err)
	}
	jobs := s.Jobs()
	total := s.Total()
	done := total - len(jobs)
	err := s.pool(ctx, jobs, nil, func(smp record.Sample) {
		done++
		if progress != nil {
			progress(done, total, smp)
		}
	})
	switch {
	case err != nil:
		return s.Finish(record.StatusFailed, err)
	case ctx.Err() != nil:
		return s.Finish(record.StatusCancelled, ctx.Err())
	}
	return s.Finish(record.StatusCompleted, nil)
}

// pool makes jobs' calls with the configured concurrency: that many in
// flight, each worker taking the next job as its call ends. each is told
// of every sample, one at a time. It stops at the first error, which it
// returns, or when ctx ends; skip, if set, is asked before every call and
// ends the pool early when it says so (early stopping).
func (s *Session) pool(ctx context.Context, jobs []Job, skip func() bool, each func(record.Sample)) error {
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	queue := make(chan Job)
	for range max(1, s.cfg.Concurrency) {
		wg.Go(func() {
			for j := range queue {
				smp, err := s.Do(runCtx, j)
				mu.Lock()
				if err != nil {
					if firstErr == nil && runCtx.Err() == nil {
						firstErr = err
						stop()
					}
				} else {
					each(smp)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, j := range jobs {
		if skip != nil && skip() {
			break
		}
		select {
		case queue <- j:
		case <-runCtx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	return firstErr
}

// Probe makes one call with the first task, as a timed call would be made,
// and records nothing: what a plan measures to estimate a duration.
func (s *Session) Probe(ctx context.Context) (record.Measurement, error) {
	if len(s.cfg.Suite.Tasks) == 0 {
		return record.Measurement{}, errors.New("the suite has no tasks")
	}
	if err := s.calibrate(ctx); err != nil {
		return record.Measurement{}, err
	}
	return s.r.Exec.ChatRetry(ctx, s.Request(s.cfg.Suite.Tasks[0], 1), nil)
}

// ProbeTask is Probe with the suite's task i (modulo its length): a second
// probe with another prompt than the first is not served from the prompt
// cache the first filled.
func (s *Session) ProbeTask(ctx context.Context, i int) (record.Measurement, error) {
	if len(s.cfg.Suite.Tasks) == 0 {
		return record.Measurement{}, errors.New("the suite has no tasks")
	}
	return s.r.Exec.ChatRetry(ctx, s.Request(s.cfg.Suite.Tasks[i%len(s.cfg.Suite.Tasks)], 1), nil)
}
