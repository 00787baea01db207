package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/record"
)

// samples makes one sample per task: pass when pass(i), with the given latency and gen rate.
func samples(run string, n int, pass func(i int) bool, wallMs, gen float64) []record.Sample {
	var out []record.Sample
	for i := range n {
		s := record.Sample{RunID: run, TaskID: fmt.Sprintf("t%02d", i), Iteration: 1, Pass: pass(i)}
		if s.Pass {
			s.Score = 1
		}
		s.WallMs, s.TTFTMs, s.GenTPS = wallMs+float64(i%3), wallMs/4, gen+float64(i%5)
		out = append(out, s)
	}
	return out
}

func cellOf(label string, opts map[string]any, smp []record.Sample) CellResult {
	passed := 0
	for _, s := range smp {
		if s.Pass {
			passed++
		}
	}
	rate := float64(passed) / float64(len(smp))
	sum := &record.Summary{Headline: record.Headline{Samples: len(smp), PassRate: rate, PassRateCI: record.Interval{Lo: rate - 0.1, Hi: rate + 0.1}}, TaskCount: len(smp)}
	var lat, ttft, gen []float64
	for _, s := range smp {
		lat, ttft, gen = append(lat, s.WallMs), append(ttft, s.TTFTMs), append(gen, s.GenTPS)
	}
	sum.LatencyP50Ms, sum.TTFTP50Ms, sum.GenTPS = median(lat), median(ttft), median(gen)
	return CellResult{Cell: Cell{Label: label, Model: "m", Options: opts}, RunID: "r-" + label, Status: record.StatusCompleted, Summary: Summarize(sum, smp)}
}

func median(xs []float64) float64 {
	c := append([]float64(nil), xs...)
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j] < c[j-1]; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	return c[len(c)/2]
}

func TestAnalyzeBestChoiceEffects(t *testing.T) {
	const n = 30
	all := func(int) bool { return true }
	most := func(i int) bool { return i%10 != 0 } // 90%
	half := func(i int) bool { return i%2 == 0 }  // 50%
	ss := [][]record.Sample{
		samples("a", n, all, 100, 50),  // ctx 256, t 0: best quality, slow
		samples("b", n, most, 60, 90),  // ctx 512, t 0: 10 points worse, fastest
		samples("c", n, half, 100, 50), // ctx 256, t 0.7
		samples("d", n, half, 60, 90),  // ctx 512, t 0.7
	}
	cells := []CellResult{
		cellOf("a", map[string]any{"num_ctx": 256.0, "temperature": 0.0}, ss[0]),
		cellOf("b", map[string]any{"num_ctx": 512.0, "temperature": 0.0}, ss[1]),
		cellOf("c", map[string]any{"num_ctx": 256.0, "temperature": 0.7}, ss[2]),
		cellOf("d", map[string]any{"num_ctx": 512.0, "temperature": 0.7}, ss[3]),
	}
	res := Analyze(cells, ss, Objective{Name: GenTPS, Within: 0.02})
	best := map[string]Best{}
	for _, b := range res.Best {
		best[b.Objective] = b
	}
	if best[PassRate].Label != "a" || best[GenTPS].Label != "b" || best[LatencyP50].Label != "b" {
		t.Fatalf("best: %+v", res.Best)
	}
	if ci := best[GenTPS].CI; !(ci.Lo <= best[GenTPS].Value && best[GenTPS].Value <= ci.Hi) || ci.Lo == ci.Hi {
		t.Fatalf("gen_tps interval %+v does not hold its value %v", ci, best[GenTPS].Value)
	}
	// Within 2 points of the best pass rate only a is eligible: the choice is a.
	if res.Choice == nil || res.Choice.Label != "a" || len(res.Choice.Eligible) != 1 {
		t.Fatalf("choice within 2 points: %+v", res.Choice)
	}
	// Within 10 points, b is faster: chosen, with what it gave up.
	res = Analyze(cells, ss, Objective{Name: GenTPS, Within: 0.10})
	if res.Choice.Label != "b" || res.Choice.VsBest == nil || math.Abs(res.Choice.VsBest.Diff+0.1) > 1e-9 {
		t.Fatalf("choice within 10 points: %+v", res.Choice)
	}
	var ctx, temp *Effect
	for i, e := range res.Effects {
		switch e.Axis {
		case "num_ctx":
			ctx = &res.Effects[i]
		case "temperature":
			temp = &res.Effects[i]
		}
	}
	if ctx == nil || temp == nil || ctx.Pairs != 2 || ctx.From != "256" || ctx.To != "512" {
		t.Fatalf("effects: %+v", res.Effects)
	}
	if ctx.GenTPS == nil || *ctx.GenTPS < 0.5 || !strings.Contains(ctx.Text, "num_ctx 256 -> 512") {
		t.Fatalf("num_ctx effect on gen tok/s: %+v", ctx)
	}
	if temp.PassRate >= 0 || temp.P >= 0.05 || temp.PAdjusted < temp.P {
		t.Fatalf("temperature effect: %+v", temp)
	}
	if len(res.Pareto.Optimal) == 0 || res.Pareto.Cost != "ms_per_gen_token" {
		t.Fatalf("pareto: %+v", res.Pareto)
	}
}

func TestAnalyzeLeavesStoppedCellsOut(t *testing.T) {
	ss := [][]record.Sample{samples("a", 10, func(int) bool { return false }, 10, 100), samples("b", 10, func(int) bool { return true }, 50, 10)}
	cells := []CellResult{cellOf("a", nil, ss[0]), cellOf("b", nil, ss[1])}
	cells[0].Stopped = "worse"
	res := Analyze(cells, ss, Objective{Name: LatencyP50, Within: 1})
	for _, b := range res.Best {
		if b.Label == "a" {
			t.Fatalf("a stopped cell is best on %s", b.Objective)
		}
	}
	if res.Choice.Label != "b" {
		t.Fatalf("choice %+v", res.Choice)
	}
}

func TestSignTestUpper(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want float64
	}{{0, 5, 1}, {5, 5, 1.0 / 32}, {4, 5, 6.0 / 32}, {3, 4, 5.0 / 16}, {0, 0, 1}} {
		if got := signTestUpper(tc.k, tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("P(X >= %d | n=%d) = %v, want %v", tc.k, tc.n, got, tc.want)
		}
	}
}

func TestObjectiveCheck(t *testing.T) {
	o := Objective{Name: "fastest"}
	if err := o.Check(); err == nil || !strings.Contains(err.Error(), "gen_tps") {
		t.Fatalf("unknown objective: %v", err)
	}
	o = Objective{Name: GenTPS}
	if err := o.Check(); err != nil || o.Within != 0.02 {
		t.Fatalf("speed objective default tolerance: %+v %v", o, err)
	}
	o = Objective{}
	if err := o.Check(); err != nil || o.Name != PassRate || o.Within != 0 {
		t.Fatalf("default objective: %+v %v", o, err)
	}
}
