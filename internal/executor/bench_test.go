package executor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/ollama/ollama/api"
)

// BenchmarkOverhead measures what the executor adds per call over a bare
// api.Client.Chat loop making the same streamed requests. Rounds alternate
// (direct, executor, direct, ...) so drift on the machine hits both alike;
// the overhead is the median paired difference over the median direct call.
// Target: within 2%.
func BenchmarkOverhead(b *testing.B) {
	ex := ollamatest.Executor(b)
	client := ollamatest.Get(b).Client
	prompts := []string{"What is 47+385?", "Reverse the word planet.", "Sort the letters dcab.", "Uppercase river.",
		"Write a Python function add(a, b) that returns the sum of a and b.", "How many a in banana?"}
	reqs := make([]executor.Request, len(prompts))
	for i, p := range prompts {
		reqs[i] = executor.Request{Model: "tiny-m", Prompt: p, Breaker: executor.DefaultBreaker}
	}
	ctx := context.Background()
	if _, err := ex.Warmup(ctx, reqs[0], 3, nil); err != nil {
		b.Fatal(err)
	}
	direct := func(r executor.Request) time.Duration {
		start := time.Now()
		if err := client.Chat(ctx, r.ChatRequest(), func(api.ChatResponse) error { return nil }); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	viaExecutor := func(r executor.Request) time.Duration {
		start := time.Now()
		if _, err := ex.Chat(ctx, r); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var d, e []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Each prompt is measured in both orders equally often: whichever
		// call goes second finds the prompt in Ollama's KV cache.
		r := reqs[i%len(reqs)]
		if (i/len(reqs))%2 == 0 {
			d = append(d, float64(direct(r).Microseconds()))
			e = append(e, float64(viaExecutor(r).Microseconds()))
		} else {
			e = append(e, float64(viaExecutor(r).Microseconds()))
			d = append(d, float64(direct(r).Microseconds()))
		}
	}
	b.StopTimer()
	md, me := stats.Median(d), stats.Median(e)
	diffs := make([]float64, len(d))
	for i := range d {
		diffs[i] = e[i] - d[i]
	}
	over := 100 * stats.Median(diffs) / md
	b.ReportMetric(md/1000, "direct_ms/call")
	b.ReportMetric(me/1000, "executor_ms/call")
	b.ReportMetric(over, "overhead_%")
	if b.N >= 20 {
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "call pairs\tdirect p50 ms\texecutor p50 ms\tmedian paired diff ms\toverhead (diff / direct p50)\ttarget\t\n")
		fmt.Fprintf(tw, "%d\t%.3f\t%.3f\t%+.3f\t%+.2f%%\t<= 2%%\t\n", len(d), md/1000, me/1000, stats.Median(diffs)/1000, over)
		tw.Flush()
	}
}

// BenchmarkCancel measures how soon a call cancelled mid-stream returns:
// each round starts an endless tiny-l generation, cancels it once its first
// chunk has passed, and times cancel() to Chat's return. It prints p50, p95
// and max. Target: under 100 ms.
func BenchmarkCancel(b *testing.B) {
	ex, first := generating(b)
	var ms []float64
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := ex.Chat(ctx, endless)
			done <- err
		}()
		select {
		case <-first:
		case err := <-done:
			b.Fatalf("the call ended before streaming: %v", err)
		}
		at := time.Now()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			b.Fatalf("want context.Canceled, got %v", err)
		}
		ms = append(ms, float64(time.Since(at).Microseconds())/1000)
	}
	b.StopTimer()
	slices.Sort(ms)
	b.ReportMetric(stats.Median(ms), "cancel_ms")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	ex.Probed()
	fmt.Fprintf(tw, "cancels mid-stream (tiny-l)\tcancel to return p50\tp95\tmax\ttarget\tleaked slots freed (unwedge.go)\t\n")
	fmt.Fprintf(tw, "%d\t%.1f ms\t%.1f ms\t%.1f ms\t< 100 ms\t%d\t\n", len(ms), stats.Median(ms), stats.Percentile(ms, 95), ms[len(ms)-1], ex.Unwedged())
	tw.Flush()
}
