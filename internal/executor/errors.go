package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrModelNotFound, ErrHostUnreachable and ErrTimeout are the sentinels the
// typed errors below match with errors.Is.
var (
	ErrModelNotFound   = errors.New("model not found")
	ErrHostUnreachable = errors.New("ollama host unreachable")
	ErrTimeout         = errors.New("model call timed out")
	ErrUnknownHost     = errors.New("unknown host")
	ErrHostAuth        = errors.New("host refused the API key")
	ErrRefused         = errors.New("request the engine cannot take")
	ErrNotReported     = errors.New("not reported by this engine")
)

// AuthError says a host refused the API key (401 or 403): every further
// call would be refused too, and no answer is the model's.
type AuthError struct {
	Host   string
	KeyEnv string // where the key was read from
	Code   int
	Msg    string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("host %s refused the API key (%d: %s); put a valid key in $%s (or name another variable with key_env= in --hosts) and restart benchmcp", e.Host, e.Code, e.Msg, e.KeyEnv)
}

// Is makes errors.Is(err, ErrHostAuth) true.
func (e *AuthError) Is(target error) bool { return target == ErrHostAuth }

// RefusedError says a request cannot be sent to a host's engine as it is
// (an option with no equivalent there): no call was made.
type RefusedError struct {
	Host string
	Err  error
}

func (e *RefusedError) Error() string { return e.Err.Error() }

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Unwrap returns the reason.
func (e *RefusedError) Unwrap() error { return e.Err }

// ModelNotFoundError says a model is not installed on a host, and which are.
type ModelNotFoundError struct {
	Engine    string // EngineOpenAI, else Ollama
	Model     string
	Host      string
	URL       string
	Available []string
}

func (e *ModelNotFoundError) Error() string {
	msg := fmt.Sprintf("model %s is not installed on %s (%s); run `ollama pull %s`", e.Model, e.Host, e.URL, e.Model)
	if e.Engine == EngineOpenAI {
		msg = fmt.Sprintf("model %s is not served by %s (%s, OpenAI-compatible); use a model id it lists at /v1/models", e.Model, e.Host, e.URL)
	}
	if len(e.Available) > 0 {
		msg += " or pick one of: " + strings.Join(e.Available, ", ")
	} else {
		msg += " (no models are installed there)"
	}
	return msg
}

// Is makes errors.Is(err, ErrModelNotFound) true.
func (e *ModelNotFoundError) Is(target error) bool { return target == ErrModelNotFound }

// HostUnreachableError says an Ollama server did not answer.
type HostUnreachableError struct {
	Engine string // EngineOpenAI, else Ollama
	Host   string
	URL    string
	Err    error
}

func (e *HostUnreachableError) Error() string {
	if e.Engine == EngineOpenAI {
		return fmt.Sprintf("host %s (%s, OpenAI-compatible) is unreachable: %v; start its server or fix its URL in --hosts", e.Host, e.URL, e.Err)
	}
	return fmt.Sprintf("ollama host %s (%s) is unreachable: %v; start it with `ollama serve` or set OLLAMA_HOST / --hosts to where it runs", e.Host, e.URL, e.Err)
}

// Is makes errors.Is(err, ErrHostUnreachable) true.
func (e *HostUnreachableError) Is(target error) bool { return target == ErrHostUnreachable }

// Unwrap returns the network error.
func (e *HostUnreachableError) Unwrap() error { return e.Err }

// TimeoutError says a call took longer than its budget.
type TimeoutError struct {
	Model   string
	Timeout time.Duration
	Partial string // output received before the deadline
	// Answered is true when any chunk came before the deadline: the host
	// was answering, so the time went to the model, and the timeout is the
	// model's failure. A host that sent nothing at all is a fault.
	Answered bool
}

func (e *TimeoutError) Error() string {
	if !e.Answered {
		return fmt.Sprintf("model %s sent nothing within %s: the host did not answer (a load too slow for the timeout, or a stuck server); raise timeout_s or check the Ollama server log", e.Model, e.Timeout)
	}
	return fmt.Sprintf("model %s did not finish within %s; raise the timeout or cap output with max_output_tokens", e.Model, e.Timeout)
}

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// FaultKind names a failure of the machine rather than of the model: the
// call is retried, and a call that still fails is never scored.
type FaultKind string

// The kinds of fault. A model's own failures (a wrong answer, a runaway, a
// truncation, an empty answer, a bad tool call) are none of these.
const (
	FaultUnreachable FaultKind = "unreachable"    // no connection to the host
	FaultDropped     FaultKind = "dropped_stream" // the answer stopped without its final chunk
	FaultServer      FaultKind = "server_error"   // a 5xx, or an error inside the stream (a runner that died)
	FaultRateLimited FaultKind = "rate_limited"   // 429 or 408: the host asked us to come back later
	FaultTimeout     FaultKind = "timeout"        // the host sent nothing at all within the call's budget
)

// FaultError is a call that failed on the machine: the host answered with
// a server error, or the stream broke. Host unreachable and a timeout with
// no answer have their own types; Fault names all of them.
type FaultError struct {
	Kind FaultKind
	// RetryAfter is how long the host asked us to wait (Retry-After); a
	// retry waits at least this long.
	RetryAfter time.Duration
	Model      string
	Host       string
	Err        error
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("call %s on %s: %v", e.Model, e.Host, e.Err)
}

// Unwrap returns what went wrong.
func (e *FaultError) Unwrap() error { return e.Err }

// Fault names the infrastructure failure err is, or "" when it is none: no
// error, a model's own failure, a request the host refused (4xx), or a
// cancellation.
func Fault(err error) FaultKind {
	if err == nil || errors.Is(err, context.Canceled) {
		return ""
	}
	var fe *FaultError
	var te *TimeoutError
	switch {
	case errors.As(err, &fe):
		return fe.Kind
	case errors.Is(err, ErrHostUnreachable):
		return FaultUnreachable
	case errors.As(err, &te) && !te.Answered:
		return FaultTimeout
	}
	return ""
}
