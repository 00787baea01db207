package executor

import (
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
)

// ModelNotFoundError says a model is not installed on a host, and which are.
type ModelNotFoundError struct {
	Model     string
	Host      string
	URL       string
	Available []string
}

func (e *ModelNotFoundError) Error() string {
	msg := fmt.Sprintf("model %s is not installed on %s (%s); run `ollama pull %s`", e.Model, e.Host, e.URL, e.Model)
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
	Host string
	URL  string
	Err  error
}

func (e *HostUnreachableError) Error() string {
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
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("model %s did not finish within %s; raise the timeout or cap output with max_output_tokens", e.Model, e.Timeout)
}

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }
