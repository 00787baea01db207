package executor

import (
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/google/go-cmp/cmp"
)

func TestStreamTPS(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		n           int
		first, last time.Duration
		want        float64
	}{
		{0, 0, 0, 0},
		{1, 5 * ms, 5 * ms, 0},     // one chunk: no interval to time
		{2, 0, 100 * ms, 10},       // 1 interval in 0.1 s
		{5, 10 * ms, 110 * ms, 40}, // 4 intervals in 0.1 s
		{3, 20 * ms, 20 * ms, 0},   // same instant: no rate
		{101, time.Second, 2 * time.Second, 100},
	} {
		if got := streamTPS(c.n, c.first, c.last); got != c.want {
			t.Errorf("streamTPS(%d, %s, %s) = %v, want %v", c.n, c.first, c.last, got, c.want)
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
		StreamTPS: 2 / 0.004, // 3 text chunks (the tool call is not one) from 2 ms to 6 ms
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
