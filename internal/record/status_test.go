package record

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Status
	}{
		{"completed", StatusCompleted},
		{"Interrupted", StatusInterrupted},
		{"stopped", StatusStopped},
	} {
		if got, err := ParseStatus(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	_, err := ParseStatus("done")
	if !errors.Is(err, ErrUnknownStatus) || !strings.Contains(err.Error(), `"done"; use running, completed, cancelled, interrupted, failed or stopped`) {
		t.Errorf("ParseStatus(done): %v", err)
	}
	if got, err := ParseJobStatus("Waiting"); err != nil || got != JobWaiting {
		t.Errorf("ParseJobStatus(Waiting) = %q, %v", got, err)
	}
	if got, err := ParseJobStatus("QUEUED"); err != nil || got != JobQueued {
		t.Errorf("ParseJobStatus(QUEUED) = %q, %v", got, err)
	}
	if _, err := ParseJobStatus("stopped"); !errors.Is(err, ErrUnknownStatus) || !strings.Contains(err.Error(), "queued, running, waiting, completed, failed, cancelled or interrupted") {
		t.Errorf("ParseJobStatus(stopped): %v", err)
	}
}
