package memory

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Who owns a running run or job, and what happens when its end cannot be
// stored. This file is the one place that decides whether a record marked
// running (or waiting) still has a live owner: every read (GetRun, ListRuns,
// Export, ScanSamples, GetJob, ListJobs) and the sweep at open go through
// ownerAlive.

// finalBackoff is how long FinishRun waits before each new try of a write
// that failed (a full disk may be freed meanwhile); a test shortens it.
var finalBackoff = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, time.Second, 2 * time.Second}

// selfStart is this process's own processStart, read once.
var selfStart = sync.OnceValue(func() string { return processStart(os.Getpid()) })

// startOf is processStart for pid, read once for this process.
func startOf(pid int) string {
	if pid == os.Getpid() {
		return selfStart()
	}
	return processStart(pid)
}

// ownerAlive reports whether the process that marked a record running is
// still the one running: with a start (boot id and start time), the process
// with that pid must have started then; a record stored before owners had a
// start falls back to the same host and a live pid.
func (s *Store) ownerAlive(pid int, host, start string) bool {
	if pid <= 0 {
		return false
	}
	if start != "" {
		return start == startOf(pid)
	}
	return host == s.host && processAlive(pid)
}

// ownRun gives a running run to this process.
func (s *Store) ownRun(r *record.Run) {
	r.OwnerPID, r.OwnerHost, r.OwnerStart = s.pid, s.host, startOf(s.pid)
}

// runLive reports whether a run marked running is being run: its owner
// lives and has not given up storing its end.
func (s *Store) runLive(r *record.Run) bool {
	if _, gaveUp := s.unstored.Load(r.ID); gaveUp {
		return false
	}
	return s.ownerAlive(r.OwnerPID, r.OwnerHost, r.OwnerStart)
}

// view makes a run honest for readers: one still marked running whose owner
// process is gone, or whose end this process could not store, is shown as
// interrupted, as the next writable open will record it (a read-only open,
// or a server opened before the run's process died, has not swept it).
// run_benchmark resume_run_id finishes it.
func (s *Store) view(r *record.Run) {
	if r.Status != record.StatusRunning || s.runLive(r) {
		return
	}
	r.Status = record.StatusInterrupted
	if why, ok := s.unstored.Load(r.ID); ok {
		r.Error = why.(string)
		return
	}
	if r.Error == "" {
		r.Error = fmt.Sprintf("interrupted: its process (pid %d on %s) is gone; it is recorded as interrupted when the store is next opened for writing, and run_benchmark resume_run_id finishes it", r.OwnerPID, r.OwnerHost)
	}
}

// viewing returns f set to show each run as view does before it is matched,
// so that a status filter selects what readers are shown.
func (s *Store) viewing(f Filter) Filter {
	f.viewer = s
	return f
}

// retryFinal runs write, and again after each finalBackoff while it fails,
// for a final state that must not be lost to a passing failure (a full
// disk). It returns the last error.
func retryFinal(what string, write func() error) error {
	err := write()
	for i, wait := range finalBackoff {
		if err == nil {
			return nil
		}
		slog.Warn("storing a final state failed; trying again", "what", what, "try", i+1, "wait", wait, "err", err)
		time.Sleep(wait)
		err = write()
	}
	return err
}

// gaveUpRun records that this process could not store the end of run id
// (status, err): readers see the run as interrupted with why, so that it can
// be resumed once the store can be written, and the failure is logged.
func (s *Store) gaveUpRun(id string, status record.Status, err error) {
	why := fmt.Sprintf("interrupted: the run ended %s but its end could not be stored after %d tries: %v; free space for the store %s (a full disk is the usual cause), then finish it with run_benchmark resume_run_id %s",
		status, len(finalBackoff)+1, err, s.path, id)
	s.unstored.Store(id, why)
	slog.Error("the end of a run could not be stored; it stays resumable", "run", id, "status", status, "store", s.path, "err", err)
}

// JobEndUnstored records that the end of job j could not be stored (err,
// after retries): GetJob and ListJobs show it failed with err and what to
// do, instead of the running it is stored as, until the job is next stored.
// The job stays stored as running, so that after this process the next
// server queues it again and it resumes its runs.
func (s *Store) JobEndUnstored(j record.Job, err error) {
	ended := j.Status
	j.Status = record.JobFailed
	j.Error = fmt.Sprintf("the job ended (%s) but its end could not be stored: %v; free space for the store %s (a full disk is the usual cause), then restart benchmcp serve or run benchmcp jobs work: the job is queued again and resumes its runs without redoing finished samples%s",
		ended, err, s.path, errSuffix(j.Error))
	s.unstored.Store(j.ID, j)
	slog.Error("the end of a job could not be stored; it is shown failed and resumes at the next start", "job", j.ID, "store", s.path, "err", err)
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return " (its own error: " + e + ")"
}

// viewJob makes a job honest for readers, as view does for runs: one still
// marked running or waiting whose process is gone is shown as interrupted
// (the next server, or benchmcp jobs work, queues it again and it resumes its
// runs), and one whose end this process could not store as it ended.
func (s *Store) viewJob(j *record.Job) {
	if given, ok := s.unstored.Load(j.ID); ok {
		*j = given.(record.Job)
		return
	}
	if (j.Status != record.JobRunning && j.Status != record.JobWaiting) || s.ownerAlive(j.OwnerPID, j.OwnerHost, j.OwnerStart) {
		return
	}
	j.Status = record.JobInterrupted
	if j.Error == "" {
		j.Error = fmt.Sprintf("interrupted: the process running it (pid %d on %s) is gone; benchmcp serve or benchmcp jobs work queues it again when it next starts and it resumes its runs", j.OwnerPID, j.OwnerHost)
	}
}

// own marks a running or waiting job as this process's; a job in any other
// state has no owner.
func (s *Store) own(j *record.Job) {
	if j.Status == record.JobRunning || j.Status == record.JobWaiting {
		j.OwnerPID, j.OwnerHost, j.OwnerStart = s.pid, s.host, startOf(s.pid)
	} else {
		j.OwnerPID, j.OwnerHost, j.OwnerStart = 0, "", ""
	}
}

// statusIndex is the status index listTx may walk for f. Runs stored
// running are shown running or interrupted by whether their owner lives, so
// with a view neither state has an index of its own: maybeStatus narrows
// those instead.
func (f Filter) statusIndex() string {
	if f.viewer != nil && (f.Status == record.StatusRunning || f.Status == record.StatusInterrupted) {
		return ""
	}
	return string(f.Status)
}

// maybeStatus reports whether the run under index key k (<ts><rk>) can be
// shown with f's status, from the status it is stored with: running for
// running, running or interrupted for interrupted. Other filters are
// checked on their own index.
func (f Filter) maybeStatus(tx *bolt.Tx, k []byte) bool {
	if f.statusIndex() != "" || f.Status == "" {
		return true
	}
	stored := []record.Status{record.StatusRunning}
	if f.Status == record.StatusInterrupted {
		stored = append(stored, record.StatusInterrupted)
	}
	for _, st := range stored {
		if b := tx.Bucket(bucketStatus).Bucket([]byte(st)); b != nil && b.Get(k) != nil {
			return true
		}
	}
	return false
}
