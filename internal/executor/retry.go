package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// RetryPolicy bounds how a call that failed on the machine (Fault) is tried
// again on the same host: a runner that died is started again by Ollama on
// the next call, which reloads the model.
type RetryPolicy struct {
	Retries    int           // tries after the first; 0 = none
	Backoff    time.Duration // the wait before the first retry, doubled before each next one
	MaxBackoff time.Duration // the longest wait
}

// DefaultRetry tries a failed call three more times, after 1, 2 and 4
// seconds: long enough for Ollama to notice a dead runner and for a
// restarted server to listen again, short enough that a host that stays
// down is reported within seconds.
var DefaultRetry = RetryPolicy{Retries: 3, Backoff: time.Second, MaxBackoff: 10 * time.Second}

// MaxRetryAfter is the longest a retry waits for a host that asked for
// more (Retry-After): past it the call fails as rate_limited and is run
// again on resume, rather than holding a run for hours.
const MaxRetryAfter = 2 * time.Minute

// RetriedError is a call that still failed on the machine after its retries.
type RetriedError struct {
	Kind     FaultKind
	Attempts int // calls made, the first included
	Err      error
}

func (e *RetriedError) Error() string {
	if e.Attempts == 1 {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v (failed %d times)", e.Err, e.Attempts)
}

// Unwrap returns the last attempt's error.
func (e *RetriedError) Unwrap() error { return e.Err }

// Retried makes a record.Retry of an attempt that failed on the machine.
func Retried(kind FaultKind, err error) record.Retry {
	return record.Retry{Kind: string(kind), Error: err.Error()}
}

// ChatRetry is Chat, with a call that failed on the machine tried again
// under the executor's retry policy. Each retry is told to retried (nil
// for none) with the fault that caused it. A call that still fails returns
// a *RetriedError wrapping the last attempt's error, so that Fault and the
// typed errors still tell what it was; any other error comes back as Chat
// gave it. The measurement is the last attempt's.
func (e *Executor) ChatRetry(ctx context.Context, req Request, retried func(record.Retry)) (record.Measurement, error) {
	p := e.Retry
	wait := p.Backoff
	for attempt := 1; ; attempt++ {
		m, err := e.Chat(ctx, req)
		kind := Fault(err)
		if kind == "" || ctx.Err() != nil {
			return m, err
		}
		if attempt > p.Retries {
			return m, &RetriedError{Kind: kind, Attempts: attempt, Err: err}
		}
		if retried != nil {
			retried(Retried(kind, err))
		}
		pause := wait
		var fe *FaultError
		if errors.As(err, &fe) && fe.RetryAfter > pause {
			pause = min(fe.RetryAfter, MaxRetryAfter) // as the host asked, within reason
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return m, fmt.Errorf("call %s: waiting to retry after %s: %w", req.Model, kind, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, max(p.MaxBackoff, p.Backoff))
	}
}
