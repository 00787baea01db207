package memory

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

func mustPutJob(t testing.TB, s *Store, j *record.Job) {
	t.Helper()
	if err := s.PutJob(j); err != nil {
		t.Fatal(err)
	}
}

func testJob(kind, host string, models ...string) *record.Job {
	return &record.Job{
		Kind:   kind,
		Host:   host,
		Models: models,
		Args:   json.RawMessage(`{"iterations":3,"suite":"arith"}`),
		Total:  6,
	}
}

func jobIDs(jobs []record.Job) []string {
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func TestPutGetJob(t *testing.T) {
	s := newTestStore(t)
	j := testJob("run_benchmark", "local", "tiny-s")
	mustPutJob(t, s, j)

	if !regexp.MustCompile(`^j\d{8}-\d{6}-\d{4}$`).MatchString(j.ID) {
		t.Errorf("ID = %q, want j20060102-150405-0001 form", j.ID)
	}
	if j.CreatedAt.IsZero() || j.CreatedAt.Location() != time.UTC || j.Status != record.JobQueued {
		t.Errorf("CreatedAt = %v, Status = %q; want now in UTC and queued", j.CreatedAt, j.Status)
	}
	got, err := s.GetJob(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(*j, got); d != "" {
		t.Errorf("GetJob (-put +got):\n%s", d)
	}

	// Replacing keeps the ID, the creation time and the place in the list.
	later := testJob("compare_models", "gpu-box", "tiny-s", "tiny-m")
	mustPutJob(t, s, later)
	created := j.CreatedAt
	j.Status, j.Done, j.Message, j.RunIDs = record.JobRunning, 2, "sum#2", []string{"r20261202-143652-0001"}
	j.Result = json.RawMessage(`{"pass_rate":1}`)
	mustPutJob(t, s, j)
	if got, _ := s.GetJob(j.ID); !cmp.Equal(*j, got) || !got.CreatedAt.Equal(created) {
		t.Errorf("GetJob after replace (-put +got):\n%s", cmp.Diff(*j, got))
	}
	if jobs, _ := s.ListJobs(JobFilter{}); !slices.Equal(jobIDs(jobs), []string{later.ID, j.ID}) {
		t.Errorf("ListJobs after replace = %v, want [%s %s]", jobIDs(jobs), later.ID, j.ID)
	}

	// A caller's ID and times are kept.
	given := &record.Job{ID: "j-given", Kind: "run_benchmark", Status: record.JobInterrupted, CreatedAt: t0}
	mustPutJob(t, s, given)
	if got, err := s.GetJob("j-given"); err != nil || !got.CreatedAt.Equal(t0) || got.Status != record.JobInterrupted {
		t.Errorf("GetJob(j-given) = %+v, %v", got, err)
	}

	bad := &record.Job{Kind: "run_benchmark", Status: "paused"}
	if err := s.PutJob(bad); err == nil || !strings.Contains(err.Error(), `"paused"`) {
		t.Errorf("PutJob(status paused) error = %v, want one naming the status", err)
	}
	if jobs, _ := s.ListJobs(JobFilter{}); len(jobs) != 3 {
		t.Errorf("a refused PutJob left %d jobs, want 3", len(jobs))
	}

	_, err = s.GetJob("j-nope")
	if !errors.Is(err, ErrJobNotFound) {
		t.Errorf("GetJob(unknown) error = %v, want ErrJobNotFound", err)
	}
	if err == nil || !strings.Contains(err.Error(), "j-nope") || !strings.Contains(err.Error(), "list_jobs") {
		t.Errorf("GetJob(unknown) error = %v, want one naming j-nope and list_jobs", err)
	}
}

func TestJobIDsSortInCreationOrder(t *testing.T) {
	s := newTestStore(t)
	clock := time.Date(2026, 12, 2, 15, 36, 52, 0, time.FixedZone("CET", 3600))
	s.now = func() time.Time { return clock }
	var ids []string
	for i := range 12 {
		if i == 5 || i == 9 {
			clock = clock.Add(time.Second)
		}
		j := testJob("run_benchmark", "local")
		mustPutJob(t, s, j)
		ids = append(ids, j.ID)
		if !j.CreatedAt.Equal(clock) || j.CreatedAt.Location() != time.UTC {
			t.Errorf("job %d: CreatedAt = %v, want %v in UTC", i, j.CreatedAt, clock)
		}
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("IDs not unique and sorted: %v", ids)
	}
	if ids[0] != "j20261202-143652-0001" || ids[5] != "j20261202-143653-0001" || ids[8] != "j20261202-143653-0004" {
		t.Errorf("IDs = %v", ids)
	}
	// Run IDs count on their own.
	r := testRun("m", "s", t0)
	mustPut(t, s, r)
	if r.ID != "r20261202-143654-0001" {
		t.Errorf("run ID among jobs = %s, want r20261202-143654-0001", r.ID)
	}
	mustPutJob(t, s, testJob("run_benchmark", "local"))
	if jobs, _ := s.ListJobs(JobFilter{Limit: 1}); len(jobs) != 1 || jobs[0].ID != "j20261202-143654-0004" {
		t.Errorf("newest job = %v, want j20261202-143654-0004", jobIDs(jobs))
	}
}

func TestListJobs(t *testing.T) {
	s := newTestStore(t)
	if jobs, err := s.ListJobs(JobFilter{}); err != nil || len(jobs) != 0 {
		t.Errorf("ListJobs on an empty store = %v, %v", jobs, err)
	}
	statuses := []record.JobStatus{record.JobCompleted, record.JobFailed, record.JobRunning, record.JobQueued, record.JobQueued, record.JobCancelled}
	var ids []string
	for i, st := range statuses {
		j := testJob([]string{"run_benchmark", "compare_models"}[i%2], "local")
		j.Status = st
		mustPutJob(t, s, j)
		ids = append(ids, j.ID)
	}
	newest := slices.Clone(ids)
	slices.Reverse(newest)
	pick := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, ids[i])
		}
		return out
	}
	for _, c := range []struct {
		f    JobFilter
		want []string
	}{
		{JobFilter{}, newest},
		{JobFilter{Limit: 2}, newest[:2]},
		{JobFilter{Limit: 100}, newest},
		{JobFilter{Status: record.JobQueued}, pick(4, 3)},
		{JobFilter{Status: record.JobQueued, Limit: 1}, pick(4)},
		{JobFilter{Kind: "compare_models"}, pick(5, 3, 1)},
		{JobFilter{Kind: "run_benchmark", Status: record.JobCompleted}, pick(0)},
		{JobFilter{Kind: "run_benchmark", Status: record.JobFailed}, nil},
		{JobFilter{Status: record.JobInterrupted}, nil},
		{JobFilter{Kind: "nope"}, nil},
	} {
		jobs, err := s.ListJobs(c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := jobIDs(jobs); !slices.Equal(got, c.want) {
			t.Errorf("ListJobs(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
}

func TestUpdateJob(t *testing.T) {
	s := newTestStore(t)
	j := testJob("run_benchmark", "local", "tiny-s")
	mustPutJob(t, s, j)
	other := testJob("run_benchmark", "local", "tiny-m")
	mustPutJob(t, s, other)

	got, err := s.UpdateJob(j.ID, func(j *record.Job) error {
		j.Status, j.Attempts, j.StartedAt = record.JobRunning, j.Attempts+1, t0
		j.RunIDs = append(j.RunIDs, "r1")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := s.GetJob(j.ID)
	if d := cmp.Diff(stored, got); d != "" {
		t.Errorf("UpdateJob returned (-stored +returned):\n%s", d)
	}
	if got.Status != record.JobRunning || got.Attempts != 1 || !got.StartedAt.Equal(t0) || !slices.Equal(got.RunIDs, []string{"r1"}) {
		t.Errorf("updated job = %+v", got)
	}
	if jobs, _ := s.ListJobs(JobFilter{}); !slices.Equal(jobIDs(jobs), []string{other.ID, j.ID}) {
		t.Errorf("an update moved the job: ListJobs = %v", jobIDs(jobs))
	}

	// An error from fn, a changed ID or a bad status leaves the job as it was,
	// whatever fn did to its copy first.
	errStop := errors.New("stop")
	for name, fn := range map[string]func(*record.Job) error{
		"fn error": func(j *record.Job) error {
			j.Status, j.Done, j.Error = record.JobFailed, 99, "changed"
			return errStop
		},
		"ID changed": func(j *record.Job) error { j.ID, j.Done = "j-other", 99; return nil },
		"bad status": func(j *record.Job) error { j.Status, j.Done = "paused", 99; return nil },
	} {
		back, err := s.UpdateJob(j.ID, fn)
		if err == nil || !strings.Contains(err.Error(), j.ID) {
			t.Errorf("%s: UpdateJob error = %v, want one naming %s", name, err, j.ID)
		}
		if name == "fn error" && !errors.Is(err, errStop) {
			t.Errorf("%s: UpdateJob error = %v, want fn's error wrapped", name, err)
		}
		if back.ID != "" {
			t.Errorf("%s: UpdateJob returned %+v with its error, want a zero job", name, back)
		}
		if now, _ := s.GetJob(j.ID); !cmp.Equal(now, stored) {
			t.Errorf("%s: job changed by a refused update (-before +after):\n%s", name, cmp.Diff(stored, now))
		}
	}
	if _, err := s.GetJob("j-other"); !errors.Is(err, ErrJobNotFound) {
		t.Errorf("a refused ID change left job j-other behind (err %v)", err)
	}

	called := false
	_, err = s.UpdateJob("j-nope", func(*record.Job) error { called = true; return nil })
	if !errors.Is(err, ErrJobNotFound) || called {
		t.Errorf("UpdateJob(unknown) error = %v, fn called %v; want ErrJobNotFound, not called", err, called)
	}
}

func TestUpdateJobConcurrent(t *testing.T) {
	s := newTestStore(t)
	j := testJob("compare_models", "local", "tiny-s", "tiny-m")
	mustPutJob(t, s, j)
	const writers, updates = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*updates+4)
	for w := range writers {
		wg.Go(func() {
			for i := range updates {
				_, err := s.UpdateJob(j.ID, func(j *record.Job) error {
					j.Done++
					j.Message = fmt.Sprintf("writer %d, update %d", w, i)
					j.RunIDs = append(j.RunIDs, fmt.Sprintf("r%d-%d", w, i))
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range updates {
				got, err := s.GetJob(j.ID)
				if err == nil && got.Done != len(got.RunIDs) {
					err = fmt.Errorf("read a torn job: done %d, %d run IDs", got.Done, len(got.RunIDs))
				}
				if err == nil {
					_, err = s.ListJobs(JobFilter{Kind: "compare_models"})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := s.GetJob(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Done != writers*updates || len(got.RunIDs) != writers*updates || len(slices.Compact(slices.Sorted(slices.Values(got.RunIDs)))) != writers*updates {
		t.Errorf("after %d concurrent updates: done %d, %d run IDs; want every update kept", writers*updates, got.Done, len(got.RunIDs))
	}
}

func TestDeleteJob(t *testing.T) {
	s := newTestStore(t)
	var ids []string
	for range 3 {
		j := testJob("run_benchmark", "local")
		mustPutJob(t, s, j)
		ids = append(ids, j.ID)
	}
	if err := s.DeleteJob(ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetJob(ids[1]); !errors.Is(err, ErrJobNotFound) {
		t.Errorf("GetJob(deleted) error = %v, want ErrJobNotFound", err)
	}
	if err := s.DeleteJob(ids[1]); !errors.Is(err, ErrJobNotFound) {
		t.Errorf("DeleteJob twice: error = %v, want ErrJobNotFound", err)
	}
	if _, err := s.UpdateJob(ids[1], func(*record.Job) error { return nil }); !errors.Is(err, ErrJobNotFound) {
		t.Errorf("UpdateJob(deleted) error = %v, want ErrJobNotFound", err)
	}
	// A new job gets a new key, after the others, even with the deleted ID.
	again := testJob("run_benchmark", "local")
	again.ID = ids[1]
	mustPutJob(t, s, again)
	if jobs, _ := s.ListJobs(JobFilter{}); !slices.Equal(jobIDs(jobs), []string{ids[1], ids[2], ids[0]}) {
		t.Errorf("ListJobs = %v, want [%s %s %s]", jobIDs(jobs), ids[1], ids[2], ids[0])
	}
}

func TestJobsReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	j := testJob("run_benchmark", "local", "tiny-s")
	mustPutJob(t, w, j)
	w.Close()

	r := openTest(t, path, Options{ReadOnly: true})
	if got, err := r.GetJob(j.ID); err != nil || !cmp.Equal(got, *j) {
		t.Errorf("GetJob read-only = %+v, %v; want %+v", got, err, *j)
	}
	if jobs, err := r.ListJobs(JobFilter{Status: record.JobQueued}); err != nil || len(jobs) != 1 {
		t.Errorf("ListJobs read-only = %d jobs, %v; want 1", len(jobs), err)
	}
	called := false
	_, updateErr := r.UpdateJob(j.ID, func(*record.Job) error { called = true; return nil })
	for op, err := range map[string]error{
		"PutJob":    r.PutJob(testJob("run_benchmark", "local")),
		"UpdateJob": updateErr,
		"DeleteJob": r.DeleteJob(j.ID),
	} {
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "job") {
			t.Errorf("%s on a read-only store: error = %v, want ErrReadOnly", op, err)
		}
	}
	if called {
		t.Error("UpdateJob on a read-only store called fn")
	}
}

func TestCompactKeepsJobs(t *testing.T) {
	s := newTestStore(t)
	for range 3 {
		mustPutJob(t, s, testJob("run_benchmark", "local"))
	}
	before, _ := s.ListJobs(JobFilter{})
	if err := s.DeleteJob(before[0].ID); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "compact.db")
	if err := s.Compact(dst); err != nil {
		t.Fatal(err)
	}
	c := openTest(t, dst, Options{})
	after, err := c.ListJobs(JobFilter{})
	if err != nil || !cmp.Equal(after, before[1:]) {
		t.Errorf("jobs after Compact (-before +after):\n%s", cmp.Diff(before[1:], after))
	}
	// The sequence survives, so a new job does not reuse a deleted job's key.
	j := testJob("run_benchmark", "local")
	mustPutJob(t, c, j)
	if jobs, _ := c.ListJobs(JobFilter{}); len(jobs) != 3 || jobs[0].ID != j.ID {
		t.Errorf("after a put into the compacted store: %v, want %s newest", jobIDs(jobs), j.ID)
	}
}

// TestJobWhoseProcessIsGone: a job stored running by a process that has
// died reads as interrupted (in GetJob, ListJobs and their status filter),
// in a read-only open too; one whose process lives reads as running.
func TestJobWhoseProcessIsGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	s := openTest(t, path, Options{})
	live := record.Job{Kind: "run_benchmark", Status: record.JobRunning, Host: "local", Args: []byte(`{}`)}
	dead := live
	for _, j := range []*record.Job{&live, &dead} {
		if err := s.PutJob(j); err != nil {
			t.Fatal(err)
		}
	}
	if live.OwnerPID != os.Getpid() {
		t.Fatalf("a running job is owned by pid %d, want this process %d", live.OwnerPID, os.Getpid())
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { // as if a process that died had stored it
		j, jk, err := loadJobByID(tx, dead.ID)
		if err != nil {
			return err
		}
		j.OwnerPID = gone.Process.Pid
		return putJobTx(tx, jk, &j)
	}); err != nil {
		t.Fatal(err)
	}
	check := func(name string, st *Store) {
		if j, err := st.GetJob(dead.ID); err != nil || j.Status != record.JobInterrupted || !strings.Contains(j.Error, "is gone") {
			t.Errorf("%s: job of a dead process: %s %q %v, want interrupted", name, j.Status, j.Error, err)
		}
		if j, err := st.GetJob(live.ID); err != nil || j.Status != record.JobRunning {
			t.Errorf("%s: job of a live process: %s %v, want running", name, j.Status, err)
		}
		running, _ := st.ListJobs(JobFilter{Status: record.JobRunning})
		interrupted, _ := st.ListJobs(JobFilter{Status: record.JobInterrupted})
		if len(running) != 1 || running[0].ID != live.ID || len(interrupted) != 1 || interrupted[0].ID != dead.ID {
			t.Errorf("%s: running %v, interrupted %v", name, running, interrupted)
		}
	}
	check("writable", s)
	s.Close()
	check("read-only", openTest(t, path, Options{ReadOnly: true}))
}
