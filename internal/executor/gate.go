package executor

import (
	"context"
	"sync"
	"time"
)

// gate holds a host's Limit: at most Concurrency calls in flight, starts
// spaced so that no more than RPM begin in a minute, and a pause the host
// asked for (Retry-After) kept by every call to it.
type gate struct {
	slots    chan struct{} // nil: no concurrency bound
	interval time.Duration // 0: no rate bound

	mu   sync.Mutex
	next time.Time // no call starts before this
}

func newGate(l Limit) *gate {
	g := &gate{}
	if l.Concurrency > 0 {
		g.slots = make(chan struct{}, l.Concurrency)
	}
	if l.RPM > 0 {
		g.interval = time.Minute / time.Duration(l.RPM)
	}
	return g
}

// enter waits for a slot and the call's turn; release gives the slot back.
// A call's time is measured from after enter, so waiting here is never
// counted as the model's latency.
func (g *gate) enter(ctx context.Context) (release func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	release = func() {}
	if g.slots != nil {
		select {
		case g.slots <- struct{}{}:
			release = func() { <-g.slots }
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	g.mu.Lock()
	now := time.Now()
	at := now
	if g.next.After(at) {
		at = g.next
	}
	if g.interval > 0 {
		g.next = at.Add(g.interval)
	}
	g.mu.Unlock()
	if wait := at.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

// pause holds every next call to the host back for d (a Retry-After).
func (g *gate) pause(d time.Duration) {
	if g == nil || d <= 0 {
		return
	}
	g.mu.Lock()
	if at := time.Now().Add(d); at.After(g.next) {
		g.next = at
	}
	g.mu.Unlock()
}
