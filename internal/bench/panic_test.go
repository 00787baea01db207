package bench_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// panicOnPartial is the real store with a bug: storing a partial sample
// (between an agentic task's steps, inside a worker's sample) panics.
type panicOnPartial struct{ *memory.Store }

func (p panicOnPartial) AppendSample(s record.Sample) error {
	if s.Partial {
		var m map[string]bool
		m[s.TaskID] = true // a nil map write: the panic a real bug would raise
	}
	return p.Store.AppendSample(s)
}

// A panic in a sample's work, in one of Execute's worker goroutines, is a
// sample stored without a verdict (a fault), the stack in the log, and the
// run goes on to its end, failed: not a crashed process.
func TestSessionRecoversPanic(t *testing.T) {
	var logs lockedBuilder
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	r, st := newRunner(t)
	buggy := &bench.Runner{Exec: r.Exec, Store: panicOnPartial{st}}
	s := agenticTiny(t).Filter([]string{"weather-paris-rome"}, nil)
	cfg := bench.Config{Model: "tiny-agent", Suite: s, MaxOutputTokens: 64, Warmup: -1, Iterations: 2, Concurrency: 2}
	sess, err := buggy.Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Begin(nil, nil); err != nil {
		t.Fatal(err)
	}
	run, err := sess.Execute(context.Background(), nil)
	if err != nil || run.Status != record.StatusFailed || !strings.Contains(run.Error, "resume") {
		t.Fatalf("run %s, %v (%q); want failed, saying a resume runs the samples again", run.Status, err, run.Error)
	}
	if scored, _ := st.Samples(run.ID); len(scored) != 0 || run.Summary.Faults != 2 {
		t.Fatalf("%d scored samples, %d faults; a bug in benchmcp is no verdict on the model: want 0 and 2", len(scored), run.Summary.Faults)
	}
	samples, err := st.FaultedSamples(run.ID)
	if err != nil || len(samples) != 2 {
		t.Fatalf("faulted samples %+v, %v; want both iterations stored", samples, err)
	}
	for _, smp := range samples {
		if f := smp.Fault; f.Kind != bench.FaultInternal || !strings.Contains(f.Error, "panicked") || !strings.Contains(f.Error, "assignment to entry in nil map") {
			t.Errorf("sample %s/%d: fault %+v; want internal_error naming the panic", smp.TaskID, smp.Iteration, f)
		}
	}
	if got := logs.String(); !strings.Contains(got, "panicOnPartial.AppendSample") || !strings.Contains(got, run.ID) {
		t.Errorf("the log lacks the run and the stack of the panic:\n%s", got)
	}
}

// lockedBuilder is a strings.Builder safe for writes from many goroutines.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
