package stats

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// McNemarTable counts paired pass/fail verdicts of two models, A and B, on the
// same items. Only the discordant cells, AOnly and BOnly, carry evidence
// that one model is better.
type McNemarTable struct {
	BothPass int `json:"both_pass"`
	AOnly    int `json:"a_only"` // A passed, B failed
	BOnly    int `json:"b_only"` // B passed, A failed
	BothFail int `json:"both_fail"`
}

// PairTable tallies the verdicts a[i] and b[i] of two models on item i into a
// McNemarTable. It panics if a and b differ in length.
func PairTable(a, b []bool) McNemarTable {
	if len(a) != len(b) {
		panic(fmt.Sprintf("stats: PairTable: len(a)=%d != len(b)=%d", len(a), len(b)))
	}
	var t McNemarTable
	for i := range a {
		switch {
		case a[i] && b[i]:
			t.BothPass++
		case a[i]:
			t.AOnly++
		case b[i]:
			t.BOnly++
		default:
			t.BothFail++
		}
	}
	return t
}

// McNemarExact returns the two-sided p-value of McNemar's exact test: under
// the null hypothesis that A and B are equally good, each of the n = AOnly +
// BOnly discordant items is a fair coin, so p = min(1, 2·P(X <= min(AOnly,
// BOnly))) with X ~ Binomial(n, 1/2). No discordant items gives 1. It panics
// on a negative count.
func McNemarExact(t McNemarTable) float64 {
	b, c := t.AOnly, t.BOnly
	if b < 0 || c < 0 {
		panic(fmt.Sprintf("stats: McNemarExact: negative count in %+v", t))
	}
	n := b + c
	if n == 0 {
		return 1
	}
	tail := distuv.Binomial{N: float64(n), P: 0.5}.CDF(float64(min(b, c)))
	return min(1, 2*tail)
}

// Holm returns Holm-Bonferroni adjusted p-values for a family of tests, in
// the order of p: reject test i at level alpha when the result's i-th value
// is <= alpha, which controls the family-wise error rate. The adjusted values
// are monotone in the raw ones and capped at 1. A NaN stays NaN in its own
// slot and is counted in the family size but does not affect the others.
func Holm(p []float64) []float64 {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		pi, pj := p[i], p[j]
		switch {
		case math.IsNaN(pi) && math.IsNaN(pj):
			return 0
		case math.IsNaN(pi):
			return 1
		case math.IsNaN(pj):
			return -1
		case pi < pj:
			return -1
		case pi > pj:
			return 1
		}
		return 0
	})
	adj := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		if math.IsNaN(p[i]) {
			adj[i] = math.NaN()
			continue
		}
		running = max(running, min(1, float64(m-rank)*p[i]))
		adj[i] = running
	}
	return adj
}
