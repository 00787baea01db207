package executor

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGate: a host's concurrency bound holds however many calls wait, its
// rate spaces starts at least 60/rpm seconds apart, a pause (Retry-After)
// holds back the next start, and a cancelled wait gives its slot back.
func TestGate(t *testing.T) {
	g := newGate(Limit{Concurrency: 2})
	var in, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := g.enter(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			n := in.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			in.Add(-1)
			release()
		}()
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Errorf("%d calls in flight under concurrency=2", most.Load())
	}

	r := newGate(Limit{RPM: 600}) // a start every 100 ms
	var starts []time.Time
	for range 3 {
		release, err := r.enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		starts = append(starts, time.Now())
		release()
	}
	if d := starts[2].Sub(starts[0]); d < 190*time.Millisecond {
		t.Errorf("3 starts at rpm=600 within %v; want at least 200 ms between the first and the third", d)
	}

	p := newGate(Limit{})
	p.pause(150 * time.Millisecond)
	t0 := time.Now()
	release, _ := p.enter(context.Background())
	release()
	if d := time.Since(t0); d < 140*time.Millisecond {
		t.Errorf("a call after a 150 ms pause started after %v", d)
	}

	c := newGate(Limit{Concurrency: 1})
	hold, _ := c.enter(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.enter(ctx); err == nil {
		t.Error("a cancelled wait for a slot got one")
	}
	hold()
	if release, err := c.enter(context.Background()); err != nil {
		t.Errorf("the slot was not given back: %v", err)
	} else {
		release()
	}
}
