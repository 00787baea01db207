package bench

import (
	"context"
	"errors"
	"fmt"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
)

// StoppedByHost tells a run that failed because its Ollama host went away
// from one that failed for another reason: for a failed run it asks the
// host, and returns an error wrapping executor.ErrHostUnreachable when the
// host does not answer now. It returns nil for any other run, or when the
// host answers. A job uses it to wait for the host and resume the run
// instead of ending failed.
func StoppedByHost(ctx context.Context, ex *executor.Executor, host string, status record.Status, runID string) error {
	if status != record.StatusFailed || ex == nil || ctx.Err() != nil {
		return nil
	}
	if _, err := ex.Version(ctx, host); errors.Is(err, executor.ErrHostUnreachable) {
		return fmt.Errorf("run %s stopped: %w", runID, err)
	}
	return nil
}
