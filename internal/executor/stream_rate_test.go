package executor_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
)

// TestStreamRateIsTokens: on a real-shaped model (Qwen2.5-0.5B's shape,
// random weights, the byte tokenizer) that generates at tens of tokens per
// second here, the stream rate counts tokens: it agrees with Ollama's own
// decode rate (eval_count / eval_duration) within 20%, on one call, so
// both measure the same decode on the same machine however loaded it is.
// Its random bytes make partial UTF-8 that Ollama holds back, so its
// chunks are fewer than its tokens: the chunk rate, which the stream rate
// was before, would not agree.
func TestStreamRateIsTokens(t *testing.T) {
	model := ollamatest.Shaped(t, "qwen2.5-0.5b-shape")
	ex := ollamatest.Executor(t)
	req := executor.Request{Model: model, Prompt: "Say something.", Timeout: 10 * time.Minute,
		Options: map[string]any{"num_predict": 128, "temperature": 1.0, "seed": 7}}
	if _, err := ex.Chat(context.Background(), req); err != nil { // load it
		t.Fatal(err)
	}
	m, err := ex.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tokens in %d chunks; Ollama %.1f tok/s, stream %.1f tok/s, %.1f chunks/s", m.EvalTokens, m.StreamChunks, m.GenTPS, m.StreamTPS, m.StreamChunksPerS)
	if m.EvalTokens != 128 || m.StreamChunks < 2 || m.GenTPS <= 0 {
		t.Fatalf("call: %d tokens, %d chunks, gen %.1f tok/s; want 128 tokens streamed", m.EvalTokens, m.StreamChunks, m.GenTPS)
	}
	if r := m.StreamTPS / m.GenTPS; math.Abs(r-1) > 0.2 {
		t.Errorf("stream rate %.1f tok/s is %.2fx Ollama's decode rate %.1f; want within 20%%", m.StreamTPS, r, m.GenTPS)
	}
	if m.StreamChunks >= m.EvalTokens {
		t.Logf("this call's %d tokens came in as many chunks: no partial UTF-8 held back", m.EvalTokens)
	}
}
