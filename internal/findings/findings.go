// Package findings writes up a comparison without a model: which
// differences its tests support, what to use for quality, latency and
// throughput, and what could mislead. It decides what is said; package
// report renders it.
package findings

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
)

// Writeup is a findings document made from a comparison without a model:
// every sentence is built from the comparison's numbers, and a difference
// is called one only when the comparison's own test supports it.
type Writeup struct {
	Title            string           `json:"title"`
	ExecutiveSummary string           `json:"executive_summary" jsonschema:"2-4 sentences with the headline numbers"`
	Findings         []string         `json:"findings" jsonschema:"numbered from 1, each with a bold metric callout"`
	Recommendations  []Recommendation `json:"recommendations"`
	Risks            []Risk           `json:"risks"`
}

// Recommendation is one thing to do and the numbers behind it.
type Recommendation struct {
	Action   string `json:"action"`
	Evidence string `json:"evidence"`
	Findings []int  `json:"findings" jsonschema:"the numbers of the findings it rests on"`
}

// Risk is one way the comparison could mislead, what shows it, and what to do.
type Risk struct {
	Risk       string `json:"risk"`
	Evidence   string `json:"evidence"`
	Mitigation string `json:"mitigation"`
}

// TradeOff is the pass-rate gap, against the quality pick, at which a
// speed recommendation names the pass rate it accepts.
const TradeOff = 0.10

// JudgeAgreementFloor is the share of samples on which an llm_judge must
// agree with the deterministic checks for its scores not to be flagged.
const JudgeAgreementFloor = 0.8

// writer builds a Writeup, remembering which finding says what so that
// recommendations can cite them.
type writer struct {
	r        compare.Result
	runs     map[string]record.Run // by run id
	base     compare.VariantSummary
	w        Writeup
	quality  map[string]int // variant label: its pass-rate finding
	vs       map[string]int // variant label: its finding against the baseline
	speed    map[string]int // variant label: its speed finding against the baseline
	through  int            // the throughput finding
	frontier int
}

// Findings writes up a comparison: an executive summary, numbered findings
// with bold metric callouts, recommendations that balance quality, TTFT and
// throughput with the findings they rest on, and a risk/mitigation table.
// runs, optional, are the variants' stored runs (matched by run id): they
// add what the comparison does not carry, such as the judge's agreement
// with the deterministic checks.
func Findings(r compare.Result, runs ...record.Run) Writeup {
	wr := &writer{r: r, runs: map[string]record.Run{}, quality: map[string]int{}, vs: map[string]int{}, speed: map[string]int{}}
	for _, run := range runs {
		wr.runs[run.ID] = run
	}
	wr.base = variant(r, r.Baseline)
	var labels []string
	for _, v := range r.Variants {
		labels = append(labels, v.Label)
	}
	wr.w.Title = "Findings: " + strings.Join(labels, " vs ")
	if len(r.Variants) == 0 {
		wr.w.ExecutiveSummary = "The comparison has no variants: there is nothing to report."
		return wr.w
	}
	wr.findings()
	wr.recommendations()
	wr.risks()
	wr.summary()
	return wr.w
}

// add appends a finding and returns its number.
func (wr *writer) add(format string, args ...any) int {
	wr.w.Findings = append(wr.w.Findings, fmt.Sprintf(format, args...))
	return len(wr.w.Findings)
}

func variant(r compare.Result, label string) compare.VariantSummary {
	for _, v := range r.Variants {
		if v.Label == label {
			return v
		}
	}
	return compare.VariantSummary{}
}

func (wr *writer) comparison(label string) (compare.Comparison, bool) {
	for _, c := range wr.r.Comparisons {
		if c.B == label {
			return c, true
		}
	}
	return compare.Comparison{}, false
}

// supported reports whether the comparison's test (or, with no task
// differing, its score interval) backs a direction.
func supported(c compare.Comparison) bool {
	return c.Verdict == compare.Better || c.Verdict == compare.Worse
}

// passCallout is "92% pass rate (83–100%)".
func passCallout(v compare.VariantSummary) string {
	return fmt.Sprintf("%s pass rate (%s–%s)", Percent(v.PassRate), trimPct(v.PassRateCI.Lo), Percent(v.PassRateCI.Hi))
}

// trimPct is a rate as a bare percentage, for the low end of a range.
func trimPct(x float64) string { return strconv.FormatFloat(math.Round(100*x), 'f', 0, 64) }

// SignedPoints is a difference of rates in points, signed ("+12 pts"):
// how findings and the reports say a difference.
func SignedPoints(x float64) string { return fmt.Sprintf("%+.0f pts", 100*x) }

// pShort is a p-value for prose: two significant digits.
func pShort(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return "= " + strconv.FormatFloat(p, 'g', 2, 64)
}

// speedCallout is "2.8× slower", "1.5× faster" or "about as fast (1.04×)"
// for a ratio b/a of latencies.
func speedCallout(ratio float64) string {
	switch {
	case ratio >= 1.1:
		return fmt.Sprintf("%.1f× slower", ratio)
	case ratio > 0 && ratio <= 1/1.1:
		return fmt.Sprintf("%.1f× faster", 1/ratio)
	}
	return fmt.Sprintf("about as fast (%.2f×)", ratio)
}

func testName(c compare.Comparison) string {
	if c.Test == compare.TestPermutation {
		return "sign-flip permutation test"
	}
	return "McNemar's exact test"
}

func (wr *writer) findings() {
	r := wr.r
	for _, v := range r.Variants {
		role := ""
		if v.Label == r.Baseline {
			role = ", the baseline"
		}
		model := v.Model
		if v.Preamble != "" {
			model += " with preamble " + v.Preamble
		}
		f := fmt.Sprintf("%s (%s%s) passed %d of %d samples: **%s**, mean score %.2f, on %d tasks × %d iteration%s",
			v.Label, model, role, v.Passed, v.Samples, passCallout(v), v.MeanScore, v.Tasks, v.Iterations, plural(v.Iterations))
		for _, k := range v.PassK {
			if k.K == v.Iterations && k.K > 1 {
				f += fmt.Sprintf("; pass^%d (every iteration passes) %s", k.K, Percent(k.PassHatK))
			}
		}
		wr.quality[v.Label] = wr.add("%s.", f)
	}
	for _, c := range r.Comparisons {
		wr.vs[c.B] = wr.add("%s", comparisonFinding(c, variant(r, c.B)))
	}
	for _, c := range r.Comparisons {
		a, b := wr.base, variant(r, c.B)
		if c.SpeedRatio <= 0 {
			continue
		}
		f := fmt.Sprintf("Speed, %s against %s: **%s** at the median call (latency p50 %s vs %s)", c.B, c.A, speedCallout(c.SpeedRatio), Millis(b.LatencyP50Ms), Millis(a.LatencyP50Ms))
		if a.TTFTP50Ms > 0 && b.TTFTP50Ms > 0 {
			f += fmt.Sprintf("; TTFT p50 %s vs %s", Millis(b.TTFTP50Ms), Millis(a.TTFTP50Ms))
		}
		if a.GenTPS > 0 && b.GenTPS > 0 {
			f += fmt.Sprintf("; %.0f vs %.0f generated tokens/s", b.GenTPS, a.GenTPS)
		}
		wr.speed[c.B] = wr.add("%s.", f)
	}
	if len(r.Variants) > 1 {
		top := slices.MaxFunc(r.Variants, func(x, y compare.VariantSummary) int { return cmp.Compare(x.PointsPerSecond, y.PointsPerSecond) })
		var parts []string
		for _, v := range r.Variants {
			parts = append(parts, fmt.Sprintf("%s %.2f points/s (%.0f tok/s)", v.Label, v.PointsPerSecond, v.GenTPS))
		}
		wr.through = wr.add("Throughput: **%.2f points/s** for %s, the most score per second of its own call time; %s.", top.PointsPerSecond, top.Label, strings.Join(parts, ", "))
	}
	if p := r.Pareto; len(p.Optimal) > 0 {
		axis := strings.ReplaceAll(strings.TrimSuffix(p.Cost, "_ms"), "_", " ")
		f := fmt.Sprintf("On pass rate against %s, **%s** %s on the Pareto frontier (point estimates)", axis, strings.Join(p.Optimal, ", "), isAre(len(p.Optimal)))
		var dominated []string
		for _, v := range r.Variants {
			if by, ok := p.DominatedBy[v.Label]; ok {
				dominated = append(dominated, fmt.Sprintf("%s by %s", v.Label, strings.Join(by, ", ")))
			}
		}
		if len(dominated) > 0 {
			f += "; dominated: " + strings.Join(dominated, "; ")
		}
		wr.frontier = wr.add("%s.", f)
	}
	if len(r.Tasks) > 0 {
		wins := map[string]int{}
		for _, t := range r.Tasks {
			wins[t.Winner]++
		}
		top := slices.MaxFunc(r.Variants, func(x, y compare.VariantSummary) int { return cmp.Compare(wins[x.Label], wins[y.Label]) })
		var parts []string
		for _, v := range r.Variants {
			if v.Label != top.Label {
				parts = append(parts, fmt.Sprintf("%s %d", v.Label, wins[v.Label]))
			}
		}
		parts = append(parts, fmt.Sprintf("%d tie%s", wins[compare.Tie], plural(wins[compare.Tie])))
		wr.add("Per task, %s won **%d of %d tasks**; %s.", top.Label, wins[top.Label], len(r.Tasks), strings.Join(parts, ", "))
	}
	for _, v := range r.Variants {
		if v.Broken > 0 {
			wr.add("%s broke on **%d of %d samples** (runaway %d, empty %d, errors %d).", v.Label, v.Broken, v.Samples, v.Runaway, v.Empty, v.Errors)
		}
	}
	for _, c := range r.Comparisons {
		if len(c.Criteria) == 0 {
			continue
		}
		worst := slices.MinFunc(c.Criteria, func(x, y compare.CriterionDelta) int { return cmp.Compare(x.Diff, y.Diff) })
		var parts []string
		for _, d := range c.Criteria {
			parts = append(parts, fmt.Sprintf("%s %s/%g → %s/%g", d.Name, Points(d.PointsA), d.Weight, Points(d.PointsB), d.Weight))
		}
		wr.add("Judge rubric, %s against %s: the largest change is **%s %s/%g → %s/%g (%+.1f)**; all criteria: %s (means of the judge's scores, not tested).",
			c.B, c.A, worst.Name, Points(worst.PointsA), worst.Weight, Points(worst.PointsB), worst.Weight, worst.Diff, strings.Join(parts, ", "))
	}
	for _, c := range r.Comparisons {
		if p := c.Pairwise; p != nil && p.Items > 0 {
			wr.add("Pairwise judge %s, each answer pair asked in both orders: **%s preferred %d of %d**, %s %d, ties %d, undecided %d.",
				p.Judge, c.B, p.WinsB, p.Items, c.A, p.WinsA, p.Ties, p.Undecided)
		}
	}
}

// comparisonFinding is one variant against the baseline, in the words its
// verdict allows.
func comparisonFinding(c compare.Comparison, b compare.VariantSummary) string {
	head := fmt.Sprintf("%s against %s", c.B, c.A)
	rates := fmt.Sprintf("%s → %s", Percent(c.PassRate.A), Percent(c.PassRate.B))
	ci := fmt.Sprintf("95%% CI %s to %s", SignedPoints(c.PassRate.CI.Lo), SignedPoints(c.PassRate.CI.Hi))
	switch {
	case c.Verdict == compare.Collapse:
		return fmt.Sprintf("%s: **collapse**: %s.", head, c.Reason)
	case c.Pairs == 0:
		return fmt.Sprintf("%s: **no tasks in common**: nothing could be tested.", head)
	case c.Significant && supported(c):
		return fmt.Sprintf("%s: **%s, p %s** (Holm-adjusted): pass rate %s (%s), %s over %d tasks, p %s before adjustment; %s is %s.",
			head, SignedPoints(c.PassRate.Diff), pShort(c.PAdjusted), rates, ci, testName(c), c.Tasks, pShort(c.PValue), c.B, c.Verdict)
	case supported(c): // the same pass rate on every task, a score interval that excludes 0
		dir := "higher"
		if c.MeanScore.Diff < 0 {
			dir = "lower"
		}
		return fmt.Sprintf("%s: **mean score %+.3f (95%% CI %+.3f to %+.3f)** with the same pass rate on every task (%s): %s scores %s.",
			head, c.MeanScore.Diff, c.MeanScore.CI.Lo, c.MeanScore.CI.Hi, rates, c.B, dir)
	}
	return fmt.Sprintf("%s: **no clear difference (%s, p %s)**: pass rate %s (%s), %d of %d tasks differ, %s Holm-adjusted; this design detects only **%.0f pts** or more (MDE at 80%% power), so a smaller real difference can hide here.",
		head, SignedPoints(c.PassRate.Diff), pShort(c.PAdjusted), rates, ci, c.DiscordantTasks, c.Tasks, testName(c), 100*c.Power.MDE)
}

// cost says what choosing label over the quality pick q gives up in pass
// rate, and whether a test backs it: only comparisons with the baseline are tested.
func (wr *writer) cost(label, q string) (string, []int) {
	x, y := variant(wr.r, label), variant(wr.r, q)
	d := x.PassRate - y.PassRate
	var c compare.Comparison
	var ok bool
	switch { // only comparisons with the baseline are tested
	case q == wr.r.Baseline:
		c, ok = wr.comparison(label)
	case label == wr.r.Baseline:
		c, ok = wr.comparison(q)
	}
	var amount, rates string
	switch {
	case math.Abs(d) < 0.005:
		amount, rates = "at the same pass rate as "+q, Percent(x.PassRate)
	case d < 0:
		amount = fmt.Sprintf("at a %.0f-point pass-rate cost against %s", -100*d, q)
	default:
		amount = fmt.Sprintf("with a pass rate %.0f points above %s's", 100*d, q)
	}
	if rates == "" {
		rates = fmt.Sprintf("%s vs %s", Percent(x.PassRate), Percent(y.PassRate))
	}
	if !ok {
		var refs []int
		var parts []string
		for _, l := range []string{label, q} {
			if cc, found := wr.comparison(l); found {
				parts = append(parts, fmt.Sprintf("%s against %s %s, p %s", l, cc.A, cc.Verdict, pShort(cc.PAdjusted)))
				refs = append(refs, wr.vs[l])
			}
		}
		return fmt.Sprintf("%s (%s; not tested against each other: %s)", amount, rates, strings.Join(parts, "; ")), refs
	}
	refs := []int{wr.vs[c.B]}
	switch {
	case c.Verdict == compare.Collapse:
		return fmt.Sprintf("%s (%s; %s collapses)", amount, rates, c.B), refs
	case supported(c):
		return fmt.Sprintf("%s (%s; significant, p %s)", amount, rates, pShort(c.PAdjusted)), refs
	}
	return fmt.Sprintf("%s (%s; not significant, p %s; MDE %.0f pts)", amount, rates, pShort(c.PAdjusted), 100*c.Power.MDE), refs
}

// usable are the variants not collapsed, in the comparison's order.
func (wr *writer) usable() []compare.VariantSummary {
	var out []compare.VariantSummary
	for _, v := range wr.r.Variants {
		if c, ok := wr.comparison(v.Label); ok && c.Verdict == compare.Collapse {
			continue
		}
		if v.Samples > 0 && float64(v.Broken)/float64(v.Samples) >= compare.CollapseShare {
			continue
		}
		out = append(out, v)
	}
	return out
}

func (wr *writer) recommendations() {
	r, base := wr.r, wr.base
	usable := wr.usable()
	if len(usable) == 0 {
		wr.w.Recommendations = append(wr.w.Recommendations, Recommendation{
			Action:   "Use none of these variants yet.",
			Evidence: "every variant breaks on half or more of its samples; fix the runaways, empty answers or errors first",
			Findings: wr.brokenRefs(),
		})
		return
	}
	// Quality: a variant the test says passes more than the baseline, else the baseline.
	q := base
	var better, worse, collapsed []compare.Comparison
	for _, c := range r.Comparisons {
		switch {
		case c.Verdict == compare.Collapse:
			collapsed = append(collapsed, c)
		case c.Verdict == compare.Better:
			better = append(better, c)
		case c.Verdict == compare.Worse:
			worse = append(worse, c)
		}
	}
	var rec Recommendation
	switch {
	case len(better) > 0:
		c := slices.MaxFunc(better, func(x, y compare.Comparison) int {
			return cmp.Or(cmp.Compare(x.PassRate.Diff, y.PassRate.Diff), cmp.Compare(x.MeanScore.Diff, y.MeanScore.Diff))
		})
		q = variant(r, c.B)
		rec = Recommendation{Action: fmt.Sprintf("Use %s where quality matters.", q.Label), Findings: []int{wr.quality[q.Label], wr.vs[q.Label]}}
		if c.Significant {
			rec.Evidence = fmt.Sprintf("%s over %s on pass rate (%s → %s, p %s)", SignedPoints(c.PassRate.Diff), c.A, Percent(c.PassRate.A), Percent(c.PassRate.B), pShort(c.PAdjusted))
		} else {
			rec.Evidence = fmt.Sprintf("the same pass rate on every task and a mean score %+.3f above %s (95%% CI %+.3f to %+.3f)", c.MeanScore.Diff, c.A, c.MeanScore.CI.Lo, c.MeanScore.CI.Hi)
		}
		if c.SpeedRatio > 0 {
			rec.Evidence += fmt.Sprintf(", at %.1f× the median latency of %s", c.SpeedRatio, c.A)
			if q.TTFTP50Ms > 0 && base.TTFTP50Ms > 0 {
				rec.Evidence += fmt.Sprintf(" (TTFT p50 %s vs %s)", Millis(q.TTFTP50Ms), Millis(base.TTFTP50Ms))
			}
			rec.Findings = append(rec.Findings, wr.speed[q.Label])
		}
	case len(r.Comparisons) > 0 && len(worse)+len(collapsed) == len(r.Comparisons):
		rec = Recommendation{Action: fmt.Sprintf("Keep %s where quality matters.", base.Label), Findings: []int{wr.quality[base.Label]}}
		var parts []string
		for _, c := range r.Comparisons {
			rec.Findings = append(rec.Findings, wr.vs[c.B])
			if c.Verdict == compare.Collapse {
				parts = append(parts, c.B+" collapses")
			} else {
				parts = append(parts, fmt.Sprintf("%s is %s (%s, p %s)", c.B, c.Verdict, SignedPoints(c.PassRate.Diff), pShort(c.PAdjusted)))
			}
		}
		rec.Evidence = "every other variant is significantly lower on pass rate or breaks: " + strings.Join(parts, "; ")
	case len(r.Comparisons) == 0:
		rec = Recommendation{Action: fmt.Sprintf("Keep %s: there is nothing to compare it with.", base.Label), Findings: []int{wr.quality[base.Label]},
			Evidence: "the comparison has one variant; compare_models needs two to test a difference"}
	default:
		rec = Recommendation{Action: fmt.Sprintf("Keep %s as the quality reference: no variant passes clearly more.", base.Label), Findings: []int{wr.quality[base.Label]}}
		var parts []string
		for _, c := range r.Comparisons {
			rec.Findings = append(rec.Findings, wr.vs[c.B])
			switch {
			case c.Verdict == compare.Collapse:
				parts = append(parts, c.B+" collapses")
			case supported(c):
				parts = append(parts, fmt.Sprintf("%s is %s (%s, p %s)", c.B, c.Verdict, SignedPoints(c.PassRate.Diff), pShort(c.PAdjusted)))
			default:
				parts = append(parts, fmt.Sprintf("%s: no clear difference (%s, p %s, MDE %.0f pts)", c.B, SignedPoints(c.PassRate.Diff), pShort(c.PAdjusted), 100*c.Power.MDE))
			}
		}
		rec.Evidence = strings.Join(parts, "; ") + "; choose on speed, and treat quality as unsettled until a design detects the difference you care about"
	}
	wr.w.Recommendations = append(wr.w.Recommendations, rec)

	// Latency: the lowest TTFT p50 (latency p50 without TTFTs) of the usable variants.
	ttft := true
	for _, v := range usable {
		ttft = ttft && v.TTFTP50Ms > 0
	}
	costOf, axis := func(v compare.VariantSummary) float64 { return v.TTFTP50Ms }, "TTFT p50"
	if !ttft {
		costOf, axis = func(v compare.VariantSummary) float64 { return v.LatencyP50Ms }, "latency p50"
	}
	fast := slices.MinFunc(usable, func(x, y compare.VariantSummary) int { return cmp.Compare(costOf(x), costOf(y)) })
	wr.w.Recommendations = append(wr.w.Recommendations, wr.pick("latency-sensitive work", fast, q, axis, costOf, []int{wr.frontier}))

	// Throughput: the most score per second of call time.
	top := slices.MaxFunc(usable, func(x, y compare.VariantSummary) int { return cmp.Compare(x.PointsPerSecond, y.PointsPerSecond) })
	wr.w.Recommendations = append(wr.w.Recommendations, wr.pick("throughput-bound batch work", top, q, "points/s",
		func(v compare.VariantSummary) float64 { return v.PointsPerSecond }, []int{wr.through}))

	// Power: say what the design cannot see, and what would.
	if c, ok := wr.weakest(); ok {
		wr.w.Recommendations = append(wr.w.Recommendations, Recommendation{
			Action:   fmt.Sprintf("Do not read differences under %.0f points into this comparison; %s.", 100*c.Power.MDE, remedy(c.Power)),
			Evidence: fmt.Sprintf("%s against %s: MDE %.0f pts with %d tasks × %d iteration%s, against the %.0f points worth detecting", c.B, c.A, 100*c.Power.MDE, c.Tasks, c.Iterations, plural(c.Iterations), 100*c.Power.Effect),
			Findings: []int{wr.vs[c.B]},
		})
	}
}

// pick recommends v for a kind of work by a metric, with what it costs in
// pass rate against the quality pick q.
func (wr *writer) pick(work string, v, q compare.VariantSummary, axis string, metric func(compare.VariantSummary) float64, refs []int) Recommendation {
	val := func(x compare.VariantSummary) string {
		if axis == "points/s" {
			return fmt.Sprintf("%.2f points/s", metric(x))
		}
		return axis + " " + Millis(metric(x))
	}
	var others []string
	for _, o := range wr.usable() {
		if o.Label != v.Label {
			others = append(others, fmt.Sprintf("%s for %s", strings.TrimPrefix(val(o), axis+" "), o.Label))
		}
	}
	rec := Recommendation{Findings: slices.Clone(refs)}
	if v.Label == q.Label {
		rec.Action = fmt.Sprintf("Use %s for %s as well.", v.Label, work)
		lead := "the lowest " + axis
		if axis == "points/s" {
			lead = "the most points/s"
		}
		rec.Evidence = fmt.Sprintf("it also has %s, %s", lead, strings.TrimPrefix(val(v), axis+" "))
		if len(others) > 0 {
			rec.Evidence += " vs " + strings.Join(others, ", ")
		}
		rec.Evidence += fmt.Sprintf(", and it is the quality pick (%s)", Percent(v.PassRate))
	} else {
		cost, crefs := wr.cost(v.Label, q.Label)
		rec.Action = fmt.Sprintf("Use %s for %s.", v.Label, work)
		if q.PassRate-v.PassRate >= TradeOff {
			rec.Action = fmt.Sprintf("Use %s for %s where a %s pass rate (against %s for %s) is acceptable.", v.Label, work, Percent(v.PassRate), Percent(q.PassRate), q.Label)
		}
		rec.Evidence = val(v)
		if len(others) > 0 {
			rec.Evidence += " vs " + strings.Join(others, ", ")
		}
		rec.Evidence += ", " + cost
		rec.Findings = append(rec.Findings, crefs...)
	}
	if s, ok := wr.speed[v.Label]; ok {
		rec.Findings = append(rec.Findings, s)
	}
	rec.Findings = refsOf(rec.Findings)
	return rec
}

// refsOf sorts finding numbers and drops zeros and repeats.
func refsOf(xs []int) []int {
	xs = slices.DeleteFunc(xs, func(x int) bool { return x <= 0 })
	slices.Sort(xs)
	return slices.Compact(xs)
}

// weakest is the comparison that cannot detect the difference its power
// aims at and detects the least, preferring one without a verdict.
func (wr *writer) weakest() (compare.Comparison, bool) {
	var worst compare.Comparison
	found := false
	for _, c := range wr.r.Comparisons {
		if c.Pairs == 0 || c.Power.MDE <= c.Power.Effect {
			continue
		}
		// One that found no difference matters most: the design may be why.
		if !found || (supported(worst) && !supported(c)) || (supported(worst) == supported(c) && c.Power.MDE > worst.Power.MDE) {
			worst, found = c, true
		}
	}
	return worst, found
}

// remedy is the design that detects a power's effect: more iterations on
// these tasks when they suffice, else more tasks.
func remedy(p record.Power) string {
	effect := fmt.Sprintf("%.0f points", 100*p.Effect)
	if p.IterationsNeeded > 0 {
		return fmt.Sprintf("to detect %s, run %d iterations on these %d tasks, or %d tasks at %d iteration%s", effect, p.IterationsNeeded, p.Tasks, p.TasksNeeded, p.Iterations, plural(p.Iterations))
	}
	return fmt.Sprintf("to detect %s, run about %d tasks at %d iteration%s (no number of iterations on %d tasks reaches it)", effect, p.TasksNeeded, p.Iterations, plural(p.Iterations), p.Tasks)
}

func (wr *writer) brokenRefs() []int {
	var refs []int
	for i, f := range wr.w.Findings {
		if strings.Contains(f, " broke on **") {
			refs = append(refs, i+1)
		}
	}
	return refs
}

func (wr *writer) risks() {
	r := wr.r
	add := func(risk, evidence, mitigation string) {
		wr.w.Risks = append(wr.w.Risks, Risk{Risk: risk, Evidence: evidence, Mitigation: mitigation})
	}
	if c, ok := wr.weakest(); ok {
		add("Small sample", fmt.Sprintf("%s against %s detects only %.0f pts or more (MDE at 80%% power, %d tasks × %d iteration%s): a real difference under it looks like no clear difference",
			c.B, c.A, 100*c.Power.MDE, c.Tasks, c.Iterations, plural(c.Iterations)), capitalize(remedy(c.Power))+"; plan it first with plan=true")
	}
	for _, v := range r.Variants {
		if v.Replays {
			add("Replays", fmt.Sprintf("options.seed pins every iteration of %s to one seed: its %d iterations are replays, one sample per task", v.Label, v.Iterations),
				"Drop options.seed and give seeds (or a base seed) so that iterations sample; the intervals already count each task once")
		}
	}
	for _, v := range r.Variants {
		c, _ := wr.comparison(v.Label)
		switch {
		case c.Verdict == compare.Collapse:
			add("Collapse", c.Reason, "Read its failed answers; raise max_output_tokens if answers are cut, shorten or change the preamble, or drop the variant")
		case v.Runaway > 0:
			add("Runaways", fmt.Sprintf("%s: %d of %d samples ran away (stopped by the circuit breaker), %d empty, %d errors", v.Label, v.Runaway, v.Samples, v.Empty, v.Errors),
				"Check whether the answers loop or only run long: raise max_output_tokens for long answers, or add a length instruction or stop sequence")
		case v.Broken > 0:
			add("Broken samples", fmt.Sprintf("%s: %d of %d samples empty or failed (empty %d, errors %d)", v.Label, v.Broken, v.Samples, v.Empty, v.Errors),
				"Read the errors: a call the host refused (a 4xx) or an answer that ran past the timeout counts as a failed task; failures of the machine do not")
		}
	}
	for _, v := range r.Variants {
		if v.Faults > 0 {
			add("Failures of the machine", fmt.Sprintf("%s: %d sample(s) have no verdict: the host failed their calls on every attempt, so no number here counts them", v.Label, v.Faults),
				"Fix the host (its log says why the runner died or the server failed), then resume the comparison to run them again")
		}
		if v.Reloads > 0 {
			add("Reloads", fmt.Sprintf("%s: %d call%s paid a model load; their latency includes it", v.Label, v.Reloads, plural(v.Reloads)),
				"Raise OLLAMA_MAX_LOADED_MODELS or compare fewer models at once, and rerun before trusting its latency and TTFT")
		}
	}
	for _, v := range r.Variants {
		run, ok := wr.runs[v.RunID]
		if ok && run.Summary != nil && run.Summary.JudgeAgreement != nil && *run.Summary.JudgeAgreement < JudgeAgreementFloor {
			add("Judge disagreement", fmt.Sprintf("%s: the llm_judge agrees with the deterministic checks on %s of samples (below %s)", v.Label, Percent(*run.Summary.JudgeAgreement), Percent(JudgeAgreementFloor)),
				"Read the judged answers by hand; use a stronger judge model or more deterministic checks before trusting judge scores")
		}
	}
	for _, c := range r.Comparisons {
		if p := c.Pairwise; p != nil && p.Items > 0 && 2*(p.Ties+p.Undecided) > p.Items {
			add("Judge disagreement", fmt.Sprintf("pairwise judge %s on %s against %s: %d ties (the two orders disagree) and %d undecided of %d", p.Judge, c.B, c.A, p.Ties, p.Undecided, p.Items),
				"Treat the pairwise preference as unsettled; use a stronger judge or a rubric with deterministic checks")
		}
	}
	for _, c := range r.Comparisons {
		var drops []string
		for _, d := range c.Criteria {
			if d.Diff < 0 {
				drops = append(drops, fmt.Sprintf("%s %s/%g → %s/%g", d.Name, Points(d.PointsA), d.Weight, Points(d.PointsB), d.Weight))
			}
		}
		if len(drops) > 0 {
			add("Rubric regression", fmt.Sprintf("%s against %s loses points on %s (judge means, not tested)", c.B, c.A, strings.Join(drops, ", ")),
				"Read those answers side by side (report_path); if it is real, change the preamble or options that caused it, then compare again")
		}
	}
	for _, c := range r.Comparisons {
		if c.Pairs > 0 && !c.SameSeeds {
			add("Unpaired seeds", fmt.Sprintf("%s against %s: not every paired item ran with the same recorded seed", c.B, c.A),
				"Compare runs made with the same seeds (compare_models does this); the test still pairs by task")
		}
	}
	for _, v := range r.Variants {
		if v.Status != "" && v.Status != record.StatusCompleted {
			add("Incomplete run", fmt.Sprintf("%s's run %s is %s: its numbers cover %d samples", v.Label, v.RunID, v.Status, v.Samples),
				"Resume it (run_benchmark resume_run_id) or rerun the comparison before acting on it")
		}
	}
	if len(wr.w.Risks) == 0 {
		add("None flagged", "no replays, broken samples, reloads, judge disagreement or rubric regressions; every comparison detects its target difference", "Keep the suite and seeds to rerun it after model or prompt changes")
	}
}

func (wr *writer) summary() {
	r, base := wr.r, wr.base
	var labels []string
	for _, v := range r.Variants {
		labels = append(labels, v.Label)
	}
	var s []string
	if len(labels) == 1 {
		s = append(s, fmt.Sprintf("%s was measured on %d tasks × %d iteration%s at a %s.", base.Label, base.Tasks, base.Iterations, plural(base.Iterations), passCallout(base)))
	} else {
		s = append(s, fmt.Sprintf("%s were compared on %d tasks × %d iteration%s, against the baseline %s at a %s.",
			list(labels), base.Tasks, base.Iterations, plural(base.Iterations), base.Label, passCallout(base)))
	}
	var parts []string
	for _, c := range r.Comparisons {
		b := variant(r, c.B)
		switch {
		case c.Verdict == compare.Collapse:
			parts = append(parts, fmt.Sprintf("%s collapses: %s", c.B, c.Reason))
		case c.Significant && supported(c):
			parts = append(parts, fmt.Sprintf("%s is %s: %s, p %s, at a %s", c.B, c.Verdict, SignedPoints(c.PassRate.Diff), pShort(c.PAdjusted), passCallout(b)))
		case supported(c):
			parts = append(parts, fmt.Sprintf("%s is %s on mean score (%+.3f) at the same pass rate on every task", c.B, c.Verdict, c.MeanScore.Diff))
		default:
			parts = append(parts, fmt.Sprintf("%s shows no clear difference: %s, p %s, at a %s, where the design detects only %.0f pts or more", c.B, SignedPoints(c.PassRate.Diff), pShort(c.PAdjusted), passCallout(b), 100*c.Power.MDE))
		}
	}
	if len(parts) > 0 {
		s = append(s, strings.Join(parts, "; ")+".")
	}
	usable := wr.usable() // a collapsed variant's speed is no recommendation
	ttft := true
	for _, v := range usable {
		ttft = ttft && v.TTFTP50Ms > 0
	}
	if ttft && len(usable) > 1 {
		fast := slices.MinFunc(usable, func(x, y compare.VariantSummary) int { return cmp.Compare(x.TTFTP50Ms, y.TTFTP50Ms) })
		slow := slices.MaxFunc(usable, func(x, y compare.VariantSummary) int { return cmp.Compare(x.TTFTP50Ms, y.TTFTP50Ms) })
		gen := slices.MaxFunc(usable, func(x, y compare.VariantSummary) int { return cmp.Compare(x.GenTPS, y.GenTPS) })
		s = append(s, fmt.Sprintf("%s answers first (TTFT p50 %s, against %s for %s), and %s generates fastest (%.0f tokens/s).",
			fast.Label, Millis(fast.TTFTP50Ms), Millis(slow.TTFTP50Ms), slow.Label, gen.Label, gen.GenTPS))
	}
	if len(wr.w.Recommendations) > 0 {
		s = append(s, "In short: "+lowerFirst(strings.TrimSuffix(wr.w.Recommendations[0].Action, "."))+".")
	}
	wr.w.ExecutiveSummary = strings.Join(s, " ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// list joins names as "a, b and c".
func list(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Percent is a rate as a whole percentage.
func Percent(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

// Millis is a duration in milliseconds, in seconds from one second up.
func Millis(x float64) string {
	if x >= 1000 {
		return fmt.Sprintf("%.2f s", x/1000)
	}
	return fmt.Sprintf("%.1f ms", x)
}

// Points shows points with one decimal, without a trailing .0.
func Points(x float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", x), ".0")
}
