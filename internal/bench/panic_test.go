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
// sample stored with the error, the stack in the log, and the run goes on
// to its end: not a crashed process.
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
	if err != nil || run.Status != record.StatusCompleted {
		t.Fatalf("run %s, %v; want completed", run.Status, err)
	}
	samples, err := st.Samples(run.ID)
	if err != nil || len(samples) != 2 {
		t.Fatalf("samples %+v, %v; want both iterations stored", samples, err)
	}
	for _, smp := range samples {
		if smp.Pass || !strings.Contains(smp.Error, "panicked") || !strings.Contains(smp.Error, "assignment to entry in nil map") {
			t.Errorf("sample %s/%d: pass %v error %q; want a failed sample that names the panic", smp.TaskID, smp.Iteration, smp.Pass, smp.Error)
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
