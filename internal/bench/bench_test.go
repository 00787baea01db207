package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamaproc"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/ollama/ollama/api"
)

// modelOnly keeps the tiny suite's deterministic checks and drops the judge
// and code_exec ones, so that the runner makes exactly the model requests a
// plain loop makes.
func modelOnly(t testing.TB) suite.Suite {
	s, _ := suite.Builtin("tiny")
	for i := range s.Tasks {
		var keep []check.Spec
		for _, c := range s.Tasks[i].Checks {
			if c.Type != "llm_judge" && c.Type != "code_exec" {
				keep = append(keep, c)
			}
		}
		s.Tasks[i].Checks = keep
	}
	return s
}

func runOnce(b *testing.B, r *bench.Runner, cfg bench.Config) time.Duration {
	start := time.Now()
	if run := runWith(b, r, cfg); run.Summary.Samples != len(cfg.Suite.Tasks) {
		b.Fatalf("run: %d samples, want %d", run.Summary.Samples, len(cfg.Suite.Tasks))
	}
	return time.Since(start)
}

// BenchmarkRunnerVsLoop compares run_benchmark's runner on the tiny suite
// (validation, storing every sample in bbolt, scoring, summary) with a bare
// sequential loop of api.Client.Chat making the same requests. Rounds
// alternate; the overhead is the median paired difference over the median
// loop. Target: within 5%.
func BenchmarkRunnerVsLoop(b *testing.B) {
	ex := ollamatest.Executor(b)
	client := ollamatest.Get(b).Client
	st, err := memory.Open(filepath.Join(b.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := &bench.Runner{Exec: ex, Store: st}
	s := modelOnly(b)
	cfg := bench.Config{Model: "tiny-m", Suite: s, Warmup: -1}
	// The same requests, built the way the runner builds them.
	sess, err := r.Prepare(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	var reqs []*api.ChatRequest
	for _, t := range s.Tasks {
		reqs = append(reqs, sess.Request(t, 1).ChatRequest())
	}
	loop := func() time.Duration {
		start := time.Now()
		for _, req := range reqs {
			if err := client.Chat(context.Background(), req, func(api.ChatResponse) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	loop() // warm
	var l, rr []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			l = append(l, loop().Seconds())
			rr = append(rr, runOnce(b, r, cfg).Seconds())
		} else {
			rr = append(rr, runOnce(b, r, cfg).Seconds())
			l = append(l, loop().Seconds())
		}
	}
	b.StopTimer()
	ml, mr := stats.Median(l), stats.Median(rr)
	diffs := make([]float64, len(l))
	for i := range l {
		diffs[i] = rr[i] - l[i]
	}
	over := 100 * stats.Median(diffs) / ml
	b.ReportMetric(ml, "loop_s")
	b.ReportMetric(mr, "runner_s")
	b.ReportMetric(over, "overhead_%")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "rounds\ttasks\tChat loop p50 s\trunner p50 s\tmedian paired diff s\toverhead (diff / loop p50)\ttarget\t\n")
	fmt.Fprintf(tw, "%d\t%d\t%.3f\t%.3f\t%+.3f\t%+.2f%%\t<= 5%%\t\n", len(l), len(s.Tasks), ml, mr, stats.Median(diffs), over)
	tw.Flush()
}

// BenchmarkConcurrency shows what run_benchmark's concurrency buys, against
// a plain streaming client with as many threads making the same requests,
// on a server started with OLLAMA_NUM_PARALLEL=4: aggregate output
// tokens/s (every call's tokens over the time calls were in flight,
// bench.RunThroughput, for both) and per-request latency percentiles, for
// the fixture tiny-m (6 rounds a b.N) and the real-shaped 0.5B model (8
// tasks, 48 tokens each), on one seed. The two clients alternate which
// goes first; the ratio is the medians' (the runner's aggregate over the
// plain client's).
func BenchmarkConcurrency(b *testing.B) {
	dir, err := ollamatest.ModelsDir()
	if err != nil {
		b.Fatal(err)
	}
	p, err := ollamaproc.Start(context.Background(), ollamaproc.Config{Env: map[string]string{"OLLAMA_NUM_PARALLEL": "4"}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if err := p.CreateModels(context.Background(), dir, "tiny-m"); err != nil {
		b.Fatal(err)
	}
	shaped := ollamatest.ShapedOn(b, p, "qwen2.5-0.5b-shape")
	hosts, _ := executor.ParseHosts("local=" + p.URL.String())
	st, err := memory.Open(filepath.Join(b.TempDir(), "conc.db"), memory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := &bench.Runner{Exec: executor.New(hosts...), Store: st}
	type side struct {
		tps, inFlight []float64
		lat           []float64 // every request's wall ms, over the rounds
	}
	type row struct {
		model        string
		concurrency  int
		plain, bench side
	}
	var rows []*row
	full := modelOnly(b)
	for _, m := range []struct {
		name  string
		suite suite.Suite
		opts  map[string]any
	}{{"tiny-m", full, nil}, {shaped, suite.Suite{Name: full.Name, Tasks: full.Tasks[:8]}, map[string]any{"num_predict": 48}}} {
		// One seed for both clients: the same samples, so the same tokens.
		cfg := bench.Config{Model: m.name, Suite: m.suite, Options: m.opts, Seeds: bench.SeedPlan{Mode: bench.SeedsGiven, Seeds: []int{7}}}
		sess, err := r.Prepare(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		var reqs []*api.ChatRequest
		for _, t := range m.suite.Tasks {
			reqs = append(reqs, sess.Request(t, 1).ChatRequest())
		}
		for _, c := range []int{1, 2, 4} {
			rw := &row{model: m.name, concurrency: c}
			rows = append(rows, rw)
			cfg.Concurrency = c
			plain := func() {
				smp := plainClient(b, p.Client, reqs, c)
				tp := bench.RunThroughput(smp)
				rw.plain.tps, rw.plain.inFlight = append(rw.plain.tps, tp.TokensPerS), append(rw.plain.inFlight, tp.InFlight)
				for _, s := range smp {
					rw.plain.lat = append(rw.plain.lat, s.WallMs)
				}
			}
			runner := func(warm int) {
				cfg.Warmup = warm
				smp, err := st.Samples(runWith(b, r, cfg).ID)
				if err != nil {
					b.Fatal(err)
				}
				tp := bench.RunThroughput(smp)
				rw.bench.tps, rw.bench.inFlight = append(rw.bench.tps, tp.TokensPerS), append(rw.bench.inFlight, tp.InFlight)
				for _, s := range smp {
					rw.bench.lat = append(rw.bench.lat, s.WallMs)
				}
			}
			runner(0) // warm: loads the model, not counted
			rw.bench = side{}
			rounds := b.N
			if m.name == "tiny-m" { // calls of milliseconds: more rounds, little time
				rounds *= 6
			}
			for i := 0; i < rounds; i++ {
				if i%2 == 0 {
					plain()
					runner(-1)
				} else {
					runner(-1)
					plain()
				}
			}
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\tconcurrency\trounds\tplain tok/s\trunner tok/s\trunner/plain\tin flight plain\tin flight runner\tplain p50/p95 ms\trunner p50/p95 ms\t\n")
	for _, rw := range rows {
		pt, bt := stats.Median(rw.plain.tps), stats.Median(rw.bench.tps)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.2fx\t%.2f\t%.2f\t%.0f / %.0f\t%.0f / %.0f\t\n", rw.model, rw.concurrency, len(rw.plain.tps),
			pt, bt, bt/pt, stats.Median(rw.plain.inFlight), stats.Median(rw.bench.inFlight),
			stats.Percentile(rw.plain.lat, 50), stats.Percentile(rw.plain.lat, 95), stats.Percentile(rw.bench.lat, 50), stats.Percentile(rw.bench.lat, 95))
	}
	tw.Flush()
}

// plainClient makes reqs with threads goroutines of api.Client.Chat, each
// taking the next request as its call ends, and returns each call as a
// sample: its start, its wall time to the last chunk and Ollama's output
// token count.
func plainClient(tb testing.TB, client *api.Client, reqs []*api.ChatRequest, threads int) []record.Sample {
	queue := make(chan *api.ChatRequest)
	out := make(chan record.Sample, len(reqs))
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for req := range queue {
				start := time.Now()
				var eval int
				err := client.Chat(context.Background(), req, func(r api.ChatResponse) error {
					if r.Done {
						eval = r.EvalCount
					}
					return nil
				})
				if err != nil {
					tb.Error(err)
					continue
				}
				out <- record.Sample{StartedAt: start, Measurement: record.Measurement{
					WallMs: float64(time.Since(start)) / float64(time.Millisecond), EvalTokens: eval}}
			}
		})
	}
	for _, r := range reqs {
		queue <- r
	}
	close(queue)
	wg.Wait()
	close(out)
	var smp []record.Sample
	for s := range out {
		smp = append(smp, s)
	}
	return smp
}

// runWith runs cfg to completion and returns its run.
func runWith(tb testing.TB, r *bench.Runner, cfg bench.Config) record.Run {
	sess, err := r.Prepare(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := sess.Begin(nil, nil); err != nil {
		tb.Fatal(err)
	}
	run, err := sess.Execute(context.Background(), nil)
	if err != nil || run.Status != record.StatusCompleted {
		tb.Fatalf("run: %v (%s)", err, run.Status)
	}
	return run
}
