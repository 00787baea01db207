package memory

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

const v1Fixture = "../testdata/memory/v1.db"

// v1Runs is what testdata/memory/v1.db holds: runs newest first, samples in
// the order they were appended (which v1 did not keep).
func v1Runs() []Line {
	day := time.Date(2025, 11, 1, 9, 0, 0, 0, time.UTC)
	run := func(id, model, suite string, status record.Status, start time.Time, tags ...string) record.Run {
		r := *testRun(model, suite, start, tags...)
		r.ID, r.Status, r.OllamaVersion = id, status, "0.12.0"
		if status.Terminal() {
			r.EndedAt = start.Add(time.Minute)
			r.Summary = &record.Summary{Samples: 4, Passed: 3, PassRate: 0.75}
		}
		return r
	}
	smp := func(runID, task string, iter int, at time.Time) record.Sample {
		s := testSample(runID, task, iter)
		s.StartedAt = at
		return s
	}
	a := run("r20251101-090000-0001", "tiny-s", "arith", record.StatusCompleted, day, "nightly")
	b := run("r20251101-100000-0001", "tiny-m", "arith", record.StatusFailed, day.Add(time.Hour), "nightly", "gpu")
	b.ComparisonID, b.Error = "c1", "ollama: model runner crashed"
	c := run("r20251102-080000-0001", "tiny-s", "code", record.StatusRunning, day.Add(23*time.Hour))
	c.OwnerPID, c.OwnerHost = 4242, "fixture-host"
	return []Line{
		{c, []record.Sample{smp(c.ID, "fizz", 1, c.StartedAt.Add(time.Second))}},
		{b, []record.Sample{smp(b.ID, "sum", 1, b.StartedAt.Add(time.Second)), smp(b.ID, "sum", 2, b.StartedAt.Add(2*time.Second))}},
		// Appended b1, a1, b2, a2: not the (task, iteration) key order v1 stored them in.
		{a, []record.Sample{
			smp(a.ID, "b", 1, a.StartedAt.Add(1*time.Second)),
			smp(a.ID, "a", 1, a.StartedAt.Add(2*time.Second)),
			smp(a.ID, "b", 2, a.StartedAt.Add(3*time.Second)),
			smp(a.ID, "a", 2, a.StartedAt.Add(4*time.Second)),
		}},
	}
}

// TestWriteV1Fixture writes testdata/memory/v1.db in the schema v1 layout
// (see schema.go). Run it with BENCHMCP_WRITE_FIXTURES=1; commit the file.
func TestWriteV1Fixture(t *testing.T) {
	if os.Getenv("BENCHMCP_WRITE_FIXTURES") == "" {
		t.Skip("set BENCHMCP_WRITE_FIXTURES=1 to rewrite " + v1Fixture)
	}
	if err := os.MkdirAll(filepath.Dir(v1Fixture), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(v1Fixture)
	db, err := bolt.Open(v1Fixture, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := map[string]*bolt.Bucket{}
		for _, name := range []string{"meta", "runs", "run_ids", "idx_time", "idx_model", "idx_suite", "samples", "baselines", "suites", "routes"} {
			var err error
			if b[name], err = tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		b["meta"].Put([]byte("version"), u64(1))
		lines := v1Runs()
		for i := len(lines) - 1; i >= 0; i-- { // oldest first, as they were made
			r := lines[i].Run
			n, _ := b["runs"].NextSequence()
			rk := u64(n)
			v, _ := json.Marshal(r)
			b["runs"].Put(rk, v)
			b["run_ids"].Put([]byte(r.ID), rk)
			tk := timeKey(tsOf(r.StartedAt), rk)
			b["idx_time"].Put(tk, rk)
			for name, val := range map[string]string{"idx_model": r.Model, "idx_suite": r.Suite} {
				sub, _ := b[name].CreateBucketIfNotExists([]byte(val))
				sub.Put(tk, rk)
			}
			sb, _ := b["samples"].CreateBucket(rk)
			for _, smp := range lines[i].Samples {
				v, _ := json.Marshal(smp)
				sb.Put(sampleKey(smp.TaskID, smp.Iteration), v)
			}
		}
		base, _ := b["baselines"].CreateBucket([]byte("tiny-s"))
		base.Put([]byte("arith"), []byte("r20251101-090000-0001"))
		v, _ := json.Marshal(storedSuite{"arith", []byte("name: arith\n")})
		b["suites"].Put([]byte("sha256:arith"), v)
		n, _ := b["routes"].NextSequence()
		v, _ = json.Marshal(record.RouteDecision{ID: "d1", Time: time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC), Task: "sum", Strategy: "cheapest", Chosen: "tiny-s"})
		return b["routes"].Put(u64(n), v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateV1(t *testing.T) {
	fixture, err := os.ReadFile(v1Fixture)
	if err != nil {
		t.Fatalf("%v (write it with BENCHMCP_WRITE_FIXTURES=1 go test -run TestWriteV1Fixture ./memory/)", err)
	}
	path := filepath.Join(t.TempDir(), "bench.db")
	if err := os.WriteFile(path, fixture, 0o600); err != nil {
		t.Fatal(err)
	}

	// A read-only open cannot migrate, and says how to.
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "schema v1") {
		t.Errorf("read-only Open of a v1 store: error = %v, want ErrReadOnly naming schema v1", err)
	}

	s := openTest(t, path, Options{})
	s.db.View(func(tx *bolt.Tx) error {
		if v, _ := readVersion(tx); v != 2 {
			t.Errorf("version after migration = %d, want 2", v)
		}
		return nil
	})

	want := v1Runs()
	// Its owner is gone, so the running run is found interrupted,
	// ending when its last sample did.
	want[0].Run.Status = record.StatusInterrupted
	want[0].Run.EndedAt = want[0].Samples[0].StartedAt.Add(120500 * time.Microsecond)
	got := dump(t, s)
	if len(got) == 3 {
		want[0].Run.Error = got[0].Run.Error
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("migrated store (-want +got):\n%s", d)
	}
	for i, l := range want {
		if n, _ := s.SampleCount(l.Run.ID); n != len(l.Samples) {
			t.Errorf("run %d: SampleCount = %d, want %d", i, n, len(l.Samples))
		}
	}
	// The new indexes were built.
	for f, n := range map[*Filter]int{
		{Tag: "nightly"}:                   2,
		{Tag: "gpu"}:                       1,
		{ComparisonID: "c1"}:               1,
		{Status: record.StatusFailed}:      1,
		{Status: record.StatusRunning}:     0,
		{Status: record.StatusInterrupted}: 1,
		{Model: "tiny-s"}:                  2,
	} {
		if runs, _ := s.ListRuns(*f); len(runs) != n {
			t.Errorf("ListRuns(%+v) = %d runs, want %d", *f, len(runs), n)
		}
	}
	if b, err := s.Baseline("tiny-s", "arith"); err != nil || b.ID != "r20251101-090000-0001" {
		t.Errorf("Baseline = %s, %v", b.ID, err)
	}
	if name, _, err := s.Suite("sha256:arith"); err != nil || name != "arith" {
		t.Errorf("Suite = %s, %v", name, err)
	}
	if ds, _ := s.RouteDecisions(0); len(ds) != 1 || ds[0].Chosen != "tiny-s" {
		t.Errorf("RouteDecisions = %+v", ds)
	}
	// New writes continue the old sequences.
	mustAppend(t, s, testSample("r20251101-090000-0001", "c", 1))
	if smps, _ := s.Samples("r20251101-090000-0001"); len(smps) != 5 || smps[4].TaskID != "c" {
		t.Errorf("after a new append: %d samples, last %q; want 5, c", len(smps), smps[len(smps)-1].TaskID)
	}

	// The file as it was is kept next to it.
	if err := checkFile(path + ".v1.bak"); err != nil {
		t.Errorf("backup: %v", err)
	}
	backup, _ := os.ReadFile(path + ".v1.bak")
	db, err := bolt.Open(path+".v1.bak", 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("backup (%d bytes): %v", len(backup), err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v, _ := readVersion(tx); v != 1 {
			t.Errorf("backup version = %d, want 1", v)
		}
		return nil
	})
}
