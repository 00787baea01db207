package executor

// Unwedging Ollama after an aborted stream.
//
// Ollama (v0.17.4, and still upstream: ollama/ollama#17131) streams a chat
// from a producer goroutine into an unbuffered channel that gin's
// c.Stream drains (server/routes.go, ChatHandler: `ch <- res`). When the
// client closes a stream mid-generation, c.Stream returns on clientGone and
// nobody reads the channel again; if the producer had already passed its
// ctx check in llm/server.go Completion (the scanner loop) it blocks in the
// send forever, inside Completion, still holding the runner's semaphore
// (llm/server.go: s.sem.Acquire, one slot per OLLAMA_NUM_PARALLEL). From
// then on every chat or generate call for that model on that server queues
// on the semaphore and never gets a byte, while /api/version and other
// models answer. The runner itself is idle. Only unloading the model
// (keep_alive 0) frees it: the next call starts a new runner with a new
// semaphore.
//
// benchmcp closes streams on purpose (the circuit breaker, a call's
// timeout, a cancelled job), so after such an abort on an Ollama host, once
// no other call of ours to the model is in flight, it probes the model (in
// the background; the next call to the model waits for the probe) with
// a one-token, unstreamed call (whose cancellation cannot leak: the
// unstreamed handler drains its channel) and, when the probe gets no answer
// within WedgeProbe, unloads the model. Only a stream that had delivered a
// chunk counts as aborted: before the first chunk nothing can leak.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"time"

	"github.com/ollama/ollama/api"
)

// DefaultWedgeProbe is how long New lets the probe after an aborted stream
// wait for its one token before the model is deemed wedged and unloaded.
const DefaultWedgeProbe = 15 * time.Second

// begin waits for a probe of host/model under way (the call would queue
// behind a leaked slot), then notes a call of ours in flight to it. Its
// error is ctx's.
func (e *Executor) begin(ctx context.Context, key string) error {
	for {
		e.mu.Lock()
		probing := e.probing[key]
		if probing == nil {
			e.inflight[key]++
			e.mu.Unlock()
			return nil
		}
		e.mu.Unlock()
		select {
		case <-probing:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// end notes the call done; when it (or an earlier one) aborted a stream on
// an Ollama host and it is the last of ours in flight to the model, it
// checks the model for the wedge and unloads it if wedged.
func (e *Executor) end(ctx context.Context, h Host, req Request, key string, aborted bool) {
	e.mu.Lock()
	e.inflight[key]--
	if e.inflight[key] <= 0 {
		delete(e.inflight, key)
	}
	if aborted {
		e.suspect[key] = true
	}
	check := e.suspect[key] && e.inflight[key] == 0 && e.WedgeProbe > 0 && h.Ollama()
	var done chan struct{}
	if check {
		delete(e.suspect, key)
		done = make(chan struct{})
		e.probing[key] = done
	}
	e.mu.Unlock()
	if !check {
		return
	}
	// The probe runs after the call has returned, so that a cancelled or
	// cut call comes back at once; the next call to the model waits for it.
	go func() {
		e.unwedge(context.WithoutCancel(ctx), h, req)
		e.mu.Lock()
		delete(e.probing, key)
		e.mu.Unlock()
		close(done)
	}()
}

// Probed waits until no probe is under way (for tests and shutdown).
func (e *Executor) Probed() {
	for {
		e.mu.Lock()
		var ch chan struct{}
		for _, c := range e.probing {
			ch = c
			break
		}
		e.mu.Unlock()
		if ch == nil {
			return
		}
		<-ch
	}
}

// unwedge probes req's model on h and unloads it when the probe gets no
// answer within WedgeProbe. It reports whether it unloaded the model.
func (e *Executor) unwedge(ctx context.Context, h Host, req Request) bool {
	if !e.probe(ctx, h, req) {
		return false
	}
	uctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	zero := &api.Duration{Duration: 0}
	if h.client.Chat(uctx, &api.ChatRequest{Model: req.Model, KeepAlive: zero}, func(api.ChatResponse) error { return nil }) != nil {
		return false
	}
	e.mu.Lock()
	e.unwedged++
	e.mu.Unlock()
	return true
}

// probe sends req's model a one-token, unstreamed chat and reports whether
// no response (not even its headers) came within WedgeProbe: the wedge. An
// answer of any kind, an error or a refusal, is no wedge; the probe hangs up
// as soon as the headers come (harmless for an unstreamed call).
func (e *Executor) probe(ctx context.Context, h Host, req Request) bool {
	opts := maps.Clone(req.Options)
	if opts == nil {
		opts = map[string]any{}
	}
	opts["num_predict"] = 1 // the load-relevant options (num_ctx, ...) stay as they were: no reload
	stream := false
	cr := &api.ChatRequest{Model: req.Model, Stream: &stream, Options: opts,
		Messages: []api.Message{{Role: "user", Content: "hi"}}}
	if req.KeepAlive != nil {
		cr.KeepAlive = &api.Duration{Duration: *req.KeepAlive}
	}
	body, err := json.Marshal(cr)
	if err != nil {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, e.WedgeProbe)
	defer cancel()
	hr, err := http.NewRequestWithContext(pctx, http.MethodPost, h.URL.JoinPath("api", "chat").String(), bytes.NewReader(body))
	if err != nil {
		return false
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err == nil {
		resp.Body.Close()
		return false
	}
	return errors.Is(pctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
}

// Unwedged is how many times the executor found a model wedged after an
// aborted stream and unloaded it.
func (e *Executor) Unwedged() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.unwedged
}
