package sweep

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
)

// CellResult is one cell as it ran: its settings, its run and the run's
// numbers. The run's full summary (per task, per category, power) is the
// run's: analyze_results or `benchmcp runs show` with the run id.
type CellResult struct {
	Cell
	RunID   string        `json:"run_id"`
	Status  record.Status `json:"status"`
	Stopped string        `json:"stopped,omitempty" jsonschema:"why early stopping ended the cell"`
	Summary CellSummary   `json:"summary"`
}

// CellSummary is a cell run's summary, compact: a sweep has many cells.
type CellSummary struct {
	record.Headline
	Tasks           int             `json:"tasks"`
	MeanScoreCI     record.Interval `json:"mean_score_ci"`
	TTFCP50Ms       float64         `json:"ttfc_p50_ms,omitempty" jsonschema:"to the first chunk of any kind"`
	FirstThinkP50Ms float64         `json:"first_thinking_p50_ms,omitempty"`
	FirstAnswerP50  float64         `json:"first_content_p50_ms,omitempty"`
	StreamTPS       float64         `json:"stream_tps,omitempty" jsonschema:"median decode tokens/s on the stream: the output token count over the span of the text chunks"`
	PromptTPS       float64         `json:"prompt_tps"`
	ThroughputTPS   float64         `json:"throughput_tps,omitempty" jsonschema:"output tokens/s of all calls over the time any was in flight"`
	InFlight        float64         `json:"in_flight,omitempty" jsonschema:"mean calls in flight"`
	PointsPerSecond float64         `json:"points_per_s" jsonschema:"score per second of model time (the calls' wall time, summed)"`
	PromptTokens    float64         `json:"prompt_tokens" jsonschema:"mean prompt tokens Ollama evaluated: the depth reached"`
	Reloads         int             `json:"reloads"`
	Errors          int             `json:"errors"`
	Runaway         int             `json:"runaway"`
	Memory          *record.Memory  `json:"memory,omitempty" jsonschema:"the model's memory once loaded (Ollama /api/ps): size, VRAM and GPU share"`
}

// Objective names: what "best" can mean.
const (
	PassRate     = "pass_rate"
	MeanScore    = "mean_score"
	GenTPS       = "gen_tps"
	PromptTPS    = "prompt_tps"
	TTFTP50      = "ttft_p50_ms"
	LatencyP50   = "latency_p50_ms"
	PointsPerSec = "points_per_s"
	Throughput   = "throughput_tps"
)

// metric is one objective: how a cell scores on it, which way is better,
// and its interval from the cell's samples.
type metric struct {
	name   string
	higher bool
	value  func(CellSummary) float64
	ci     func(CellSummary, [][]record.Sample) record.Interval
}

var metrics = []metric{
	{PassRate, true, func(c CellSummary) float64 { return c.PassRate }, func(c CellSummary, _ [][]record.Sample) record.Interval { return c.PassRateCI }},
	{MeanScore, true, func(c CellSummary) float64 { return c.MeanScore }, func(c CellSummary, _ [][]record.Sample) record.Interval { return c.MeanScoreCI }},
	{GenTPS, true, func(c CellSummary) float64 { return c.GenTPS }, medianCI(bench.GenTPSValue)},
	{PromptTPS, true, func(c CellSummary) float64 { return c.PromptTPS }, medianCI(bench.PromptTPSValue)},
	{TTFTP50, false, func(c CellSummary) float64 { return c.TTFTP50Ms }, medianCI(bench.TTFTValue)},
	{LatencyP50, false, func(c CellSummary) float64 { return c.LatencyP50Ms }, medianCI(bench.LatencyValue)},
	{PointsPerSec, true, func(c CellSummary) float64 { return c.PointsPerSecond }, func(_ CellSummary, tasks [][]record.Sample) record.Interval {
		return bootstrap(tasks, pointsPerSecond)
	}},
	{Throughput, true, func(c CellSummary) float64 { return c.ThroughputTPS }, func(c CellSummary, tasks [][]record.Sample) record.Interval {
		// The calls in flight are the cell's, measured; the task mix is resampled.
		return bootstrap(tasks, func(ss []record.Sample) float64 { return c.InFlight * tokensPerCallSecond(ss) })
	}},
}

// Objectives lists the objective names.
func Objectives() []string {
	var names []string
	for _, m := range metrics {
		names = append(names, m.name)
	}
	return names
}

func metricOf(name string) (metric, bool) {
	for _, m := range metrics {
		if m.name == name {
			return m, true
		}
	}
	return metric{}, false
}

// Objective is what the sweep's choice optimises: the best cell on Name
// among the cells whose pass rate is within Within of the best pass rate
// ("pass rate within 2 points of the best, then fastest").
type Objective struct {
	Name   string  `json:"objective,omitempty" jsonschema:"what to optimise: pass_rate, mean_score, gen_tps, prompt_tps, ttft_p50_ms, latency_p50_ms, points_per_s or throughput_tps (default pass_rate)"`
	Within float64 `json:"pass_rate_within,omitempty" jsonschema:"only cells whose pass rate is within this of the best cell's compete, e.g. 0.02 for 2 points (default 0.02 for a speed objective, 0 for pass_rate)"`
}

// Check fills the defaults and refuses unknown objectives.
func (o *Objective) Check() error {
	if o.Name == "" {
		o.Name = PassRate
	}
	if _, ok := metricOf(o.Name); !ok {
		return fmt.Errorf("objective %q is not one of %s", o.Name, strings.Join(Objectives(), ", "))
	}
	if o.Within < 0 || o.Within > 1 {
		return fmt.Errorf("pass_rate_within %g is out of range; use 0 to 1, e.g. 0.02 for 2 points", o.Within)
	}
	if o.Within == 0 && o.Name != PassRate && o.Name != MeanScore {
		o.Within = 0.02
	}
	return nil
}

// Best is the best cell on one objective.
type Best struct {
	Objective string          `json:"objective"`
	Better    string          `json:"better" jsonschema:"higher or lower"`
	Label     string          `json:"label"`
	RunID     string          `json:"run_id"`
	Value     float64         `json:"value"`
	CI        record.Interval `json:"ci" jsonschema:"95%: Wilson (clustered) for pass_rate, bootstrap over tasks otherwise"`
	// Tied are the other cells whose interval overlaps the best's: this
	// data does not tell them apart from it.
	Tied []string `json:"tied,omitempty"`
}

// Choice is the best cell on the objective under the pass-rate constraint.
type Choice struct {
	Objective string          `json:"objective"`
	Within    float64         `json:"pass_rate_within"`
	Label     string          `json:"label"`
	RunID     string          `json:"run_id"`
	Value     float64         `json:"value"`
	CI        record.Interval `json:"ci"`
	PassRate  float64         `json:"pass_rate"`
	Eligible  []string        `json:"eligible" jsonschema:"the cells within pass_rate_within of the best pass rate"`
	// VsBest is the choice against the cell with the best pass rate,
	// paired by task: what the constraint gave up, with its p-value.
	VsBest  *compare.Diff `json:"vs_best,omitempty"`
	VsBestP float64       `json:"vs_best_p,omitempty"`
	Reason  string        `json:"reason"`
}

// Effect is the marginal effect of changing one axis from one value to
// another with everything else held: the cells that differ only there,
// paired.
type Effect struct {
	Axis  string `json:"axis"`
	From  string `json:"from"`
	To    string `json:"to"`
	Pairs int    `json:"pairs" jsonschema:"pairs of cells that differ only on this axis"`
	Tasks int    `json:"tasks"`
	// PassRate is to minus from, per task averaged over the pairs, with
	// its t interval over tasks and a sign-flip permutation p-value.
	PassRate  float64         `json:"pass_rate_diff"`
	CI        record.Interval `json:"pass_rate_ci"`
	P         float64         `json:"p_value"`
	PAdjusted float64         `json:"p_adjusted" jsonschema:"Holm-adjusted over all the sweep's effects"`
	// Relative changes (to/from - 1), the geometric mean over the pairs.
	GenTPS  *float64 `json:"gen_tps_change,omitempty"`
	TTFT    *float64 `json:"ttft_change,omitempty"`
	Latency *float64 `json:"latency_change,omitempty"`
	Text    string   `json:"text"`
}

// Result is a sweep's analysis.
type Result struct {
	Cells   []CellResult     `json:"cells"`
	Best    []Best           `json:"best"`
	Choice  *Choice          `json:"choice,omitempty"`
	Pareto  compare.Frontier `json:"pareto"`
	Effects []Effect         `json:"effects"`
	Notes   []string         `json:"notes,omitempty"`
}

// Summarize makes a cell's compact summary from its run's summary and samples.
func Summarize(sum *record.Summary, samples []record.Sample) CellSummary {
	var c CellSummary
	if sum != nil {
		c = CellSummary{
			Headline: sum.Headline, Tasks: sum.TaskCount, MeanScoreCI: sum.MeanScoreCI,
			TTFCP50Ms: sum.TTFCP50Ms, FirstThinkP50Ms: sum.FirstThinkingP50Ms, FirstAnswerP50: sum.FirstContentP50Ms,
			StreamTPS: sum.StreamTPS, PromptTPS: sum.PromptTPS,
			Reloads: sum.Reloads, Errors: sum.Errors, Runaway: sum.Runaway, Memory: sum.Memory,
		}
	}
	c.PointsPerSecond = pointsPerSecond(samples)
	tp := bench.RunThroughput(samples)
	c.ThroughputTPS, c.InFlight = tp.TokensPerS, tp.InFlight
	var tokens []float64
	for _, s := range samples {
		if s.Error == "" {
			tokens = append(tokens, float64(s.PromptTokens))
		}
	}
	c.PromptTokens = stats.Mean(tokens)
	return c
}

// Analyze finds the best cells, the choice, the frontier and the effects.
// samples[i] are cells[i]'s samples. Stopped cells and cells without
// samples are out of the running for best and choice, not of the effects.
func Analyze(cells []CellResult, samples [][]record.Sample, obj Objective) Result {
	res := Result{Cells: cells, Best: []Best{}, Effects: []Effect{}}
	tasks := make([][][]record.Sample, len(cells))
	for i := range cells {
		tasks[i] = byTask(samples[i])
	}
	var live []int
	for i, c := range cells {
		if c.Stopped == "" && c.Summary.Samples > 0 {
			live = append(live, i)
		}
	}
	for _, m := range metrics {
		if b, ok := best(m, cells, tasks, live); ok {
			res.Best = append(res.Best, b)
		}
	}
	res.Choice = choose(obj, cells, samples, tasks, live)
	res.Pareto = frontier(obj, cells, live)
	res.Effects = effects(cells, samples)
	hosts := map[string]bool{}
	for _, c := range cells {
		hosts[c.Host] = true
	}
	if len(hosts) > 1 {
		res.Notes = append(res.Notes, "cells ran on several hosts: compare speeds only between cells of one host, or make hosts an axis (axes.hosts) so every setting runs on every host")
	}
	for _, c := range cells {
		if m := bench.Machine(c.Summary.Faults, nil); m != "" {
			res.Notes = append(res.Notes, c.Label+": "+m)
		}
		if c.Summary.Reloads > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: %d calls paid a model reload (the model was evicted: another process or OLLAMA_MAX_LOADED_MODELS); their latency includes the load", c.Label, c.Summary.Reloads))
		}
	}
	return res
}

// valid reports whether a cell has a value on a metric: speed metrics are 0
// when nothing measured them (every call failed, no TTFT).
func valid(m metric, c CellSummary) bool {
	v := m.value(c)
	if m.name == PassRate || m.name == MeanScore {
		return true
	}
	return v > 0 && !math.IsNaN(v)
}

func best(m metric, cells []CellResult, tasks [][][]record.Sample, live []int) (Best, bool) {
	top := -1
	for _, i := range live {
		if !valid(m, cells[i].Summary) {
			continue
		}
		if top < 0 || better(m, m.value(cells[i].Summary), m.value(cells[top].Summary)) {
			top = i
		}
	}
	if top < 0 {
		return Best{}, false
	}
	c := cells[top]
	b := Best{Objective: m.name, Better: direction(m), Label: c.Label, RunID: c.RunID, Value: m.value(c.Summary), CI: m.ci(c.Summary, tasks[top])}
	for _, i := range live {
		if i == top || !valid(m, cells[i].Summary) {
			continue
		}
		ci := m.ci(cells[i].Summary, tasks[i])
		if ci.Hi >= b.CI.Lo && ci.Lo <= b.CI.Hi {
			b.Tied = append(b.Tied, cells[i].Label)
		}
	}
	return b, true
}

func better(m metric, a, b float64) bool {
	if m.higher {
		return a > b
	}
	return a < b
}

func direction(m metric) string {
	if m.higher {
		return "higher"
	}
	return "lower"
}

func choose(obj Objective, cells []CellResult, samples [][]record.Sample, tasks [][][]record.Sample, live []int) *Choice {
	m, ok := metricOf(obj.Name)
	if !ok || len(live) == 0 {
		return nil
	}
	q := live[0]
	for _, i := range live {
		if cells[i].Summary.PassRate > cells[q].Summary.PassRate {
			q = i
		}
	}
	top := -1
	var eligible []string
	for _, i := range live {
		c := cells[i].Summary
		if c.PassRate < cells[q].Summary.PassRate-obj.Within-1e-12 || !valid(m, c) {
			continue
		}
		eligible = append(eligible, cells[i].Label)
		if top < 0 || better(m, m.value(c), m.value(cells[top].Summary)) {
			top = i
		}
	}
	if top < 0 {
		return nil
	}
	c := cells[top]
	ch := &Choice{Objective: m.name, Within: obj.Within, Label: c.Label, RunID: c.RunID, Value: m.value(c.Summary),
		CI: m.ci(c.Summary, tasks[top]), PassRate: c.Summary.PassRate, Eligible: eligible}
	ch.Reason = fmt.Sprintf("%s is the %s %s (%s) among the %d cells whose pass rate is within %.0f points of the best (%s, %.0f%%)",
		c.Label, map[bool]string{true: "highest", false: "lowest"}[m.higher], m.name, format(m.name, ch.Value), len(eligible), obj.Within*100, cells[q].Label, cells[q].Summary.PassRate*100)
	if top != q {
		v := compare.Pair(compare.Variant{Label: cells[q].Label, Samples: samples[q]}, compare.Variant{Label: c.Label, Samples: samples[top]})
		ch.VsBest, ch.VsBestP = &v.PassRate, v.PValue
		ch.Reason += fmt.Sprintf("; against it, pass rate %+.1f points (95%% CI %+.1f to %+.1f, p = %.2g)", v.PassRate.Diff*100, v.PassRate.CI.Lo*100, v.PassRate.CI.Hi*100, v.PValue)
	}
	return ch
}

// frontier is the pass rate / cost frontier: the cost is the objective when
// it is a time, milliseconds per generated token for a token rate, and the
// p50 latency otherwise.
func frontier(obj Objective, cells []CellResult, live []int) compare.Frontier {
	cost, costOf := LatencyP50, func(c CellSummary) float64 { return c.LatencyP50Ms }
	switch obj.Name {
	case TTFTP50:
		cost, costOf = TTFTP50, func(c CellSummary) float64 { return c.TTFTP50Ms }
	case GenTPS, PointsPerSec:
		cost, costOf = "ms_per_gen_token", func(c CellSummary) float64 { return inverse(c.GenTPS) }
	case PromptTPS:
		cost, costOf = "ms_per_prompt_token", func(c CellSummary) float64 { return inverse(c.PromptTPS) }
	}
	pts := []stats.Point{}
	for _, i := range live {
		if c := costOf(cells[i].Summary); c > 0 && !math.IsInf(c, 0) { // a cell nothing timed has no place on it
			pts = append(pts, stats.Point{Label: cells[i].Label, Quality: cells[i].Summary.PassRate, Cost: c})
		}
	}
	f := stats.Pareto(pts)
	return compare.Frontier{Quality: PassRate, Cost: cost, Points: pts, Optimal: f.Optimal, DominatedBy: f.DominatedBy}
}

func inverse(tps float64) float64 {
	if tps <= 0 {
		return math.Inf(1)
	}
	return 1000 / tps
}

// effects pairs, for every axis and every value but the axis's first, the
// cells that differ only on that axis.
func effects(cells []CellResult, samples [][]record.Sample) []Effect {
	axes := map[string][]string{} // axis -> values, in order of first appearance
	var names []string
	for _, c := range cells {
		for k, v := range c.Values() {
			if _, ok := axes[k]; !ok {
				names = append(names, k)
			}
			if !slices.Contains(axes[k], v) {
				axes[k] = append(axes[k], v)
			}
		}
	}
	slices.Sort(names)
	out := []Effect{}
	for _, axis := range names {
		vals := axes[axis]
		if len(vals) < 2 {
			continue
		}
		rest := func(c CellResult) string { // the cell's values on every other axis
			v := c.Values()
			var parts []string
			for _, k := range names {
				if k != axis {
					parts = append(parts, k+"="+v[k])
				}
			}
			return strings.Join(parts, "\x00")
		}
		for _, to := range vals[1:] {
			from := vals[0]
			e := Effect{Axis: axis, From: from, To: to}
			perTask := map[string][]float64{}
			var gen, ttft, lat []float64
			for i, a := range cells {
				if a.Values()[axis] != from {
					continue
				}
				for j, b := range cells {
					if b.Values()[axis] != to || rest(a) != rest(b) {
						continue
					}
					e.Pairs++
					for t, d := range taskDiffs(samples[i], samples[j]) {
						perTask[t] = append(perTask[t], d)
					}
					gen = appendRatio(gen, b.Summary.GenTPS, a.Summary.GenTPS)
					ttft = appendRatio(ttft, b.Summary.TTFTP50Ms, a.Summary.TTFTP50Ms)
					lat = appendRatio(lat, b.Summary.LatencyP50Ms, a.Summary.LatencyP50Ms)
				}
			}
			if e.Pairs == 0 {
				continue
			}
			var d []float64
			for _, t := range slices.Sorted(maps.Keys(perTask)) {
				d = append(d, stats.Mean(perTask[t]))
			}
			pd := stats.PairedTaskDiff(d, 0.95, compare.Permutations, compare.Seed)
			e.Tasks, e.PassRate, e.P = pd.Tasks, pd.Diff, pd.PValue
			e.CI = record.Interval{Lo: max(pd.CI.Lo, -1), Hi: min(pd.CI.Hi, 1)}
			e.GenTPS, e.TTFT, e.Latency = geoChange(gen), geoChange(ttft), geoChange(lat)
			out = append(out, e)
		}
	}
	var ps []float64
	for _, e := range out {
		ps = append(ps, e.P)
	}
	adj := stats.Holm(ps)
	for i := range out {
		out[i].PAdjusted = adj[i]
		out[i].Text = effectText(out[i])
	}
	return out
}

func effectText(e Effect) string {
	var parts []string
	if e.GenTPS != nil {
		parts = append(parts, fmt.Sprintf("%+.0f%% gen tok/s", *e.GenTPS*100))
	}
	if e.TTFT != nil {
		parts = append(parts, fmt.Sprintf("%+.0f%% TTFT", *e.TTFT*100))
	}
	if e.Latency != nil {
		parts = append(parts, fmt.Sprintf("%+.0f%% latency", *e.Latency*100))
	}
	pass := fmt.Sprintf("pass rate %+.1f points", e.PassRate*100)
	if e.PassRate == 0 && e.CI.Lo == 0 && e.CI.Hi == 0 {
		pass = "pass rate unchanged"
	}
	parts = append(parts, fmt.Sprintf("%s (95%% CI %+.1f to %+.1f, p = %.2g, %d tasks, %d pairs)", pass, e.CI.Lo*100, e.CI.Hi*100, e.P, e.Tasks, e.Pairs))
	return fmt.Sprintf("%s %s -> %s: %s", e.Axis, e.From, e.To, strings.Join(parts, ", "))
}

// taskDiffs is, per task, b's pass rate minus a's over the (task,
// iteration) jobs both did.
func taskDiffs(a, b []record.Sample) map[string]float64 {
	am := map[jobKey]bool{}
	for _, s := range a {
		am[jobKey{s.TaskID, s.Iteration}] = s.Pass
	}
	type acc struct{ sum, n float64 }
	per := map[string]*acc{}
	for _, s := range b {
		pa, ok := am[jobKey{s.TaskID, s.Iteration}]
		if !ok {
			continue
		}
		t := per[s.TaskID]
		if t == nil {
			t = &acc{}
			per[s.TaskID] = t
		}
		t.sum += b2f(s.Pass) - b2f(pa)
		t.n++
	}
	out := map[string]float64{}
	for k, t := range per {
		out[k] = t.sum / t.n
	}
	return out
}

func appendRatio(xs []float64, to, from float64) []float64 {
	if to > 0 && from > 0 {
		return append(xs, to/from)
	}
	return xs
}

// geoChange is the geometric mean of ratios, minus 1; nil for none.
func geoChange(ratios []float64) *float64 {
	if len(ratios) == 0 {
		return nil
	}
	s := 0.0
	for _, r := range ratios {
		s += math.Log(r)
	}
	v := math.Exp(s/float64(len(ratios))) - 1
	return &v
}

func format(name string, v float64) string {
	switch name {
	case PassRate, MeanScore:
		return fmt.Sprintf("%.1f%%", v*100)
	case TTFTP50, LatencyP50:
		return fmt.Sprintf("%.1f ms", v)
	case PointsPerSec:
		return fmt.Sprintf("%.2f points/s", v)
	}
	return fmt.Sprintf("%.0f tok/s", v)
}

// Bootstrap settings: fixed, so that the same samples give the same interval.
const (
	bootstrapResamples = 1000
	bootstrapSeed      = 20261202
)

// medianCI is a bootstrap over tasks of a metric's median.
func medianCI(value bench.SampleValue) func(CellSummary, [][]record.Sample) record.Interval {
	return func(_ CellSummary, tasks [][]record.Sample) record.Interval {
		return bootstrap(tasks, func(ss []record.Sample) float64 {
			var xs []float64
			for _, s := range ss {
				if v, ok := value(s); ok {
					xs = append(xs, v)
				}
			}
			if len(xs) == 0 {
				return math.NaN()
			}
			return stats.Median(xs)
		})
	}
}

// tokensPerCallSecond is the output tokens over the calls' summed time:
// a cell's throughput at one call in flight.
func tokensPerCallSecond(samples []record.Sample) float64 {
	tokens, wall := 0.0, 0.0
	for _, s := range samples {
		if s.Error == "" {
			tokens += float64(s.EvalTokens)
			wall += s.WallMs / 1000
		}
	}
	if wall <= 0 {
		return math.NaN()
	}
	return tokens / wall
}

func pointsPerSecond(samples []record.Sample) float64 {
	score, wall := 0.0, 0.0
	for _, s := range samples {
		score += s.Score
		wall += s.WallMs / 1000
	}
	if wall <= 0 {
		return 0
	}
	return score / wall
}

// bootstrap is the 95% percentile interval of a statistic of the samples
// over resamples of whole tasks: tasks, not calls, are independent.
func bootstrap(tasks [][]record.Sample, stat func([]record.Sample) float64) record.Interval {
	if len(tasks) == 0 {
		return record.Interval{}
	}
	rng := rand.New(rand.NewPCG(bootstrapSeed, uint64(len(tasks))))
	var vals []float64
	var pool []record.Sample
	for range bootstrapResamples {
		pool = pool[:0]
		for range tasks {
			pool = append(pool, tasks[rng.IntN(len(tasks))]...)
		}
		if v := stat(pool); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return record.Interval{}
	}
	sort.Float64s(vals)
	return record.Interval{Lo: stats.Percentile(vals, 2.5), Hi: stats.Percentile(vals, 97.5)}
}

// byTask groups samples by task, tasks in name order.
func byTask(samples []record.Sample) [][]record.Sample {
	m := map[string][]record.Sample{}
	for _, s := range samples {
		m[s.TaskID] = append(m[s.TaskID], s)
	}
	var out [][]record.Sample
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
