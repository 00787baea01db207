package executor

import (
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/google/go-cmp/cmp"
)

// TestStreamRates: chunks per second count intervals between text chunks;
// tokens per second spread the server's token count evenly over the chunks
// and leave out the first chunk's share, so that chunks holding several
// tokens (Ollama holds back partial UTF-8) are not taken for one.
func TestStreamRates(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		n           int
		first, last time.Duration
		tokens      int
		chunks      float64
		tokensPerS  float64
	}{
		{0, 0, 0, 0, 0, 0},
		{1, 5 * ms, 5 * ms, 3, 0, 0},       // one chunk: no interval to time
		{2, 0, 100 * ms, 2, 10, 10},        // 1 interval in 0.1 s, a token a chunk
		{5, 10 * ms, 110 * ms, 5, 40, 40},  // 4 intervals in 0.1 s
		{5, 10 * ms, 110 * ms, 10, 40, 80}, // two tokens a chunk: 8 after the first chunk
		{5, 10 * ms, 110 * ms, 3, 40, 0},   // a count below the chunks is not theirs
		{3, 20 * ms, 20 * ms, 3, 0, 0},     // same instant: no rate
		{101, time.Second, 2 * time.Second, 202, 100, 200},
	} {
		clock := streamClock{tokenChunks: c.n, firstText: c.first, lastText: c.last}
		if got := clock.chunkRate(); got != c.chunks {
			t.Errorf("%d chunks %s..%s: %v chunks/s, want %v", c.n, c.first, c.last, got, c.chunks)
		}
		if got := clock.tokenRate(c.tokens); got != c.tokensPerS {
			t.Errorf("%d chunks %s..%s, %d tokens: %v tokens/s, want %v", c.n, c.first, c.last, c.tokens, got, c.tokensPerS)
		}
	}
}

// The clock's definitions on a stream with every kind of chunk: an empty
// one, thinking, answer text, a tool call and the empty final chunk.
func TestStreamClock(t *testing.T) {
	ms := time.Millisecond
	var c streamClock
	call := record.ToolCall{Name: "get_weather"}
	for _, ch := range []struct {
		at  time.Duration
		msg delta
	}{
		{1 * ms, delta{}},
		{2 * ms, delta{Thinking: "Let me"}},
		{3 * ms, delta{Thinking: " see"}},
		{6 * ms, delta{Content: "It is"}},
		{7 * ms, delta{ToolCalls: []record.ToolCall{call}}},
		{8 * ms, delta{}},
	} {
		c.observe(ch.at, ch.msg)
	}
	var m record.Measurement
	c.fill(&m)
	want := record.Measurement{
		TTFCMs: 1, TTFTMs: 2, FirstThinkingMs: 2, FirstContentMs: 6,
		StreamChunks: 3, StreamChunksPerS: 2 / 0.004, // 3 text chunks (the tool call is not one) from 2 ms to 6 ms
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("measurement (-want +got):\n%s", diff)
	}

	// A tool call alone is the first content; with no text there is no stream rate.
	var tc streamClock
	tc.observe(4*ms, delta{ToolCalls: []record.ToolCall{call}})
	tc.observe(5*ms, delta{})

	// So is the first piece of an OpenAI tool call.
	var oc streamClock
	oc.observe(3*ms, delta{ToolCallPart: true})
	oc.observe(4*ms, delta{ToolCallPart: true})
	var om record.Measurement
	oc.fill(&om)
	if diff := cmp.Diff(record.Measurement{TTFCMs: 3, TTFTMs: 3, FirstContentMs: 3}, om); diff != "" {
		t.Errorf("OpenAI tool-call stream (-want +got):\n%s", diff)
	}
	var tm record.Measurement
	tc.fill(&tm)
	if diff := cmp.Diff(record.Measurement{TTFCMs: 4, TTFTMs: 4, FirstContentMs: 4}, tm); diff != "" {
		t.Errorf("tool-call stream (-want +got):\n%s", diff)
	}
}
