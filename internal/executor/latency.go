package executor

import (
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// streamClock notes when the chunks of one streamed call arrived, on the
// client's clock, as durations since the request was sent. Zero means "not
// seen": every arrival is after the request left.
type streamClock struct {
	chunks        int           // chunks of any kind, empty ones included
	firstChunk    time.Duration // the first chunk of any kind
	firstToken    time.Duration // the first content, thinking or tool-call chunk (TTFT)
	firstThinking time.Duration // the first chunk with thinking text
	firstContent  time.Duration // the first chunk with answer text or a tool call

	tokenChunks int           // chunks with content or thinking text
	firstText   time.Duration // arrival of the first of those
	lastText    time.Duration // arrival of the last of those
}

// observe records one chunk that arrived at.
func (c *streamClock) observe(at time.Duration, msg delta) {
	if c.chunks == 0 {
		c.firstChunk = at
	}
	c.chunks++
	text := msg.Content != "" || msg.Thinking != ""
	content := msg.Content != "" || len(msg.ToolCalls) > 0 || msg.ToolCallPart
	if (text || content) && c.firstToken == 0 {
		c.firstToken = at
	}
	if msg.Thinking != "" && c.firstThinking == 0 {
		c.firstThinking = at
	}
	if content && c.firstContent == 0 {
		c.firstContent = at
	}
	if text {
		if c.tokenChunks == 0 {
			c.firstText = at
		}
		c.tokenChunks++
		c.lastText = at
	}
}

// fill writes the stream's latencies and decode speed into m.
func (c *streamClock) fill(m *record.Measurement) {
	m.TTFCMs = ms(c.firstChunk)
	m.TTFTMs = ms(c.firstToken)
	m.FirstThinkingMs = ms(c.firstThinking)
	m.FirstContentMs = ms(c.firstContent)
	m.StreamTPS = streamTPS(c.tokenChunks, c.firstText, c.lastText)
}

// streamTPS is the decode speed seen on the stream: n token-bearing chunks
// whose first arrived at first and last at last make n-1 intervals, so the
// rate is (n-1)/(last-first). It is 0 when there are fewer than two chunks
// or they arrived at the same instant.
func streamTPS(n int, first, last time.Duration) float64 {
	if n < 2 || last <= first {
		return 0
	}
	return float64(n-1) / (last - first).Seconds()
}
