package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// simulator draws synthetic benchmark runs: per task a true pass chance,
// per call a Bernoulli verdict, all from one seeded PCG stream.
type simulator struct {
	rng  *rand.Rand
	beta distuv.Beta
}

func newSimulator(seed uint64, alpha, beta float64) *simulator {
	src := rand.NewPCG(seed, pcgStream)
	// distuv (gonum v0.17) takes a math/rand/v2 Source; sharing src keeps one stream.
	return &simulator{rng: rand.New(src), beta: distuv.Beta{Alpha: alpha, Beta: beta, Src: src}}
}

// verdicts returns k calls of a task with pass chance p: independent
// Bernoulli draws, or one draw repeated k times when replay is set.
func (s *simulator) verdicts(p float64, k int, replay bool) []bool {
	v := make([]bool, k)
	for j := range v {
		if j > 0 && replay {
			v[j] = v[0]
			continue
		}
		v[j] = s.rng.Float64() < p
	}
	return v
}

func passRate(v []bool) float64 {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return float64(n) / float64(len(v))
}

// aaFalsePositives runs comparisons A/A comparisons of tasks x k calls, task
// i's pass chance p_i ~ Beta(0.5, 0.5) shared by both variants, and returns
// how often the task-level PairedTaskDiff and the naive McNemar over all
// tasks*k (task, iteration) pairs reject at level alpha.
func aaFalsePositives(comparisons, tasks, k int, replay bool, alpha float64, seed uint64) (taskLevel, naive float64) {
	sim := newSimulator(seed, 0.5, 0.5)
	var rejTask, rejNaive int
	d := make([]float64, tasks)
	for c := range comparisons {
		var a, b []bool
		for i := range tasks {
			p := sim.beta.Rand()
			va, vb := sim.verdicts(p, k, replay), sim.verdicts(p, k, replay)
			d[i] = passRate(vb) - passRate(va)
			a, b = append(a, va...), append(b, vb...)
		}
		if PairedTaskDiff(d, 0.95, 2000, uint64(c)).PValue <= alpha {
			rejTask++
		}
		if McNemarExact(PairTable(a, b)) <= alpha {
			rejNaive++
		}
	}
	return float64(rejTask) / float64(comparisons), float64(rejNaive) / float64(comparisons)
}

func TestSimulatedFalsePositiveRate(t *testing.T) {
	const comparisons, tasks, k, alpha = 2000, 40, 4, 0.05
	// With 2000 comparisons the standard error of a 5% rate is sqrt(0.05*0.95/2000) = 0.0049.

	t.Run("independent iterations", func(t *testing.T) {
		// d[i] takes values in steps of 1/4 and the sign-flip test runs by Monte Carlo.
		fpr, naive := aaFalsePositives(comparisons, tasks, k, false, alpha, 1)
		t.Logf("A/A, %d tasks x %d independent iterations: task-level FPR %.4f, naive McNemar over %d pairs %.4f",
			tasks, k, fpr, tasks*k, naive)
		if fpr < 0.03 || fpr > 0.07 {
			t.Errorf("task-level false-positive rate %v, want in [0.03, 0.07]", fpr)
		}
	})

	t.Run("pure replays", func(t *testing.T) {
		// Each variant's 4 calls repeat one verdict, so d[i] is -1, 0 or +1 and the task-level
		// test is McNemar's exact test on the 40 tasks. That test is valid but conservative at
		// this size: a task is discordant with chance 2·E[p(1-p)] = 2·(1/2 - 3/8) = 1/4, so
		// its level is sum over n of Binomial(40, 1/4)(n) times the exact test's level at n
		// discordant tasks, 0.0222, below the 0.03 that a less discrete test would reach.
		want := mcNemarLevel(tasks, 0.25, alpha)
		fpr, naive := aaFalsePositives(comparisons, tasks, k, true, alpha, 2)
		t.Logf("A/A, %d tasks x %d replays: task-level FPR %.4f (exact level %.4f), naive McNemar over %d pairs %.4f",
			tasks, k, fpr, want, tasks*k, naive)
		if se := math.Sqrt(want * (1 - want) / comparisons); math.Abs(fpr-want) > 4*se || fpr > 0.07 {
			t.Errorf("task-level false-positive rate %v, want %v -/+ %v and at most 0.07", fpr, want, 4*se)
		}
		// Counting 4 replays as 4 pairs quadruples the discordant count without adding evidence.
		if naive <= 0.07 {
			t.Errorf("naive McNemar false-positive rate %v, want above 0.07 (it treats replays as independent)", naive)
		}
	})
}

// mcNemarLevel returns the actual level of McNemar's exact test at nominal
// level alpha on tasks pairs, each discordant with chance q.
func mcNemarLevel(tasks int, q, alpha float64) float64 {
	var level float64
	for n := 1; n <= tasks; n++ {
		var atN float64
		for x := 0; x <= n; x++ {
			if McNemarExact(McNemarTable{AOnly: x, BOnly: n - x}) <= alpha {
				atN += distuv.Binomial{N: float64(n), P: 0.5}.Prob(float64(x))
			}
		}
		level += distuv.Binomial{N: float64(tasks), P: q}.Prob(float64(n)) * atN
	}
	return level
}

var powerOnce sync.Once

// BenchmarkPower prints the power of the task-level paired comparison for a
// true difference of exactly 10 points, simulated over 500 comparisons per
// design (whatever b.N is) next to the normal-approximation MDE and power.
// Task i's pass chance for A is p_i = 0.9·q_i with q_i ~ Beta(2, 2), so p_i
// is in [0, 0.9], and B's is p_i + 0.10: every task improves by exactly 0.10
// (between = 0). E[q] = 1/2 and E[q^2] = Var q + 1/4 = 4/(16·5) + 1/4 = 0.3,
// so E[p] = 0.45, E[p^2] = 0.81·0.3 = 0.243, within A = E[p(1-p)] = 0.207,
// and within B = E[(p+0.1)(0.9-p)] = 0.09 + 0.8·0.45 - 0.243 = 0.207.
//
//	go test -run '^$' -bench Power -benchtime=1x ./internal/stats/
func BenchmarkPower(b *testing.B) {
	powerOnce.Do(printPowerTable)
	for b.Loop() {
	}
}

func printPowerTable() {
	const comparisons, effect, alpha, power = 500, 0.10, 0.05, 0.8
	fmt.Printf("paired task-level comparison, true difference %.2f, alpha %.2f, %d simulated comparisons per design\n",
		effect, alpha, comparisons)
	fmt.Printf("%6s %5s %12s %12s %13s %14s\n", "tasks", "iter", "power(sign)", "power(t-CI)", "analytic MDE", "analytic power")
	zAlpha := distuv.UnitNormal.Quantile(1 - alpha/2)
	for _, tasks := range []int{36, 100, 200} {
		for _, k := range []int{1, 4} {
			sim := newSimulator(uint64(1000*tasks+k), 2, 2)
			d := make([]float64, tasks)
			var rejSign, rejT int
			for c := range comparisons {
				for i := range tasks {
					p := 0.9 * sim.beta.Rand()
					d[i] = passRate(sim.verdicts(p+effect, k, false)) - passRate(sim.verdicts(p, k, false))
				}
				r := PairedTaskDiff(d, 1-alpha, 2000, uint64(c))
				if r.PValue <= alpha {
					rejSign++
				}
				if r.CI.Lo > 0 || r.CI.Hi < 0 {
					rejT++
				}
			}
			v := PairedDiffVariance(0, 0.207, 0.207, k)
			analytic := distuv.UnitNormal.CDF(effect/math.Sqrt(v/float64(tasks)) - zAlpha)
			fmt.Printf("%6d %5d %12.3f %12.3f %13.3f %14.3f\n", tasks, k,
				float64(rejSign)/comparisons, float64(rejT)/comparisons, MDE(v, tasks, alpha, power), analytic)
		}
	}
}
