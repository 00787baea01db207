// Package compare compares benchmark runs of the same suite side by side:
// it pairs their samples by (task, iteration), tests each variant against a
// baseline on the paired verdicts and scores, gives verdicts, picks a winner
// per task, and finds the quality/latency Pareto frontier. It works on runs
// and samples only, so a live comparison and a later one of the stored runs
// give the same numbers.
package compare

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/internal/suite"
)

// Alpha is the family-wise significance level, after Holm's adjustment.
const Alpha = 0.05

// Resamples and Seed fix the paired bootstrap, so the same samples always
// give the same intervals.
const (
	Resamples = bench.BootstrapResamples
	Seed      = bench.BootstrapSeed
)

// CollapseShare is the share of broken samples (runaway, empty or error) at
// which a variant is said to collapse.
const CollapseShare = 0.5

// Verdicts of a variant against the baseline.
const (
	Better       = "better"
	Worse        = "worse"
	NoDifference = "no clear difference"
	Collapse     = "collapse"
)

// Tie is the winner of a task that two or more variants do equally well.
const Tie = "tie"

// Variant is one side of a comparison: a run and its samples.
type Variant struct {
	Label    string // unique within the comparison
	Preamble string // preamble name (or a short form of its text); "" for none
	Run      record.Run
	Samples  []record.Sample
}

// VariantSummary is one variant's run, summarised from its samples.
type VariantSummary struct {
	Label    string         `json:"label"`
	RunID    string         `json:"run_id"`
	Status   record.Status  `json:"status"`
	Model    string         `json:"model"`
	Preamble string         `json:"preamble,omitempty" jsonschema:"preamble name, or the start of its text"`
	Options  map[string]any `json:"options,omitempty"`
	record.Headline
	Passed          int                       `json:"passed"`
	PassRateSE      float64                   `json:"pass_rate_se" jsonschema:"task-clustered standard error of the pass rate"`
	EffectiveN      float64                   `json:"effective_n" jsonschema:"independent observations the samples are worth: from the number of tasks (replays) to the number of samples"`
	Tasks           int                       `json:"tasks"`
	Iterations      int                       `json:"iterations"`
	Seeds           *record.SeedInfo          `json:"seeds,omitempty" jsonschema:"how the iterations were seeded"`
	Replays         bool                      `json:"replays,omitempty" jsonschema:"the iterations repeated one pinned seed (options.seed): each task is one sample, replayed"`
	VariedTasks     int                       `json:"varied_tasks" jsonschema:"tasks whose iterations gave more than one distinct answer"`
	PassK           []record.KPoint           `json:"pass_k,omitempty" jsonschema:"mean pass@k and pass^k over tasks, when iterations > 1"`
	MeanScoreCI     record.Interval           `json:"mean_score_ci" jsonschema:"95% bootstrap interval over tasks"`
	LatencyP95Ms    float64                   `json:"latency_p95_ms"`
	PromptTPS       float64                   `json:"prompt_tps" jsonschema:"median prompt tokens/s (prompt processing speed; grows with model size)"`
	Reloads         int                       `json:"reloads" jsonschema:"calls that paid a model load because the model had been evicted; their latency includes it"`
	PointsPerSecond float64                   `json:"points_per_second" jsonschema:"total score per second of this variant's own call time (the other variants' calls, interleaved with it, are not counted)"`
	Runaway         int                       `json:"runaway"`
	Empty           int                       `json:"empty"`
	Errors          int                       `json:"errors"`
	Broken          int                       `json:"broken" jsonschema:"samples that ran away, came back empty or failed (each counted once)"`
	Funnel          *record.Funnel            `json:"funnel,omitempty" jsonschema:"agentic tasks: needed a tool -> called one -> right tool -> valid arguments -> used the result -> right answer, and the failure modes"`
	Criteria        []record.CriterionSummary `json:"criteria,omitempty" jsonschema:"judge rubric: mean score and points per criterion"`
	Cost            *record.Cost              `json:"cost,omitempty" jsonschema:"the variant's calls at the price given for its model on its host (--hosts price=)"`
}

// Diff is a paired difference b - a over the tasks both variants did: per
// task the difference of the two variants' means over the iterations both
// did, averaged over tasks.
type Diff struct {
	A    float64         `json:"a" jsonschema:"baseline's mean over the paired tasks"`
	B    float64         `json:"b" jsonschema:"variant's mean over the paired tasks"`
	Diff float64         `json:"diff" jsonschema:"b - a, the mean of the per-task differences"`
	SE   float64         `json:"se" jsonschema:"task-clustered standard error of diff (replays of a task add nothing)"`
	CI   record.Interval `json:"ci" jsonschema:"95% interval of diff: diff -/+ t(tasks-1) x se"`
}

// Tests a comparison's p-value comes from.
const (
	TestMcNemar     = "mcnemar_exact"
	TestPermutation = "sign_flip_permutation"
)

// Permutations is the Monte Carlo budget of the sign-flip test; designs
// small enough to enumerate are tested exactly.
const Permutations = stats.DefaultPermutations

// Comparison is one variant (B) measured against the baseline (A).
type Comparison struct {
	A          string             `json:"a" jsonschema:"baseline label"`
	B          string             `json:"b" jsonschema:"variant label"`
	Tasks      int                `json:"tasks" jsonschema:"tasks both did: the unit of independence of the test"`
	Pairs      int                `json:"pairs" jsonschema:"(task, iteration) items both did"`
	Iterations int                `json:"iterations" jsonschema:"most paired iterations of a task"`
	SameSeeds  bool               `json:"same_seeds" jsonschema:"every paired item ran with the same seed on both sides (paired sampling)"`
	PassRate   Diff               `json:"pass_rate"`
	MeanScore  Diff               `json:"mean_score"`
	Table      stats.McNemarTable `json:"table" jsonschema:"pass/fail counts over the (task, iteration) items; descriptive: the test counts tasks, not replays"`
	// DiscordantTasks are the tasks whose per-task pass rates differ.
	DiscordantTasks int          `json:"discordant_tasks" jsonschema:"tasks on which the two variants' pass rates differ"`
	Test            string       `json:"test" jsonschema:"mcnemar_exact (one iteration: exact McNemar on tasks) or sign_flip_permutation (paired permutation test over the per-task differences)"`
	PValue          float64      `json:"p_value" jsonschema:"two-sided p of the test on the per-task pass-rate differences"`
	PAdjusted       float64      `json:"p_adjusted" jsonschema:"p_value after Holm's adjustment across the comparisons"`
	Significant     bool         `json:"significant" jsonschema:"p_adjusted < 0.05"`
	Power           record.Power `json:"power" jsonschema:"what this comparison can detect (observed variance), and the tasks or iterations a 10-point difference needs"`
	SpeedRatio      float64      `json:"speed_ratio" jsonschema:"b latency p50 / a latency p50: above 1 means b is slower"`
	Verdict         string       `json:"verdict" jsonschema:"better, worse, no clear difference, or collapse (b breaks: runaways, empty output, errors)"`
	Reason          string       `json:"reason"`
	// Criteria are the rubric criteria both sides were judged on: where a
	// change of the mean score comes from.
	Criteria []CriterionDelta `json:"criteria,omitempty" jsonschema:"judge rubric per criterion: a's and b's points and the change"`
	// Pairwise is the pairwise judge's verdicts, when one was asked.
	Pairwise *PairwiseSummary `json:"pairwise,omitempty" jsonschema:"pairwise judge: which answer is better, asked in both orders"`
}

// CriterionDelta is one rubric criterion, baseline against variant.
type CriterionDelta struct {
	Name    string  `json:"name"`
	Weight  float64 `json:"weight"`
	PointsA float64 `json:"points_a"`
	PointsB float64 `json:"points_b"`
	Diff    float64 `json:"diff" jsonschema:"points_b - points_a"`
}

// criterionDeltas pairs the criteria both summaries have, in a's order.
func criterionDeltas(a, b []record.CriterionSummary) []CriterionDelta {
	var out []CriterionDelta
	for _, ca := range a {
		for _, cb := range b {
			if cb.Name == ca.Name {
				out = append(out, CriterionDelta{Name: ca.Name, Weight: ca.Weight, PointsA: ca.Points, PointsB: cb.Points, Diff: cb.Points - ca.Points})
			}
		}
	}
	return out
}

// TaskCell is one variant's result on one task.
type TaskCell struct {
	Label        string  `json:"label"`
	Samples      int     `json:"samples"`
	PassRate     float64 `json:"pass_rate"`
	MeanScore    float64 `json:"mean_score"`
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	Excerpt      string  `json:"excerpt" jsonschema:"the start of the first iteration's answer"`
}

// TaskRow is one task across the variants.
type TaskRow struct {
	Task     string     `json:"task"`
	Category string     `json:"category,omitempty"`
	Variants []TaskCell `json:"variants"`
	Winner   string     `json:"winner" jsonschema:"label with the best pass rate, then mean score; tie when two or more share the best"`
}

// Frontier is the quality/latency Pareto frontier of the variants.
type Frontier struct {
	Quality     string              `json:"quality" jsonschema:"the quality axis: pass_rate"`
	Cost        string              `json:"cost" jsonschema:"the cost axis: latency_p50_ms"`
	Points      []stats.Point       `json:"points"`
	Optimal     []string            `json:"optimal" jsonschema:"labels no other variant beats on both axes"`
	DominatedBy map[string][]string `json:"dominated_by" jsonschema:"for each other label, the labels that beat it"`
}

// PreambleDelta is one model with and without a preamble, when the variants
// differ only by preamble.
type PreambleDelta struct {
	Model        string  `json:"model"`
	Preamble     string  `json:"preamble"`
	Without      string  `json:"without" jsonschema:"label of the variant without a preamble"`
	With         string  `json:"with" jsonschema:"label of the variant with it"`
	PassRateFrom float64 `json:"pass_rate_from"`
	PassRateTo   float64 `json:"pass_rate_to"`
	Delta        float64 `json:"delta" jsonschema:"pass_rate_to - pass_rate_from"`
	ScoreFrom    float64 `json:"score_from"`
	ScoreTo      float64 `json:"score_to"`
}

// Result is a comparison of two or more variants.
type Result struct {
	Baseline    string           `json:"baseline"`
	Variants    []VariantSummary `json:"variants"`
	Comparisons []Comparison     `json:"comparisons"`
	Tasks       []TaskRow        `json:"tasks"`
	Pareto      Frontier         `json:"pareto"`
	PreambleAB  []PreambleDelta  `json:"preamble_ab" jsonschema:"per model, the variant without a preamble against each with one; empty unless the variants differ only by preamble"`
}

// Compare compares variants against the one labelled baseline ("" = the
// first). Variants must have unique labels; errors are the caller's to fix.
func Compare(variants []Variant, baseline string) (Result, error) {
	if len(variants) < 2 {
		return Result{}, errors.New("compare needs at least two variants")
	}
	if baseline == "" {
		baseline = variants[0].Label
	}
	base := -1
	seen := map[string]bool{}
	for i, v := range variants {
		if seen[v.Label] {
			return Result{}, fmt.Errorf("label %q is used twice; labels must be unique", v.Label)
		}
		seen[v.Label] = true
		if v.Label == baseline {
			base = i
		}
	}
	if base < 0 {
		return Result{}, fmt.Errorf("baseline %q is not one of the variants' labels", baseline)
	}
	res := Result{Baseline: baseline}
	for _, v := range variants {
		res.Variants = append(res.Variants, summarize(v))
	}
	var ps []float64
	for i, v := range variants {
		if i == base {
			continue
		}
		c := Pair(variants[base], v)
		c.SpeedRatio = stats.Ratio(res.Variants[base].LatencyP50Ms, res.Variants[i].LatencyP50Ms)
		res.Comparisons = append(res.Comparisons, c)
		ps = append(ps, c.PValue)
	}
	for i, adj := range stats.Holm(ps) {
		res.Comparisons[i].PAdjusted = adj
	}
	for i := range res.Comparisons {
		c := &res.Comparisons[i]
		c.Significant = c.PAdjusted < Alpha
		c.Verdict, c.Reason = verdict(*c, res.Variants[base], summaryOf(res.Variants, c.B))
		c.Criteria = criterionDeltas(res.Variants[base].Criteria, summaryOf(res.Variants, c.B).Criteria)
	}
	res.Tasks = taskRows(variants)
	res.Pareto = frontier(res.Variants)
	res.PreambleAB = preambleView(variants, res.Variants)
	if res.Comparisons == nil {
		res.Comparisons = []Comparison{}
	}
	return res, nil
}

func summaryOf(vs []VariantSummary, label string) VariantSummary {
	for _, v := range vs {
		if v.Label == label {
			return v
		}
	}
	return VariantSummary{}
}

// summarize rolls a variant's samples up as a run summary does, with points
// per second over the variant's own call time: an interleaved run's wall
// clock also counts the other variants' calls.
func summarize(v Variant) VariantSummary {
	var callMs float64
	broken := 0
	for _, smp := range v.Samples {
		callMs += smp.WallMs
		if smp.Flags.Runaway || smp.Flags.Empty || smp.Error != "" {
			broken++
		}
	}
	s := bench.Summarize(suite.Suite{}, v.Samples, time.Duration(callMs*float64(time.Millisecond)))
	bench.SetSeeds(&s, v.Run.Seeds)
	bench.SetCost(&s, v.Run.Price, v.Samples)
	return VariantSummary{
		Cost:  s.Cost,
		Label: v.Label, RunID: v.Run.ID, Status: v.Run.Status, Model: v.Run.Model,
		Preamble: v.Preamble, Options: v.Run.Options,
		Headline: s.Headline, Passed: s.Passed,
		PassRateSE: s.PassRateSE, EffectiveN: s.EffectiveN, Tasks: s.TaskCount, Iterations: s.Iterations,
		Seeds: s.Seeds, Replays: s.Replays, VariedTasks: s.VariedTasks, PassK: s.PassK,
		MeanScoreCI: s.MeanScoreCI, LatencyP95Ms: s.LatencyP95Ms, PromptTPS: s.PromptTPS, Reloads: s.Reloads, PointsPerSecond: s.PointsPerSecond,
		Runaway: s.Runaway, Empty: s.Empty, Errors: s.Errors, Broken: broken, Funnel: s.Funnel, Criteria: s.Criteria,
	}
}

// key is one (task, iteration) item.
type key struct {
	task string
	it   int
}

// pairedKeys are the (task, iteration) items both sides did, in task
// order, then iteration order.
func pairedKeys(am, bm map[key]record.Sample) []key {
	var keys []key
	for k := range am {
		if _, ok := bm[k]; ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y key) int {
		if c := strings.Compare(x.task, y.task); c != 0 {
			return c
		}
		return x.it - y.it
	})
	return keys
}

func byKey(samples []record.Sample) map[key]record.Sample {
	m := make(map[key]record.Sample, len(samples))
	for _, smp := range samples {
		m[key{smp.TaskID, smp.Iteration}] = smp
	}
	return m
}

// Pair tests b against a on the tasks both did. Each task contributes the
// difference of its two per-task means over the iterations both did; the
// test and the interval treat tasks as the independent units, so replayed
// iterations are not counted as evidence. Tasks go in name order so that
// the result does not depend on the order samples were recorded in.
func Pair(a, b Variant) Comparison {
	am, bm := byKey(a.Samples), byKey(b.Samples)
	keys := pairedKeys(am, bm)
	c := Comparison{A: a.Label, B: b.Label, Pairs: len(keys), SameSeeds: len(keys) > 0}
	var ap, bp []bool
	var aPass, bPass, aScore, bScore [][]float64
	for i, k := range keys {
		x, y := am[k], bm[k]
		ap, bp = append(ap, x.Pass), append(bp, y.Pass)
		if x.Seed == nil || y.Seed == nil || *x.Seed != *y.Seed {
			c.SameSeeds = false
		}
		if i == 0 || keys[i-1].task != k.task {
			aPass, bPass = append(aPass, nil), append(bPass, nil)
			aScore, bScore = append(aScore, nil), append(bScore, nil)
		}
		t := len(aPass) - 1
		aPass[t], bPass[t] = append(aPass[t], b2f(x.Pass)), append(bPass[t], b2f(y.Pass))
		aScore[t], bScore[t] = append(aScore[t], x.Score), append(bScore[t], y.Score)
	}
	c.Tasks = len(aPass)
	for _, cl := range aPass {
		c.Iterations = max(c.Iterations, len(cl))
	}
	c.Table = stats.PairTable(ap, bp)
	dPass := taskDiffs(aPass, bPass)
	for _, d := range dPass {
		if d != 0 {
			c.DiscordantTasks++
		}
	}
	// One permutation test, on the verdicts: the score difference is only
	// reported with its interval.
	pass := stats.PairedTaskDiff(dPass, 0.95, Permutations, Seed)
	c.PassRate = diff(aPass, bPass, pass)
	c.MeanScore = diff(aScore, bScore, stats.PairedTaskInterval(taskDiffs(aScore, bScore), 0.95))
	c.PValue = pass.PValue
	c.Test = TestPermutation
	if c.Iterations <= 1 {
		c.Test = TestMcNemar // the permutation test on 0/±1 differences is exactly McNemar's
	}
	c.Power = comparisonPower(aPass, bPass, dPass, c.Iterations)
	return c
}

// taskDiffs is, per task, mean(b) - mean(a).
func taskDiffs(a, b [][]float64) []float64 {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = stats.Mean(b[i]) - stats.Mean(a[i])
	}
	return d
}

func diff(a, b [][]float64, r stats.PairedDiff) Diff {
	// Rates and scores lie in [0, 1], so their difference lies in [-1, 1]:
	// the t interval of a handful of tasks can reach beyond it.
	ci := record.Interval{Lo: max(r.CI.Lo, -1), Hi: min(r.CI.Hi, 1)}
	return Diff{A: taskMean(a), B: taskMean(b), Diff: r.Diff, SE: r.SE, CI: ci}
}

// taskMean is the mean over tasks of the per-task means.
func taskMean(cl [][]float64) float64 {
	var m []float64
	for _, c := range cl {
		m = append(m, stats.Mean(c))
	}
	return stats.Mean(m)
}

// comparisonPower is what the observed paired data can detect: the
// per-task differences' variance split into the within-task parts of each
// side (what iterations average away) and the rest (what only tasks shrink).
func comparisonPower(a, b [][]float64, d []float64, iterations int) record.Power {
	wa, _, identified := stats.VarianceComponents(a)
	wb, _, _ := stats.VarianceComponents(b)
	total := stats.StdDev(d) * stats.StdDev(d)
	k := float64(max(iterations, 1))
	between := max(0, total-(wa+wb)/k)
	if !identified {
		wa, wb, between = 0, 0, total
	}
	return bench.PairedPower(between, wa, wb, identified, len(d), iterations, bench.DefaultEffect)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// verdict says what a comparison shows. collapse comes first: a variant
// that breaks on half its samples, or passes nothing where the baseline
// passes half, is broken whatever the test says. Otherwise a significant
// McNemar test decides by the sign of the pass-rate difference; with no
// discordant pairs at all the paired score interval decides when it
// excludes 0; anything else is no clear difference.
func verdict(c Comparison, a, b VariantSummary) (string, string) {
	if b.Samples > 0 {
		broken := brokenShare(b)
		if broken >= CollapseShare {
			return Collapse, fmt.Sprintf("%s broke on %.0f%% of its samples (runaway %d, empty %d, errors %d)", b.Label, 100*broken, b.Runaway, b.Empty, b.Errors)
		}
		if b.PassRate == 0 && a.PassRate >= 0.5 {
			return Collapse, fmt.Sprintf("%s passed nothing where %s passed %.0f%%", b.Label, a.Label, 100*a.PassRate)
		}
	}
	if c.Pairs == 0 {
		return NoDifference, "no (task, iteration) items in common"
	}
	test := "McNemar"
	if c.Test == TestPermutation {
		test = "sign-flip permutation test over tasks"
	}
	if c.Significant {
		dir := Better
		if c.PassRate.Diff < 0 {
			dir = Worse
		}
		return dir, fmt.Sprintf("pass rate %+.0f points (95%% CI %+.0f to %+.0f) on %d tasks, %s p=%.3g (Holm-adjusted %.3g < %.2g)",
			100*c.PassRate.Diff, 100*c.PassRate.CI.Lo, 100*c.PassRate.CI.Hi, c.Tasks, test, c.PValue, c.PAdjusted, Alpha)
	}
	if c.DiscordantTasks == 0 && (c.MeanScore.CI.Lo > 0 || c.MeanScore.CI.Hi < 0) {
		dir := Better
		if c.MeanScore.Diff < 0 {
			dir = Worse
		}
		return dir, fmt.Sprintf("same pass rate on every task, but mean score %+.3f with 95%% CI %.3f to %.3f excluding 0", c.MeanScore.Diff, c.MeanScore.CI.Lo, c.MeanScore.CI.Hi)
	}
	return NoDifference, fmt.Sprintf("%d of %d tasks differ in pass rate (diff %+.0f points, 95%% CI %+.0f to %+.0f), %s Holm-adjusted p=%.3g >= %.2g; this design detects %.0f points or more",
		c.DiscordantTasks, c.Tasks, 100*c.PassRate.Diff, 100*c.PassRate.CI.Lo, 100*c.PassRate.CI.Hi, test, c.PAdjusted, Alpha, 100*c.Power.MDE)
}

// brokenShare is the share of a variant's samples that ran away, came back
// empty or failed.
func brokenShare(v VariantSummary) float64 {
	if v.Samples == 0 {
		return 0
	}
	return float64(v.Broken) / float64(v.Samples)
}

// taskRows lists the tasks in the order they first appear in the variants'
// samples (suite order for a complete run) with each variant's results.
func taskRows(variants []Variant) []TaskRow {
	var order []string
	cat := map[string]string{}
	per := make([]map[string][]record.Sample, len(variants))
	for i, v := range variants {
		per[i] = map[string][]record.Sample{}
		for _, smp := range v.Samples {
			if _, ok := cat[smp.TaskID]; !ok {
				order = append(order, smp.TaskID)
				cat[smp.TaskID] = smp.Category
			}
			per[i][smp.TaskID] = append(per[i][smp.TaskID], smp)
		}
	}
	rows := []TaskRow{}
	for _, id := range order {
		row := TaskRow{Task: id, Category: cat[id]}
		for i, v := range variants {
			row.Variants = append(row.Variants, taskCell(v.Label, per[i][id]))
		}
		row.Winner = Winner(row.Variants)
		rows = append(rows, row)
	}
	return rows
}

func taskCell(label string, samples []record.Sample) TaskCell {
	c := TaskCell{Label: label, Samples: len(samples)}
	if len(samples) == 0 {
		return c
	}
	samples = slices.Clone(samples)
	slices.SortFunc(samples, func(x, y record.Sample) int { return x.Iteration - y.Iteration })
	var scores, lat []float64
	passed := 0
	for _, smp := range samples {
		if smp.Pass {
			passed++
		}
		scores = append(scores, smp.Score)
		if smp.Error == "" {
			lat = append(lat, smp.WallMs)
		}
	}
	c.PassRate = float64(passed) / float64(len(samples))
	c.MeanScore = stats.Mean(scores)
	c.LatencyP50Ms = stats.Percentile(lat, 50)
	c.Excerpt = bench.Excerpt(samples[0], 60)
	return c
}

// Winner is the label of the cell with the best pass rate, then the best
// mean score; Tie when two or more share the best; "" when no cell has samples.
func Winner(cells []TaskCell) string {
	best := -1
	tied := false
	for i, c := range cells {
		if c.Samples == 0 {
			continue
		}
		switch {
		case best < 0 || c.PassRate > cells[best].PassRate ||
			(c.PassRate == cells[best].PassRate && c.MeanScore > cells[best].MeanScore):
			best, tied = i, false
		case c.PassRate == cells[best].PassRate && c.MeanScore == cells[best].MeanScore:
			tied = true
		}
	}
	switch {
	case best < 0:
		return ""
	case tied:
		return Tie
	}
	return cells[best].Label
}

// frontier is the Pareto frontier over pass rate (higher is better) and
// latency p50 (lower is better): the time a user waits for a whole answer,
// the same axis as speed_ratio and the side-by-side chart. A model that
// says more takes longer, and that is a cost the user pays; TTFT, which
// leaves it out, is reported next to it in each variant's summary.
func frontier(vs []VariantSummary) Frontier {
	pts := []stats.Point{}
	for _, v := range vs {
		pts = append(pts, stats.Point{Label: v.Label, Quality: v.PassRate, Cost: v.LatencyP50Ms})
	}
	f := stats.Pareto(pts)
	return Frontier{Quality: "pass_rate", Cost: "latency_p50_ms", Points: pts, Optimal: f.Optimal, DominatedBy: f.DominatedBy}
}

// preambleView pairs, per model, the variant without a preamble with each
// variant with one. It is empty unless every variant has the same options
// and some model has both.
func preambleView(variants []Variant, sums []VariantSummary) []PreambleDelta {
	out := []PreambleDelta{}
	opts := func(v Variant) string { b, _ := json.Marshal(v.Run.Options); return string(b) }
	for _, v := range variants[1:] {
		if opts(v) != opts(variants[0]) {
			return out
		}
	}
	for i, plain := range variants {
		if plain.Run.Preamble != "" {
			continue
		}
		for j, with := range variants {
			if with.Run.Model != plain.Run.Model || with.Run.Preamble == "" {
				continue
			}
			a, b := sums[i], sums[j]
			out = append(out, PreambleDelta{
				Model: plain.Run.Model, Preamble: with.Preamble, Without: plain.Label, With: with.Label,
				PassRateFrom: a.PassRate, PassRateTo: b.PassRate, Delta: b.PassRate - a.PassRate,
				ScoreFrom: a.MeanScore, ScoreTo: b.MeanScore,
			})
		}
	}
	return out
}

// PairwiseSummary is a pairwise judge's verdicts on a comparison: each
// paired (task, iteration) asked in both orders, b against a.
type PairwiseSummary struct {
	Judge     string `json:"judge"`
	Items     int    `json:"items"`
	WinsA     int    `json:"wins_a"`
	WinsB     int    `json:"wins_b"`
	Ties      int    `json:"ties" jsonschema:"the two orders disagreed, or the judge called the answers equal"`
	Undecided int    `json:"undecided" jsonschema:"a reply not understood, or a failed judge call"`
	// Tasks is the verdict per task: the answer preferred on more of its
	// iterations, else tie.
	Tasks map[string]string `json:"tasks"`
}

// JudgePair judges one task's two answers; it is check.Pairwise.Compare
// bound to a judge.
type JudgePair func(ctx context.Context, taskID, answerA, answerB string) check.PairVerdict

// Pairwise asks judge about every (task, iteration) a and b both answered,
// in task order; a cancelled ctx stops it with what it has.
func Pairwise(ctx context.Context, judgeName string, a, b Variant, judge JudgePair) *PairwiseSummary {
	s := &PairwiseSummary{Judge: judgeName, Tasks: map[string]string{}}
	am, bm := byKey(a.Samples), byKey(b.Samples)
	keys := pairedKeys(am, bm)
	net := map[string]int{}
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		v := judge(ctx, k.task, am[k].Output, bm[k].Output)
		s.Items++
		switch v.Winner {
		case check.PreferA:
			s.WinsA++
			net[k.task]--
		case check.PreferB:
			s.WinsB++
			net[k.task]++
		case check.PreferTie:
			s.Ties++
		default:
			s.Undecided++
		}
		if _, ok := net[k.task]; !ok {
			net[k.task] = 0
		}
	}
	for task, n := range net {
		switch {
		case n > 0:
			s.Tasks[task] = b.Label
		case n < 0:
			s.Tasks[task] = a.Label
		default:
			s.Tasks[task] = Tie
		}
	}
	return s
}
