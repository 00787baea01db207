package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// guard is how long a test waits for something that should happen at once
// before it fails; it never measures speed.
const guard = 10 * time.Second

func newStore(t *testing.T) *memory.Store {
	t.Helper()
	s, err := memory.Open(filepath.Join(t.TempDir(), "jobs.db"), memory.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// newManager returns a manager over store that is shut down (before the
// store closes) when the test ends.
func newManager(t *testing.T, store *memory.Store) *jobs.Manager {
	t.Helper()
	m := jobs.New(store, nil)
	t.Cleanup(func() {
		if !m.Shutdown(guard) {
			t.Errorf("manager shutdown: jobs did not stop within %v", guard)
		}
	})
	return m
}

// nameArgs are the arguments of the test jobs: a name to tell them apart.
type nameArgs struct {
	Name string `json:"name"`
}

func nameOf(job record.Job) string {
	var a nameArgs
	if err := json.Unmarshal(job.Args, &a); err != nil {
		return "bad args: " + err.Error()
	}
	return a.Name
}

// gates is a kind of work that reports its name on started, then blocks
// until the test releases that name or the job's context ends.
type gates struct {
	mu      sync.Mutex
	chans   map[string]chan struct{}
	started chan string
}

func newGates() *gates {
	return &gates{chans: map[string]chan struct{}{}, started: make(chan string, 100)}
}

func (g *gates) ch(name string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.chans[name]
	if !ok {
		c = make(chan struct{})
		g.chans[name] = c
	}
	return c
}

func (g *gates) release(name string) { close(g.ch(name)) }

func (g *gates) work(ctx context.Context, job record.Job, _ jobs.Reporter) (any, string, error) {
	name := nameOf(job)
	g.started <- name
	select {
	case <-g.ch(name):
		return map[string]string{"name": name}, "done " + name, nil
	case <-ctx.Done():
		return nil, "", context.Cause(ctx)
	}
}

// next returns the name of the next job to start.
func (g *gates) next(t *testing.T) string {
	t.Helper()
	select {
	case name := <-g.started:
		return name
	case <-time.After(guard):
		t.Fatalf("no job started within %v", guard)
		return ""
	}
}

// noneStarted fails if a job started that the test did not expect.
func (g *gates) noneStarted(t *testing.T) {
	t.Helper()
	select {
	case name := <-g.started:
		t.Fatalf("job %q started unexpectedly", name)
	default:
	}
}

func submit(t *testing.T, m *jobs.Manager, kind, host, name string, priority int) record.Job {
	t.Helper()
	return submitOn(t, m, kind, []string{host}, name, priority)
}

// submitOn submits a job that holds all of hosts.
func submitOn(t *testing.T, m *jobs.Manager, kind string, hosts []string, name string, priority int) record.Job {
	t.Helper()
	j, err := m.Submit(kind, hosts, nil, nameArgs{Name: name}, priority)
	if err != nil {
		t.Fatalf("submit %s: %v", name, err)
	}
	return j
}

// waitEnd waits for a job to end and checks the status it ended with.
func waitEnd(t *testing.T, m *jobs.Manager, id string, want record.JobStatus) jobs.Status {
	t.Helper()
	st, err := m.Wait(context.Background(), id, guard)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	if st.Status != want {
		t.Fatalf("job %s: status %q after waiting, want %q (error %q)", id, st.Status, want, st.Error)
	}
	return st
}

func get(t *testing.T, m *jobs.Manager, id string) jobs.Status {
	t.Helper()
	st, err := m.Get(id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return st
}

func stored(t *testing.T, s *memory.Store, id string) record.Job {
	t.Helper()
	j, err := s.GetJob(id)
	if err != nil {
		t.Fatalf("store get %s: %v", id, err)
	}
	return j
}

type reportArgs struct {
	Name  string   `json:"name"`
	N     int      `json:"n"`
	Flags []string `json:"flags"`
}

type reportResult struct {
	Score float64  `json:"score"`
	Names []string `json:"names"`
}

func TestSubmitRunsAndStoresResult(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	want := reportResult{Score: 0.75, Names: []string{"x", "y"}}
	seen := make(chan record.Job, 1)
	m.Register("report", func(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
		seen <- job
		r.Progress(1, 3, "first")
		r.Progress(3, 3, "last")
		return want, "# report", nil
	})

	// Keep the host busy so that the new job is seen queued.
	blocker := submit(t, m, "gate", "h", "blocker", 0)
	if got := g.next(t); got != "blocker" {
		t.Fatalf("started %q, want blocker", got)
	}

	args := reportArgs{Name: "r", N: 7, Flags: []string{"a", "b"}}
	j, err := m.Submit("report", []string{"h"}, []string{"m1", "m2"}, args, 3)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if !strings.HasPrefix(j.ID, "j") {
		t.Errorf("ID %q lacks the prefix j", j.ID)
	}
	if j.Status != record.JobQueued || j.CreatedAt.IsZero() || j.Attempts != 0 {
		t.Errorf("submitted job: status %q, created %v, attempts %d; want queued, set, 0", j.Status, j.CreatedAt, j.Attempts)
	}

	s := stored(t, store, j.ID)
	if s.Status != record.JobQueued {
		t.Errorf("stored status %q, want queued", s.Status)
	}
	if s.Kind != "report" || s.Host != "h" || s.Priority != 3 || !slices.Equal(s.Models, []string{"m1", "m2"}) {
		t.Errorf("stored job %+v: want kind report, host h, priority 3, models [m1 m2]", s)
	}
	if !s.CreatedAt.Equal(j.CreatedAt) {
		t.Errorf("stored CreatedAt %v, want %v", s.CreatedAt, j.CreatedAt)
	}
	var back reportArgs
	if err := json.Unmarshal(s.Args, &back); err != nil {
		t.Fatalf("decode stored args %s: %v", s.Args, err)
	}
	if !reflect.DeepEqual(back, args) {
		t.Errorf("stored args %+v, want %+v", back, args)
	}
	if st := get(t, m, j.ID); st.Status != record.JobQueued || st.QueuePosition != 1 {
		t.Errorf("live status %q at position %d, want queued at 1", st.Status, st.QueuePosition)
	}

	g.release("blocker")
	waitEnd(t, m, blocker.ID, record.JobCompleted)

	var ran record.Job
	select {
	case ran = <-seen:
	case <-time.After(guard):
		t.Fatal("the report job never ran")
	}
	if ran.ID != j.ID || ran.Status != record.JobRunning || ran.Attempts != 1 || ran.StartedAt.IsZero() {
		t.Errorf("work got job %s status %q attempts %d started %v; want %s running 1 set", ran.ID, ran.Status, ran.Attempts, ran.StartedAt, j.ID)
	}
	if string(ran.Args) != string(s.Args) {
		t.Errorf("work got args %s, want %s", ran.Args, s.Args)
	}

	st := waitEnd(t, m, j.ID, record.JobCompleted)
	if st.ETASeconds == nil || *st.ETASeconds != 0 {
		t.Errorf("ended job ETA %v, want 0", st.ETASeconds)
	}

	got := stored(t, store, j.ID)
	wantRaw, _ := json.Marshal(want)
	if string(got.Result) != string(wantRaw) {
		t.Errorf("stored result %s, want %s", got.Result, wantRaw)
	}
	if got.ResultText != "# report" {
		t.Errorf("stored result text %q, want %q", got.ResultText, "# report")
	}
	if got.Done != 3 || got.Total != 3 || got.Message != "last" {
		t.Errorf("stored progress %d/%d %q, want 3/3 \"last\"", got.Done, got.Total, got.Message)
	}
	if got.Status != record.JobCompleted || got.Error != "" || got.Attempts != 1 {
		t.Errorf("stored status %q error %q attempts %d, want completed, none, 1", got.Status, got.Error, got.Attempts)
	}
	if got.StartedAt.IsZero() || got.EndedAt.IsZero() || got.EndedAt.Before(got.StartedAt) || got.StartedAt.Before(got.CreatedAt) {
		t.Errorf("stored times created %v started %v ended %v: want created <= started <= ended, all set", got.CreatedAt, got.StartedAt, got.EndedAt)
	}
	if m.Ended(j.ID) != nil {
		t.Error("Ended of a finished job is not nil")
	}
	if live := m.Live(); len(live) != 0 {
		t.Errorf("Live after all ended: %d jobs, want 0", len(live))
	}
}

func TestOneJobAtATimePerHost(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	a1 := submit(t, m, "gate", "a", "A1", 0)
	a2 := submit(t, m, "gate", "a", "A2", 0)
	b1 := submit(t, m, "gate", "b", "B1", 0)

	first := []string{g.next(t), g.next(t)}
	slices.Sort(first)
	if !slices.Equal(first, []string{"A1", "B1"}) {
		t.Fatalf("first to start: %v, want A1 and B1", first)
	}
	g.noneStarted(t)

	for _, id := range []string{a1.ID, b1.ID} {
		if st := get(t, m, id); st.Status != record.JobRunning || st.QueuePosition != 0 {
			t.Errorf("job %s: %q at position %d, want running at 0", id, st.Status, st.QueuePosition)
		}
	}
	if st := get(t, m, a2.ID); st.Status != record.JobQueued || st.QueuePosition != 1 {
		t.Errorf("A2: %q at position %d, want queued at 1", st.Status, st.QueuePosition)
	}
	live := m.Live()
	if len(live) != 3 || live[2].ID != a2.ID {
		t.Errorf("Live: %d jobs (last %v), want 3 with A2 (the queued one) last", len(live), live)
	}

	g.release("A1")
	if got := g.next(t); got != "A2" {
		t.Fatalf("after A1 started %q, want A2", got)
	}
	waitEnd(t, m, a1.ID, record.JobCompleted)
	if st := get(t, m, a2.ID); st.Status != record.JobRunning {
		t.Errorf("A2: %q, want running", st.Status)
	}
	if st := get(t, m, b1.ID); st.Status != record.JobRunning {
		t.Errorf("B1 after A1 ended: %q, want still running", st.Status)
	}

	g.release("B1")
	waitEnd(t, m, b1.ID, record.JobCompleted)
	if st := get(t, m, a2.ID); st.Status != record.JobRunning {
		t.Errorf("A2 after B1 ended: %q, want still running", st.Status)
	}
	g.release("A2")
	waitEnd(t, m, a2.ID, record.JobCompleted)
	g.noneStarted(t)
}

func TestPriorityThenFIFO(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	blocker := submit(t, m, "gate", "h", "blocker", 0)
	if got := g.next(t); got != "blocker" {
		t.Fatalf("started %q, want blocker", got)
	}
	first := submit(t, m, "gate", "h", "p0-first", 0)
	second := submit(t, m, "gate", "h", "p0-second", 0)
	high := submit(t, m, "gate", "h", "p5", 5)

	for id, want := range map[string]int{high.ID: 1, first.ID: 2, second.ID: 3} {
		if st := get(t, m, id); st.Status != record.JobQueued || st.QueuePosition != want {
			t.Errorf("job %s: %q at position %d, want queued at %d", id, st.Status, st.QueuePosition, want)
		}
	}

	for _, n := range []string{"p0-first", "p0-second", "p5"} {
		g.release(n)
	}
	g.release("blocker")

	var order []string
	for range 3 {
		order = append(order, g.next(t))
	}
	if want := []string{"p5", "p0-first", "p0-second"}; !slices.Equal(order, want) {
		t.Errorf("run order %v, want %v", order, want)
	}
	for _, j := range []record.Job{blocker, first, second, high} {
		waitEnd(t, m, j.ID, record.JobCompleted)
	}
}

func TestCancel(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	causes := make(chan error, 1)
	running := make(chan struct{})
	workDone := false // set by the work just before it returns
	m.Register("stoppable", func(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
		r.Progress(1, 5, "one")
		close(running)
		<-ctx.Done()
		causes <- context.Cause(ctx)
		workDone = true
		return map[string]int{"done": 1}, "partial", ctx.Err()
	})

	t.Run("queued", func(t *testing.T) {
		blocker := submit(t, m, "gate", "q", "blocker", 0)
		if got := g.next(t); got != "blocker" {
			t.Fatalf("started %q, want blocker", got)
		}
		queued := submit(t, m, "gate", "q", "victim", 0)
		ended := m.Ended(queued.ID)
		if ended == nil {
			t.Fatal("Ended of a queued job is nil")
		}
		st, err := m.Cancel(queued.ID)
		if err != nil {
			t.Fatalf("cancel queued: %v", err)
		}
		if st.Status != record.JobCancelled || st.EndedAt.IsZero() {
			t.Errorf("cancel returned %q ended %v, want cancelled with EndedAt", st.Status, st.EndedAt)
		}
		select {
		case <-ended:
		default:
			t.Error("Ended of the cancelled queued job is not closed")
		}
		s := stored(t, store, queued.ID)
		if s.Status != record.JobCancelled || s.EndedAt.IsZero() || s.Attempts != 0 || !s.StartedAt.IsZero() {
			t.Errorf("stored %q ended %v attempts %d started %v, want cancelled, set, 0, zero", s.Status, s.EndedAt, s.Attempts, s.StartedAt)
		}

		g.release("blocker")
		waitEnd(t, m, blocker.ID, record.JobCompleted)
		// A later job on the same host runs; the cancelled one never does.
		after := submit(t, m, "gate", "q", "after", 0)
		g.release("after")
		if got := g.next(t); got != "after" {
			t.Fatalf("started %q, want after (victim was cancelled)", got)
		}
		waitEnd(t, m, after.ID, record.JobCompleted)
		g.noneStarted(t)
		if s := stored(t, store, queued.ID); s.Status != record.JobCancelled {
			t.Errorf("cancelled job later stored as %q", s.Status)
		}
	})

	t.Run("running", func(t *testing.T) {
		j := submit(t, m, "stoppable", "r", "run", 0)
		select {
		case <-running:
		case <-time.After(guard):
			t.Fatal("the job never ran")
		}
		st, err := m.Cancel(j.ID)
		if err != nil {
			t.Fatalf("cancel running: %v", err)
		}
		if !workDone {
			t.Error("Cancel returned before the work returned")
		}
		if cause := <-causes; cause != context.Canceled {
			t.Errorf("work's context cause %v, want context.Canceled", cause)
		}
		if st.Status != record.JobCancelled {
			t.Errorf("cancel returned %q, want cancelled", st.Status)
		}
		s := stored(t, store, j.ID)
		if s.Status != record.JobCancelled || s.EndedAt.IsZero() {
			t.Errorf("stored %q ended %v, want cancelled with EndedAt", s.Status, s.EndedAt)
		}
		if string(s.Result) != `{"done":1}` || s.ResultText != "partial" {
			t.Errorf("stored result %s %q, want {\"done\":1} \"partial\"", s.Result, s.ResultText)
		}
		if s.Error != "" {
			t.Errorf("stored error %q, want none for a cancelled job", s.Error)
		}
		if s.Done != 1 || s.Total != 5 || s.Message != "one" || s.Attempts != 1 {
			t.Errorf("stored progress %d/%d %q attempts %d, want 1/5 \"one\" 1", s.Done, s.Total, s.Message, s.Attempts)
		}

		_, err = m.Cancel(j.ID)
		if !errors.Is(err, jobs.ErrFinished) {
			t.Errorf("cancel of a finished job: %v, want ErrFinished", err)
		}
	})

	t.Run("finished", func(t *testing.T) {
		j := submit(t, m, "gate", "f", "fin", 0)
		g.release("fin")
		if got := g.next(t); got != "fin" {
			t.Fatalf("started %q, want fin", got)
		}
		waitEnd(t, m, j.ID, record.JobCompleted)
		st, err := m.Cancel(j.ID)
		if !errors.Is(err, jobs.ErrFinished) {
			t.Fatalf("cancel of a completed job: %v, want ErrFinished", err)
		}
		if st.ID != j.ID || st.Status != record.JobCompleted {
			t.Errorf("cancel of a completed job returned %s %q, want %s completed", st.ID, st.Status, j.ID)
		}
		if s := stored(t, store, j.ID); s.Status != record.JobCompleted {
			t.Errorf("stored %q after the refused cancel, want completed", s.Status)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		_, err := m.Cancel("j-nope")
		if !errors.Is(err, memory.ErrJobNotFound) {
			t.Errorf("cancel of an unknown id: %v, want ErrJobNotFound", err)
		}
		if errors.Is(err, jobs.ErrFinished) {
			t.Errorf("cancel of an unknown id: %v, should not be ErrFinished", err)
		}
		if _, err := m.Get("j-nope"); !errors.Is(err, memory.ErrJobNotFound) {
			t.Errorf("get of an unknown id: %v, want ErrJobNotFound", err)
		}
	})
}

func TestFailures(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)
	m.Register("fail", func(context.Context, record.Job, jobs.Reporter) (any, string, error) {
		return nil, "", errors.New("model exploded")
	})
	m.Register("panic", func(context.Context, record.Job, jobs.Reporter) (any, string, error) {
		panic("boom")
	})

	f := submit(t, m, "fail", "h", "f", 0)
	st := waitEnd(t, m, f.ID, record.JobFailed)
	if st.Error != "model exploded" {
		t.Errorf("failed job error %q, want %q", st.Error, "model exploded")
	}
	s := stored(t, store, f.ID)
	if s.Status != record.JobFailed || s.Error != "model exploded" || s.EndedAt.IsZero() || s.Result != nil {
		t.Errorf("stored %q error %q ended %v result %s; want failed, model exploded, set, none", s.Status, s.Error, s.EndedAt, s.Result)
	}

	p := submit(t, m, "panic", "h", "p", 0)
	// Queued behind the panicking job on the same host: it must still run.
	next := submit(t, m, "gate", "h", "next", 0)
	other := submit(t, m, "gate", "other", "other", 0)
	st = waitEnd(t, m, p.ID, record.JobFailed)
	if !strings.Contains(st.Error, "panicked") || !strings.Contains(st.Error, "boom") || !strings.Contains(st.Error, p.ID) {
		t.Errorf("panicked job error %q, want it to name the job, say panicked and boom", st.Error)
	}
	if s := stored(t, store, p.ID); s.Status != record.JobFailed || s.Error != st.Error {
		t.Errorf("stored %q error %q, want failed %q", s.Status, s.Error, st.Error)
	}

	g.release("next")
	g.release("other")
	waitEnd(t, m, next.ID, record.JobCompleted)
	waitEnd(t, m, other.ID, record.JobCompleted)
}

func TestShutdownAndRecover(t *testing.T) {
	store := newStore(t)
	m1 := jobs.New(store, nil)
	t.Cleanup(func() { m1.Shutdown(guard) })

	causes := make(chan error, 1)
	running := make(chan struct{})
	var late sync.Mutex
	var lateStarts []string
	m1.Register("resumable", func(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
		if nameOf(job) != "interrupted" {
			late.Lock()
			lateStarts = append(lateStarts, nameOf(job))
			late.Unlock()
			<-ctx.Done()
			return nil, "", ctx.Err()
		}
		r.Began([]string{"run-1", "run-2"}, "cmp-1")
		r.Progress(1, 2, "one run done")
		close(running)
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return map[string]string{"partial": "yes"}, "partial", ctx.Err()
	})

	intr := submit(t, m1, "resumable", "h", "interrupted", 0)
	select {
	case <-running:
	case <-time.After(guard):
		t.Fatal("the job never ran")
	}
	queued := submit(t, m1, "resumable", "h", "queued", 0)
	done := submit(t, m1, "resumable", "h", "done", 0)
	if _, err := m1.Cancel(done.ID); err != nil { // an ended job, not to recover
		t.Fatalf("cancel: %v", err)
	}

	if !m1.Shutdown(guard) {
		t.Fatal("Shutdown: the running job did not stop")
	}
	cause := <-causes
	if cause == nil || errors.Is(cause, context.Canceled) {
		t.Errorf("work's context cause on shutdown %v, want a shutdown cause that is not context.Canceled", cause)
	}

	s := stored(t, store, intr.ID)
	if s.Status != record.JobInterrupted {
		t.Errorf("running job stored %q after shutdown, want interrupted", s.Status)
	}
	if !s.EndedAt.IsZero() || s.Result != nil || s.ResultText != "" || s.Error != "" {
		t.Errorf("interrupted job ended %v result %s text %q error %q, want none of them", s.EndedAt, s.Result, s.ResultText, s.Error)
	}
	if !slices.Equal(s.RunIDs, []string{"run-1", "run-2"}) || s.ComparisonID != "cmp-1" {
		t.Errorf("interrupted job run ids %v comparison %q, want [run-1 run-2] cmp-1", s.RunIDs, s.ComparisonID)
	}
	if s.Done != 1 || s.Total != 2 || s.Attempts != 1 {
		t.Errorf("interrupted job progress %d/%d attempts %d, want 1/2 1", s.Done, s.Total, s.Attempts)
	}
	if q := stored(t, store, queued.ID); q.Status != record.JobQueued || q.Attempts != 0 {
		t.Errorf("queued job stored %q attempts %d after shutdown, want queued 0", q.Status, q.Attempts)
	}
	late.Lock()
	if len(lateStarts) != 0 {
		t.Errorf("jobs started after shutdown: %v", lateStarts)
	}
	late.Unlock()
	if _, err := m1.Submit("resumable", []string{"h"}, nil, nameArgs{Name: "late"}, 0); err == nil {
		t.Error("Submit after Shutdown succeeded")
	}

	// A new process over the same store.
	m2 := newManager(t, store)
	seen := make(chan record.Job, 10)
	m2.Register("resumable", func(_ context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
		seen <- job
		r.Progress(2, 2, "all done")
		return nameOf(job), "resumed " + nameOf(job), nil
	})
	var unfinished []record.Job
	for _, status := range []record.JobStatus{record.JobQueued, record.JobRunning, record.JobInterrupted} {
		js, err := store.ListJobs(memory.JobFilter{Status: status})
		if err != nil {
			t.Fatalf("list %s jobs: %v", status, err)
		}
		unfinished = append(unfinished, js...)
	}
	if len(unfinished) != 2 {
		t.Fatalf("unfinished jobs in the store: %d, want 2", len(unfinished))
	}
	// A finished job given by mistake is skipped.
	unfinished = append(unfinished, stored(t, store, done.ID))
	if err := m2.Recover(unfinished); err != nil {
		t.Fatalf("recover: %v", err)
	}

	waitEnd(t, m2, intr.ID, record.JobCompleted)
	waitEnd(t, m2, queued.ID, record.JobCompleted)

	var got []record.Job
	for range 2 {
		select {
		case j := <-seen:
			got = append(got, j)
		case <-time.After(guard):
			t.Fatal("a recovered job never ran")
		}
	}
	select {
	case j := <-seen:
		t.Errorf("job %s (%s) ran too", j.ID, nameOf(j))
	default:
	}
	if got[0].ID != intr.ID || got[1].ID != queued.ID {
		t.Errorf("recovered run order %s, %s; want the older %s first, then %s", got[0].ID, got[1].ID, intr.ID, queued.ID)
	}
	r := got[0]
	if !slices.Equal(r.RunIDs, []string{"run-1", "run-2"}) || r.ComparisonID != "cmp-1" || r.Attempts != 2 || r.Done != 1 || r.Total != 2 {
		t.Errorf("resumed job given run ids %v comparison %q attempts %d progress %d/%d; want [run-1 run-2] cmp-1 2 1/2",
			r.RunIDs, r.ComparisonID, r.Attempts, r.Done, r.Total)
	}
	if q := got[1]; len(q.RunIDs) != 0 || q.ComparisonID != "" || q.Attempts != 1 {
		t.Errorf("recovered queued job given run ids %v comparison %q attempts %d; want none, none, 1", q.RunIDs, q.ComparisonID, q.Attempts)
	}

	s = stored(t, store, intr.ID)
	if s.Attempts != 2 || string(s.Result) != `"interrupted"` || s.ResultText != "resumed interrupted" || s.EndedAt.IsZero() || s.Done != 2 {
		t.Errorf("resumed job stored attempts %d result %s text %q ended %v done %d; want 2 \"interrupted\" \"resumed interrupted\" set 2",
			s.Attempts, s.Result, s.ResultText, s.EndedAt, s.Done)
	}
	if !slices.Equal(s.RunIDs, []string{"run-1", "run-2"}) || s.ComparisonID != "cmp-1" {
		t.Errorf("resumed job stored run ids %v comparison %q, want them kept", s.RunIDs, s.ComparisonID)
	}
	if q := stored(t, store, queued.ID); q.Attempts != 1 || string(q.Result) != `"queued"` {
		t.Errorf("recovered queued job stored attempts %d result %s, want 1 \"queued\"", q.Attempts, q.Result)
	}
	if d := stored(t, store, done.ID); d.Status != record.JobCancelled || d.Attempts != 0 {
		t.Errorf("finished job after recover: %q attempts %d, want cancelled 0 (untouched)", d.Status, d.Attempts)
	}
}

type progress struct {
	done, total int
	msg         string
}

func TestProgressSubscribeAndETA(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	steps := make(chan progress)
	acks := make(chan struct{})
	m.Register("steps", func(ctx context.Context, _ record.Job, r jobs.Reporter) (any, string, error) {
		acks <- struct{}{} // running
		for {
			select {
			case p, ok := <-steps:
				if !ok {
					return "ok", "", nil
				}
				r.Progress(p.done, p.total, p.msg)
				acks <- struct{}{}
			case <-ctx.Done():
				return nil, "", ctx.Err()
			}
		}
	})
	ack := func() {
		t.Helper()
		select {
		case <-acks:
		case <-time.After(guard):
			t.Fatal("the job did not answer")
		}
	}
	step := func(p progress) {
		t.Helper()
		select {
		case steps <- p:
		case <-time.After(guard):
			t.Fatal("the job did not take a step")
		}
		ack()
	}

	j := submit(t, m, "steps", "h", "steps", 0)
	ack()
	behind := submit(t, m, "gate", "h", "behind", 0)

	st := get(t, m, j.ID)
	if st.Status != record.JobRunning || st.ETASeconds != nil || st.ElapsedSeconds < 0 {
		t.Errorf("running job before progress: %q ETA %v elapsed %v, want running, nil, >= 0", st.Status, st.ETASeconds, st.ElapsedSeconds)
	}
	if q := get(t, m, behind.ID); q.Status != record.JobQueued || q.QueuePosition != 1 || q.ETASeconds != nil {
		t.Errorf("queued job before progress: %q position %d ETA %v, want queued, 1, nil", q.Status, q.QueuePosition, q.ETASeconds)
	}

	var mu sync.Mutex
	var first, second []progress
	unsub := m.Subscribe(j.ID, func(done, total int, msg string) {
		mu.Lock()
		defer mu.Unlock()
		first = append(first, progress{done, total, msg})
	})
	unsub2 := m.Subscribe(j.ID, func(done, total int, msg string) {
		mu.Lock()
		defer mu.Unlock()
		second = append(second, progress{done, total, msg})
	})
	defer unsub2()

	all := []progress{{1, 4, "a"}, {2, 4, "b"}, {3, 4, "c"}, {4, 4, "d"}}
	step(all[0])

	st = get(t, m, j.ID)
	if st.ETASeconds == nil || *st.ETASeconds < 0 {
		t.Errorf("running job after progress: ETA %v, want >= 0", st.ETASeconds)
	}
	if st.Done != 1 || st.Total != 4 || st.Message != "a" {
		t.Errorf("live progress %d/%d %q, want 1/4 \"a\"", st.Done, st.Total, st.Message)
	}
	q := get(t, m, behind.ID)
	if q.ETASeconds == nil || *q.ETASeconds < 0 {
		t.Errorf("queued job after its host measured a rate: ETA %v, want >= 0", q.ETASeconds)
	} else if st.ETASeconds != nil && *q.ETASeconds != *st.ETASeconds {
		// Nothing is known of the queued job's own size, so it ends when
		// the running one does, at the same rate.
		t.Errorf("queued job ETA %v, want the running job's %v", *q.ETASeconds, *st.ETASeconds)
	}

	step(all[1])
	unsub()
	unsub() // twice is harmless
	step(all[2])
	step(all[3])
	close(steps)
	waitEnd(t, m, j.ID, record.JobCompleted)

	mu.Lock()
	if !slices.Equal(first, all[:2]) {
		t.Errorf("unsubscribed watcher got %v, want %v", first, all[:2])
	}
	if !slices.Equal(second, all) {
		t.Errorf("subscribed watcher got %v, want %v", second, all)
	}
	mu.Unlock()

	s := stored(t, store, j.ID)
	if s.Done != 4 || s.Total != 4 || s.Message != "d" {
		t.Errorf("stored progress after the end %d/%d %q, want 4/4 \"d\"", s.Done, s.Total, s.Message)
	}

	// A job that is not live is never reported; its unsubscribe is harmless.
	m.Subscribe(j.ID, func(int, int, string) { t.Error("a finished job reported progress") })()
	m.Subscribe("j-nope", func(int, int, string) { t.Error("an unknown job reported progress") })()

	g.release("behind")
	waitEnd(t, m, behind.ID, record.JobCompleted)
}

func TestUnknownKind(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	m.Register("known", func(context.Context, record.Job, jobs.Reporter) (any, string, error) { return nil, "", nil })

	_, err := m.Submit("nope", []string{"h"}, nil, nameArgs{Name: "x"}, 0)
	if !errors.Is(err, jobs.ErrUnknownKind) {
		t.Errorf("submit of an unknown kind: %v, want ErrUnknownKind", err)
	}
	if _, err := m.Submit("known", []string{"h"}, nil, make(chan int), 0); err == nil {
		t.Error("submit of arguments that cannot be encoded succeeded")
	}
	for _, hosts := range [][]string{nil, {}} {
		if _, err := m.Submit("known", hosts, nil, nameArgs{Name: "x"}, 0); err == nil {
			t.Errorf("submit on hosts %#v succeeded, want an error", hosts)
		}
	}
	js, err := store.ListJobs(memory.JobFilter{})
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	if len(js) != 0 {
		t.Errorf("refused submits stored %d jobs, want 0", len(js))
	}
}

func TestSetNotify(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	m.Register("quick", func(context.Context, record.Job, jobs.Reporter) (any, string, error) {
		return 42, "done", nil
	})

	var mu sync.Mutex
	seen := map[string][]record.JobStatus{}
	ended := make(chan record.Job, 10)
	m.SetNotify(func(j record.Job) {
		mu.Lock()
		seen[j.ID] = append(seen[j.ID], j.Status)
		mu.Unlock()
		if j.Status.Terminal() {
			ended <- j
		}
	})

	j := submit(t, m, "quick", "h", "n", 0)
	var last record.Job
	select {
	case last = <-ended:
	case <-time.After(guard):
		t.Fatal("no end was notified")
	}
	if last.ID != j.ID || last.Status != record.JobCompleted || string(last.Result) != "42" || last.ResultText != "done" {
		t.Errorf("end notified %s %q result %s %q, want %s completed 42 done", last.ID, last.Status, last.Result, last.ResultText, j.ID)
	}
	mu.Lock()
	got := seen[j.ID]
	mu.Unlock()
	if want := []record.JobStatus{record.JobQueued, record.JobRunning, record.JobCompleted}; !slices.Equal(got, want) {
		t.Errorf("notified statuses %v, want %v", got, want)
	}
}

// settle makes the manager schedule once more and returns after it has:
// Submit schedules before it returns, so every job that can start by then
// is running (its status says so at once; its work may start a little
// later). A test calls it before it checks that a job did not start.
func settle(t *testing.T, m *jobs.Manager) {
	t.Helper()
	m.Register("settle", func(context.Context, record.Job, jobs.Reporter) (any, string, error) { return nil, "", nil })
	j, err := m.Submit("settle", []string{"settle-host"}, nil, nameArgs{Name: "settle"}, 0)
	if err != nil {
		t.Fatalf("submit settle: %v", err)
	}
	waitEnd(t, m, j.ID, record.JobCompleted)
}

// wantStatus checks a live job's status and queue position.
func wantStatus(t *testing.T, m *jobs.Manager, j record.Job, status record.JobStatus, pos int) {
	t.Helper()
	if st := get(t, m, j.ID); st.Status != status || st.QueuePosition != pos {
		t.Errorf("job %s (%s): %q at position %d, want %q at %d", j.ID, nameOf(j), st.Status, st.QueuePosition, status, pos)
	}
}

// startedSet returns the names of the next n jobs to start, sorted.
func startedSet(t *testing.T, g *gates, n int) []string {
	t.Helper()
	var names []string
	for range n {
		names = append(names, g.next(t))
	}
	slices.Sort(names)
	return names
}

func TestMultiHostJobHoldsAllItsHosts(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	a1 := submit(t, m, "gate", "a", "A1", 0)
	b1 := submit(t, m, "gate", "b", "B1", 0)
	if got := startedSet(t, g, 2); !slices.Equal(got, []string{"A1", "B1"}) {
		t.Fatalf("first to start: %v, want A1 and B1", got)
	}

	// A repeated host counts once.
	multi := submitOn(t, m, "gate", []string{"a", "b", "a"}, "M", 0)
	if multi.Host != "a" || !slices.Equal(multi.Hosts, []string{"a", "b"}) {
		t.Errorf("submitted multi-host job: host %q hosts %v, want a [a b]", multi.Host, multi.Hosts)
	}
	if s := stored(t, store, multi.ID); s.Host != "a" || !slices.Equal(s.Hosts, []string{"a", "b"}) || !slices.Equal(s.HostSet(), []string{"a", "b"}) {
		t.Errorf("stored multi-host job: host %q hosts %v host set %v, want a [a b] [a b]", s.Host, s.Hosts, s.HostSet())
	}
	settle(t, m)
	wantStatus(t, m, multi, record.JobQueued, 1)

	// One of its hosts frees: it still waits for the other.
	g.release("A1")
	waitEnd(t, m, a1.ID, record.JobCompleted)
	settle(t, m)
	wantStatus(t, m, multi, record.JobQueued, 1)

	// Both free: it runs, holding both.
	g.release("B1")
	waitEnd(t, m, b1.ID, record.JobCompleted)
	if got := g.next(t); got != "M" {
		t.Fatalf("after A1 and B1 started %q, want M", got)
	}
	wantStatus(t, m, multi, record.JobRunning, 0)

	// Single-host jobs on either of its hosts wait; one elsewhere runs.
	onA := submit(t, m, "gate", "a", "SA", 0)
	onB := submit(t, m, "gate", "b", "SB", 0)
	onC := submit(t, m, "gate", "c", "SC", 0)
	if got := g.next(t); got != "SC" {
		t.Fatalf("while M runs started %q, want SC", got)
	}
	settle(t, m)
	wantStatus(t, m, onA, record.JobQueued, 1)
	wantStatus(t, m, onB, record.JobQueued, 1)
	wantStatus(t, m, onC, record.JobRunning, 0)
	g.noneStarted(t)

	g.release("M")
	waitEnd(t, m, multi.ID, record.JobCompleted)
	if got := startedSet(t, g, 2); !slices.Equal(got, []string{"SA", "SB"}) {
		t.Fatalf("after M ended started %v, want SA and SB", got)
	}
	for _, n := range []string{"SA", "SB", "SC"} {
		g.release(n)
	}
	for _, j := range []record.Job{onA, onB, onC} {
		waitEnd(t, m, j.ID, record.JobCompleted)
	}
	g.noneStarted(t)
}

func TestSingleHostJobsOnDifferentHostsRunTogether(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	x := submit(t, m, "gate", "x", "X", 0)
	y := submit(t, m, "gate", "y", "Y", 0)
	// Both start before either is released.
	if got := startedSet(t, g, 2); !slices.Equal(got, []string{"X", "Y"}) {
		t.Fatalf("started %v, want X and Y", got)
	}
	wantStatus(t, m, x, record.JobRunning, 0)
	wantStatus(t, m, y, record.JobRunning, 0)
	if s := stored(t, store, x.ID); s.Host != "x" || s.Hosts != nil || !slices.Equal(s.HostSet(), []string{"x"}) {
		t.Errorf("stored single-host job: host %q hosts %v host set %v, want x, none, [x]", s.Host, s.Hosts, s.HostSet())
	}
	g.release("X")
	g.release("Y")
	waitEnd(t, m, x.ID, record.JobCompleted)
	waitEnd(t, m, y.ID, record.JobCompleted)
}

func TestMultiHostJobReservesItsHosts(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	a1 := submit(t, m, "gate", "a", "A1", 0)
	if got := g.next(t); got != "A1" {
		t.Fatalf("started %q, want A1", got)
	}
	multi := submitOn(t, m, "gate", []string{"a", "b"}, "M", 0)

	// b is free, but M, ahead in the order and waiting for a, reserves it.
	b1 := submit(t, m, "gate", "b", "B1", 0)
	// A host M does not need still takes jobs.
	c1 := submit(t, m, "gate", "c", "C1", 0)
	if got := g.next(t); got != "C1" {
		t.Fatalf("started %q, want C1 (c is not reserved)", got)
	}
	// A higher priority goes before M, reservation or not.
	urgent := submit(t, m, "gate", "b", "P", 5)
	if got := g.next(t); got != "P" {
		t.Fatalf("started %q, want P (priority 5, ahead of M)", got)
	}
	settle(t, m)
	wantStatus(t, m, multi, record.JobQueued, 1)
	wantStatus(t, m, b1, record.JobQueued, 2) // behind M, which shares b
	wantStatus(t, m, urgent, record.JobRunning, 0)

	// a frees while b is still busy: a stays idle for M; a job on a that
	// comes after M does not take it, however many come.
	g.release("A1")
	waitEnd(t, m, a1.ID, record.JobCompleted)
	a2 := submit(t, m, "gate", "a", "A2", 0)
	a3 := submit(t, m, "gate", "a", "A3", 0)
	settle(t, m)
	wantStatus(t, m, multi, record.JobQueued, 1)
	wantStatus(t, m, a2, record.JobQueued, 2)
	wantStatus(t, m, a3, record.JobQueued, 3)
	wantStatus(t, m, b1, record.JobQueued, 2)
	g.noneStarted(t)

	// b frees: M starts, before the single-host jobs queued behind it.
	g.release("P")
	waitEnd(t, m, urgent.ID, record.JobCompleted)
	if got := g.next(t); got != "M" {
		t.Fatalf("after P started %q, want M", got)
	}
	settle(t, m)
	for _, j := range []record.Job{a2, b1} {
		wantStatus(t, m, j, record.JobQueued, 1)
	}
	g.noneStarted(t)

	g.release("M")
	waitEnd(t, m, multi.ID, record.JobCompleted)
	if got := startedSet(t, g, 2); !slices.Equal(got, []string{"A2", "B1"}) {
		t.Fatalf("after M ended started %v, want A2 and B1", got)
	}
	for _, n := range []string{"A2", "A3", "B1", "C1"} {
		g.release(n)
	}
	if got := g.next(t); got != "A3" {
		t.Fatalf("started %q, want A3", got)
	}
	for _, j := range []record.Job{a2, a3, b1, c1} {
		waitEnd(t, m, j.ID, record.JobCompleted)
	}

	// Cancelling a waiting multi-host job lifts its reservation at once.
	x1 := submit(t, m, "gate", "x", "X1", 0)
	if got := g.next(t); got != "X1" {
		t.Fatalf("started %q, want X1", got)
	}
	waiting := submitOn(t, m, "gate", []string{"x", "y"}, "MXY", 0)
	y1 := submit(t, m, "gate", "y", "Y1", 0)
	settle(t, m)
	wantStatus(t, m, y1, record.JobQueued, 2)
	if _, err := m.Cancel(waiting.ID); err != nil {
		t.Fatalf("cancel MXY: %v", err)
	}
	if got := g.next(t); got != "Y1" {
		t.Fatalf("after cancelling MXY started %q, want Y1", got)
	}
	g.release("X1")
	g.release("Y1")
	waitEnd(t, m, x1.ID, record.JobCompleted)
	waitEnd(t, m, y1.ID, record.JobCompleted)
	g.noneStarted(t)
}

func TestStoredSingleHostJobStillSchedules(t *testing.T) {
	store := newStore(t)
	m := newManager(t, store)
	g := newGates()
	m.Register("gate", g.work)

	// A job as stored before jobs could hold several hosts: host, no hosts.
	old := record.Job{Kind: "gate", Status: record.JobInterrupted, Host: "a", Args: json.RawMessage(`{"name":"old"}`)}
	if err := store.PutJob(&old); err != nil {
		t.Fatalf("put job: %v", err)
	}
	raw, err := json.Marshal(stored(t, store, old.ID))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"hosts"`) {
		t.Fatalf("a single-host job encodes hosts: %s", raw)
	}
	var back record.Job
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.HostSet(), []string{"a"}) {
		t.Errorf("old job's host set %v, want [a]", back.HostSet())
	}
	if err := m.Recover([]record.Job{back}); err != nil {
		t.Fatalf("recover: %v", err)
	}
	if got := g.next(t); got != "old" {
		t.Fatalf("started %q, want old", got)
	}

	// It holds its host against new jobs, single- or multi-host.
	single := submit(t, m, "gate", "a", "new", 0)
	multi := submitOn(t, m, "gate", []string{"b", "a"}, "M", 0)
	settle(t, m)
	wantStatus(t, m, old, record.JobRunning, 0)
	wantStatus(t, m, single, record.JobQueued, 1)
	wantStatus(t, m, multi, record.JobQueued, 2)

	g.release("old")
	waitEnd(t, m, old.ID, record.JobCompleted)
	if got := g.next(t); got != "new" {
		t.Fatalf("after old started %q, want new", got)
	}
	g.release("new")
	waitEnd(t, m, single.ID, record.JobCompleted)
	if got := g.next(t); got != "M" {
		t.Fatalf("after new started %q, want M", got)
	}
	g.release("M")
	waitEnd(t, m, multi.ID, record.JobCompleted)
	if s := stored(t, store, old.ID); s.Host != "a" || s.Hosts != nil || s.Attempts != 1 {
		t.Errorf("old job stored host %q hosts %v attempts %d, want a, none, 1", s.Host, s.Hosts, s.Attempts)
	}
}

// A job that panics fails, and the log has the panic's stack, pointing at
// the work that panicked.
func TestPanicStackLogged(t *testing.T) {
	var logs syncBuilder
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	m := newManager(t, newStore(t))
	m.Register("panic", panickingWork)
	p := submit(t, m, "panic", "h", "p", 0)
	st := waitEnd(t, m, p.ID, record.JobFailed)
	if !strings.Contains(st.Error, "stack is in the server's log") {
		t.Errorf("error %q does not say where the stack is", st.Error)
	}
	if got := logs.String(); !strings.Contains(got, "panickingWork") || !strings.Contains(got, p.ID) {
		t.Errorf("the log lacks the job and the stack of the panic:\n%s", got)
	}
}

func panickingWork(context.Context, record.Job, jobs.Reporter) (any, string, error) {
	var s []int
	_ = s[3] // index out of range: the panic a real bug would raise
	return nil, "", nil
}

// syncBuilder is a strings.Builder safe for the log handler's writes from
// the job's goroutine.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
