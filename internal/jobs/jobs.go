// Package jobs runs long operations (runs, comparisons) as durable jobs: a
// job is stored before it runs, queued per Ollama host (one at a time per
// host, hosts at the same time, higher priority first, then first come; a
// job may hold several hosts at once, and then runs only when all of them
// are free), run on the manager's own context rather than the request's,
// and its progress, run ids and result are stored as it goes, so that a
// restarted server finds every job and resumes the ones that were running.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
)

// Store is where jobs are kept. *memory.Store implements it.
type Store interface {
	PutJob(j *record.Job) error
	GetJob(id string) (record.Job, error)
	UpdateJob(id string, fn func(*record.Job) error) (record.Job, error)
}

// Reporter is how a job's work tells the manager how far it got.
type Reporter interface {
	// Progress says done of total units are finished; msg describes the last.
	Progress(done, total int, msg string)
	// Began records the runs the job made (and the comparison they share)
	// as soon as they exist, so that an interrupted job resumes them.
	Began(runIDs []string, comparisonID string)
}

// Work does a job: it returns the structured result and its markdown. It
// must stop when ctx ends, leaving what it did resumable. A job whose
// RunIDs are set was interrupted before: the work resumes those runs.
type Work func(ctx context.Context, job record.Job, r Reporter) (result any, text string, err error)

// Errors callers branch on.
var (
	ErrUnknownKind = errors.New("unknown job kind")
	ErrFinished    = errors.New("job already finished")
	ErrClientLimit = errors.New("too many unfinished jobs for one client")
)

// errShutdown is the cause of a job's context ending because the server stops.
var errShutdown = errors.New("server shutting down")

// persistEvery is the least time between two stores of a running job's
// progress; state changes and run ids are stored at once.
const persistEvery = 2 * time.Second

// Status is a job as it stands, with where it is in its host's queue and
// when it should end.
type Status struct {
	record.Job
	// QueuePosition is 1 for the next job to run on its host; 0 when not
	// queued. For a job on several hosts it counts the queued jobs ahead of
	// it that share any of its hosts.
	QueuePosition int `json:"queue_position"`
	// ETASeconds is the estimated time until the job ends, from the call
	// times measured on its host; nil until there is something to go on.
	ETASeconds *float64 `json:"eta_s"`
	// ElapsedSeconds is how long it has been running in this process.
	ElapsedSeconds float64 `json:"elapsed_s"`
}

// Manager queues and runs jobs. Build it with New, Register the kinds,
// Recover the stored unfinished jobs, then Submit.
type Manager struct {
	store  Store
	notify func(record.Job) // told about every state change; may be nil

	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	kinds   map[string]Work
	live    map[string]*entry  // jobs of this process that are queued or running
	busy    map[string]string  // host -> id of the job running on it (a multi-host job is on each of its hosts)
	perSec  map[string]float64 // host -> measured seconds per unit of work (a multi-host job measures for its first host)
	watchID int
	closed  bool
	// perClient caps the unfinished (queued or running) jobs one client
	// may have in this process; 0 is no cap. submitting counts the
	// client's submissions under way (not live yet).
	perClient  int
	submitting map[string]int
	crashLimit int                                          // see SetCrashLimit
	ping       func(ctx context.Context, host string) error // see SetHostPing
}

// entry is a live job: its latest state and what it needs to run.
type entry struct {
	job      record.Job
	cancel   context.CancelCauseFunc
	ended    chan struct{} // closed when the job leaves this process (ended or interrupted)
	started  time.Time     // when it began running here
	doneAt0  int           // done when it began running here
	persist  time.Time     // last time progress was stored
	pace     pace          // its time per unit, from its progress reports
	byCaller bool          // cancelled by cancel_job
	// recovered: queued again from a previous process, whose clients
	// are gone, so it counts for no client's limit.
	recovered bool
	watchers  map[int]func(done, total int, msg string)
}

// maxGaps is how many of the latest gaps between progress reports a job's
// time per unit is the median of.
const maxGaps = 32

// pace is a running job's time per unit of work: the median of the gaps
// between its progress reports (the latest maxGaps), so that a gap that
// held a model load is an outlier, where elapsed/done would spread the load
// over every call still to come.
type pace struct {
	lastAt   time.Time // the last report; zero before the first
	lastDone int
	gaps     []float64 // seconds per unit
}

// report takes a progress report of done units at now, of a job that began
// running at started with doneAt0 units done, and returns the job's time
// per unit; false while nothing is known. With one report so far it is
// elapsed/done, which holds the warm-up and any load.
func (p *pace) report(now, started time.Time, doneAt0, done int) (float64, bool) {
	if !p.lastAt.IsZero() && done > p.lastDone {
		p.gaps = append(p.gaps, now.Sub(p.lastAt).Seconds()/float64(done-p.lastDone))
		if len(p.gaps) > maxGaps {
			p.gaps = p.gaps[len(p.gaps)-maxGaps:]
		}
	}
	if done > p.lastDone || p.lastAt.IsZero() {
		p.lastAt, p.lastDone = now, done
	}
	switch d := done - doneAt0; {
	case len(p.gaps) > 0:
		return stats.Median(p.gaps), true
	case d > 0:
		return now.Sub(started).Seconds() / float64(d), true
	}
	return 0, false
}

// New returns a manager over store. notify, if not nil, is called with the
// job after every change of status.
func New(store Store, notify func(record.Job)) *Manager {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Manager{
		store: store, notify: notify, ctx: ctx, cancel: cancel,
		kinds: map[string]Work{}, live: map[string]*entry{}, busy: map[string]string{}, perSec: map[string]float64{},
		submitting: map[string]int{}, crashLimit: DefaultCrashLimit,
	}
}

// Register makes a kind of job runnable.
func (m *Manager) Register(kind string, w Work) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kinds[kind] = w
}

// SetClientLimit caps the unfinished jobs (queued or running) one client
// may have at a time; n <= 0 removes the cap. Jobs recovered from a
// previous process count for nobody: their clients are gone.
func (m *Manager) SetClientLimit(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.perClient = max(n, 0)
}

// Submit is SubmitFor with no client: the CLI's jobs.
func (m *Manager) Submit(kind string, hosts []string, models []string, args any, priority int) (record.Job, error) {
	return m.SubmitFor(By{}, kind, hosts, models, args, priority)
}

// By says who submits a job: the client it counts against, and, for a job
// its client follows as an MCP task, the hash of the task id's secret.
type By struct {
	Client   string // "" from the CLI
	TaskHash string // stored as record.Job.TaskHash
}

// SubmitFor stores a new job of by.Client and queues it, unless the client
// already has as many unfinished jobs as the client limit allows. hosts are the named Ollama hosts it
// holds while it runs (at least one; a repeated name counts once): it starts
// only when all of them are free, and no other job runs on any of them until
// it ends. args are the tool's arguments.
func (m *Manager) SubmitFor(by By, kind string, hosts []string, models []string, args any, priority int) (record.Job, error) {
	if len(hosts) == 0 {
		return record.Job{}, errors.New("a job needs at least one host to run on")
	}
	hosts = dedup(hosts)
	raw, err := json.Marshal(args)
	if err != nil {
		return record.Job{}, fmt.Errorf("encode job arguments: %w", err)
	}
	client := by.Client
	m.mu.Lock()
	_, known := m.kinds[kind]
	closed := m.closed
	// Submissions of the client that are being stored count too, so
	// that concurrent calls cannot pass the limit together.
	unfinished := m.submitting[client]
	for _, e := range m.live {
		if e.job.Client == client && !e.recovered {
			unfinished++
		}
	}
	over := m.perClient > 0 && unfinished >= m.perClient
	if known && !closed && !over {
		m.submitting[client]++
	}
	m.mu.Unlock()
	if !known {
		return record.Job{}, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	if closed {
		return record.Job{}, errors.New("the server is shutting down; submit the job again after it restarts")
	}
	if over {
		return record.Job{}, fmt.Errorf("%w: this client has %d queued or running, the most one client may have; wait for one to end (job_status), cancel one (cancel_job), or start the server with a higher --max-client-jobs", ErrClientLimit, unfinished)
	}
	defer func() {
		m.mu.Lock()
		if m.submitting[client]--; m.submitting[client] <= 0 {
			delete(m.submitting, client)
		}
		m.mu.Unlock()
	}()
	j := record.Job{Kind: kind, Status: record.JobQueued, Priority: priority, Host: hosts[0], Models: models, Args: raw, Client: client, TaskHash: by.TaskHash, CreatedAt: time.Now().UTC()}
	if len(hosts) > 1 {
		j.Hosts = hosts
	}
	if err := m.store.PutJob(&j); err != nil {
		return record.Job{}, fmt.Errorf("store job: %w", err)
	}
	m.changed(j) // before it can start, so that "queued" is always told first
	m.mu.Lock()
	m.live[j.ID] = &entry{job: j, ended: make(chan struct{})}
	m.mu.Unlock()
	m.schedule()
	return j, nil
}

// dedup returns hosts without repeats, in the order they first appear, in a
// new slice.
func dedup(hosts []string) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// Recover takes the stored jobs that had not finished when the last process
// stopped (queued, running, waiting or interrupted) and queues them again;
// the ones that had begun resume their runs. A job still stored running (or
// waiting) was running when its server died: once that has happened as many
// times as the crash limit (SetCrashLimit), the job is failed with the
// reason instead. Call it once, before Submit.
func (m *Manager) Recover(unfinished []record.Job) error {
	m.mu.Lock()
	limit := m.crashLimit
	m.mu.Unlock()
	var errs []error
	for _, j := range unfinished {
		if j.Status.Terminal() {
			continue
		}
		failed := false
		stored, err := m.store.UpdateJob(j.ID, func(s *record.Job) error {
			if failed = crashed(s, limit, time.Now().UTC()); !failed {
				s.Status = record.JobQueued
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("requeue job %s: %w", j.ID, err))
			continue
		}
		if failed {
			slog.Error("a job crashed its server too many times; it is failed, not queued again", "job", stored.ID, "crashes", stored.Crashes)
			m.changed(stored)
			continue
		}
		m.mu.Lock()
		m.live[stored.ID] = &entry{job: stored, ended: make(chan struct{}), recovered: true}
		m.mu.Unlock()
	}
	m.schedule()
	return errors.Join(errs...)
}

// schedule walks the queued jobs in the order they run (the highest
// priority, then the oldest) and starts each whose hosts are all free.
//
// Starvation: a job on several hosts needs them all free at once, which a
// stream of single-host jobs on any one of them could prevent forever. So a
// queued job that cannot start because one of its hosts is busy reserves
// all its hosts: no job after it in the order starts on any of them, even
// one that is free, and the free ones stay idle until it starts. Jobs on
// other hosts still start. A job that is held back only by another job's
// reservation reserves nothing (it would idle its other hosts for a job
// that is not next on them); once the job ahead of it starts, it is blocked
// by busy hosts and reserves its own. For a job on one host the rule changes
// nothing: its host is busy anyway. A job of higher priority submitted later
// is ahead in the order, so it still goes first (as it does on one host).
func (m *Manager) schedule() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	reserved := map[string]bool{}
	for _, e := range m.queuedLocked() {
		hosts := e.job.HostSet()
		if slices.ContainsFunc(hosts, func(h string) bool { return reserved[h] }) {
			continue
		}
		if slices.ContainsFunc(hosts, func(h string) bool { _, busy := m.busy[h]; return busy }) {
			for _, h := range hosts {
				reserved[h] = true
			}
			continue
		}
		m.startLocked(e)
	}
}

// queuedLocked lists the queued jobs in the order they will run.
func (m *Manager) queuedLocked() []*entry {
	var q []*entry
	for _, e := range m.live {
		if e.job.Status == record.JobQueued {
			q = append(q, e)
		}
	}
	slices.SortFunc(q, func(a, b *entry) int {
		if a.job.Priority != b.job.Priority {
			return b.job.Priority - a.job.Priority
		}
		if c := a.job.CreatedAt.Compare(b.job.CreatedAt); c != 0 {
			return c
		}
		return compareIDs(a.job.ID, b.job.ID)
	})
	return q
}

func compareIDs(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *Manager) startLocked(e *entry) {
	work := m.kinds[e.job.Kind]
	ctx, cancel := context.WithCancelCause(m.ctx)
	e.cancel = cancel
	e.started = time.Now()
	e.doneAt0 = e.job.Done
	e.job.Status = record.JobRunning
	e.job.Attempts++
	e.job.AttemptAt = time.Now().UTC()
	if e.job.StartedAt.IsZero() {
		e.job.StartedAt = e.job.AttemptAt
	}
	for _, h := range e.job.HostSet() {
		m.busy[h] = e.job.ID
	}
	job := e.job
	m.wg.Add(1)
	go m.run(ctx, e, job, work)
}

// run does one job on its own goroutine and records how it ended. A job
// whose host stops answering waits for it (waitHost) and then runs again,
// resuming its runs, as one more attempt.
func (m *Manager) run(ctx context.Context, e *entry, job record.Job, work Work) {
	defer m.wg.Done()
	var (
		result any
		text   string
		err    error
	)
	for {
		m.store.UpdateJob(job.ID, func(s *record.Job) error { //nolint:errcheck // a failed store shows at the end
			s.Status, s.Attempts, s.StartedAt, s.AttemptAt = job.Status, job.Attempts, job.StartedAt, job.AttemptAt
			return nil
		})
		m.changed(job)
		if work == nil {
			err = fmt.Errorf("%w %q: this server cannot run it", ErrUnknownKind, job.Kind)
		} else {
			result, text, err = safeWork(ctx, work, job, &reporter{m: m, id: job.ID})
		}
		down, ok := m.hostDown(ctx, err)
		if !ok || !m.waitHost(ctx, e, down) {
			break
		}
		m.mu.Lock()
		e.job.Status, e.job.Message = record.JobRunning, ""
		e.job.Attempts++
		e.job.AttemptAt = time.Now().UTC()
		e.started, e.doneAt0 = time.Now(), e.job.Done
		job = e.job
		m.mu.Unlock()
	}
	status := record.JobCompleted
	m.mu.Lock()
	byCaller := e.byCaller
	m.mu.Unlock()
	switch {
	case errors.Is(context.Cause(ctx), errShutdown):
		status = record.JobInterrupted
	case byCaller:
		status = record.JobCancelled
	case err != nil:
		status = record.JobFailed
	}
	var raw []byte
	if result != nil && status != record.JobInterrupted {
		raw, _ = json.Marshal(result)
	}
	msg := ""
	if err != nil && status == record.JobFailed {
		msg = err.Error()
	}
	m.mu.Lock()
	e.job.Status = status
	if status != record.JobInterrupted {
		e.job.EndedAt = time.Now().UTC()
		e.job.Result, e.job.ResultText, e.job.Error = raw, text, msg
	}
	final := e.job
	for _, h := range job.HostSet() {
		if m.busy[h] == job.ID {
			delete(m.busy, h)
		}
	}
	m.mu.Unlock()
	final = m.storeEnd(final)
	m.mu.Lock()
	delete(m.live, job.ID)
	m.mu.Unlock()
	close(e.ended)
	m.changed(final)
	m.schedule()
}

// safeWork runs work, turning a panic into an error (the job fails) and
// logging its stack, so one bad job cannot take the server down.
func safeWork(ctx context.Context, work Work, job record.Job, r Reporter) (result any, text string, err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("a job panicked; it fails", "job", job.ID, "kind", job.Kind, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("job %s panicked: %v; this is a bug in benchmcp: the stack is in the server's log, please report it", job.ID, p)
		}
	}()
	return work(ctx, job, r)
}

type reporter struct {
	m  *Manager
	id string
}

func (r *reporter) Progress(done, total int, msg string) {
	m := r.m
	m.mu.Lock()
	e, ok := m.live[r.id]
	if !ok {
		m.mu.Unlock()
		return
	}
	e.job.Done, e.job.Total, e.job.Message = done, total, msg
	// A multi-host job's rate is that of all its hosts together; it is
	// kept as its first host's, which its own ETA reads (statusLocked).
	if perUnit, ok := e.pace.report(time.Now(), e.started, e.doneAt0, done); ok {
		m.perSec[e.job.Host] = perUnit
	}
	due := time.Since(e.persist) >= persistEvery
	if due {
		e.persist = time.Now()
	}
	var watchers []func(int, int, string)
	for _, w := range e.watchers {
		watchers = append(watchers, w)
	}
	m.mu.Unlock()
	for _, w := range watchers {
		w(done, total, msg)
	}
	if due {
		m.store.UpdateJob(r.id, func(s *record.Job) error { //nolint:errcheck // progress is advisory; the samples are the truth
			s.Done, s.Total, s.Message = done, total, msg
			return nil
		})
	}
}

func (r *reporter) Began(runIDs []string, comparisonID string) {
	m := r.m
	m.mu.Lock()
	if e, ok := m.live[r.id]; ok {
		e.job.RunIDs, e.job.ComparisonID = slices.Clone(runIDs), comparisonID
	}
	m.mu.Unlock()
	m.store.UpdateJob(r.id, func(s *record.Job) error { //nolint:errcheck // the run ids are also in the runs' comparison id
		s.RunIDs, s.ComparisonID = slices.Clone(runIDs), comparisonID
		return nil
	})
}

// SetNotify sets the func told about every job state change.
func (m *Manager) SetNotify(fn func(record.Job)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notify = fn
}

func (m *Manager) changed(j record.Job) {
	m.mu.Lock()
	notify := m.notify
	m.mu.Unlock()
	if notify != nil {
		notify(j)
	}
}

// Get is a job as it stands: live for this process's jobs, else as stored.
func (m *Manager) Get(id string) (Status, error) {
	m.mu.Lock()
	if e, ok := m.live[id]; ok {
		st := m.statusLocked(e)
		m.mu.Unlock()
		return st, nil
	}
	m.mu.Unlock()
	j, err := m.store.GetJob(id)
	if err != nil {
		return Status{}, err
	}
	st := Status{Job: j}
	if j.Status.Terminal() {
		zero := 0.0
		st.ETASeconds = &zero
	}
	return st, nil
}

// statusLocked adds the queue position and the ETA to a live job. A job on
// several hosts waits for every job, queued ahead or running, that shares any
// of them; its time per unit of work is its first host's estimate (its own
// rate once it reports progress, since it measures for that host).
func (m *Manager) statusLocked(e *entry) Status {
	st := Status{Job: e.job}
	hosts := e.job.HostSet()
	shares := func(j record.Job) bool {
		return slices.ContainsFunc(j.HostSet(), func(h string) bool { return slices.Contains(hosts, h) })
	}
	perCall, known := m.perSec[e.job.Host]
	switch e.job.Status {
	case record.JobRunning:
		st.ElapsedSeconds = time.Since(e.started).Seconds()
		if known && e.job.Total > 0 {
			eta := perCall * float64(e.job.Total-e.job.Done)
			st.ETASeconds = &eta
		}
	case record.JobQueued:
		ahead := 0.0
		pos := 0
		for _, q := range m.queuedLocked() {
			if !shares(q.job) {
				continue
			}
			pos++
			if q == e {
				break
			}
			ahead += float64(max(q.job.Total-q.job.Done, 0))
		}
		st.QueuePosition = pos
		if known {
			var running []string // each running job once, however many of the hosts it holds
			for _, h := range hosts {
				if id, ok := m.busy[h]; ok && !slices.Contains(running, id) {
					running = append(running, id)
					if r := m.live[id]; r != nil {
						ahead += float64(max(r.job.Total-r.job.Done, 0))
					}
				}
			}
			eta := perCall * (ahead + float64(max(e.job.Total-e.job.Done, 0)))
			st.ETASeconds = &eta
		}
	}
	return st
}

// Wait returns the job once it has ended, or as it stands when timeout
// passes or ctx ends, whichever is first.
func (m *Manager) Wait(ctx context.Context, id string, timeout time.Duration) (Status, error) {
	m.mu.Lock()
	e, ok := m.live[id]
	m.mu.Unlock()
	if ok && timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-e.ended:
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return m.Get(id)
}

// Subscribe calls fn with every progress report of a live job until the
// returned func is called. A job that is not live here is never reported.
func (m *Manager) Subscribe(id string, fn func(done, total int, msg string)) (unsubscribe func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live[id]
	if !ok {
		return func() {}
	}
	if e.watchers == nil {
		e.watchers = map[int]func(int, int, string){}
	}
	m.watchID++
	key := m.watchID
	e.watchers[key] = fn
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(e.watchers, key)
	}
}

// Ended is closed when a live job leaves this process; nil when the job is
// not live here (it has ended, or belongs to no queue of this process).
func (m *Manager) Ended(id string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.live[id]; ok {
		return e.ended
	}
	return nil
}

// Cancel stops a job: a queued one at once, a running one as soon as its
// work returns (its runs stay resumable). A job that has ended is ErrFinished.
func (m *Manager) Cancel(id string) (Status, error) {
	m.mu.Lock()
	e, ok := m.live[id]
	if !ok {
		m.mu.Unlock()
		j, err := m.store.GetJob(id)
		if err != nil {
			return Status{}, err
		}
		return Status{Job: j}, fmt.Errorf("%w: job %s is %s; only queued or running jobs can be cancelled", ErrFinished, id, j.Status)
	}
	e.byCaller = true
	if e.job.Status == record.JobQueued {
		e.job.Status, e.job.EndedAt = record.JobCancelled, time.Now().UTC()
		final := e.job
		delete(m.live, id)
		m.mu.Unlock()
		defer m.schedule() // the hosts it reserved may take other jobs now
		if _, err := m.store.UpdateJob(id, func(s *record.Job) error {
			s.Status, s.EndedAt = final.Status, final.EndedAt
			return nil
		}); err != nil {
			return Status{Job: final}, fmt.Errorf("store the cancel of job %s: %w", id, err)
		}
		close(e.ended)
		m.changed(final)
		return Status{Job: final}, nil
	}
	e.cancel(context.Canceled)
	m.mu.Unlock()
	<-e.ended
	return m.Get(id)
}

// Live lists this process's running (or waiting) and queued jobs, in the
// order they run.
func (m *Manager) Live() []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Status
	for _, e := range m.live {
		if e.job.Status == record.JobRunning || e.job.Status == record.JobWaiting {
			out = append(out, m.statusLocked(e))
		}
	}
	for _, e := range m.queuedLocked() {
		out = append(out, m.statusLocked(e))
	}
	return out
}

// Shutdown stops taking jobs, stops the running ones (they are stored
// interrupted, to resume at the next start) and waits up to timeout for
// them to record it. It reports whether they all did.
func (m *Manager) Shutdown(timeout time.Duration) bool {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel(errShutdown)
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
