package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/findings"
)

// CompareMarkdown renders a comparison for a findings document: the
// variants, each one against the baseline, the per-task side-by-side table
// with its winners, the quality/latency frontier and, when the variants
// differ only by preamble, the preamble A/B view. title heads it.
func CompareMarkdown(title string, r compare.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", title)

	b.WriteString("| variant | model | pass rate (95% CI) | mean score | latency p50 / p95 | TTFT p50 | gen tok/s | points/s | broken |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, v := range r.Variants {
		label := v.Label
		if v.Label == r.Baseline {
			label += " (baseline)"
		}
		model := v.Model
		if v.Preamble != "" {
			model += " + " + v.Preamble
		}
		fmt.Fprintf(&b, "| %s | %s | **%s** (%d/%d, %s–%s) | %.3f | %s / %s | %s | %.0f | %.2f | %d |\n",
			label, model, findings.Percent(v.PassRate), v.Passed, v.Samples, findings.Percent(v.PassRateCI.Lo), findings.Percent(v.PassRateCI.Hi),
			v.MeanScore, findings.Millis(v.LatencyP50Ms), findings.Millis(v.LatencyP95Ms), findings.Millis(v.TTFTP50Ms), v.GenTPS, v.PointsPerSecond, v.Broken)
	}

	var total float64
	var costed []string
	for _, v := range r.Variants {
		if v.Cost != nil {
			total += v.Cost.USD
			costed = append(costed, fmt.Sprintf("%s %s (%s per task)", v.Label, USD(v.Cost.USD), USD(v.Cost.PerTaskUSD)))
		}
	}
	if len(costed) > 0 {
		fmt.Fprintf(&b, "\nCost at the prices given for their hosts: %s; %s in all.\n", strings.Join(costed, ", "), USD(total))
	}

	for _, v := range r.Variants {
		if v.Funnel != nil {
			fmt.Fprintf(&b, "\n%s, agentic tool use: %s.\n", v.Label, FunnelLine(v.Funnel))
		}
	}

	b.WriteString("\n| comparison | tasks × iterations | pass rate a → b | diff (95% CI) | score diff (95% CI) | p (test) | Holm p | MDE | b/a latency | verdict |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Comparisons {
		verdict := c.Verdict
		if c.Significant {
			verdict = "**" + verdict + "**"
		}
		test := "McNemar"
		if c.Test == compare.TestPermutation {
			test = "sign-flip"
		}
		fmt.Fprintf(&b, "| %s vs %s | %d × %d | %s → %s | %s (%s to %s) | %+.3f (%+.3f to %+.3f) | %s (%s) | %s | %s | %.2f× | %s |\n",
			c.B, c.A, c.Tasks, c.Iterations, findings.Percent(c.PassRate.A), findings.Percent(c.PassRate.B), points(c.PassRate.Diff), points(c.PassRate.CI.Lo), points(c.PassRate.CI.Hi),
			c.MeanScore.Diff, c.MeanScore.CI.Lo, c.MeanScore.CI.Hi, pval(c.PValue), test, pval(c.PAdjusted), findings.Percent(c.Power.MDE), c.SpeedRatio, verdict)
	}
	b.WriteString("\nPaired by task: each task gives the difference of its two per-task pass rates, and tasks, not calls, are the independent units, so replayed iterations add no evidence. " +
		"The test is McNemar's exact test at one iteration and a paired sign-flip permutation test over the per-task differences otherwise, Holm-adjusted across the comparisons; significant (bold) when adjusted p < 0.05. " +
		"MDE is the smallest difference this design detects with 80% power. b/a latency above 1× means b is slower.\n")
	for _, c := range r.Comparisons {
		if c.Power.Advice != "" {
			fmt.Fprintf(&b, "\n%s vs %s: %s", c.B, c.A, c.Power.Advice)
		}
	}
	if len(r.Comparisons) > 0 {
		b.WriteString("\n")
	}
	for _, v := range r.Variants {
		if v.Replays {
			fmt.Fprintf(&b, "\n%s: options.seed pins every iteration to one seed, so its %d iterations are replays: one sample per task.\n", v.Label, v.Iterations)
		}
	}

	if len(r.Tasks) > 0 {
		b.WriteString("\n| Task |")
		for _, v := range r.Variants {
			fmt.Fprintf(&b, " %s |", v.Label)
		}
		b.WriteString(" Winner |\n|---|")
		b.WriteString(strings.Repeat("---|", len(r.Variants)+1))
		b.WriteString("\n")
		wins := map[string]int{}
		for _, t := range r.Tasks {
			fmt.Fprintf(&b, "| %s |", t.Task)
			for _, c := range t.Variants {
				fmt.Fprintf(&b, " %s |", taskCell(c))
			}
			fmt.Fprintf(&b, " %s |\n", orDash(t.Winner))
			wins[t.Winner]++
		}
		b.WriteString("\nWins:")
		for _, v := range r.Variants {
			fmt.Fprintf(&b, " %s %d ·", v.Label, wins[v.Label])
		}
		fmt.Fprintf(&b, " tie %d\n", wins[compare.Tie])
	}

	fmt.Fprintf(&b, "\nPareto frontier (%s up, %s down): **%s**", r.Pareto.Quality, r.Pareto.Cost, strings.Join(r.Pareto.Optimal, ", "))
	var dominated []string
	for _, v := range r.Variants {
		if by, ok := r.Pareto.DominatedBy[v.Label]; ok {
			dominated = append(dominated, fmt.Sprintf("%s (by %s)", v.Label, strings.Join(by, ", ")))
		}
	}
	if len(dominated) > 0 {
		fmt.Fprintf(&b, "; dominated: %s", strings.Join(dominated, "; "))
	}
	b.WriteString(".\n")

	b.WriteString(RubricMarkdown(r))
	for _, c := range r.Comparisons {
		if p := c.Pairwise; p != nil {
			fmt.Fprintf(&b, "\nPairwise judge %s, %s vs %s, each answer pair asked in both orders: %s preferred %d, %s preferred %d, ties (orders disagree or equal) %d, undecided %d, of %d.\n",
				p.Judge, c.B, c.A, c.B, p.WinsB, c.A, p.WinsA, p.Ties, p.Undecided, p.Items)
		}
	}

	if len(r.PreambleAB) > 0 {
		b.WriteString("\nPreamble A/B (pass rate, %):\n\n")
		for _, p := range r.PreambleAB {
			from, to := math.Round(100*p.PassRateFrom), math.Round(100*p.PassRateTo)
			fmt.Fprintf(&b, "- %s %.0f -> %.0f (%+.0f) with %s\n", p.Model, from, to, to-from, p.Preamble)
		}
	}
	return b.String()
}

// RubricMarkdown is the judge rubric per criterion: each variant's points
// out of the criterion's weight (the mean score times the weight), then
// each comparison's changes, which say where a change of score comes from.
// Empty when no variant was judged on a rubric.
func RubricMarkdown(r compare.Result) string {
	var names []string
	weight := map[string]float64{}
	for _, v := range r.Variants {
		for _, c := range v.Criteria {
			if _, ok := weight[c.Name]; !ok {
				names = append(names, c.Name)
				weight[c.Name] = c.Weight
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nJudge rubric (mean points out of each criterion's weight):\n\n| criterion | weight |")
	for _, v := range r.Variants {
		fmt.Fprintf(&b, " %s |", v.Label)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(r.Variants)) + "\n")
	for _, n := range names {
		fmt.Fprintf(&b, "| %s | %g |", n, weight[n])
		for _, v := range r.Variants {
			text := "-"
			for _, c := range v.Criteria {
				if c.Name == n {
					text = fmt.Sprintf("%s/%g (%d judged)", findings.Points(c.Points), c.Weight, c.Samples)
				}
			}
			fmt.Fprintf(&b, " %s |", text)
		}
		b.WriteString("\n")
	}
	for _, c := range r.Comparisons {
		if len(c.Criteria) == 0 {
			continue
		}
		var parts []string
		for _, d := range c.Criteria {
			parts = append(parts, fmt.Sprintf("%s %s/%g → %s/%g (%+.1f)", d.Name, findings.Points(d.PointsA), d.Weight, findings.Points(d.PointsB), d.Weight, d.Diff))
		}
		fmt.Fprintf(&b, "\n- %s vs %s: %s", c.B, c.A, strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	return b.String()
}

// taskCell is one variant's result on one task: passes, latency, answer.
func taskCell(c compare.TaskCell) string {
	if c.Samples == 0 {
		return "-"
	}
	passed := int(math.Round(c.PassRate * float64(c.Samples)))
	mark := "✗"
	if passed == c.Samples {
		mark = "✓"
	} else if passed > 0 {
		mark = fmt.Sprintf("%d/%d", passed, c.Samples)
	}
	ex := c.Excerpt
	if r := []rune(ex); len(r) > 24 {
		ex = string(r[:23]) + "…"
	}
	return fmt.Sprintf("%s %s %s", mark, findings.Millis(c.LatencyP50Ms), cell(ex))
}

// points is a difference of rates in percentage points.
func points(x float64) string { return fmt.Sprintf("%+.0f pt", 100*x) }

func pval(p float64) string {
	if p < 0.001 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.3f", p)
}
