// Package stats holds the statistics benchmcp reports: descriptive summaries
// of latencies and scores, confidence intervals for pass rates and means,
// paired tests for comparing two models on the same tasks, and the
// quality/cost Pareto frontier. Every function is pure; the resampling ones
// take a seed so that a run's numbers can be reproduced exactly.
package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Interval is a confidence interval [Lo, Hi]; it is the record type so that
// results drop straight into a run's Summary.
type Interval = record.Interval

// Mean returns the arithmetic mean of xs, or 0 when xs is empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return stat.Mean(xs, nil)
}

// StdDev returns the sample standard deviation of xs (divisor n-1), or 0
// when xs has fewer than two values.
func StdDev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	return stat.StdDev(xs, nil)
}

// Percentile returns the p-th percentile of xs, p in [0,100], interpolating
// linearly between the closest ranks (numpy's default, Hyndman-Fan type 7).
// p outside [0,100] is clamped; an empty xs gives 0. xs is not modified.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return percentileSorted(slices.Sorted(slices.Values(xs)), p)
}

// Median returns the 50th percentile of xs, or 0 when xs is empty.
func Median(xs []float64) float64 {
	return Percentile(xs, 50)
}

// percentileSorted is Percentile on an already sorted, non-empty slice.
func percentileSorted(sorted []float64, p float64) float64 {
	p = min(max(p, 0), 100)
	h := float64(len(sorted)-1) * p / 100
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Ratio returns b/a, how many times a the value b is (a speed-up, a cost
// ratio), or 0 when a is 0 so that a missing baseline never yields Inf or NaN.
func Ratio(a, b float64) float64 {
	if a == 0 {
		return 0
	}
	return b / a
}

// FlipRate returns the share of consecutive verdicts that differ,
// flips/(n-1): 0 for a task that always gives the same verdict, 1 for one
// that alternates. Fewer than two verdicts give 0.
func FlipRate(verdicts []bool) float64 {
	if len(verdicts) < 2 {
		return 0
	}
	flips := 0
	for i := 1; i < len(verdicts); i++ {
		if verdicts[i] != verdicts[i-1] {
			flips++
		}
	}
	return float64(flips) / float64(len(verdicts)-1)
}
