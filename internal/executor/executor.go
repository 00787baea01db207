// Package executor makes measured model calls on named hosts, each an
// Ollama server or an OpenAI-compatible one (engine.go): one call is one
// sample, with time to first token taken on the stream, the server's own
// metrics from its end (Ollama's timings, or an OpenAI server's usage),
// flags for silent failures and a circuit breaker for runaway generation.
package executor

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
)

// Executor runs model calls against named hosts. It is safe for
// concurrent use.
type Executor struct {
	hosts map[string]Host
	order []string // host names in configured order; order[0] is the default

	// Retry is how ChatRetry tries again a call that failed on the
	// machine; New sets DefaultRetry. Set it before the first call.
	Retry RetryPolicy

	// WedgeProbe bounds the probe of a model after a stream of ours to it
	// was aborted (unwedge.go); New sets DefaultWedgeProbe, 0 turns the
	// probe off.
	WedgeProbe time.Duration

	mu       sync.Mutex
	numCtx   map[string]int           // host/model -> num_ctx from the Modelfile, for the context-full flag
	prompts  map[string]int           // host/model/prompt hash -> prompt tokens first seen, for the cache flag
	inflight map[string]int           // host/model -> our calls in flight
	suspect  map[string]bool          // host/model -> a stream was aborted, not yet probed
	probing  map[string]chan struct{} // host/model -> closed when its probe ends
	unwedged int
}

// New returns an executor over the given hosts; the first is the default.
func New(hosts ...Host) *Executor {
	e := &Executor{hosts: map[string]Host{}, Retry: DefaultRetry, WedgeProbe: DefaultWedgeProbe,
		numCtx: map[string]int{}, prompts: map[string]int{}, inflight: map[string]int{}, suspect: map[string]bool{}, probing: map[string]chan struct{}{}}
	for _, h := range hosts {
		e.hosts[h.Name] = h
		e.order = append(e.order, h.Name)
	}
	return e
}

// Host returns a configured host by name; "" is the default host.
func (e *Executor) Host(name string) (Host, error) {
	if name == "" && len(e.order) > 0 {
		name = e.order[0]
	}
	h, ok := e.hosts[name]
	if !ok {
		return Host{}, fmt.Errorf("%w %q; configured hosts: %s", ErrUnknownHost, name, strings.Join(hostNames(e.hosts), ", "))
	}
	return h, nil
}

// Hosts lists the configured hosts, the default first.
func (e *Executor) Hosts() []Host {
	out := make([]Host, 0, len(e.order))
	for _, n := range e.order {
		out = append(out, e.hosts[n])
	}
	return out
}

// Request is one model call.
type Request struct {
	Host     string        // named host; "" = default
	Model    string        // model reference as Ollama knows it, e.g. qwen2.5-coder:1.5b
	System   string        // system prompt (preamble); empty = none
	Prompt   string        // the user message
	Messages []api.Message // optional history placed between System and Prompt

	Tools     []api.Tool
	Options   map[string]any // num_ctx, num_gpu, num_thread, num_predict, temperature, top_p, top_k, repeat_penalty, seed, stop, ...
	Think     *api.ThinkValue
	Format    json.RawMessage // "json" or a JSON schema
	KeepAlive *time.Duration

	Timeout time.Duration // whole-call budget; 0 = none beyond ctx
	Breaker Breaker
}

// Messages builds the chat messages of a request.
func (r Request) messages() []api.Message {
	var msgs []api.Message
	if r.System != "" {
		msgs = append(msgs, api.Message{Role: "system", Content: r.System})
	}
	msgs = append(msgs, r.Messages...)
	if r.Prompt != "" {
		msgs = append(msgs, api.Message{Role: "user", Content: r.Prompt})
	}
	return msgs
}

// ChatRequest is the Ollama request a Request sends, streamed.
func (r Request) ChatRequest() *api.ChatRequest {
	stream := true
	cr := &api.ChatRequest{
		Model:    r.Model,
		Messages: r.messages(),
		Stream:   &stream,
		Tools:    r.Tools,
		Options:  r.Options,
		Think:    r.Think,
		Format:   r.Format,
	}
	if r.capsTokens() {
		cr.Options = maps.Clone(r.Options)
		if cr.Options == nil {
			cr.Options = map[string]any{}
		}
		cr.Options["num_predict"] = r.Breaker.MaxTokens
	}
	if r.KeepAlive != nil {
		cr.KeepAlive = &api.Duration{Duration: *r.KeepAlive}
	}
	return cr
}

// capsTokens reports whether the request goes to Ollama with the
// breaker's token cap as its num_predict: when it has a cap and its own
// num_predict is unset, unlimited (negative) or larger. Ollama then ends a
// runaway itself, with its final chunk, rather than the client closing a
// flowing stream, which can leak one of the model's parallel slots
// (unwedge.go). Not with tools: Ollama holds a tool call's text back from
// the stream, so the breaker never counted it, and a cap would cut the
// call short.
func (r Request) capsTokens() bool {
	if r.Breaker.MaxTokens <= 0 || len(r.Tools) > 0 {
		return false
	}
	v, set := r.Options["num_predict"]
	n, ok := option.Number(v)
	return !set || !ok || n < 0 || n > float64(r.Breaker.MaxTokens)
}

var errBreaker = errors.New("circuit breaker tripped")

// ollamaRepeatLimit is the run of identical tokens after which Ollama itself
// aborts a generation (llm/server.go: tokenRepeat > 30).
const ollamaRepeatLimit = 30

// Chat makes one streamed call and measures it. On a breaker trip it returns
// the partial measurement flagged runaway and no error. On cancellation or
// timeout it returns what was received so far together with the error.
func (e *Executor) Chat(ctx context.Context, req Request) (record.Measurement, error) {
	var m record.Measurement
	h, err := e.Host(req.Host)
	if err != nil {
		return m, err
	}
	if req.Model == "" {
		return m, errors.New("no model given")
	}
	callCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if req.Timeout > 0 {
		var stop context.CancelFunc
		callCtx, stop = context.WithTimeoutCause(callCtx, req.Timeout, ErrTimeout)
		defer stop()
	}

	if err := h.engine.refused(req); err != nil {
		return m, &RefusedError{Host: h.Name, Err: err}
	}
	release, err := h.gate.enter(callCtx)
	if err != nil {
		return m, e.classify(ctx, callCtx, h, req, err, m)
	}
	defer release()
	key := h.Name + "/" + req.Model
	if err := e.begin(callCtx, key); err != nil {
		return m, e.classify(ctx, callCtx, h, req, err, m)
	}
	aborted := false // we closed a flowing stream: may wedge Ollama (unwedge.go)
	defer func() { e.end(ctx, h, req, key, aborted) }()

	var (
		out, thinking strings.Builder
		clock         streamClock
		calls         []record.ToolCall
		last          string // last content chunk, trimmed
		sameRun       int    // how many chunks in a row repeated it
		deltas        int    // chunks received
	)
	// Closing a flowing Ollama stream can leak one of the model's slots
	// (unwedge.go), so a stream the loop detector trips is read to its end
	// (Ollama ends it at the token cap, capsTokens) and dropped from the
	// trip on: the sample is what came before. A run of identical tokens
	// is still cut: Ollama aborts it itself a token later, and may then
	// hang until the call's timeout.
	drain := h.Ollama()
	var tripped time.Duration // when a drained stream tripped the breaker
	start := time.Now()
	final, err := h.engine.stream(callCtx, req, func(d delta) error {
		if tripped > 0 {
			return nil
		}
		clock.observe(time.Since(start), d)
		deltas++
		if c := strings.TrimSpace(d.Content); c == last {
			sameRun++
		} else {
			last, sameRun = c, 0
		}
		out.WriteString(d.Content)
		thinking.WriteString(d.Thinking)
		calls = append(calls, d.ToolCalls...)
		if req.Breaker.MaxTokens > 0 && clock.tokenChunks > req.Breaker.MaxTokens {
			m.RunawayReason = "token_cap"
			return errBreaker
		}
		if req.Breaker.Repetition && sameRun >= ollamaRepeatLimit {
			m.RunawayReason = "repetition"
			return errBreaker
		}
		if req.Breaker.Repetition && (req.Breaker.Looping(out.String()) || req.Breaker.Looping(thinking.String())) {
			m.RunawayReason = "repetition"
			if drain {
				tripped = max(time.Since(start), time.Nanosecond)
				return nil
			}
			return errBreaker
		}
		return nil
	})
	wall := time.Since(start)
	// Only a stream that was flowing can leak Ollama's slot when closed.
	aborted = final == nil && deltas > 0 && (errors.Is(err, errBreaker) || callCtx.Err() != nil)
	if tripped > 0 {
		// The sample is what came before the trip; the rest was drained.
		wall, final, err = tripped, nil, errBreaker
	}
	if final != nil {
		calls = append(calls, final.ToolCalls...)
	}

	m.Output = out.String()
	m.Thinking = thinking.String()
	m.ToolCalls = calls
	m.WallMs = ms(wall)
	clock.fill(&m)
	tokens := clock.tokenChunks // the server's count replaces it when the stream ended with one
	m.EvalTokens = tokens

	switch {
	case errors.Is(err, errBreaker):
		m.Flags.Runaway = true
		m.DoneReason = "runaway"
		if wall > 0 {
			m.GenTPS = float64(tokens) / wall.Seconds() // client-side estimate: no final metrics
		}
		e.flag(&m)
		return m, nil
	case final == nil && sameRun >= ollamaRepeatLimit && ctx.Err() == nil:
		// Ollama aborts a generation after 30 identical tokens: the stream
		// ends with no final chunk, or (seen with v0.17.4) hangs until the
		// call's timeout. Either way it is a runaway, not a failure.
		m.Flags.Runaway = true
		m.RunawayReason = "repetition"
		m.DoneReason = "repeat_limit"
		if wall > 0 {
			m.GenTPS = float64(tokens) / wall.Seconds()
		}
		e.flag(&m)
		return m, nil
	case err != nil:
		return m, e.classify(ctx, callCtx, h, req, err, m)
	case final == nil && callCtx.Err() != nil:
		// The client stops reading quietly when its context ends.
		return m, e.classify(ctx, callCtx, h, req, callCtx.Err(), m)
	case final == nil:
		return m, &FaultError{Kind: FaultDropped, Model: req.Model, Host: h.Name,
			Err: errors.New("the stream ended without its final chunk (connection dropped, or the runner died); check the server's log")}
	}

	m.DoneReason = final.DoneReason
	m.Fingerprint = final.Fingerprint
	if final.Counted {
		m.PromptTokens = final.PromptTokens
		m.EvalTokens = final.EvalTokens
		if len(calls) == 0 {
			// A tool call's tokens come outside the text chunks' span.
			m.StreamTPS = clock.tokenRate(m.EvalTokens)
		}
	}
	m.LoadMs = ms(final.Load)
	m.TotalMs = ms(final.Total)
	m.PromptMs = ms(final.PromptEval)
	m.EvalMs = ms(final.Eval)
	if final.PromptEval > 0 {
		m.PromptTPS = float64(final.PromptTokens) / final.PromptEval.Seconds()
	}
	if final.Eval > 0 {
		m.GenTPS = float64(final.EvalTokens) / final.Eval.Seconds()
	}
	m.Flags.Truncated = final.DoneReason == "length"
	if m.Flags.Truncated && req.capsTokens() && final.Counted && final.EvalTokens >= req.Breaker.MaxTokens {
		// It ran into the breaker's cap, which Ollama applied: a runaway,
		// not a truncation the caller asked for.
		m.Flags.Truncated, m.Flags.Runaway = false, true
		m.RunawayReason, m.DoneReason = "token_cap", "runaway"
	}
	if n := e.contextLength(ctx, h, req); n > 0 && m.PromptTokens >= n {
		m.Flags.ContextFull = true
	}
	if h.Ollama() {
		m.Flags.PromptCached = e.promptCached(h, req, m.PromptTokens)
	}
	e.flag(&m)
	return m, nil
}

func (e *Executor) flag(m *record.Measurement) {
	answered := strings.TrimSpace(m.Output) != "" || len(m.ToolCalls) > 0
	m.Flags.Empty = !answered && strings.TrimSpace(m.Thinking) == ""
	m.Flags.ThinkingOnly = !answered && strings.TrimSpace(m.Thinking) != ""
}

// classify turns a failed call into a typed error: a cancellation, the
// executor's typed errors, a *FaultError for a failure of the machine, or
// (for a request the host refused) a plain error.
func (e *Executor) classify(parent, callCtx context.Context, h Host, req Request, err error, m record.Measurement) error {
	if parent.Err() != nil {
		return fmt.Errorf("call %s on %s: %w", req.Model, h.Name, parent.Err())
	}
	if errors.Is(context.Cause(callCtx), ErrTimeout) {
		return &TimeoutError{Model: req.Model, Timeout: req.Timeout, Partial: m.Output, Answered: m.TTFCMs > 0 || m.TTFTMs > 0}
	}
	if code, msg, wait, ok := h.engine.status(err); ok {
		switch {
		case code == http.StatusNotFound:
			return e.notFound(parent, h, req.Model)
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			return &AuthError{Host: h.Name, KeyEnv: h.KeyEnv, Code: code, Msg: msg}
		case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout:
			h.gate.pause(wait)
			return &FaultError{Kind: FaultRateLimited, Model: req.Model, Host: h.Name, RetryAfter: wait, Err: fmt.Errorf("%s answered %d: %s", h.Engine, code, msg)}
		case code >= 500:
			return &FaultError{Kind: FaultServer, Model: req.Model, Host: h.Name, RetryAfter: wait, Err: fmt.Errorf("%s answered %d: %s", h.Engine, code, msg)}
		}
		return fmt.Errorf("call %s on %s: %s answered %d: %s", req.Model, h.Name, h.Engine, code, msg)
	}
	if unreachable(err) {
		return &HostUnreachableError{Engine: h.Engine, Host: h.Name, URL: h.URL.String(), Err: err}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &FaultError{Kind: FaultDropped, Model: req.Model, Host: h.Name, Err: fmt.Errorf("the stream was cut short: %w", err)}
	}
	// What is left is an error Ollama put inside a stream it had begun with
	// 200 ("llama runner process has terminated", "an error was encountered
	// while running the model"), or a chunk it could not frame: the server
	// failed mid-answer.
	return &FaultError{Kind: FaultServer, Model: req.Model, Host: h.Name, Err: fmt.Errorf("%s failed mid-answer: %w", h.Engine, err)}
}

func unreachable(err error) bool {
	var op *net.OpError
	var ue *url.Error
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &op) || (errors.As(err, &ue) && !errors.Is(err, context.Canceled))
}

func (e *Executor) notFound(ctx context.Context, h Host, model string) error {
	nf := &ModelNotFoundError{Engine: h.Engine, Model: model, Host: h.Name, URL: h.URL.String()}
	if list, err := h.engine.models(ctx); err == nil {
		for _, m := range list {
			nf.Available = append(nf.Available, m.Name)
		}
	}
	return nf
}

// contextLength is the num_ctx in force for a request: the request's option,
// else the model's Modelfile parameter, else 0 (unknown).
func (e *Executor) contextLength(ctx context.Context, h Host, req Request) int {
	if v, ok := req.Options["num_ctx"]; ok {
		if n, ok := toInt(v); ok {
			return n
		}
	}
	key := h.Name + "/" + req.Model
	e.mu.Lock()
	n, ok := e.numCtx[key]
	e.mu.Unlock()
	if ok {
		return n
	}
	if h.Ollama() {
		if show, err := h.client.Show(ctx, &api.ShowRequest{Model: req.Model}); err == nil {
			n = parameterInt(show.Parameters, "num_ctx")
		}
	}
	e.mu.Lock()
	e.numCtx[key] = n
	e.mu.Unlock()
	return n
}

// promptCached reports whether Ollama evaluated fewer prompt tokens than the
// first time this exact prompt was sent to this model: the KV cache served the rest.
func (e *Executor) promptCached(h Host, req Request, promptTokens int) bool {
	b, _ := json.Marshal(struct {
		M []api.Message
		T []api.Tool
	}{req.messages(), req.Tools})
	sum := sha256.Sum256(b)
	key := h.Name + "/" + req.Model + "/" + string(sum[:8])
	e.mu.Lock()
	defer e.mu.Unlock()
	first, seen := e.prompts[key]
	if !seen {
		e.prompts[key] = promptTokens
		return false
	}
	return promptTokens < first
}

func parameterInt(params, name string) int {
	for _, line := range strings.Split(params, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == name {
			if n, err := strconv.Atoi(f[1]); err == nil {
				return n
			}
		}
	}
	return 0
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	}
	return 0, false
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
