package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
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
