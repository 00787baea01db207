package server_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// startHTTP runs `benchmcp serve --transport T` on a free port and returns its base URL.
func startHTTP(t *testing.T, transport, db string) string {
	t.Helper()
	base, _ := startServer(t, transport, db, "local="+ollamatest.Get(t).URL.String())
	return base
}

// startServer runs `benchmcp serve --transport T` on db with the given hosts
// spec on a free port; it returns the base URL and a kill that ends the
// process with SIGKILL (no cleanup: a crash). Cleanup stops it with SIGTERM.
func startServer(t *testing.T, transport, db, hosts string, args ...string) (base string, kill func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return startServerOn(t, transport, addr, db, hosts, args...)
}

// startServerAt is startServer on a given listen address.
func startServerAt(t *testing.T, transport, addr, db, hosts string) string {
	t.Helper()
	base, _ := startServerOn(t, transport, addr, db, hosts)
	return base
}

func startServerOn(t *testing.T, transport, addr, db, hosts string, args ...string) (base string, kill func()) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--transport", transport, "--addr", addr, "--db", db}, args...)...)
	cmd.Env = append(os.Environ(), "BENCHMCP_HOSTS="+hosts)
	kill = startProcess(t, cmd)
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "http://" + addr, kill
}

// startProcess starts cmd, its stderr the test's, and stops it when the
// test ends (SIGTERM, then SIGKILL after 20 s); kill ends it at once
// (SIGKILL: a crash, nothing written on the way out).
func startProcess(t *testing.T, cmd *exec.Cmd) (kill func()) {
	t.Helper()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	})
	return func() {
		cmd.Process.Kill()
		<-exited
	}
}

func initClient(t *testing.T, c *client.Client) *mcpClient {
	t.Helper()
	mc := &mcpClient{Client: c}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		mc.mu.Lock()
		mc.notes = append(mc.notes, n)
		mc.mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Start's context lives as long as the SSE stream: not the init timeout.
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "benchmcp-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return mc
}

func TestStreamableHTTP(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	base := startHTTP(t, "http", db)
	c, err := client.NewStreamableHttpClient(base + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	mc := initClient(t, c)
	var res tools.RunBenchmarkResult
	structured(t, mc.call(context.Background(), t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 2}, "h"), &res)
	if res.Status != record.StatusCompleted || res.Summary.Samples != 12 || res.Summary.PassRate < 0.8 {
		t.Errorf("http run: %s, %d samples, pass %.2f", res.Status, res.Summary.Samples, res.Summary.PassRate)
	}
	// The final progress notification is not lost (the server lets the
	// transport flush before it returns).
	p := mc.progress("h")
	if len(p) == 0 || p[len(p)-1]["progress"] != float64(12) {
		t.Errorf("final progress missing over HTTP: %v", p)
	}
}

// A blocking call runs as a job, so a client that goes away (SSE does not
// even tell the handler; the server notices the session end) does not lose
// the run: it runs on to the end, and its job keeps the result.
func TestSSEDisconnectKeepsTheRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	base := startHTTP(t, "sse", db)
	c, err := client.NewSSEMCPClient(base + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	mc := initClient(t, c)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "run_benchmark"
		req.Params.Arguments = map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 20}
		req.Params.Meta = &mcp.Meta{ProgressToken: "sse"}
		res, err := mc.CallTool(context.Background(), req)
		if err != nil {
			t.Logf("call ended: %v", err)
		} else if res.IsError {
			t.Logf("call failed: %s", text(res))
		}
	}()
	waitFor(t, func() bool { return len(mc.progress("sse")) >= 1 })
	mc.Close()
	// A second client sees the run go on to its 120 samples.
	c2, err := client.NewSSEMCPClient(base + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	mc2 := initClient(t, c2)
	var runs struct{ Runs []record.Run }
	waitFor(t, func() bool {
		rr := mcp.ReadResourceRequest{}
		rr.Params.URI = "benchmcp://runs"
		res, err := mc2.ReadResource(context.Background(), rr)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(res.Contents[0].(mcp.TextResourceContents).Text), &runs); err != nil {
			t.Fatal(err)
		}
		return len(runs.Runs) == 1 && runs.Runs[0].Status != record.StatusRunning
	})
	if r := runs.Runs[0]; r.Status != record.StatusCompleted || r.Summary == nil || r.Summary.Samples != 120 {
		t.Errorf("after the SSE client left: status %s, summary %+v", r.Status, r.Summary)
	}
	// Its job completed, and job_result gives the run's result.
	var jobs tools.ListJobsResult
	structured(t, mc2.call(context.Background(), t, "list_jobs", map[string]any{}, ""), &jobs)
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].Status != "completed" || len(jobs.Jobs[0].RunIDs) != 1 || jobs.Jobs[0].RunIDs[0] != runs.Runs[0].ID {
		t.Fatalf("jobs %+v", jobs.Jobs)
	}
	var res tools.RunBenchmarkResult
	structured(t, mc2.call(context.Background(), t, "job_result", map[string]any{"job_id": jobs.Jobs[0].JobID}, ""), &res)
	if res.RunID != runs.Runs[0].ID || res.Summary.Samples != 120 || res.JobID != jobs.Jobs[0].JobID {
		t.Errorf("job_result: run %s, %d samples, job %s", res.RunID, res.Summary.Samples, res.JobID)
	}
}
