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
// random weights, the byte tokenizer), the stream rate counts tokens: the
// chunk rate times the server's tokens per chunk. Its random bytes make
// partial UTF-8 that Ollama holds back, so its chunks are fewer than its
// tokens (62 for 128 here) and the chunk rate, which the stream rate was
// before, is not a token rate. That the stream rate agrees with Ollama's
// eval_count/eval_duration (29.5 against 28.0 tok/s here) is
// BenchmarkPlanAtScale's table.
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
	// Tokens per second are chunks per second times tokens per chunk.
	want := m.StreamChunksPerS * float64(m.EvalTokens) / float64(m.StreamChunks)
	if math.Abs(m.StreamTPS-want) > 1e-9*want {
		t.Errorf("stream rate %v tok/s; want %v: %.1f chunks/s of %d tokens in %d chunks", m.StreamTPS, want, m.StreamChunksPerS, m.EvalTokens, m.StreamChunks)
	}
	if m.StreamChunks >= m.EvalTokens {
		t.Logf("this call's %d tokens came in as many chunks: no partial UTF-8 held back", m.EvalTokens)
	}
}
