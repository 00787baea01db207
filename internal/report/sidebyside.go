package report

import (
	"fmt"
	"html"
	"slices"
	"strings"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
)

// SideBySide is what the side-by-side artifact shows: a comparison's
// result, every variant's samples, and each task's prompt.
type SideBySide struct {
	Title    string
	Result   compare.Result
	Variants []compare.Variant
	Prompts  map[string]string // task id: prompt
}

// sbsCell is one variant on one task, as the artifact shows it.
type sbsCell struct {
	Label     string
	Passed    int
	Samples   int
	LatencyMs float64
	Tokens    float64 // mean output tokens
	Why       string  // why the first failing iteration failed
	Output    string  // the first iteration's full answer
	Iteration int
}

// sbsTask is one task across the variants.
type sbsTask struct {
	ID, Category, Prompt string
	Cells                []sbsCell
	Winner, WinnerWhy    string
}

func (s SideBySide) tasks() []sbsTask {
	per := make([]map[string][]record.Sample, len(s.Variants))
	for i, v := range s.Variants {
		per[i] = map[string][]record.Sample{}
		for _, smp := range v.Samples {
			per[i][smp.TaskID] = append(per[i][smp.TaskID], smp)
		}
	}
	var out []sbsTask
	for _, row := range s.Result.Tasks {
		t := sbsTask{ID: row.Task, Category: row.Category, Prompt: s.Prompts[row.Task], Winner: row.Winner}
		for i, v := range s.Variants {
			t.Cells = append(t.Cells, sbsCellOf(v.Label, per[i][row.Task]))
		}
		t.WinnerWhy = winnerWhy(row, t.Cells)
		out = append(out, t)
	}
	return out
}

func sbsCellOf(label string, samples []record.Sample) sbsCell {
	c := sbsCell{Label: label, Samples: len(samples)}
	samples = slices.Clone(samples)
	slices.SortFunc(samples, func(a, b record.Sample) int { return a.Iteration - b.Iteration })
	var lat, tok []float64
	for _, smp := range samples {
		if smp.Pass {
			c.Passed++
		} else if c.Why == "" {
			c.Why = failReason(smp)
		}
		if smp.Error == "" {
			lat = append(lat, smp.WallMs)
		}
		tok = append(tok, float64(smp.EvalTokens))
	}
	if len(samples) > 0 {
		c.Output, c.Iteration = samples[0].Output, samples[0].Iteration
	}
	c.LatencyMs, c.Tokens = stats.Median(lat), stats.Mean(tok)
	return c
}

// failReason is why a sample failed: its error, else its first failing
// check that counts.
func failReason(smp record.Sample) string {
	if smp.Error != "" {
		return "error: " + smp.Error
	}
	for _, c := range smp.Checks {
		if !c.Pass && !c.Skipped && !c.Advisory {
			if c.Reason != "" {
				return c.Type + ": " + c.Reason
			}
			return c.Type + " failed"
		}
	}
	return "failed"
}

// winnerWhy says why the winner won: the pass rates, or for a tie what
// the tied variants share and which was faster.
func winnerWhy(row compare.TaskRow, cells []sbsCell) string {
	verdicts := make([]string, len(cells))
	for i, c := range cells {
		verdicts[i] = fmt.Sprintf("%s %d/%d", c.Label, c.Passed, c.Samples)
	}
	switch row.Winner {
	case "":
		return "no variant has samples of this task"
	case compare.Tie:
		fastest := -1
		for i, c := range cells {
			if c.Samples > 0 && c.LatencyMs > 0 && (fastest < 0 || c.LatencyMs < cells[fastest].LatencyMs) {
				fastest = i
			}
		}
		why := "tie on pass rate and score (" + strings.Join(verdicts, ", ") + ")"
		if fastest >= 0 {
			why += fmt.Sprintf("; fastest: %s at %s", cells[fastest].Label, findings.Millis(cells[fastest].LatencyMs))
		}
		return why
	}
	for _, v := range row.Variants {
		if v.Label == row.Winner {
			others := 0
			for _, o := range row.Variants {
				if o.Label != v.Label && o.PassRate == v.PassRate {
					others++
				}
			}
			if others > 0 {
				return fmt.Sprintf("same pass rate, higher mean score (%.2f); %s", v.MeanScore, strings.Join(verdicts, ", "))
			}
		}
	}
	return "higher pass rate: " + strings.Join(verdicts, ", ")
}

// fence is a code fence longer than any run of backticks in s, so that an
// answer's own code blocks stay inside it.
func fence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// SideBySideMarkdown is the side-by-side artifact as markdown: a summary
// table, then per task the prompt, each variant's verdict, latency, tokens
// and full answer, and the winner with why.
func SideBySideMarkdown(s SideBySide) string {
	var b strings.Builder
	b.WriteString(artifact.MarkdownHeader)
	fmt.Fprintf(&b, "# %s\n\n", s.Title)
	tasks := s.tasks()
	wins := map[string]int{}
	for _, t := range tasks {
		wins[t.Winner]++
	}
	b.WriteString("| variant | model | pass rate (95% CI) | tasks won | latency p50 | TTFT p50 | gen tok/s |\n|---|---|---|---|---|---|---|\n")
	for _, v := range s.Result.Variants {
		label := v.Label
		if v.Label == s.Result.Baseline {
			label += " (baseline)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s (%s–%s) | %d of %d | %s | %s | %.0f |\n", label, v.Model, findings.Percent(v.PassRate), findings.Percent(v.PassRateCI.Lo), findings.Percent(v.PassRateCI.Hi),
			wins[v.Label], len(tasks), findings.Millis(v.LatencyP50Ms), findings.Millis(v.TTFTP50Ms), v.GenTPS)
	}
	if n := wins[compare.Tie]; n > 0 {
		fmt.Fprintf(&b, "\n%d of %d tasks are ties.\n", n, len(tasks))
	}
	for _, c := range s.Result.Comparisons {
		fmt.Fprintf(&b, "\n- %s vs %s: %s → %s, %s (95%% CI %s to %s), p = %s: **%s**.", c.B, c.A, findings.Percent(c.PassRate.A), findings.Percent(c.PassRate.B),
			points(c.PassRate.Diff), points(c.PassRate.CI.Lo), points(c.PassRate.CI.Hi), pval(c.PAdjusted), c.Verdict)
	}
	if len(s.Result.Comparisons) > 0 {
		b.WriteString("\n")
	}
	for _, t := range tasks {
		fmt.Fprintf(&b, "\n## %s", t.ID)
		if t.Category != "" {
			fmt.Fprintf(&b, " (%s)", t.Category)
		}
		b.WriteString("\n\n")
		if t.Prompt != "" {
			f := fence(t.Prompt)
			fmt.Fprintf(&b, "Prompt:\n\n%stext\n%s\n%s\n\n", f, t.Prompt, f)
		}
		b.WriteString("| variant | verdict | latency p50 | output tokens | why |\n|---|---|---|---|---|\n")
		for _, c := range t.Cells {
			verdict := fmt.Sprintf("%d/%d pass", c.Passed, c.Samples)
			fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %s |\n", c.Label, verdict, findings.Millis(c.LatencyMs), c.Tokens, cellText(orDash(c.Why)))
		}
		for _, c := range t.Cells {
			if c.Samples == 0 {
				continue
			}
			f := fence(c.Output)
			fmt.Fprintf(&b, "\n**%s** (iteration %d):\n\n%s\n%s\n%s\n", c.Label, c.Iteration, f, c.Output, f)
		}
		winner := t.Winner
		if winner == compare.Tie {
			winner = "tie"
		}
		fmt.Fprintf(&b, "\n**Winner: %s**: %s.\n", orDash(winner), t.WinnerWhy)
	}
	return b.String()
}

// cellText makes text safe inside a markdown table cell.
func cellText(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// SideBySideHTML is the side-by-side artifact as a self-contained HTML page:
// the summary, then three inline SVG charts (quality against speed, the
// latency of each call, the pass rate per category), then the tasks.
func SideBySideHTML(s SideBySide) string {
	e := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
%s
<title>%s</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #111; max-width: 1200px; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f8f8f8; border: 1px solid #e5e5e5; padding: 6px; white-space: pre-wrap; margin: 0; }
.pass { color: #15803d; font-weight: bold; }
.fail { color: #b91c1c; font-weight: bold; }
svg.chart { display: block; max-width: 100%%; height: auto; margin: 0.5em 0 1em; }
.answers { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 8px; }
</style>
</head>
<body>
<h1>%s</h1>
`, artifact.HTMLMeta, e(s.Title), e(s.Title))
	tasks := s.tasks()
	wins := map[string]int{}
	for _, t := range tasks {
		wins[t.Winner]++
	}
	b.WriteString("<table id=\"summary\">\n<tr><th>variant</th><th>model</th><th>pass rate</th><th>95% CI</th><th>tasks won</th><th>latency p50</th><th>TTFT p50</th><th>gen tok/s</th></tr>\n")
	for _, v := range s.Result.Variants {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td class=\"num\">%s</td><td class=\"num\">%s–%s</td><td class=\"num\">%d of %d</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%.0f</td></tr>\n",
			e(v.Label), e(v.Model), findings.Percent(v.PassRate), findings.Percent(v.PassRateCI.Lo), findings.Percent(v.PassRateCI.Hi), wins[v.Label], len(tasks), findings.Millis(v.LatencyP50Ms), findings.Millis(v.TTFTP50Ms), v.GenTPS)
	}
	b.WriteString("</table>\n")
	for _, c := range s.Result.Comparisons {
		fmt.Fprintf(&b, "<p>%s vs %s: %s → %s, %s (95%% CI %s to %s), p = %s: <strong>%s</strong>.</p>\n", e(c.B), e(c.A), findings.Percent(c.PassRate.A), findings.Percent(c.PassRate.B),
			points(c.PassRate.Diff), points(c.PassRate.CI.Lo), points(c.PassRate.CI.Hi), pval(c.PAdjusted), e(c.Verdict))
	}
	b.WriteString("<section id=\"charts\">\n<h2>Quality against speed</h2>\n")
	b.WriteString(QualitySpeedChart(s.qualitySpeed()))
	b.WriteString("<h2>Latency per call</h2>\n")
	b.WriteString(LatencyChart(s.latencies()))
	b.WriteString("<h2>Pass rate per category</h2>\n")
	b.WriteString(CategoryChart(s.categories()))
	b.WriteString("</section>\n")
	for _, t := range tasks {
		fmt.Fprintf(&b, "<section class=\"task\" id=\"task-%s\">\n<h2>%s", e(t.ID), e(t.ID))
		if t.Category != "" {
			fmt.Fprintf(&b, " (%s)", e(t.Category))
		}
		b.WriteString("</h2>\n")
		if t.Prompt != "" {
			fmt.Fprintf(&b, "<p>Prompt:</p>\n<pre>%s</pre>\n", e(t.Prompt))
		}
		b.WriteString("<table>\n<tr><th>variant</th><th>verdict</th><th>latency p50</th><th>output tokens</th><th>why</th></tr>\n")
		for _, c := range t.Cells {
			cls := "fail"
			if c.Samples > 0 && c.Passed == c.Samples {
				cls = "pass"
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td class=\"%s\">%d/%d pass</td><td class=\"num\">%s</td><td class=\"num\">%.0f</td><td>%s</td></tr>\n",
				e(c.Label), cls, c.Passed, c.Samples, findings.Millis(c.LatencyMs), c.Tokens, e(orDash(c.Why)))
		}
		b.WriteString("</table>\n<div class=\"answers\">\n")
		for _, c := range t.Cells {
			if c.Samples > 0 {
				fmt.Fprintf(&b, "<div><strong>%s</strong> (iteration %d)<pre>%s</pre></div>\n", e(c.Label), c.Iteration, e(c.Output))
			}
		}
		winner := t.Winner
		if winner == compare.Tie {
			winner = "tie"
		}
		fmt.Fprintf(&b, "</div>\n<p><strong>Winner: %s</strong>: %s.</p>\n</section>\n", e(orDash(winner)), e(t.WinnerWhy))
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

// qualitySpeed is each variant's pass rate, its interval and its latency
// p50, for QualitySpeedChart.
func (s SideBySide) qualitySpeed() []QualitySpeedPoint {
	var out []QualitySpeedPoint
	for _, v := range s.Result.Variants {
		out = append(out, QualitySpeedPoint{Label: v.Label, LatencyMs: v.LatencyP50Ms, PassRate: v.PassRate, Lo: v.PassRateCI.Lo, Hi: v.PassRateCI.Hi})
	}
	return out
}

// latencies are each variant's call latencies, for LatencyChart: the calls
// a summary's latency p50 is taken over (bench.LatencyValue: errors left out).
func (s SideBySide) latencies() []LatencySeries {
	var out []LatencySeries
	for _, v := range s.Variants {
		ls := LatencySeries{Label: v.Label}
		for _, smp := range v.Samples {
			if ms, ok := bench.LatencyValue(smp); ok {
				ls.WallMs = append(ls.WallMs, ms)
			}
		}
		out = append(out, ls)
	}
	return out
}

// categories are each variant's pass rate per category (in name order),
// for CategoryChart. The interval is the one the summaries give the
// overall pass rate: stats.ClusteredWilson, a Wilson interval at the
// task-clustered effective sample size, so that replayed iterations of a
// task do not narrow it (plain Wilson at one iteration).
func (s SideBySide) categories() []CategorySeries {
	var cats []string
	for _, v := range s.Variants {
		for _, smp := range v.Samples {
			if !slices.Contains(cats, smp.Category) {
				cats = append(cats, smp.Category)
			}
		}
	}
	slices.Sort(cats)
	var out []CategorySeries
	for _, v := range s.Variants {
		cs := CategorySeries{Label: v.Label}
		samples := slices.Clone(v.Samples)
		slices.SortStableFunc(samples, func(a, b record.Sample) int { return strings.Compare(a.TaskID, b.TaskID) })
		for _, c := range cats {
			var in []record.Sample
			for _, smp := range samples {
				if smp.Category == c {
					in = append(in, smp)
				}
			}
			if len(in) == 0 {
				continue
			}
			r := stats.ClusteredWilson(bench.Clusters(in, bench.PassValue), 0.95)
			cs.Rates = append(cs.Rates, CategoryRate{Category: c, PassRate: r.Rate, Lo: r.CI.Lo, Hi: r.CI.Hi})
		}
		out = append(out, cs)
	}
	return out
}
