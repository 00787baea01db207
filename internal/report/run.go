// Package report renders runs and comparisons as markdown for people and
// for agents to paste into findings.
package report

import (
	"fmt"
	"strings"

	"github.com/benchmcp/benchmcp/internal/record"
)

// RunMarkdown is the summary of one run: headline numbers, the per-category
// and per-task tables, and what went wrong.
func RunMarkdown(run record.Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s on %s: %s\n\n", run.Model, run.Suite, run.Status)
	fmt.Fprintf(&b, "run `%s` · host %s (Ollama %s) · %s %s %s · suite hash %s\n\n",
		run.ID, run.Host, orDash(run.OllamaVersion), orDash(run.ModelInfo.ParameterSize), orDash(run.ModelInfo.Quantization), short(run.ModelInfo.Digest), run.SuiteHash)
	s := run.Summary
	if s == nil {
		b.WriteString("No summary: the run has not finished.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "| metric | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| pass rate | **%s** (%d/%d, 95%% CI %s–%s) |\n", pct(s.PassRate), s.Passed, s.Samples, pct(s.PassRateCI.Lo), pct(s.PassRateCI.Hi))
	fmt.Fprintf(&b, "| mean score | %.3f (95%% CI %.3f–%.3f) |\n", s.MeanScore, s.MeanScoreCI.Lo, s.MeanScoreCI.Hi)
	fmt.Fprintf(&b, "| latency p50 / p95 / p99 | %s / %s / %s |\n", msec(s.LatencyP50Ms), msec(s.LatencyP95Ms), msec(s.LatencyP99Ms))
	fmt.Fprintf(&b, "| TTFT p50 / p95 | %s / %s |\n", msec(s.TTFTP50Ms), msec(s.TTFTP95Ms))
	fmt.Fprintf(&b, "| generation / prompt tokens/s (median) | %.0f / %.0f |\n", s.GenTPS, s.PromptTPS)
	fmt.Fprintf(&b, "| points per second | %.2f (wall %.1f s) |\n", s.PointsPerSecond, s.WallSeconds)
	fmt.Fprintf(&b, "| runaway / truncated / empty / errors | %d / %d / %d / %d |\n", s.Runaway, s.Truncated, s.Empty, s.Errors)
	if s.Reloads > 0 {
		fmt.Fprintf(&b, "| model reloads during the run | %d (their latency includes the load; raise OLLAMA_MAX_LOADED_MODELS or run fewer models at once) |\n", s.Reloads)
	}
	if s.JudgeAgreement != nil {
		fmt.Fprintf(&b, "| judge agrees with deterministic checks | %s |\n", pct(*s.JudgeAgreement))
	}
	if len(s.Categories) > 0 {
		b.WriteString("\n| category | pass | score | p50 | flip rate |\n|---|---|---|---|---|\n")
		for _, c := range s.Categories {
			fmt.Fprintf(&b, "| %s | %s (%d/%d) | %.2f | %s | %.2f |\n", c.ID, pct(c.PassRate), c.Passed, c.Samples, c.MeanScore, msec(c.LatencyP50Ms), c.FlipRate)
		}
	}
	var failing []record.TaskSummary
	for _, t := range s.Tasks {
		if t.Passed < t.Samples {
			failing = append(failing, t)
		}
	}
	if len(failing) > 0 {
		b.WriteString("\nTasks that did not always pass:\n\n| task | pass | answer (first iteration) |\n|---|---|---|\n")
		for i, t := range failing {
			if i == 15 {
				fmt.Fprintf(&b, "| … %d more | | |\n", len(failing)-15)
				break
			}
			fmt.Fprintf(&b, "| %s | %d/%d | %s |\n", t.ID, t.Passed, t.Samples, cell(t.Excerpt))
		}
	}
	if run.Error != "" {
		fmt.Fprintf(&b, "\nError: %s\n", run.Error)
	}
	return b.String()
}

func pct(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

func msec(x float64) string {
	if x >= 1000 {
		return fmt.Sprintf("%.2f s", x/1000)
	}
	return fmt.Sprintf("%.1f ms", x)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return orDash(digest)
}

// cell makes text safe inside a markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	if s == "" {
		return "(empty)"
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}
