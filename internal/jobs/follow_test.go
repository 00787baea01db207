package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFollow: a follower is sent heartbeats while a job is held (a queued
// one says its place), returns when its ctx ends (the job goes on), and
// returns nil when the job ends; Idle waits for every live job.
func TestFollow(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)
	a1 := submit(t, m, "gate", "a", "A1", 0)
	a2 := submit(t, m, "gate", "a", "A2", 0)
	g.next(t) // A1 runs, A2 waits behind it

	var mu sync.Mutex
	var got []string
	send := func(done, total int, msg string) {
		mu.Lock()
		got = append(got, msg)
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- m.Follow(ctx, a2.ID, 20*time.Millisecond, send) }()
	waitUntil(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 2
	})
	cancel()
	if err := <-followed; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow after its ctx ended = %v, want context.Canceled", err)
	}
	mu.Lock()
	first := got[0]
	mu.Unlock()
	if want := "still running: job " + a2.ID + " queued (position 1 on host a)"; first != want {
		t.Errorf("heartbeat of a queued job = %q, want %q", first, want)
	}
	if st := get(t, m, a2.ID); st.Status.Terminal() {
		t.Fatalf("A2 is %s after its follower left; the job goes on", st.Status)
	}

	idle := make(chan error, 1)
	go func() { idle <- m.Idle(context.Background()) }()
	followed = make(chan error, 1)
	go func() { followed <- m.Follow(context.Background(), a1.ID, time.Hour, send) }()
	g.release("A1")
	if err := <-followed; err != nil {
		t.Errorf("Follow of a job that ended = %v, want nil", err)
	}
	g.next(t) // A2 runs
	select {
	case err := <-idle:
		t.Fatalf("Idle returned %v with A2 still running", err)
	default:
	}
	g.release("A2")
	if err := <-idle; err != nil {
		t.Errorf("Idle = %v, want nil once no job is live", err)
	}
	if err := m.Follow(context.Background(), a2.ID, time.Hour, send); err != nil {
		t.Errorf("Follow of an ended job = %v, want nil at once", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, msg := range got {
		if !strings.HasPrefix(msg, "still running: ") {
			t.Errorf("unexpected message %q", msg)
		}
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", guard)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
