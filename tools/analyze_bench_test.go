package tools

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
)

// The store BenchmarkAnalyze1M analyses: 10,000 completed runs of 5 models
// on 4 suites (20 series of 500 runs), 100 samples each, 1,000,000 in all.
// Two suites have 20 tasks run 5 iterations, two have 100 tasks run once
// (run_benchmark's default).
const (
	a1mRuns    = 10_000
	a1mSamples = 100
	a1mPerTx   = 250
)

var (
	a1mModels = []string{"tiny-s", "tiny-m", "qwen2.5:7b", "llama3.2:3b", "gemma3:4b"}
	a1mSuites = []struct {
		name              string
		tasks, iterations int
	}{{"tiny", 20, 5}, {"coding", 20, 5}, {"math", 100, 1}, {"tools", 100, 1}}
)

// a1mSuite is suite si's tasks, in four categories.
func a1mSuite(si int) suite.Suite {
	s := suite.Suite{Name: a1mSuites[si].name}
	for i := range a1mSuites[si].tasks {
		s.Tasks = append(s.Tasks, suite.Task{ID: fmt.Sprintf("%s-%02d", s.Name, i), Category: fmt.Sprintf("cat-%d", i%4)})
	}
	return s
}

// a1mLine is run i with its samples and the summary the runner would store
// at its end (bench.Summarize). Each model has its own per-task pass
// probabilities and latency; every 97th run has a runaway streak and every
// 89th a reload, so that the analysis has anomalies to report; every
// 1000th was cancelled (it has all its samples all the same).
func a1mLine(i int, t0 time.Time) memory.Line {
	mi, si := i%len(a1mModels), (i/len(a1mModels))%len(a1mSuites)
	model, su, iterations := a1mModels[mi], a1mSuite(si), a1mSuites[si].iterations
	start := t0.Add(time.Duration(i) * 10 * time.Minute / time.Duration(len(a1mModels)*len(a1mSuites)))
	rng := rand.New(rand.NewPCG(uint64(i), 20261123))
	status := record.StatusCompleted
	if i%1000 == 999 {
		status = record.StatusCancelled
	}
	seeds := &record.SeedInfo{Mode: bench.SeedsDerived}
	for it := range iterations {
		seeds.Seeds = append(seeds.Seeds, 1000+it)
	}
	r := record.Run{
		ID: fmt.Sprintf("r%s-%05d", start.UTC().Format("20060102-150405"), i), Status: status,
		Model: model, ModelInfo: record.ModelInfo{Name: model, Digest: fmt.Sprintf("sha256:%064x", mi+1), Family: "llama", ParameterSize: "1B", Quantization: "Q4_K_M"},
		Host: "local", HostURL: "http://127.0.0.1:11434", OllamaVersion: "0.17.4",
		Suite: su.Name, SuiteHash: fmt.Sprintf("h-%s", su.Name), Options: map[string]any{"temperature": 0.7, "num_ctx": 4096},
		Iterations: iterations, Seeds: seeds, Tags: []string{fmt.Sprintf("week-%d", i/700), "nightly"},
		StartedAt: start, EndedAt: start.Add(3 * time.Minute),
	}
	lat := 200 + 150*float64(mi) + 20*rng.Float64()
	var smps []record.Sample
	for it := 1; it <= iterations; it++ {
		for ti, task := range su.Tasks {
			p := 0.35 + 0.12*float64(mi) + 0.02*float64(ti%5) - 0.05*float64(si)
			pass := rng.Float64() < p
			wall := lat * (0.8 + 0.4*rng.Float64())
			seed := 1000 + it - 1
			smp := record.Sample{
				RunID: r.ID, TaskID: task.ID, Category: task.Category, Iteration: it, Seed: &seed,
				StartedAt: start.Add(time.Duration(len(smps)) * time.Second),
				Measurement: record.Measurement{
					Output: "The answer is 432, since 12 times 36 is 432. Done.", DoneReason: "stop",
					TTFTMs: 30 + 5*float64(mi), WallMs: wall, LoadMs: 1.2, TotalMs: wall - 2,
					PromptTokens: 48, PromptMs: 12.5, EvalTokens: 19, EvalMs: wall - 40, PromptTPS: 3840, GenTPS: 19000 / wall,
				},
				Checks: []record.CheckResult{{Type: "contains", Pass: pass, Score: b2f(pass)}, {Type: "regex", Pass: true, Score: 1}},
				Pass:   pass, Score: (1 + b2f(pass)) / 2,
			}
			smp.Flags.Runaway = i%97 == 0 && ti < 3
			smp.Flags.Reloaded = i%89 == 0 && len(smps) == 0
			smps = append(smps, smp)
		}
	}
	sum := bench.Summarize(su, smps, 3*time.Minute)
	bench.SetSeeds(&sum, seeds)
	r.Summary = &sum
	return memory.Line{Run: r, Samples: smps}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// fillAnalyze1M writes the a1m runs into st, a1mPerTx runs to a
// transaction, summarising them on every CPU, and makes a stored baseline
// of the first run of half the series (the others are measured against
// their oldest selected run).
func fillAnalyze1M(b *testing.B, st *memory.Store, t0 time.Time) {
	for first := 0; first < a1mRuns; first += a1mPerTx {
		lines := make([]memory.Line, a1mPerTx)
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for j := w; j < a1mPerTx; j += workers {
					lines[j] = a1mLine(first+j, t0)
				}
			})
		}
		wg.Wait()
		if _, err := st.PutLines(lines); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < len(a1mModels)*len(a1mSuites); i += 2 {
		l := a1mLine(i, t0)
		if err := st.SetBaseline(l.Run.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyze1M times analyze_results over a store of 1,000,000
// samples (10,000 runs) at the default limit and at the largest, and prints
// a table. Target: under 2 s a call. Run it with:
//
//	go test -run '^$' -bench Analyze1M -benchtime=3x ./tools/
func BenchmarkAnalyze1M(b *testing.B) {
	b.StopTimer() // the store is built once; each case times its own calls
	path := filepath.Join(b.TempDir(), "analyze.db")
	st, err := memory.Open(path, memory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	setup := time.Now()
	// Runs end an hour ago, so that every one is in range of any since.
	t0 := time.Now().Add(-time.Hour - a1mRuns*10*time.Minute/time.Duration(len(a1mModels)*len(a1mSuites))).UTC().Truncate(time.Second)
	fillAnalyze1M(b, st, t0)
	setupTime := time.Since(setup)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	svc := &Service{Store: st}
	ctx := context.Background()

	type row struct {
		what       string
		runs, regs int
		per        time.Duration
	}
	var rows []row
	for _, c := range []struct {
		name string
		args AnalyzeResultsArgs
		want int
	}{
		{"default limit (50)", AnalyzeResultsArgs{}, DefaultAnalyzeLimit},
		{"limit 1000", AnalyzeResultsArgs{Limit: MaxAnalyzeLimit}, MaxAnalyzeLimit},
		{"model tiny-m, limit 1000", AnalyzeResultsArgs{Model: "tiny-m", Limit: MaxAnalyzeLimit}, MaxAnalyzeLimit},
		// Every run has the tag and 10 the status: the store walks the
		// 10,000 and decodes the 10.
		{"tag nightly, status cancelled (10 match)", AnalyzeResultsArgs{Tag: "nightly", Status: "cancelled", Limit: MaxAnalyzeLimit}, a1mRuns / 1000},
	} {
		var got row
		b.Run(strings.NewReplacer(" ", "_", ",", "", "(", "", ")", "").Replace(c.name), func(b *testing.B) {
			var res *AnalyzeResultsResult
			for range b.N {
				var err error
				if res, _, _, err = svc.AnalyzeResults(ctx, c.args); err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed() / time.Duration(b.N)
			if len(res.Runs) != c.want || c.want > 0 && len(res.Regressions) == 0 {
				b.Fatalf("%d runs, %d regressions; want %d runs and some regressions", len(res.Runs), len(res.Regressions), c.want)
			}
			b.ReportMetric(float64(per)/float64(time.Millisecond), "ms/call")
			b.ReportMetric(float64(len(res.Runs)), "runs")
			b.ReportMetric(a1mRuns*a1mSamples, "samples")
			got = row{c.name, len(res.Runs), len(res.Regressions), per}
		})
		rows = append(rows, got)
	}
	fmt.Printf("\nanalyze_results: %d runs, %d samples in store (%.0f MiB file, built in %s)\n", a1mRuns, a1mRuns*a1mSamples, float64(fi.Size())/(1<<20), setupTime.Round(time.Second))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "call\truns analysed\tregressions tested\tms per call\ttarget")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t< 2000\n", r.what, r.runs, r.regs, float64(r.per)/float64(time.Millisecond))
	}
	tw.Flush()
}
