package compare

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
)

// variant builds a variant whose i-th sample is task t01, t02, ... at
// iteration 1, passing where pass[i] is true (score 1, else 0), each call
// taking ms milliseconds.
func variant(label, model string, ms float64, pass ...bool) Variant {
	v := Variant{Label: label, Run: record.Run{ID: "r-" + label, Model: model, Status: record.StatusCompleted}}
	for i, p := range pass {
		smp := record.Sample{TaskID: fmt.Sprintf("t%02d", i+1), Category: "c", Iteration: 1, Pass: p}
		if p {
			smp.Score = 1
		}
		smp.WallMs = ms
		smp.Output = "answer " + label
		v.Samples = append(v.Samples, smp)
	}
	return v
}

// bools turns "PPF." into {true, true, false, false}: P is pass.
func bools(s string) []bool {
	out := make([]bool, len(s))
	for i, c := range s {
		out[i] = c == 'P'
	}
	return out
}

func TestMcNemarOnPairs(t *testing.T) {
	// A and B on 10 items: both pass 2, A only 1, B only 7, both fail 0.
	// Hand: n = 8 discordant, P(X <= 1) for X ~ Bin(8, 1/2) = (1 + 8)/256,
	// two-sided p = 18/256 = 0.0703125. Alone, it is not significant.
	a := variant("a", "m", 10, bools("PPPFFFFFFF")...)
	b := variant("b", "m", 10, bools("PPFPPPPPPP")...)
	res, err := Compare([]Variant{a, b}, "")
	if err != nil {
		t.Fatal(err)
	}
	c := res.Comparisons[0]
	if c.Table.BothPass != 2 || c.Table.AOnly != 1 || c.Table.BOnly != 7 || c.Table.BothFail != 0 {
		t.Errorf("table %+v", c.Table)
	}
	if !near(c.PValue, 18.0/256) || c.PAdjusted != c.PValue {
		t.Errorf("p %v adjusted %v, want 18/256 = 0.0703125 for both", c.PValue, c.PAdjusted)
	}
	if c.Significant || c.Verdict != NoDifference {
		t.Errorf("significant %v verdict %q, want no clear difference", c.Significant, c.Verdict)
	}
	if c.PassRate.A != 0.3 || c.PassRate.B != 0.9 || !near(c.PassRate.Diff, 0.6) {
		t.Errorf("pass rate %+v", c.PassRate)
	}
	if c.PassRate.CI.Lo > c.PassRate.Diff || c.PassRate.CI.Hi < c.PassRate.Diff || c.PassRate.CI.Lo <= 0 {
		t.Errorf("pass-rate diff CI %+v should hold 0.6 and exclude 0", c.PassRate.CI)
	}
}

func TestHolmAcrossComparisons(t *testing.T) {
	// Baseline fails all 10. B passes 6 (6 discordant, p = 2/64 = 0.03125);
	// C passes 10 (p = 2/1024 = 0.001953125). Holm over the two:
	// C first: 2 x 0.001953125 = 0.00390625; then B: max(0.0039, 1 x 0.03125).
	base := variant("base", "m", 10, bools("FFFFFFFFFF")...)
	b := variant("b", "m", 10, bools("PPPPPPFFFF")...)
	c := variant("c", "m", 10, bools("PPPPPPPPPP")...)
	res, err := Compare([]Variant{base, b, c}, "base")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		B           string
		P, Adj      float64
		Significant bool
		Verdict     string
	}
	var got []row
	for _, x := range res.Comparisons {
		got = append(got, row{x.B, x.PValue, x.PAdjusted, x.Significant, x.Verdict})
	}
	want := []row{
		{"b", 2.0 / 64, 2.0 / 64, true, Better},
		{"c", 2.0 / 1024, 4.0 / 1024, true, Better},
	}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}

	// B alone would be significant (raw p 0.03125 < 0.05), but adjusted
	// with a second, weaker test it is 2 x 0.03125 = 0.0625.
	base = variant("base", "m", 10, bools("FFFFFFPPPP")...)
	b = variant("b", "m", 10, bools("PPPPPPPPPP")...)
	c = variant("c", "m", 10, bools("PPPPPPFPPP")...) // c only t01..t06, base only t07
	res, err = Compare([]Variant{base, b, c}, "base")
	if err != nil {
		t.Fatal(err)
	}
	pb, pc := res.Comparisons[0], res.Comparisons[1]
	if !near(pb.PValue, 2.0/64) || pc.Table.AOnly != 1 || pc.Table.BOnly != 6 {
		t.Fatalf("setup: b p %v, c table %+v", pb.PValue, pc.Table)
	}
	// c: 7 discordant, min 1: P(X<=1) = 8/128, p = 16/128 = 0.125.
	if !near(pc.PValue, 0.125) {
		t.Errorf("c p %v, want 0.125", pc.PValue)
	}
	if !near(pb.PAdjusted, 0.0625) || !near(pc.PAdjusted, 0.125) || pb.Significant || pb.Verdict != NoDifference {
		t.Errorf("b adjusted %v (want 0.0625, not significant: %v %q), c adjusted %v (want 0.125)", pb.PAdjusted, pb.Significant, pb.Verdict, pc.PAdjusted)
	}
}

func TestVerdicts(t *testing.T) {
	good := variant("good", "m", 10, bools("PPPPPPPPFF")...)
	cases := []struct {
		name string
		b    Variant
		want string
	}{
		{"much worse", variant("b", "m", 10, bools("FFFFFFFFFF")...), Collapse}, // 0 where the baseline passes 80%
		{"worse", variant("b", "m", 10, bools("PFFFFFFFFF")...), Worse},
		{"same", variant("b", "m", 10, bools("PPPPPPPPFF")...), NoDifference},
		{"runaways", func() Variant {
			v := variant("b", "m", 10, bools("PPPPPPPPFF")...)
			for i := range 5 {
				v.Samples[i].Flags.Runaway = true
				v.Samples[i].Flags.Empty = true // counted once
			}
			return v
		}(), Collapse},
		{"four of ten broken", func() Variant {
			v := variant("b", "m", 10, bools("PPPPPPPPFF")...)
			for i := range 4 {
				v.Samples[i].Flags.Runaway = true
				v.Samples[i].Flags.Empty = true
			}
			return v
		}(), NoDifference},
		{"better by score alone", func() Variant {
			v := variant("b", "m", 10, bools("PPPPPPPPFF")...)
			for i := range v.Samples {
				v.Samples[i].Score += 0.1 // same verdicts, every score higher
			}
			return v
		}(), Better},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Compare([]Variant{good, c.b}, "good")
			if err != nil {
				t.Fatal(err)
			}
			cmpn := res.Comparisons[0]
			if cmpn.Verdict != c.want {
				t.Errorf("verdict %q (%s), want %q; %+v", cmpn.Verdict, cmpn.Reason, c.want, cmpn)
			}
			if c.name == "better by score alone" && cmpn.Significant {
				t.Errorf("no discordant pairs: the McNemar test cannot be significant")
			}
		})
	}
	// "worse" needs a significant test: 7 A-only of 7 discordant gives
	// p = 2/128 = 0.015625.
	res, _ := Compare([]Variant{good, variant("b", "m", 10, bools("PFFFFFFFFF")...)}, "")
	if c := res.Comparisons[0]; !near(c.PValue, 2.0/128) || !c.Significant {
		t.Errorf("worse: p %v significant %v", c.PValue, c.Significant)
	}
}

func TestPairingIgnoresOrderAndUnpairedItems(t *testing.T) {
	a := variant("a", "m", 10, bools("PPFFPFPFPPFF")...)
	b := variant("b", "m", 20, bools("PPPPPFPPPPPF")...)
	want, err := Compare([]Variant{a, b}, "")
	if err != nil {
		t.Fatal(err)
	}
	// The same samples recorded in another order, plus one item only b did.
	shuffled := b
	shuffled.Samples = append([]record.Sample(nil), b.Samples...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled.Samples), func(i, j int) {
		shuffled.Samples[i], shuffled.Samples[j] = shuffled.Samples[j], shuffled.Samples[i]
	})
	got, err := Compare([]Variant{a, shuffled}, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Comparisons, got.Comparisons); diff != "" {
		t.Errorf("sample order changed the statistics (-in order +shuffled)\n%s", diff)
	}
	extra := b
	extra.Samples = append(append([]record.Sample(nil), b.Samples...), record.Sample{TaskID: "t01", Iteration: 2, Pass: true, Score: 1, Measurement: record.Measurement{WallMs: 20}})
	got, _ = Compare([]Variant{a, extra}, "")
	if got.Comparisons[0].Pairs != 12 || got.Comparisons[0].PValue != want.Comparisons[0].PValue {
		t.Errorf("unpaired sample: %d pairs, p %v (want 12, %v)", got.Comparisons[0].Pairs, got.Comparisons[0].PValue, want.Comparisons[0].PValue)
	}
	if c := want.Comparisons[0]; c.SpeedRatio != 2 {
		t.Errorf("speed ratio %v, want 2 (b takes 20 ms to a's 10)", c.SpeedRatio)
	}
}

func TestWinner(t *testing.T) {
	cell := func(label string, n int, pass, score float64) TaskCell {
		return TaskCell{Label: label, Samples: n, PassRate: pass, MeanScore: score}
	}
	cases := []struct {
		name  string
		cells []TaskCell
		want  string
	}{
		{"pass rate decides", []TaskCell{cell("a", 3, 1.0/3, 0.9), cell("b", 3, 2.0/3, 0.7)}, "b"},
		{"score breaks a pass-rate tie", []TaskCell{cell("a", 1, 0, 0.4), cell("b", 1, 0, 0.6)}, "b"},
		{"full tie", []TaskCell{cell("a", 1, 1, 1), cell("b", 1, 1, 1)}, Tie},
		{"tie at the top only", []TaskCell{cell("a", 1, 1, 1), cell("b", 1, 0, 0), cell("c", 1, 1, 1)}, Tie},
		{"a later, better one ends the tie", []TaskCell{cell("a", 1, 0, 0), cell("b", 1, 0, 0), cell("c", 1, 1, 1)}, "c"},
		{"no samples are skipped", []TaskCell{cell("a", 0, 0, 0), cell("b", 1, 0, 0)}, "b"},
		{"nothing", []TaskCell{cell("a", 0, 0, 0)}, ""},
	}
	for _, c := range cases {
		if got := Winner(c.cells); got != c.want {
			t.Errorf("%s: winner %q, want %q", c.name, got, c.want)
		}
	}
}

func TestTasksParetoAndPreambleView(t *testing.T) {
	s := variant("s", "tiny-s", 10, bools("PPFF")...)
	m := variant("m", "tiny-m", 20, bools("PPPF")...)
	l := variant("l", "tiny-l", 80, bools("PPPF")...)
	mc := variant("m+concise", "tiny-m", 25, bools("PPPP")...)
	mc.Preamble, mc.Run.Preamble = "concise", "Answer briefly."
	res, err := Compare([]Variant{s, m, l, mc}, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tasks) != 4 || res.Tasks[0].Task != "t01" || res.Tasks[0].Winner != Tie || res.Tasks[2].Winner != Tie || res.Tasks[3].Winner != "m+concise" {
		t.Errorf("tasks %+v", res.Tasks)
	}
	if got := res.Tasks[3].Variants[0]; got.Label != "s" || got.Excerpt != "answer s" || got.LatencyP50Ms != 10 {
		t.Errorf("cell %+v", got)
	}
	wantOptimal := []string{"s", "m", "m+concise"}
	if diff := cmp.Diff(wantOptimal, res.Pareto.Optimal); diff != "" {
		t.Errorf("optimal (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"l": {"m", "m+concise"}}, res.Pareto.DominatedBy); diff != "" {
		t.Errorf("dominated_by (-want +got)\n%s", diff)
	}
	want := []PreambleDelta{{Model: "tiny-m", Preamble: "concise", Without: "m", With: "m+concise",
		PassRateFrom: 0.75, PassRateTo: 1, Delta: 0.25, ScoreFrom: 0.75, ScoreTo: 1}}
	if diff := cmp.Diff(want, res.PreambleAB); diff != "" {
		t.Errorf("preamble view (-want +got)\n%s", diff)
	}
	// Different options: not a preamble-only comparison.
	mc.Run.Options = map[string]any{"num_ctx": 4096}
	res, _ = Compare([]Variant{s, m, l, mc}, "s")
	if len(res.PreambleAB) != 0 {
		t.Errorf("preamble view with different options: %+v", res.PreambleAB)
	}
}

func TestCompareErrors(t *testing.T) {
	a := variant("a", "m", 10, true)
	if _, err := Compare([]Variant{a}, ""); err == nil {
		t.Error("one variant: no error")
	}
	if _, err := Compare([]Variant{a, a}, ""); err == nil {
		t.Error("duplicate label: no error")
	}
	if _, err := Compare([]Variant{a, variant("b", "m", 10, true)}, "zzz"); err == nil {
		t.Error("unknown baseline: no error")
	}
}

// approx allows for the rounding of gonum's binomial CDF.
var approx = cmpopts.EquateApprox(1e-12, 0)

func near(x, y float64) bool { return cmp.Equal(x, y, approx) }

// The frontier's speed axis is latency p50, whatever the TTFTs say: s
// starts answering sooner but takes longer end to end than m, which also
// passes more, so m dominates s.
func TestFrontierUsesLatency(t *testing.T) {
	s := variant("s", "tiny-s", 60, bools("PPFF")...)
	m := variant("m", "tiny-m", 55, bools("PPPP")...)
	for i := range s.Samples {
		s.Samples[i].TTFTMs = 10
		m.Samples[i].TTFTMs = 30
	}
	res, err := Compare([]Variant{s, m}, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := Frontier{Quality: "pass_rate", Cost: "latency_p50_ms",
		Points:  []stats.Point{{Label: "s", Quality: 0.5, Cost: 60}, {Label: "m", Quality: 1, Cost: 55}},
		Optimal: []string{"m"}, DominatedBy: map[string][]string{"s": {"m"}}}
	if diff := cmp.Diff(want, res.Pareto); diff != "" {
		t.Errorf("frontier (-want +got):\n%s", diff)
	}
}

// replayed is v with each sample repeated at iterations 2..k, same verdict
// and seed: what a pinned seed or a temperature-0 model produces.
func replayed(v Variant, k int) Variant {
	out := v
	out.Samples = nil
	for it := 1; it <= k; it++ {
		seed := 100 + it
		for _, smp := range v.Samples {
			smp.Iteration, smp.Seed = it, &seed
			out.Samples = append(out.Samples, smp)
		}
	}
	return out
}

func TestReplaysAreNotEvidence(t *testing.T) {
	// B passes 7 tasks A fails, A 1 that B fails: McNemar p = 18/256 on
	// tasks. Four replays of each make 32 discordant (task, iteration)
	// pairs against 4, which a test on pairs would call p < 0.001; on tasks it stays 18/256.
	a := variant("a", "m", 10, bools("PPPFFFFFFF")...)
	b := variant("b", "m", 10, bools("PPFPPPPPPP")...)
	one, _ := Compare([]Variant{a, b}, "")
	four, _ := Compare([]Variant{replayed(a, 4), replayed(b, 4)}, "")
	c1, c4 := one.Comparisons[0], four.Comparisons[0]
	if c4.Pairs != 40 || c4.Tasks != 10 || c4.Iterations != 4 || c4.Test != TestPermutation || !c4.SameSeeds {
		t.Errorf("4 replays: %d pairs, %d tasks, %d iterations, test %s, same seeds %v", c4.Pairs, c4.Tasks, c4.Iterations, c4.Test, c4.SameSeeds)
	}
	if c4.Table.AOnly != 4 || c4.Table.BOnly != 28 {
		t.Errorf("table over pairs %+v, want 4 and 28 discordant", c4.Table)
	}
	if !near(c4.PValue, 18.0/256) || c4.PValue != c1.PValue || c4.Significant {
		t.Errorf("4 replays: p %v (1 iteration %v), want 18/256 = 0.0703125 and not significant", c4.PValue, c1.PValue)
	}
	if c4.PassRate.CI != c1.PassRate.CI || c4.PassRate.SE != c1.PassRate.SE || c4.PassRate.Diff != c1.PassRate.Diff {
		t.Errorf("4 replays: diff %+v, want the 1-iteration %+v", c4.PassRate, c1.PassRate)
	}
	// d = +1 on 7 tasks, -1 on 1, 0 on 2: mean 0.6, sd sqrt((7*0.16 + 2.56 + 2*0.36)/9) = sqrt(4.4/9),
	// se = sqrt(4.4/9)/sqrt(10) = 0.221108.
	if math.Abs(c1.PassRate.SE-0.221108) > 1e-6 || c1.DiscordantTasks != 8 {
		t.Errorf("se %v discordant %d, want 0.221108 and 8", c1.PassRate.SE, c1.DiscordantTasks)
	}
	// The variants' summaries: 4 replays are worth 10 observations.
	for _, v := range four.Variants {
		if v.EffectiveN != 10 || v.Tasks != 10 || v.Iterations != 4 || v.VariedTasks != 0 {
			t.Errorf("%s: n_eff %v, %d tasks x %d, %d varied", v.Label, v.EffectiveN, v.Tasks, v.Iterations, v.VariedTasks)
		}
	}
	// Different seeds on the two sides are reported.
	other := replayed(b, 4)
	for i := range other.Samples {
		s := 7
		other.Samples[i].Seed = &s
	}
	if r, _ := Compare([]Variant{replayed(a, 4), other}, ""); r.Comparisons[0].SameSeeds {
		t.Error("different seeds reported as paired")
	}
}

func TestMismatches(t *testing.T) {
	base := record.Run{ID: "r1", Model: "m", ModelInfo: record.ModelInfo{Digest: "sha256:aaaaaaaaaaaaaaaa"}, HostURL: "http://a", OllamaVersion: "0.17.4", Options: map[string]any{"seed": 1, "num_ctx": 2048}}
	same := base
	same.ID, same.Options = "r2", map[string]any{"seed": 2, "num_ctx": 2048} // only the seed differs
	if ms := Mismatches([]record.Run{base, same}, nil); len(ms) != 0 {
		t.Errorf("runs that differ only by seed: %+v", ms)
	}
	other := base
	other.ID, other.Model, other.ModelInfo.Digest = "r3", "n", "sha256:bbbbbbbbbbbbbbb" // another model: its digest differs, as it must
	if ms := Mismatches([]record.Run{base, other}, nil); len(ms) != 0 {
		t.Errorf("two models: %+v", ms)
	}
	changed := base
	changed.ID, changed.ModelInfo.Digest, changed.Options, changed.HostURL, changed.OllamaVersion, changed.Preamble =
		"r4", "sha256:cccccccccccccccc", map[string]any{"num_ctx": 4096}, "http://b", "0.18.0", "Be brief."
	ms := Mismatches([]record.Run{base, changed}, nil)
	var fields []string
	for _, m := range ms {
		fields = append(fields, m.Field)
		if m.Allowed {
			t.Errorf("%s allowed without being asked", m.Field)
		}
	}
	if diff := cmp.Diff([]string{DiffDigest, DiffOptions, DiffPreamble, DiffHost, DiffVersion}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	msg := RefusalMessage(Refused(ms))
	if !strings.Contains(msg, `allow_differences: ["digest", "options", "preamble", "host", "ollama_version"]`) || !strings.Contains(msg, "num_ctx") {
		t.Errorf("refusal message %q", msg)
	}
	if len(Refused(Mismatches([]record.Run{base, changed}, []string{AllowAll}))) != 0 ||
		len(Refused(Mismatches([]record.Run{base, changed}, []string{DiffDigest, DiffOptions, DiffPreamble, DiffHost}))) != 1 {
		t.Error("allow list not applied")
	}
	if err := CheckAllowed([]string{"options", "colour"}); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("CheckAllowed: %v", err)
	}
}
