package tools

// The Tasks extension (io.modelcontextprotocol/tasks, SEP-2663, MCP
// 2026-07-28). A client that declares it on a call of a tool that runs as a
// job gets a task at once instead of waiting: the task is the job, stored
// before the call answers, and tasks/get, tasks/cancel read and stop it
// through the job layer, across server restarts. The server's task layer
// (server/tasks.go) speaks the wire; this file says what a job is as a task.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
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

// TasksExtension is the Tasks extension's identifier: clients declare it
// in each request's capabilities, the server advertises it in discover.
const TasksExtension = "io.modelcontextprotocol/tasks"

// TaskCreatedKey marks a tool result that stands for a task just created:
// its _meta holds the task (a Task) under this key, and the server's task
// layer sends that task, flat, as the call's CreateTaskResult. No other
// result carries the key.
const TaskCreatedKey = "io.github.benchmcp/task-created"

// JobTaskPoll is the poll interval a job's task suggests: jobs take
// minutes, their state moves every few seconds.
const JobTaskPoll = 2 * time.Second

// Task statuses of the Tasks extension.
const (
	TaskWorking       = "working"
	TaskInputRequired = "input_required"
	TaskCompleted     = "completed"
	TaskFailed        = "failed"
	TaskCancelled     = "cancelled"
)

// ErrTaskNotFound: no task of this client has the id (never created, purged,
// or another client's: the answer does not tell them apart).
var ErrTaskNotFound = errors.New("task not found")

// Task is a task as tasks/get and CreateTaskResult carry it (the Tasks
// extension's DetailedTask, without resultType).
type Task struct {
	TaskID        string `json:"taskId"`
	Status        string `json:"status"`
	StatusMessage string `json:"statusMessage,omitempty"`
	CreatedAt     string `json:"createdAt"`
	LastUpdatedAt string `json:"lastUpdatedAt"`
	// TTLMs is how long after its creation the task may be forgotten;
	// null: kept until deleted (a job stays in the store).
	TTLMs          *int64 `json:"ttlMs"`
	PollIntervalMs int64  `json:"pollIntervalMs,omitempty"`
	// Result is the tool's result, as the blocking call returns it, once
	// the task is completed (a tool error is a completed task whose result
	// has isError).
	Result json.RawMessage `json:"result,omitempty"`
	// Error is the JSON-RPC error of a failed task: the call could not be
	// served at all.
	Error *mcp.JSONRPCErrorDetails `json:"error,omitempty"`
	// InputRequests are the requests a task in input_required waits on.
	InputRequests map[string]any `json:"inputRequests,omitempty"`
}

// Created is the task as a CreateTaskResult carries it: the state without
// result, error or input requests.
func (t Task) Created() Task {
	t.Result, t.Error, t.InputRequests = nil, nil, nil
	return t
}

// TaskTime formats a task time as the extension wants it (ISO 8601, UTC).
func TaskTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// TasksDeclared reports whether the client declared the Tasks extension on
// this request (2026-07-28: capabilities come with every request; the
// extension is not defined for earlier revisions).
func TasksDeclared(ctx context.Context) bool {
	info := mcpserver.RequestProtocolInfoFromContext(ctx)
	if info == nil || !info.Modern || info.ClientCapabilities == nil {
		return false
	}
	_, ok := info.ClientCapabilities.Extensions[TasksExtension]
	return ok
}

// TaskCreatedResult is what a tool handler returns for a task it created;
// the task layer turns it into the CreateTaskResult. The text says what
// happened for a transport that does not.
func TaskCreatedResult(t Task) *mcp.CallToolResult {
	res := mcp.NewToolResultText(fmt.Sprintf("Task %s created (%s); follow it with tasks/get.", t.TaskID, t.Status))
	res.Meta = mcp.NewMetaFromMap(map[string]any{TaskCreatedKey: t.Created()})
	return res
}

// taskTicket is the secret half of a job task's id; the job stores its hash.
type taskTicket struct{ secret string }

func newTaskTicket() taskTicket {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return taskTicket{secret: hex.EncodeToString(b)}
}

func taskHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

type taskTicketKey struct{}

// submitter is who submits a job from this call: its client, and the task
// ticket when the call is to become a task.
func submitter(ctx context.Context) jobs.By {
	by := jobs.By{Client: clientOf(ctx)}
	if t, ok := ctx.Value(taskTicketKey{}).(taskTicket); ok {
		by.TaskHash = taskHash(t.secret)
	}
	return by
}

// jobTaskID is the task id of a job: its id, a dot, and the ticket's
// secret (128 random bits), so that the id cannot be guessed from the job
// id, which every client may see.
func jobTaskID(jobID string, t taskTicket) string { return jobID + "." + t.secret }

// Task is the job behind task id as a task, for client. A task of another
// client, or an id whose secret does not match, is ErrTaskNotFound.
func (s *Service) Task(id, client string) (Task, error) {
	st, err := s.taskJob(id, client)
	if err != nil {
		return Task{}, err
	}
	t := Task{
		TaskID:         id,
		CreatedAt:      TaskTime(st.CreatedAt),
		LastUpdatedAt:  TaskTime(lastUpdate(st.Job)),
		PollIntervalMs: JobTaskPoll.Milliseconds(),
	}
	switch st.Status {
	case record.JobCompleted, record.JobFailed:
		// A failed job is what the blocking call answers with a tool
		// error: the task completed, its result says why (isError).
		res, err := s.jobResult(st.ID)
		if err != nil {
			return Task{}, err
		}
		b, err := json.Marshal(res)
		if err != nil {
			return Task{}, fmt.Errorf("encode the result of job %s: %w", st.ID, err)
		}
		t.Status, t.Result = TaskCompleted, withResultType(b)
		if st.Status == record.JobFailed {
			t.StatusMessage = "the tool failed: " + st.Error
		}
	case record.JobCancelled:
		t.Status, t.StatusMessage = TaskCancelled, "cancelled"
	default:
		t.Status, t.StatusMessage = TaskWorking, jobLine(jobStatus(st))
	}
	return t, nil
}

// CancelTask cancels the job behind task id; a task that has ended is left
// as it is (cancelling it again is not an error).
func (s *Service) CancelTask(id, client string) error {
	st, err := s.taskJob(id, client)
	if err != nil {
		return err
	}
	if st.Status.Terminal() {
		return nil
	}
	if _, err := s.Jobs.Cancel(st.ID); err != nil && !errors.Is(err, jobs.ErrFinished) {
		return err
	}
	return nil
}

// UpdateTask takes a client's answers to a task's input requests. A job
// never asks for input, so there is nothing to answer: the answers are
// ignored, as the extension says unknown keys are.
func (s *Service) UpdateTask(id, client string, _ map[string]json.RawMessage) error {
	_, err := s.taskJob(id, client)
	return err
}

func (s *Service) taskJob(id, client string) (jobs.Status, error) {
	jobID, secret, ok := strings.Cut(id, ".")
	if !ok || s.Jobs == nil {
		return jobs.Status{}, ErrTaskNotFound
	}
	st, err := s.Jobs.Get(jobID)
	if errors.Is(err, memory.ErrJobNotFound) {
		return jobs.Status{}, ErrTaskNotFound
	}
	if err != nil {
		return jobs.Status{}, err
	}
	if st.TaskHash == "" || subtle.ConstantTimeCompare([]byte(st.TaskHash), []byte(taskHash(secret))) != 1 || st.Client != client {
		return jobs.Status{}, ErrTaskNotFound
	}
	return st, nil
}

func lastUpdate(j record.Job) time.Time {
	t := j.CreatedAt
	for _, u := range []time.Time{j.StartedAt, j.AttemptAt, j.EndedAt} {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// withResultType adds resultType "complete" to a marshalled result that has
// none: the 2026-07-28 requester reads a task's result as a CallToolResult,
// which carries one.
func withResultType(b []byte) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	if _, ok := m["resultType"]; ok {
		return b
	}
	m["resultType"] = json.RawMessage(`"complete"`)
	out, err := json.Marshal(m)
	if err != nil {
		return b
	}
	return out
}
