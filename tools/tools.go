// Package tools is the MCP surface of benchmcp: one file per tool, each with
// typed Args and Result, a plain Go method that the CLI also calls, and an MCP
// handler that validates, calls the domain and shapes the result.
package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/route"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
)

// Notifier delivers a progress notification to the client of a request.
// The server provides it; a nil Notifier drops progress.
type Notifier func(ctx context.Context, token mcp.ProgressToken, progress, total float64, message string)

// ProgressFunc is told how far a long tool call has come.
type ProgressFunc func(done, total int, message string)

// Service holds what the tools need. Build it once; it is safe for concurrent use.
type Service struct {
	Exec          *executor.Executor
	Store         *memory.Store
	MaxJobCrashes int    // server deaths a job survives before it fails (0: jobs.DefaultCrashLimit; <0: no limit)
	Python        string // interpreter for code_exec checks; "" = python3 on PATH
	// Sandbox is how code_exec checks confine the code they run (the
	// opt-out --unsafe-code-exec sets Unsafe).
	Sandbox check.Sandbox
	// Reports is where report files go: confined to its root for the MCP
	// server, relative to the working directory for the CLI.
	Reports artifact.Dir
	// SuiteRoots confine the suite files a call may name (nil: any path);
	// the server over HTTP or SSE sets them.
	SuiteRoots suite.Roots
	Notify     Notifier // progress to MCP clients

	// ProgressInterval is the least time between two progress notifications
	// of one call (default 200 ms); the last one is always sent.
	ProgressInterval time.Duration

	// Jobs runs long tool calls as durable jobs, and is the one host slot:
	// it runs one job at a time per Ollama host (two models generating at
	// once on one machine thrash it), different hosts at the same time. Nil
	// runs each call in the call itself: the CLI's one-shot commands, one
	// call per process.
	Jobs *jobs.Manager

	// inflight counts tool calls under way, so that shutdown can let them
	// record their end (a cancelled run stays resumable) before the store closes.
	inflight sync.WaitGroup
}

// track marks a tool call under way until the returned func is called.
func (s *Service) track() func() {
	s.inflight.Add(1)
	return s.inflight.Done
}

// Drain waits up to timeout for tool calls under way to return. Call it
// after the transport stopped (which cancels them) and before closing the store.
func (s *Service) Drain(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// hostName is the configured name of a host argument ("" is the default
// host); an unknown name is returned as it is, for the caller's check to refuse.
func (s *Service) hostName(host string) string {
	if s.Exec != nil {
		if h, err := s.Exec.Host(host); err == nil {
			return h.Name
		}
	}
	return host
}

// ErrSessionEnded is the cause of a tool call's context ending because its
// client went away (not because it asked to cancel): a long call's job then
// goes on, and its result waits in job_result.
var ErrSessionEnded = errors.New("the client session ended")

func (s *Service) runner() *bench.Runner {
	return &bench.Runner{Exec: s.Exec, Store: s.Store, Python: s.Python, Sandbox: s.Sandbox}
}

// UserError is a problem with a tool call that the caller can fix; it
// becomes an isError result whose text says what to do. It is the domain's
// bench.InputError, so that a problem the domain finds reads the same.
type UserError = bench.InputError

func userErrorf(format string, args ...any) error {
	return &UserError{Err: fmt.Errorf(format, args...)}
}

// isUserError reports whether err is something the caller can fix (bad
// arguments, unknown model, unreachable host) rather than a bug.
func isUserError(err error) bool {
	var ue *UserError
	return errors.As(err, &ue) ||
		errors.Is(err, executor.ErrModelNotFound) || errors.Is(err, executor.ErrHostUnreachable) ||
		errors.Is(err, executor.ErrUnknownHost) || errors.Is(err, memory.ErrRunNotFound) ||
		errors.Is(err, jobs.ErrClientLimit) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// toolError shapes an error as a tool result: isError with the message for
// anything the caller can act on, a Go error (JSON-RPC error) for bugs.
func toolError(err error) (*mcp.CallToolResult, error) {
	if isUserError(err) {
		return mcp.NewToolResultError(err.Error()), nil
	}
	return nil, err
}

// longHandler adapts a long-running tool method to an MCP handler: progress
// goes to the client that asked for it, the result comes back as structured
// content with its markdown, and errors the caller can fix as isError.
func longHandler[A, R any](s *Service, run func(context.Context, A, ProgressFunc) (*R, string, error)) func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewTypedToolHandler(func(ctx context.Context, req mcp.CallToolRequest, args A) (*mcp.CallToolResult, error) {
		res, md, err := run(ctx, args, s.progress(ctx, req))
		if err != nil {
			return toolError(err)
		}
		return mcp.NewToolResultStructured(res, md), nil
	})
}

// progress returns a throttled ProgressFunc for an MCP request, or nil when
// the client asked for no progress.
func (s *Service) progress(ctx context.Context, req mcp.CallToolRequest) ProgressFunc {
	if s.Notify == nil || req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return nil
	}
	token := req.Params.Meta.ProgressToken
	return Throttle(s.ProgressInterval, func(done, total int, msg string) {
		s.Notify(ctx, token, float64(done), float64(total), msg)
	})
}

// Throttle wraps fn so that it runs at most once per interval (default
// 200 ms), except for the final call (done == total), which always runs.
func Throttle(interval time.Duration, fn ProgressFunc) ProgressFunc {
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	var mu sync.Mutex
	var last time.Time
	return func(done, total int, msg string) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if done < total && now.Sub(last) < interval {
			return
		}
		last = now
		fn(done, total, msg)
	}
}

// resolveCandidate reads model@host (a bare model is on defaultHost, ""
// for the first configured) and resolves the host; where names the
// argument in the error.
func (s *Service) resolveCandidate(where, spec, defaultHost string) (record.RoutingCandidate, error) {
	c := route.ParseCandidate(spec)
	c.Named = strings.TrimSpace(spec)
	if c.Model == "" {
		return c, userErrorf("%s is empty; give a model name, or model@host", where)
	}
	if c.Host == "" {
		c.Host = defaultHost
	}
	h, err := s.Exec.Host(c.Host)
	if err != nil {
		return c, userErrorf("%s %q: unknown host %q; the configured hosts are %s (set more with --hosts or BENCHMCP_HOSTS)", where, spec, c.Host, strings.Join(s.hostNames(), ", "))
	}
	c.Host = h.Name
	return c, nil
}

// hostNames lists the configured hosts' names.
func (s *Service) hostNames() []string {
	var out []string
	for _, h := range s.Exec.Hosts() {
		out = append(out, h.Name)
	}
	return out
}
