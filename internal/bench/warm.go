package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
)

// standaloneWarm is the call Warm makes. With a system prompt, the fixture
// models' template renders a prompt that starts with "S:" where a task
// without one starts with "Q:", so no prefix of the measured prompt is in
// Ollama's KV cache and its prompt tokens/s is a real prompt evaluation.
var standaloneWarm = executor.Request{System: "You are a helpful assistant.", Prompt: "Uppercase river."}

// Warm makes a run's default warm-up (DefaultWarmup untimed calls, with a
// run's default timeout and breaker) on model at host, before a measured
// call made outside a run, such as benchmcp demo's. Its prompt shares no
// prefix with a task's, so the measured call evaluates its whole prompt.
func Warm(ctx context.Context, ex *executor.Executor, host, model string) error {
	req := standaloneWarm
	req.Host, req.Model, req.Timeout = host, model, DefaultTimeout
	req.Breaker = executor.Breaker{MaxTokens: DefaultMaxOutputTokens, Repetition: true}
	_, err := ex.Warmup(ctx, req, DefaultWarmup, nil)
	return err
}

// Warm makes the configured warm-up calls (not recorded) in the first
// task's shape (warmRequest).
func (s *Session) Warm(ctx context.Context) error {
	if err := s.calibrate(ctx); err != nil {
		return err
	}
	if s.cfg.Warmup == 0 || len(s.cfg.Suite.Tasks) == 0 {
		return nil
	}
	load, err := s.r.Exec.Warmup(ctx, s.warmRequest(0), s.cfg.Warmup, s.warmRetried)
	s.noteLoad(float64(load) / float64(time.Millisecond))
	if err != nil || s.cfg.Concurrency < 2 {
		return err
	}
	return s.warmConcurrent(ctx)
}

// warmConcurrent makes one untimed round of as many calls at once as the
// run keeps in flight, each with its own task: a server's first batch of
// several sequences is slow (Ollama's CPU runner took seconds more for it
// on the 0.5B real-shaped model), and the timed calls should not pay that.
func (s *Session) warmConcurrent(ctx context.Context) error {
	errs := make([]error, s.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range s.cfg.Concurrency {
		wg.Go(func() {
			_, errs[i] = s.r.Exec.Warmup(ctx, s.warmRequest(i), 1, s.warmRetried)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// warmRequest is the i-th warm-up call: task i's request (its shape: the
// system prompt, the options, about its prompt's length) with a prompt
// that begins differently from every task's, so that no timed call
// replays a warm-up. A replayed prompt finds Ollama's KV cache holding it:
// its TTFT and prefill would be measured on a cached prompt (flagged
// prompt_cached), and with a concurrent warm-up that was the first
// `concurrency` tasks of every run.
func (s *Session) warmRequest(i int) executor.Request {
	tasks := s.cfg.Suite.Tasks
	req := s.Request(tasks[i%len(tasks)], 1)
	req.Prompt = fmt.Sprintf("(warm-up call %d, not scored)\n\n%s", i+1, req.Prompt)
	return req
}

// warmRetried keeps a warm-up call that failed on the machine and was tried again.
func (s *Session) warmRetried(r record.Retry) {
	s.mu.Lock()
	s.warmRetries = append(s.warmRetries, r)
	s.mu.Unlock()
}
