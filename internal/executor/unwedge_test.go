package executor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/ollama/ollama/api"
)

// wedgingOllama fakes Ollama v0.17.4's leak (unwedge.go): the model has one
// slot, which every chat holds while it generates; a stream the client
// closes mid-generation never gives it back, so every later chat hangs,
// until an unload (keep_alive 0, no messages) starts a new runner with a
// free slot. wedged reports whether the current runner's slot was leaked.
func wedgingOllama(t *testing.T) (ex *executor.Executor, wedged func() bool) {
	var mu sync.Mutex
	slot := make(chan struct{}, 1)
	leaked := false
	ex = fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		var req api.ChatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Error(err)
			return
		}
		if len(req.Messages) == 0 { // load or unload
			if req.KeepAlive != nil && req.KeepAlive.Duration == 0 {
				mu.Lock()
				slot, leaked = make(chan struct{}, 1), false
				mu.Unlock()
			}
			chunk(w, `{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"unload"}`)
			return
		}
		mu.Lock()
		s := slot
		mu.Unlock()
		select {
		case s <- struct{}{}:
		case <-r.Context().Done(): // queued behind the leaked slot
			return
		}
		if req.Stream != nil && !*req.Stream || req.Messages[0].Content == "What is 2+3?" {
			chunk(w, `{"model":"m","message":{"role":"assistant","content":"5"},"done":true,"done_reason":"stop"}`)
			<-s
			return
		}
		for { // runs away until the client goes, then leaks the slot
			chunk(w, `{"model":"m","message":{"role":"assistant","content":"ab"},"done":false}`)
			select {
			case <-r.Context().Done():
				mu.Lock()
				leaked = leaked || s == slot
				mu.Unlock()
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	ex.WedgeProbe = 300 * time.Millisecond
	return ex, func() bool { mu.Lock(); defer mu.Unlock(); return leaked }
}

// After the breaker closes a runaway stream, the next call still answers:
// the executor found the model wedged and unloaded it.
func TestBreakerTripUnwedgesOllama(t *testing.T) {
	ex, wedged := wedgingOllama(t)
	ctx := context.Background()
	m, err := ex.Chat(ctx, executor.Request{Model: "m", Prompt: "run away", Breaker: executor.Breaker{MaxTokens: 5}})
	if err != nil || !m.Flags.Runaway {
		t.Fatalf("want a runaway, got %+v, %v", m.Flags, err)
	}
	ex.Probed()
	if wedged() || ex.Unwedged() != 1 {
		t.Fatalf("wedged %v after the trip, unwedged %d times; want unwedged once", wedged(), ex.Unwedged())
	}
	m, err = ex.Chat(ctx, executor.Request{Model: "m", Prompt: "What is 2+3?", Timeout: 2 * time.Second})
	if err != nil || m.Output != "5" {
		t.Fatalf("next call: %q, %v", m.Output, err)
	}
	if ex.Unwedged() != 1 {
		t.Errorf("a clean call probed and unloaded: unwedged %d", ex.Unwedged())
	}
}

// With the probe off the fake does wedge: the test above tests something.
func TestBreakerTripWedgesWithoutProbe(t *testing.T) {
	ex, _ := wedgingOllama(t)
	ex.WedgeProbe = 0
	ctx := context.Background()
	if _, err := ex.Chat(ctx, executor.Request{Model: "m", Prompt: "run away", Breaker: executor.Breaker{MaxTokens: 5}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Chat(ctx, executor.Request{Model: "m", Prompt: "What is 2+3?", Timeout: 500 * time.Millisecond}); err == nil {
		t.Fatal("the next call answered although the model was left wedged")
	}
}

// A loop the breaker detects on an Ollama host is read to its end, never
// closed mid-stream (closing can leak a slot), and the sample is what came
// before the trip. The fake honours num_predict, as Ollama does, and the
// executor sends the breaker's cap as num_predict.
func TestLoopIsDrainedNotClosed(t *testing.T) {
	var mu sync.Mutex
	var numPredict any
	closed, sent := false, 0
	ex := fakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		var req api.ChatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Error(err)
			return
		}
		if req.Stream != nil && !*req.Stream { // a probe: none is wanted
			t.Error("the executor probed the model after a drained stream")
			chunk(w, `{"model":"m","message":{"role":"assistant","content":"5"},"done":true,"done_reason":"stop"}`)
			return
		}
		n := int(req.Options["num_predict"].(float64))
		mu.Lock()
		numPredict = req.Options["num_predict"]
		mu.Unlock()
		for i := range n {
			select {
			case <-r.Context().Done():
				mu.Lock()
				closed = true
				mu.Unlock()
				return
			default:
			}
			chunk(w, fmt.Sprintf(`{"model":"m","message":{"role":"assistant","content":%q},"done":false}`, []string{"ab", "cd"}[i%2]))
			mu.Lock()
			sent = i + 1
			mu.Unlock()
		}
		chunk(w, fmt.Sprintf(`{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","eval_count":%d,"eval_duration":1000000}`, n))
	})
	m, err := ex.Chat(context.Background(), executor.Request{Model: "m", Prompt: "loop", Timeout: 10 * time.Second,
		Breaker: executor.Breaker{MaxTokens: 200, Repetition: true}})
	if err != nil {
		t.Fatal(err)
	}
	ex.Probed()
	mu.Lock()
	defer mu.Unlock()
	if numPredict != 200.0 {
		t.Errorf("num_predict sent %v; want the breaker's cap, 200", numPredict)
	}
	if !m.Flags.Runaway || m.RunawayReason != "repetition" || m.DoneReason != "runaway" {
		t.Errorf("flags %+v reason %q done %q; want a repetition runaway", m.Flags, m.RunawayReason, m.DoneReason)
	}
	if closed || sent != 200 {
		t.Errorf("the stream was closed mid-generation (%v) after %d of 200 chunks; a tripped Ollama stream is drained", closed, sent)
	}
	if len(m.Output) >= 400 || m.EvalTokens >= 200 || m.Output == "" {
		t.Errorf("sample %d tokens, output %d bytes; want what came before the trip, not the drained rest", m.EvalTokens, len(m.Output))
	}
	if ex.Unwedged() != 0 {
		t.Errorf("unwedged %d times after a drained stream", ex.Unwedged())
	}
}
