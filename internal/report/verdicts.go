package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/findings"
)

// VerdictsMarkdown is a comparison's side-by-side verdicts in brief: the
// summary table, each variant against the baseline as its test gives it,
// then per task each variant's result, the winner and why. taskPrompts
// (task id: prompt, may be nil) adds the start of each task's prompt.
func VerdictsMarkdown(r compare.Result, taskPrompts map[string]string) string {
	var b strings.Builder
	wins := map[string]int{}
	for _, t := range r.Tasks {
		wins[t.Winner]++
	}
	b.WriteString("| variant | model | pass rate (95% CI) | tasks won | latency p50 | TTFT p50 | gen tok/s | points/s |\n|---|---|---|---|---|---|---|---|\n")
	for _, v := range r.Variants {
		label := v.Label
		if v.Label == r.Baseline {
			label += " (baseline)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s (%s–%s) | %d of %d | %s | %s | %.0f | %.2f |\n", cellText(label), cellText(v.Model), findings.Percent(v.PassRate), findings.Percent(v.PassRateCI.Lo), findings.Percent(v.PassRateCI.Hi),
			wins[v.Label], len(r.Tasks), findings.Millis(v.LatencyP50Ms), findings.Millis(v.TTFTP50Ms), v.GenTPS, v.PointsPerSecond)
	}
	fmt.Fprintf(&b, "\nTies: %d of %d tasks.\n\n", wins[compare.Tie], len(r.Tasks))
	for _, c := range r.Comparisons {
		fmt.Fprintf(&b, "- %s against %s: %s → %s, %s (95%% CI %s to %s), Holm-adjusted p = %s, MDE %.0f pts: **%s**.\n", c.B, c.A, findings.Percent(c.PassRate.A), findings.Percent(c.PassRate.B),
			findings.SignedPoints(c.PassRate.Diff), findings.SignedPoints(c.PassRate.CI.Lo), findings.SignedPoints(c.PassRate.CI.Hi), pval(c.PAdjusted), 100*c.Power.MDE, c.Verdict)
	}
	if len(r.Tasks) == 0 {
		return b.String()
	}
	b.WriteString("\n| task |")
	for _, v := range r.Variants {
		fmt.Fprintf(&b, " %s |", cellText(v.Label))
	}
	b.WriteString(" winner | why |\n|---|" + strings.Repeat("---|", len(r.Variants)+2) + "\n")
	for _, t := range r.Tasks {
		name := t.Task
		if t.Category != "" {
			name += " (" + t.Category + ")"
		}
		if p := taskPrompts[t.Task]; p != "" {
			if rs := []rune(strings.Join(strings.Fields(p), " ")); len(rs) > 60 {
				p = string(rs[:59]) + "…"
			}
			name += ": " + p
		}
		fmt.Fprintf(&b, "| %s |", cellText(name))
		for _, c := range t.Variants {
			fmt.Fprintf(&b, " %s |", verdictCell(c))
		}
		winner := t.Winner
		if winner == "" {
			winner = "-"
		}
		fmt.Fprintf(&b, " %s | %s |\n", cellText(winner), cellText(TaskWhy(t)))
	}
	return b.String()
}

// verdictCell is one variant on one task: passes, score, latency, answer.
func verdictCell(c compare.TaskCell) string {
	if c.Samples == 0 {
		return "-"
	}
	ex := c.Excerpt
	if r := []rune(ex); len(r) > 30 {
		ex = string(r[:29]) + "…"
	}
	return fmt.Sprintf("%d/%d pass, score %.2f, %s, %s", passes(c), c.Samples, c.MeanScore, findings.Millis(c.LatencyP50Ms), cell(ex))
}

func passes(c compare.TaskCell) int { return int(math.Round(c.PassRate * float64(c.Samples))) }

// TaskWhy says why a task's winner won, from the row alone: the pass
// rates, the mean scores when the pass rates tie, and for a tie which
// tied variant was fastest.
func TaskWhy(row compare.TaskRow) string {
	var verdicts []string
	for _, c := range row.Variants {
		if c.Samples > 0 {
			verdicts = append(verdicts, fmt.Sprintf("%s %d/%d", c.Label, passes(c), c.Samples))
		}
	}
	switch row.Winner {
	case "":
		return "no variant has samples of this task"
	case compare.Tie:
		var best *compare.TaskCell
		for i, c := range row.Variants {
			if c.Samples > 0 && (best == nil || c.PassRate > best.PassRate || (c.PassRate == best.PassRate && c.MeanScore > best.MeanScore)) {
				best = &row.Variants[i]
			}
		}
		fastest := -1
		for i, c := range row.Variants {
			if c.Samples > 0 && c.PassRate == best.PassRate && c.MeanScore == best.MeanScore && c.LatencyP50Ms > 0 &&
				(fastest < 0 || c.LatencyP50Ms < row.Variants[fastest].LatencyP50Ms) {
				fastest = i
			}
		}
		why := "tie on pass rate and score (" + strings.Join(verdicts, ", ") + ")"
		if fastest >= 0 {
			why += fmt.Sprintf("; fastest of the tied: %s at %s", row.Variants[fastest].Label, findings.Millis(row.Variants[fastest].LatencyP50Ms))
		}
		return why
	}
	var win compare.TaskCell
	for _, c := range row.Variants {
		if c.Label == row.Winner {
			win = c
		}
	}
	var same []string
	for _, c := range row.Variants {
		if c.Label != win.Label && c.Samples > 0 && c.PassRate == win.PassRate {
			same = append(same, fmt.Sprintf("%s %.2f", c.Label, c.MeanScore))
		}
	}
	if len(same) > 0 {
		return fmt.Sprintf("same pass rate (%s), higher mean score: %s %.2f against %s", strings.Join(verdicts, ", "), win.Label, win.MeanScore, strings.Join(same, ", "))
	}
	return "higher pass rate: " + strings.Join(verdicts, ", ")
}
