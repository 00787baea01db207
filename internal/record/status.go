package record

import (
	"errors"
	"fmt"
	"strings"
)

// Statuses lists the states a run can be in, in the order messages name them.
var Statuses = []Status{StatusRunning, StatusCompleted, StatusCancelled, StatusInterrupted, StatusFailed, StatusStopped}

// JobStatuses lists the states a job can be in, in the order messages name them.
var JobStatuses = []JobStatus{JobQueued, JobRunning, JobWaiting, JobCompleted, JobFailed, JobCancelled, JobInterrupted}

// ErrUnknownStatus means a status filter names no state of a run or a job.
var ErrUnknownStatus = errors.New("unknown status")

// ParseStatus returns the run state named s (in any case), for a status
// filter; the error names the states there are.
func ParseStatus(s string) (Status, error) {
	return parseStatus(s, Statuses)
}

// ParseJobStatus returns the job state named s (in any case), for a status
// filter; the error names the states there are.
func ParseJobStatus(s string) (JobStatus, error) {
	return parseStatus(s, JobStatuses)
}

func parseStatus[S ~string](s string, states []S) (S, error) {
	names := make([]string, len(states))
	for i, st := range states {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
		names[i] = string(st)
	}
	return "", fmt.Errorf("%w %q; use %s or %s", ErrUnknownStatus, s, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// Names lists states for a message: "queued, running, completed".
func Names[S ~string](states []S) string {
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}
