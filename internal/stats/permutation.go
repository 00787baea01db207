package stats

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultPermutations is the number of random sign vectors SignFlipTest
// draws when its budget is < 1 and exact enumeration is out of reach; it
// resolves a p-value of 0.05 to about +/-0.003.
const DefaultPermutations = 20000

// PairedDiff compares two variants on the same tasks with the task as the
// unit: the mean of the per-task differences (b - a) of their mean verdicts
// or scores, its standard error, a Student t confidence interval and a
// sign-flip permutation p-value.
type PairedDiff struct {
	Tasks  int      `json:"tasks"`
	Diff   float64  `json:"diff"`
	SE     float64  `json:"se"`
	CI     Interval `json:"ci"`
	PValue float64  `json:"p_value"`
}

// PairedTaskDiff compares two variants from d, where d[i] is task i's mean
// for variant b minus its mean for variant a over the task's iterations.
// Diff is mean(d); SE is sd(d)/sqrt(n) with the n-1 divisor, which is the
// cluster-robust standard error of the difference of pooled means with the
// C/(C-1) correction when every task has the same number of iterations; CI
// is Diff -/+ t(n-1, (1+confidence)/2)·SE; PValue is SignFlipTest(d, budget,
// seed). Iterations of a task are never counted as independent evidence.
// Fewer than two tasks give SE 0, the degenerate CI at Diff and PValue 1
// (Diff is 0 for no tasks). It panics if confidence is not in (0,1) or a
// d[i] is not finite.
func PairedTaskDiff(d []float64, confidence float64, budget int, seed uint64) PairedDiff {
	r := pairedTaskInterval("PairedTaskDiff", d, confidence)
	if r.Tasks >= 2 {
		r.PValue = SignFlipTest(d, budget, seed)
	}
	return r
}

// PairedTaskInterval is PairedTaskDiff without the test, for a difference
// whose interval is wanted but not its p-value: the permutation test is
// most of PairedTaskDiff's cost. PValue is 1.
func PairedTaskInterval(d []float64, confidence float64) PairedDiff {
	return pairedTaskInterval("PairedTaskInterval", d, confidence)
}

func pairedTaskInterval(name string, d []float64, confidence float64) PairedDiff {
	checkConfidence(confidence)
	checkFinite(name, d)
	n := len(d)
	r := PairedDiff{Tasks: n, Diff: Mean(d), PValue: 1}
	if n < 2 {
		r.CI = Interval{Lo: r.Diff, Hi: r.Diff}
		return r
	}
	r.SE = StdDev(d) / math.Sqrt(float64(n))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile((1 + confidence) / 2)
	r.CI = Interval{Lo: r.Diff - t*r.SE, Hi: r.Diff + t*r.SE}
	return r
}

// SignFlipTest returns the two-sided p-value of the paired sign-flip
// permutation test of "each d[i] is symmetric about 0" (the two variants are
// exchangeable on every task) with statistic T = |sum d[i]|. Zeros carry no
// sign and are dropped; with m nonzero values left, m == 0 gives 1. A
// flipped statistic counts as extreme when |T*| >= T - eps with eps =
// 1e-9·max(1, sum |d[i]|), so that sums equal in exact arithmetic tie.
//
// When the nonzero |d[i]| are all equal (within 1e-9 relative), as for 0/1
// verdicts at one iteration, the sign count is binomial and the result is
// exactly McNemarExact of #negative against #positive. Otherwise, when 2^m
// <= budget, all 2^m sign vectors are enumerated and p = count/2^m. Else
// budget random sign vectors are drawn from a PCG generator seeded with seed
// and p = (1+count)/(budget+1), which is never 0. budget < 1 means
// DefaultPermutations. It panics if a d[i] is not finite.
func SignFlipTest(d []float64, budget int, seed uint64) float64 {
	checkFinite("SignFlipTest", d)
	if budget < 1 {
		budget = DefaultPermutations
	}
	var nz []float64
	var sum, abs float64
	pos, neg := 0, 0
	for _, x := range d {
		switch {
		case x > 0:
			pos++
		case x < 0:
			neg++
		default:
			continue
		}
		nz = append(nz, x)
		sum += x
		abs += math.Abs(x)
	}
	m := len(nz)
	if m == 0 {
		return 1
	}
	if equalMagnitudes(nz) {
		return McNemarExact(McNemarTable{AOnly: neg, BOnly: pos})
	}
	threshold := math.Abs(sum) - 1e-9*max(1, abs)
	count := 0
	if m < 63 && 1<<m <= budget {
		// A sign vector and its opposite give opposite sums (to the bit:
		// rounding is symmetric), so half of them are enumerated.
		for mask := range uint64(1) << (m - 1) {
			if math.Abs(signedSum(nz, mask)) >= threshold {
				count += 2
			}
		}
		return float64(count) / float64(uint64(1)<<m)
	}
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	for range budget {
		var s float64
		var bits uint64
		for i, x := range nz {
			if i%64 == 0 {
				bits = rng.Uint64()
			}
			s += negateIf(x, bits)
			bits >>= 1
		}
		if math.Abs(s) >= threshold {
			count++
		}
	}
	return float64(1+count) / float64(budget+1)
}

// signedSum returns sum xs[i], negated where bit i of mask is set.
func signedSum(xs []float64, mask uint64) float64 {
	var s float64
	for i, x := range xs {
		s += negateIf(x, mask>>i)
	}
	return s
}

// negateIf is -x when the low bit of bit is set, else x: a sign-bit flip,
// so that s + negateIf(x, 1) is exactly s - x, without a branch on a
// random bit (which the CPU mispredicts half the time).
func negateIf(x float64, bit uint64) float64 {
	return math.Float64frombits(math.Float64bits(x) ^ (bit&1)<<63)
}

// equalMagnitudes reports whether every |xs[i]| is within 1e-9 relative of
// |xs[0]|; xs is non-empty and has no zeros.
func equalMagnitudes(xs []float64) bool {
	a := math.Abs(xs[0])
	for _, x := range xs[1:] {
		if math.Abs(math.Abs(x)-a) > 1e-9*a {
			return false
		}
	}
	return true
}

func checkFinite(name string, xs []float64) {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			panic(fmt.Sprintf("stats: %s: d[%d] = %v is not finite", name, i, x))
		}
	}
}
