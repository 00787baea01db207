package executor_test

// Faults a real Ollama cannot be made to produce on demand, injected by an
// httptest fake of /api/chat. The real-server tests above cover the normal path.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
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

// Each failure is either the machine's (a Fault, retried, never scored) or
// not (the model's, or a request the host refused).
func TestFaultKinds(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	cases := []struct {
		name string
		h    http.HandlerFunc
		want executor.FaultKind
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"llama runner process has terminated: signal: killed"}`, 500)
		}, executor.FaultServer},
		{"503", func(w http.ResponseWriter, r *http.Request) { http.Error(w, `{"error":"busy"}`, 503) }, executor.FaultServer},
		{"429", func(w http.ResponseWriter, r *http.Request) { http.Error(w, `{"error":"slow down"}`, 429) }, executor.FaultRateLimited},
		{"error inside the stream", func(w http.ResponseWriter, r *http.Request) {
			chunk(w, `{"model":"m","message":{"role":"assistant","content":"4"},"done":false}`)
			chunk(w, `{"error":"an error was encountered while running the model: unexpected EOF"}`)
		}, executor.FaultServer},
		{"dropped stream", func(w http.ResponseWriter, r *http.Request) {
			chunk(w, `{"model":"m","message":{"role":"assistant","content":"4"},"done":false}`)
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}, executor.FaultDropped},
		{"nothing within the timeout", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // then the server sees the client leave
			select {
			case <-r.Context().Done():
			case <-stall:
			}
		}, executor.FaultTimeout},
		{"400: the host refused the request", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"m does not support tools"}`, 400)
		}, ""},
		{"a slow answer: the model's time", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			chunk(w, `{"model":"m","message":{"role":"assistant","content":"4"},"done":false}`)
			select {
			case <-r.Context().Done():
			case <-stall:
			}
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex := fakeOllama(t, c.h)
			_, err := ex.Chat(context.Background(), executor.Request{Model: "m", Prompt: "x", Timeout: 300 * time.Millisecond})
			if err == nil {
				t.Fatal("want an error")
			}
			if got := executor.Fault(err); got != c.want {
				t.Errorf("Fault(%v) = %q, want %q", err, got, c.want)
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		hosts, _ := executor.ParseHosts("local=" + url)
		_, err := executor.New(hosts...).Chat(context.Background(), executor.Request{Model: "m", Prompt: "x"})
		if got := executor.Fault(err); got != executor.FaultUnreachable {
			t.Errorf("Fault(%v) = %q, want unreachable", err, got)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ex := fakeOllama(t, cases[5].h)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := ex.Chat(ctx, executor.Request{Model: "m", Prompt: "x"})
		if got := executor.Fault(err); got != "" {
			t.Errorf("a cancelled call is no fault: Fault(%v) = %q", err, got)
		}
	})
}

func TestChatRetry(t *testing.T) {
	var calls atomic.Int32
	failFirst := int32(2)
	ex := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= failFirst {
			http.Error(w, `{"error":"runner died"}`, 500)
			return
		}
		chunk(w, `{"model":"m","message":{"role":"assistant","content":"4"},"done":false}`)
		chunk(w, `{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":1}`)
	})
	ex.Retry = executor.RetryPolicy{Retries: 3, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}
	var retries []record.Retry
	m, err := ex.ChatRetry(context.Background(), executor.Request{Model: "m", Prompt: "x"}, func(r record.Retry) { retries = append(retries, r) })
	if err != nil || m.Output != "4" {
		t.Fatalf("after 2 failures: %q, %v; want the third attempt's answer", m.Output, err)
	}
	if len(retries) != 2 || retries[0].Kind != string(executor.FaultServer) || !strings.Contains(retries[0].Error, "runner died") {
		t.Errorf("retries %+v: want 2 server_error retries with the host's message", retries)
	}

	calls.Store(0)
	failFirst = 100
	_, err = ex.ChatRetry(context.Background(), executor.Request{Model: "m", Prompt: "x"}, nil)
	var re *executor.RetriedError
	if !errors.As(err, &re) || re.Attempts != 4 || re.Kind != executor.FaultServer || calls.Load() != 4 {
		t.Fatalf("a host that keeps failing: %v after %d calls; want a RetriedError after 4 attempts", err, calls.Load())
	}
	if executor.Fault(err) != executor.FaultServer {
		t.Errorf("Fault of the retried error = %q", executor.Fault(err))
	}

	// A request the host refuses is not tried again.
	refused := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"error":"bad option"}`, 400)
	})
	refused.Retry = ex.Retry
	calls.Store(0)
	if _, err := refused.ChatRetry(context.Background(), executor.Request{Model: "m", Prompt: "x"}, nil); err == nil || calls.Load() != 1 {
		t.Errorf("a 400 was tried %d times (err %v); want once", calls.Load(), err)
	}
}
