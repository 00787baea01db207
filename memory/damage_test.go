package memory

import (
	"bytes"
	stdcmp "cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// The damage tests write a real store with the real Store, damage the
// file the way disks and copies do (cut it short, zero a record, garble a
// page header), and read it back. Reads that could crash the process run
// in a child: this test binary, re-run with damageChildEnv set.
const damageChildEnv = "BENCHMCP_DAMAGE_CHILD"

// TestDamageChild is not a test: it is the body of the damage tests'
// children. It opens the store named by damageChildEnv read-only, lists,
// scans and exports it, printing "listed N", "damage WHAT", "scanned N",
// "exported N" or "error STEP: ERR" (then exit 3), and exits 0.
func TestDamageChild(t *testing.T) {
	path := os.Getenv(damageChildEnv)
	if path == "" {
		t.Skip("child process body; run by the damage tests")
	}
	fail := func(step string, err error) {
		fmt.Printf("error %s: %v\n", step, err)
		os.Exit(3)
	}
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		fail("open", err)
	}
	runs, err := s.ListRuns(Filter{})
	if err != nil {
		fail("list", err)
	}
	fmt.Println("listed", len(runs))
	n := 0
	if err := s.ScanSamples(Filter{}, func(record.Run, record.Sample) error { n++; return nil }); err != nil {
		fail("scan", err)
	}
	fmt.Println("scanned", n)
	exported, err := s.Export(io.Discard, Filter{})
	if err != nil {
		fail("export", err)
	}
	fmt.Println("exported", exported)
	for _, d := range s.Damage() {
		fmt.Println("damage", d)
	}
	os.Exit(0)
}

// readInChild runs TestDamageChild on path and returns what it printed.
// It fails the test if the child was killed by a signal (SIGBUS, SIGSEGV,
// an unrecovered panic's exit 2): damage must be an error, not a crash.
func readInChild(t *testing.T, path string) (out string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDamageChild$")
	cmd.Env = append(os.Environ(), damageChildEnv+"="+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() || ws.ExitStatus() == 2 || strings.Contains(stderr.String(), "panic") {
		t.Fatalf("the reader of %s crashed (%v):\n%s\n%s", filepath.Base(path), cmd.ProcessState, stdout.String(), stderr.String())
	}
	return stdout.String(), ws.ExitStatus()
}

// damageStore writes n runs of 6 samples each (with long outputs, so that
// the store spans many pages), a baseline, a suite, a job and a route
// decision, closes it, and returns every run with its samples by ID.
func damageStore(t *testing.T, path string, n int) map[string]Line {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Line{}
	first := ""
	for i := range n {
		r := testRun("tiny-s", "arith", t0.Add(time.Duration(i)*time.Minute), "nightly")
		mustPut(t, s, r)
		var smps []record.Sample
		for iter := 1; iter <= 6; iter++ {
			smp := testSample(r.ID, fmt.Sprintf("task-%d", iter%3), iter)
			smp.Output = fmt.Sprintf("%s %d %s", r.ID, iter, strings.Repeat("x", 300))
			mustAppend(t, s, smp)
			smps = append(smps, smp)
		}
		if err := s.FinishRun(r.ID, record.StatusCompleted, &record.Summary{Headline: record.Headline{Samples: 6, PassRate: 1}}, ""); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRun(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		want[r.ID] = Line{Run: got, Samples: smps}
		if first == "" {
			first = r.ID
		}
	}
	if err := s.SetBaseline(first); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSuite("sha256:arith", "arith", []byte("tasks: []")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutJob(&record.Job{Kind: "run_benchmark", Status: record.JobQueued, Host: "local", Args: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRouteDecision(&record.RouteDecision{Task: "add", Chosen: "tiny-s"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

// storedRun is the bytes the store keeps for a run (as putRunTx writes them).
func storedRun(t *testing.T, l Line) []byte {
	t.Helper()
	v, err := json.Marshal(l.Run)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// zeroAll overwrites every copy of v in the file with zeros (bbolt keeps
// older copies in freed pages) and returns how many it found.
func zeroAll(t *testing.T, path string, v []byte) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := bytes.Index(data, v); i >= 0; i = bytes.Index(data, v) {
		copy(data[i:], make([]byte, len(v)))
		n++
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkSalvaged opens a salvaged store, runs Check on it, and compares each
// of its runs and samples with what was written.
func checkSalvaged(t *testing.T, dst string, want map[string]Line, scanned ...bool) []Line {
	t.Helper()
	rep, err := Check(dst)
	if err != nil || !rep.OK() {
		t.Fatalf("Check of the salvaged store: %+v, %v", rep, err)
	}
	s := openTest(t, dst, Options{ReadOnly: true})
	got := dump(t, s)
	for _, l := range got {
		w, ok := want[l.Run.ID]
		if !ok {
			t.Errorf("salvaged run %s was never written", l.Run.ID)
			continue
		}
		if len(scanned) > 0 && scanned[0] && l.Run.Status == record.StatusRunning {
			// A page scan may find only a run's state before its end.
			if l.Run.Model != w.Run.Model || l.Run.Suite != w.Run.Suite || !l.Run.StartedAt.Equal(w.Run.StartedAt) {
				t.Errorf("salvaged run %s in an older state is another run: %+v", l.Run.ID, l.Run)
			}
			continue
		}
		if d := cmp.Diff(w.Run, l.Run); d != "" {
			t.Errorf("salvaged run %s (-written +salvaged):\n%s", l.Run.ID, d)
		}
		if len(l.Samples) > len(w.Samples) {
			t.Errorf("salvaged run %s has %d samples, %d were written", l.Run.ID, len(l.Samples), len(w.Samples))
		}
		for _, smp := range l.Samples {
			if !containsSample(w.Samples, smp) {
				t.Errorf("salvaged run %s has a sample never written: %+v", l.Run.ID, smp)
			}
		}
	}
	if len(s.Damage()) != 0 {
		t.Errorf("reading the salvaged store skipped records: %v", s.Damage())
	}
	return got
}

func containsSample(smps []record.Sample, smp record.Sample) bool {
	for _, w := range smps {
		if cmp.Equal(w, smp) {
			return true
		}
	}
	return false
}

// TestZeroedRunRecord: one run record zeroed on disk (its page intact)
// hides only that run: list, scan and export give the others and note it
// in Damage, GetRun of it is an error, Check reports it by ID, and Salvage
// copies every other run with its samples and says what it skipped.
func TestZeroedRunRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	want := damageStore(t, path, 5)
	var bad string
	for id := range want {
		bad = max(bad, id)
	}
	if n := zeroAll(t, path, storedRun(t, want[bad])); n == 0 {
		t.Fatalf("run %s's record is not in the file", bad)
	}
	// And the third sample of another run.
	var other string
	for id := range want {
		if id != bad {
			other = max(other, id)
		}
	}
	lost, err := json.Marshal(want[other].Samples[2])
	if err != nil {
		t.Fatal(err)
	}
	if n := zeroAll(t, path, lost); n == 0 {
		t.Fatalf("sample 3 of run %s is not in the file", other)
	}
	l := want[other]
	l.Samples = slices.Delete(slices.Clone(l.Samples), 2, 3)
	want[other] = l

	out, code := readInChild(t, path)
	for _, line := range []string{"listed 4", "scanned 23", "exported 4", "damage run " + bad, "damage sample 3 of run " + other} {
		if code != 0 || !strings.Contains(out, line) {
			t.Errorf("reading a store with run %s zeroed: exit %d, output\n%s\nwant %q", bad, code, out, line)
		}
	}

	s := openTest(t, path, Options{ReadOnly: true})
	runs, err := s.ListRuns(Filter{Tag: "nightly"})
	if err != nil || len(runs) != 4 {
		t.Fatalf("ListRuns: %d runs, %v; want the 4 undamaged", len(runs), err)
	}
	for _, r := range runs {
		if r.ID == bad {
			t.Errorf("ListRuns returned the zeroed run")
		}
	}
	if d := s.Damage(); len(d) != 1 || !strings.Contains(d[0].What, bad) || !strings.Contains(d[0].Err, "decode") {
		t.Errorf("Damage = %v, want the zeroed run %s, once", d, bad)
	}
	if _, err := s.GetRun(bad); err == nil {
		t.Errorf("GetRun of the zeroed run succeeded")
	}
	smps, err := s.Samples(other)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want[other].Samples, smps); d != "" {
		t.Errorf("Samples of run %s with its third zeroed (-want +got):\n%s", other, d)
	}
	if d := s.Damage(); len(d) != 2 || d[1].What != "sample 3 of run "+other+" (key "+fmt.Sprintf("%x", getRKOf(t, s, other))+")" {
		t.Errorf("Damage = %q, want the zeroed run and then sample 3 of run %s", d, other)
	}

	rep, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(rep.Problems, "\n")
	if len(rep.Problems) != 2 || rep.Runs != 4 || rep.Samples != 29 || !strings.Contains(problems, "run "+bad) || !strings.Contains(problems, "of run "+other) {
		t.Errorf("Check: %d runs, %d samples, problems %q; want 4 runs, 29 samples, and run %s and a sample of run %s reported", rep.Runs, rep.Samples, rep.Problems, bad, other)
	}

	dst := filepath.Join(t.TempDir(), "salvaged.db")
	srep, err := Salvage(path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if srep.Runs != 4 || srep.Samples != 23 || srep.Suites != 1 || srep.Jobs != 1 || srep.Routes != 1 || srep.Baselines != 1 {
		t.Errorf("Salvage copied %+v; want 4 runs, 23 samples, a suite, a job, a decision and the baseline", srep)
	}
	if skipped := strings.Join(srep.Skipped, "\n"); len(srep.Skipped) != 2 || !strings.Contains(skipped, bad) || !strings.Contains(skipped, "of run "+other) {
		t.Errorf("Salvage skipped %q; want the zeroed run %s and the sample of %s named", srep.Skipped, bad, other)
	}
	got := checkSalvaged(t, dst, want)
	if len(got) != 4 {
		t.Errorf("the salvaged store has %d runs, want 4", len(got))
	}
	for _, l := range got {
		if d := cmp.Diff(want[l.Run.ID].Samples, l.Samples); d != "" {
			t.Errorf("salvaged samples of %s (-written +salvaged):\n%s", l.Run.ID, d)
		}
	}
}

// TestTruncatedStore: a store file cut short gives an error at open that
// says so and what to run, in a reader (read-only) and a writer, never a
// SIGBUS; Check reports it; Salvage reads what the remaining pages hold.
func TestTruncatedStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	want := damageStore(t, path, 60)
	size, end := pagesEnd(path)
	if end == 0 || size < end {
		t.Fatalf("pagesEnd of the whole store = %d, %d", size, end)
	}
	cut := end * 3 / 4
	if err := os.Truncate(path, cut); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	out, code := readInChild(t, path)
	if code != 3 || !strings.Contains(out, "error open") || !strings.Contains(out, "cut short") ||
		!strings.Contains(out, fmt.Sprintf("%d bytes but its pages end at %d", cut, end)) || !strings.Contains(out, "runs salvage") {
		t.Errorf("reading a store cut short: exit %d, output %q; want an open error saying it was cut short and to salvage", code, out)
	}
	for _, ro := range []bool{true, false} {
		if _, err := Open(path, Options{ReadOnly: ro}); !errors.Is(err, ErrDamaged) {
			t.Errorf("Open(read-only %v) of a store cut short: %v, want ErrDamaged", ro, err)
		}
	}

	rep, err := Check(path)
	if err != nil || rep.OK() || !strings.Contains(rep.Problems[0], "cut short") {
		t.Errorf("Check of a store cut short: %+v, %v; want a problem saying it was cut short", rep, err)
	}

	dst := filepath.Join(t.TempDir(), "salvaged.db")
	srep, err := Salvage(path, dst)
	if err != nil {
		t.Fatalf("Salvage of a store cut short: %v", err)
	}
	// Whether bbolt can still reach the runs depends on where copy-on-write
	// last put their trees' roots; if past the cut, a scan of the pages
	// finds them, perhaps in an older state (TestSalvageLostRunsRoot).
	if !strings.Contains(srep.CutShort, "cut short") || srep.Runs == 0 || (srep.Runs == len(want) && srep.Scanned == "") {
		t.Errorf("Salvage of a store cut to 3/4: %d of %d runs, report %+v; want some runs, not all through bbolt, and the cut named", srep.Runs, len(want), srep)
	}
	got := checkSalvaged(t, dst, want, srep.Scanned != "")
	t.Logf("salvaged %d of %d runs (%d samples) from a store cut to %d of %d bytes (%s); skipped %q",
		len(got), len(want), srep.Samples, cut, end, stdcmp.Or(srep.Scanned, "through bbolt"), srep.Skipped)
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("Check or Salvage changed the damaged store (%v)", err)
	}
}

// TestBadPageHeader: a page of samples whose header says it is no kind of
// page (bbolt panics on it) makes no reader crash: list, scan and export
// in a child end normally or with an error; Check reports the damage;
// Salvage copies every run and the samples it can still read.
func TestBadPageHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	want := damageStore(t, path, 20)
	var victim string
	for id := range want {
		victim = max(victim, id)
	}
	smp, err := json.Marshal(want[victim].Samples[2])
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	m, err := readMeta(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ps := int(m.pageSize)
	garbled := 0
	for off := 0; ; {
		i := bytes.Index(data[off:], smp)
		if i < 0 {
			break
		}
		page := (off + i) / ps
		binary.LittleEndian.PutUint16(data[page*ps+8:], 0xbad) // the page's flags
		garbled++
		off = (page + 1) * ps
	}
	if garbled == 0 {
		t.Fatal("the sample is not in the file")
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	out, code := readInChild(t, path)
	if code != 0 && !strings.Contains(out, "store is damaged") {
		t.Errorf("reading a store with a garbled page: exit %d, output %q; want success or an error saying the store is damaged", code, out)
	}
	t.Logf("reader of a garbled page: exit %d\n%s", code, out)

	s := openTest2(t, path)
	err = s.ScanSamples(Filter{}, func(record.Run, record.Sample) error { return nil })
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "runs check") {
		t.Errorf("ScanSamples over a garbled page: %v; want ErrDamaged naming `runs check`", err)
	}
	compacted := filepath.Join(t.TempDir(), "compacted.db")
	if err := s.Compact(compacted); !errors.Is(err, ErrDamaged) {
		t.Errorf("Compact over a garbled page: %v; want ErrDamaged", err)
	}
	s.Close()

	rep, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "samples: ") {
		t.Errorf("Check of a garbled page: problems %q; want the samples bucket reported", rep.Problems)
	}

	dst := filepath.Join(t.TempDir(), "salvaged.db")
	srep, err := Salvage(path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if srep.Runs != len(want) || srep.Samples >= 6*len(want) || len(srep.Skipped) == 0 {
		t.Errorf("Salvage of a garbled sample page: %d runs, %d samples, skipped %q; want all %d runs, fewer than %d samples, and the skip named",
			srep.Runs, srep.Samples, srep.Skipped, len(want), 6*len(want))
	}
	checkSalvaged(t, dst, want)
}

// openTest2 opens a damaged store read-only without openTest's tx.Check,
// which would report the damage this test made.
func openTest2(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSalvageLostRunsRoot: a store bbolt opens but whose runs bucket has
// lost its root page (cut off with the end of the file, or zeroed) gives
// no run through bbolt; Salvage then scans the pages and copies every run,
// whose leaf pages are whole, in its newest state with its samples, and
// says it scanned; what bbolt can still read (the job, the suite) is
// copied too.
func TestSalvageLostRunsRoot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	want := damageStore(t, path, 40)
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var root uint64
	if err := s.db.View(func(tx *bolt.Tx) error { root = uint64(tx.Bucket(bucketRuns).Root()); return nil }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := readMeta(f)
	if err == nil {
		_, err = f.WriteAt(make([]byte, m.pageSize), int64(root)*int64(m.pageSize))
	}
	f.Close()
	if err != nil || root == 0 {
		t.Fatalf("zeroing the root page %d of the runs bucket: %v", root, err)
	}
	dst := filepath.Join(t.TempDir(), "salvaged.db")
	srep, err := Salvage(path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if srep.Scanned == "" || srep.Runs != len(want) || srep.Samples != 6*len(want) || srep.Jobs != 1 || srep.Suites != 1 {
		t.Errorf("Salvage of a store whose runs root is lost: %+v; want all %d runs and %d samples by a scan, the job and the suite", srep, len(want), 6*len(want))
	}
	for _, l := range checkSalvaged(t, dst, want) {
		if d := cmp.Diff(want[l.Run.ID].Samples, l.Samples); d != "" {
			t.Errorf("samples of %s found by a scan (-written +salvaged):\n%s", l.Run.ID, d)
		}
	}
}

// TestSalvageScansPages: a store whose two meta pages are both destroyed
// cannot be opened by bbolt at all; Salvage then scans its pages and
// recovers every run in its newest state, with all its samples in order,
// and says that it scanned.
func TestSalvageScansPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	want := damageStore(t, path, 12)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := readMeta(f)
	if err == nil {
		_, err = f.WriteAt(make([]byte, 2*m.pageSize), 0)
	}
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); err == nil {
		t.Fatal("bbolt opened a store without meta pages")
	}
	rep, err := Check(path)
	if err != nil || rep.OK() {
		t.Errorf("Check of a store without meta pages: %+v, %v; want a problem", rep, err)
	}
	dst := filepath.Join(t.TempDir(), "salvaged.db")
	srep, err := Salvage(path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if srep.Scanned == "" || srep.Runs != len(want) || srep.Samples != 6*len(want) {
		t.Errorf("Salvage by scanning pages: %+v; want all %d runs and %d samples, and the scan said", srep, len(want), 6*len(want))
	}
	for _, l := range checkSalvaged(t, dst, want) {
		if d := cmp.Diff(want[l.Run.ID].Samples, l.Samples); d != "" {
			t.Errorf("samples of %s found by a scan (-written +salvaged):\n%s", l.Run.ID, d)
		}
	}
	// Nothing to find: the error says bbolt could not open it and the scan found nothing.
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("not a store "), 2000), 0o600)
	if _, err := Salvage(junk, filepath.Join(t.TempDir(), "none.db")); err == nil || !strings.Contains(err.Error(), "bbolt cannot open it") {
		t.Errorf("Salvage of a file that is no store: %v; want an error saying nothing could be read", err)
	}
}

// getRKOf is the private key of run id.
func getRKOf(t *testing.T, s *Store, id string) (rk []byte) {
	t.Helper()
	if err := s.read(func(tx *bolt.Tx) error { rk = getRK(tx, id); return nil }); err != nil || rk == nil {
		t.Fatalf("run %s has no key: %v", id, err)
	}
	return rk
}

// TestIndexNamesMissingRun: a run record gone from the runs bucket while
// the indexes still name it (a damaged page of the runs bucket) is left
// out of lists with a note, not an error for the whole list; Check
// reports every index that names it; Salvage copies the rest.
func TestIndexNamesMissingRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	want := damageStore(t, path, 3)
	var gone string
	for id := range want {
		gone = max(gone, id)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRuns).Delete(getRK(tx, gone))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openTest(t, path, Options{ReadOnly: true})
	runs, err := s.ListRuns(Filter{Tag: "nightly"})
	if err != nil || len(runs) != 2 {
		t.Errorf("ListRuns with run %s's record gone: %d runs, %v; want the other 2", gone, len(runs), err)
	}
	if d := s.Damage(); len(d) != 1 || !strings.Contains(d[0].What, gone) || !strings.Contains(d[0].Err, "no such run") {
		t.Errorf("Damage = %q; want run %s noted as missing", d, gone)
	}
	rep, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(rep.Problems, "\n")
	for _, want := range []string{"run_ids names run " + gone, "index idx_time names", "index idx_tag/nightly names", "index idx_model/tiny-s names", "samples are kept for run key"} {
		if !strings.Contains(problems, want) {
			t.Errorf("Check problems:\n%s\nwant one saying %q", problems, want)
		}
	}
	srep, err := Salvage(path, filepath.Join(t.TempDir(), "salvaged.db"))
	if err != nil || srep.Runs != 2 || srep.Samples != 12 || srep.Baselines != 1 {
		t.Errorf("Salvage: %+v, %v; want the 2 other runs, their 12 samples and the baseline", srep, err)
	}
}
