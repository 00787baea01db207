package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"sync"
	"testing"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
)

// chatGate is the shared Ollama behind a proxy that can stop model calls:
// once held, every /api/chat that arrives waits until its caller gives up
// (a cancelled run cancels its call) instead of reaching Ollama. It makes a
// cancellation happen at a known point whatever the machine's speed: while
// a call is held, no further sample can finish, so a test cancels then and
// knows which samples were done. Everything else passes straight through.
type chatGate struct {
	URL string

	mu        sync.Mutex
	hold      bool
	after     int // with hold false: hold every /api/chat after this many (0 = none)
	forwarded int // /api/chat calls answered by Ollama
	inFlight  int // /api/chat calls being answered now
	held      int // /api/chat calls waiting now
}

// newChatGate starts a gate in front of the shared server, open.
func newChatGate(t testing.TB) *chatGate {
	t.Helper()
	proxy := httputil.NewSingleHostReverseProxy(ollamatest.Get(t).URL)
	proxy.FlushInterval = -1 // a stream's chunks go on as they come
	g := &chatGate{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat" {
			proxy.ServeHTTP(w, r)
			return
		}
		g.mu.Lock()
		if g.hold || (g.after > 0 && g.forwarded+g.inFlight >= g.after) {
			g.held++
			g.mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-release:
			}
			g.mu.Lock()
			g.held--
			g.mu.Unlock()
			return
		}
		g.inFlight++
		g.mu.Unlock()
		proxy.ServeHTTP(w, r)
		g.mu.Lock()
		g.inFlight--
		g.forwarded++
		g.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: no call stays held
	g.URL = srv.URL
	return g
}

// Hold makes every /api/chat from now on wait; the calls already under way finish.
func (g *chatGate) Hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold = true
}

// HoldAfter lets the next n /api/chat calls through and holds every one
// after them: a stop at a known call, however fast the calls go.
func (g *chatGate) HoldAfter(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.after = g.forwarded + g.inFlight + n
}

// Open lets /api/chat calls through again (the held ones stay held).
func (g *chatGate) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold, g.after = false, 0
}

// Stopped reports whether the gate holds a call and none is under way: the
// caller is waiting on the held call, and every earlier one has been answered.
// It also returns how many calls Ollama answered through the gate.
func (g *chatGate) Stopped() (answered int, stopped bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.forwarded, g.held > 0 && g.inFlight == 0
}
