package bench_test

// OpenAI-compatible hosts, against a real one: Ollama's own /v1 endpoint,
// on the shared test server. The same suite through it and through the
// native API gives the same answers and pass rates for every fixture
// model; faults a real server will not make on demand (429 with
// Retry-After, 500, a stream cut short, a refused key) come from a
// loopback proxy in front of it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/internal/route"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
)

// bothEngines is a runner whose host "native" is the shared server's
// native API and "oa" the same server's OpenAI-compatible /v1, plus extra
// hosts.
func bothEngines(t *testing.T, extra string) (*bench.Runner, *memory.Store) {
	t.Helper()
	u := ollamatest.Get(t).URL.String()
	spec := "native=" + u + ",oa=openai:" + u + "/v1"
	if extra != "" {
		spec += "," + extra
	}
	hosts, err := executor.ParseHosts(spec)
	if err != nil {
		t.Fatal(err)
	}
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ex := executor.New(hosts...)
	ex.Retry = executor.RetryPolicy{Retries: 3, Backoff: 50 * time.Millisecond, MaxBackoff: time.Second}
	return &bench.Runner{Exec: ex, Store: st}, st
}

// greedy: Ollama's /v1 sets temperature and top_p to 1 unless given, where
// the native API keeps the Modelfile's; a run that states them samples
// alike on both.
var greedy = map[string]any{"temperature": 0}

func TestOpenAIHostGivesTheNativeAnswers(t *testing.T) {
	r, st := bothEngines(t, "")
	agentic, ok := suite.Builtin("agentic-tiny")
	if !ok {
		t.Fatal("no agentic-tiny suite")
	}
	// Two tasks of each family of the tiny suite (judged, tool calls, code)
	// keep five models on two engines within minutes.
	tiny := tinySuite(t)
	var half []suite.Task
	for i, task := range tiny.Tasks {
		if i%4 < 2 {
			half = append(half, task)
		}
	}
	tiny.Tasks = half
	cases := []struct {
		model string
		suite suite.Suite
	}{
		{"tiny-s", tiny}, {"tiny-m", tiny}, {"tiny-l", tiny}, {"tiny-judge", tiny}, {"tiny-agent", agentic},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			cfg := bench.Config{Model: c.model, Suite: c.suite, Iterations: 2, Seeds: mustSeeds(t, 2, 11), Options: greedy, Timeout: time.Minute}
			if c.model != "tiny-agent" {
				cfg.Iterations, cfg.Seeds = 1, mustSeeds(t, 1, 11)
			}
			cfg.Host = "native"
			native := runSuite(t, r, cfg)
			cfg.Host = "oa"
			oa := runSuite(t, r, cfg)
			if native.Status != record.StatusCompleted || oa.Status != record.StatusCompleted {
				t.Fatalf("native run %s (%s), openai run %s (%s); want both completed", native.Status, native.Error, oa.Status, oa.Error)
			}
			if oa.Engine != executor.EngineOpenAI || native.Engine != "" || oa.OllamaVersion != "" {
				t.Errorf("engines stored: native %q, openai %q (version %q)", native.Engine, oa.Engine, oa.OllamaVersion)
			}
			ns, os := byItem(t, st, native.ID), byItem(t, st, oa.ID)
			if len(ns) != len(c.suite.Tasks)*cfg.Iterations || len(os) != len(ns) {
				t.Fatalf("%d native and %d openai samples for %d tasks x %d", len(ns), len(os), len(c.suite.Tasks), cfg.Iterations)
			}
			calls := 0
			for k, n := range ns {
				o := os[k]
				if n.Output != o.Output || n.Pass != o.Pass || fmt.Sprint(n.ToolCalls) != fmt.Sprint(o.ToolCalls) {
					t.Errorf("%s: native answered %q %v (pass %v), openai %q %v (pass %v)", k, n.Output, n.ToolCalls, n.Pass, o.Output, o.ToolCalls, o.Pass)
				}
				if a, b := trace(n.Agent), trace(o.Agent); a != b {
					t.Errorf("%s: agentic trace differs:\nnative %s\nopenai %s", k, a, b)
				}
				calls += len(o.ToolCalls)
				if o.TTFTMs <= 0 || o.WallMs <= 0 || o.EvalTokens <= 0 || o.PromptTokens <= 0 {
					t.Errorf("%s: openai sample measured ttft %v, wall %v, tokens %d in / %d out; want the stream's times and the usage's counts", k, o.TTFTMs, o.WallMs, o.PromptTokens, o.EvalTokens)
				}
				if o.LoadMs != 0 || o.EvalMs != 0 || o.PromptMs != 0 || o.GenTPS != 0 {
					t.Errorf("%s: openai sample has load %v, eval %v, prompt %v ms, gen %v tok/s: the API reports none of these", k, o.LoadMs, o.EvalMs, o.PromptMs, o.GenTPS)
				}
				if n.EvalTokens != o.EvalTokens || n.PromptTokens != o.PromptTokens {
					t.Errorf("%s: tokens native %d/%d, openai %d/%d", k, n.PromptTokens, n.EvalTokens, o.PromptTokens, o.EvalTokens)
				}
			}
			if c.model == "tiny-agent" && calls == 0 {
				t.Error("tiny-agent made no tool call through the OpenAI API; the agentic path was not exercised")
			}
			if native.Summary.PassRate != oa.Summary.PassRate || native.Summary.Passed != oa.Summary.Passed {
				t.Errorf("pass rate native %.3f (%d), openai %.3f (%d)", native.Summary.PassRate, native.Summary.Passed, oa.Summary.PassRate, oa.Summary.Passed)
			}
			t.Logf("%s: %d/%d passed on both; %d tool calls", c.model, oa.Summary.Passed, oa.Summary.Samples, calls)

			// The comparability guard tells the engines apart, and only them.
			ms := compare.Refused(compare.Mismatches([]record.Run{native, oa}, nil))
			if len(ms) != 1 || ms[0].Field != compare.DiffEngine || !strings.Contains(compare.RefusalMessage(ms), `"engine"`) {
				t.Errorf("native vs openai runs of one server refused for %+v; want the engine alone", ms)
			}
			if ms := compare.Refused(compare.Mismatches([]record.Run{native, oa}, []string{compare.DiffEngine})); len(ms) != 0 {
				t.Errorf("allowed the engine, still refused: %+v", ms)
			}
		})
	}
}

// trace is an agentic sample's turns without their timings: what the
// model said and called, and what it was answered.
func trace(a *record.Agent) string {
	if a == nil {
		return ""
	}
	var b strings.Builder
	for _, st := range a.Steps {
		fmt.Fprintf(&b, "[%q %v %v] ", st.Output, st.ToolCalls, st.Results)
	}
	return b.String() + a.Stop
}

func byItem(t *testing.T, st *memory.Store, runID string) map[string]record.Sample {
	t.Helper()
	smps, err := st.Samples(runID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]record.Sample{}
	for _, s := range smps {
		out[fmt.Sprintf("%s/%d", s.TaskID, s.Iteration)] = s
	}
	return out
}

// TestOpenAIHostRefusesOptionsItCannotTake: an Ollama option with no
// equivalent in the chat completions API stops the run before any call,
// saying which and why; the same options run on the native host.
func TestOpenAIHostRefusesOptionsItCannotTake(t *testing.T) {
	r, _ := bothEngines(t, "")
	cfg := bench.Config{Host: "oa", Model: "tiny-s", Suite: tinySuite(t), Options: map[string]any{"temperature": 0, "top_k": 20, "num_ctx": 512}}
	_, err := r.Prepare(context.Background(), cfg)
	var ie *bench.InputError
	if !errors.As(err, &ie) || !errors.Is(err, executor.ErrRefused) || !strings.Contains(err.Error(), "num_ctx, top_k") || !strings.Contains(err.Error(), "Ollama host") {
		t.Fatalf("top_k and num_ctx on an openai host: %v; want an input error naming both and what to do", err)
	}
	cfg.Host = "native"
	if _, err := r.Prepare(context.Background(), cfg); err != nil {
		t.Errorf("the same options on the native host: %v", err)
	}
}

// flaky sits in front of the shared server's /v1 and does to the chat
// calls whose body holds prompt what fault says, once each; every other
// request it relays. key, when set, is the bearer token it requires.
type flaky struct {
	prompt, fault, key string

	mu    sync.Mutex
	hits  []time.Time // chat calls of prompt, as they came
	seen  []string    // Authorization headers
	tried bool
}

func (f *flaky) server(t *testing.T) *httptest.Server {
	rp := httputil.NewSingleHostReverseProxy(ollamatest.Get(t).URL)
	rp.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.seen = append(f.seen, r.Header.Get("Authorization"))
		if f.key != "" && r.Header.Get("Authorization") != "Bearer "+f.key {
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return
		}
		mine := strings.HasSuffix(r.URL.Path, "/chat/completions") && strings.Contains(string(body), f.prompt)
		first := mine && !f.tried
		if mine {
			f.hits = append(f.hits, time.Now())
			f.tried = true
		}
		f.mu.Unlock()
		if !first {
			rp.ServeHTTP(w, r)
			return
		}
		switch f.fault {
		case "429":
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`)
		case "500":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"message":"internal error","type":"server_error"}}`)
		case "cut":
			// The answer's headers and first event, then the connection drops.
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"tiny-m","choices":[{"index":0,"delta":{"role":"assistant","content":"4"},"finish_reason":null}]}`+"\n\n")
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenAIHostFaults(t *testing.T) {
	s := tinySuite(t)
	task := s.Tasks[2]
	for _, c := range []struct {
		fault string
		kind  executor.FaultKind
	}{
		{"429", executor.FaultRateLimited},
		{"500", executor.FaultServer},
		{"cut", executor.FaultDropped},
	} {
		t.Run(c.fault, func(t *testing.T) {
			f := &flaky{prompt: task.Prompt, fault: c.fault}
			srv := f.server(t)
			r, st := bothEngines(t, "proxy=openai:"+srv.URL+"/v1")
			cfg := bench.Config{Model: "tiny-m", Suite: s, Seeds: mustSeeds(t, 1, 5), Options: greedy}
			cfg.Host = "oa"
			calm := runSuite(t, r, cfg)
			cfg.Host = "proxy"
			hit := runSuite(t, r, cfg)
			if hit.Status != record.StatusCompleted || hit.Summary.Faults != 0 || hit.Summary.Errors != 0 {
				t.Fatalf("run with one %s: %s (%s), faults %d, errors %d; want completed, the call retried", c.fault, hit.Status, hit.Error, hit.Summary.Faults, hit.Summary.Errors)
			}
			if hit.Summary.Passed != calm.Summary.Passed || hit.Summary.Samples != calm.Summary.Samples {
				t.Errorf("with one %s: %d of %d passed; undisturbed: %d of %d", c.fault, hit.Summary.Passed, hit.Summary.Samples, calm.Summary.Passed, calm.Summary.Samples)
			}
			if hit.Summary.Retried[string(c.kind)] != 1 {
				t.Errorf("retried %v; want one %s", hit.Summary.Retried, c.kind)
			}
			smps := byItem(t, st, hit.ID)
			smp := smps[task.ID+"/1"]
			if len(smp.Retries) != 1 || smp.Retries[0].Kind != string(c.kind) {
				t.Errorf("sample of %s: retries %+v; want one %s", task.ID, smp.Retries, c.kind)
			}
			if c.fault == "429" {
				f.mu.Lock()
				hits := f.hits
				f.mu.Unlock()
				// Retry-After: 1 against a 50 ms backoff: the retry waited as asked.
				if len(hits) < 2 || hits[1].Sub(hits[0]) < 900*time.Millisecond {
					t.Errorf("calls of the rate-limited task at %v; want the retry a second after the 429 (Retry-After)", hits)
				}
			}
		})
	}
}

// TestAPIKeyStaysSecret: a key in the environment reaches the host as its
// bearer token and nowhere else (the store file, the log, the run, its
// report); a wrong key stops the run before any sample, saying where the
// key comes from, and is not echoed either.
func TestAPIKeyStaysSecret(t *testing.T) {
	const key = "sk-benchmcp-test-7f3a9c1e5b"
	const wrong = "sk-benchmcp-wrong-00d1e2f3a4"
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	f := &flaky{prompt: "\x00never", key: key}
	srv := f.server(t)
	t.Setenv("BENCHMCP_CLOUD_API_KEY", key)
	t.Setenv("OTHER_KEY", wrong)
	r, st := bothEngines(t, "cloud=openai:"+srv.URL+"/v1;price=2/8,badkey=openai:"+srv.URL+"/v1;key_env=OTHER_KEY")
	cfg := bench.Config{Host: "cloud", Model: "tiny-m", Suite: tinySuite(t), Seeds: mustSeeds(t, 1, 5), Options: greedy}
	run := runSuite(t, r, cfg)
	if run.Status != record.StatusCompleted {
		t.Fatalf("run with the right key: %s (%s)", run.Status, run.Error)
	}
	if run.Price == nil || run.Summary.Cost == nil || run.Summary.Cost.USD <= 0 || run.Summary.Cost.InputTokens == 0 {
		t.Errorf("run at price 2/8: price %+v, cost %+v; want the cost of its tokens", run.Price, run.Summary.Cost)
	} else if c := run.Summary.Cost; c.USD != (2*float64(c.InputTokens)+8*float64(c.OutputTokens))/1e6 {
		t.Errorf("cost %+v is not 2 and 8 USD per million input and output tokens", c)
	}

	cfg.Host = "badkey"
	_, err := r.Prepare(context.Background(), cfg)
	if !errors.Is(err, executor.ErrHostAuth) || !strings.Contains(err.Error(), "OTHER_KEY") || strings.Contains(err.Error(), wrong) {
		t.Errorf("a wrong key: %v; want the host's refusal, naming $OTHER_KEY and not the key", err)
	}

	f.mu.Lock()
	for _, h := range f.seen {
		if h != "Bearer "+key && h != "Bearer "+wrong {
			t.Errorf("the host got Authorization %q", h)
		}
	}
	f.mu.Unlock()
	stored, _ := st.GetRun(run.ID)
	smps, _ := st.Samples(run.ID)
	st.Close()
	db, err := os.ReadFile(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{
		"the store file": string(db),
		"the log":        logs.String(),
		"the run":        fmt.Sprintf("%+v %+v %+v", stored, stored.Config, smps),
		"its report":     report.RunMarkdown(stored),
		"the error":      fmt.Sprint(err),
	} {
		for _, k := range []string{key, wrong} {
			if strings.Contains(text, k) {
				t.Errorf("%s holds an API key", what)
			}
		}
	}
}

// TestRoutingLocalVsCloud: routing between a local model on the native API
// and a "cloud" model on an OpenAI-compatible host priced per token: the
// evaluation counts the cloud model's tokens at its price and the local
// one's as free, and a cascade answered on both engines escalates from the
// local model to the cloud one.
func TestRoutingLocalVsCloud(t *testing.T) {
	r, st := bothEngines(t, "cloud=openai:"+ollamatest.Get(t).URL.String()+"/v1;price=2/8")
	s := tinySuite(t)
	var arith []suite.Task
	for _, task := range s.Tasks {
		if task.Category == "add" || task.Category == "mul" {
			arith = append(arith, task)
		}
	}
	s.Tasks = arith
	local := route.Candidate{Model: "tiny-s", Host: "native"}
	cloud := route.Candidate{Model: "tiny-m", Host: "cloud"}
	for _, c := range []route.Candidate{local, cloud} {
		run := runSuite(t, r, bench.Config{Model: c.Model, Host: c.Host, Suite: s, Seeds: mustSeeds(t, 1, 3), Options: greedy, Timeout: time.Minute})
		if run.Status != record.StatusCompleted {
			t.Fatalf("run of %s: %s (%s)", c.Name(), run.Status, run.Error)
		}
	}
	rs := &route.Service{Store: st, Exec: r.Exec}
	ev, err := rs.Evaluate(context.Background(), route.Setup{Candidates: []route.Candidate{local, cloud}, Suite: s, Options: greedy, Iterations: 1, Within: 0.05}, route.EvaluateHooks{})
	if err != nil {
		t.Fatal(err)
	}
	costs := map[string]float64{}
	for _, p := range ev.Policies {
		costs[p.ID] = p.Cost
	}
	if costs["always tiny-s@native"] != 0 || costs["always tiny-m@cloud"] <= 0 || !strings.Contains(ev.Why, "by cost") {
		t.Errorf("policy costs %v, why %q; want the local model free, the cloud one at its price, and the choice made by cost", costs, ev.Why)
	}
	t.Logf("recommended %s: %s", ev.Recommended, ev.Why)

	// route_task's cascade: the local model answers 5788 wrong, the cloud one right.
	c, err := check.Compile(check.Spec{Type: "exact", Value: "5788"})
	if err != nil {
		t.Fatal(err)
	}
	var task suite.Task
	for _, tk := range arith {
		if slices.ContainsFunc(tk.Checks, func(sp check.Spec) bool { return sp.Type == "exact" && fmt.Sprint(sp.Value) == "5788" }) {
			task = tk
		}
	}
	d, err := rs.Decide(context.Background(), route.Request{Task: task.Prompt, Candidates: []route.Candidate{local, cloud}, Strategy: route.Cascade, Checks: []check.Check{c}, Options: greedy})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) == 0 || d.Attempts[len(d.Attempts)-1].Model != d.Chosen {
		t.Fatalf("cascade %+v", d)
	}
	t.Logf("cascade chose %s after %d attempts: %+v", d.Chosen, len(d.Attempts), d.Attempts)
	if d.Chosen == cloud.Name() && (len(d.Attempts) != 2 || d.Attempts[1].Answer != "5788") {
		t.Errorf("the cascade escalated to the cloud model: attempts %+v; want the local miss, then 5788 from the cloud", d.Attempts)
	}
}
