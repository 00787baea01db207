package server

// The settle: over Streamable HTTP, mcp-go v1.2.1 drops a notification a
// tool handler sends just before it returns (docs/mcp-notes.md, "The
// settle"). A tool call that sent notifications on that transport therefore
// waits, after its handler returns, until the session's HTTP streams have
// written every notification sent so far, at most maxSettle. Calls that sent
// none, and calls over stdio or SSE (which do not lose them), do not wait.

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// maxSettle bounds the wait: a notification that is not written by then
// was lost some other way (a client gone, a full queue), and the call
// returns anyway. 20 ms of fixed sleep was enough on an idle machine; the
// bound leaves room for a busy one, and is only ever reached by a loss.
const maxSettle = 500 * time.Millisecond

// deliveries counts the notifications sent to and written for one
// Streamable HTTP session (or, for a sessionless 2026-07-28 request, one
// request), so that a tool call can wait until they are written.
type deliveries struct {
	maxWait time.Duration // 0: never wait (tests showing the loss)

	mu      sync.Mutex
	sent    int64 // notifications tool calls handed to mcp-go
	written int64 // notification events written to the session's streams
	changed chan struct{}
	used    time.Time
}

func newDeliveries(maxWait time.Duration) *deliveries {
	return &deliveries{maxWait: maxWait, changed: make(chan struct{}), used: time.Now()}
}

func (d *deliveries) add(sent, written int64) {
	d.mu.Lock()
	d.sent += sent
	d.written += written
	if d.written > d.sent {
		// Notifications no tool call sent (JobNotifier's broadcasts).
		d.written = d.sent
	}
	d.used = time.Now()
	if written > 0 {
		close(d.changed)
		d.changed = make(chan struct{})
	}
	d.mu.Unlock()
}

// wait blocks until every notification sent so far is written, or maxWait
// passes; then it forgives what is missing, so that one lost notification
// does not make every later call wait.
func (d *deliveries) wait(ctx context.Context) {
	if d.maxWait <= 0 {
		return
	}
	timer := time.NewTimer(d.maxWait)
	defer timer.Stop()
	for {
		d.mu.Lock()
		if d.written >= d.sent {
			d.mu.Unlock()
			return
		}
		ch := d.changed
		d.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			d.forgive()
			return
		case <-ctx.Done():
			return
		}
	}
}

func (d *deliveries) forgive() {
	d.mu.Lock()
	if d.written < d.sent {
		d.written = d.sent
	}
	d.mu.Unlock()
}

type deliveriesKey struct{}

// callKey marks a tool call's context with the count of notifications the
// call sent (notifyClient), so that only calls that sent one wait.
type callKey struct{}

// notifyClient sends a notification to the client of the request in ctx
// and counts it for the settle.
func notifyClient(ctx context.Context, s *mcpserver.MCPServer, method string, params map[string]any) error {
	// Counted before it is sent: the stream may write it at once.
	d, _ := ctx.Value(deliveriesKey{}).(*deliveries)
	if d != nil {
		d.add(1, 0)
	}
	if err := s.SendNotificationToClient(ctx, method, params); err != nil {
		if d != nil {
			d.add(-1, 0)
		}
		return err
	}
	if n, ok := ctx.Value(callKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	return nil
}

// settleMiddleware makes a tool call that sent notifications over
// Streamable HTTP wait, after its handler, until they are written.
func settleMiddleware(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		d, ok := ctx.Value(deliveriesKey{}).(*deliveries)
		if !ok {
			return next(ctx, req)
		}
		var sent atomic.Int64
		res, err := next(context.WithValue(ctx, callKey{}, &sent), req)
		if sent.Load() > 0 {
			d.wait(ctx)
		}
		return res, err
	}
}

// settleHandler wraps mcp-go's Streamable HTTP handler: each request's
// context carries its session's deliveries, and its response writer counts
// the notification events written on it. maxWait 0 turns the settle off.
func settleHandler(h http.Handler, maxWait time.Duration) http.Handler {
	var (
		mu       sync.Mutex
		sessions = map[string]*deliveries{}
		pruned   = time.Now()
	)
	of := func(id string) *deliveries {
		if id == "" {
			return newDeliveries(maxWait)
		}
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); now.Sub(pruned) > time.Minute {
			// Clients that never DELETE their session: mcp-go forgets
			// them after the idle TTL (30 min); so do we, a little later.
			for k, d := range sessions {
				d.mu.Lock()
				idle := now.Sub(d.used)
				d.mu.Unlock()
				if idle > time.Hour {
					delete(sessions, k)
				}
			}
			pruned = now
		}
		d := sessions[id]
		if d == nil {
			d = newDeliveries(maxWait)
			sessions[id] = d
		}
		return d
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(mcpserver.HeaderKeySessionID)
		if r.Method == http.MethodDelete {
			mu.Lock()
			delete(sessions, id)
			mu.Unlock()
			h.ServeHTTP(w, r)
			return
		}
		d := of(id)
		r = r.WithContext(context.WithValue(r.Context(), deliveriesKey{}, d))
		h.ServeHTTP(&countingWriter{ResponseWriter: w, d: d}, r)
	})
}

// notificationEvent is how mcp-go's writeSSEEvent starts a notification
// (a JSONRPCNotification marshals jsonrpc, then method; responses and
// server requests carry an id first).
var notificationEvent = []byte("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/")

// countingWriter counts the notification events mcp-go writes on a stream.
type countingWriter struct {
	http.ResponseWriter
	d *deliveries
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	if k := bytes.Count(p[:n], notificationEvent); k > 0 {
		c.d.add(0, int64(k))
	}
	return n, err
}

// Flush keeps streaming: mcp-go upgrades a response to SSE only when its
// writer is an http.Flusher.
func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
