// Package prompts holds the preamble library (named system prompts a run can
// use by name) and the texts of the MCP prompts the server offers.
package prompts

import (
	"embed"
	"path"
	"sort"
	"strings"
)

//go:embed preambles/*.md
var files embed.FS

// Preamble returns a named preamble's text.
func Preamble(name string) (string, bool) {
	b, err := files.ReadFile(path.Join("preambles", name+".md"))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// Names lists the preamble library.
func Names() []string {
	entries, _ := files.ReadDir("preambles")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".md"))
	}
	sort.Strings(names)
	return names
}

// Resolve turns a preamble argument into text: a library name gives that
// preamble (and its name), anything else is the preamble text itself.
func Resolve(arg string) (text, name string) {
	arg = strings.TrimSpace(arg)
	if t, ok := Preamble(arg); ok {
		return t, arg
	}
	return arg, ""
}

// BenchmarkPlan is the MCP prompt that walks an agent through benchmarking
// a model with the tools.
func BenchmarkPlan(model, goal string) string {
	if goal == "" {
		goal = "find out whether it is good enough for my tasks and how fast it is"
	}
	return "I want to benchmark the local model " + model + " on Ollama: " + goal + ".\n\n" +
		"1. Call run_benchmark with model=" + model + ", a suite that fits (built-in: tiny, coding, tool-use, review; or a suite file) and plan=true first: it says, without calling the model, how small a difference that many tasks and iterations can detect.\n" +
		"2. Run it with iterations=3 (each iteration gets its own seed; give seed=<n> to make it reproducible). Read the pass rate with its task-clustered interval, pass^k (all iterations pass: reliability), the per-category table, the flip rate, varied_tasks (did iterations differ at all?), the runaway/truncated/empty counts, and power.advice.\n" +
		"3. If a baseline or a bigger model is in question, call compare_models with both as variants on the same suite and report the paired verdict over tasks with its interval and the minimum detectable effect, not just the averages; \"no clear difference\" with a large MDE means the design could not tell.\n" +
		"4. Summarise in a short findings note: what the model is good and bad at, its speed (TTFT, tokens/s), and what you recommend."
}
