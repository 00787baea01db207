package executor_test

// Faults a real Ollama cannot be made to produce on demand, injected by an
// httptest fake of /api/chat. The real-server tests above cover the normal path.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
)

func fakeOllama(t *testing.T, h http.HandlerFunc) *executor.Executor {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	hosts, err := executor.ParseHosts("local=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return executor.New(hosts...)
}

func chunk(w http.ResponseWriter, s string) {
	fmt.Fprintln(w, s)
	w.(http.Flusher).Flush()
}

func TestStalledStreamTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ex := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		chunk(w, `{"model":"m","message":{"role":"assistant","content":"4"},"done":false}`)
		select { // stall: no more chunks
		case <-r.Context().Done():
		case <-release:
		}
	})
	// The stall lasts until the test ends, so a call that returns at all
	// was ended by its timeout; it must not have given up before it.
	const timeout = 300 * time.Millisecond
	start := time.Now()
	m, err := ex.Chat(context.Background(), executor.Request{Model: "m", Prompt: "x", Timeout: timeout})
	var te *executor.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, executor.ErrTimeout) {
		t.Fatalf("want TimeoutError, got %T %v", err, err)
	}
	if d := time.Since(start); d < timeout {
		t.Errorf("the call gave up after %s, before its %s timeout", d, timeout)
	}
	if te.Partial != "4" || m.Output != "4" {
		t.Errorf("partial output %q / %q, want 4", te.Partial, m.Output)
	}
}

func TestDroppedConnection(t *testing.T) {
	ex := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		chunk(w, `{"model":"m","message":{"role":"assistant","content":"43"},"done":false}`)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	_, err := ex.Chat(context.Background(), executor.Request{Model: "m", Prompt: "x", Timeout: 5 * time.Second})
	if err == nil {
		t.Fatal("a dropped connection must be an error")
	}
	if !strings.Contains(err.Error(), "m on local") {
		t.Errorf("error should say which call failed: %v", err)
	}
}

func TestMalformedChunk(t *testing.T) {
	ex := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		chunk(w, `{"model":"m","message":{"role":"assistant","content":"4"},"done":false}`)
		chunk(w, `{"model":"m","message":{"role":"assist`)
	})
	_, err := ex.Chat(context.Background(), executor.Request{Model: "m", Prompt: "x", Timeout: 5 * time.Second})
	if err == nil {
		t.Fatal("a malformed chunk must be an error")
	}
	if !strings.Contains(err.Error(), "call m on local") {
		t.Errorf("error should say which call failed: %v", err)
	}
}

func TestRepetitionOnFakeStream(t *testing.T) {
	ex := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 10000; i++ {
			select {
			case <-r.Context().Done():
				return
			default:
			}
			chunk(w, `{"model":"m","message":{"role":"assistant","content":"la "},"done":false}`)
		}
		chunk(w, `{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":10000}`)
	})
	m, err := ex.Chat(context.Background(), executor.Request{Model: "m", Prompt: "x", Timeout: 10 * time.Second, Breaker: executor.DefaultBreaker})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Flags.Runaway || m.RunawayReason != "repetition" || m.EvalTokens > 200 {
		t.Errorf("breaker: flags %+v reason %q after %d tokens", m.Flags, m.RunawayReason, m.EvalTokens)
	}
}

// The fixture models cannot think, so a thinking-only answer comes from the fake.
func TestThinkingOnlyOnFakeStream(t *testing.T) {
	ex := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		chunk(w, `{"model":"m","message":{"role":"assistant","content":"","thinking":"Let me see"},"done":false}`)
		chunk(w, `{"model":"m","message":{"role":"assistant","content":"","thinking":" what 2+2 is"},"done":false}`)
		chunk(w, `{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","prompt_eval_count":512,"eval_count":2,"eval_duration":1000000}`)
	})
	m, err := ex.Chat(context.Background(), executor.Request{Model: "m", Prompt: "x", Options: map[string]any{"num_ctx": 512}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Flags.ThinkingOnly || m.Flags.Empty || !m.Flags.Truncated || !m.Flags.ContextFull {
		t.Errorf("flags %+v: want thinking_only, truncated and context_full", m.Flags)
	}
	if m.Thinking != "Let me see what 2+2 is" || m.TTFTMs <= 0 {
		t.Errorf("thinking %q, ttft %.3f", m.Thinking, m.TTFTMs)
	}
	if m.FirstThinkingMs != m.TTFTMs || m.FirstContentMs != 0 || m.TTFCMs <= 0 || m.TTFCMs > m.TTFTMs {
		t.Errorf("thinking only: first thinking %.3f must be the ttft %.3f, first content %.3f must be 0, ttfc %.3f in (0, ttft]",
			m.FirstThinkingMs, m.TTFTMs, m.FirstContentMs, m.TTFCMs)
	}
}

// Ollama v0.17.4 can leave a stream hanging after its repeat-limit abort;
// the call ends at its timeout and still counts as a runaway.
func TestRepeatLimitHangIsRunaway(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ex := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 31; i++ {
			chunk(w, `{"model":"m","message":{"role":"assistant","content":"a"},"done":false}`)
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	m, err := ex.Chat(context.Background(), executor.Request{Model: "m", Prompt: "x", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("want a runaway, got error %v", err)
	}
	if !m.Flags.Runaway || m.DoneReason != "repeat_limit" || len(m.Output) != 31 {
		t.Errorf("flags %+v done %q output %q", m.Flags, m.DoneReason, m.Output)
	}
}
