package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/tools"
)

// modern is a client of the 2026-07-28 wire (no initialize, no session:
// every request carries its protocol version and capabilities), over
// Streamable HTTP (url) or a stdio process (in, out).
type modern struct {
	t     *testing.T
	url   string
	token string
	in    io.Writer
	out   *bufio.Reader
	mu    sync.Mutex
	id    int
}

type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// send sends one request; tasks says whether it declares the Tasks
// extension. It returns the result or the JSON-RPC error.
func (m *modern) send(method string, params map[string]any, tasks bool) (map[string]any, *rpcError) {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.id++
	caps := map[string]any{}
	if tasks {
		caps["extensions"] = map[string]any{tools.TasksExtension: map[string]any{}}
	}
	if params == nil {
		params = map[string]any{}
	}
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "tasks-e2e", "version": "1"},
		"io.modelcontextprotocol/clientCapabilities": caps,
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.id, "method": method, "params": params})
	var raw []byte
	if m.url != "" {
		req, _ := http.NewRequest(http.MethodPost, m.url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", method)
		switch {
		case params["name"] != nil:
			req.Header.Set("Mcp-Name", fmt.Sprint(params["name"]))
		case params["taskId"] != nil:
			req.Header.Set("Mcp-Name", fmt.Sprint(params["taskId"]))
		case params["uri"] != nil:
			req.Header.Set("Mcp-Name", fmt.Sprint(params["uri"]))
		}
		if m.token != "" {
			req.Header.Set("Authorization", "Bearer "+m.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			m.t.Fatalf("%s: %v", method, err)
		}
		raw, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			raw = lastSSEResponse(raw)
		}
	} else {
		m.in.Write(append(body, '\n'))
		for {
			line, err := m.out.ReadBytes('\n')
			if err != nil {
				m.t.Fatalf("%s: read stdio: %v", method, err)
			}
			var probe struct {
				ID json.RawMessage `json:"id"`
			}
			if json.Unmarshal(line, &probe) == nil && string(probe.ID) == fmt.Sprint(m.id) {
				raw = line
				break
			}
		}
	}
	var resp struct {
		Result map[string]any `json:"result"`
		Error  *rpcError      `json:"error"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		m.t.Fatalf("%s: response %q: %v", method, raw, err)
	}
	return resp.Result, resp.Error
}

func lastSSEResponse(raw []byte) []byte {
	var last []byte
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok && bytes.Contains(d, []byte(`"id"`)) {
			last = d
		}
	}
	return last
}

// must is send that fails the test on an error.
func (m *modern) must(method string, params map[string]any, tasks bool) map[string]any {
	m.t.Helper()
	res, e := m.send(method, params, tasks)
	if e != nil {
		m.t.Fatalf("%s %v: error %d %s %s", method, params, e.Code, e.Message, e.Data)
	}
	return res
}

// waitTask polls tasks/get until the task leaves working.
func (m *modern) waitTask(id string, within time.Duration) map[string]any {
	m.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := m.must("tasks/get", map[string]any{"taskId": id}, true)
		if s := got["status"]; s != tools.TaskWorking {
			return got
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("task %s still working after %s: %v", id, within, got["statusMessage"])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// serveModern starts `benchmcp serve` on db with host local (real Ollama)
// and returns a 2026-07-28 client of it, and a kill that ends the process
// at once (SIGKILL: a crash, nothing written on the way out).
func serveModern(t *testing.T, transport, db string, args ...string) (*modern, func()) {
	t.Helper()
	hosts := "local=" + ollamatest.Get(t).URL.String()
	m := &modern{t: t}
	if transport == "http" {
		base, kill := startServer(t, "http", db, hosts, args...)
		m.url = base + "/mcp"
		return m, kill
	}
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "BENCHMCP_HOSTS="+hosts, "BENCHMCP_DB="+db)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	m.in, m.out = in, bufio.NewReaderSize(out, 1<<20)
	return m, startProcess(t, cmd)
}

// TestTasksExtension: over Streamable HTTP and stdio, a 2026-07-28 client
// that declares the Tasks extension gets run_benchmark as a task at once
// (flat CreateTaskResult), follows it with tasks/get to completed, where
// the result is the run the blocking call returns; without the
// extension the same call blocks and returns the result itself; the
// task methods refuse a client that did not declare it (-32021 with the
// capability it needs), a task id with a wrong secret is not found
// (-32602), and tasks/cancel stops a task's job and answers an empty ack,
// again for an ended task.
func TestTasksExtension(t *testing.T) {
	for _, transport := range []string{"http", "stdio"} {
		t.Run(transport, func(t *testing.T) {
			m, _ := serveModern(t, transport, filepath.Join(t.TempDir(), "bench.db"))
			args := map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 3}

			created := m.must("tools/call", map[string]any{"name": "run_benchmark", "arguments": args}, true)
			id, _ := created["taskId"].(string)
			if created["resultType"] != "task" || id == "" || created["status"] != tools.TaskWorking {
				t.Fatalf("tools/call with the extension: want a working task, got %v", created)
			}
			for _, k := range []string{"result", "content", "task", "ttl", "pollInterval"} {
				if _, ok := created[k]; ok {
					t.Errorf("CreateTaskResult has %q: %v", k, created)
				}
			}
			if ttl, ok := created["ttlMs"]; !ok || ttl != nil {
				t.Errorf("ttlMs %v (present %v); want null: a job's task is kept until deleted", ttl, ok)
			}
			done := m.waitTask(id, 5*time.Minute)
			if done["status"] != tools.TaskCompleted {
				t.Fatalf("task ended %v: %v", done["status"], done)
			}
			var fromTask struct {
				StructuredContent tools.RunBenchmarkResult `json:"structuredContent"`
				IsError           bool                     `json:"isError"`
				ResultType        string                   `json:"resultType"`
			}
			b, _ := json.Marshal(done["result"])
			if err := json.Unmarshal(b, &fromTask); err != nil || fromTask.IsError || fromTask.ResultType != "complete" {
				t.Fatalf("task result %s: %v", b, err)
			}
			if r := fromTask.StructuredContent; r.Summary.Samples != 18 || r.RunID == "" || r.JobID == "" {
				t.Errorf("task result: run %q job %q, %d samples; want a run of 18", r.RunID, r.JobID, r.Summary.Samples)
			}

			// Without the extension: a blocking call, the result itself.
			plain := m.must("tools/call", map[string]any{"name": "run_benchmark", "arguments": map[string]any{"model": "tiny-m", "tasks": quickTasks()[:2]}}, false)
			if plain["resultType"] != "complete" || plain["taskId"] != nil || plain["structuredContent"] == nil {
				t.Errorf("tools/call without the extension: want the result, got %v", plain)
			}

			// The gate, before the task id.
			for _, method := range []string{"tasks/get", "tasks/cancel", "tasks/update"} {
				_, e := m.send(method, map[string]any{"taskId": id}, false)
				if e == nil || e.Code != -32021 || !strings.Contains(string(e.Data), tools.TasksExtension) {
					t.Errorf("%s without the extension: %+v; want -32021 naming %s", method, e, tools.TasksExtension)
				}
			}
			jobID, _, _ := strings.Cut(id, ".")
			if _, e := m.send("tasks/get", map[string]any{"taskId": jobID + ".0123456789abcdef0123456789abcdef"}, true); e == nil || e.Code != -32602 {
				t.Errorf("tasks/get with a wrong secret: %+v; want -32602", e)
			}
			if _, e := m.send("tasks/get", map[string]any{"taskId": jobID}, true); e == nil || e.Code != -32602 {
				t.Errorf("tasks/get with the job id alone: %+v; want -32602", e)
			}

			// Cancel: the job stops; the ack is empty; again on an ended task.
			long := m.must("tools/call", map[string]any{"name": "run_benchmark", "arguments": map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 100}}, true)
			lid, _ := long["taskId"].(string)
			for range 2 {
				ack := m.must("tasks/cancel", map[string]any{"taskId": lid}, true)
				if len(ack) != 2 || ack["resultType"] != "complete" {
					t.Errorf("tasks/cancel ack %v; want resultType and _meta only", ack)
				}
			}
			if got := m.waitTask(lid, time.Minute); got["status"] != tools.TaskCancelled {
				t.Errorf("cancelled task: %v", got)
			}
			if _, e := m.send("tasks/list", nil, true); e == nil || e.Code != -32601 {
				t.Errorf("tasks/list at 2026-07-28: %+v; want -32601 (removed)", e)
			}
		})
	}
}

// TestTaskSurvivesRestart: a task's job outlives a server that dies (SIGKILL)
// while it runs; the next server on the store resumes it, and the same
// task id reaches it, to completed.
func TestTaskSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	m, kill := serveModern(t, "http", db)
	created := m.must("tools/call", map[string]any{"name": "run_benchmark", "arguments": map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 20}}, true)
	id, _ := created["taskId"].(string)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := m.must("tasks/get", map[string]any{"taskId": id}, true)
		if msg, _ := got["statusMessage"].(string); strings.Contains(msg, "running") && !strings.Contains(msg, " 0/") {
			break
		}
		if time.Now().After(deadline) || got["status"] != tools.TaskWorking {
			t.Fatalf("task never ran before the kill: %v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	kill()
	m2, _ := serveModern(t, "http", db)
	done := m2.waitTask(id, 5*time.Minute)
	if done["status"] != tools.TaskCompleted {
		t.Fatalf("after the restart the task ended %v: %v", done["status"], done)
	}
	var res struct {
		StructuredContent tools.RunBenchmarkResult `json:"structuredContent"`
	}
	b, _ := json.Marshal(done["result"])
	json.Unmarshal(b, &res)
	if res.StructuredContent.Summary.Samples != 120 {
		t.Errorf("resumed run has %d samples; want 120", res.StructuredContent.Summary.Samples)
	}
}

// TestClientCapWithoutSessions: 2026-07-28 requests have no session, yet
// the per-client job cap holds: every request of one bearer token is one
// client.
func TestClientCapWithoutSessions(t *testing.T) {
	m, _ := serveModern(t, "http", filepath.Join(t.TempDir(), "bench.db"), "--max-client-jobs", "1", "--token", "secret-of-e2e")
	m.token = "secret-of-e2e"
	args := func() map[string]any {
		return map[string]any{"name": "run_benchmark", "arguments": map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 100}}
	}
	first := m.must("tools/call", args(), true)
	second := m.must("tools/call", args(), true)
	if first["resultType"] != "task" {
		t.Fatalf("first call: %v", first)
	}
	if second["isError"] != true || !strings.Contains(fmt.Sprint(second["content"]), "max-client-jobs") {
		t.Errorf("second call of the same client over the cap of 1: %v; want a refusal naming --max-client-jobs", second)
	}
	m.must("tasks/cancel", map[string]any{"taskId": first["taskId"]}, true)
}

// TestEveryJobToolIsATask: each tool that runs as a job (compare_models,
// sweep, evaluate_routing online, route_task's cascade, besides
// run_benchmark) answers a client that declared the Tasks extension with a
// task, which completes with the tool's result; a call that runs nothing
// (route_task from evidence) answers at once, as the extension allows.
func TestEveryJobToolIsATask(t *testing.T) {
	m, _ := serveModern(t, "stdio", filepath.Join(t.TempDir(), "bench.db"))
	two := quickTasks()[:2]
	for _, c := range []struct {
		tool string
		args map[string]any
		key  string // a field of the structured result
	}{
		{"compare_models", map[string]any{"variants": []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-m"}}, "tasks": two}, "comparisons"},
		{"sweep", map[string]any{"axes": map[string]any{"models": []any{"tiny-m"}, "options": map[string]any{"temperature": []any{0, 0.7}}}, "tasks": two}, "cells"},
		{"evaluate_routing", map[string]any{"candidates": []any{"tiny-s", "tiny-m"}, "suite": "tiny", "iterations": 1, "online": true}, "policies"},
		{"route_task", map[string]any{"task": "What is 4821+967?", "candidates": []any{"tiny-s", "tiny-m"}, "strategy": "cascade",
			"checks": []any{map[string]any{"type": "exact", "value": "5788"}}}, "chosen"},
	} {
		created := m.must("tools/call", map[string]any{"name": c.tool, "arguments": c.args}, true)
		id, _ := created["taskId"].(string)
		if created["resultType"] != "task" || id == "" {
			t.Errorf("%s: want a task, got %v", c.tool, created)
			continue
		}
		done := m.waitTask(id, 5*time.Minute)
		res, _ := done["result"].(map[string]any)
		sc, _ := res["structuredContent"].(map[string]any)
		if done["status"] != tools.TaskCompleted || res["isError"] == true || sc[c.key] == nil {
			t.Errorf("%s: task ended %v, result %v", c.tool, done["status"], res)
		}
	}
	evidence := m.must("tools/call", map[string]any{"name": "route_task", "arguments": map[string]any{
		"task": "What is 2+2?", "candidates": []any{"tiny-s", "tiny-m"}, "strategy": "heuristic"}}, true)
	if evidence["resultType"] != "complete" || evidence["structuredContent"] == nil {
		t.Errorf("route_task by heuristic runs nothing: want its result at once, got %v", evidence)
	}
}
