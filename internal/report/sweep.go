package report

import (
	"fmt"
	"strings"

	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/sweep"
)

// MaxSweepRows is the most cells the sweep markdown lists; the structured
// result has them all.
const MaxSweepRows = 40

// SweepMarkdown renders a sweep: the choice, the best cell per objective,
// a table of the cells, the Pareto frontier, the marginal effects and notes.
func SweepMarkdown(title string, r sweep.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", title)
	if r.Choice != nil {
		fmt.Fprintf(&b, "**Choice:** %s.\n\n", r.Choice.Reason)
	}
	if len(r.Best) > 0 {
		b.WriteString("| objective | best cell | value (95% CI) | not told apart from |\n|---|---|---|---|\n")
		for _, x := range r.Best {
			tied := "-"
			if n := len(x.Tied); n > 0 {
				tied = strings.Join(x.Tied[:min(n, 4)], ", ")
				if n > 4 {
					tied += fmt.Sprintf(" and %d more", n-4)
				}
			}
			fmt.Fprintf(&b, "| %s (%s is better) | %s | %s (%s to %s) | %s |\n", x.Objective, x.Better, x.Label,
				metricText(x.Objective, x.Value), metricText(x.Objective, x.CI.Lo), metricText(x.Objective, x.CI.Hi), tied)
		}
		b.WriteString("\n")
	}
	b.WriteString("| cell | host | status | pass rate (95% CI) | score | TTFT p50 (first chunk) | latency p50 | gen tok/s (stream) | prompt tok/s | points/s | prompt tokens | memory (GPU) | reloads |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i, c := range r.Cells {
		if i == MaxSweepRows {
			fmt.Fprintf(&b, "\n%d more cells are in the structured result.\n", len(r.Cells)-MaxSweepRows)
			break
		}
		s := c.Summary
		fmt.Fprintf(&b, "| %s | %s | %s | %s (%s–%s) | %.3f | %s (%s) | %s | %.0f (%.0f) | %.0f | %.2f | %.0f | %s | %d |\n",
			c.Label, orDash(c.Host), c.Status, findings.Percent(s.PassRate), findings.Percent(s.PassRateCI.Lo), findings.Percent(s.PassRateCI.Hi), s.MeanScore,
			findings.Millis(s.TTFTP50Ms), findings.Millis(s.TTFCP50Ms), findings.Millis(s.LatencyP50Ms), s.GenTPS, s.StreamTPS, s.PromptTPS, s.PointsPerSecond, s.PromptTokens, Memory(s.Memory), s.Reloads)
	}
	if len(r.Pareto.Optimal) > 0 {
		fmt.Fprintf(&b, "\nPareto frontier (pass rate vs %s): %s.\n", r.Pareto.Cost, strings.Join(r.Pareto.Optimal, "; "))
	}
	if len(r.Effects) > 0 {
		b.WriteString("\nMarginal effects (cells paired that differ only on the axis; p per effect, Holm-adjusted in the result):\n\n")
		for _, e := range r.Effects {
			fmt.Fprintf(&b, "- %s\n", e.Text)
		}
	}
	for _, c := range r.Cells {
		if c.Stopped != "" {
			fmt.Fprintf(&b, "\n%s stopped early: %s.", c.Label, c.Stopped)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s.", n)
	}
	b.WriteString("\n")
	return b.String()
}

// SweepPlanMarkdown renders a sweep's dry run.
func SweepPlanMarkdown(p sweep.Plan, cells []sweep.Cell) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Sweep plan: %d cells, %d calls (+%d warm-up), %d model loads", p.Cells, p.Calls, p.WarmupCalls, p.Loads)
	if p.EstimatedSeconds > 0 {
		fmt.Fprintf(&b, ", about %s", dur(p.EstimatedSeconds))
	}
	b.WriteString("\n\nNothing was stored.\n\n| host | cells | calls | loads | models | estimate |\n|---|---|---|---|---|---|\n")
	for _, h := range p.Hosts {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s |\n", h.Host, h.Cells, h.Calls, h.Loads, strings.Join(h.Models, ", "), dur(h.EstimatedSeconds))
	}
	if len(p.Probes) > 0 {
		b.WriteString("\nProbe calls (one per model and host): ")
		var parts []string
		for _, pr := range p.Probes {
			parts = append(parts, fmt.Sprintf("%s on %s %s (load %s)", pr.Model, pr.Host, findings.Millis(pr.WallMs), findings.Millis(pr.LoadMs)))
		}
		b.WriteString(strings.Join(parts, "; ") + ".\n")
	}
	b.WriteString("\nCells: ")
	var labels []string
	for i, c := range cells {
		if i == MaxSweepRows {
			labels = append(labels, fmt.Sprintf("and %d more", len(cells)-MaxSweepRows))
			break
		}
		labels = append(labels, c.Label)
	}
	b.WriteString(strings.Join(labels, "; ") + ".\n")
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "\nNote: %s.", n)
	}
	b.WriteString("\n")
	return b.String()
}

func metricText(name string, v float64) string {
	switch name {
	case sweep.PassRate:
		return findings.Percent(v)
	case sweep.MeanScore:
		return fmt.Sprintf("%.3f", v)
	case sweep.TTFTP50, sweep.LatencyP50:
		return findings.Millis(v)
	case sweep.PointsPerSec:
		return fmt.Sprintf("%.2f/s", v)
	}
	return fmt.Sprintf("%.0f tok/s", v)
}

// Memory renders a model's memory: its size and the share on the GPU.
func Memory(m *record.Memory) string {
	if m == nil {
		return "-"
	}
	return fmt.Sprintf("%s (%.0f%% GPU)", bytesText(m.SizeBytes), 100*m.GPUShare)
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
}
