//go:build linux

package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// crashStoreEnv names the store a crashing server of TestCrashLoopFailsJob
// uses; the test binary started with it is that server.
const crashStoreEnv = "BENCHMCP_TEST_CRASH_STORE"

// TestCrashServer is not a test on its own: started by TestCrashLoopFailsJob
// with crashStoreEnv set, it is a server that recovers the store's jobs
// (submitting one if there is none) and whose job kills the whole process
// with SIGKILL, as a fatal bug would. It exits 0 only when Recover left no
// job to run.
func TestCrashServer(t *testing.T) {
	path := os.Getenv(crashStoreEnv)
	if path == "" {
		t.Skip("started only by TestCrashLoopFailsJob")
	}
	store, err := memory.Open(path, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m := jobs.New(store, nil)
	m.Register("crash", func(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
		r.Began([]string{"r-crashing"}, "")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		<-ctx.Done()
		return nil, "", ctx.Err()
	})
	all, err := store.ListJobs(memory.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		if _, err := m.Submit("crash", []string{"local"}, nil, nameArgs{Name: "crash"}, 0); err != nil {
			t.Fatal(err)
		}
	} else if err := m.Recover(all); err != nil {
		t.Fatal(err)
	}
	if len(m.Live()) > 0 {
		time.Sleep(guard) // the job kills this process first
		t.Fatal("the crashing job did not crash the server")
	}
	m.Shutdown(guard)
}

// TestCrashLoopFailsJob runs a real crash loop: a server whose job kills it
// (SIGKILL) is started again and again on one store. The job is queued
// again after each of the first crashes; the server that finds it crashed
// for the third time (the default limit) fails it with the reason and when
// its last attempt started, and runs nothing.
func TestCrashLoopFailsJob(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	server := func() error {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashServer$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashStoreEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if err != nil && !strings.Contains(err.Error(), "killed") {
			t.Fatalf("crash server: %v\n%s", err, out)
		}
		return err
	}
	for i := 1; i <= jobs.DefaultCrashLimit; i++ {
		if err := server(); err == nil {
			t.Fatalf("server %d ended in good order; its job should have killed it", i)
		}
	}
	if err := server(); err != nil {
		t.Fatalf("server %d: %v; it should have failed the job and run nothing", jobs.DefaultCrashLimit+1, err)
	}
	store, err := memory.Open(path, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	js, err := store.ListJobs(memory.JobFilter{})
	if err != nil || len(js) != 1 {
		t.Fatalf("jobs %v, %v; want the one crashing job", js, err)
	}
	j := js[0]
	if j.Status != record.JobFailed || j.Crashes != 3 || j.Attempts != 3 {
		t.Errorf("job %s after the crash loop: %s, %d crashes, %d attempts; want failed, 3, 3", j.ID, j.Status, j.Crashes, j.Attempts)
	}
	want := "the server died 3 times while running this job; last attempt started at " + j.AttemptAt.UTC().Format(time.RFC3339)
	if !strings.Contains(j.Error, want) || !strings.Contains(j.Error, "run_benchmark resume_run_id (r-crashing)") || !strings.Contains(j.Error, "--max-job-crashes") {
		t.Errorf("job error %q; want it to say %q, how to resume and how to change the limit", j.Error, want)
	}
}

// TestCrashLimit: a job stored running by a server that died counts one
// crash each time a manager recovers it; with the limit it is failed,
// without one (0) it is queued again; a job stored interrupted (a server
// that stopped in good order) counts none.
func TestCrashLimit(t *testing.T) {
	store := newStore(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	put := func(status record.JobStatus, crashes int) record.Job {
		j := record.Job{Kind: "k", Status: status, Host: "h", Args: []byte(`{"name":"x"}`), Crashes: crashes, AttemptAt: time.Date(2026, 12, 7, 13, 5, 0, 0, time.UTC)}
		if err := store.PutJob(&j); err != nil {
			t.Fatal(err)
		}
		if _, err := store.UpdateJob(j.ID, func(s *record.Job) error { return nil }); err != nil {
			t.Fatal(err)
		}
		return j
	}
	atLimit := put(record.JobRunning, 1)
	graceful := put(record.JobInterrupted, 2)
	// Owned by this live process, these read running; Recover is what a
	// next server does with what the previous one left, so the owner does
	// not matter to it.
	m := newManager(t, store)
	m.SetCrashLimit(2)
	g := newGates()
	m.Register("k", g.work)
	if err := m.Recover([]record.Job{atLimit, graceful}); err != nil {
		t.Fatal(err)
	}
	failed := stored(t, store, atLimit.ID)
	if failed.Status != record.JobFailed || failed.Crashes != 2 || !strings.Contains(failed.Error, "died 2 times") || !strings.Contains(failed.Error, "2026-12-07T13:05:00Z") || !strings.Contains(failed.Error, "submit it again") {
		t.Errorf("job at the limit: %s, %d crashes, %q", failed.Status, failed.Crashes, failed.Error)
	}
	g.next(t)
	if j := stored(t, store, graceful.ID); j.Crashes != 2 || j.Status != record.JobRunning {
		t.Errorf("job stopped in good order: %s with %d crashes; want running again with 2", j.Status, j.Crashes)
	}
	g.release("x")
	waitEnd(t, m, graceful.ID, record.JobCompleted)

	unlimited := put(record.JobRunning, 7)
	m2 := newManager(t, store)
	m2.SetCrashLimit(0)
	m2.Register("k", g.work)
	if err := m2.Recover([]record.Job{unlimited}); err != nil {
		t.Fatal(err)
	}
	waitEnd(t, m2, unlimited.ID, record.JobCompleted)
	if j := stored(t, store, unlimited.ID); j.Crashes != 8 {
		t.Errorf("without a limit: %d crashes, want 8", j.Crashes)
	}
}

// hostDownError is what the executor returns when a host does not answer.
func hostDownError() error {
	return fmt.Errorf("run r-1: %w", &executor.HostUnreachableError{Host: "local", URL: "http://127.0.0.1:1", Err: syscall.ECONNREFUSED})
}

// TestWaitingForHost: a job whose work fails because its host is
// unreachable reads waiting, with a message naming the host, while the host
// does not answer; once it answers the job runs again with the run ids it
// had begun, and completes. A waiting job can be cancelled; without a ping
// such a job fails as before.
func TestWaitingForHost(t *testing.T) {
	defer jobs.Quicken()()
	store := newStore(t)
	m := newManager(t, store)
	var up atomic.Bool
	var pings atomic.Int32
	m.SetHostPing(func(ctx context.Context, host string) error {
		pings.Add(1)
		if host != "local" {
			return fmt.Errorf("pinged host %q, want local", host)
		}
		if !up.Load() {
			return hostDownError()
		}
		return nil
	})
	var mu sync.Mutex
	var seen [][]string
	m.Register("k", func(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
		mu.Lock()
		seen = append(seen, job.RunIDs)
		mu.Unlock()
		if len(job.RunIDs) == 0 {
			r.Began([]string{"r-1"}, "")
			return nil, "", hostDownError()
		}
		return map[string]string{"run": job.RunIDs[0]}, "done", nil
	})
	j := submit(t, m, "k", "local", "a", 0)
	waitUntil(t, func() bool { return get(t, m, j.ID).Status == record.JobWaiting && pings.Load() >= 2 })
	st := get(t, m, j.ID)
	if !strings.HasPrefix(st.Message, "host local (http://127.0.0.1:1) is down since ") || !strings.Contains(st.Message, "the job resumes when it answers") {
		t.Errorf("waiting message %q", st.Message)
	}
	if s := stored(t, store, j.ID); s.Status != record.JobWaiting || s.Message != st.Message {
		t.Errorf("stored %s %q, want waiting with the message", s.Status, s.Message)
	}
	if ls, _ := store.ListJobs(memory.JobFilter{Status: record.JobWaiting}); len(ls) != 1 || ls[0].ID != j.ID {
		t.Errorf("listed as waiting: %v", ls)
	}
	// A blocking call following the job is told, at each heartbeat, what it waits for.
	fctx, stopFollow := context.WithCancel(context.Background())
	heard := make(chan string, 1)
	go m.Follow(fctx, j.ID, 20*time.Millisecond, func(_, _ int, msg string) {
		select {
		case heard <- msg:
		default:
		}
	})
	select {
	case msg := <-heard:
		if msg != "waiting: "+st.Message {
			t.Errorf("heartbeat of a waiting job %q, want %q", msg, "waiting: "+st.Message)
		}
	case <-time.After(guard):
		t.Error("no heartbeat while the job waits")
	}
	stopFollow()
	up.Store(true)
	end := waitEnd(t, m, j.ID, record.JobCompleted)
	if end.Attempts != 2 || string(end.Result) != `{"run":"r-1"}` {
		t.Errorf("ended after %d attempts with %s; want 2 attempts, resuming r-1", end.Attempts, end.Result)
	}
	mu.Lock()
	if len(seen) != 2 || len(seen[0]) != 0 || len(seen[1]) != 1 || seen[1][0] != "r-1" {
		t.Errorf("work saw run ids %v, want none then [r-1]", seen)
	}
	mu.Unlock()

	up.Store(false)
	c := submit(t, m, "k", "local", "cancel me", 0)
	waitUntil(t, func() bool { return get(t, m, c.ID).Status == record.JobWaiting })
	if st, err := m.Cancel(c.ID); err != nil || st.Status != record.JobCancelled {
		t.Errorf("cancel a waiting job: %s, %v; want cancelled", st.Status, err)
	}
	if s := stored(t, store, c.ID); s.Status != record.JobCancelled {
		t.Errorf("cancelled waiting job stored %s", s.Status)
	}

	plain := newManager(t, store)
	plain.Register("k", func(context.Context, record.Job, jobs.Reporter) (any, string, error) { return nil, "", hostDownError() })
	f := submit(t, plain, "k", "other", "no ping", 0)
	if st := waitEnd(t, plain, f.ID, record.JobFailed); !errors.Is(hostDownError(), executor.ErrHostUnreachable) || !strings.Contains(st.Error, "unreachable") {
		t.Errorf("without a ping: %q", st.Error)
	}
}

// TestJobEndOnAFullDisk: on a real full disk (a small tmpfs holding the
// store) a job's end cannot be stored; the manager tries again, then
// job_status (Get) and the store's lists say failed with the error, not
// running. With space freed, the next manager queues it again and it
// completes.
func TestJobEndOnAFullDisk(t *testing.T) {
	defer jobs.Quicken()()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=8388608"); err != nil {
		t.Skipf("a full disk is made with a small tmpfs, and mounting one is not permitted here (%v); run as root with CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	store, err := memory.Open(filepath.Join(dir, "jobs.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	filler := filepath.Join(dir, "filler")
	var attempt atomic.Int32
	work := func(ctx context.Context, job record.Job, r jobs.Reporter) (any, string, error) {
		if attempt.Add(1) > 1 {
			return map[string]int{"attempt": 2}, "done", nil
		}
		f, err := os.Create(filler)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		for chunk := make([]byte, 4096); ; {
			if _, err := f.Write(chunk); err != nil {
				break // the disk is full
			}
		}
		// A result larger than the pages the store has free.
		return map[string]string{"big": strings.Repeat("x", 2<<20)}, "done", nil
	}
	m := newManager(t, store)
	m.Register("k", work)
	j := submit(t, m, "k", "h", "a", 0)
	st := waitEnd(t, m, j.ID, record.JobFailed)
	if !strings.Contains(st.Error, "ended (completed) but its end could not be stored") || !strings.Contains(st.Error, "no space left on device") {
		t.Errorf("job_status error %q; want it to say its end could not be stored for lack of space", st.Error)
	}
	if ls, _ := store.ListJobs(memory.JobFilter{Status: record.JobFailed}); len(ls) != 1 || ls[0].ID != j.ID {
		t.Errorf("failed jobs %v, want %s", ls, j.ID)
	}
	if ls, _ := store.ListJobs(memory.JobFilter{Status: record.JobRunning}); len(ls) != 0 {
		t.Errorf("running jobs %v, want none", ls)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	next := newManager(t, store) // as the next server does with what this one left
	next.Register("k", work)
	if err := next.Recover([]record.Job{j}); err != nil {
		t.Fatal(err)
	}
	end := waitEnd(t, next, j.ID, record.JobCompleted)
	if string(end.Result) != `{"attempt":2}` || end.Crashes != 1 {
		t.Errorf("resumed job: result %s, %d crashes; want attempt 2's, 1", end.Result, end.Crashes)
	}
}
