package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
)

// tsClientHelp says how to get the official TypeScript clients.
const tsClientHelp = "`make test` installs them; by hand: eval \"$(scripts/tsclient.sh)\" && go test ./server/ " +
	"(Node 22 and npm ci of server/testdata/tsclient into .tools, once)"

// tsClient is the node binary and the node_modules of
// server/testdata/tsclient that scripts/tsclient.sh installed, from
// BENCHMCP_NODE and BENCHMCP_TSCLIENT_MODULES. Unset, the test fails and
// says what to run: there is no silent skip.
func tsClient(t *testing.T) (node, modules string) {
	t.Helper()
	node, modules = os.Getenv("BENCHMCP_NODE"), os.Getenv("BENCHMCP_TSCLIENT_MODULES")
	if node == "" || modules == "" {
		t.Fatal("the official TypeScript MCP clients are not installed (BENCHMCP_NODE, BENCHMCP_TSCLIENT_MODULES unset): " + tsClientHelp)
	}
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("BENCHMCP_NODE: %v; %s", err, tsClientHelp)
	}
	for _, pkg := range []string{"client", "ext-tasks", "sdk"} {
		if _, err := os.Stat(filepath.Join(modules, "@modelcontextprotocol", pkg, "package.json")); err != nil {
			t.Fatalf("BENCHMCP_TSCLIENT_MODULES: %v; %s", err, tsClientHelp)
		}
	}
	return node, modules
}

// runTSClient runs one script of testdata/tsclient with node on
// (url, tool, args) and decodes the JSON object it prints into out. The
// script runs from a temp dir beside a link to the installed node_modules
// (ESM imports resolve from the script's own directory).
func runTSClient(t *testing.T, node, modules, script, url, tool string, args any, out any) {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "tsclient", script))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, script), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(args)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, url, tool, string(a))
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("node %s: %s", script, time.Since(start).Round(time.Millisecond))
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil || runErr != nil {
		t.Fatalf("node %s: %v (decode: %v)\nstdout: %s\nstderr: %s", script, runErr, err, stdout.Bytes(), stderr.Bytes())
	}
}

// TestOfficialTSClients: the official TypeScript MCP clients run
// run_benchmark as a task over Streamable HTTP, to completion, at both
// protocol revisions, against one benchmcp server on a real Ollama:
//   - 2026-07-28: @modelcontextprotocol/client's Client pinned to
//     2026-07-28 with @modelcontextprotocol/ext-tasks' requester session
//     (createTaskSessionFromClient, callTool, settle,
//     resultFromTaskOutcome) gets a flat CreateTaskResult, follows the task
//     with tasks/get, and takes the result that tasks/get inlines;
//   - 2025-11-25: @modelcontextprotocol/sdk's Client asks for a task
//     (params.task, client.experimental.tasks.callToolStream) and follows
//     it with tasks/get and tasks/result.
//
// Each result is the completed run (status, samples, run id), and the run
// is in the store, read back through the runs resource.
func TestOfficialTSClients(t *testing.T) {
	node, modules := tsClient(t)
	m, _ := serveModern(t, "http", filepath.Join(t.TempDir(), "bench.db"))
	args := map[string]any{"model": "tiny-m", "tasks": quickTasks()[:3], "iterations": 3}
	const samples = 9
	runs := map[string]string{} // revision -> run id

	// result decodes a CallToolResult into the run it stands for.
	result := func(t *testing.T, raw json.RawMessage) tools.RunBenchmarkResult {
		t.Helper()
		var res struct {
			StructuredContent tools.RunBenchmarkResult `json:"structuredContent"`
			IsError           bool                     `json:"isError"`
		}
		if err := json.Unmarshal(raw, &res); err != nil || res.IsError {
			t.Fatalf("result %s: %v", raw, err)
		}
		r := res.StructuredContent
		if r.Status != "completed" || r.Summary.Samples != samples || r.RunID == "" || r.JobID == "" {
			t.Errorf("result: status %q, %d samples, run %q, job %q; want a completed run of %d", r.Status, r.Summary.Samples, r.RunID, r.JobID, samples)
		}
		return r
	}

	t.Run("2026-07-28", func(t *testing.T) {
		var out struct {
			Era                string          `json:"era"`
			ServerCapabilities json.RawMessage `json:"serverCapabilities"`
			Kind               string          `json:"kind"`
			TaskID             string          `json:"taskId"`
			Statuses           []string        `json:"statuses"`
			OutcomeStatus      string          `json:"outcomeStatus"`
			Result             json.RawMessage `json:"result"`
			Exchanges          []struct {
				Request  map[string]any `json:"request"`
				Response struct {
					Result map[string]any `json:"result"`
					Error  any            `json:"error"`
				} `json:"response"`
			} `json:"exchanges"`
		}
		runTSClient(t, node, modules, "tasks-2026.mjs", m.url, "run_benchmark", args, &out)
		if out.Era != "modern" || !strings.Contains(string(out.ServerCapabilities), `"`+tools.TasksExtension+`":{}`) {
			t.Errorf("connected in era %q with server capabilities %s; want modern, with the Tasks extension", out.Era, out.ServerCapabilities)
		}
		// The requester's wire: tools/call answered with a flat
		// CreateTaskResult, then tasks/get until the task completed.
		if len(out.Exchanges) < 2 || out.Exchanges[0].Request["method"] != "tools/call" {
			t.Fatalf("exchanges %+v; want tools/call, then tasks/get", out.Exchanges)
		}
		created := out.Exchanges[0].Response.Result
		if created["resultType"] != "task" || created["taskId"] != out.TaskID || created["status"] != tools.TaskWorking ||
			created["pollIntervalMs"] == nil || created["content"] != nil {
			t.Errorf("tools/call answered %v; want a working CreateTaskResult for %s", created, out.TaskID)
		}
		last := out.Exchanges[len(out.Exchanges)-1]
		if last.Request["method"] != "tasks/get" || last.Response.Result["status"] != tools.TaskCompleted || last.Response.Result["result"] == nil {
			t.Errorf("last exchange %+v; want tasks/get of the completed task with its result", last)
		}
		if out.Kind != "task" || out.OutcomeStatus != "completed" || len(out.Statuses) == 0 || out.Statuses[len(out.Statuses)-1] != tools.TaskCompleted {
			t.Errorf("execution %q, statuses %v, outcome %q; want a task that completed", out.Kind, out.Statuses, out.OutcomeStatus)
		}
		r := result(t, out.Result)
		if !strings.HasPrefix(out.TaskID, r.JobID+".") {
			t.Errorf("task %q is not of the run's job %q", out.TaskID, r.JobID)
		}
		runs["2026-07-28"] = r.RunID
	})

	t.Run("2025-11-25", func(t *testing.T) {
		var out struct {
			ProtocolVersion    string                     `json:"protocolVersion"`
			ServerCapabilities map[string]json.RawMessage `json:"serverCapabilities"`
			ToolExecution      map[string]any             `json:"toolExecution"`
			TaskID             string                     `json:"taskId"`
			Stream             []map[string]any           `json:"stream"`
			Result             json.RawMessage            `json:"result"`
			Wire               []struct {
				Sent map[string]any `json:"sent"`
			} `json:"wire"`
		}
		runTSClient(t, node, modules, "tasks-2025.mjs", m.url, "run_benchmark", args, &out)
		if out.ProtocolVersion != "2025-11-25" || out.ServerCapabilities["tasks"] == nil {
			t.Errorf("negotiated %q with server capabilities %v; want 2025-11-25 with tasks", out.ProtocolVersion, out.ServerCapabilities)
		}
		if out.ToolExecution["taskSupport"] != "optional" {
			t.Errorf("run_benchmark's execution %v; want taskSupport optional", out.ToolExecution)
		}
		if out.TaskID == "" || len(out.Stream) < 3 || out.Stream[0]["type"] != "taskCreated" || out.Stream[len(out.Stream)-1]["type"] != "result" {
			t.Fatalf("task %q, stream %v; want taskCreated, taskStatus..., result", out.TaskID, out.Stream)
		}
		if s := out.Stream[len(out.Stream)-2]; s["type"] != "taskStatus" || s["status"] != tools.TaskCompleted {
			t.Errorf("status before the result %v; want completed", s)
		}
		var methods []string
		for _, w := range out.Wire {
			if method, _ := w.Sent["method"].(string); method != "" {
				methods = append(methods, method)
			}
		}
		if got := strings.Join(methods, " "); !strings.Contains(got, "tools/call tasks/get") || !strings.HasSuffix(got, "tasks/get tasks/result") {
			t.Errorf("the client sent %s; want tools/call, tasks/get..., tasks/result", got)
		}
		runs["2025-11-25"] = result(t, out.Result).RunID
	})

	// Both runs are stored, whole: read back through benchmcp.
	for rev, id := range runs {
		res := m.must("resources/read", map[string]any{"uri": "benchmcp://runs/" + id}, false)
		var contents []struct {
			Text string `json:"text"`
		}
		b, _ := json.Marshal(res["contents"])
		json.Unmarshal(b, &contents)
		var line memory.Line
		if len(contents) != 1 || json.Unmarshal([]byte(contents[0].Text), &line) != nil {
			t.Fatalf("%s: run %s: resource %s", rev, id, b)
		}
		if line.Run.ID != id || line.Run.Status != "completed" || len(line.Samples) != samples {
			t.Errorf("%s: stored run %q is %q with %d samples; want %s completed with %d", rev, line.Run.ID, line.Run.Status, len(line.Samples), id, samples)
		}
	}
	if len(runs) != 2 || runs["2026-07-28"] == runs["2025-11-25"] {
		t.Errorf("runs %v; want one per revision", runs)
	}
}
