package memory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/record"
)

// The child processes of the crash and lock tests are this test binary,
// re-run with BENCHMCP_MEMORY_CHILD set to what they should do.
const (
	childEnv   = "BENCHMCP_MEMORY_CHILD"
	childDBEnv = "BENCHMCP_MEMORY_CHILD_DB"
)

// TestCrashChild is not a test: it is the body of the child processes.
//
//	crash: open the store, put a running run, append samples one by one and
//	       print "committed <n>" after each commit, until killed.
//	lock:  open the store, print "opened", hold it until stdin closes.
func TestCrashChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("child process body; run by TestCrash and TestLocked")
	}
	s, err := Open(os.Getenv(childDBEnv), Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	switch mode {
	case "crash":
		r := testRun("tiny-s", "arith", t0)
		if err := s.PutRun(r); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("run", r.ID)
		for n := 1; n <= 1_000_000; n++ {
			if err := s.AppendSample(crashSample(r.ID, n)); err != nil {
				fmt.Println("error", err)
				os.Exit(3)
			}
			fmt.Println("committed", n)
		}
	case "lock":
		fmt.Println("opened")
		io.Copy(io.Discard, os.Stdin)
		s.Close()
	}
	os.Exit(0)
}

func crashSample(runID string, n int) record.Sample {
	smp := testSample(runID, fmt.Sprintf("task-%d", n%7), n)
	smp.Output = strings.Repeat("x", n%50)
	return smp
}

func startChild(t *testing.T, mode, path string) (*exec.Cmd, *bufio.Scanner, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childDBEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewScanner(stdout), stdin
}

func expectLine(t *testing.T, sc *bufio.Scanner, prefix string) string {
	t.Helper()
	if !sc.Scan() {
		t.Fatalf("child ended before printing %q: %v", prefix, sc.Err())
	}
	rest, ok := strings.CutPrefix(sc.Text(), prefix+" ")
	if !ok && sc.Text() != prefix {
		t.Fatalf("child printed %q, want %q...", sc.Text(), prefix)
	}
	return rest
}

func TestCrash(t *testing.T) {
	const n = 40
	path := filepath.Join(t.TempDir(), "bench.db")
	cmd, sc, _ := startChild(t, "crash", path)
	id := expectLine(t, sc, "run")
	for i := 1; i <= n; i++ {
		if got := expectLine(t, sc, "committed"); got != fmt.Sprint(i) {
			t.Fatalf("child committed %s, want %d", got, i)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait() // reaped, so its pid is no longer alive

	// A reader (read-only: nothing is swept) sees it interrupted already.
	ro := openTest(t, path, Options{ReadOnly: true})
	if r, err := ro.GetRun(id); err != nil || r.Status != record.StatusInterrupted || !strings.Contains(r.Error, "is gone") {
		t.Errorf("read-only view of the dead run: %q %q, %v; want interrupted", r.Status, r.Error, err)
	}
	if rs, err := ro.ListRuns(Filter{}); err != nil || len(rs) != 1 || rs[0].Status != record.StatusInterrupted {
		t.Errorf("read-only list of the dead run: %+v, %v", rs, err)
	}
	ro.Close()

	s := openTest(t, path, Options{}) // its cleanup runs tx.Check
	r, err := s.GetRun(id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != record.StatusInterrupted || r.EndedAt.IsZero() {
		t.Errorf("run after crash: status %q, ended %v; want interrupted with an end time", r.Status, r.EndedAt)
	}
	smps, err := s.Samples(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(smps) < n {
		t.Fatalf("%d samples survived, want at least the %d committed", len(smps), n)
	}
	for i, got := range smps {
		if d := cmp.Diff(crashSample(id, i+1), got); d != "" {
			t.Fatalf("sample %d after crash (-want +got):\n%s", i+1, d)
		}
	}
	if c, _ := s.SampleCount(id); c != len(smps) {
		t.Errorf("SampleCount = %d, but %d samples are stored", c, len(smps))
	}
	t.Logf("killed after %d reported commits; %d samples on disk", n, len(smps))
}

func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	cmd, sc, stdin := startChild(t, "lock", path)
	expectLine(t, sc, "opened")

	_, err := Open(path, Options{LockTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("writable Open while another process holds it: error = %v, want ErrLocked", err)
	}
	for _, want := range []string{path, "locked by another benchmcp process", fmt.Sprintf("pid %d", cmd.Process.Pid), "--db"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lock error %q does not say %q", err, want)
		}
	}
	// A reader does not wait for the writer: it reads a snapshot.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open while another process holds it: %v", err)
	}
	if ro.snapshot == "" {
		t.Error("read-only Open of a held store did not read a snapshot")
	}
	ro.Close()

	stdin.Close() // the child closes the store and exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	openTest(t, path, Options{LockTimeout: 300 * time.Millisecond})
}
