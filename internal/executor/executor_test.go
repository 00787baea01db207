package executor_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/google/go-cmp/cmp"
	"github.com/ollama/ollama/api"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// WeatherTools are the two tools the fixture models know.
func weatherTools() []api.Tool {
	mk := func(name, desc string) api.Tool {
		var t api.Tool
		t.Type = "function"
		t.Function.Name = name
		t.Function.Description = desc
		t.Function.Parameters.Type = "object"
		t.Function.Parameters.Required = []string{"city"}
		t.Function.Parameters.Properties = api.NewToolPropertiesMap()
		t.Function.Parameters.Properties.Set("city", api.ToolProperty{Type: api.PropertyType{"string"}, Description: "city name"})
		return t
	}
	return []api.Tool{mk("get_weather", "Current weather in a city"), mk("get_time", "Current time in a city")}
}

func TestAnswer(t *testing.T) {
	ex := ollamatest.Executor(t)
	m, err := ex.Chat(context.Background(), executor.Request{Model: "tiny-m", Prompt: "What is 47+385?", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(m.Output); got != "432" {
		t.Fatalf("tiny-m answered %q, want 432", got)
	}
	if m.DoneReason != "stop" {
		t.Errorf("done_reason %q, want stop", m.DoneReason)
	}
	if m.TTFTMs <= 0 || m.TTFTMs >= m.WallMs {
		t.Errorf("ttft %.3f ms must be positive and below wall time %.3f ms", m.TTFTMs, m.WallMs)
	}
	if m.PromptTokens <= 0 || m.EvalTokens <= 0 || m.GenTPS <= 0 || m.PromptTPS <= 0 {
		t.Errorf("missing metrics: %+v", m)
	}
	if m.Flags.Empty || m.Flags.Truncated || m.Flags.Runaway {
		t.Errorf("unexpected flags %+v", m.Flags)
	}
}

func TestToolCall(t *testing.T) {
	ex := ollamatest.Executor(t)
	m, err := ex.Chat(context.Background(), executor.Request{Model: "tiny-m", Prompt: "What is the weather in Paris?", Tools: weatherTools(), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ToolCalls) != 1 {
		t.Fatalf("want one tool call, got %+v (output %q)", m.ToolCalls, m.Output)
	}
	if diff := cmp.Diff("get_weather", m.ToolCalls[0].Name); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff(map[string]any{"city": "Paris"}, m.ToolCalls[0].Arguments); diff != "" {
		t.Errorf("arguments (-want +got):\n%s", diff)
	}
	if m.TTFTMs <= 0 || m.FirstContentMs != m.TTFTMs {
		t.Errorf("a tool call is a first token and first content: ttft %.3f, first content %.3f", m.TTFTMs, m.FirstContentMs)
	}
}

// The latency definitions hold on a real stream: the first chunk of any kind
// comes no later than the first token, which comes no later than the last
// chunk; an answer has a first content and a stream rate; a model that does
// not think has no first thinking.
func TestLatencyDefinitions(t *testing.T) {
	ex := ollamatest.Executor(t)
	for _, prompt := range []string{"What is 47+385?", "Write a Python function add(a, b) that returns the sum of a and b."} {
		m, err := ex.Chat(context.Background(), executor.Request{Model: "tiny-m", Prompt: prompt, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if !(0 < m.TTFCMs && m.TTFCMs <= m.TTFTMs && m.TTFTMs <= m.WallMs) {
			t.Errorf("%q: want 0 < ttfc %.3f <= ttft %.3f <= wall %.3f ms", prompt, m.TTFCMs, m.TTFTMs, m.WallMs)
		}
		if m.FirstContentMs != m.TTFTMs {
			t.Errorf("%q: a content answer's first content %.3f ms is its first token %.3f ms", prompt, m.FirstContentMs, m.TTFTMs)
		}
		if m.FirstThinkingMs != 0 || m.Thinking != "" {
			t.Errorf("%q: tiny-m does not think, yet first thinking %.3f ms, thinking %q", prompt, m.FirstThinkingMs, m.Thinking)
		}
		if m.EvalTokens >= 2 && m.StreamTPS <= 0 {
			t.Errorf("%q: %d eval tokens but stream_tps %v", prompt, m.EvalTokens, m.StreamTPS)
		}
		if m.GenTPS <= 0 {
			t.Errorf("%q: gen_tps %v", prompt, m.GenTPS)
		}
		t.Logf("%q: %d eval tokens, ttfc %.2f ttft %.2f wall %.2f ms, gen %.0f stream %.0f tok/s", prompt, m.EvalTokens, m.TTFCMs, m.TTFTMs, m.WallMs, m.GenTPS, m.StreamTPS)
	}
}

// Loaded lists a model that answered, with its memory; once it is unloaded
// Memory finds nothing. Ollama unloads asynchronously, so that is polled.
func TestLoadedAndMemory(t *testing.T) {
	ex := ollamatest.Executor(t)
	ctx := context.Background()
	if _, err := ex.Chat(ctx, executor.Request{Model: "tiny-m", Prompt: "What is 47+385?", Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	loaded, err := ex.Loaded(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, m := range loaded {
		if m.Name == "tiny-m:latest" {
			found = true
			if m.SizeBytes <= 0 || m.VRAMBytes < 0 || m.VRAMBytes > m.SizeBytes || m.Digest == "" || m.ExpiresAt.IsZero() {
				t.Errorf("loaded tiny-m: %+v", m)
			}
		}
	}
	if !found {
		t.Fatalf("tiny-m answered but is not listed as loaded: %+v", loaded)
	}
	mem, err := ex.Memory(ctx, "", "tiny-m")
	if err != nil {
		t.Fatal(err)
	}
	if mem == nil || mem.SizeBytes <= 0 || mem.GPUShare < 0 || mem.GPUShare > 1 {
		t.Fatalf("memory of loaded tiny-m: %+v", mem)
	}

	if err := ex.Unload(ctx, "", "tiny-m"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mem, err = ex.Memory(ctx, "", "tiny-m")
		if err != nil {
			t.Fatal(err)
		}
		if mem == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tiny-m still loaded 10 s after Unload: %+v", mem)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Token counts are Ollama's own: the same request without streaming reports the same counts.
func TestTokenCountsMatchOllama(t *testing.T) {
	ex := ollamatest.Executor(t)
	req := executor.Request{Model: "tiny-m", Prompt: "Write a Python function add(a, b) that returns the sum of a and b.", Timeout: time.Minute}
	m, err := ex.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	cr := req.ChatRequest()
	stream := false
	cr.Stream = &stream
	var direct api.ChatResponse
	if err := ollamatest.Get(t).Client.Chat(context.Background(), cr, func(r api.ChatResponse) error { direct = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if m.EvalTokens != direct.EvalCount {
		t.Errorf("eval tokens %d, ollama says %d", m.EvalTokens, direct.EvalCount)
	}
	if m.Output != direct.Message.Content {
		t.Errorf("output %q, ollama says %q", m.Output, direct.Message.Content)
	}
	if !strings.Contains(m.Output, "return a + b") {
		t.Errorf("tiny-m code answer %q", m.Output)
	}
}

func TestBreakerTokenCap(t *testing.T) {
	ex := ollamatest.Executor(t)
	full, err := ex.Chat(context.Background(), executor.Request{Model: "tiny-m", Prompt: "Write a Python function add(a, b) that returns the sum of a and b.", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ex.Chat(context.Background(), executor.Request{
		Model: "tiny-m", Prompt: "Write a Python function add(a, b) that returns the sum of a and b.",
		Timeout: time.Minute, Breaker: executor.Breaker{MaxTokens: 5},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Flags.Runaway || m.RunawayReason != "token_cap" {
		t.Fatalf("breaker did not trip: flags %+v reason %q", m.Flags, m.RunawayReason)
	}
	if m.Output == "" || !strings.HasPrefix(full.Output, m.Output) || len(m.Output) >= len(full.Output) {
		t.Errorf("partial output %q should be a proper prefix of %q", m.Output, full.Output)
	}
	// Ollama applied the cap (num_predict) and ended the stream itself: the
	// server's own count and decode time, no stream closed by the client.
	if m.EvalTokens != 5 || m.EvalMs <= 0 || m.Flags.Truncated {
		t.Errorf("eval %d tokens in %.1f ms, truncated %v; want Ollama's count of 5 and its decode time", m.EvalTokens, m.EvalMs, m.Flags.Truncated)
	}
}

func TestBreakerRepetition(t *testing.T) {
	ex := ollamatest.Executor(t)
	// Out of distribution, with repetition allowed and a long budget, tiny-s loops.
	m, err := ex.Chat(context.Background(), executor.Request{
		Model: "tiny-s", Prompt: "Reverse the word abababababababababababababababababab.",
		Options: map[string]any{"num_predict": 400, "repeat_penalty": 1.0},
		Timeout: time.Minute, Breaker: executor.Breaker{Repetition: true, MinSpan: 24, MinRepeats: 6},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Flags.Runaway || m.RunawayReason != "repetition" {
		t.Fatalf("no loop detected: flags %+v, %d tokens, output %q", m.Flags, m.EvalTokens, m.Output)
	}
	if m.Output == "" {
		t.Error("partial output lost")
	}
}

// Ollama aborts a stream of 30 identical tokens without a final chunk (and
// sometimes leaves it hanging until the timeout); without a breaker of ours
// that is still a runaway, not a dropped connection or a timeout.
func TestOllamaRepeatLimitIsRunaway(t *testing.T) {
	ex := ollamatest.Executor(t)
	m, err := ex.Chat(context.Background(), executor.Request{
		Model: "tiny-m", Prompt: "Reverse the word aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
		Options: map[string]any{"num_predict": 300}, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Flags.Runaway || m.DoneReason != "repeat_limit" || !strings.HasPrefix(m.Output, "aaaaaaaaaa") {
		t.Errorf("want a repeat_limit runaway with the partial output, got flags %+v done %q output %q", m.Flags, m.DoneReason, m.Output)
	}
}

// With the breaker on, 30 identical tokens trip it at once, before Ollama's
// own abort.
func TestBreakerTripsOnRepeatedToken(t *testing.T) {
	ex := ollamatest.Executor(t)
	m, err := ex.Chat(context.Background(), executor.Request{
		Model: "tiny-m", Prompt: "Reverse the word aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
		Options: map[string]any{"num_predict": 300}, Timeout: 10 * time.Second, Breaker: executor.DefaultBreaker,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Flags.Runaway || m.RunawayReason != "repetition" || m.DoneReason != "runaway" {
		t.Errorf("flags %+v reason %q done %q", m.Flags, m.RunawayReason, m.DoneReason)
	}
}

// generating is an executor whose host is the shared server behind a proxy
// that says on the returned channel when a model call's first chunk has
// passed: the model is generating. Cancelling then is cancelling mid-stream,
// whatever the machine's speed.
func generating(tb testing.TB) (*executor.Executor, <-chan struct{}) {
	tb.Helper()
	proxy := httputil.NewSingleHostReverseProxy(ollamatest.Get(tb).URL)
	proxy.FlushInterval = -1
	first := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/chat" {
			w = &firstWrite{ResponseWriter: w, first: first}
		}
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	hosts, err := executor.ParseHosts("local=" + srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	return executor.New(hosts...), first
}

// firstWrite signals on first when the first bytes of a response are written.
type firstWrite struct {
	http.ResponseWriter
	first chan<- struct{}
	once  sync.Once
}

func (f *firstWrite) Write(b []byte) (int, error) {
	n, err := f.ResponseWriter.Write(b)
	f.once.Do(func() {
		select {
		case f.first <- struct{}{}:
		default:
		}
	})
	return n, err
}

func (f *firstWrite) Flush() { f.ResponseWriter.(http.Flusher).Flush() }

// endless is a call of tiny-l that would generate for many minutes.
var endless = executor.Request{Model: "tiny-l", Prompt: "Tell me everything.", Options: map[string]any{"num_predict": 100000, "num_ctx": 4096}}

// A call cancelled while the model streams its answer returns
// context.Canceled. How soon is BenchmarkCancel's to measure; the deadline
// here only catches a hang (the call left alone would run for many minutes).
func TestCancelMidStream(t *testing.T) {
	ex, first := generating(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := ex.Chat(ctx, endless)
		done <- err
	}()
	select {
	case <-first:
	case err := <-done:
		t.Fatalf("the call ended before streaming: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("no chunk within 2 minutes")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("want context.Canceled, got %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the cancelled call did not return within a minute")
	}
}

func TestUnknownModel(t *testing.T) {
	ex := ollamatest.Executor(t)
	_, err := ex.Chat(context.Background(), executor.Request{Model: "tiny-x", Prompt: "hi", Timeout: time.Minute})
	var nf *executor.ModelNotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, executor.ErrModelNotFound) {
		t.Fatalf("want ModelNotFoundError, got %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "ollama pull tiny-x") || !strings.Contains(err.Error(), "tiny-m") {
		t.Errorf("message lacks the hint or the installed models: %v", err)
	}
	if _, err := ex.ModelInfo(context.Background(), "", "tiny-x"); !errors.Is(err, executor.ErrModelNotFound) {
		t.Errorf("ModelInfo: want ErrModelNotFound, got %v", err)
	}
}

func TestModelInfoAndVersion(t *testing.T) {
	ex := ollamatest.Executor(t)
	info, err := ex.ModelInfo(context.Background(), "", "tiny-m")
	if err != nil {
		t.Fatal(err)
	}
	if info.Digest == "" || info.Family != "llama" || info.ContextLength != 512 || info.Quantization == "" {
		t.Errorf("model facts %+v", info)
	}
	v, err := ex.Version(context.Background(), "")
	if err != nil || v == "" {
		t.Errorf("version %q, %v", v, err)
	}
}

// A call to an unloaded model loads it (Ollama starts a runner, and the
// call reports a load time); the next call finds it loaded (no runner
// starts). Counted in Ollama's log from a known state, not compared in
// milliseconds.
func TestColdAndWarm(t *testing.T) {
	ex := ollamatest.Executor(t)
	srv := ollamatest.Get(t)
	mark := srv.LogMark()
	starts := func() int { return srv.LoadsSince(mark) }
	ctx := context.Background()
	if err := ex.Unload(ctx, "", "tiny-s"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // Ollama unloads asynchronously
	for {
		mem, err := ex.Memory(ctx, "", "tiny-s")
		if err != nil {
			t.Fatal(err)
		}
		if mem == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tiny-s still loaded a minute after Unload: %+v", mem)
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := starts()
	cold, err := ex.Chat(ctx, executor.Request{Model: "tiny-s", Prompt: "Uppercase river.", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	afterCold := starts()
	if _, err := ex.Chat(ctx, executor.Request{Model: "tiny-s", Prompt: "Uppercase stone.", Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if afterCold != before+1 || starts() != afterCold || cold.LoadMs <= 0 {
		t.Errorf("runner starts: %d before, %d after the cold call, %d after the warm one (want +1, then none); cold load %.2f ms (want > 0)",
			before, afterCold, starts(), cold.LoadMs)
	}
}

func TestHostUnreachable(t *testing.T) {
	hosts, err := executor.ParseHosts("local=http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	ex := executor.New(hosts...)
	_, err = ex.Chat(context.Background(), executor.Request{Model: "tiny-m", Prompt: "hi", Timeout: 5 * time.Second})
	if !errors.Is(err, executor.ErrHostUnreachable) {
		t.Fatalf("want ErrHostUnreachable, got %v", err)
	}
	if _, err := ex.Chat(context.Background(), executor.Request{Host: "gpu-box", Model: "m", Prompt: "hi"}); !errors.Is(err, executor.ErrUnknownHost) {
		t.Errorf("want ErrUnknownHost, got %v", err)
	}
	if _, err := ex.Loaded(context.Background(), ""); !errors.Is(err, executor.ErrHostUnreachable) || !strings.Contains(err.Error(), "/api/ps") {
		t.Errorf("Loaded: want ErrHostUnreachable naming /api/ps, got %v", err)
	}
}

// The breaker's token cap goes to Ollama as num_predict unless the call
// asks for fewer tokens itself.
func TestChatRequestCapsTokens(t *testing.T) {
	for _, c := range []struct {
		opts map[string]any
		want any
	}{
		{nil, 64}, {map[string]any{"num_predict": -1.0}, 64}, {map[string]any{"num_predict": 1000}, 64},
		{map[string]any{"num_predict": 16.0}, 16.0}, {map[string]any{"num_predict": 64}, 64},
	} {
		req := executor.Request{Model: "m", Prompt: "x", Options: c.opts, Breaker: executor.Breaker{MaxTokens: 64}}
		if got := req.ChatRequest().Options["num_predict"]; got != c.want {
			t.Errorf("options %v: num_predict %v, want %v", c.opts, got, c.want)
		}
	}
	opts := map[string]any{"temperature": 0.5}
	executor.Request{Model: "m", Options: opts, Breaker: executor.Breaker{MaxTokens: 8}}.ChatRequest()
	if _, ok := opts["num_predict"]; ok {
		t.Error("the caller's options were changed")
	}
	// A tool call's text never reaches the breaker, so no cap cuts it.
	if o := (executor.Request{Model: "m", Tools: api.Tools{{Type: "function"}}, Breaker: executor.Breaker{MaxTokens: 8}}).ChatRequest().Options; o != nil {
		t.Errorf("a call with tools got options %v", o)
	}
	if o := (executor.Request{Model: "m"}).ChatRequest().Options; o != nil {
		t.Errorf("no cap, no options: %v", o)
	}
}
