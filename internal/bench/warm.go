package bench

import (
	"context"

	"github.com/benchmcp/benchmcp/internal/executor"
)

// warmRequest is the call Warm makes. With a system prompt, the fixture
// models' template renders a prompt that starts with "S:" where a task
// without one starts with "Q:", so no prefix of the measured prompt is in
// Ollama's KV cache and its prompt tokens/s is a real prompt evaluation.
var warmRequest = executor.Request{System: "You are a helpful assistant.", Prompt: "Uppercase river."}

// Warm makes a run's default warm-up (DefaultWarmup untimed calls, with a
// run's default timeout and breaker) on model at host, before a measured
// call made outside a run, such as benchmcp demo's. Its prompt shares no
// prefix with a task's, so the measured call evaluates its whole prompt.
func Warm(ctx context.Context, ex *executor.Executor, host, model string) error {
	req := warmRequest
	req.Host, req.Model, req.Timeout = host, model, DefaultTimeout
	req.Breaker = executor.Breaker{MaxTokens: DefaultMaxOutputTokens, Repetition: true}
	_, err := ex.Warmup(ctx, req, DefaultWarmup, nil)
	return err
}
