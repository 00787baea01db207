package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// The power functions plan a paired comparison of two variants on the same
// tasks, analysed as in PairedTaskDiff (one difference of means per task)
// with a two-sided test at level alpha; varPerTask is the variance of one
// task's difference, for which see PairedDiffVariance. They use the normal
// approximation, which is close for the 30 or more tasks worth planning for.

// MDE returns the minimum detectable effect of a paired comparison on tasks
// tasks: the true mean difference that a two-sided level-alpha test detects
// with probability power, (z(1-alpha/2) + z(power))·sqrt(varPerTask/tasks).
// It is in the units of the differences (rate points for pass rates) and may
// exceed 1 for tiny designs; tasks < 1 gives 1 rather than +Inf, which JSON
// cannot carry. It panics if varPerTask is negative or not finite, or alpha or
// power is not in (0,1).
func MDE(varPerTask float64, tasks int, alpha, power float64) float64 {
	z := powerZ("MDE", varPerTask, alpha, power)
	if tasks < 1 {
		return 1
	}
	return z * math.Sqrt(varPerTask/float64(tasks))
}

// TasksFor returns how many tasks a paired comparison needs to detect a true
// mean difference effect with probability power at two-sided level alpha,
// ceil((z(1-alpha/2) + z(power))^2·varPerTask/effect^2), and at least 2
// (fewer cannot give a standard error). A product within 1e-9 relative above
// a whole number is rounded down to it, so floating error never adds a task.
// Designs beyond math.MaxInt tasks give math.MaxInt. It panics if effect <=
// 0, varPerTask is negative or not finite, or alpha or power is not in
// (0,1).
func TasksFor(varPerTask, effect, alpha, power float64) int {
	if !(effect > 0) {
		panic(fmt.Sprintf("stats: TasksFor: effect %v is not > 0", effect))
	}
	z := powerZ("TasksFor", varPerTask, alpha, power)
	x := z * z * varPerTask / (effect * effect)
	n := math.Ceil(x - 1e-9*x)
	if n >= math.MaxInt {
		return math.MaxInt
	}
	return max(2, int(n))
}

// PairedDiffVariance returns the variance of one task's difference of means
// b - a when both variants run iterations independent calls per task: the
// true per-task differences vary across tasks with variance between, and
// each call's verdict or score varies around its task's mean with variance
// withinA or withinB (for a 0/1 verdict of pass chance p, p(1-p) averaged
// over tasks), which averaging over the iterations divides down:
// between + (withinA + withinB)/iterations. VarianceComponents estimates the
// components from a run. It panics if a component is negative or NaN or
// iterations < 1.
func PairedDiffVariance(between, withinA, withinB float64, iterations int) float64 {
	if !(between >= 0 && withinA >= 0 && withinB >= 0) || iterations < 1 {
		panic(fmt.Sprintf("stats: PairedDiffVariance(%v, %v, %v, %d): need components >= 0 and iterations >= 1",
			between, withinA, withinB, iterations))
	}
	return between + (withinA+withinB)/float64(iterations)
}

// powerZ checks the power arguments and returns z(1-alpha/2) + z(power).
func powerZ(name string, varPerTask, alpha, power float64) float64 {
	if !(varPerTask >= 0) || math.IsInf(varPerTask, 1) {
		panic(fmt.Sprintf("stats: %s: varPerTask %v is not finite and >= 0", name, varPerTask))
	}
	if !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1) {
		panic(fmt.Sprintf("stats: %s: alpha %v and power %v must be in (0,1)", name, alpha, power))
	}
	return distuv.UnitNormal.Quantile(1-alpha/2) + distuv.UnitNormal.Quantile(power)
}
