package ollamatest_test

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/shape"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// TestShaped creates the 0.5B-class shape on the private Ollama, loads it
// and generates, and logs what it costs on this machine: load time,
// prefill and decode rates, memory. BENCHMCP_SHAPE_TEST names more shapes
// to try (comma-separated, or "all"): qwen2.5-1.5b-shape writes 1.4 GB
// the first time, llama3-8b-shape 7.4 GB.
func TestShaped(t *testing.T) {
	names := []string{shape.Shapes[0].Name}
	switch extra := os.Getenv("BENCHMCP_SHAPE_TEST"); extra {
	case "":
	case "all":
		names = names[:0]
		for _, s := range shape.Shapes {
			names = append(names, s.Name)
		}
	default:
		names = append(names, strings.Split(extra, ",")...)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) { testShaped(t, name) })
	}
}

func testShaped(t *testing.T, name string) {
	s, err := shape.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	model := ollamatest.Shaped(t, name)
	t.Logf("%s ready in %s (%s, %s parameters)", model, time.Since(start).Round(time.Millisecond), shape.HumanBytes(s.FileSize()), shape.HumanCount(s.Params()))
	p := ollamatest.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	show, err := p.Client.Show(ctx, &api.ShowRequest{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	count, _ := show.ModelInfo["general.parameter_count"].(float64)
	if d := math.Abs(count-float64(s.Params())) / float64(s.Params()); d > 0.001 {
		t.Errorf("Ollama counts %.0f parameters, the shape has %d", count, s.Params())
	}
	if show.Details.Family != "llama" || show.Details.QuantizationLevel != "Q8_0" {
		t.Errorf("details %+v", show.Details)
	}
	t.Logf("Ollama: parameter_size %s, quantization %s, context %v", show.Details.ParameterSize, show.Details.QuantizationLevel, show.ModelInfo["llama.context_length"])

	const predict = 128
	chat := func(prompt string, predict int) api.ChatResponse {
		t.Helper()
		stream := false
		var res api.ChatResponse
		err := p.Client.Chat(ctx, &api.ChatRequest{
			Model: model, Stream: &stream,
			Messages: []api.Message{{Role: "user", Content: prompt}},
			Options:  map[string]any{"num_predict": predict, "seed": 7},
		}, func(r api.ChatResponse) error { res = r; return nil })
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	unload := func() {
		t.Helper()
		if err := p.Client.Generate(ctx, &api.GenerateRequest{Model: model, KeepAlive: &api.Duration{}}, func(api.GenerateResponse) error { return nil }); err != nil {
			t.Fatal(err)
		}
		// The runner stops after the answer: wait until Ollama lists it gone.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if _, loaded := running(ctx, t, model); !loaded {
				return
			}
		}
		t.Fatal("the model did not unload")
	}

	first := chat("Tell me a story.", predict)
	if first.LoadDuration <= 0 || first.EvalCount <= 0 || first.PromptEvalCount <= 0 {
		t.Fatalf("a cold call reported load %s, prompt %d tokens, eval %d tokens", first.LoadDuration, first.PromptEvalCount, first.EvalCount)
	}
	// </s> never comes: its output row is zero, outside the top 40 sampled.
	if first.EvalCount != predict || first.DoneReason != "length" {
		t.Errorf("generated %d tokens (done: %s), want all %d", first.EvalCount, first.DoneReason, predict)
	}
	mem, _ := running(ctx, t, model)

	// A second cold load, the file now in the page cache; then a longer
	// prompt for the prefill rate, with the model loaded.
	unload()
	cold := chat("Tell me a story.", 8)
	if cold.LoadDuration <= 0 {
		t.Errorf("a call after unloading reported load %s", cold.LoadDuration)
	}
	long := chat(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 9), 8) // about 400 byte tokens
	rate := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	t.Logf("%s on this machine: load %s (the first %s), decode %.1f tok/s (%d tokens), prefill %.0f tok/s (%d tokens), memory %s",
		name, cold.LoadDuration.Round(time.Millisecond), first.LoadDuration.Round(time.Millisecond),
		rate(first.EvalCount, first.EvalDuration), first.EvalCount,
		rate(long.PromptEvalCount, long.PromptEvalDuration), long.PromptEvalCount, shape.HumanBytes(mem))
}

// running reports whether Ollama has model loaded, and its memory.
func running(ctx context.Context, t *testing.T, model string) (int64, bool) {
	t.Helper()
	ps, err := ollamatest.Get(t).Client.ListRunning(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ps.Models {
		if m.Name == model || m.Name == model+":latest" {
			return m.Size, true
		}
	}
	return 0, false
}
