package report

import (
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
)

// The run markdown shows the latencies behind TTFT and the stream rate next
// to Ollama's, and leaves them out for runs stored without them.
func TestRunMarkdownLatencies(t *testing.T) {
	sum := record.Summary{Headline: record.Headline{TTFTP50Ms: 12, GenTPS: 950}, TTFTP95Ms: 20, TTFCP50Ms: 11, FirstContentP50Ms: 12, StreamTPS: 900, PromptTPS: 400}
	md := RunMarkdown(record.Run{ID: "r1", Model: "tiny-m", Summary: &sum})
	for _, want := range []string{
		"| TTFT p50 / p95 | 12.0 ms / 20.0 ms (p50 first chunk 11.0 ms, first content 12.0 ms) |",
		"| generation / prompt tokens/s (median) | 950 (stream 900) / 400 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	sum.FirstThinkingP50Ms = 5
	if md := RunMarkdown(record.Run{Summary: &sum}); !strings.Contains(md, "first chunk 11.0 ms, first thinking 5.0 ms, first content 12.0 ms)") {
		t.Errorf("thinking run:\n%s", md)
	}
	old := record.Summary{Headline: record.Headline{TTFTP50Ms: 12, GenTPS: 950}, TTFTP95Ms: 20, PromptTPS: 400}
	md = RunMarkdown(record.Run{Summary: &old})
	for _, want := range []string{"| TTFT p50 / p95 | 12.0 ms / 20.0 ms |", "| generation / prompt tokens/s (median) | 950 / 400 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("old run's markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestCostLines: a run and a comparison with prices say what they cost;
// without prices they say nothing of it.
func TestCostLines(t *testing.T) {
	price := &record.Price{InputPerM: 2, OutputPerM: 8}
	run := record.Run{ID: "r1", Model: "gpt-x", Suite: "s", Host: "cloud", Engine: "openai", Price: price, Status: record.StatusCompleted,
		Summary: &record.Summary{Cost: &record.Cost{USD: 0.0123, PerTaskUSD: 0.00123, InputTokens: 1000, OutputTokens: 1287}}}
	md := RunMarkdown(run)
	for _, want := range []string{"(OpenAI-compatible)", "| cost at 2 / 8 USD per M tokens in / out | $0.0123 ($0.00123 per task; 1000 in, 1287 out tokens) |"} {
		if !strings.Contains(md, want) {
			t.Errorf("run report lacks %q:\n%s", want, md)
		}
	}
	run.Price, run.Summary.Cost, run.Engine = nil, nil, ""
	if md := RunMarkdown(run); strings.Contains(md, "cost") || !strings.Contains(md, "(Ollama -)") {
		t.Errorf("a run without a price:\n%s", md)
	}
	cmpMD := CompareMarkdown("c", compare.Result{Variants: []compare.VariantSummary{
		{Label: "local", Model: "tiny-s"},
		{Label: "cloud", Model: "gpt-x", Cost: &record.Cost{USD: 1.5, PerTaskUSD: 0.15}},
	}})
	if !strings.Contains(cmpMD, "Cost at the prices given for their hosts: cloud $1.50 ($0.15 per task); $1.50 in all.") {
		t.Errorf("comparison report:\n%s", cmpMD)
	}
}
