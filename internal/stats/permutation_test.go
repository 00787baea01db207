package stats

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSignFlipTest(t *testing.T) {
	tests := []struct {
		name   string
		d      []float64
		budget int
		want   float64
	}{
		{"nil", nil, 0, 1},
		{"all zero", []float64{0, 0, 0}, 0, 1},
		// m = 3, 8 sign vectors, T = 1.75: +++ 1.75, ++- -0.25, +-+ 1.25, +-- -0.75,
		// -++ 0.75, -+- -1.25, --+ 0.25, --- -1.75 -> only +++ and --- reach 1.75: 2/8
		{"three", []float64{0.5, 0.25, 1}, 0, 0.25},
		{"zeros dropped", []float64{0, 0.5, 0, 0.25, 1, 0}, 0, 0.25}, // same nonzero values as "three"
		{"exact at budget 8", []float64{0.5, 0.25, 1}, 8, 0.25},      // 2^3 <= 8 still enumerates
		// magnitudes 1, 0.5, 0.25, 0.75 (total 2.5), T = 1.5; a vector flipping the subset S
		// sums to 2.5 - 2S, extreme when S <= 0.5 or S >= 2: S = 0, 0.25 ({.25}), 0.5 ({.5},
		// the observed one) and their complements -> 6/16 = 0.375
		{"four", []float64{1, -0.5, 0.25, 0.75}, 0, 0.375},
		// magnitudes 1, 0.5, 0.5, T = 1: +++ 2, ++- 1, +-+ 1 and their mirrors tie or beat it,
		// +-- 0 and -++ 0 do not -> 6/8 = 0.75
		{"ties of |T*| == T", []float64{1, -0.5, 0.5}, 0, 0.75},
		// magnitudes 0.1, 0.2, 0.3, 0.5 (total 1.1), T = 0.5: extreme when S <= 0.3 or S >= 0.8:
		// {}, {.1}, {.2}, {.3}, {.1,.2} and their complements -> 10/16 = 0.625. In floating point
		// 0.1 + 0.2 != 0.3, so {.1,.2} and {.3} tie only thanks to eps.
		{"floating ties", []float64{0.1, 0.2, -0.3, 0.5}, 0, 0.625},
		// equal magnitudes are binomial: McNemar b=0 c=5 = 2/32
		{"equal magnitudes", []float64{0.25, 0.25, 0.25, 0.25, 0.25}, 0, 0.0625},
		// b=1 c=5: 2 * (1+6)/64 = 0.21875, however large m is against the budget
		{"equal magnitudes mixed signs", []float64{-1, 1, 1, 1, 1, 1}, 1, 0.21875},
		// 1/3 and 1 - 2/3 differ in the last bit but are the same magnitude: b=0 c=2, 2/4
		{"equal within 1e-9", []float64{1.0 / 3, 1 - 2.0/3}, 0, 0.5},
		{"one value", []float64{-0.3}, 0, 1}, // McNemar b=1 c=0: min(1, 2 * 1/2)
		// sum 0: every random vector is at least as extreme, (1 + 1000)/(1000 + 1)
		{"monte carlo at T = 0", []float64{1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8}, 1000, 1},
		// 1, 2, 4, ..., 2^19 all positive: only the 2 of 2^20 all-equal vectors reach T, and
		// 50 random vectors miss them (chance 50/2^19 = 1e-4), so (1 + 0)/(50 + 1)
		{"monte carlo floor", pow2(20), 50, 1.0 / 51},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SignFlipTest(tt.d, tt.budget, 7); !near(got, tt.want, 1e-12) {
				t.Errorf("SignFlipTest(%v, %d) = %v, want %v", tt.d, tt.budget, got, tt.want)
			}
		})
	}
}

// pow2 returns 1, 2, 4, ..., 2^(m-1).
func pow2(m int) []float64 {
	xs := make([]float64, m)
	for i := range xs {
		xs[i] = math.Ldexp(1, i)
	}
	return xs
}

func TestSignFlipTestIsMcNemarForVerdicts(t *testing.T) {
	// One iteration of 0/1 verdicts: d[i] = b[i] - a[i] is -1 (A only), +1 (B only) or 0.
	// The same holds for any common magnitude, such as whole-task flips over 4 replays.
	for _, mag := range []float64{1, 0.25, 0.5} {
		for b := range 16 {
			for c := range 16 {
				d := []float64{0, 0} // concordant tasks
				for range b {
					d = append(d, -mag)
				}
				for range c {
					d = append(d, mag)
				}
				want := McNemarExact(McNemarTable{AOnly: b, BOnly: c})
				if got := SignFlipTest(d, 100, 1); got != want {
					t.Fatalf("magnitude %v, b=%d c=%d: SignFlipTest = %v, McNemarExact = %v", mag, b, c, got, want)
				}
			}
		}
	}
}

func TestSignFlipTestMonteCarlo(t *testing.T) {
	// m = 16 distinct magnitudes: 65536 vectors, enumerated at that budget, sampled at 20000.
	d := []float64{0.9, -0.2, 0.45, 0.3, 0.15, -0.6, 0.05, 0.75, 0.35, -0.1, 0.55, 0.25, 0.8, -0.4, 0.65, 0.7}
	exact := SignFlipTest(d, 1<<16, 1)
	mc := SignFlipTest(d, DefaultPermutations, 1)
	// the Monte Carlo standard error is at most sqrt(0.25/20000) = 0.0035
	if !near(mc, exact, 0.02) {
		t.Errorf("Monte Carlo p = %v, exact p = %v: want within 0.02", mc, exact)
	}
	if exact <= 0 || exact >= 1 {
		t.Errorf("exact p = %v, want inside (0, 1) for a useful comparison", exact)
	}
	if got := SignFlipTest(d, 0, 1); got != mc {
		t.Errorf("budget 0 gives %v, DefaultPermutations gives %v", got, mc)
	}
	if got := SignFlipTest(d, DefaultPermutations, 1); got != mc {
		t.Errorf("same seed, different p-values: %v and %v", got, mc)
	}
	if got := SignFlipTest(d, DefaultPermutations, 2); got == mc {
		t.Errorf("seeds 1 and 2 gave the same p-value %v", got)
	}
	// Monte Carlo p-values are multiples of 1/(budget+1) and never 0.
	for seed := range uint64(20) {
		p := SignFlipTest(d, 99, seed)
		if k := p * 100; p <= 0 || p > 1 || !near(k, math.Round(k), 1e-9) {
			t.Errorf("seed %d: p = %v is not a positive multiple of 1/100", seed, p)
		}
	}
	// Signs matter only through the statistic: negating every d gives the same p.
	neg := make([]float64, len(d))
	for i := range d {
		neg[i] = -d[i]
	}
	if got := SignFlipTest(neg, 1<<16, 1); got != exact {
		t.Errorf("negated d: p = %v, want %v", got, exact)
	}
}

func TestPairedTaskDiff(t *testing.T) {
	tests := []struct {
		name string
		d    []float64
		want PairedDiff
	}{
		{"no tasks", nil, PairedDiff{PValue: 1}},
		{"one task", []float64{0.5}, PairedDiff{Tasks: 1, Diff: 0.5, CI: Interval{Lo: 0.5, Hi: 0.5}, PValue: 1}},
		// mean 0.5, sd = sqrt(2 * 0.25^2 / 1) = 0.353553391, se = 0.353553391/sqrt(2) = 0.25;
		// t(1, 0.975) = tan(0.475 pi) = 12.706204736 -> 0.5 -/+ 3.176551184;
		// sign flips: sums 1, -0.5, 0.5, -1, T = 1 -> 2/4
		{"two tasks", []float64{0.25, 0.75}, PairedDiff{
			Tasks: 2, Diff: 0.5, SE: 0.25, CI: Interval{Lo: -2.676551184, Hi: 3.676551184}, PValue: 0.5,
		}},
		// mean 1.5/5 = 0.3; deviations -0.3, 0.2, -0.05, 0.7, -0.55, squares sum 0.925, /4 = 0.23125;
		// se = sqrt(0.23125/5) = 0.215058132; t(4, 0.975) = 2.776445105, margin 0.597097097;
		// sign flips over 0.5, 0.25, 1, 0.25 (total 2), T = 1.5: extreme when S <= 0.25 or
		// S >= 1.75: {}, {.25a}, {.25b} and their complements -> 6/16
		{"five tasks", []float64{0, 0.5, 0.25, 1, -0.25}, PairedDiff{
			Tasks: 5, Diff: 0.3, SE: 0.215058132, CI: Interval{Lo: -0.297097097, Hi: 0.897097097}, PValue: 0.375,
		}},
		// no spread: se 0, the CI collapses; the sign test sees 3 equal positive differences,
		// McNemar b=0 c=3: 2/8
		{"constant", []float64{0.5, 0.5, 0.5}, PairedDiff{Tasks: 3, Diff: 0.5, CI: Interval{Lo: 0.5, Hi: 0.5}, PValue: 0.25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PairedTaskDiff(tt.d, 0.95, 0, 1)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-8)); diff != "" {
				t.Errorf("PairedTaskDiff(%v) mismatch (-want +got):\n%s", tt.d, diff)
			}
		})
	}
}

func TestPairedTaskDiffProperties(t *testing.T) {
	// One iteration of 0/1 verdicts: the p-value is McNemar's exact test on the tasks.
	a := []bool{true, false, true, true, false, true, true, false, true, true, false, true}
	b := []bool{true, true, true, false, true, true, true, true, true, true, true, true}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = b2f(b[i]) - b2f(a[i])
	}
	if got, want := PairedTaskDiff(d, 0.95, 0, 1).PValue, McNemarExact(PairTable(a, b)); got != want {
		t.Errorf("PValue = %v, McNemarExact = %v", got, want)
	}

	// With k iterations per task, SE is the cluster-robust se of the pooled difference
	// (ClusteredMean over per-call differences) times sqrt(C/(C-1)).
	clusters := [][]float64{{1, 0, 1}, {0, 0, -1}, {0, 1, 1}, {0, 0, 0}, {-1, 0, 1}, {1, 1, 1}}
	means := make([]float64, len(clusters))
	for i, c := range clusters {
		means[i] = Mean(c)
	}
	diff, se := ClusteredMean(clusters)
	got := PairedTaskDiff(means, 0.95, 0, 1)
	if !near(got.Diff, diff, 1e-12) || !near(got.SE, se*math.Sqrt(6.0/5), 1e-12) {
		t.Errorf("PairedTaskDiff = %+v, want Diff %v and SE %v * sqrt(6/5)", got, diff, se)
	}
	if !(got.CI.Lo < got.Diff && got.Diff < got.CI.Hi) {
		t.Errorf("CI %+v does not cover Diff %v", got.CI, got.Diff)
	}
	// A wider confidence gives a wider interval around the same difference.
	if w := PairedTaskDiff(means, 0.99, 0, 1); w.CI.Lo > got.CI.Lo || w.CI.Hi < got.CI.Hi {
		t.Errorf("99%% CI %+v is not wider than 95%% CI %+v", w.CI, got.CI)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestPermutationPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"sign flip NaN", func() { SignFlipTest([]float64{1, math.NaN()}, 0, 1) }},
		{"sign flip Inf", func() { SignFlipTest([]float64{math.Inf(1)}, 0, 1) }},
		{"paired NaN", func() { PairedTaskDiff([]float64{math.NaN(), 1}, 0.95, 0, 1) }},
		{"paired confidence", func() { PairedTaskDiff([]float64{1, 2}, 1.5, 0, 1) }},
		{"paired confidence no tasks", func() { PairedTaskDiff(nil, 0, 0, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tt.f()
		})
	}
}
