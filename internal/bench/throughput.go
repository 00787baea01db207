package bench

import (
	"slices"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Throughput is what a run's calls achieved together, whatever their
// concurrency: the output tokens of every call over the time at least one
// call was in flight (the union of the calls' spans, from each sample's
// start to its last chunk). Loads, warm-up calls and pauses between a run
// and its resume are not in flight, so they are not counted. Busy is that
// time; InFlight is the mean number of calls in flight over it (the summed
// call time over Busy): 1 for calls one after another, near the
// concurrency when the server keeps up.
type Throughput struct {
	TokensPerS float64
	Busy       time.Duration
	InFlight   float64
}

// RunThroughput is Throughput over samples; samples that failed or have
// no start time are left out. A zero Throughput means no call counted.
func RunThroughput(samples []record.Sample) Throughput {
	type span struct{ from, to time.Time }
	var spans []span
	tokens, summed := 0, 0.0
	for _, smp := range samples {
		if smp.Error != "" || smp.StartedAt.IsZero() || smp.WallMs <= 0 {
			continue
		}
		d := time.Duration(smp.WallMs * float64(time.Millisecond))
		spans = append(spans, span{smp.StartedAt, smp.StartedAt.Add(d)})
		tokens += smp.EvalTokens
		summed += smp.WallMs
	}
	if len(spans) == 0 {
		return Throughput{}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	var busy time.Duration
	cur := spans[0]
	for _, s := range spans[1:] {
		if s.from.After(cur.to) {
			busy += cur.to.Sub(cur.from)
			cur = s
			continue
		}
		if s.to.After(cur.to) {
			cur.to = s.to
		}
	}
	busy += cur.to.Sub(cur.from)
	if busy <= 0 {
		return Throughput{}
	}
	secs := busy.Seconds()
	return Throughput{TokensPerS: float64(tokens) / secs, Busy: busy, InFlight: summed / 1000 / secs}
}
