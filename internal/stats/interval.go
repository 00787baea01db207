package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// pcgStream is the second word of every PCG state, so that a caller's single
// uint64 seed fully determines the stream.
const pcgStream = 0x9e3779b97f4a7c15

// WilsonRate is the Wilson score interval for an observed rate p over an
// effective sample size n that need not be a whole number: the number of
// independent trials a clustered rate is worth (see ClusteredWilson). It is
// Wilson's formula, so WilsonRate(s/n, n, c) is Wilson(s, n, c). n <= 0 gives
// {0,1}. It panics if p is not in [0,1], n is NaN, or confidence is not in
// (0,1).
func WilsonRate(p, n float64, confidence float64) Interval {
	if !(p >= 0 && p <= 1) || math.IsNaN(n) {
		panic(fmt.Sprintf("stats: WilsonRate(%v, %v): need 0 <= p <= 1 and n not NaN", p, n))
	}
	z := zScore(confidence)
	if n <= 0 {
		return Interval{Lo: 0, Hi: 1}
	}
	z2 := z * z
	denom := 1 + z2/n
	center := (p + z2/(2*n)) / denom
	margin := z / denom * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	ci := Interval{Lo: max(0, center-margin), Hi: min(1, center+margin)}
	// At a rate of 0 or 1 the bound on that side is exactly 0 or 1; rounding
	// would otherwise leave it a hair off and exclude the observed rate.
	if p == 0 {
		ci.Lo = 0
	}
	if p == 1 {
		ci.Hi = 1
	}
	return ci
}

// BootstrapMeanCI returns a percentile-bootstrap confidence interval for the
// mean of xs: it draws resamples samples of len(xs) values with replacement
// from a PCG generator seeded with seed, and takes the (1-confidence)/2 and
// (1+confidence)/2 percentiles of their means. The same arguments always give
// the same interval. An empty xs gives {0,0}; resamples < 1 gives the
// degenerate interval at the mean. It panics if confidence is not in (0,1).
func BootstrapMeanCI(xs []float64, resamples int, confidence float64, seed uint64) Interval {
	checkConfidence(confidence)
	if len(xs) == 0 {
		return Interval{}
	}
	if resamples < 1 {
		m := Mean(xs)
		return Interval{Lo: m, Hi: m}
	}
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	n := len(xs)
	means := make([]float64, resamples)
	for r := range means {
		var sum float64
		for range n {
			sum += xs[rng.IntN(n)]
		}
		means[r] = sum / float64(n)
	}
	slices.Sort(means)
	return Interval{
		Lo: percentileSorted(means, 100*(1-confidence)/2),
		Hi: percentileSorted(means, 100*(1+confidence)/2),
	}
}

// PairedBootstrapDiffCI compares two measurements of the same items (a
// model's score and another's on the same tasks): diff is mean(b-a), and ci
// is a percentile-bootstrap interval for it that resamples item indices, so
// each a[i] stays with its b[i]. Seeding and edge cases are as in
// BootstrapMeanCI. It panics if a and b differ in length.
func PairedBootstrapDiffCI(a, b []float64, resamples int, confidence float64, seed uint64) (diff float64, ci Interval) {
	if len(a) != len(b) {
		panic(fmt.Sprintf("stats: PairedBootstrapDiffCI: len(a)=%d != len(b)=%d", len(a), len(b)))
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = b[i] - a[i]
	}
	// Resampling indices of d is resampling the pairs (a[i], b[i]) jointly.
	return Mean(d), BootstrapMeanCI(d, resamples, confidence, seed)
}

// zScore returns the two-sided standard normal critical value for confidence.
func zScore(confidence float64) float64 {
	checkConfidence(confidence)
	return distuv.UnitNormal.Quantile(0.5 + confidence/2)
}

func checkConfidence(confidence float64) {
	if !(confidence > 0 && confidence < 1) {
		panic(fmt.Sprintf("stats: confidence %v is not in (0,1)", confidence))
	}
}
