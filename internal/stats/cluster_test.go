package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// replays returns one cluster per x holding k copies of it: every task
// replayed k times with the same verdict.
func replays(xs []float64, k int) [][]float64 {
	clusters := make([][]float64, len(xs))
	for i, x := range xs {
		for range k {
			clusters[i] = append(clusters[i], x)
		}
	}
	return clusters
}

// verdicts returns n 0/1 values, the first s of them 1.
func verdicts(s, n int) []float64 {
	xs := make([]float64, n)
	for i := range s {
		xs[i] = 1
	}
	return xs
}

func TestClusteredMean(t *testing.T) {
	tests := []struct {
		name     string
		clusters [][]float64
		mean, se float64
	}{
		{"nil", nil, 0, 0},
		{"only empty clusters", [][]float64{{}, {}}, 0, 0},
		// N = 6, mean = 3/6 = 0.5; cluster residual sums 2-1 = 1, 1-1 = 0, 0-1 = -1;
		// se = sqrt(1 + 0 + 1)/6 = 1.414213562/6 = 0.235702260
		{"pairs", [][]float64{{1, 1}, {1, 0}, {0, 0}}, 0.5, 0.2357022604},
		// singletons: mean 3/4; residuals 0.25, -0.75, 0.25, 0.25; sum of squares 0.75;
		// se = sqrt(0.75)/4 = 0.216506351 = sqrt(0.75*0.25/4), the plug-in se of a mean
		{"singletons", [][]float64{{1}, {0}, {1}, {1}}, 0.75, 0.2165063509},
		// empty cluster ignored: N = 3, mean 1.75/3 = 0.583333333; residuals
		// 1.5 - 2*0.583333 = 0.333333 and 0.25 - 0.583333 = -0.333333;
		// se = sqrt(2/9)/3 = 0.471404521/3 = 0.157134840
		{"scores", [][]float64{{0.5, 1}, {}, {0.25}}, 0.5833333333, 0.1571348403},
		{"constant", [][]float64{{2, 2}, {2}}, 2, 0},
		// each task's mean is the pooled one: residuals 0, so no clustered uncertainty
		{"balanced", [][]float64{{1, 0}, {0, 1}}, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mean, se := ClusteredMean(tt.clusters)
			if !near(mean, tt.mean, 1e-9) || !near(se, tt.se, 1e-9) {
				t.Errorf("ClusteredMean(%v) = (%v, %v), want (%v, %v)", tt.clusters, mean, se, tt.mean, tt.se)
			}
		})
	}
}

func TestClusteredWilson(t *testing.T) {
	tests := []struct {
		name     string
		clusters [][]float64
		want     ClusteredRate
	}{
		{"no verdicts", [][]float64{{}}, ClusteredRate{CI: Interval{Lo: 0, Hi: 1}}},
		// se^2 = 2/36 (TestClusteredMean "pairs"); effective n = 0.25/(2/36) = 4.5 of 6;
		// WilsonRate(0.5, 4.5) = [0.160689663, 0.839310337] (TestWilsonRate)
		{"pairs", [][]float64{{1, 1}, {1, 0}, {0, 0}}, ClusteredRate{
			Rate: 0.5, SE: 0.2357022604, EffectiveN: 4.5, Clusters: 3, N: 6,
			CI: Interval{Lo: 0.1606897, Hi: 0.8393103},
		}},
		// mean 3/6; residuals 2-1.5 = 0.5 and 1-1.5 = -0.5; se = sqrt(0.5)/6 = 0.117851130;
		// effective n = 0.25*36/0.5 = 18 -> clamped to N = 6, so Wilson(3, 6):
		// d = 1 + 3.841458821/6 = 1.640243137, margin = 1.194921 * sqrt(0.041667 + 0.026677) = 0.312383694
		{"anti-correlated clamped to N", [][]float64{{1, 1, 0}, {1, 0, 0}}, ClusteredRate{
			Rate: 0.5, SE: 0.1178511302, EffectiveN: 6, Clusters: 2, N: 6,
			CI: Interval{Lo: 0.1876163, Hi: 0.8123837},
		}},
		// se = 0 at rate 1/2: every verdict counts, Wilson(4, 8)
		{"balanced", [][]float64{{1, 0}, {0, 1}, {1, 0}, {0, 1}}, ClusteredRate{
			Rate: 0.5, EffectiveN: 8, Clusters: 4, N: 8, CI: Wilson(4, 8, 0.95),
		}},
		// se = 0 at rate 1: replays add nothing, Wilson(2, 2) over the tasks
		{"all pass", [][]float64{{1, 1, 1}, {}, {1, 1, 1}}, ClusteredRate{
			Rate: 1, EffectiveN: 2, Clusters: 2, N: 6, CI: Wilson(2, 2, 0.95),
		}},
		{"all fail", [][]float64{{0, 0}, {0, 0}, {0, 0}}, ClusteredRate{
			Rate: 0, EffectiveN: 3, Clusters: 3, N: 6, CI: Wilson(0, 3, 0.95),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClusteredWilson(tt.clusters, 0.95)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
				t.Errorf("ClusteredWilson(%v) mismatch (-want +got):\n%s", tt.clusters, diff)
			}
		})
	}
}

func TestClusteredWilsonProperties(t *testing.T) {
	for _, confidence := range []float64{0.9, 0.95, 0.99} {
		for n := 1; n <= 40; n++ {
			for s := 0; s <= n; s++ {
				want := Wilson(s, n, confidence)
				// (a) One iteration per task: exactly Wilson on the verdicts.
				got := ClusteredWilson(replays(verdicts(s, n), 1), confidence)
				if got.CI != want || got.EffectiveN != float64(n) || got.Rate != float64(s)/float64(n) {
					t.Fatalf("singletons s=%d n=%d: got %+v, want CI %+v at effective n %d", s, n, got, want, n)
				}
				// (b) k identical replays of each task: still exactly Wilson on the tasks.
				for k := 2; k <= 10; k++ {
					got := ClusteredWilson(replays(verdicts(s, n), k), confidence)
					if got.CI != want || got.EffectiveN != float64(n) || got.N != k*n || got.Clusters != n {
						t.Fatalf("replays s=%d n=%d k=%d: got %+v, want CI %+v at effective n %d", s, n, k, got, want, n)
					}
				}
			}
		}
	}
	// (c) Independent iterations carry information: 4 independent Bernoulli(0.6)
	// verdicts per task give a narrower interval than the first iteration alone.
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, pcgStream))
		const tasks, k = 50, 4
		clusters := make([][]float64, tasks)
		first := 0
		for i := range clusters {
			for j := range k {
				v := 0.0
				if rng.Float64() < 0.6 {
					v = 1
				}
				clusters[i] = append(clusters[i], v)
				if j == 0 && v == 1 {
					first++
				}
			}
		}
		got := ClusteredWilson(clusters, 0.95)
		one := Wilson(first, tasks, 0.95)
		if got.CI.Hi-got.CI.Lo >= one.Hi-one.Lo || got.EffectiveN <= tasks {
			t.Errorf("seed %d: independent iterations give %+v, not narrower than one iteration's %+v", seed, got, one)
		}
	}
}

func TestClusterBootstrapMeanCI(t *testing.T) {
	// Singleton clusters draw the same indices in the same order as BootstrapMeanCI.
	rng := rand.New(rand.NewPCG(5, pcgStream))
	xs := make([]float64, 37)
	for i := range xs {
		xs[i] = rng.Float64()
	}
	for seed := range uint64(5) {
		for _, confidence := range []float64{0.8, 0.95} {
			got := ClusterBootstrapMeanCI(replays(xs, 1), 999, confidence, seed)
			if want := BootstrapMeanCI(xs, 999, confidence, seed); got != want {
				t.Errorf("singletons seed %d at %v: %+v, BootstrapMeanCI gives %+v", seed, confidence, got, want)
			}
		}
	}
	// Identical replays of dyadic scores (sums stay exact) give the 1-iteration interval.
	scores := []float64{0, 0.25, 1, 0.5, 0.75, 1, 0, 0.5, 0.25, 1, 1, 0}
	want := ClusterBootstrapMeanCI(replays(scores, 1), 2000, 0.95, 3)
	for k := 2; k <= 10; k++ {
		if got := ClusterBootstrapMeanCI(replays(scores, k), 2000, 0.95, 3); got != want {
			t.Errorf("%d replays: %+v, one iteration gives %+v", k, got, want)
		}
	}
	// Clusters {0} and {1,1,1}: a resample draws {0},{0} -> 0/2 = 0, one of each -> 3/4,
	// or {1,1,1} twice -> 6/6 = 1, with chances 1/4, 1/2, 1/4.
	sums, counts := clusterSums([][]float64{{0}, {1, 1, 1}})
	means := clusterResampleMeans(sums, counts, 1000, 11)
	if got := slices.Compact(slices.Clone(means)); !slices.Equal(got, []float64{0, 0.75, 1}) {
		t.Errorf("resample means take the values %v, want exactly [0 0.75 1]", got)
	}
	// About 250 zeros and 250 ones: the 2.5th and 97.5th percentiles are 0 and 1.
	if got := ClusterBootstrapMeanCI([][]float64{{0}, {1, 1, 1}}, 1000, 0.95, 11); got != (Interval{Lo: 0, Hi: 1}) {
		t.Errorf("ClusterBootstrapMeanCI({0}, {1,1,1}) = %+v, want [0, 1]", got)
	}
	clustered := [][]float64{{1, 0, 1}, {0.5}, {0, 0}, {1}, {0.3, 0.9}, {0.7}, {0.2, 0.1, 0.4}, {}, {0.8}}
	a := ClusterBootstrapMeanCI(clustered, 1000, 0.95, 42)
	if b := ClusterBootstrapMeanCI(clustered, 1000, 0.95, 42); a != b {
		t.Errorf("same seed, different intervals: %+v and %+v", a, b)
	}
	if c := ClusterBootstrapMeanCI(clustered, 1000, 0.95, 43); a == c {
		t.Errorf("seeds 42 and 43 gave the same interval %+v", a)
	}
}

func TestClusterBootstrapMeanCIEdges(t *testing.T) {
	tests := []struct {
		name      string
		clusters  [][]float64
		resamples int
		want      Interval
	}{
		{"nil", nil, 1000, Interval{}},
		{"only empty clusters", [][]float64{{}, {}}, 1000, Interval{}},
		{"one cluster", [][]float64{{1, 0, 0, 1}}, 1000, Interval{Lo: 0.5, Hi: 0.5}}, // every resample is that cluster, 2/4
		{"constant", [][]float64{{2, 2}, {2}, {}}, 1000, Interval{Lo: 2, Hi: 2}},
		// degenerate at the pooled mean 3/4, not at the mean of task means (1+0)/2
		{"no resamples", [][]float64{{1, 1, 1}, {0}}, 0, Interval{Lo: 0.75, Hi: 0.75}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClusterBootstrapMeanCI(tt.clusters, tt.resamples, 0.95, 1)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ClusterBootstrapMeanCI mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVarianceComponents(t *testing.T) {
	tests := []struct {
		name            string
		clusters        [][]float64
		within, between float64
		identified      bool
	}{
		{"nil", nil, 0, 0, false},
		// within: variances 0.5, 0, 0 -> 1/6; means 0.5, 1, 0: variance (0 + 0.25 + 0.25)/2 = 0.25;
		// kbar = 2 -> between = 0.25 - (1/6)/2 = 1/6
		{"pairs", [][]float64{{0, 1}, {1, 1}, {0, 0}}, 1.0 / 6, 1.0 / 6, true},
		{"empty cluster ignored", [][]float64{{0, 1}, {}, {1, 1}, {0, 0}}, 1.0 / 6, 1.0 / 6, true},
		// within: Var{1,2,3} = 1, Var{4,6} = 2 -> 1.5 ({5} has no within information);
		// means 2, 5, 5: mean 4, variance (4+1+1)/2 = 3; kbar = 3/(1/3 + 1 + 1/2) = 18/11;
		// between = 3 - 1.5*11/18 = 3 - 0.916667 = 2.083333 = 25/12
		{"unequal sizes", [][]float64{{1, 2, 3}, {5}, {4, 6}}, 1.5, 25.0 / 12, true},
		// means 0.5, 0.5 vary less than the within noise 0.5/2 predicts: floored at 0
		{"floored", [][]float64{{0, 1}, {1, 0}}, 0.5, 0, true},
		// one verdict per task: means 1, 2, 4, mean 7/3, squares 16/9 + 1/9 + 25/9 = 42/9, /2 = 7/3
		{"not identified", [][]float64{{1}, {2}, {4}}, 0, 7.0 / 3, false},
		{"one cluster", [][]float64{{1, 2, 3}}, 1, 0, true}, // Var{1,2,3} = (1+0+1)/2
		{"one singleton", [][]float64{{5}}, 0, 0, false},
		// pure replays: no within noise, between = Var{1, 0, 1, 1} = (3*(1/16) + 9/16)/3 = 0.25
		{"replays", replays([]float64{1, 0, 1, 1}, 3), 0, 0.25, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			within, between, identified := VarianceComponents(tt.clusters)
			if !near(within, tt.within, 1e-12) || !near(between, tt.between, 1e-12) || identified != tt.identified {
				t.Errorf("VarianceComponents(%v) = (%v, %v, %v), want (%v, %v, %v)",
					tt.clusters, within, between, identified, tt.within, tt.between, tt.identified)
			}
		})
	}
}

func TestPassAtK(t *testing.T) {
	tests := []struct {
		n, c, k     int
		atK, allOfK float64
		comment     string
	}{
		{4, 2, 2, 5.0 / 6, 1.0 / 6, "1 - C(2,2)/C(4,2) = 1 - 1/6; C(2,2)/C(4,2) = 1/6"},
		{4, 2, 1, 0.5, 0.5, "k = 1 is c/n for both"},
		{10, 3, 5, 11.0 / 12, 0, "1 - C(7,5)/C(10,5) = 1 - 21/252; C(3,5) = 0"},
		{10, 7, 3, 119.0 / 120, 7.0 / 24, "1 - C(3,3)/C(10,3) = 1 - 1/120; C(7,3)/C(10,3) = 35/120"},
		{5, 0, 3, 0, 0, "nothing passed"},
		{5, 5, 3, 1, 1, "everything passed"},
		{5, 1, 5, 1, 0, "k = n draws every iteration: pass@n = [c > 0], pass^n = [c = n]"},
		{1, 1, 1, 1, 1, "one iteration"},
	}
	for _, tt := range tests {
		if got := PassAtK(tt.n, tt.c, tt.k); !near(got, tt.atK, 1e-12) {
			t.Errorf("PassAtK(%d, %d, %d) = %v, want %v (%s)", tt.n, tt.c, tt.k, got, tt.atK, tt.comment)
		}
		if got := PassHatK(tt.n, tt.c, tt.k); !near(got, tt.allOfK, 1e-12) {
			t.Errorf("PassHatK(%d, %d, %d) = %v, want %v (%s)", tt.n, tt.c, tt.k, got, tt.allOfK, tt.comment)
		}
	}
	// No overflow at n = 1000: C(1000,500) is about 2.7e299, beyond what a float64
	// product of factorials survives. Compare with log-gamma.
	lchoose := func(n, k int) float64 {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(k + 1))
		c, _ := math.Lgamma(float64(n - k + 1))
		return a - b - c
	}
	for _, tt := range []struct{ n, c, k int }{{1000, 500, 500}, {1000, 990, 10}, {1000, 10, 100}, {1000, 700, 300}} {
		wantHat := math.Exp(lchoose(tt.c, tt.k) - lchoose(tt.n, tt.k))
		if got := PassHatK(tt.n, tt.c, tt.k); math.Abs(got-wantHat) > 1e-9*wantHat {
			t.Errorf("PassHatK(%d, %d, %d) = %v, want %v", tt.n, tt.c, tt.k, got, wantHat)
		}
		wantAt := 1 - math.Exp(lchoose(tt.n-tt.c, tt.k)-lchoose(tt.n, tt.k))
		if got := PassAtK(tt.n, tt.c, tt.k); math.Abs(got-wantAt) > 1e-9 {
			t.Errorf("PassAtK(%d, %d, %d) = %v, want %v", tt.n, tt.c, tt.k, got, wantAt)
		}
	}
	// More draws: pass@k can only rise, pass^k only fall, and pass@k >= pass^k.
	for n := 1; n <= 20; n++ {
		for c := 0; c <= n; c++ {
			for k := 1; k <= n; k++ {
				at, hat := PassAtK(n, c, k), PassHatK(n, c, k)
				if !(0 <= hat && hat <= at && at <= 1) {
					t.Fatalf("n=%d c=%d k=%d: pass@k %v, pass^k %v, want 0 <= pass^k <= pass@k <= 1", n, c, k, at, hat)
				}
				if k > 1 && (at < PassAtK(n, c, k-1) || hat > PassHatK(n, c, k-1)) {
					t.Fatalf("n=%d c=%d: not monotone from k=%d to k=%d", n, c, k-1, k)
				}
			}
		}
	}
}

func TestClusterPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"clustered wilson confidence", func() { ClusteredWilson([][]float64{{1}}, 1) }},
		{"clustered wilson rate above 1", func() { ClusteredWilson([][]float64{{2, 2}}, 0.95) }},
		{"cluster bootstrap confidence", func() { ClusterBootstrapMeanCI(nil, 10, 0, 1) }},
		{"pass@k c > n", func() { PassAtK(3, 4, 1) }},
		{"pass@k k = 0", func() { PassAtK(3, 1, 0) }},
		{"pass@k k > n", func() { PassAtK(3, 1, 4) }},
		{"pass^k negative c", func() { PassHatK(3, -1, 1) }},
		{"pass^k k > n", func() { PassHatK(2, 2, 3) }},
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
