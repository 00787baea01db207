package memory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
			r.Summary = &record.Summary{Headline: record.Headline{Samples: 4, PassRate: 0.75}, Passed: 3}
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

// migrateFixture copies an old-schema fixture into a temp dir, checks that
// a read-only open reads a migrated private copy and leaves the file as it
// is, opens it (which migrates it to
// the current schema in one transaction) and checks the version and the
// buckets. It returns the store and the copy's path.
func migrateFixture(t *testing.T, fixture, generator string, from int) (*Store, string) {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatalf("%v (write it with BENCHMCP_WRITE_FIXTURES=1 go test -run %s ./memory/)", err, generator)
	}
	path := filepath.Join(t.TempDir(), "bench.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// A read-only open reads a migrated copy; the file is not touched.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open of a v%d store: %v", from, err)
	}
	ro.db.View(func(tx *bolt.Tx) error {
		if v, _ := readVersion(tx); v != schemaVersion {
			t.Errorf("read-only view of a v%d store has schema v%d, want v%d", from, v, schemaVersion)
		}
		return nil
	})
	if _, err := ro.ListRuns(Filter{}); err != nil {
		t.Errorf("read-only list of a v%d store: %v", from, err)
	}
	if err := ro.PutRun(testRun("tiny-s", "x", t0)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("write through a read-only view of a v%d store: %v, want ErrReadOnly", from, err)
	}
	copyPath := ro.snapshot
	ro.Close()
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, b) {
		t.Errorf("a read-only open changed the v%d file (%v)", from, err)
	}
	if _, err := os.Stat(copyPath); !os.IsNotExist(err) {
		t.Errorf("the migrated copy %s outlives Close", copyPath)
	}
	if bak, _ := filepath.Glob(path + ".v*.bak"); len(bak) != 0 {
		t.Errorf("a read-only open left backups %v", bak)
	}
	s := openTest(t, path, Options{})
	s.db.View(func(tx *bolt.Tx) error {
		if v, _ := readVersion(tx); v != schemaVersion {
			t.Errorf("version after migration = %d, want %d", v, schemaVersion)
		}
		for _, b := range topBuckets {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing after migration", b)
			}
		}
		return nil
	})
	return s, path
}

func TestMigrateV1(t *testing.T) {
	s, path := migrateFixture(t, v1Fixture, "TestWriteV1Fixture", 1) // 1 -> 2 -> 3

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

	mustPutJob(t, s, &record.Job{Kind: "run_benchmark"})

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

const v2Fixture = "../testdata/memory/v2.db"

// v2Clock is when testdata/memory/v2.db's runs began: their IDs follow from it.
var v2Clock = time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)

// v2Runs is what testdata/memory/v2.db holds, runs newest first and samples
// in insertion order: three finished runs of two models, tags, a comparison,
// a replaced sample and (see writeV2Fixture) a baseline, a suite and a route
// decision with its outcome.
func v2Runs() []Line {
	run := func(id, model, suite string, status record.Status, start time.Time, tags ...string) record.Run {
		r := *testRun(model, suite, start, tags...)
		r.ID, r.Status, r.OllamaVersion = id, status, "0.13.1"
		r.OwnerPID, r.OwnerHost = 4242, "fixture-host"
		r.EndedAt = start.Add(90 * time.Second)
		return r
	}
	smp := func(r record.Run, task string, iter int, pass bool, out string) record.Sample {
		s := testSample(r.ID, task, iter)
		s.StartedAt = r.StartedAt.Add(time.Duration(10*iter+len(task)) * time.Second)
		s.Pass, s.Output, s.Seed = pass, out, new(int)
		*s.Seed = 1000 + iter
		if !pass {
			s.Score, s.Checks = 0, []record.CheckResult{{Type: "contains", Score: 0, Reason: "missing 432"}}
		}
		return s
	}
	a := run("r20251201-090000-0001", "tiny-s", "arith", record.StatusCompleted, v2Clock, "nightly")
	a.Summary = &record.Summary{Headline: record.Headline{Samples: 3, PassRate: 2.0 / 3}, Passed: 2, TaskCount: 2, Iterations: 2,
		Tasks: []record.TaskSummary{{ID: "a", Samples: 1, Passed: 1, PassRate: 1}, {ID: "b", Samples: 2, Passed: 1, PassRate: 0.5}}}
	b := run("r20251201-100000-0001", "tiny-m", "arith", record.StatusFailed, v2Clock.Add(time.Hour), "nightly", "gpu")
	b.ComparisonID, b.Label, b.Error = "c20251201", "big", "ollama: model runner crashed"
	// What migrate4to5 makes of the arguments v2 stored (v2LegacyConfig).
	b.Config = &record.RunConfig{Version: record.RunConfigVersion, Suite: "arith"}
	c := run("r20251202-080000-0001", "tiny-s", "code", record.StatusCancelled, v2Clock.Add(23*time.Hour))
	c.Notes, c.Preamble = "stopped by hand", "Answer in Go."
	c.Summary = &record.Summary{Headline: record.Headline{Samples: 1, PassRate: 1}, Passed: 1, TaskCount: 1, Iterations: 1}
	return []Line{
		{c, []record.Sample{smp(c, "fizz", 1, true, "func fizz() {}")}},
		{b, []record.Sample{smp(b, "sum", 1, true, "432"), smp(b, "sum", 2, false, "431")}},
		// Appended b1, a1, b2: not the (task, iteration) key order.
		{a, []record.Sample{smp(a, "b", 1, true, "432"), smp(a, "a", 1, true, "432"), smp(a, "b", 2, false, "no")}},
	}
}

// v2Decision is the route decision testdata/memory/v2.db holds.
func v2Decision() record.RouteDecision {
	ok := true
	return record.RouteDecision{ID: "d1", Time: v2Clock.Add(2 * time.Hour), Task: "sum", Strategy: "cheapest",
		Chosen: "tiny-s", Reason: "passes arith at the lowest latency", Outcome: "passed", OutcomeOK: &ok}
}

// v2LegacyConfig is the config run r20251201-100000-0001 of the v2 fixture
// holds: the arguments of the call that started it, as stored up to schema v4.
const v2LegacyConfig = `{"models":["tiny-s","tiny-m"],"suite":"arith"}`

const v2SuiteHash, v2SuiteText = "sha256:arith-v2", "name: arith\ntasks:\n  - id: sum\n    prompt: 'What is 400+32?'\n"

// writeV2Fixture writes, at path, the store of v2Runs in schema v2, through
// the API of the schema v2 code (PutRun, AppendSample, FinishRun, ...), with
// a fixed clock, pid and host so that it is reproducible. Since that code now
// writes a later schema, it then takes the file back to v2: it drops the
// buckets v2 did not have and sets meta/version to 2. TestV2FixtureReproducible
// checks that the result still holds exactly what the committed file, written
// by the v2 code itself, does.
func writeV2Fixture(t *testing.T, path string) {
	t.Helper()
	os.Remove(path)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clock := v2Clock
	s.now = func() time.Time { return clock }
	s.pid, s.host = 4242, "fixture-host"
	lines := v2Runs()
	for i := len(lines) - 1; i >= 0; i-- { // oldest first, as they were made
		want := lines[i].Run
		r := want
		r.ID, r.Status, r.EndedAt, r.Summary, r.Error, r.OwnerPID, r.OwnerHost = "", "", time.Time{}, nil, "", 0, ""
		clock = r.StartedAt
		mustPut(t, s, &r)
		if r.ID != want.ID {
			t.Fatalf("PutRun gave ID %s, want %s", r.ID, want.ID)
		}
		for j, smp := range lines[i].Samples {
			if j == 0 && want.Status == record.StatusFailed {
				// A first try of the sample, replaced in place below.
				draft := smp
				draft.Output, draft.Error = "", "timeout"
				mustAppend(t, s, draft)
			}
			mustAppend(t, s, smp)
		}
		clock = want.EndedAt
		if err := s.FinishRun(want.ID, want.Status, want.Summary, want.Error); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetRun(want.ID); !cmp.Equal(got, want) {
			t.Fatalf("run %s as written (-want +got):\n%s", want.ID, cmp.Diff(want, got))
		}
	}
	if err := s.SetBaseline(lines[2].Run.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSuite(v2SuiteHash, "arith", []byte(v2SuiteText)); err != nil {
		t.Fatal(err)
	}
	d := v2Decision()
	outcome, ok := d.Outcome, d.OutcomeOK
	d.ID, d.Outcome, d.OutcomeOK = "", "", nil
	if err := s.PutRouteDecision(&d); err != nil {
		t.Fatal(err)
	}
	d.Outcome, d.OutcomeOK = outcome, ok // recorded later, as a router does
	if err := s.PutRouteDecision(&d); err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range slices.Concat(bucketsNewInV3, bucketsNewInV4) {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("drop bucket %s: %w", name, err)
			}
		}
		// Up to v4 a run's config held its call's arguments, as they were.
		typed := []byte(`"config":{"version":1,"suite":"arith"}`)
		runs := tx.Bucket(bucketRuns)
		var keys [][]byte
		runs.ForEach(func(k, v []byte) error {
			if bytes.Contains(v, typed) {
				keys = append(keys, slices.Clone(k))
			}
			return nil
		})
		for _, k := range keys {
			legacy := bytes.Replace(runs.Get(k), typed, []byte(`"config":`+v2LegacyConfig), 1)
			if err := runs.Put(k, legacy); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, u64(2))
	})
	if err != nil {
		t.Fatalf("take the file back to schema v2: %v", err)
	}
}

// TestWriteV2Fixture writes testdata/memory/v2.db. Run it with
// BENCHMCP_WRITE_FIXTURES=1; commit the file.
func TestWriteV2Fixture(t *testing.T) {
	if os.Getenv("BENCHMCP_WRITE_FIXTURES") == "" {
		t.Skip("set BENCHMCP_WRITE_FIXTURES=1 to rewrite " + v2Fixture)
	}
	writeV2Fixture(t, v2Fixture)
}

// rawDump is every bucket (with its sequence) and key/value pair of a store
// file, one per line, for comparing files by content rather than by bytes.
func rawDump(t *testing.T, path string) []string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	var walk func(prefix string, b *bolt.Bucket) error
	walk = func(prefix string, b *bolt.Bucket) error {
		out = append(out, fmt.Sprintf("%s seq=%d", prefix, b.Sequence()))
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(fmt.Sprintf("%s/%q", prefix, k), b.Bucket(k))
			}
			out = append(out, fmt.Sprintf("%s/%q = %q", prefix, k, v))
			return nil
		})
	}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(fmt.Sprintf("%q", name), b) })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// canonical is a rawDump with every JSON object value re-encoded with its
// keys sorted: the same content whatever order the code's types put the
// fields in (record.Summary's headline fields moved to its front in v5).
func canonical(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l
		k, v, ok := strings.Cut(l, " = ")
		if !ok {
			continue
		}
		raw, err := strconv.Unquote(v)
		var val any
		if err != nil || !strings.HasPrefix(raw, "{") || json.Unmarshal([]byte(raw), &val) != nil {
			continue
		}
		if b, err := json.Marshal(val); err == nil {
			out[i] = k + " = " + strconv.Quote(string(b))
		}
	}
	return out
}

// TestV2FixtureReproducible checks that writeV2Fixture still writes what
// testdata/memory/v2.db holds.
func TestV2FixtureReproducible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	writeV2Fixture(t, path)
	if d := cmp.Diff(canonical(rawDump(t, v2Fixture)), canonical(rawDump(t, path))); d != "" {
		t.Errorf("writeV2Fixture no longer writes %s (-fixture +written):\n%s", v2Fixture, d)
	}
}

func TestMigrateV2(t *testing.T) {
	s, path := migrateFixture(t, v2Fixture, "TestWriteV2Fixture", 2)
	dir := filepath.Dir(path)
	s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketJobs).Sequence(); n != 0 {
			t.Errorf("jobs sequence after migration = %d, want 0", n)
		}
		return nil
	})

	// Every run and sample, unchanged: all are finished, so none is swept.
	want := v2Runs()
	if d := cmp.Diff(want, dump(t, s)); d != "" {
		t.Errorf("migrated store (-want +got):\n%s", d)
	}
	for _, l := range want {
		if n, err := s.SampleCount(l.Run.ID); err != nil || n != len(l.Samples) {
			t.Errorf("run %s: SampleCount = %d, %v; want %d", l.Run.ID, n, err, len(l.Samples))
		}
	}
	for f, n := range map[*Filter]int{
		{Tag: "nightly"}:                 2,
		{Tag: "gpu"}:                     1,
		{ComparisonID: "c20251201"}:      1,
		{Status: record.StatusCompleted}: 1,
		{Status: record.StatusFailed}:    1,
		{Status: record.StatusCancelled}: 1,
		{Model: "tiny-s"}:                2,
		{Suite: "arith"}:                 2,
		{Since: v2Clock.Add(time.Hour)}:  2,
	} {
		if runs, err := s.ListRuns(*f); err != nil || len(runs) != n {
			t.Errorf("ListRuns(%+v) = %d runs, %v; want %d", *f, len(runs), err, n)
		}
	}
	if b, err := s.Baseline("tiny-s", "arith"); err != nil || !cmp.Equal(b, want[2].Run) {
		t.Errorf("Baseline(tiny-s, arith) = %s, %v; want %s", b.ID, err, want[2].Run.ID)
	}
	if _, err := s.Baseline("tiny-m", "arith"); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("Baseline(tiny-m, arith) error = %v, want ErrRunNotFound", err)
	}
	if name, content, err := s.Suite(v2SuiteHash); err != nil || name != "arith" || string(content) != v2SuiteText {
		t.Errorf("Suite = %q, %q, %v", name, content, err)
	}
	if ds, err := s.RouteDecisions(0); err != nil || !cmp.Equal(ds, []record.RouteDecision{v2Decision()}) {
		t.Errorf("RouteDecisions = %+v, %v; want the fixture's one", ds, err)
	}

	// New writes continue the old sequences, and the job queue works.
	b := want[1].Run.ID
	mustAppend(t, s, testSample(b, "sum", 3))
	if smps, _ := s.Samples(b); len(smps) != 3 || smps[2].Iteration != 3 {
		t.Errorf("after a new append: %d samples; want 3, sum#3 last", len(smps))
	}
	r := testRun("tiny-l", "arith", t0)
	mustPut(t, s, r)
	if runs, _ := s.ListRuns(Filter{}); len(runs) != 4 || runs[0].ID != r.ID {
		t.Errorf("after a new run: %d runs, want 4 with %s newest", len(runs), r.ID)
	}
	j := &record.Job{Kind: "run_benchmark", Host: "local", RunIDs: []string{r.ID}}
	mustPutJob(t, s, j)
	if got, err := s.GetJob(j.ID); err != nil || !cmp.Equal(got, *j) {
		t.Errorf("GetJob after migration = %+v, %v; want %+v", got, err, *j)
	}

	// The file as it was is kept next to it, byte for byte the fixture's content.
	backup := path + ".v2.bak"
	if err := checkFile(backup); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if d := cmp.Diff(rawDump(t, v2Fixture), rawDump(t, backup)); d != "" {
		t.Errorf("backup differs from the fixture (-fixture +backup):\n%s", d)
	}

	// Reopened, it is current already: nothing is migrated or backed up again.
	s.Close()
	s = openTest(t, path, Options{})
	if jobs, err := s.ListJobs(JobFilter{}); err != nil || len(jobs) != 1 || jobs[0].ID != j.ID {
		t.Errorf("ListJobs after reopening = %d jobs, %v; want %s", len(jobs), err, j.ID)
	}
	if baks, _ := filepath.Glob(filepath.Join(dir, "*.bak")); len(baks) != 1 {
		t.Errorf("backups after reopening: %v, want only %s", baks, backup)
	}
}

const v4Fixture = "../testdata/memory/v4.db"

// testdata/memory/v4.db was written by benchmcp at commit 332d669 (schema
// v4) itself, against a private ollama serve with the fixture models:
//
//	benchmcp run --model tiny-s --suite tiny --iterations 2 --seed 7 --tag fixture --preamble concise --options '{"num_ctx": 512}'
//	benchmcp run --model tiny-m --suite tiny --iterations 3 --seeds 11,12,13 --timeout 60 --max-output-tokens 256 --tag fixture  (SIGKILLed after 24 samples)
//	benchmcp compare --model tiny-s --model tiny-m --suite tiny --seed 3
//	benchmcp run --model tiny-s --suite tiny --background --priority 3 --iterations 2; benchmcp jobs work
//
// so its runs' configs are what that code stored: the calls' arguments,
// priority included. It cannot be written again by later code; it is the
// record of what v4 stores looked like.

// v4Configs are the run configs v4.db's runs have once migrated: the run
// settings their calls gave, with the version set, and nothing else.
func v4Configs() map[string]*record.RunConfig {
	n := func(i int) *int { return &i }
	return map[string]*record.RunConfig{
		"r20261207-101235-0001": {Version: 1, Model: "tiny-s", Suite: "tiny", Preamble: "concise", Options: map[string]any{"num_ctx": float64(512)},
			Iterations: 2, Seed: n(7), Warmup: n(1), Concurrency: 1, Tags: []string{"fixture"}},
		"r20261207-101249-0001": {Version: 1, Model: "tiny-m", Suite: "tiny", Iterations: 3, Seeds: []int{11, 12, 13}, Warmup: n(1), Concurrency: 1,
			MaxOutputTokens: 256, TimeoutS: 60, Tags: []string{"fixture"}},
		"r20261207-101255-0001": {Version: 1, Model: "tiny-s", Suite: "tiny", Iterations: 1, Seeds: []int{384031388}, Warmup: n(1)},
		"r20261207-101255-0002": {Version: 1, Model: "tiny-m", Suite: "tiny", Iterations: 1, Seeds: []int{384031388}, Warmup: n(1)},
		"r20261207-101312-0001": {Version: 1, Model: "tiny-s", Suite: "tiny", Iterations: 2, Warmup: n(1), Concurrency: 1},
	}
}

// TestMigrateV4 opens the store v4 code wrote: every run's config becomes a
// RunConfig holding the run settings the call gave and nothing of the call
// itself (priority), and everything else is as it was: the runs' other
// fields, every sample, the suites and the job queue.
func TestMigrateV4(t *testing.T) {
	s, path := migrateFixture(t, v4Fixture, "(none: see v4Configs)", 4)

	runs, err := s.ListRuns(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := v4Configs()
	if len(runs) != len(want) {
		t.Fatalf("%d runs after migration, want %d", len(runs), len(want))
	}
	for _, r := range runs {
		if d := cmp.Diff(want[r.ID], r.Config); d != "" {
			t.Errorf("run %s: config (-want +got):\n%s", r.ID, d)
		}
	}

	// Byte for byte, the rest: runs without their config, samples, suites
	// and jobs, all as the fixture holds them.
	old, now := rawDump(t, v4Fixture), rawDump(t, path+".v4.bak")
	if d := cmp.Diff(old, now); d != "" {
		t.Fatalf("backup differs from the fixture:\n%s", d)
	}
	s.Close()
	after := rawDump(t, path)
	withPriority := 0
	strip := func(lines []string, migrated bool) []string {
		var out []string
		for _, l := range lines {
			k, v, ok := strings.Cut(l, " = ")
			if ok && strings.HasPrefix(k, `"runs"/`) {
				raw, _ := strconv.Unquote(v)
				var m map[string]any
				if err := json.Unmarshal([]byte(raw), &m); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				if c, ok := m["config"].(map[string]any); ok && c["priority"] != nil {
					if migrated {
						t.Errorf("%s: config keeps the call's priority: %v", k, c)
					}
					withPriority++
				}
				delete(m, "config")
				b, _ := json.Marshal(m)
				l = k + " = " + string(b)
			}
			if strings.HasPrefix(l, `"meta"/"version"`) {
				continue
			}
			out = append(out, l)
		}
		return out
	}
	if d := cmp.Diff(strip(canonical(old), false), strip(canonical(after), true)); d != "" {
		t.Errorf("migration changed more than the configs (-v4 +v5):\n%s", d)
	}
	if withPriority != 1 {
		t.Errorf("%d configs held a priority; the fixture's job run had one (the v4 fixture is not what it was)", withPriority)
	}

	// Reopened: current, and the interrupted run reads as such.
	s = openTest(t, path, Options{})
	r, err := s.GetRun("r20261207-101249-0001")
	if err != nil || r.Status != record.StatusInterrupted {
		t.Fatalf("killed run = %s, %v; want interrupted", r.Status, err)
	}
	if n, _ := s.SampleCount(r.ID); n != 24 {
		t.Errorf("killed run has %d samples, want the 24 it finished", n)
	}
	if jobs, err := s.ListJobs(JobFilter{}); err != nil || len(jobs) != 1 || jobs[0].Status != record.JobCompleted {
		t.Errorf("jobs = %+v, %v; want the one completed job", jobs, err)
	}
}
