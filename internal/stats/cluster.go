package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// A run scores T tasks k times each, and the k iterations of a task are
// correlated (often identical replays), so the task, not the call, is the
// unit of independence. The functions here take clusters: clusters[i] holds
// task i's observations over its iterations, 0/1 verdicts or scores. Empty
// clusters are ignored everywhere.

// ClusteredMean returns the pooled mean of all N observations in clusters
// and its cluster-robust (CR0) standard error,
// se = sqrt(sum_i (sum_j (x_ij - mean))^2) / N, which counts each task once
// however many correlated iterations it has (Miller 2024, "Adding Error Bars
// to Evals"); no small-sample factor is applied. With one observation per
// cluster it is sqrt(sum (x_i - mean)^2) / N, the plug-in standard error of a
// mean. No observations give (0, 0).
func ClusteredMean(clusters [][]float64) (mean, se float64) {
	var total float64
	n := 0
	for _, c := range clusters {
		for _, x := range c {
			total += x
		}
		n += len(c)
	}
	if n == 0 {
		return 0, 0
	}
	mean = total / float64(n)
	var ss float64
	for _, c := range clusters {
		var r float64
		for _, x := range c {
			r += x - mean
		}
		ss += r * r
	}
	return mean, math.Sqrt(ss) / float64(n)
}

// ClusteredRate is a pass rate over clustered 0/1 verdicts with a confidence
// interval that accounts for the correlation of a task's iterations.
type ClusteredRate struct {
	Rate       float64  // pooled pass rate over all N verdicts
	SE         float64  // cluster-robust standard error of Rate (ClusteredMean)
	EffectiveN float64  // how many independent verdicts the N are worth, in [1, N]
	Clusters   int      // non-empty clusters (tasks)
	N          int      // verdicts
	CI         Interval // WilsonRate(Rate, EffectiveN, confidence)
}

// ClusteredWilson returns the pass rate of clustered 0/1 verdicts with a
// Wilson interval at the effective sample size Rate(1-Rate)/SE^2 (the design
// effect of the clustering), clamped to [1, N]. When SE is 0 the effective
// size is the number of tasks if Rate is 0 or 1, since replays of a constant
// verdict add nothing visible, and N otherwise (every task's mean equals the
// pooled one). An effective size within 1e-9 relative of a whole number is
// snapped to it, so that one verdict per task gives exactly Wilson(passes,
// tasks) and k identical replays of each task give exactly the same interval
// as one. No verdicts give the interval {0,1}. It panics if confidence is not
// in (0,1) or the rate is not in [0,1].
func ClusteredWilson(clusters [][]float64, confidence float64) ClusteredRate {
	checkConfidence(confidence)
	r := ClusteredRate{}
	for _, c := range clusters {
		if len(c) > 0 {
			r.Clusters++
			r.N += len(c)
		}
	}
	if r.N == 0 {
		r.CI = Interval{Lo: 0, Hi: 1}
		return r
	}
	r.Rate, r.SE = ClusteredMean(clusters)
	nf := float64(r.N)
	switch {
	case r.SE == 0 && (r.Rate == 0 || r.Rate == 1):
		r.EffectiveN = float64(r.Clusters)
	case r.SE == 0:
		r.EffectiveN = nf
	default:
		r.EffectiveN = min(max(r.Rate*(1-r.Rate)/(r.SE*r.SE), 1), nf)
	}
	if w := math.Round(r.EffectiveN); math.Abs(r.EffectiveN-w) <= 1e-9*w {
		r.EffectiveN = w
	}
	r.CI = WilsonRate(r.Rate, r.EffectiveN, confidence)
	return r
}

// ClusterBootstrapMeanCI is BootstrapMeanCI for clustered observations: each
// resample draws C whole clusters with replacement (rng.IntN(C) over the C
// non-empty clusters, in the same order as BootstrapMeanCI draws values) and
// takes the pooled mean of the drawn observations, so a task's iterations
// stay together. With one observation per cluster it is exactly
// BootstrapMeanCI of those observations. No observations give {0,0};
// resamples < 1 gives the degenerate interval at the pooled mean. It panics
// if confidence is not in (0,1).
func ClusterBootstrapMeanCI(clusters [][]float64, resamples int, confidence float64, seed uint64) Interval {
	checkConfidence(confidence)
	sums, counts := clusterSums(clusters)
	if len(sums) == 0 {
		return Interval{}
	}
	if resamples < 1 {
		m, _ := ClusteredMean(clusters)
		return Interval{Lo: m, Hi: m}
	}
	means := clusterResampleMeans(sums, counts, resamples, seed)
	return Interval{
		Lo: percentileSorted(means, 100*(1-confidence)/2),
		Hi: percentileSorted(means, 100*(1+confidence)/2),
	}
}

// clusterSums returns the sum and the size of every non-empty cluster.
func clusterSums(clusters [][]float64) (sums []float64, counts []int) {
	for _, c := range clusters {
		if len(c) == 0 {
			continue
		}
		var s float64
		for _, x := range c {
			s += x
		}
		sums = append(sums, s)
		counts = append(counts, len(c))
	}
	return sums, counts
}

// clusterResampleMeans returns the sorted pooled means of resamples cluster
// bootstrap resamples of the clusters with the given sums and sizes.
func clusterResampleMeans(sums []float64, counts []int, resamples int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	c := len(sums)
	means := make([]float64, resamples)
	for r := range means {
		var sum float64
		n := 0
		for range c {
			j := rng.IntN(c)
			sum += sums[j]
			n += counts[j]
		}
		means[r] = sum / float64(n)
	}
	slices.Sort(means)
	return means
}

// VarianceComponents splits the spread of clustered observations into the
// within-task variance (how much one task's iterations disagree) and the
// between-task variance of the true task means, the inputs of
// PairedDiffVariance. within is the mean, over clusters with at least two
// observations, of their sample variance (divisor n-1); between is the
// sample variance of the cluster means less the part within/kbar that the
// within noise contributes to it, floored at 0, with kbar the harmonic mean
// of the cluster sizes. identified reports whether any cluster has two or
// more observations; if none does, the two cannot be told apart and within
// is 0 while between is the whole variance of the cluster means. Fewer than
// two non-empty clusters give between = 0.
func VarianceComponents(clusters [][]float64) (within, between float64, identified bool) {
	var means []float64
	var invSizes float64
	withinN := 0
	for _, c := range clusters {
		if len(c) == 0 {
			continue
		}
		means = append(means, Mean(c))
		invSizes += 1 / float64(len(c))
		if len(c) >= 2 {
			within += stat.Variance(c, nil)
			withinN++
		}
	}
	if withinN > 0 {
		within /= float64(withinN)
	}
	var vm float64
	if len(means) >= 2 {
		vm = stat.Variance(means, nil)
	}
	if withinN == 0 {
		return 0, vm, false
	}
	kbar := float64(len(means)) / invSizes
	return within, max(0, vm-within/kbar), true
}

// PassAtK is the unbiased estimator of pass@k for one task with n
// iterations of which c passed (Chen et al. 2021): the chance that at least
// one of k iterations drawn without replacement passed,
// 1 - C(n-c,k)/C(n,k). It is summed over the draw at which the first pass
// comes, each term a running product, so it neither overflows for n in the
// thousands nor loses a small value to cancellation, and k = 1 gives exactly
// c/n. It panics unless 0 <= c <= n and 1 <= k <= n.
func PassAtK(n, c, k int) float64 {
	checkPassK("PassAtK", n, c, k)
	if n-c < k { // fewer failures than draws: some draw passes, exactly
		return 1
	}
	// P(first pass at draw j) = prod_{i<j} (n-c-i)/(n-i) * c/(n-j).
	var p float64
	allFailed := 1.0
	for j := range min(k, n-c+1) {
		p += allFailed * float64(c) / float64(n-j)
		allFailed *= float64(n-c-j) / float64(n-j)
	}
	return min(p, 1)
}

// PassHatK is tau-bench's pass^k for one task with n iterations of which c
// passed: the chance that all of k iterations drawn without replacement
// passed, C(c,k)/C(n,k), a measure of reliability rather than of reach.
// It panics unless 0 <= c <= n and 1 <= k <= n.
func PassHatK(n, c, k int) float64 {
	checkPassK("PassHatK", n, c, k)
	return chooseRatio(c, n, k)
}

// chooseRatio returns C(a,k)/C(n,k) for 0 <= a <= n as the product of
// (a-i)/(n-i) over i < k; it is 0 when a < k.
func chooseRatio(a, n, k int) float64 {
	if a < k {
		return 0
	}
	r := 1.0
	for i := range k {
		r *= float64(a-i) / float64(n-i)
	}
	return r
}

func checkPassK(name string, n, c, k int) {
	if !(0 <= c && c <= n && 1 <= k && k <= n) {
		panic(fmt.Sprintf("stats: %s(n=%d, c=%d, k=%d): need 0 <= c <= n and 1 <= k <= n", name, n, c, k))
	}
}
