package memory

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

const (
	benchRuns          = 1_000
	benchTasks         = 20
	benchIterations    = 5 // 100 samples a run, 100,000 in all
	benchSuites        = 10
	benchTags          = 5
	benchRunsPerTx     = 50
	benchModel         = "tiny-m"
	benchSamplesPerRun = benchTasks * benchIterations
)

func benchSummary() *record.Summary {
	s := &record.Summary{Headline: record.Headline{Samples: benchSamplesPerRun, PassRate: 0.8, PassRateCI: record.Interval{Lo: 0.71, Hi: 0.87}, MeanScore: 0.82, LatencyP50Ms: 420, GenTPS: 48.2}, Passed: 80}
	for i := range benchTasks {
		s.Tasks = append(s.Tasks, record.TaskSummary{ID: fmt.Sprintf("task-%02d", i), Category: "math",
			Samples: benchIterations, Passed: 4, PassRate: 0.8, MeanScore: 0.8, LatencyP50Ms: 410, Excerpt: "The answer is 432."})
	}
	for _, c := range []string{"math", "code", "tools", "facts"} {
		s.Categories = append(s.Categories, record.TaskSummary{ID: c, Samples: 25, Passed: 20, PassRate: 0.8})
	}
	return s
}

func benchSample(runID string, task, iter int) record.Sample {
	return record.Sample{
		RunID: runID, TaskID: fmt.Sprintf("task-%02d", task), Category: "math", Iteration: iter,
		StartedAt: t0.Add(time.Duration(task*benchIterations+iter) * time.Second),
		Measurement: record.Measurement{
			Output:     "The answer is 432, since 12 times 36 is 432. Done.", // ~50 bytes
			DoneReason: "stop", TTFTMs: 35.2, WallMs: 412.7, LoadMs: 1.2, TotalMs: 410.1,
			PromptTokens: 48, PromptMs: 12.5, EvalTokens: 19, EvalMs: 380.4, PromptTPS: 3840, GenTPS: 49.9,
		},
		Checks: []record.CheckResult{{Type: "contains", Pass: true, Score: 1}, {Type: "regex", Pass: iter%5 != 0, Score: 1}},
		Pass:   iter%5 != 0, Score: 0.9,
	}
}

// fillBench writes benchRuns finished runs with their samples, many runs to a
// transaction: the layout is the one AppendSample makes, only the commits
// are batched.
func fillBench(b *testing.B, s *Store) {
	sum := benchSummary()
	for first := 0; first < benchRuns; first += benchRunsPerTx {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i := first; i < first+benchRunsPerTx; i++ {
				start := t0.Add(time.Duration(i) * time.Hour)
				r := testRun(benchModel, fmt.Sprintf("suite-%d", i%benchSuites), start, fmt.Sprintf("tag-%d", i%benchTags))
				r.ID = fmt.Sprintf("r%s-%04d", start.Format("20060102-150405"), 1)
				r.Status, r.EndedAt, r.Summary = record.StatusCompleted, start.Add(10*time.Minute), sum
				if err := putRunTx(tx, r); err != nil {
					return err
				}
				sb, _ := openSampleBucket(tx.Bucket(bucketSamples), getRK(tx, r.ID))
				for task := range benchTasks {
					for iter := 1; iter <= benchIterations; iter++ {
						v, _ := json.Marshal(benchSample(r.ID, task, iter))
						if err := sb.put(sampleKey(fmt.Sprintf("task-%02d", task), iter), v); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemory measures the store at 100,000 samples across 1,000 runs and
// prints a table. Run it with: go test -run '^$' -bench Memory ./memory/
func BenchmarkMemory(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	setup := time.Now()
	fillBench(b, s)
	setupTime := time.Since(setup)
	fi, _ := os.Stat(path)
	rawSize := fi.Size()
	compacted := filepath.Join(b.TempDir(), "compact.db")
	if err := s.Compact(compacted); err != nil {
		b.Fatal(err)
	}
	fi, _ = os.Stat(compacted)
	compactSize := fi.Size()

	type row struct{ what, result, target string }
	var rows []row
	per := func(b *testing.B) time.Duration { return b.Elapsed() / time.Duration(b.N) }

	var appendPer time.Duration
	var appended int
	b.Run("AppendSample", func(b *testing.B) {
		r := testRun(benchModel, "suite-0", time.Now())
		if err := s.PutRun(r); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			if err := s.AppendSample(benchSample(r.ID, i/benchIterations, i%benchIterations+1)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		appendPer, appended = per(b), b.N
		b.ReportMetric(float64(time.Second)/float64(appendPer), "samples/s")
		s.DeleteRun(r.ID)
	})
	rows = append(rows, row{
		fmt.Sprintf("AppendSample, one fsynced tx each (%d appends into the full store)", appended),
		fmt.Sprintf("%.0f samples/s (%s each)", float64(time.Second)/float64(appendPer), appendPer.Round(time.Microsecond)), ""})

	lists := []struct {
		name   string
		f      Filter
		want   int
		target string
	}{
		{"ListRuns model (all 1,000 runs)", Filter{Model: benchModel}, benchRuns, "< 20ms"},
		{"ListRuns suite (100 runs)", Filter{Suite: "suite-3"}, benchRuns / benchSuites, ""},
		{"ListRuns model+tag, limit 20", Filter{Model: benchModel, Tag: "tag-2", Limit: 20}, 20, ""},
		{"ListRuns model, 1 week", Filter{Model: benchModel, Since: t0.Add(100 * time.Hour), Until: t0.Add(268 * time.Hour)}, 168, ""},
	}
	for _, l := range lists {
		var d time.Duration
		b.Run(strings.ReplaceAll(l.name, " ", "_"), func(b *testing.B) {
			for range b.N {
				runs, err := s.ListRuns(l.f)
				if err != nil || len(runs) != l.want {
					b.Fatalf("ListRuns(%+v) = %d runs, %v; want %d", l.f, len(runs), err, l.want)
				}
			}
			d = per(b)
		})
		rows = append(rows, row{l.name, d.Round(10 * time.Microsecond).String(), l.target})
	}

	var scan time.Duration
	b.Run("ScanSamples_all", func(b *testing.B) {
		for range b.N {
			n, passed, wall := 0, 0, 0.0
			err := s.ScanSamples(Filter{}, func(_ record.Run, smp record.Sample) error {
				n++
				wall += smp.WallMs
				if smp.Pass {
					passed++
				}
				return nil
			})
			if err != nil || n != benchRuns*benchSamplesPerRun {
				b.Fatalf("scanned %d samples, %v", n, err)
			}
		}
		scan = per(b)
	})
	rows = append(rows, row{"ScanSamples, all 100,000 (pass count, wall sum)", scan.Round(time.Millisecond).String(), "< 500ms"})

	var one time.Duration
	b.Run("Samples_one_run", func(b *testing.B) {
		for range b.N {
			if smps, err := s.Samples("r20261124-003652-0001"); err != nil || len(smps) != benchSamplesPerRun {
				b.Fatalf("Samples = %d, %v", len(smps), err)
			}
		}
		one = per(b)
	})
	rows = append(rows, row{"Samples of one run (100)", one.Round(10 * time.Microsecond).String(), ""})

	const n = benchRuns * benchSamplesPerRun
	rows = append(rows,
		row{"file size per sample", fmt.Sprintf("%d B (%.1f MiB file)", rawSize/n, float64(rawSize)/(1<<20)), ""},
		row{"file size per sample, compacted", fmt.Sprintf("%d B (%.1f MiB file)", compactSize/n, float64(compactSize)/(1<<20)), ""},
		row{"setup: 1,000 runs, 100,000 samples, 50 runs a tx", setupTime.Round(time.Millisecond).String(), ""},
	)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nmemory: 1,000 runs, 100,000 samples\t\t")
	fmt.Fprintln(tw, "measure\tresult\ttarget")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.what, r.result, r.target)
	}
	tw.Flush()
}
