//go:build linux

package memory

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

func TestStatStart(t *testing.T) {
	for _, tc := range []struct {
		line string
		want uint64
		ok   bool
	}{
		{"1234 (benchmcp) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 8 0 987654 123456 789 18446744073709551615", 987654, true},
		// A command name may hold spaces and parentheses.
		{"77 (a) b (c)) R 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 1 1", 42, true},
		{"77 (cut short) R 1 2", 0, false},
		{"no parenthesis", 0, false},
	} {
		got, ok := statStart([]byte(tc.line))
		if got != tc.want || ok != tc.ok {
			t.Errorf("statStart(%q) = %d, %v; want %d, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	self := processStart(os.Getpid())
	if parts := strings.Split(self, ":"); len(parts) != 2 || len(parts[0]) != 36 || parts[1] == "" || parts[1] == "0" {
		t.Errorf("processStart(self) = %q, want <boot id>:<ticks>", self)
	}
	if got := processStart(deadPID(t)); got != "" {
		t.Errorf("processStart(a dead pid) = %q, want empty", got)
	}
}

// putAsStored writes r as another process would have stored it, owner
// fields and all, bypassing PutRun's owner.
func putAsStored(t *testing.T, s *Store, r *record.Run) {
	t.Helper()
	if err := s.db.Update(func(tx *bolt.Tx) error { return putRunTx(tx, r) }); err != nil {
		t.Fatal(err)
	}
}

// TestOwnerStartDecidesLiveness: a run marked running is live only while
// the process that owns it is the one that started then. A live pid with
// another start time (the pid used again, or a container restarted with
// the same pid) reads as interrupted in every view: GetRun, ListRuns with
// and without a status filter, Export and ScanSamples; and the next
// writable open records it so. A record without a start falls back to pid
// and host.
func TestOwnerStartDecidesLiveness(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process start times are read from /proc")
	}
	path := filepath.Join(t.TempDir(), "bench.db")
	s := openTest(t, path, Options{})
	host, _ := os.Hostname()
	self := processStart(os.Getpid())
	boot, _, _ := strings.Cut(self, ":")
	owners := []struct {
		name  string
		pid   int
		host  string
		start string
		want  record.Status
	}{
		{"this process", os.Getpid(), host, self, record.StatusRunning},
		{"same pid, other start", os.Getpid(), host, boot + ":1", record.StatusInterrupted},
		{"same pid, other boot", os.Getpid(), host, "00000000-0000-0000-0000-000000000000:" + strings.TrimPrefix(self, boot+":"), record.StatusInterrupted},
		{"old record, live pid", os.Getpid(), host, "", record.StatusRunning},
		{"old record, dead pid", deadPID(t), host, "", record.StatusInterrupted},
	}
	want := map[string]record.Status{}
	for i, o := range owners {
		r := testRun("tiny-s", "arith", t0.Add(time.Duration(i)*time.Minute))
		r.ID, r.Status = "r-"+strings.ReplaceAll(o.name, " ", "-"), record.StatusRunning
		r.OwnerPID, r.OwnerHost, r.OwnerStart = o.pid, o.host, o.start
		putAsStored(t, s, r)
		mustAppend(t, s, testSample(r.ID, "a", 1))
		want[r.ID] = o.want
	}
	done := testRun("tiny-s", "arith", t0.Add(time.Hour))
	done.ID, done.Status = "r-completed", record.StatusCompleted
	putAsStored(t, s, done)
	want[done.ID] = record.StatusCompleted

	views := func(label string, s *Store) {
		t.Helper()
		for id, st := range want {
			r, err := s.GetRun(id)
			if err != nil || r.Status != st {
				t.Errorf("%s: GetRun(%s) = %s, %v; want %s", label, id, r.Status, err, st)
			}
			if st == record.StatusInterrupted && !strings.Contains(r.Error, "interrupted") {
				t.Errorf("%s: run %s error %q does not say it was interrupted", label, id, r.Error)
			}
		}
		all, err := s.ListRuns(Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			if r.Status != want[r.ID] {
				t.Errorf("%s: ListRuns shows %s %s, want %s", label, r.ID, r.Status, want[r.ID])
			}
		}
		for _, st := range []record.Status{record.StatusRunning, record.StatusInterrupted, record.StatusCompleted} {
			var wantIDs, gotIDs []string
			for id, w := range want {
				if w == st {
					wantIDs = append(wantIDs, id)
				}
			}
			runs, err := s.ListRuns(Filter{Status: st})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range runs {
				gotIDs = append(gotIDs, r.ID)
				if r.Status != st {
					t.Errorf("%s: ListRuns(status %s) gave %s as %s", label, st, r.ID, r.Status)
				}
			}
			slices.Sort(wantIDs)
			slices.Sort(gotIDs)
			if !slices.Equal(gotIDs, wantIDs) {
				t.Errorf("%s: ListRuns(status %s) = %v, want %v", label, st, gotIDs, wantIDs)
			}
			// Limit and Offset count the runs shown with the status.
			if len(wantIDs) > 1 {
				if page, _ := s.ListRuns(Filter{Status: st, Limit: 1, Offset: 1}); len(page) != 1 || page[0].Status != st {
					t.Errorf("%s: ListRuns(status %s, limit 1, offset 1) = %v", label, st, page)
				}
			}
		}
		var buf bytes.Buffer
		if _, err := s.Export(&buf, Filter{}); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var l Line
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatal(err)
			}
			if l.Run.Status != want[l.Run.ID] {
				t.Errorf("%s: Export shows %s %s, want %s", label, l.Run.ID, l.Run.Status, want[l.Run.ID])
			}
		}
		n := 0
		if _, err := s.Export(&bytes.Buffer{}, Filter{Status: record.StatusInterrupted}); err != nil {
			t.Fatal(err)
		}
		if err := s.ScanSamples(Filter{Status: record.StatusInterrupted}, func(r record.Run, _ record.Sample) error {
			n++
			if r.Status != record.StatusInterrupted {
				t.Errorf("%s: ScanSamples(interrupted) gave run %s as %s", label, r.ID, r.Status)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("%s: ScanSamples(interrupted) saw %d samples, want 3 (one per dead run)", label, n)
		}
	}
	views("before the sweep", s)
	s.Close()
	s = openTest(t, path, Options{}) // the sweep stores what the views showed
	views("after the sweep", s)
	if err := s.db.View(func(tx *bolt.Tx) error {
		r, _, err := loadRunByID(tx, "r-same-pid,-other-start")
		if err == nil && r.Status != record.StatusInterrupted {
			err = errors.New("stored as " + string(r.Status))
		}
		return err
	}); err != nil {
		t.Errorf("the sweep did not store the run of a reused pid as interrupted: %v", err)
	}
}

// TestJobOwnerStart: a job marked running or waiting by a live pid with
// another start time reads as interrupted (and is listed so); the same job
// owned by this process reads as it is stored.
func TestJobOwnerStart(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process start times are read from /proc")
	}
	s := newTestStore(t)
	boot, _, _ := strings.Cut(processStart(os.Getpid()), ":")
	ids := map[record.JobStatus]string{}
	for _, st := range []record.JobStatus{record.JobRunning, record.JobWaiting} {
		live := record.Job{Kind: "run_benchmark", Status: st, Host: "local", Args: []byte(`{}`)}
		reused := live
		for _, j := range []*record.Job{&live, &reused} {
			mustPutJob(t, s, j)
		}
		if live.OwnerStart != processStart(os.Getpid()) {
			t.Fatalf("a %s job's owner start is %q, want this process's", st, live.OwnerStart)
		}
		if err := s.db.Update(func(tx *bolt.Tx) error { // as the process that had this pid before stored it
			j, jk, err := loadJobByID(tx, reused.ID)
			if err != nil {
				return err
			}
			j.OwnerStart = boot + ":1"
			return putJobTx(tx, jk, &j)
		}); err != nil {
			t.Fatal(err)
		}
		if j, err := s.GetJob(live.ID); err != nil || j.Status != st {
			t.Errorf("%s job of this process reads %s, %v", st, j.Status, err)
		}
		if j, err := s.GetJob(reused.ID); err != nil || j.Status != record.JobInterrupted || !strings.Contains(j.Error, "is gone") {
			t.Errorf("%s job of a reused pid reads %s %q, %v; want interrupted", st, j.Status, j.Error, err)
		}
		ids[st] = reused.ID
	}
	interrupted, err := s.ListJobs(JobFilter{Status: record.JobInterrupted})
	if err != nil {
		t.Fatal(err)
	}
	if got := jobIDs(interrupted); !slices.Contains(got, ids[record.JobRunning]) || !slices.Contains(got, ids[record.JobWaiting]) || len(got) != 2 {
		t.Errorf("interrupted jobs %v, want %v", got, ids)
	}
}

// mountTmpfs mounts a tmpfs of size bytes for the test, or skips it when
// mounting is not permitted (not root, or no CAP_SYS_ADMIN in a container).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+itoa(size)); err != nil {
		t.Skipf("a full disk is made with a small tmpfs, and mounting one is not permitted here (%v); run as root with CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func itoa(n int) string { return strconv.Itoa(n) }

// fillDisk writes a file in dir until the disk is full and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the disk: %v", err)
			}
			return path
		}
	}
}

// TestFinishRunOnAFullDisk: on a real full disk (a small tmpfs) the end of
// a run cannot be stored; FinishRun tries again, then says so, and the run
// reads interrupted with what to do (not running) in GetRun and the status
// filters. With space freed, resuming it (PutRun, as a resume's Begin does)
// and finishing it work.
func TestFinishRunOnAFullDisk(t *testing.T) {
	dir := mountTmpfs(t, 8<<20)
	defer func(b []time.Duration) { finalBackoff = b }(finalBackoff)
	finalBackoff = []time.Duration{time.Millisecond, time.Millisecond}

	path := filepath.Join(dir, "bench.db")
	s := openTest(t, path, Options{})
	r := testRun("tiny-s", "arith", t0)
	mustPut(t, s, r)
	mustAppend(t, s, testSample(r.ID, "a", 1))
	filler := fillDisk(t, dir)

	// A summary too large for the pages bolt has free: it needs new ones.
	big := &record.Summary{Tasks: make([]record.TaskSummary, 20000)}
	for i := range big.Tasks {
		big.Tasks[i].ID = strings.Repeat("t", 20) + itoa(i)
	}
	err := s.FinishRun(r.ID, record.StatusCompleted, big, "")
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("FinishRun on a full disk: %v, want ENOSPC", err)
	}
	got, err := s.GetRun(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != record.StatusInterrupted || !strings.Contains(got.Error, "could not be stored") || !strings.Contains(got.Error, "no space left") || !strings.Contains(got.Error, "resume_run_id "+r.ID) {
		t.Errorf("run after its end failed to store: %s %q; want interrupted, saying the disk is full and how to resume", got.Status, got.Error)
	}
	if runs, _ := s.ListRuns(Filter{Status: record.StatusInterrupted}); len(runs) != 1 || runs[0].ID != r.ID {
		t.Errorf("interrupted runs: %v, want %s", runs, r.ID)
	}
	if runs, _ := s.ListRuns(Filter{Status: record.StatusRunning}); len(runs) != 0 {
		t.Errorf("running runs: %v, want none", runs)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	resumed := got
	resumed.Status, resumed.Error = record.StatusRunning, ""
	mustPut(t, s, &resumed)
	if now, _ := s.GetRun(r.ID); now.Status != record.StatusRunning {
		t.Errorf("resumed run reads %s, want running", now.Status)
	}
	if err := s.FinishRun(r.ID, record.StatusCompleted, big, ""); err != nil {
		t.Fatalf("FinishRun with space freed: %v", err)
	}
	if now, _ := s.GetRun(r.ID); now.Status != record.StatusCompleted || len(now.Summary.Tasks) != len(big.Tasks) {
		t.Errorf("finished run reads %s with %d task rows", now.Status, len(now.Summary.Tasks))
	}
	if smps, _ := s.Samples(r.ID); len(smps) != 1 {
		t.Errorf("%d samples kept, want 1", len(smps))
	}
}

// TestJobEndUnstored: a job whose end could not be stored reads failed,
// with the error, in GetJob and ListJobs (also with a status filter), while
// it stays stored running for the next server to resume; storing the job
// again ends that.
func TestJobEndUnstored(t *testing.T) {
	s := newTestStore(t)
	j := record.Job{Kind: "run_benchmark", Status: record.JobRunning, Host: "local", Args: []byte(`{}`)}
	mustPutJob(t, s, &j)
	ended := j
	ended.Status = record.JobCompleted
	s.JobEndUnstored(ended, syscall.ENOSPC)
	got, err := s.GetJob(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != record.JobFailed || !strings.Contains(got.Error, "ended (completed) but its end could not be stored: no space left on device") || !strings.Contains(got.Error, "resumes its runs") {
		t.Errorf("job reads %s %q; want failed with the error and what to do", got.Status, got.Error)
	}
	if failed, _ := s.ListJobs(JobFilter{Status: record.JobFailed}); len(failed) != 1 || failed[0].ID != j.ID {
		t.Errorf("failed jobs %v, want %s", jobIDs(failed), j.ID)
	}
	if running, _ := s.ListJobs(JobFilter{Status: record.JobRunning}); len(running) != 0 {
		t.Errorf("running jobs %v, want none", jobIDs(running))
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		stored, _, err := loadJobByID(tx, j.ID)
		if err == nil && (stored.Status != record.JobRunning || stored.OwnerPID != os.Getpid()) {
			err = errors.New("stored as " + string(stored.Status))
		}
		return err
	}); err != nil {
		t.Errorf("the job should stay stored running, owned by this process: %v", err)
	}
	if _, err := s.UpdateJob(j.ID, func(s *record.Job) error { s.Status = record.JobQueued; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetJob(j.ID); got.Status != record.JobQueued {
		t.Errorf("after a stored update the job reads %s, want queued", got.Status)
	}
}
