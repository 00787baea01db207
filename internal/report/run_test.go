package report

import (
	"strings"
	"testing"

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
