package jobs_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// TestClientLimit: a client may have at most the limit of unfinished jobs
// (queued or running); a refused submit stores nothing; other clients are
// not held back; a job that ends frees a place; jobs recovered from a
// previous process count for nobody.
func TestClientLimit(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)
	m.SetClientLimit(2)

	a1, err := m.SubmitFor(jobs.By{Client: "A"}, "gate", []string{"h"}, nil, nameArgs{Name: "a1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Client != "A" {
		t.Errorf("job client %q, want A", a1.Client)
	}
	if _, err := m.SubmitFor(jobs.By{Client: "A"}, "gate", []string{"h"}, nil, nameArgs{Name: "a2"}, 0); err != nil {
		t.Fatal(err)
	}
	g.next(t) // a1 runs, a2 is queued: both count
	_, err = m.SubmitFor(jobs.By{Client: "A"}, "gate", []string{"h"}, nil, nameArgs{Name: "a3"}, 0)
	if !errors.Is(err, jobs.ErrClientLimit) || !strings.Contains(err.Error(), "cancel_job") || !strings.Contains(err.Error(), "--max-client-jobs") {
		t.Fatalf("third job of A: %v, want ErrClientLimit saying what to do", err)
	}
	if _, err := m.SubmitFor(jobs.By{Client: "B"}, "gate", []string{"h"}, nil, nameArgs{Name: "b1"}, 0); err != nil {
		t.Errorf("another client is held back by A's jobs: %v", err)
	}
	js, err := store.ListJobs(memory.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 3 {
		t.Errorf("%d jobs stored, want 3 (the refused one is not)", len(js))
	}

	g.release("a1")
	waitEnd(t, m, a1.ID, record.JobCompleted)
	if _, err := m.SubmitFor(jobs.By{Client: "A"}, "gate", []string{"h"}, nil, nameArgs{Name: "a3"}, 0); err != nil {
		t.Errorf("after a1 ended A may submit again: %v", err)
	}
	for _, n := range []string{"a2", "b1", "a3"} {
		g.release(n)
	}
}

// TestClientLimitConcurrent: submits racing each other never pass the
// limit together.
func TestClientLimitConcurrent(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)
	m.SetClientLimit(3)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := m.SubmitFor(jobs.By{Client: "A"}, "gate", []string{"h"}, nil, nameArgs{Name: string(rune('a' + i))}, 0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, jobs.ErrClientLimit):
				refused++
			default:
				t.Errorf("submit: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 3 || refused != 17 {
		t.Errorf("%d accepted, %d refused; want 3 and 17", ok, refused)
	}
	js, _ := store.ListJobs(memory.JobFilter{})
	for _, j := range js {
		g.release(nameOf(j))
	}
}
