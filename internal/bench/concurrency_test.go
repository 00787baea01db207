package bench_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/buildinfo"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
)

// TestConcurrentRunWarmsAtItsConcurrency: a run at concurrency 3 makes,
// before its first timed call, its warm-up call and then a round of 3 calls
// at once (a server's first batch of several sequences is slow), all
// untimed; its throughput counts the timed calls' tokens over the time they
// were in flight. No warm-up call sends a prompt a timed call then sends
// (the timed call would find it in Ollama's KV cache), so no sample is
// prompt_cached. A proxy in front of the real server watches the calls.
func TestConcurrentRunWarmsAtItsConcurrency(t *testing.T) {
	srv := ollamatest.Get(t)
	var mu sync.Mutex
	var starts []time.Time
	var prompts []string // each call's last message, in the order the calls came
	inflight, peakBefore := 0, 0
	var firstTimed time.Time // set after the run: calls before it were warm-ups
	proxy := httputil.NewSingleHostReverseProxy(srv.URL)
	proxy.FlushInterval = -1
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat" {
			proxy.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var chat struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		_ = json.Unmarshal(body, &chat)
		last := ""
		if n := len(chat.Messages); n > 0 {
			last = chat.Messages[n-1].Content
		}
		mu.Lock()
		starts = append(starts, time.Now())
		prompts = append(prompts, last)
		inflight++
		if len(starts) <= 4 { // the warm-up calls, if the run makes them first
			peakBefore = max(peakBefore, inflight)
		}
		mu.Unlock()
		proxy.ServeHTTP(w, r)
		mu.Lock()
		inflight--
		mu.Unlock()
	}))
	defer front.Close()
	hosts, err := executor.ParseHosts("local=" + front.URL)
	if err != nil {
		t.Fatal(err)
	}
	st, err := memory.Open(filepath.Join(t.TempDir(), "w.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := modelOnly(t)
	r := &bench.Runner{Exec: executor.New(hosts...), Store: st}
	id := runWith(t, r, bench.Config{Model: "tiny-m", Suite: suite.Suite{Name: s.Name, Tasks: s.Tasks[:6]}, Concurrency: 3, Warmup: 1}).ID
	samples, err := st.Samples(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, smp := range samples {
		if firstTimed.IsZero() || smp.StartedAt.Before(firstTimed) {
			firstTimed = smp.StartedAt
		}
	}
	mu.Lock()
	defer mu.Unlock()
	warm := 0
	for _, at := range starts {
		if at.Before(firstTimed) {
			warm++
		}
	}
	if len(samples) != 6 || warm != 4 || len(starts) != 10 {
		t.Fatalf("%d samples, %d calls before the first timed one, %d in all; want 6, 4 (1 warm-up, then 3 at once) and 10", len(samples), warm, len(starts))
	}
	timed := map[string]bool{}
	for i, at := range starts {
		if !at.Before(firstTimed) {
			timed[prompts[i]] = true
		}
	}
	for i, at := range starts {
		if at.Before(firstTimed) && timed[prompts[i]] {
			t.Errorf("warm-up call %d sent %.60q, which a timed call sent again", i+1, prompts[i])
		}
	}
	for _, smp := range samples {
		if smp.Flags.PromptCached {
			t.Errorf("sample %s/%d is prompt_cached: it replayed a warm-up's prompt", smp.TaskID, smp.Iteration)
		}
	}
	if peakBefore < 2 {
		t.Errorf("the warm-up calls were never in flight together (peak %d); the round at the run's concurrency makes them at once", peakBefore)
	}
	run, err := st.GetRun(id)
	if err != nil {
		t.Fatal(err)
	}
	if run.BenchmcpVersion == "" || run.BenchmcpVersion != buildinfo.Get().Version {
		t.Errorf("the run stored benchmcp %q; want this build's %q", run.BenchmcpVersion, buildinfo.Get().Version)
	}
	if tp := bench.RunThroughput(samples); run.Summary.ThroughputTPS != tp.TokensPerS || tp.TokensPerS <= 0 || tp.InFlight <= 1 {
		t.Errorf("summary throughput %.1f, from the samples %+v; want the same, over calls in flight together", run.Summary.ThroughputTPS, tp)
	}
}
