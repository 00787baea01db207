package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamaproc"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
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
	sess, err := r.Prepare(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.Begin(nil, nil); err != nil {
		b.Fatal(err)
	}
	run, err := sess.Execute(context.Background(), nil)
	if err != nil || run.Summary.Samples != len(cfg.Suite.Tasks) {
		b.Fatalf("run: %v (%d samples)", err, run.Summary.Samples)
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

// BenchmarkConcurrency shows what the concurrency option buys on a server
// started with OLLAMA_NUM_PARALLEL=2 (and what it costs without it).
func BenchmarkConcurrency(b *testing.B) {
	dir, err := ollamatest.ModelsDir()
	if err != nil {
		b.Fatal(err)
	}
	s := modelOnly(b)
	type row struct {
		parallel, concurrency int
		secs                  []float64
	}
	var rows []*row
	for _, parallel := range []int{1, 2} {
		p, err := ollamaproc.Start(context.Background(), ollamaproc.Config{Env: map[string]string{"OLLAMA_NUM_PARALLEL": fmt.Sprint(parallel)}})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.CreateModels(context.Background(), dir, "tiny-m"); err != nil {
			p.Close()
			b.Fatal(err)
		}
		hosts, _ := executor.ParseHosts("local=" + p.URL.String())
		st, err := memory.Open(filepath.Join(b.TempDir(), fmt.Sprintf("p%d.db", parallel)), memory.Options{})
		if err != nil {
			b.Fatal(err)
		}
		r := &bench.Runner{Exec: executor.New(hosts...), Store: st}
		for _, c := range []int{1, 2, 4} {
			rw := &row{parallel: parallel, concurrency: c}
			rows = append(rows, rw)
			runOnce(b, r, bench.Config{Model: "tiny-m", Suite: s, Concurrency: c}) // warm
			for i := 0; i < b.N; i++ {
				rw.secs = append(rw.secs, runOnce(b, r, bench.Config{Model: "tiny-m", Suite: s, Concurrency: c, Warmup: -1}).Seconds())
			}
		}
		st.Close()
		p.Close()
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "OLLAMA_NUM_PARALLEL\tconcurrency\truns\tsuite wall p50 s\tspeed-up vs 1\t\n")
	base := map[int]float64{}
	for _, rw := range rows {
		m := stats.Median(rw.secs)
		if rw.concurrency == 1 {
			base[rw.parallel] = m
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.3f\t%.2fx\t\n", rw.parallel, rw.concurrency, len(rw.secs), m, base[rw.parallel]/m)
	}
	tw.Flush()
}
