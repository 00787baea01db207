// Package server wires benchmcp's tools, prompts and resources into an
// mcp-go server and serves it over stdio, SSE or Streamable HTTP.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/buildinfo"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/prompts"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Version is benchmcp's version, reported to clients: the build's
// (buildinfo), the same `benchmcp version` prints and every run stores.
var Version = buildinfo.Get().Version

// New builds the MCP server over a tools service with the given toolsets
// (none: all). It sets the service's Notifier to deliver progress to the
// calling client; if the service runs jobs, their state changes go to every
// client as logging notifications (logger benchmcp.jobs).
func New(svc *tools.Service, log *slog.Logger, toolsets ...string) *mcpserver.MCPServer {
	cancels := newSessionCancels()
	hooks := &mcpserver.Hooks{}
	hooks.AddOnUnregisterSession(func(ctx context.Context, s mcpserver.ClientSession) {
		if n := cancels.cancel(s.SessionID()); n > 0 {
			log.Info("client session ended; cancelled its tool calls", "session", s.SessionID(), "calls", n)
		}
	})
	hooks.AddOnError(func(ctx context.Context, id any, method mcp.MCPMethod, msg any, err error) {
		log.Warn("mcp error", "method", method, "err", err)
	})

	layer := &taskLayer{jobs: svc}
	taskHooks := &mcpserver.TaskHooks{}
	taskHooks.AddOnTaskCreated(func(ctx context.Context, m mcpserver.TaskMetrics) {
		layer.legacyOwners.Store(m.TaskID, m.SessionID)
	})
	forget := func(ctx context.Context, m mcpserver.TaskMetrics) {
		// After its last status notification has gone out.
		time.AfterFunc(10*time.Minute, func() { layer.legacyOwners.Delete(m.TaskID) })
	}
	taskHooks.AddOnTaskCompleted(forget)
	taskHooks.AddOnTaskFailed(forget)
	taskHooks.AddOnTaskCancelled(forget)

	s := mcpserver.NewMCPServer("benchmcp", Version,
		mcpserver.WithToolCapabilities(false),
		mcpserver.WithPromptCapabilities(false),
		mcpserver.WithResourceCapabilities(false, false),
		mcpserver.WithLogging(),
		// The tools that run as jobs may be called as tasks: at 2025-11-25
		// as mcp-go's tasks (params.task; tasks/get, tasks/result,
		// tasks/list, tasks/cancel), at 2026-07-28 through the Tasks
		// extension, which the task layer (tasks.go) serves.
		mcpserver.WithTaskCapabilities(true, true, true),
		mcpserver.WithExtensions(map[string]any{tools.TasksExtension: map[string]any{}}),
		mcpserver.WithTaskHooks(taskHooks),
		mcpserver.WithRecovery(),
		mcpserver.WithHooks(hooks),
		mcpserver.WithInstructions(instructions),
	)
	svc.Notify = func(ctx context.Context, token mcp.ProgressToken, progress, total float64, message string) {
		params := map[string]any{"progressToken": token, "progress": progress, "total": total}
		if message != "" {
			params["message"] = message
		}
		if err := s.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), params); err != nil {
			log.Debug("progress notification dropped", "err", err)
		}
	}
	s.Use(cancels.middleware)
	layers.Store(s, layer)

	for _, t := range tools.Registry {
		if (t.NeedsJobs && svc.Jobs == nil) || !t.Enabled(toolsets) {
			continue
		}
		s.AddTool(t.Definition(), t.Serve(svc))
	}

	s.AddPrompt(mcp.NewPrompt("benchmark_model",
		mcp.WithPromptDescription("Plan and run a benchmark of a local model, then write up the findings."),
		mcp.WithArgument("model", mcp.ArgumentDescription("Ollama model, e.g. qwen2.5-coder:1.5b"), mcp.RequiredArgument()),
		mcp.WithArgument("goal", mcp.ArgumentDescription("what you want to learn, e.g. is it good enough for code review"))),
		func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			model := req.Params.Arguments["model"]
			return mcp.NewGetPromptResult("Benchmark "+model, []mcp.PromptMessage{
				mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(prompts.BenchmarkPlan(model, req.Params.Arguments["goal"]))),
			}), nil
		})

	addWriteupPrompts(s, svc)

	s.AddResource(mcp.NewResource("benchmcp://preambles", "preambles",
		mcp.WithResourceDescription("The preamble library: names and texts usable as run_benchmark's preamble."),
		mcp.WithMIMEType("application/json")),
		func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			lib := map[string]string{}
			for _, n := range prompts.Names() {
				lib[n], _ = prompts.Preamble(n)
			}
			b, _ := json.MarshalIndent(lib, "", "  ")
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
		})
	s.AddResource(mcp.NewResource("benchmcp://runs", "runs",
		mcp.WithResourceDescription("The 50 most recent stored runs, newest first (JSON), without their samples."),
		mcp.WithMIMEType("application/json")),
		func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			runs, err := svc.Store.ListRuns(memory.Filter{Limit: 50})
			if err != nil {
				return nil, fmt.Errorf("list runs: %w", err)
			}
			b, _ := json.MarshalIndent(map[string]any{"runs": runs}, "", "  ")
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
		})
	s.AddResourceTemplate(mcp.NewResourceTemplate("benchmcp://runs/{run_id}", "run",
		mcp.WithTemplateDescription("A stored run with its summary and samples (JSON)."),
		mcp.WithTemplateMIMEType("application/json")),
		func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			id := templateArg(req, "run_id")
			run, err := svc.Store.GetRun(id)
			if err != nil {
				return nil, fmt.Errorf("run %s: %w", id, err)
			}
			samples, err := svc.Store.Samples(id)
			if err != nil {
				return nil, err
			}
			run.Summary = bench.Resummarize(run, samples) // this version's statistics
			b, _ := json.MarshalIndent(memory.Line{Run: run, Samples: samples}, "", "  ")
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
		})
	if svc.Jobs != nil {
		s.AddResource(mcp.NewResource("benchmcp://jobs", "jobs",
			mcp.WithResourceDescription("The 50 most recent jobs, newest first (JSON): status, progress, queue position, run ids."),
			mcp.WithMIMEType("application/json")),
			func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				res, err := svc.ListJobs(tools.ListJobsArgs{Limit: 50})
				if err != nil {
					return nil, err
				}
				b, _ := json.MarshalIndent(res, "", "  ")
				return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
			})
		s.AddResourceTemplate(mcp.NewResourceTemplate("benchmcp://jobs/{job_id}", "job",
			mcp.WithTemplateDescription("One job with its arguments and, when it has ended, its full result (JSON)."),
			mcp.WithTemplateMIMEType("application/json")),
			func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				id := templateArg(req, "job_id")
				st, err := svc.Jobs.Get(id)
				if err != nil {
					return nil, fmt.Errorf("job %s: %w", id, err)
				}
				b, _ := json.MarshalIndent(st, "", "  ")
				return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
			})
	}
	return s
}

// addWriteupPrompts registers the prompts filled with the store's real
// numbers: plan_benchmark (power of a planned run), write_findings (a
// findings report) and compare_writeup (side-by-side verdicts). The data
// comes from the tools service; a missing or unknown id is a prompt error
// that says what to pass.
func addWriteupPrompts(s *mcpserver.MCPServer, svc *tools.Service) {
	user := func(title, text string) *mcp.GetPromptResult {
		return mcp.NewGetPromptResult(title, []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text))})
	}
	s.AddPrompt(mcp.NewPrompt("plan_benchmark",
		mcp.WithPromptDescription("Plan a benchmark of a local model with real power numbers: what the design can detect, and the tasks or iterations a 10-point difference needs."),
		mcp.WithArgument("model", mcp.ArgumentDescription("Ollama model, e.g. qwen2.5-coder:1.5b"), mcp.RequiredArgument()),
		mcp.WithArgument("goal", mcp.ArgumentDescription("what you want to learn, e.g. is it good enough for code review")),
		mcp.WithArgument("suite", mcp.ArgumentDescription("built-in suite (tiny, coding, tool-use, review) or a suite file; default tiny")),
		mcp.WithArgument("iterations", mcp.ArgumentDescription("iterations per task to plan for; default 3"))),
		func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			a := req.Params.Arguments
			iterations := 0
			if v := strings.TrimSpace(a["iterations"]); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, fmt.Errorf("iterations %q is not a whole number; give e.g. 3", v)
				}
				iterations = n
			}
			plan, err := svc.PlanFor(a["model"], a["suite"], iterations)
			if err != nil {
				return nil, err
			}
			return user("Plan a benchmark of "+a["model"], prompts.PlanBenchmark(a["model"], a["goal"], plan)), nil
		})
	ids := func(a map[string]string) []string {
		return strings.FieldsFunc(a["run_ids"], func(r rune) bool { return r == ',' || r == ' ' })
	}
	idArgs := []mcp.PromptOption{
		mcp.WithArgument("comparison_id", mcp.ArgumentDescription("a compare_models result's comparison_id, e.g. c20260101-120000.000")),
		mcp.WithArgument("run_ids", mcp.ArgumentDescription("instead: 2 to 8 stored run ids of the same suite, comma-separated; the first is the baseline")),
	}
	s.AddPrompt(mcp.NewPrompt("write_findings", append([]mcp.PromptOption{
		mcp.WithPromptDescription("Write a findings report of a stored comparison: executive summary, three recommendations balancing throughput, TTFT and quality, a risk/mitigation table; filled with its real numbers.")}, idArgs...)...),
		func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			c, err := svc.FindingsFor(ctx, req.Params.Arguments["comparison_id"], ids(req.Params.Arguments))
			if err != nil {
				return nil, err
			}
			return user("Findings of "+c.Subject(), prompts.WriteFindings(c.Subject(), c.Findings())), nil
		})
	s.AddPrompt(mcp.NewPrompt("compare_writeup", append([]mcp.PromptOption{
		mcp.WithPromptDescription("Write side-by-side verdicts of a stored comparison: per task the winner and why, and the summary table; filled with its real numbers.")}, idArgs...)...),
		func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			c, err := svc.FindingsFor(ctx, req.Params.Arguments["comparison_id"], ids(req.Params.Arguments))
			if err != nil {
				return nil, err
			}
			return user("Side-by-side verdicts of "+c.Subject(), prompts.CompareWriteup(c.Subject(), c.Result, c.Prompts)), nil
		})
}

// JobNotifier sends a job's state change to every client as a logging
// notification; give it to the job manager (jobs.Manager.SetNotify) once
// the server exists.
func JobNotifier(s *mcpserver.MCPServer) func(record.Job) {
	return func(j record.Job) {
		s.SendNotificationToAllClients(string(mcp.MethodNotificationMessage), map[string]any{
			"level":  "info",
			"logger": "benchmcp.jobs",
			"data": map[string]any{
				"job_id": j.ID, "kind": j.Kind, "status": j.Status, "host": j.Host,
				"done": j.Done, "total": j.Total, "run_ids": j.RunIDs, "error": j.Error,
			},
		})
	}
}

const instructions = `benchmcp benchmarks local language models on Ollama.
run_benchmark runs a suite (built-in: tiny, coding, tool-use, review; or a file; or inline tasks) against one model and stores the run.
compare_models runs 2-8 variants (models, preambles, option sets) interleaved on the same tasks and seeds, or compares stored run_ids, and says with paired tests whether a difference is real.
sweep runs a grid of models x preambles x Ollama options x think x depths (x hosts), scheduled so no call pays a model reload, and returns the best cell per objective with intervals, a constrained choice, the Pareto frontier and each axis value's marginal effect; plan=true first estimates its cost.
analyze_results looks back over stored runs (filter by model, suite, tag, status, time) without running anything: trends, regressions against a baseline, anomalies and findings, optionally as an HTML report.
route_task says which of several models (cheapest first) should take a task: from stored pass rates (evidence), from rules over the prompt (heuristic), or by running it on each in turn until an answer passes checks or a judge (cascade); decisions are stored; report an outcome back with decision_id and outcome_ok. With strategy policy it follows the recommendation of evaluate_routing, which measures always-X, heuristic, evidence, cascade and oracle policies (pass rate with intervals against the share sent to the big model) from stored runs or online.
Long calls run as jobs, one at a time per Ollama host: pass background=true to run_benchmark, compare_models or sweep to get a job_id at once, then follow it with job_status (wait_s up to 50) and take the result with job_result; cancel_job stops one, list_jobs lists them. A blocking call works too and sends progress at least every 10 s; a client that declares the Tasks extension (io.modelcontextprotocol/tasks) gets such a call as a task it follows with tasks/get.
Every iteration gets its own recorded seed (seeds, a base seed, or drawn); intervals and tests count tasks, not calls, so replays never narrow them. plan=true on run_benchmark or compare_models says what a design can detect without running it.
Every result carries a pass rate with its 95% interval and a minimum detectable effect; prefer intervals and paired comparisons over single numbers.`

func templateArg(req mcp.ReadResourceRequest, name string) string {
	switch v := req.Params.Arguments[name].(type) {
	case []string:
		if len(v) > 0 {
			return v[0]
		}
	case string:
		return v
	}
	return strings.TrimPrefix(req.Params.URI, "benchmcp://runs/")
}

// sessionCancels cancels a session's tool calls when the session goes away:
// mcp-go's SSE transport runs handlers on a context that a disconnect does
// not cancel.
type sessionCancels struct {
	mu sync.Mutex
	m  map[string]map[*context.CancelFunc]struct{}
}

func newSessionCancels() *sessionCancels {
	return &sessionCancels{m: map[string]map[*context.CancelFunc]struct{}{}}
}

func (c *sessionCancels) middleware(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		sess := mcpserver.ClientSessionFromContext(ctx)
		if sess == nil || sess.SessionID() == "" {
			return next(ctx, req)
		}
		id := sess.SessionID()
		ctx, cancelCause := context.WithCancelCause(ctx)
		cancel := context.CancelFunc(func() { cancelCause(tools.ErrSessionEnded) })
		key := &cancel
		c.mu.Lock()
		if c.m[id] == nil {
			c.m[id] = map[*context.CancelFunc]struct{}{}
		}
		c.m[id][key] = struct{}{}
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			delete(c.m[id], key)
			if len(c.m[id]) == 0 {
				delete(c.m, id)
			}
			c.mu.Unlock()
			cancelCause(context.Canceled)
		}()
		return next(ctx, req)
	}
}

func (c *sessionCancels) cancel(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m[id] {
		(*k)()
	}
	return len(c.m[id])
}

// Transport options for Serve.
type Options struct {
	Transport string // stdio, sse or http
	Addr      string // listen address for sse and http
	Workers   int    // stdio: tool calls served at once
	Guard     Guard  // sse and http: origin, token and size checks
	// Timeouts bound how long sse and http wait for a request; zero fields
	// take the defaults of HTTPTimeouts.
	Timeouts HTTPTimeouts
}

// HTTPTimeouts bound how long the sse and http transports wait for a
// client to send a request, so that a client that sends slowly or not at
// all (a slowloris) cannot hold connections open. None bounds a response:
// an SSE stream or a streamed tool call runs as long as it needs.
type HTTPTimeouts struct {
	ReadHeader time.Duration // a request's headers; 0 is 10s
	Read       time.Duration // a whole request, headers and body; 0 is 60s
	Idle       time.Duration // a kept-alive connection between requests; 0 is 120s
}

// withDefaults fills the zero fields.
func (t HTTPTimeouts) withDefaults() HTTPTimeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = 10 * time.Second
	}
	if t.Read <= 0 {
		t.Read = 60 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 120 * time.Second
	}
	return t
}

// Serve runs the server on the chosen transport until ctx ends.
func Serve(ctx context.Context, s *mcpserver.MCPServer, opt Options, log *slog.Logger) error {
	switch opt.Transport {
	case "", "stdio":
		workers := opt.Workers
		if workers <= 0 {
			workers = 16
		}
		stdio := mcpserver.NewStdioServer(s)
		stdio.SetErrorLogger(slog.NewLogLogger(log.Handler(), slog.LevelError))
		mcpserver.WithWorkerPoolSize(workers)(stdio)
		// A stdio server has one client: its process.
		ctx = tools.WithClient(ctx, stdioClient, true)
		in, out := layerOf(s).taskStdio(ctx, os.Stdin, os.Stdout, stdioClient)
		return stdio.Listen(ctx, in, out)
	case "sse", "http":
		if err := opt.Guard.CheckListen(opt.Addr); err != nil {
			return err
		}
	}
	switch opt.Transport {
	case "sse":
		base := "http://" + opt.Addr
		sse := mcpserver.NewSSEServer(s, mcpserver.WithBaseURL(base), mcpserver.WithKeepAlive(true))
		return serveHTTP(ctx, opt.Addr, opt.Guard.Handler(wholeRequest(sse, opt.Timeouts)), opt.Timeouts, func(c context.Context) error { return sse.Shutdown(c) }, log, base+"/sse")
	case "http":
		h := newStreamableHTTP(s)
		tasks := layerOf(s).taskHTTP(h, opt.Guard.subject)
		return serveHTTP(ctx, opt.Addr, opt.Guard.Handler(wholeRequest(tasks, opt.Timeouts)), opt.Timeouts, func(c context.Context) error { return h.Shutdown(c) }, log, "http://"+opt.Addr+"/mcp")
	}
	return fmt.Errorf("unknown transport %q; use stdio, sse or http", opt.Transport)
}

// stdioClient names the one client of a stdio server (tools.WithClient).
const stdioClient = "stdio"

// layers holds each server's task layer (New makes it, with the job layer
// as its source; AddConformanceFixtures adds the fixtures' tasks; Serve puts
// it in front of the transport): mcp-go's server has no place for it.
var layers sync.Map // *mcpserver.MCPServer -> *taskLayer

func layerOf(s *mcpserver.MCPServer) *taskLayer {
	if l, ok := layers.Load(s); ok {
		return l.(*taskLayer)
	}
	return &taskLayer{}
}

// newStreamableHTTP is the Streamable HTTP transport Serve uses. It is
// stateful: it issues the session ids (2025-11-25 wire) and knows them, so
// a DELETE ends a session and a later request with its id, or with one it
// never issued (a server restarted since), gets 404 and must initialize
// again. mcp-go's default only checks an id's form and would serve it.
func newStreamableHTTP(s *mcpserver.MCPServer) *mcpserver.StreamableHTTPServer {
	return mcpserver.NewStreamableHTTPServer(s, mcpserver.WithStateful(true),
		mcpserver.WithSessionIdleTTL(30*time.Minute), mcpserver.WithHeartbeatInterval(25*time.Second))
}

// serveHTTP serves h on addr until ctx ends, with the read timeouts of to
// and no write timeout; put h behind wholeRequest.
// wholeRequest reads a request's body before h sees it, so that the
// server's ReadTimeout bounds the request, not h's response: a body sent
// too slowly gets 408 and a closed connection. Once the body is read,
// net/http lifts the read deadline (its background read for a closed
// connection starts with none), so an SSE stream or a long streamed tool
// call is never cut by it; TestHTTPLongStreamOutlivesReadTimeout holds
// that.
func wholeRequest(h http.Handler, to HTTPTimeouts) http.Handler {
	to = to.withDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					http.Error(w, fmt.Sprintf("request body is over the limit of %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
					return
				}
				w.Header().Set("Connection", "close")
				http.Error(w, fmt.Sprintf("could not read the request body within %s (the server's read timeout): %v; send the request at once", to.Read, err), http.StatusRequestTimeout)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		h.ServeHTTP(w, r)
	})
}

func serveHTTP(ctx context.Context, addr string, h http.Handler, to HTTPTimeouts, shutdown func(context.Context) error, log *slog.Logger, url string) error {
	to = to.withDefaults()
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: to.ReadHeader, ReadTimeout: to.Read, IdleTimeout: to.Idle}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("benchmcp MCP server listening", "url", url)
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = shutdown(sctx)
	return srv.Shutdown(sctx)
}
