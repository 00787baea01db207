// Package report renders runs, comparisons, sweeps, analyses, routing
// evaluations and findings write-ups as markdown for people and agents, and
// as self-contained HTML pages with SVG charts. What a write-up says is
// package findings' decision; where a report file goes is package artifact's.
package report

import (
	"fmt"
	"strings"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/record"
)

// USD writes a dollar amount with the precision a small one needs.
func USD(v float64) string {
	if v != 0 && v < 1 {
		return fmt.Sprintf("$%.3g", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// RunMarkdown is the summary of one run: headline numbers, the per-category
// and per-task tables, and what went wrong.
func RunMarkdown(run record.Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s on %s: %s\n\n", run.Model, run.Suite, run.Status)
	server := "Ollama " + orDash(run.OllamaVersion)
	if run.Engine != "" {
		server = "OpenAI-compatible"
	}
	fmt.Fprintf(&b, "run `%s` · host %s (%s) · %s %s %s · suite hash %s\n\n",
		run.ID, run.Host, server, orDash(run.ModelInfo.ParameterSize), orDash(run.ModelInfo.Quantization), short(run.ModelInfo.Digest), run.SuiteHash)
	s := run.Summary
	if s == nil {
		b.WriteString("No summary: the run has not finished.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "| metric | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| pass rate | **%s** (%d/%d, 95%% CI %s–%s%s) |\n", findings.Percent(s.PassRate), s.Passed, s.Samples, findings.Percent(s.PassRateCI.Lo), findings.Percent(s.PassRateCI.Hi), clustered(*s))
	if s.Seeds != nil {
		fmt.Fprintf(&b, "| seeds | %s |\n", seedLine(*s))
	}
	for _, k := range s.PassK {
		if k.K == s.Iterations {
			fmt.Fprintf(&b, "| pass@%d / pass^%d (any / all of %d tries pass) | %s / %s |\n", k.K, k.K, k.K, findings.Percent(k.PassAtK), findings.Percent(k.PassHatK))
		}
	}
	if p := s.Power; p != nil {
		fmt.Fprintf(&b, "| minimum detectable difference (80%% power) | %.0f points |\n", 100*p.MDE)
	}
	fmt.Fprintf(&b, "| mean score | %.3f (95%% CI %.3f–%.3f) |\n", s.MeanScore, s.MeanScoreCI.Lo, s.MeanScoreCI.Hi)
	fmt.Fprintf(&b, "| latency p50 / p95 / p99 | %s / %s / %s |\n", findings.Millis(s.LatencyP50Ms), findings.Millis(s.LatencyP95Ms), findings.Millis(s.LatencyP99Ms))
	fmt.Fprintf(&b, "| TTFT p50 / p95 | %s / %s%s |\n", findings.Millis(s.TTFTP50Ms), findings.Millis(s.TTFTP95Ms), firstChunks(*s))
	fmt.Fprintf(&b, "| generation / prompt tokens/s (median) | %.0f%s / %.0f |\n", s.GenTPS, streamRate(*s), s.PromptTPS)
	fmt.Fprintf(&b, "| points per second | %.2f (wall %.1f s) |\n", s.PointsPerSecond, s.WallSeconds)
	if s.ThroughputTPS > 0 {
		fmt.Fprintf(&b, "| throughput, all calls together | %.0f output tokens/s (%.1f calls in flight on average) |\n", s.ThroughputTPS, s.InFlight)
	}
	if c := s.Cost; c != nil && run.Price != nil {
		fmt.Fprintf(&b, "| cost at %g / %g USD per M tokens in / out | %s (%s per task; %d in, %d out tokens) |\n",
			run.Price.InputPerM, run.Price.OutputPerM, USD(c.USD), USD(c.PerTaskUSD), c.InputTokens, c.OutputTokens)
	}
	fmt.Fprintf(&b, "| runaway / truncated / empty / errors | %d / %d / %d / %d |\n", s.Runaway, s.Truncated, s.Empty, s.Errors)
	if m := bench.Machine(s.Faults, s.Retried); m != "" {
		fmt.Fprintf(&b, "| failures of the machine | %s |\n", m)
	}
	if s.Memory != nil {
		fmt.Fprintf(&b, "| model memory once loaded (Ollama /api/ps) | %s |\n", Memory(s.Memory))
	}
	if s.Reloads > 0 {
		fmt.Fprintf(&b, "| model reloads during the run | %d (their latency includes the load; raise OLLAMA_MAX_LOADED_MODELS or run fewer models at once) |\n", s.Reloads)
	}
	if s.JudgeAgreement != nil {
		fmt.Fprintf(&b, "| judge agrees with deterministic checks | %s |\n", findings.Percent(*s.JudgeAgreement))
	}
	if s.Funnel != nil {
		fmt.Fprintf(&b, "| agentic tool use | %s |\n", FunnelLine(s.Funnel))
	}
	if len(s.Categories) > 0 {
		b.WriteString("\n| category | pass | score | p50 | flip rate |\n|---|---|---|---|---|\n")
		for _, c := range s.Categories {
			fmt.Fprintf(&b, "| %s | %s (%d/%d) | %.2f | %s | %.2f |\n", c.ID, findings.Percent(c.PassRate), c.Passed, c.Samples, c.MeanScore, findings.Millis(c.LatencyP50Ms), c.FlipRate)
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
	if p := s.Power; p != nil && p.Advice != "" {
		fmt.Fprintf(&b, "\nPower: %s\n", p.Advice)
	}
	if run.Error != "" {
		fmt.Fprintf(&b, "\nError: %s\n", run.Error)
	}
	return b.String()
}

// firstChunks is the medians behind TTFT: the first chunk of any kind, the
// first thinking and the first answer; empty for runs stored without them.
func firstChunks(s record.Summary) string {
	var parts []string
	for _, p := range []struct {
		name string
		ms   float64
	}{{"first chunk", s.TTFCP50Ms}, {"first thinking", s.FirstThinkingP50Ms}, {"first content", s.FirstContentP50Ms}} {
		if p.ms > 0 {
			parts = append(parts, p.name+" "+findings.Millis(p.ms))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (p50 " + strings.Join(parts, ", ") + ")"
}

// streamRate is the median decode speed seen on the stream, next to
// Ollama's: in tokens when the server counted them, and the chunk rate,
// named as chunks.
func streamRate(s record.Summary) string {
	switch {
	case s.StreamTPS > 0 && s.StreamChunksPerS > 0:
		return fmt.Sprintf(" (stream %.0f; %.0f chunks/s)", s.StreamTPS, s.StreamChunksPerS)
	case s.StreamTPS > 0:
		return fmt.Sprintf(" (stream %.0f)", s.StreamTPS)
	case s.StreamChunksPerS > 0:
		return fmt.Sprintf(" (stream %.0f chunks/s)", s.StreamChunksPerS)
	}
	return ""
}

// clustered says, for several iterations, that the interval counts tasks.
func clustered(s record.Summary) string {
	if s.Iterations <= 1 {
		return ""
	}
	return fmt.Sprintf(", clustered on %d tasks: worth %.0f independent samples", s.TaskCount, s.EffectiveN)
}

// seedLine says how the iterations were seeded and whether they differ.
func seedLine(s record.Summary) string {
	seeds := s.Seeds.Seeds
	list := fmt.Sprint(seeds)
	if len(seeds) > 6 {
		list = fmt.Sprintf("%v … (%d)", seeds[:5], len(seeds))
	}
	line := fmt.Sprintf("%s %s", s.Seeds.Mode, list)
	switch {
	case s.Replays:
		line += " — options.seed pins every iteration: the iterations are replays, one sample per task"
	case s.Iterations > 1:
		line += fmt.Sprintf(" — %d of %d tasks gave more than one distinct answer", s.VariedTasks, s.TaskCount)
	}
	return line
}

// PlanMarkdown is a plan: what the run would take and what it could detect.
func PlanMarkdown(p bench.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Plan: %s, %d tasks x %d iterations x %d variant(s)\n\n", p.Suite, p.Tasks, p.Iterations, p.Variants)
	fmt.Fprintf(&b, "%d measured calls", p.Calls)
	if p.EstimatedSeconds > 0 {
		fmt.Fprintf(&b, ", about %s at the stored runs' median latency", dur(p.EstimatedSeconds))
	}
	seeds := fmt.Sprintf("%s %v", p.Seeds.Mode, p.Seeds.Seeds)
	if p.Seeds.Mode == bench.SeedsDrawn {
		seeds = "drawn afresh (and recorded) when the run starts"
	}
	fmt.Fprintf(&b, "; seeds %s. Nothing was run.\n\n", seeds)
	PowerMarkdown(&b, p.Power)
	return b.String()
}

// PowerMarkdown writes a power analysis: the MDE, the advice and the table.
func PowerMarkdown(b *strings.Builder, p record.Power) {
	pts := func(x float64) string { return fmt.Sprintf("%.0f points", 100*x) }
	fmt.Fprintf(b, "Minimum detectable difference at 80%% power: **%s** (%s; within-task variance %.3f, between-task %.3f).\n\n%s\n\n", pts(p.MDE), p.Basis, p.WithinTask, p.BetweenTask, p.Advice)
	fmt.Fprintf(b, "| iterations | MDE with %d tasks | tasks for a %s difference | calls per variant |\n|---|---|---|---|\n", p.Tasks, pts(p.Effect))
	for _, r := range p.Table {
		fmt.Fprintf(b, "| %d | %s | %d | %d |\n", r.Iterations, pts(r.MDE), r.TasksNeeded, r.Calls)
	}
	if p.Assumptions != "" {
		fmt.Fprintf(b, "\nAssumes %s.\n", p.Assumptions)
	}
}

func dur(sec float64) string {
	switch {
	case sec >= 3600:
		return fmt.Sprintf("%.1f h", sec/3600)
	case sec >= 60:
		return fmt.Sprintf("%.0f min", sec/60)
	}
	return fmt.Sprintf("%.0f s", sec)
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

// FunnelLine renders the tool-use funnel on one line, then its failure modes.
func FunnelLine(f *record.Funnel) string {
	line := fmt.Sprintf("%d samples: needed a tool %d -> called one %d -> right tool %d -> valid arguments %d -> used the result %d -> right answer %d",
		f.Samples, f.NeededTool, f.CalledTool, f.RightTool, f.ValidArguments, f.UsedResult, f.RightAnswer)
	if f.NoToolNeeded > 0 {
		line += fmt.Sprintf("; no tool needed %d -> answered without one, right %d", f.NoToolNeeded, f.NoToolRight)
	}
	var modes []string
	for _, m := range f.Failures {
		modes = append(modes, fmt.Sprintf("%s %d (e.g. %s)", m.Mode, m.Count, strings.ReplaceAll(m.Example, "|", "\\|")))
	}
	if len(modes) > 0 {
		line += "; failures: " + strings.Join(modes, "; ")
	}
	return line
}
