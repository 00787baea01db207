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
	m.StreamChunks = c.tokenChunks
	m.StreamChunksPerS = c.chunkRate()
}

// chunkRate is how fast text chunks came: n chunks whose first arrived at
// firstText and last at lastText make n-1 intervals, so the rate is
// (n-1)/(last-first). It is 0 with fewer than two chunks or when they came
// at the same instant. A chunk is not a token: Ollama holds back the bytes
// of a partial UTF-8 character, so byte-level tokens arrive several to a
// chunk (an H100 showed 133 chunks/s at 232 tokens/s).
func (c *streamClock) chunkRate() float64 {
	if c.tokenChunks < 2 || c.lastText <= c.firstText {
		return 0
	}
	return float64(c.tokenChunks-1) / (c.lastText - c.firstText).Seconds()
}

// tokenRate is the decode speed seen on the stream, in tokens: the server's
// count of the tokens generated, less the first chunk's share (tokens per
// chunk on average), over the span from the first text chunk to the last.
// It is 0 when the chunk rate is, and for a count below the chunks (not a
// count of these chunks' tokens).
func (c *streamClock) tokenRate(tokens int) float64 {
	if c.chunkRate() == 0 || tokens < c.tokenChunks {
		return 0
	}
	after := float64(tokens) * float64(c.tokenChunks-1) / float64(c.tokenChunks)
	return after / (c.lastText - c.firstText).Seconds()
}
