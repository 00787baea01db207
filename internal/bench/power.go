package bench

import (
	"fmt"
	"math"
	"slices"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/internal/suite"
)

// The power analysis's settings: a two-sided test at PowerAlpha detecting a
// difference with probability PowerTarget, and the pass-rate difference a
// recommendation aims at when the caller names none.
const (
	PowerAlpha    = 0.05
	PowerTarget   = 0.80
	DefaultEffect = 0.10
)

// RunCorrelation is what a single run's power assumes of the variant it will
// be compared with: its per-task pass rates correlate this much with this
// run's (two models on one suite find the same tasks hard). The variance of
// the true per-task differences is then 2(1-r) times the between-task
// variance. A comparison measures it instead.
const RunCorrelation = 0.5

// Planning assumptions, for a plan with no data to go on: the share of a
// verdict's variance that is within a task (what iterations average away),
// the rest being between tasks.
const PlanWithinShare = 0.3

// powerIterations are the iteration counts of a power table.
var powerIterations = []int{1, 2, 3, 5, 10}

// RunPower is what one run's variance says a paired comparison against a
// similar variant on the same tasks can detect (see RunCorrelation).
func RunPower(between, within float64, identified bool, tasks, iterations int, effect float64) record.Power {
	p := PairedPower(2*(1-RunCorrelation)*between, within, within, identified, tasks, iterations, effect)
	p.Assumptions = fmt.Sprintf("against a variant with the same within-task variance whose per-task pass rates correlate %.1f with this run's; compare_models measures the real value", RunCorrelation)
	return p
}

// PlanPower is the power of a design before any run, from an expected pass
// rate: a verdict's variance rate(1-rate), PlanWithinShare of it within
// tasks, and the other variant's per-task rates correlated RunCorrelation.
func PlanPower(rate float64, tasks, iterations int, effect float64) record.Power {
	v := rate * (1 - rate)
	within, between := PlanWithinShare*v, (1-PlanWithinShare)*v
	p := PairedPower(2*(1-RunCorrelation)*between, within, within, true, tasks, iterations, effect)
	p.Basis = "assumed"
	p.Assumptions = fmt.Sprintf("pass rate %.2f (verdict variance %.3f), %.0f%% of it within tasks, the two variants' per-task rates correlated %.1f; a run or comparison reports the observed values",
		rate, v, 100*PlanWithinShare, RunCorrelation)
	return p
}

// PairedPower fills a Power for a paired comparison on tasks x iterations:
// between is the variance of the true per-task differences, withinA and
// withinB the two variants' within-task verdict variances.
func PairedPower(between, withinA, withinB float64, identified bool, tasks, iterations int, effect float64) record.Power {
	if effect <= 0 {
		effect = DefaultEffect
	}
	iterations = max(iterations, 1)
	floored := false
	if between+withinA+withinB <= 0 && tasks > 0 {
		// No variance seen (every task alike): that is not evidence that
		// none exists. Count it as one task's worth, the least the data
		// could have shown: one task differing by 1 among tasks.
		between, floored = 1/float64(tasks), true
	}
	varAt := func(k int) float64 { return stats.PairedDiffVariance(between, withinA, withinB, k) }
	p := record.Power{
		Basis: "observed", WithinTask: (withinA + withinB) / 2, BetweenTask: between, Identified: identified,
		Tasks: tasks, Iterations: iterations, Effect: effect,
		MDE:         clamp01(stats.MDE(varAt(iterations), tasks, PowerAlpha, PowerTarget)),
		TasksNeeded: tasksFor(varAt(iterations), effect),
		Table:       []record.PowerRow{},
	}
	for k := 1; k <= MaxIterations; k++ {
		if stats.MDE(varAt(k), tasks, PowerAlpha, PowerTarget) <= effect {
			p.IterationsNeeded = k
			break
		}
	}
	for _, k := range powerIterations {
		n := tasksFor(varAt(k), effect)
		p.Table = append(p.Table, record.PowerRow{Iterations: k, TasksNeeded: n, Calls: n * k,
			MDE: clamp01(stats.MDE(varAt(k), tasks, PowerAlpha, PowerTarget))})
	}
	p.Advice = advice(p, varAt)
	if floored {
		p.Advice += fmt.Sprintf(" No variance was seen (every task alike), so it is taken as one task's worth (1/%d) rather than zero.", tasks)
	}
	return p
}

// Retarget recomputes a Power for another effect from its own variance components.
func Retarget(p record.Power, effect float64) record.Power {
	q := PairedPower(p.BetweenTask, p.WithinTask, p.WithinTask, p.Identified, p.Tasks, p.Iterations, effect)
	q.Basis, q.Assumptions = p.Basis, p.Assumptions
	return q
}

// Plan is what a run or a comparison will cost and can detect, worked out
// before it runs: no model is called.
type Plan struct {
	Suite      string   `json:"suite"`
	Tasks      int      `json:"tasks"`
	Iterations int      `json:"iterations"`
	Variants   int      `json:"variants"`
	Calls      int      `json:"calls" jsonschema:"measured model calls: tasks x iterations x variants (warm-up calls and judge calls come on top)"`
	Seeds      SeedPlan `json:"seeds" jsonschema:"the seeds the iterations would use (drawn seeds are drawn again when the run starts)"`
	// EstimatedSeconds is calls x the median latency of stored runs of these
	// models on this suite; 0 when there are none.
	EstimatedSeconds float64      `json:"estimated_seconds,omitempty"`
	Power            record.Power `json:"power"`
}

// CheckPlan checks a plan's effect and expected pass rate.
func CheckPlan(effect, rate float64) error {
	if effect < 0 || effect >= 1 {
		return inputErrorf("effect %.3f is out of range; give a pass-rate difference between 0 and 1, e.g. 0.10 for 10 points", effect)
	}
	if rate < 0 || rate >= 1 {
		return inputErrorf("expected_pass_rate %.3f is out of range; give a rate between 0 and 1 (exclusive), e.g. 0.7", rate)
	}
	return nil
}

// PlanFromRuns works out a plan for cfg on variants models without calling
// one. The power comes from the best evidence among the stored completed
// runs (newest first): a run of the same suite content, preferring one of
// these models, then one with several iterations; samples reads its samples.
// The duration comes from the median latency of these models' runs on it.
func PlanFromRuns(cfg Config, models []string, variants int, effect, rate float64, runs []record.Run, samples func(runID string) ([]record.Sample, error)) (Plan, error) {
	if err := CheckPlan(effect, rate); err != nil {
		return Plan{}, err
	}
	hash := cfg.Suite.Hash()
	var best *record.Run
	rank := func(r record.Run) int {
		n := 0
		if slices.Contains(models, r.Model) {
			n += 2
		}
		if r.Iterations > 1 {
			n++
		}
		return n
	}
	var lat []float64
	for i, r := range runs { // newest first
		if r.SuiteHash != hash {
			continue
		}
		if slices.Contains(models, r.Model) && r.Summary != nil && r.Summary.LatencyP50Ms > 0 {
			lat = append(lat, r.Summary.LatencyP50Ms)
		}
		if best == nil || rank(r) > rank(*best) {
			best = &runs[i]
		}
	}
	var ev *PlanEvidence
	if best != nil {
		smps, err := samples(best.ID)
		if err != nil {
			return Plan{}, fmt.Errorf("plan: read samples of run %s: %w", best.ID, err)
		}
		ev = &PlanEvidence{Run: *best, Samples: smps}
	}
	return MakePlan(cfg.Suite, cfg.Iterations, variants, cfg.Seeds, effect, rate, ev, stats.Median(lat)), nil
}

// PlanEvidence is a stored run whose samples stand in for the variance a
// new run will see.
type PlanEvidence struct {
	Run     record.Run
	Samples []record.Sample
}

// MakePlan works out a plan. With evidence (a stored run of the same
// suite, ideally with several iterations) the power uses its observed
// variance; otherwise an assumed one at the expected pass rate (default 0.5,
// the largest variance).
func MakePlan(st suite.Suite, iterations, variants int, seeds SeedPlan, effect, rate float64, evidence *PlanEvidence, latencyMs float64) Plan {
	if rate <= 0 || rate >= 1 {
		rate = 0.5
	}
	p := Plan{Suite: st.Name, Tasks: len(st.Tasks), Iterations: iterations, Variants: variants, Seeds: seeds}
	p.Calls = p.Tasks * iterations * variants
	p.EstimatedSeconds = float64(p.Calls) * latencyMs / 1000
	if evidence != nil && len(evidence.Samples) > 0 {
		within, between, identified := stats.VarianceComponents(Clusters(evidence.Samples, PassValue))
		p.Power = RunPower(between, within, identified, p.Tasks, iterations, effect)
		p.Power.Basis = "observed in run " + evidence.Run.ID
	} else {
		p.Power = PlanPower(rate, p.Tasks, iterations, effect)
	}
	return p
}

// maxPlanTasks caps the tasks a power analysis names: past it the answer
// is "more than anyone will run", and products of it stay far from overflow.
const maxPlanTasks = 10_000_000

func tasksFor(v, effect float64) int {
	if v <= 0 {
		return 2
	}
	return min(stats.TasksFor(v, effect, PowerAlpha, PowerTarget), maxPlanTasks)
}

func clamp01(x float64) float64 { return math.Min(math.Max(x, 0), 1) }

// advice says in one or two sentences whether the design detects the
// effect and, if not, the cheapest of more iterations or more tasks.
func advice(p record.Power, varAt func(int) float64) string {
	pts := func(x float64) string { return fmt.Sprintf("%.0f points", 100*x) }
	var s string
	switch {
	case p.MDE <= p.Effect:
		s = fmt.Sprintf("%d tasks x %d iterations detect a %s difference (minimum detectable effect %s at 80%% power).", p.Tasks, p.Iterations, pts(p.Effect), pts(p.MDE))
	case p.IterationsNeeded > 0:
		s = fmt.Sprintf("%d tasks x %d iterations detect only %s or more; for %s run %d iterations on these %d tasks (%d calls per variant), or use %d tasks at %d iterations.",
			p.Tasks, p.Iterations, pts(p.MDE), pts(p.Effect), p.IterationsNeeded, p.Tasks, p.IterationsNeeded*p.Tasks, p.TasksNeeded, p.Iterations)
	default:
		floor := stats.MDE(varAt(MaxIterations), p.Tasks, PowerAlpha, PowerTarget)
		s = fmt.Sprintf("%d tasks x %d iterations detect only %s or more, and no number of iterations reaches %s with %d tasks: the variance between tasks alone leaves %s; it needs about %d tasks at %d iterations.",
			p.Tasks, p.Iterations, pts(p.MDE), pts(p.Effect), p.Tasks, pts(clamp01(floor)), p.TasksNeeded, p.Iterations)
	}
	if !p.Identified {
		s += " With one iteration the within-task part cannot be seen and is counted as between-task variance, so iterations may help more than this says; run 3 iterations to measure it."
	}
	return s
}
