package route

import (
	"fmt"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/memory"
)

// DefaultTimeout is the time limit of one model call a router makes (a
// cascade's candidate or a judge) when the caller sets none.
const DefaultTimeout = 120 * time.Second

// Service runs the routing use cases: deciding which candidate takes a task
// (Decide), recording how a decision turned out (ReportOutcome) and
// evaluating routing policies on a suite (Evaluate).
type Service struct {
	Store *memory.Store
	Exec  *executor.Executor
	// Python and Sandbox are for a cascade's code_exec checks.
	Python  string
	Sandbox check.Sandbox
	// Sweeps runs an online evaluation's missing candidates.
	Sweeps Sweeper
}

// names lists the candidates' names, model@host, in order.
func names(cs []Candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name())
	}
	return out
}

// inputErrorf is a problem the caller can fix, as a *bench.InputError.
func inputErrorf(format string, args ...any) error {
	return &bench.InputError{Err: fmt.Errorf(format, args...)}
}
