package bench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/benchmcp/benchmcp/internal/suite"
)

// Context depth: with Config.Depth = d every prompt is put after about d
// tokens of filler, as llama-bench measures "pp512 @ d4096": the speed of
// prompt processing and generation with d tokens already in the context.
// The filler starts with a nonce that changes with every call, so Ollama's
// prompt cache cannot reuse an earlier call's filler (it matches the
// longest common prefix, which ends at the nonce) and each call processes
// its d tokens. Tokens per filler word depend on the model's tokenizer, so
// a session measures them first (calibrate) from two uncached calls whose
// fillers differ by a known number of words; the prompt tokens each call
// really evaluated are recorded in its sample (prompt_tokens).

var fillerWords = strings.Fields("amber basalt cobalt delta ember fjord granite harbor indigo juniper kelp lagoon meadow nectar obsidian prairie quartz river sierra tundra umber valley willow xenon yarrow zephyr")

var nonceSeq atomic.Uint64

func init() { nonceSeq.Store(uint64(time.Now().UnixNano())) }

// filler is n words of filler text after a fresh nonce.
func filler(n int) string {
	nonce := nonceSeq.Add(0x9E3779B97F4A7C15)
	var b strings.Builder
	fmt.Fprintf(&b, "%06x", nonce>>40) // short, so it adds few tokens beyond the depth; it only has to differ from the previous call's
	for i := range n {
		b.WriteByte(' ')
		b.WriteString(fillerWords[(int(nonce%97)+i*7)%len(fillerWords)])
	}
	return b.String()
}

// padded is a task's prompt after the filler of the session's depth.
func (s *Session) padded(t suite.Task) string {
	if s.depthWords <= 0 {
		return t.Prompt
	}
	return filler(s.depthWords) + "\n\n" + t.Prompt
}

// calibrate measures the model's tokens per filler word once, and from them
// how many words make the configured depth.
func (s *Session) calibrate(ctx context.Context) error {
	if s.cfg.Depth <= 0 || len(s.cfg.Suite.Tasks) == 0 {
		return nil
	}
	s.depthMu.Lock()
	defer s.depthMu.Unlock()
	if s.depthWords > 0 {
		return nil
	}
	w := max(8, s.cfg.Depth/16)
	t := s.cfg.Suite.Tasks[0]
	count := func(words int) (int, error) {
		req := s.Request(t, 1)
		req.Prompt = filler(words) + "\n\n" + t.Prompt
		m, err := s.r.Exec.ChatRetry(ctx, req, nil)
		if err != nil {
			return 0, fmt.Errorf("measure the tokens of the depth filler: %w", err)
		}
		return m.PromptTokens, nil
	}
	a, err := count(w)
	if err != nil {
		return err
	}
	b, err := count(2 * w)
	if err != nil {
		return err
	}
	if b <= a {
		return fmt.Errorf("depth %d: %d more filler words added %d prompt tokens (%d -> %d), so the depth cannot be set; is num_ctx large enough for it?", s.cfg.Depth, w, b-a, a, b)
	}
	s.tokensPerWord = float64(b-a) / float64(w)
	s.depthWords = max(1, int(math.Round(float64(s.cfg.Depth)/s.tokensPerWord)))
	return nil
}
