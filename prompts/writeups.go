package prompts

import (
	"fmt"
	"strings"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/report"
)

// useOnly is the rule every write-up prompt ends its instructions with.
const useOnly = "Use only the numbers below: every number you write must appear in them, rounded as they are. " +
	"Call a difference real only where the data says it is significant (better, worse or collapse); otherwise write \"no clear difference\" and give the minimum detectable effect (MDE). " +
	"Speeds are medians and are not tested: say faster or slower, not significantly so."

// PlanBenchmark is the plan_benchmark prompt: the power numbers of a
// planned run of model (the MDE of the design, the tasks or iterations a
// plan.Power.Effect difference needs) and the steps to run it.
func PlanBenchmark(model, goal string, plan bench.Plan) string {
	if goal == "" {
		goal = "find out whether it is good enough for my tasks and how fast it is"
	}
	p := plan.Power
	effect := fmt.Sprintf("%.0f-point", 100*p.Effect)
	var b strings.Builder
	fmt.Fprintf(&b, "I want to benchmark the local model %s on Ollama: %s.\n\n", model, goal)
	basis := p.Basis
	if basis == "assumed" {
		basis = "assumed: no stored run of this suite shows its variance yet"
	}
	fmt.Fprintf(&b, "benchmcp worked out this design without running anything (variance %s). %s\n\n", basis, useOnly)
	fmt.Fprintf(&b, "- Design: suite %s, %d tasks × %d iterations = %d calls per variant.\n", plan.Suite, plan.Tasks, plan.Iterations, plan.Tasks*plan.Iterations)
	fmt.Fprintf(&b, "- A paired comparison on it detects differences of **%.0f points** or more (MDE at 80%% power, alpha 0.05).\n", 100*p.MDE)
	switch {
	case p.MDE <= p.Effect:
		fmt.Fprintf(&b, "- That is enough for a %s difference; %d tasks would do at %d iterations.\n", effect, p.TasksNeeded, plan.Iterations)
	case p.IterationsNeeded > 0:
		fmt.Fprintf(&b, "- A %s difference needs **%d tasks** at %d iterations, or **%d iterations** on these %d tasks.\n", effect, p.TasksNeeded, plan.Iterations, p.IterationsNeeded, plan.Tasks)
	default:
		fmt.Fprintf(&b, "- A %s difference needs **%d tasks** at %d iterations; no number of iterations on these %d tasks reaches it.\n", effect, p.TasksNeeded, plan.Iterations, plan.Tasks)
	}
	b.WriteString("\n" + report.PlanMarkdown(plan) + "\n")
	fmt.Fprintf(&b, "Now:\n\n"+
		"1. Say in two sentences whether this design can answer the goal: if the difference that matters is smaller than %.0f points, pick the cheapest row of the table that reaches it and say what it costs in calls.\n"+
		"2. Run it: run_benchmark with model=%s, suite=%s and iterations=%d (or the design you picked; plan=true checks it first). Read the pass rate with its interval, pass^k, the runaway/truncated/empty counts and power.advice.\n"+
		"3. If a baseline or another model is in question, call compare_models with both as variants on the same suite and seeds, and report the paired verdict with its interval and MDE, not just the averages.\n"+
		"4. Then use the write_findings prompt with the comparison_id to write the findings.",
		100*p.MDE, model, plan.Suite, plan.Iterations)
	return b.String()
}

// WriteFindings is the write_findings prompt: a findings report in the
// Chimera report's shape (executive summary, three recommendations that
// balance throughput, TTFT and quality, a risk/mitigation table), to be
// written from the deterministic write-up w of subject, which it embeds.
func WriteFindings(subject string, w findings.Writeup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Write the findings report of %s for the people who will choose a model, from the facts below. %s\n\n", subject, useOnly)
	b.WriteString("The report has three parts:\n\n" +
		"1. **Executive summary**: 2-4 sentences with the headline numbers (pass rates with their intervals, the verdicts, TTFT and throughput).\n" +
		"2. **Recommendations**: exactly three, one each for quality-critical work, latency-sensitive work (TTFT) and throughput-bound batch work (points/s, tokens/s); each names the variant, the numbers that support it and what it gives up against the others, citing the findings by number.\n" +
		"3. **Risks**: a table | risk | evidence | mitigation | with the risks below, and none that the facts do not show.\n\n")
	b.WriteString("Facts (benchmcp's deterministic findings write-up; its recommendations are a starting point, its numbers are final):\n\n")
	b.WriteString(report.FindingsMarkdown(w))
	return b.String()
}

// CompareWriteup is the compare_writeup prompt: the side-by-side verdicts
// of subject (per task the winner and why, then the summary table), from
// the comparison r; taskPrompts (task id: prompt, may be nil) names the tasks.
func CompareWriteup(subject string, r compare.Result, taskPrompts map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Write the side-by-side verdicts of %s from the data below. %s\n\n", subject, useOnly)
	b.WriteString("1. Per task, one line: the task, the winner (or tie) and why, from the per-variant verdicts, scores and latencies in its row.\n" +
		"2. The summary table as given, with the tasks each variant won.\n" +
		"3. One closing line per comparison with its verdict exactly as given: a per-task win is not a significant difference.\n\n")
	b.WriteString("Data (benchmcp's comparison; baseline " + r.Baseline + "):\n\n")
	b.WriteString(report.VerdictsMarkdown(r, taskPrompts))
	return b.String()
}
