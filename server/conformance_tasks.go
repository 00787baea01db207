package server

// The Tasks extension's conformance fixtures (conformance 0.2.0-alpha.12,
// scenarios tasks-*): greet, slow_compute, failing_job, protocol_error_job,
// confirm_delete, multi_input and test_tool_with_task, with their tasks
// kept in memory (fixtureTasks), served by the same task layer as the jobs'
// tasks. Registered only with --conformance-fixtures.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/benchmcp/benchmcp/tools"
)

// fixtureTaskPrefix starts the id of every fixture task, so that the task
// layer sends them here and not to the job layer.
const fixtureTaskPrefix = "f-"

// fixtureTaskTTL is how long a fixture task is kept after its creation.
const fixtureTaskTTL = time.Hour

// fixtureTasks holds the fixtures' tasks.
type fixtureTasks struct {
	mu    sync.Mutex
	tasks map[string]*fixtureTask
	keys  int // input request keys minted: a key is never used twice
}

type fixtureTask struct {
	client  string
	state   tools.Task
	created time.Time
	cancel  context.CancelFunc
	pending map[string]any             // input requests not yet answered
	answers map[string]json.RawMessage // answers to them
	changed chan struct{}              // closed and replaced on every answer
}

func newFixtureTasks() *fixtureTasks { return &fixtureTasks{tasks: map[string]*fixtureTask{}} }

// fixtureRun is what a fixture task's body may do besides returning.
type fixtureRun struct {
	f  *fixtureTasks
	id string
}

// ask puts the task in input_required with requests (elicitation/create
// params, under fresh keys) and waits until every one is answered; it
// returns the answers by the order of requests.
func (r fixtureRun) ask(ctx context.Context, requests ...mcp.ElicitationParams) ([]json.RawMessage, error) {
	f := r.f
	f.mu.Lock()
	t := f.tasks[r.id]
	if t.state.Status == tools.TaskCancelled {
		f.mu.Unlock()
		return nil, context.Canceled
	}
	keys := make([]string, len(requests))
	for i, p := range requests {
		f.keys++
		keys[i] = fmt.Sprintf("input-%d", f.keys)
		t.pending[keys[i]] = mcp.NewElicitationInputRequest(p)
	}
	t.state.Status, t.state.StatusMessage = tools.TaskInputRequired, "waiting for the client's answers (tasks/update)"
	t.state.LastUpdatedAt = tools.TaskTime(time.Now())
	f.mu.Unlock()
	for {
		f.mu.Lock()
		left, ch := 0, t.changed
		for _, k := range keys {
			if _, ok := t.answers[k]; !ok {
				left++
			}
		}
		if left == 0 {
			out := make([]json.RawMessage, len(keys))
			for i, k := range keys {
				out[i] = t.answers[k]
			}
			t.state.Status, t.state.StatusMessage = tools.TaskWorking, "answers received"
			t.state.LastUpdatedAt = tools.TaskTime(time.Now())
			f.mu.Unlock()
			return out, nil
		}
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// start creates a task for client, stored before it returns, and runs body
// on it; body's result completes the task, its error fails it.
func (f *fixtureTasks) start(client string, body func(context.Context, fixtureRun) (*mcp.CallToolResult, *mcp.JSONRPCErrorDetails)) tools.Task {
	b := make([]byte, 16)
	rand.Read(b)
	id := fixtureTaskPrefix + hex.EncodeToString(b)
	now := time.Now()
	ttl := fixtureTaskTTL.Milliseconds()
	ctx, cancel := context.WithCancel(context.Background())
	t := &fixtureTask{
		client: client, created: now, cancel: cancel,
		pending: map[string]any{}, answers: map[string]json.RawMessage{}, changed: make(chan struct{}),
		state: tools.Task{TaskID: id, Status: tools.TaskWorking, StatusMessage: "working",
			CreatedAt: tools.TaskTime(now), LastUpdatedAt: tools.TaskTime(now), TTLMs: &ttl, PollIntervalMs: 200},
	}
	f.mu.Lock()
	f.tasks[id] = t
	created := t.state
	f.mu.Unlock()
	go func() {
		res, rpcErr := body(ctx, fixtureRun{f: f, id: id})
		f.mu.Lock()
		defer f.mu.Unlock()
		if t.state.Status == tools.TaskCancelled {
			return
		}
		t.state.LastUpdatedAt = tools.TaskTime(time.Now())
		t.pending = map[string]any{}
		switch {
		case rpcErr != nil:
			t.state.Status, t.state.StatusMessage, t.state.Error = tools.TaskFailed, rpcErr.Message, rpcErr
		case res != nil:
			b, _ := json.Marshal(res)
			var m map[string]any
			json.Unmarshal(b, &m)
			m["resultType"] = "complete"
			t.state.Result, _ = json.Marshal(m)
			t.state.Status, t.state.StatusMessage = tools.TaskCompleted, "completed"
		default:
			t.state.Status, t.state.StatusMessage = tools.TaskCancelled, "cancelled"
		}
	}()
	return created
}

// get finds client's task id; expired tasks are forgotten.
func (f *fixtureTasks) get(id, client string) (*fixtureTask, error) {
	t, ok := f.tasks[id]
	if ok && time.Since(t.created) > fixtureTaskTTL {
		delete(f.tasks, id)
		ok = false
	}
	if !ok || t.client != client {
		return nil, tools.ErrTaskNotFound
	}
	return t, nil
}

func (f *fixtureTasks) Task(id, client string) (tools.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.get(id, client)
	if err != nil {
		return tools.Task{}, err
	}
	st := t.state
	if st.Status == tools.TaskInputRequired {
		st.InputRequests = map[string]any{}
		for k, v := range t.pending {
			st.InputRequests[k] = v
		}
	}
	return st, nil
}

func (f *fixtureTasks) CancelTask(id, client string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.get(id, client)
	if err != nil {
		return err
	}
	switch t.state.Status {
	case tools.TaskCompleted, tools.TaskFailed, tools.TaskCancelled:
		return nil
	}
	t.cancel()
	t.pending = map[string]any{}
	t.state.Status, t.state.StatusMessage, t.state.LastUpdatedAt = tools.TaskCancelled, "cancelled by the client", tools.TaskTime(time.Now())
	return nil
}

// UpdateTask records the answers to pending requests; answers to keys that
// are not pending are ignored, unread.
func (f *fixtureTasks) UpdateTask(id, client string, answers map[string]json.RawMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.get(id, client)
	if err != nil {
		return err
	}
	took := false
	for k, v := range answers {
		if _, ok := t.pending[k]; ok {
			delete(t.pending, k)
			t.answers[k] = v
			took = true
		}
	}
	if took {
		close(t.changed)
		t.changed = make(chan struct{})
	}
	return nil
}

// sleepCtx sleeps d or until ctx ends; false if ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

func accepted(answer json.RawMessage) (map[string]any, bool) {
	var r mcp.ElicitationResult
	if json.Unmarshal(answer, &r) != nil || r.Action != mcp.ElicitationResponseActionAccept {
		return nil, false
	}
	m, _ := r.Content.(map[string]any)
	return m, true
}

// addTaskFixtures registers the Tasks extension's fixtures on s, their tasks
// in f.
func addTaskFixtures(s *mcpserver.MCPServer, f *fixtureTasks) {
	client := tools.ClientOf
	needTask := func(name string) error { return handlerError(needTasksExtension(name)) }
	s.AddTool(fixtureTool("greet", "Greets by name; never a task",
		mcp.WithString("name", mcp.Required())),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("Hello, " + req.GetString("name", "") + "!"), nil
		})
	s.AddTool(fixtureTool("slow_compute", "Computes for the given seconds: a task when the client declares the Tasks extension, else a blocking call",
		mcp.WithNumber("seconds", mcp.Required()), mcp.WithString("label")),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			secs, label := req.GetFloat("seconds", 0), req.GetString("label", "")
			d := time.Duration(secs * float64(time.Second))
			text := fmt.Sprintf("computed %s after %gs", label, secs)
			if !tools.TasksDeclared(ctx) || secs <= 0 {
				if !sleepCtx(ctx, d) {
					return nil, ctx.Err()
				}
				return mcp.NewToolResultText(text), nil
			}
			return tools.TaskCreatedResult(f.start(client(ctx), func(ctx context.Context, _ fixtureRun) (*mcp.CallToolResult, *mcp.JSONRPCErrorDetails) {
				if !sleepCtx(ctx, d) {
					return nil, nil
				}
				return mcp.NewToolResultText(text), nil
			})), nil
		})
	s.AddTool(fixtureTool("failing_job", "A task (required) whose tool fails after a second"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if !tools.TasksDeclared(ctx) {
				return nil, needTask("failing_job")
			}
			return tools.TaskCreatedResult(f.start(client(ctx), func(ctx context.Context, _ fixtureRun) (*mcp.CallToolResult, *mcp.JSONRPCErrorDetails) {
				if !sleepCtx(ctx, time.Second) {
					return nil, nil
				}
				return mcp.NewToolResultError("failing_job failed, as it always does"), nil
			})), nil
		})
	s.AddTool(fixtureTool("protocol_error_job", "A task (required) that ends in a JSON-RPC error"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if !tools.TasksDeclared(ctx) {
				return nil, needTask("protocol_error_job")
			}
			return tools.TaskCreatedResult(f.start(client(ctx), func(ctx context.Context, _ fixtureRun) (*mcp.CallToolResult, *mcp.JSONRPCErrorDetails) {
				if !sleepCtx(ctx, 200*time.Millisecond) {
					return nil, nil
				}
				return nil, &mcp.JSONRPCErrorDetails{Code: mcp.INTERNAL_ERROR, Message: "protocol_error_job ended in an internal error, as it always does"}
			})), nil
		})
	confirm := mcp.ElicitationParams{Mode: "form", RequestedSchema: map[string]any{
		"type": "object", "properties": map[string]any{"confirm": map[string]any{"type": "boolean"}}, "required": []string{"confirm"}}}
	s.AddTool(fixtureTool("confirm_delete", "A task (required) that asks the client to confirm before it deletes a file (nothing is deleted)",
		mcp.WithString("filename", mcp.Required())),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if !tools.TasksDeclared(ctx) {
				return nil, needTask("confirm_delete")
			}
			name := req.GetString("filename", "")
			return tools.TaskCreatedResult(f.start(client(ctx), func(ctx context.Context, run fixtureRun) (*mcp.CallToolResult, *mcp.JSONRPCErrorDetails) {
				p := confirm
				p.Message = "Delete " + name + "?"
				answers, err := run.ask(ctx, p)
				if err != nil {
					return nil, nil
				}
				if c, ok := accepted(answers[0]); ok && c["confirm"] == true {
					return mcp.NewToolResultText("deleted " + name), nil
				}
				return mcp.NewToolResultText("kept " + name), nil
			})), nil
		})
	s.AddTool(fixtureTool("multi_input", "A task (required) that asks two questions at once"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if !tools.TasksDeclared(ctx) {
				return nil, needTask("multi_input")
			}
			return tools.TaskCreatedResult(f.start(client(ctx), func(ctx context.Context, run fixtureRun) (*mcp.CallToolResult, *mcp.JSONRPCErrorDetails) {
				name := mcp.ElicitationParams{Mode: "form", Message: "Your name?", RequestedSchema: map[string]any{
					"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "required": []string{"name"}}}
				ok := confirm
				ok.Message = "Go ahead?"
				answers, err := run.ask(ctx, name, ok)
				if err != nil {
					return nil, nil
				}
				return mcp.NewToolResultText(fmt.Sprintf("got %d answers", len(answers))), nil
			})), nil
		})
	s.AddTool(fixtureTool("test_tool_with_task", "Asks for a name in the call (input_required), then greets in a task (required)"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if !tools.TasksDeclared(ctx) {
				return nil, needTask("test_tool_with_task")
			}
			answer := mcpserver.ElicitationResponse(req.Params.InputResponses, "user_name")
			if answer == nil {
				return mcpserver.NewInputRequestBuilder("").Elicit("user_name", mcp.ElicitationParams{
					Mode: "form", Message: "What is your name?", RequestedSchema: map[string]any{
						"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "required": []string{"name"}},
				}).ToolResult(), nil
			}
			name := "stranger"
			if c, ok := answer.Content.(map[string]any); ok {
				if n, ok := c["name"].(string); ok && n != "" {
					name = n
				}
			}
			return tools.TaskCreatedResult(f.start(client(ctx), func(ctx context.Context, _ fixtureRun) (*mcp.CallToolResult, *mcp.JSONRPCErrorDetails) {
				if !sleepCtx(ctx, 100*time.Millisecond) {
					return nil, nil
				}
				return mcp.NewToolResultText("Hello, " + name + "!"), nil
			})), nil
		})
}
