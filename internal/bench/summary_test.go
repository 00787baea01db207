package bench_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/google/go-cmp/cmp"
)

// samples makes n tasks x k iterations; pass(i, j) is task i's verdict at
// iteration j, and its answer is the verdict, so equal verdicts are equal answers.
func samples(n, k int, pass func(i, j int) bool) []record.Sample {
	var out []record.Sample
	for j := 1; j <= k; j++ {
		for i := range n {
			p := pass(i, j)
			score := 0.0
			if p {
				score = 1
			}
			out = append(out, record.Sample{TaskID: fmt.Sprintf("t%02d", i), Iteration: j, Pass: p, Score: score,
				Measurement: record.Measurement{Output: fmt.Sprint(p), WallMs: 10}})
		}
	}
	return out
}

func TestSummarizeReplaysAreOneSample(t *testing.T) {
	// 36 tasks, 22 pass: 1 iteration, then the same answers replayed 4 times.
	pass := func(i, _ int) bool { return i < 22 }
	one := bench.Summarize(suite.Suite{}, samples(36, 1, pass), 0)
	four := bench.Summarize(suite.Suite{}, samples(36, 4, pass), 0)
	if one.PassRateCI != stats.WilsonRate(float64(22)/float64(max(36, 1)), float64(36), 0.95) || one.Interval != "wilson" || one.EffectiveN != 36 {
		t.Errorf("one iteration: CI %+v (%s, n_eff %v), want Wilson(22, 36) %+v", one.PassRateCI, one.Interval, one.EffectiveN, stats.WilsonRate(float64(22)/float64(max(36, 1)), float64(36), 0.95))
	}
	if four.PassRateCI != one.PassRateCI || four.MeanScoreCI != one.MeanScoreCI || four.EffectiveN != 36 || four.Samples != 144 {
		t.Errorf("4 replays: pass CI %+v score CI %+v n_eff %v; want the 1-iteration %+v %+v 36", four.PassRateCI, four.MeanScoreCI, four.EffectiveN, one.PassRateCI, one.MeanScoreCI)
	}
	if four.TaskCount != 36 || four.Iterations != 4 || four.Interval != "wilson_clustered" || four.VariedTasks != 0 {
		t.Errorf("4 replays: %d tasks x %d, %s, %d varied", four.TaskCount, four.Iterations, four.Interval, four.VariedTasks)
	}
	// pass@k = pass^k = pass rate when every task always or never passes.
	for _, k := range four.PassK {
		if k.PassAtK != 22.0/36 || k.PassHatK != 22.0/36 {
			t.Errorf("replays: pass@%d %v pass^%d %v, want 22/36", k.K, k.PassAtK, k.K, k.PassHatK)
		}
	}
	if len(four.PassK) != 4 || len(one.PassK) != 0 {
		t.Errorf("pass_k points: %d with 4 iterations, %d with 1", len(four.PassK), len(one.PassK))
	}
	// Within-task variance is 0, and the power analysis sees it.
	if p := four.Power; p == nil || !p.Identified || p.WithinTask != 0 || p.MDE <= 0 {
		t.Errorf("replays power %+v", four.Power)
	}
}

func TestSummarizeIndependentIterations(t *testing.T) {
	// Every task passes on odd iterations only: no task is harder than
	// another, all variance is within tasks, and the interval narrows.
	alt := func(_, j int) bool { return j%2 == 1 }
	one := bench.Summarize(suite.Suite{}, samples(30, 1, func(i, _ int) bool { return i%2 == 0 }), 0)
	four := bench.Summarize(suite.Suite{}, samples(30, 4, alt), 0)
	if w1, w4 := one.PassRateCI.Hi-one.PassRateCI.Lo, four.PassRateCI.Hi-four.PassRateCI.Lo; w4 >= w1 {
		t.Errorf("independent iterations: width %.3f, not narrower than one iteration's %.3f", w4, w1)
	}
	if four.VariedTasks != 30 {
		t.Errorf("varied tasks %d, want 30", four.VariedTasks)
	}
	// Each task: 2 of 4 pass. pass@2 = 1 - C(2,2)/C(4,2) = 5/6; pass^2 = 1/6;
	// pass@4 = 1, pass^4 = 0.
	k := map[int]record.KPoint{}
	for _, p := range four.PassK {
		k[p.K] = p
	}
	if !near(k[2].PassAtK, 5.0/6) || !near(k[2].PassHatK, 1.0/6) || k[4].PassAtK != 1 || k[4].PassHatK != 0 {
		t.Errorf("pass_k %+v", four.PassK)
	}
	row := four.Tasks[0]
	if row.Distinct != 2 || row.PassAtK == nil || *row.PassAtK != 1 || *row.PassHatK != 0 {
		t.Errorf("task row %+v", row)
	}
	// All variance is within tasks: more iterations are what helps.
	if p := four.Power; p == nil || p.WithinTask <= 0 || p.BetweenTask != 0 || p.IterationsNeeded <= 4 || !strings.Contains(p.Advice, "iterations") {
		t.Errorf("power %+v", four.Power)
	}
}

func TestPowerAdvice(t *testing.T) {
	// Between-task variance only: iterations cannot help; it says to add tasks.
	p := bench.PairedPower(0.2, 0, 0, true, 36, 3, 0.10)
	if p.IterationsNeeded != 0 || p.TasksNeeded <= 36 || !strings.Contains(p.Advice, "no number of iterations") {
		t.Errorf("between only: %+v", p)
	}
	// MDE = 2.8016 * sqrt(0.2/36) = 0.2088; tasks for 10 points = ceil(7.8489 * 0.2 / 0.01) = 157.
	if !near(p.MDE, 0.20882) || p.TasksNeeded != 157 {
		t.Errorf("MDE %.5f tasks %d, want 0.20882 and 157", p.MDE, p.TasksNeeded)
	}
	// Enough data: it says so.
	if q := bench.PairedPower(0.01, 0.01, 0.01, true, 400, 4, 0.10); q.MDE > 0.10 || !strings.Contains(q.Advice, "detect a 10 points difference") {
		t.Errorf("large design: %+v", q)
	}
	// One iteration: the advice says the split is not seen.
	if q := bench.PairedPower(0.2, 0, 0, false, 36, 1, 0.10); !strings.Contains(q.Advice, "run 3 iterations") {
		t.Errorf("one iteration: %q", q.Advice)
	}
	// Nothing varied: not a zero MDE.
	if q := bench.PairedPower(0, 0, 0, true, 36, 4, 0.10); q.MDE <= 0 || !strings.Contains(q.Advice, "No variance was seen") {
		t.Errorf("no variance: %+v", q)
	}
	// Retarget keeps the components and changes the effect.
	if r := bench.Retarget(p, 0.30); r.Effect != 0.30 || r.MDE != p.MDE || r.TasksNeeded >= p.TasksNeeded {
		t.Errorf("retarget %+v", r)
	}
}

func near(a, b float64) bool { return a-b < 1e-4 && b-a < 1e-4 }

// The latency medians count only the samples that had such a chunk, and
// the stream rate only samples with one; an error sample counts in none.
func TestSummarizeLatencyMedians(t *testing.T) {
	m := func(ttfc, ttft, thinking, content, gen, stream float64) record.Measurement {
		return record.Measurement{Output: "x", WallMs: 50, TTFCMs: ttfc, TTFTMs: ttft, FirstThinkingMs: thinking, FirstContentMs: content, GenTPS: gen, StreamTPS: stream}
	}
	smp := []record.Sample{
		{TaskID: "a", Iteration: 1, Measurement: m(9, 10, 10, 30, 100, 90)},
		{TaskID: "b", Iteration: 1, Measurement: m(11, 12, 0, 12, 200, 0)}, // no thinking; one text chunk
		{TaskID: "c", Iteration: 1, Measurement: m(13, 14, 14, 40, 300, 110)},
		{TaskID: "d", Iteration: 1, Measurement: m(1, 1, 1, 1, 1, 1), Error: "timeout"},
	}
	medians := func(s record.Summary) [6]float64 {
		return [6]float64{s.TTFTP50Ms, s.TTFCP50Ms, s.FirstThinkingP50Ms, s.FirstContentP50Ms, s.GenTPS, s.StreamTPS}
	}
	// ttft, ttfc, first thinking (a and c), first content, gen, stream (a and c)
	if diff := cmp.Diff([6]float64{12, 11, 12, 30, 200, 100}, medians(bench.Summarize(suite.Suite{}, smp, 0))); diff != "" {
		t.Errorf("medians (-want +got):\n%s", diff)
	}
	// No sample thought: no first-thinking median.
	if s := bench.Summarize(suite.Suite{}, smp[1:2], 0); s.FirstThinkingP50Ms != 0 || s.StreamTPS != 0 || s.FirstContentP50Ms != 12 {
		t.Errorf("one non-thinking sample: thinking %v stream %v content %v", s.FirstThinkingP50Ms, s.StreamTPS, s.FirstContentP50Ms)
	}
}
