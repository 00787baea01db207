package route

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
)

// Policies a routing evaluation compares. Always, heuristic, evidence and
// cascade are realisable; oracle is the ceiling no router reaches: it knows
// every answer's verdict beforehand.
const (
	Always = "always"
	Oracle = "oracle"
)

// Candidate is one model a router can send a task to, with its costs.
type Candidate = record.RoutingCandidate

// ParseCandidate reads model@host; the host is empty without an @.
func ParseCandidate(s string) Candidate {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "@"); i > 0 {
		return Candidate{Model: s[:i], Host: s[i+1:]}
	}
	return Candidate{Model: s}
}

// Trial is one candidate's answer to one task at one iteration, as its
// stored sample has it.
type Trial struct {
	Pass      bool
	LatencyMs float64
	InTokens  int // prompt tokens
	OutTokens int // output tokens
	// Verify is the judge's score of the answer in [0,1], the cascade's
	// signal; nil when the answer was not judged.
	Verify   *float64
	VerifyMs float64
}

// Task is one task with every candidate's trials: Trials[c][i] is
// candidate c at iteration i.
type Task struct {
	ID       string
	Category string
	Prompt   string
	Trials   [][]Trial
}

// Matrix is what a routing evaluation works from: the same tasks and
// iterations answered by every candidate, cheapest first.
type Matrix struct {
	Candidates []Candidate
	Tasks      []Task
	Iterations int
}

// Validate checks that every task has every candidate's every iteration.
func (m Matrix) Validate() error {
	if len(m.Candidates) < 2 {
		return fmt.Errorf("routing needs at least 2 candidates, got %d", len(m.Candidates))
	}
	if len(m.Tasks) == 0 || m.Iterations < 1 {
		return fmt.Errorf("routing needs tasks answered at least once, got %d tasks × %d iterations", len(m.Tasks), m.Iterations)
	}
	for _, t := range m.Tasks {
		if len(t.Trials) != len(m.Candidates) {
			return fmt.Errorf("task %s has trials of %d candidates, want %d", t.ID, len(t.Trials), len(m.Candidates))
		}
		for c, tr := range t.Trials {
			if len(tr) != m.Iterations {
				return fmt.Errorf("task %s has %d iterations of %s, want %d", t.ID, len(tr), m.Candidates[c].Name(), m.Iterations)
			}
		}
	}
	return nil
}

// Outcome is what a policy did with one task at one iteration: the
// candidates it called in order, the last of which answered.
type Outcome struct {
	Called    []int
	Pass      bool
	Cost      float64
	LatencyMs float64
}

// Answered is the candidate whose answer the policy returned.
func (o Outcome) Answered() int { return o.Called[len(o.Called)-1] }

// Spec is one policy at one threshold.
type Spec = record.RoutingSpec

// PolicyResult is one policy at one threshold, evaluated over the matrix.
type PolicyResult struct {
	ID        string   `json:"id" jsonschema:"policy and threshold, e.g. evidence@0.8 or always tiny-m"`
	Policy    string   `json:"policy"`
	Threshold *float64 `json:"threshold,omitempty"`
	PassRate  float64  `json:"pass_rate"`
	// PassRateCI resamples tasks (each with all its iterations), the same
	// resamples for every policy.
	PassRateCI record.Interval `json:"pass_rate_ci" jsonschema:"95% bootstrap interval over tasks (task-clustered)"`
	// DeltaVsBig is PassRate minus always-big's, with the paired bootstrap
	// interval of that difference (both on the same resampled tasks).
	DeltaVsBig   float64            `json:"delta_vs_big" jsonschema:"pass_rate minus always-<last candidate>'s"`
	DeltaCI      record.Interval    `json:"delta_ci" jsonschema:"95% paired bootstrap interval of delta_vs_big over tasks"`
	Share        map[string]float64 `json:"share" jsonschema:"fraction of answers given by each model"`
	BigShare     float64            `json:"big_share" jsonschema:"fraction of tasks sent to the last (biggest) candidate; a cascade's escalations count"`
	Cost         float64            `json:"cost" jsonschema:"mean cost per task of every call made (0 without costs)"`
	LatencyP50Ms float64            `json:"latency_p50_ms" jsonschema:"median per task of the calls made (a cascade's attempts and judging add up)"`
	Pareto       bool               `json:"pareto,omitempty" jsonschema:"on the pass rate / big_share frontier of the realisable policies"`

	Spec     Spec        `json:"-"`
	Outcomes [][]Outcome `json:"-"` // [task][iteration]
}

// Bootstrap settings of the evaluation: fixed, so that the same matrix
// gives the same intervals.
const (
	bootResamples = 2000
	bootSeed      = 12
)

// EvidenceThresholds are the pass rates the evidence policy is swept over.
var EvidenceThresholds = []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1}

// Evaluate runs every policy over the matrix: always each candidate, the
// heuristic over every difficulty threshold the tasks reach, the
// cross-validated evidence policy over EvidenceThresholds, the cascade over
// every judge score the cheaper candidates got (when answers were judged),
// and the oracle. The first result of each kind comes first; always-X are
// in candidate order.
func Evaluate(m Matrix) ([]PolicyResult, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var specs []Spec
	for _, c := range m.Candidates {
		specs = append(specs, Spec{Policy: Always, Target: c.Name()})
	}
	for _, t := range heuristicThresholds(m) {
		specs = append(specs, Spec{Policy: Heuristic, Threshold: ptr(t)})
	}
	for _, t := range EvidenceThresholds {
		specs = append(specs, Spec{Policy: Evidence, Threshold: ptr(t)})
	}
	for _, t := range cascadeThresholds(m) {
		specs = append(specs, Spec{Policy: Cascade, Threshold: ptr(t)})
	}
	specs = append(specs, Spec{Policy: Oracle})

	big := len(m.Candidates) - 1
	bigMeans := taskMeans(m, func(ti, i int) Outcome { return call(m, ti, i, big) })
	out := make([]PolicyResult, 0, len(specs))
	for _, sp := range specs {
		route := router(m, sp)
		outcomes := make([][]Outcome, len(m.Tasks))
		for ti := range m.Tasks {
			outcomes[ti] = make([]Outcome, m.Iterations)
			for i := range m.Iterations {
				outcomes[ti][i] = route(ti, i)
			}
		}
		out = append(out, summarise(m, sp, outcomes, bigMeans))
	}
	markPareto(out)
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// router returns the function that routes task ti at iteration i.
func router(m Matrix, sp Spec) func(ti, i int) Outcome {
	last := len(m.Candidates) - 1
	switch sp.Policy {
	case Always:
		c := slices.IndexFunc(m.Candidates, func(c Candidate) bool { return c.Name() == sp.Target })
		return func(ti, i int) Outcome { return call(m, ti, i, c) }
	case Heuristic:
		points := make([]int, len(m.Tasks))
		for ti, t := range m.Tasks {
			points[ti] = EstimateDifficulty(t.Prompt).Points
		}
		return func(ti, i int) Outcome {
			if float64(points[ti]) >= *sp.Threshold {
				return call(m, ti, i, last)
			}
			return call(m, ti, i, 0)
		}
	case Evidence:
		pick := make([]int, len(m.Tasks))
		for ti := range m.Tasks {
			pick[ti] = evidencePick(m, ti, *sp.Threshold)
		}
		return func(ti, i int) Outcome { return call(m, ti, i, pick[ti]) }
	case Cascade:
		return func(ti, i int) Outcome { return cascadeOutcome(m, ti, i, *sp.Threshold) }
	}
	// Oracle: the cheapest candidate whose answer passes, else the cheapest.
	return func(ti, i int) Outcome {
		for c := range m.Candidates {
			if m.Tasks[ti].Trials[c][i].Pass {
				return call(m, ti, i, c)
			}
		}
		return call(m, ti, i, 0)
	}
}

// call is the outcome of sending task ti at iteration i to candidate c alone.
func call(m Matrix, ti, i, c int) Outcome {
	t := m.Tasks[ti].Trials[c][i]
	return Outcome{Called: []int{c}, Pass: t.Pass, Cost: m.Candidates[c].Cost(t.InTokens, t.OutTokens, t.LatencyMs), LatencyMs: t.LatencyMs}
}

// cascadeOutcome tries the candidates in order and keeps the first answer
// whose judge score reaches threshold; the last candidate's answer is kept
// unjudged. An unjudged answer of a cheaper candidate escalates.
func cascadeOutcome(m Matrix, ti, i int, threshold float64) Outcome {
	var o Outcome
	for c := range m.Candidates {
		t := m.Tasks[ti].Trials[c][i]
		o.Called = append(o.Called, c)
		o.Cost += m.Candidates[c].Cost(t.InTokens, t.OutTokens, t.LatencyMs)
		o.LatencyMs += t.LatencyMs
		o.Pass = t.Pass
		if c == len(m.Candidates)-1 {
			break
		}
		o.LatencyMs += t.VerifyMs
		if t.Verify != nil && *t.Verify >= threshold {
			break
		}
	}
	return o
}

// CategoryEvidence is one candidate's record on a category, excluding one
// task: the tasks that count and how many of their trials passed.
type CategoryEvidence struct {
	Tasks, Trials, Passed int
}

// Rate is the pass rate, 0 without trials.
func (e CategoryEvidence) Rate() float64 {
	if e.Trials == 0 {
		return 0
	}
	return float64(e.Passed) / float64(e.Trials)
}

// categoryEvidence is candidate c's record on the category of task skip
// (or on category cat when skip < 0), leaving task skip out.
func categoryEvidence(m Matrix, cat string, skip, c int) CategoryEvidence {
	var e CategoryEvidence
	for ti, t := range m.Tasks {
		if ti == skip || t.Category != cat {
			continue
		}
		e.Tasks++
		for _, tr := range t.Trials[c] {
			e.Trials++
			if tr.Pass {
				e.Passed++
			}
		}
	}
	return e
}

// evidencePick routes task ti on the other tasks of its category alone
// (leave-one-task-out), so no task is routed on its own result.
func evidencePick(m Matrix, ti int, threshold float64) int {
	cat := m.Tasks[ti].Category
	ev := make([]CategoryEvidence, len(m.Candidates))
	for c := range m.Candidates {
		ev[c] = categoryEvidence(m, cat, ti, c)
	}
	return PickByEvidence(ev, threshold)
}

// PickByEvidence is the evidence rule: the cheapest candidate with at least
// MinEvidence tasks whose pass rate reaches threshold; else the one with the
// best pass rate (the cheaper on a tie); the last candidate when none has
// MinEvidence tasks.
func PickByEvidence(ev []CategoryEvidence, threshold float64) int {
	best := -1
	for c, e := range ev {
		if e.Tasks < MinEvidence {
			continue
		}
		if e.Rate() >= threshold {
			return c
		}
		if best < 0 || e.Rate() > ev[best].Rate() {
			best = c
		}
	}
	if best < 0 {
		return len(ev) - 1
	}
	return best
}

// LearnCategories is the evidence policy learned on every task, for
// deployment: each category's candidate by name.
func LearnCategories(m Matrix, threshold float64) map[string]string {
	out := map[string]string{}
	for _, t := range m.Tasks {
		if _, ok := out[t.Category]; ok {
			continue
		}
		ev := make([]CategoryEvidence, len(m.Candidates))
		for c := range m.Candidates {
			ev[c] = categoryEvidence(m, t.Category, -1, c)
		}
		out[t.Category] = m.Candidates[PickByEvidence(ev, threshold)].Name()
	}
	return out
}

// heuristicThresholds are the difficulty points worth trying: every value
// from 1 to the highest any task reaches (0 is always-last, above the
// highest always-first).
func heuristicThresholds(m Matrix) []float64 {
	top := 0
	for _, t := range m.Tasks {
		top = max(top, EstimateDifficulty(t.Prompt).Points)
	}
	var out []float64
	for p := 1; p <= top; p++ {
		out = append(out, float64(p))
	}
	return out
}

// cascadeThresholds are the distinct positive judge scores of the cheaper
// candidates' answers, ascending: between two of them the cascade does not
// change. None when no answer was judged.
func cascadeThresholds(m Matrix) []float64 {
	var out []float64
	for _, t := range m.Tasks {
		for c := range len(m.Candidates) - 1 {
			for _, tr := range t.Trials[c] {
				if tr.Verify != nil && *tr.Verify > 0 && !slices.Contains(out, *tr.Verify) {
					out = append(out, *tr.Verify)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// taskMeans is the per-task pass rate under a routing.
func taskMeans(m Matrix, route func(ti, i int) Outcome) []float64 {
	out := make([]float64, len(m.Tasks))
	for ti := range m.Tasks {
		for i := range m.Iterations {
			if route(ti, i).Pass {
				out[ti]++
			}
		}
		out[ti] /= float64(m.Iterations)
	}
	return out
}

func summarise(m Matrix, sp Spec, outcomes [][]Outcome, bigMeans []float64) PolicyResult {
	r := PolicyResult{ID: sp.ID(), Policy: sp.Policy, Threshold: sp.Threshold, Spec: sp, Outcomes: outcomes, Share: map[string]float64{}}
	means := make([]float64, len(m.Tasks))
	var latency []float64
	n := float64(len(m.Tasks) * m.Iterations)
	last := len(m.Candidates) - 1
	for ti, row := range outcomes {
		for _, o := range row {
			if o.Pass {
				means[ti]++
			}
			r.Share[m.Candidates[o.Answered()].Name()] += 1 / n
			if slices.Contains(o.Called, last) {
				r.BigShare += 1 / n
			}
			r.Cost += o.Cost / n
			latency = append(latency, o.LatencyMs)
		}
		means[ti] /= float64(m.Iterations)
	}
	r.PassRate = stats.Mean(means)
	ci := stats.BootstrapMeanCI(means, bootResamples, 0.95, bootSeed)
	r.PassRateCI = record.Interval{Lo: ci.Lo, Hi: ci.Hi}
	d, dci := stats.PairedBootstrapDiffCI(bigMeans, means, bootResamples, 0.95, bootSeed)
	r.DeltaVsBig, r.DeltaCI = d, record.Interval{Lo: dci.Lo, Hi: dci.Hi}
	r.LatencyP50Ms = stats.Median(latency)
	r.BigShare = round6(r.BigShare)
	for k, v := range r.Share {
		r.Share[k] = round6(v)
	}
	return r
}

// round6 removes the float noise of summing 1/n.
func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// markPareto marks the realisable policies no other beats on both pass
// rate (higher) and big-model share (lower).
func markPareto(rs []PolicyResult) {
	var pts []stats.Point
	for _, r := range rs {
		if r.Policy != Oracle {
			pts = append(pts, stats.Point{Label: r.ID, Quality: r.PassRate, Cost: r.BigShare})
		}
	}
	f := stats.Pareto(pts)
	for i := range rs {
		rs[i].Pareto = slices.Contains(f.Optimal, rs[i].ID)
	}
}

// Recommend picks, among the realisable policies whose pass rate is within
// `within` of always-last's, the cheapest: the lowest cost when costs are
// known, else the lowest big-model share; ties go to the higher pass rate,
// then the simpler policy (earlier in rs). Always-last itself qualifies, so
// there is always a recommendation. It returns the index into rs.
func Recommend(rs []PolicyResult, big string, within float64, costed bool) int {
	bi := slices.IndexFunc(rs, func(r PolicyResult) bool { return r.Policy == Always && r.Spec.Target == big })
	floor := rs[bi].PassRate - within - 1e-9
	best := bi
	for i, r := range rs {
		if r.Policy == Oracle || r.PassRate < floor {
			continue
		}
		b := rs[best]
		c := cmp.Compare(r.BigShare, b.BigShare)
		if costed {
			c = cmp.Or(cmp.Compare(r.Cost, b.Cost), c)
		}
		if c < 0 || (c == 0 && r.PassRate > b.PassRate) {
			best = i
		}
	}
	return best
}

// CategoryRow is the decision matrix's line for one category.
type CategoryRow struct {
	Category       string             `json:"category"`
	Tasks          int                `json:"tasks"`
	PassRate       map[string]float64 `json:"pass_rate" jsonschema:"each candidate's pass rate on the category"`
	Routed         map[string]float64 `json:"routed" jsonschema:"where the recommended policy sends the category's tasks: fraction per model"`
	RoutedPassRate float64            `json:"routed_pass_rate" jsonschema:"the recommended policy's pass rate on the category"`
}

// Decisions is the decision matrix of a policy: per category, each
// candidate's pass rate and where the policy sends the category's tasks.
func Decisions(m Matrix, r PolicyResult) []CategoryRow {
	var rows []CategoryRow
	idx := map[string]int{}
	for ti, t := range m.Tasks {
		j, ok := idx[t.Category]
		if !ok {
			j = len(rows)
			idx[t.Category] = j
			rows = append(rows, CategoryRow{Category: t.Category, PassRate: map[string]float64{}, Routed: map[string]float64{}})
			for _, cand := range m.Candidates {
				rows[j].PassRate[cand.Name()] = 0
			}
		}
		row := &rows[j]
		row.Tasks++
		for c, cand := range m.Candidates {
			for _, tr := range t.Trials[c] {
				if tr.Pass {
					row.PassRate[cand.Name()]++
				}
			}
		}
		for _, o := range r.Outcomes[ti] {
			row.Routed[m.Candidates[o.Answered()].Name()]++
			if o.Pass {
				row.RoutedPassRate++
			}
		}
	}
	for j := range rows {
		n := float64(rows[j].Tasks * m.Iterations)
		for k := range rows[j].PassRate {
			rows[j].PassRate[k] = round6(rows[j].PassRate[k] / n)
		}
		for k := range rows[j].Routed {
			rows[j].Routed[k] = round6(rows[j].Routed[k] / n)
		}
		rows[j].RoutedPassRate = round6(rows[j].RoutedPassRate / n)
	}
	return rows
}
