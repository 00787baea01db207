package server_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/tools"
)

var submitOnce sync.Once

// BenchmarkBackgroundSubmit measures how long a background run_benchmark
// call of a 204-call run takes to answer over stdio (validation, the model
// check against Ollama, storing the job): 20 calls, each job cancelled
// after, and prints a table. Target: well under 1 s.
func BenchmarkBackgroundSubmit(b *testing.B) {
	submitOnce.Do(func() {
		mc := startStdio(b, "")
		ctx := context.Background()
		var ms []float64
		for range 20 {
			start := time.Now()
			res := mc.call(ctx, b, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "iterations": 34, "background": true}, "")
			ms = append(ms, float64(time.Since(start))/float64(time.Millisecond))
			var r tools.RunBenchmarkResult
			structured(b, res, &r)
			mc.call(ctx, b, "cancel_job", map[string]any{"job_id": r.JobID}, "")
		}
		slices.Sort(ms)
		fmt.Printf("\n| benchmark | p50 | p95 | max | n |\n|---|---|---|---|---|\n| background run_benchmark of 204 calls, answered over stdio | %.1f ms | %.1f ms | %.1f ms | %d |\n",
			stats.Percentile(ms, 50), stats.Percentile(ms, 95), ms[len(ms)-1], len(ms))
	})
}

// BenchmarkFixtureSpeeds is where the fixture models' speeds are claimed
// (tests do not assert them): compare_models of tiny-s, tiny-m and tiny-l on
// the tiny suite over stdio, from a server holding no model, each round one
// comparison (variants interleaved). It prints each model's medians over the
// rounds and the ratios the fixtures are built to show, with the target each
// should meet on an idle 2-core machine.
func BenchmarkFixtureSpeeds(b *testing.B) {
	models := []string{"tiny-s", "tiny-m", "tiny-l"}
	type speeds struct{ lat, ttft, prompt, gen []float64 }
	by := map[string]*speeds{}
	for _, m := range models {
		by[m] = &speeds{}
	}
	unloadAll(b)
	mc := startStdio(b, "")
	ctx := context.Background()
	var variants []any
	for _, m := range models {
		variants = append(variants, map[string]any{"model": m})
	}
	b.ResetTimer()
	for range b.N {
		var res tools.CompareModelsResult
		structured(b, mc.call(ctx, b, "compare_models", map[string]any{"variants": variants, "suite": "tiny"}, ""), &res)
		for _, v := range res.Variants {
			s := by[v.Label]
			s.lat, s.ttft, s.prompt, s.gen = append(s.lat, v.LatencyP50Ms), append(s.ttft, v.TTFTP50Ms), append(s.prompt, v.PromptTPS), append(s.gen, v.GenTPS)
		}
	}
	b.StopTimer()
	med := func(m string, f func(*speeds) []float64) float64 { return stats.Median(f(by[m])) }
	lat := func(s *speeds) []float64 { return s.lat }
	ttft := func(s *speeds) []float64 { return s.ttft }
	prompt := func(s *speeds) []float64 { return s.prompt }
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\nmodel\tlatency p50\tTTFT p50\tprompt tok/s\tgen tok/s\t(medians of %d comparisons of the tiny suite)\n", b.N)
	for _, m := range models {
		fmt.Fprintf(w, "%s\t%.1f ms\t%.1f ms\t%.0f\t%.0f\t\n", m, med(m, lat), med(m, ttft), med(m, prompt), med(m, func(s *speeds) []float64 { return s.gen }))
	}
	fmt.Fprintln(w, "\nclaim\tmeasured\ttarget\t")
	claim := func(what string, got, target float64) {
		verdict := "holds"
		if got < target {
			verdict = "does not hold here"
		}
		fmt.Fprintf(w, "%s\t%.2f\t>= %.1f (%s)\t\n", what, got, target, verdict)
	}
	claim("tiny-l latency p50 / tiny-m's", med("tiny-l", lat)/med("tiny-m", lat), 1.5)
	claim("tiny-m prompt tok/s / tiny-l's", med("tiny-m", prompt)/med("tiny-l", prompt), 3)
	claim("tiny-m TTFT p50 / tiny-s's", med("tiny-m", ttft)/med("tiny-s", ttft), 1.5)
	w.Flush()
}
