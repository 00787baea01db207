package tools

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// Job kinds: the tools whose calls run as jobs.
const (
	KindRun     = "run_benchmark"
	KindCompare = "compare_models"
	KindRoute   = "route_task" // a cascade
)

// Limits of the job tools.
const (
	// MaxWaitS is the longest job_status waits for a job to end: hosts
	// give up on a call after about 60 s.
	MaxWaitS = 50
	// Heartbeat is the longest a blocking call goes without a progress
	// notification, so hosts that reset their timeout on progress keep waiting.
	Heartbeat = 10 * time.Second
	// DefaultJobList and MaxJobList bound list_jobs.
	DefaultJobList = 20
	MaxJobList     = 200
)

// EnableJobs makes the service run long calls as jobs: it builds the job
// manager and registers the kinds. Then RecoverJobs queues again what a
// previous process left unfinished. Call Jobs.Shutdown before closing the store.
func (s *Service) EnableJobs() {
	s.Jobs = jobs.New(s.Store, nil)
	s.Jobs.SetCrashLimit(cmp.Or(s.MaxJobCrashes, jobs.DefaultCrashLimit))
	s.Jobs.SetHostPing(func(ctx context.Context, host string) error { _, err := s.Exec.Version(ctx, host); return err })
	for _, t := range Registry {
		if t.Work != nil {
			s.Jobs.Register(t.Definition().Name, t.Work(s))
		}
	}
}

// RecoverJobs queues again the jobs a previous process left queued, running
// or interrupted; the ones that ran resume their runs without redoing
// finished samples.
func (s *Service) RecoverJobs() error {
	var unfinished []record.Job
	for _, st := range []record.JobStatus{record.JobRunning, record.JobInterrupted, record.JobQueued} {
		js, err := s.Store.ListJobs(memory.JobFilter{Status: st})
		if err != nil {
			return fmt.Errorf("list %s jobs: %w", st, err)
		}
		unfinished = append(unfinished, js...)
	}
	return s.Jobs.Recover(unfinished)
}

// clientOf names the client of a call, for job ownership, the per-client
// job cap and tasks: the process over stdio (WithClient, always: one client
// per process), the MCP session where there is one (a hash of its id, which
// is stored with the job and shown in the jobs resource, where the id itself
// would let another client use the session), and otherwise what the
// transport said (WithClient: the bearer token's subject over HTTP, where
// 2026-07-28 clients have no session); "" outside all of them (the CLI).
func clientOf(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(clientID)
	if c.always {
		return c.id
	}
	if cs := mcpserver.ClientSessionFromContext(ctx); cs != nil && cs.SessionID() != "" && !mcpserver.IsModernRequest(ctx) {
		sum := sha256.Sum256([]byte(cs.SessionID()))
		return "session-" + hex.EncodeToString(sum[:8])
	}
	return c.id
}

type clientKey struct{}

type clientID struct {
	id     string
	always bool // over sessions too
}

// WithClient says who the client of the calls under ctx is: with always,
// whatever the protocol says (stdio: the process); without, when the call
// comes with no MCP session (HTTP at 2026-07-28: the token's subject).
func WithClient(ctx context.Context, id string, always bool) context.Context {
	return context.WithValue(ctx, clientKey{}, clientID{id: id, always: always})
}

// ClientOf is clientOf for the server's task layer.
func ClientOf(ctx context.Context) string { return clientOf(ctx) }

func reporterProgress(r jobs.Reporter) ProgressFunc {
	return func(done, total int, msg string) { r.Progress(done, total, msg) }
}

// longTool is how a long tool runs: as a job with a job manager, in the
// call itself without one (the CLI) or when it runs nothing (inline).
type longTool[A, R any] struct {
	direct     func(context.Context, A, ProgressFunc) (*R, string, error)
	inline     func(A) bool
	background func(A) bool
	submit     func(context.Context, A) (record.Job, error) // validates, then submits
	queued     func(record.Job) (*R, string)                // the result of a background call
}

// jobHandler is the MCP handler of a long tool: every call that runs
// models is a job; background returns its id at once, a blocking call
// waits for it (and a dropped connection does not lose it).
func jobHandler[A, R any](s *Service, t longTool[A, R]) func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	direct := longHandler(s, t.direct)
	return mcp.NewTypedToolHandler(func(ctx context.Context, req mcp.CallToolRequest, args A) (*mcp.CallToolResult, error) {
		if s.Jobs == nil || t.inline(args) {
			return direct(ctx, req)
		}
		// A 2026-07-28 client that declared the Tasks extension gets the
		// job as a task at once (unless it asked for a background job id).
		var ticket *taskTicket
		if TasksDeclared(ctx) && !t.background(args) {
			tk := newTaskTicket()
			ticket = &tk
			ctx = context.WithValue(ctx, taskTicketKey{}, tk)
		}
		job, err := t.submit(ctx, args)
		if err != nil {
			return toolError(err)
		}
		if ticket != nil {
			task, err := s.Task(jobTaskID(job.ID, *ticket), clientOf(ctx))
			if err != nil {
				return toolError(fmt.Errorf("job %s was submitted, but its task could not be read: %w; follow it with job_status", job.ID, err))
			}
			return TaskCreatedResult(task), nil
		}
		if t.background(args) {
			res, md := t.queued(job)
			return mcp.NewToolResultStructured(res, md), nil
		}
		return s.awaitJob(ctx, req, job.ID)
	})
}

func queuedText(j record.Job) string {
	return fmt.Sprintf("Job `%s` (%s on host %s) is %s. Follow it with job_status {\"job_id\": %q, \"wait_s\": %d}; take the result with job_result when it is completed; stop it with cancel_job.\n",
		j.ID, j.Kind, j.Host, j.Status, j.ID, MaxWaitS)
}

// awaitJob waits for a job a blocking call submitted and returns its result
// as the call's own. It forwards the job's progress to the client, at least
// every Heartbeat. If the client cancels the call, the job is cancelled; if
// the client's session ends, the job goes on and its result waits in
// job_result. An MCP task call (params.task, 2025-11-25) runs on a context
// mcp-go detaches from the tools/call request and cancels on tasks/cancel,
// which cancels the job.
func (s *Service) awaitJob(ctx context.Context, req mcp.CallToolRequest, id string) (*mcp.CallToolResult, error) {
	progress := s.progress(ctx, req)
	if progress == nil {
		progress = func(int, int, string) {}
	}
	if s.Jobs.Follow(ctx, id, Heartbeat, progress) != nil {
		if errors.Is(context.Cause(ctx), ErrSessionEnded) {
			return mcp.NewToolResultError(fmt.Sprintf("the client went away; job %s goes on: job_result %q gives its result", id, id)), nil
		}
		if _, err := s.Jobs.Cancel(id); err != nil && !errors.Is(err, jobs.ErrFinished) {
			return toolError(err)
		}
	}
	return s.jobResult(id)
}

// jobResult is a finished job's result, exactly what the blocking call
// returns; an unfinished or failed job is an isError saying what to do.
func (s *Service) jobResult(id string) (*mcp.CallToolResult, error) {
	st, err := s.Jobs.Get(id)
	if errors.Is(err, memory.ErrJobNotFound) {
		return mcp.NewToolResultError(fmt.Sprintf("job %s is not known; list jobs with list_jobs", id)), nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !st.Status.Terminal():
		return mcp.NewToolResultError(fmt.Sprintf("job %s is %s (%d of %d done); wait with job_status {\"job_id\": %q, \"wait_s\": %d}, then ask again",
			id, st.Status, st.Done, st.Total, id, MaxWaitS)), nil
	case len(st.Result) == 0:
		msg := st.Error
		if msg == "" {
			msg = "it has no result"
		}
		return mcp.NewToolResultError(fmt.Sprintf("job %s %s: %s", id, st.Status, msg)), nil
	}
	res := mcp.NewToolResultStructured(json.RawMessage(st.Result), st.ResultText)
	// The result is a summary; the full samples are a resource away.
	for _, id := range st.RunIDs {
		res.Content = append(res.Content, mcp.NewResourceLink("benchmcp://runs/"+id, "run "+id, "the run with every sample (JSON)", "application/json"))
	}
	return res, nil
}

// JobStatusArgs are the arguments of job_status.
type JobStatusArgs struct {
	JobID string  `json:"job_id" jsonschema:"the job's id"`
	WaitS float64 `json:"wait_s,omitempty" jsonschema:"seconds (0-50) to wait for the end"`
}

// JobStatusResult is what job_status, cancel_job and list_jobs say of a job.
type JobStatusResult struct {
	JobID         string           `json:"job_id"`
	Kind          string           `json:"kind"`
	Status        record.JobStatus `json:"status" jsonschema:"queued, running, waiting (host down), completed, failed, cancelled, interrupted"`
	Done          int              `json:"done"`
	Total         int              `json:"total"`
	ETAS          *float64         `json:"eta_s" jsonschema:"seconds left; null until known"`
	QueuePosition int              `json:"queue_position" jsonschema:"1 is next on its host; 0 not queued"`
	Host          string           `json:"host"`
	Hosts         []string         `json:"hosts,omitempty" jsonschema:"all hosts it holds"`
	Models        []string         `json:"models,omitempty"`
	Message       string           `json:"message,omitempty" jsonschema:"last progress message"`
	RunIDs        []string         `json:"run_ids,omitempty"`
	ComparisonID  string           `json:"comparison_id,omitempty" jsonschema:"its comparison or sweep"`
	Error         string           `json:"error,omitempty"`
	Attempts      int              `json:"attempts" jsonschema:"times started; over 1 means resumed"`
	CreatedAt     time.Time        `json:"created_at"`
	StartedAt     time.Time        `json:"started_at,omitzero"`
	EndedAt       time.Time        `json:"ended_at,omitzero"`
	ResultURI     string           `json:"result_uri,omitempty" jsonschema:"the ended job as a resource"`
}

func jobStatus(st jobs.Status) JobStatusResult {
	r := JobStatusResult{JobID: st.ID, Kind: st.Kind, Status: st.Status, Done: st.Done, Total: st.Total, ETAS: st.ETASeconds,
		QueuePosition: st.QueuePosition, Host: st.Host, Hosts: st.Hosts, Models: st.Models, Message: st.Message, RunIDs: st.RunIDs,
		ComparisonID: st.ComparisonID, Error: st.Error,
		Attempts: st.Attempts, CreatedAt: st.CreatedAt, StartedAt: st.StartedAt, EndedAt: st.EndedAt}
	if st.Status.Terminal() {
		r.ResultURI = "benchmcp://jobs/" + st.ID
	}
	return r
}

func jobLine(r JobStatusResult) string {
	eta := ""
	if r.ETAS != nil && !r.Status.Terminal() {
		eta = fmt.Sprintf(", about %.0f s left", *r.ETAS)
	}
	q := ""
	if r.QueuePosition > 0 {
		q = fmt.Sprintf(", position %d in the queue of host %s", r.QueuePosition, r.Host)
	}
	line := fmt.Sprintf("Job `%s` (%s): **%s**, %d/%d%s%s", r.JobID, r.Kind, r.Status, r.Done, r.Total, eta, q)
	if r.Error != "" {
		line += ". Error: " + r.Error
	}
	return line
}

// JobStatusTool is the MCP definition of job_status.
func JobStatusTool() mcp.Tool {
	return mcp.NewTool("job_status",
		mcp.WithDescription("A job's status, progress and eta_s; wait_s waits for the end."),
		mcp.WithInputSchema[JobStatusArgs](),
		outputSchema[JobStatusResult](),
		mcp.WithTitleAnnotation("Job status"),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// JobStatusHandler is the MCP handler of job_status.
func (s *Service) JobStatusHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewTypedToolHandler(func(ctx context.Context, req mcp.CallToolRequest, args JobStatusArgs) (*mcp.CallToolResult, error) {
		if args.WaitS < 0 || args.WaitS > MaxWaitS {
			return mcp.NewToolResultError(fmt.Sprintf("wait_s %g is out of range; give 0 to %d seconds (hosts give up on a call after about 60 s), and call again to wait longer", args.WaitS, MaxWaitS)), nil
		}
		st, err := s.Jobs.Wait(ctx, args.JobID, time.Duration(args.WaitS*float64(time.Second)))
		if errors.Is(err, memory.ErrJobNotFound) {
			return mcp.NewToolResultError(fmt.Sprintf("job %q is not known; list jobs with list_jobs", args.JobID)), nil
		}
		if err != nil {
			return nil, err
		}
		r := jobStatus(st)
		return mcp.NewToolResultStructured(r, jobLine(r)), nil
	})
}

// JobIDArgs name one job.
type JobIDArgs struct {
	JobID string `json:"job_id" jsonschema:"the job's id"`
}

// JobResultTool is the MCP definition of job_result. It has no output
// schema: the result is the run_benchmark or compare_models result the job made.
func JobResultTool() mcp.Tool {
	return mcp.NewTool("job_result",
		mcp.WithDescription("A finished job's result, as the blocking call returns it."),
		mcp.WithInputSchema[JobIDArgs](),
		mcp.WithTitleAnnotation("Job result"),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// JobResultHandler is the MCP handler of job_result.
func (s *Service) JobResultHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewTypedToolHandler(func(ctx context.Context, req mcp.CallToolRequest, args JobIDArgs) (*mcp.CallToolResult, error) {
		return s.jobResult(args.JobID)
	})
}

// CancelJobTool is the MCP definition of cancel_job.
func CancelJobTool() mcp.Tool {
	return mcp.NewTool("cancel_job",
		mcp.WithDescription("Cancel a queued or running job; its runs stay resumable."),
		mcp.WithInputSchema[JobIDArgs](),
		terseOutputSchema[JobStatusResult](),
		mcp.WithTitleAnnotation("Cancel a job"),
		mcp.WithReadOnlyHintAnnotation(false),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(false),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// CancelJobHandler is the MCP handler of cancel_job.
func (s *Service) CancelJobHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewTypedToolHandler(func(ctx context.Context, req mcp.CallToolRequest, args JobIDArgs) (*mcp.CallToolResult, error) {
		st, err := s.Jobs.Cancel(args.JobID)
		switch {
		case errors.Is(err, memory.ErrJobNotFound):
			return mcp.NewToolResultError(fmt.Sprintf("job %q is not known; list jobs with list_jobs", args.JobID)), nil
		case errors.Is(err, jobs.ErrFinished):
			return mcp.NewToolResultError(fmt.Sprintf("job %s is already %s; nothing to cancel (job_result gives its result)", args.JobID, st.Status)), nil
		case err != nil:
			return nil, err
		}
		r := jobStatus(st)
		return mcp.NewToolResultStructured(r, jobLine(r)), nil
	})
}

// ListJobsArgs are the arguments of list_jobs.
type ListJobsArgs struct {
	Status string `json:"status,omitempty" jsonschema:"only jobs in this state (default all)"`
	Limit  int    `json:"limit,omitempty" jsonschema:"most recent jobs, 1-200 (default 20)"`
}

// ListJobsResult is what list_jobs returns.
type ListJobsResult struct {
	Jobs []JobStatusResult `json:"jobs" jsonschema:"newest first"`
}

// ListJobsTool is the MCP definition of list_jobs.
func ListJobsTool() mcp.Tool {
	return mcp.NewTool("list_jobs",
		mcp.WithDescription("List jobs, newest first, with status and progress."),
		mcp.WithInputSchema[ListJobsArgs](),
		outputSchema[ListJobsResult](),
		mcp.WithTitleAnnotation("List jobs"),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// ListJobsHandler is the MCP handler of list_jobs.
func (s *Service) ListJobsHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewTypedToolHandler(func(ctx context.Context, req mcp.CallToolRequest, args ListJobsArgs) (*mcp.CallToolResult, error) {
		res, err := s.ListJobs(args)
		if err != nil {
			return toolError(err)
		}
		var b strings.Builder
		for _, j := range res.Jobs {
			b.WriteString("- " + jobLine(j) + "\n")
		}
		if len(res.Jobs) == 0 {
			b.WriteString("No jobs.\n")
		}
		return mcp.NewToolResultStructured(res, b.String()), nil
	})
}

// ListJobs lists jobs newest first: live ones with their queue position and ETA.
func (s *Service) ListJobs(args ListJobsArgs) (*ListJobsResult, error) {
	f := memory.JobFilter{Limit: args.Limit}
	if args.Status != "" {
		st, err := record.ParseJobStatus(args.Status)
		if err != nil {
			return nil, userErrorf("status %q is not one of: %s", args.Status, record.Names(record.JobStatuses))
		}
		f.Status = st
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultJobList
	case f.Limit < 1 || f.Limit > MaxJobList:
		return nil, userErrorf("limit %d is out of range; give 1 to %d", args.Limit, MaxJobList)
	}
	stored, err := s.Store.ListJobs(f)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	res := &ListJobsResult{Jobs: []JobStatusResult{}}
	for _, j := range stored {
		st := jobs.Status{Job: j}
		if s.Jobs != nil {
			if live, err := s.Jobs.Get(j.ID); err == nil {
				st = live
			}
		}
		res.Jobs = append(res.Jobs, jobStatus(st))
	}
	return res, nil
}

// WorkQueue runs the stored queued and interrupted jobs in this process
// until none is left or ctx ends (the running ones are then stored
// interrupted, to resume later); progress is told about each job's progress.
func (s *Service) WorkQueue(ctx context.Context, progress func(record.Job)) error {
	s.EnableJobs()
	s.Jobs.SetNotify(progress)
	if err := s.RecoverJobs(); err != nil {
		return err
	}
	defer s.Jobs.Shutdown(30 * time.Second)
	return s.Jobs.Idle(ctx)
}
