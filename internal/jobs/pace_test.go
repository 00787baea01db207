package jobs

import (
	"testing"
	"time"
)

// TestPaceLeavesLoadsOut: a job's time per unit is the median gap between its
// progress reports, so the first unit's wait (a model load, seconds for a
// real model) is not spread over every call still to come: a 1 s first
// unit and 10 ms units after it give 10 ms a unit, where elapsed/done would
// say 0.208 s. Before a second report it is elapsed/done; before any, unknown.
func TestPaceLeavesLoadsOut(t *testing.T) {
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var p pace
	if _, ok := p.report(start, start, 0, 0); ok {
		t.Error("a report of nothing done gave a time per unit")
	}
	at := start.Add(time.Second) // the load, then the first call
	got, ok := p.report(at, start, 0, 1)
	if !ok || got != 1 {
		t.Errorf("after one unit: %v %v; want elapsed/done, 1 s", got, ok)
	}
	for done := 2; done <= 5; done++ {
		at = at.Add(10 * time.Millisecond)
		got, ok = p.report(at, start, 0, done)
	}
	if !ok || got < 0.0099 || got > 0.0101 {
		t.Errorf("after 5 units: %v s a unit; want the 10 ms gaps, not elapsed/done (%.3f s)", got, at.Sub(start).Seconds()/5)
	}
	// A report of no new unit (a message) adds no gap and moves nothing.
	if again, _ := p.report(at.Add(time.Minute), start, 0, 5); again != got {
		t.Errorf("a report without new units changed the pace: %v, was %v", again, got)
	}
	for i := range 2 * maxGaps {
		p.report(at.Add(time.Duration(i+1)*time.Second), start, 0, 6+i)
	}
	if len(p.gaps) != maxGaps {
		t.Errorf("%d gaps kept; want the latest %d", len(p.gaps), maxGaps)
	}
}
