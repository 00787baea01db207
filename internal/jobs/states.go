package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
)

// DefaultCrashLimit is how many times a job may be running when its server
// dies before the next server fails it instead of queueing it again.
const DefaultCrashLimit = 3

// endBackoff is how long the manager waits before each new try of storing
// a job's end when it fails (a full disk may be freed meanwhile).
var endBackoff = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, time.Second, 2 * time.Second}

// Host waiting: how long a waiting job waits before it asks its host again,
// doubling from hostPollFirst up to hostPollMax.
var (
	hostPollFirst = time.Second
	hostPollMax   = 30 * time.Second
)

// unstoredEnd is what a store that can show a job's end it could not store
// implements (*memory.Store does): readers then see the job as ended with
// the error, not as the running it is still stored as.
type unstoredEnd interface {
	JobEndUnstored(j record.Job, err error)
}

// SetCrashLimit sets how many times a job may be found running after its
// server died (Recover counts them) before it is failed instead of queued
// again; n <= 0 removes the limit. The default is DefaultCrashLimit.
func (m *Manager) SetCrashLimit(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.crashLimit = max(n, 0)
}

// SetHostPing makes a job whose work fails because its Ollama host is
// unreachable (executor.ErrHostUnreachable) wait for the host instead of
// failing: the job reads waiting, ping is called on the host with a growing
// pause, and once it answers the job runs again and resumes its runs. ping
// returns nil when the named host answers. Without it such a job fails.
func (m *Manager) SetHostPing(ping func(ctx context.Context, host string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ping = ping
}

// crashed counts, in s as stored, a crash of the server that ran it, and
// fails it with the reason once it has crashed limit times. It reports
// whether the job was failed.
func crashed(s *record.Job, limit int, now time.Time) bool {
	if s.Status != record.JobRunning && s.Status != record.JobWaiting {
		return false // stopped in good order, or never started
	}
	s.Crashes++
	if limit <= 0 || s.Crashes < limit {
		return false
	}
	last := s.AttemptAt
	if last.IsZero() {
		last = s.StartedAt
	}
	next := "submit it again"
	if len(s.RunIDs) > 0 {
		next = fmt.Sprintf("finish its runs with run_benchmark resume_run_id (%s), which keeps their finished samples, or submit it again", strings.Join(s.RunIDs, ", "))
	}
	s.Status, s.EndedAt = record.JobFailed, now
	s.Error = fmt.Sprintf("the server died %d times while running this job; last attempt started at %s; it is not queued again: fix the cause first (the server's log says what it was doing), then %s; --max-job-crashes (BENCHMCP_MAX_JOB_CRASHES) sets the limit",
		s.Crashes, last.UTC().Format(time.RFC3339), next)
	return true
}

// storeEnd stores a job's end, trying again while it fails. If it never
// succeeds, the failure is logged and the store (when it can) shows the job
// ended with the error; final is returned with the error it then reads.
func (m *Manager) storeEnd(final record.Job) record.Job {
	write := func() error {
		_, err := m.store.UpdateJob(final.ID, func(s *record.Job) error {
			s.Status, s.EndedAt, s.Result, s.ResultText, s.Error = final.Status, final.EndedAt, final.Result, final.ResultText, final.Error
			s.Done, s.Total, s.Message, s.RunIDs, s.ComparisonID = final.Done, final.Total, final.Message, final.RunIDs, final.ComparisonID
			return nil
		})
		return err
	}
	err := write()
	for i, wait := range endBackoff {
		if err == nil {
			break
		}
		slog.Warn("storing the end of a job failed; trying again", "job", final.ID, "try", i+1, "wait", wait, "err", err)
		time.Sleep(wait)
		err = write()
	}
	if err == nil {
		return final
	}
	slog.Error("the end of a job could not be stored; it is shown failed, and the next server queues it again", "job", final.ID, "status", final.Status, "err", err)
	if u, ok := m.store.(unstoredEnd); ok {
		u.JobEndUnstored(final, err)
		if j, gerr := m.store.GetJob(final.ID); gerr == nil {
			return j
		}
	}
	final.Status, final.Error = record.JobFailed, fmt.Sprintf("store the end of job %s: %v", final.ID, err)
	return final
}

// hostDown returns the unreachable host's error when err says a job's host
// stopped answering and the manager can wait for it.
func (m *Manager) hostDown(ctx context.Context, err error) (*executor.HostUnreachableError, bool) {
	m.mu.Lock()
	ping := m.ping
	m.mu.Unlock()
	var down *executor.HostUnreachableError
	if ping == nil || ctx.Err() != nil || !errors.As(err, &down) {
		return nil, false
	}
	return down, true
}

// waitHost holds job e, stored waiting with a message, until its host
// answers (true) or ctx ends (false).
func (m *Manager) waitHost(ctx context.Context, e *entry, down *executor.HostUnreachableError) bool {
	since := time.Now()
	host := down.Host
	if host == "" {
		host = e.job.Host
	}
	msg := fmt.Sprintf("host %s (%s) is down since %s; the job resumes when it answers (cancel_job stops it)", host, down.URL, since.UTC().Format("15:04 UTC"))
	m.mu.Lock()
	job := e.job
	ping := m.ping
	m.mu.Unlock()
	job.Status, job.Message = record.JobWaiting, msg
	slog.Warn("a job's Ollama host is down; the job waits for it", "job", job.ID, "host", host, "url", down.URL, "err", down.Err)
	// Stored first, then shown: a reader of the live job (job_status) must
	// never see waiting before a reader of the store (list_jobs by status).
	if _, err := m.store.UpdateJob(job.ID, func(s *record.Job) error {
		s.Status, s.Message, s.RunIDs, s.ComparisonID, s.Done, s.Total = job.Status, job.Message, job.RunIDs, job.ComparisonID, job.Done, job.Total
		return nil
	}); err != nil {
		slog.Error("store that a job waits for its host", "job", job.ID, "err", err)
	}
	m.mu.Lock()
	e.job.Status, e.job.Message = job.Status, job.Message
	m.mu.Unlock()
	m.changed(job)
	pause := hostPollFirst
	for {
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := ping(pctx, host)
		cancel()
		if err == nil {
			slog.Info("a job's Ollama host answers again; the job resumes", "job", job.ID, "host", host, "down_for", time.Since(since).Round(time.Second))
			return true
		}
		pause = min(2*pause, hostPollMax)
	}
}
