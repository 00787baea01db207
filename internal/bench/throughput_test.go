package bench

import (
	"math"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

func TestRunThroughput(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	at := func(startMs, wallMs float64, tokens int) record.Sample {
		return record.Sample{StartedAt: t0.Add(time.Duration(startMs * float64(time.Millisecond))),
			Measurement: record.Measurement{WallMs: wallMs, EvalTokens: tokens}}
	}
	cases := []struct {
		name     string
		samples  []record.Sample
		tps, inF float64
		busy     time.Duration
	}{
		// One after another: 200 tokens in 2 s of calls.
		{"serial", []record.Sample{at(0, 1000, 100), at(1000, 1000, 100)}, 100, 1, 2 * time.Second},
		// Four at once for a second: 400 tokens in 1 s, 4 in flight.
		{"concurrent", []record.Sample{at(0, 1000, 100), at(0, 1000, 100), at(0, 1000, 100), at(0, 1000, 100)}, 400, 4, time.Second},
		// A pause between calls (a resume, a load) is not in flight.
		{"gap", []record.Sample{at(0, 1000, 100), at(60000, 1000, 100)}, 100, 1, 2 * time.Second},
		// Overlapping and nested spans: [0,1500] and [2000,2500].
		{"overlap", []record.Sample{at(0, 1000, 50), at(500, 1000, 50), at(600, 200, 10), at(2000, 500, 40)}, 150.0 / 2, 2700.0 / 2000, 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := RunThroughput(c.samples)
			if math.Abs(got.TokensPerS-c.tps) > 1e-9 || math.Abs(got.InFlight-c.inF) > 1e-9 || got.Busy != c.busy {
				t.Fatalf("got %+v, want %.3f tok/s, %.3f in flight over %s", got, c.tps, c.inF, c.busy)
			}
		})
	}
	failed := at(0, 1000, 100)
	failed.Error = "boom"
	if got := RunThroughput([]record.Sample{failed, {}}); got != (Throughput{}) {
		t.Fatalf("failed and unstarted samples counted: %+v", got)
	}
}
