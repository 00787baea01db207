package memory

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// openTest opens a store on a real file and, when the test ends, runs
// tx.Check on it and closes it.
func openTest(t testing.TB, path string, opt Options) *Store {
	t.Helper()
	s, err := Open(path, opt)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		err := s.db.View(checkTx)
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			err = checkFile(path)
		}
		if err != nil {
			t.Errorf("check %s: %v", path, err)
		}
		s.Close()
	})
	return s
}

func newTestStore(t testing.TB) *Store {
	t.Helper()
	return openTest(t, filepath.Join(t.TempDir(), "bench.db"), Options{})
}

func checkTx(tx *bolt.Tx) error {
	var errs []error
	for err := range tx.Check() {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkFile runs tx.Check on a closed store file.
func checkFile(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(checkTx)
}

var t0 = time.Date(2026, 11, 23, 14, 36, 52, 0, time.UTC)

func testRun(model, suite string, started time.Time, tags ...string) *record.Run {
	return &record.Run{
		Model:      model,
		ModelInfo:  record.ModelInfo{Name: model, Family: "tiny", ParameterSize: "1M", Quantization: "Q8_0"},
		Host:       "local",
		HostURL:    "http://127.0.0.1:11434",
		Suite:      suite,
		SuiteHash:  "sha256:" + suite,
		Options:    map[string]any{"temperature": 0.0, "num_ctx": 2048.0},
		Iterations: 3,
		Tags:       tags,
		StartedAt:  started,
	}
}

func testSample(runID, task string, iter int) record.Sample {
	return record.Sample{
		RunID:     runID,
		TaskID:    task,
		Category:  "math",
		Iteration: iter,
		StartedAt: t0.Add(time.Duration(iter) * time.Second),
		Measurement: record.Measurement{
			Output: "The answer is 432.", WallMs: 120.5, TTFTMs: 20, EvalTokens: 7, GenTPS: 55.5,
		},
		Checks: []record.CheckResult{{Type: "contains", Pass: true, Score: 1}},
		Pass:   true,
		Score:  1,
	}
}

func mustPut(t testing.TB, s *Store, r *record.Run) {
	t.Helper()
	if err := s.PutRun(r); err != nil {
		t.Fatal(err)
	}
}

func mustAppend(t testing.TB, s *Store, smp record.Sample) {
	t.Helper()
	if err := s.AppendSample(smp); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCreatesSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deep", "dir", "bench.db")
	s := openTest(t, path, Options{})
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		v, err := readVersion(tx)
		if v != schemaVersion {
			t.Errorf("version = %d, want %d", v, schemaVersion)
		}
		for _, b := range topBuckets {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reopening an existing store keeps it.
	s.Close()
	openTest(t, path, Options{})
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	if got, want := DefaultPath(), "/data/benchmcp/bench.db"; got != want {
		t.Errorf("DefaultPath() = %q, want %q", got, want)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got, want := DefaultPath(), "/home/u/.local/share/benchmcp/bench.db"; got != want {
		t.Errorf("DefaultPath() = %q, want %q", got, want)
	}
}

func TestPutGetRun(t *testing.T) {
	s := newTestStore(t)
	r := testRun("tiny-s", "arith", time.Time{}, "nightly")
	r.Config = &record.RunConfig{Version: record.RunConfigVersion, Model: "tiny-s"}
	mustPut(t, s, r)

	if !regexp.MustCompile(`^r\d{8}-\d{6}-\d{4}$`).MatchString(r.ID) {
		t.Errorf("ID = %q, want r20060102-150405-0001 form", r.ID)
	}
	if r.StartedAt.IsZero() || r.Status != record.StatusRunning {
		t.Errorf("StartedAt = %v, Status = %q; want now and running", r.StartedAt, r.Status)
	}
	host, _ := os.Hostname()
	if r.OwnerPID != os.Getpid() || r.OwnerHost != host {
		t.Errorf("owner = %d@%s, want %d@%s", r.OwnerPID, r.OwnerHost, os.Getpid(), host)
	}
	got, err := s.GetRun(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(*r, got); d != "" {
		t.Errorf("GetRun (-put +got):\n%s", d)
	}

	// Replacing keeps the ID, moves the indexes and keeps the samples.
	mustAppend(t, s, testSample(r.ID, "a", 1))
	r.Model, r.Tags, r.StartedAt = "tiny-m", []string{"weekly"}, t0
	mustPut(t, s, r)
	got, _ = s.GetRun(r.ID)
	if d := cmp.Diff(*r, got); d != "" {
		t.Errorf("GetRun after replace (-put +got):\n%s", d)
	}
	for _, f := range []Filter{{Model: "tiny-s"}, {Tag: "nightly"}} {
		if runs, _ := s.ListRuns(f); len(runs) != 0 {
			t.Errorf("ListRuns(%+v) after replace = %d runs, want 0", f, len(runs))
		}
	}
	for _, f := range []Filter{{Model: "tiny-m"}, {Tag: "weekly"}, {Since: t0, Until: t0.Add(time.Second)}} {
		if runs, _ := s.ListRuns(f); len(runs) != 1 {
			t.Errorf("ListRuns(%+v) after replace = %d runs, want 1", f, len(runs))
		}
	}
	if n, _ := s.SampleCount(r.ID); n != 1 {
		t.Errorf("SampleCount after replace = %d, want 1", n)
	}

	if _, err := s.GetRun("r-nope"); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("GetRun(unknown) error = %v, want ErrRunNotFound", err)
	}
}

func TestIDsSortInCreationOrder(t *testing.T) {
	s := newTestStore(t)
	clock := t0
	s.now = func() time.Time { return clock }
	var ids []string
	for i := range 12 {
		if i == 5 || i == 9 {
			clock = clock.Add(time.Second)
		}
		r := testRun("m", "s", t0)
		mustPut(t, s, r)
		ids = append(ids, r.ID)
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("IDs not unique and sorted: %v", ids)
	}
	if ids[0] != "r20261123-143652-0001" || ids[5] != "r20261123-143653-0001" || ids[8] != "r20261123-143653-0004" {
		t.Errorf("IDs = %v", ids)
	}
}

func TestAppendSample(t *testing.T) {
	s := newTestStore(t)
	r := testRun("tiny-s", "arith", t0)
	mustPut(t, s, r)

	var want []record.Sample
	for _, task := range []string{"b", "a", "c"} {
		for iter := 1; iter <= 2; iter++ {
			smp := testSample(r.ID, task, iter)
			mustAppend(t, s, smp)
			want = append(want, smp)
		}
	}
	// Re-appending (a, 2) replaces it where it was.
	again := testSample(r.ID, "a", 2)
	again.Pass, again.Score, again.Output = false, 0, "431"
	mustAppend(t, s, again)
	want[3] = again

	got, err := s.Samples(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Samples (-want +got):\n%s", d)
	}
	if n, _ := s.SampleCount(r.ID); n != 6 {
		t.Errorf("SampleCount = %d, want 6", n)
	}
	err = s.AppendSample(testSample("r-nope", "a", 1))
	if !errors.Is(err, ErrRunNotFound) || !strings.Contains(err.Error(), "r-nope") {
		t.Errorf("AppendSample(unknown run) error = %v, want ErrRunNotFound naming it", err)
	}
	// Task IDs that are prefixes of one another do not collide.
	mustAppend(t, s, testSample(r.ID, "a\x00", 1))
	if n, _ := s.SampleCount(r.ID); n != 7 {
		t.Errorf("SampleCount = %d, want 7", n)
	}
}

func TestFinishRun(t *testing.T) {
	s := newTestStore(t)
	end := t0.Add(time.Minute)
	s.now = func() time.Time { return end }
	r := testRun("tiny-s", "arith", t0)
	mustPut(t, s, r)
	sum := &record.Summary{Headline: record.Headline{Samples: 3, PassRate: 2.0 / 3}, Passed: 2, Tasks: []record.TaskSummary{{ID: "a", Samples: 3, Passed: 2}}}
	if err := s.FinishRun(r.ID, record.StatusCompleted, sum, ""); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetRun(r.ID)
	want := *r
	want.Status, want.Summary, want.EndedAt = record.StatusCompleted, sum, end
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("run after FinishRun (-want +got):\n%s", d)
	}
	if runs, _ := s.ListRuns(Filter{Status: record.StatusRunning}); len(runs) != 0 {
		t.Errorf("still listed as running: %v", runs)
	}
	if runs, _ := s.ListRuns(Filter{Status: record.StatusCompleted}); len(runs) != 1 {
		t.Errorf("listed as completed: %d runs, want 1", len(runs))
	}

	// A nil summary keeps the one stored; the error message is set.
	if err := s.FinishRun(r.ID, record.StatusFailed, nil, "ollama went away"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetRun(r.ID)
	if got.Summary == nil || got.Error != "ollama went away" || got.Status != record.StatusFailed {
		t.Errorf("after second FinishRun: summary %v, error %q, status %q", got.Summary, got.Error, got.Status)
	}
	if err := s.FinishRun(r.ID, record.StatusRunning, nil, ""); err == nil {
		t.Error("FinishRun(running) succeeded, want an error")
	}
	if err := s.FinishRun("r-nope", record.StatusCompleted, nil, ""); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("FinishRun(unknown) error = %v, want ErrRunNotFound", err)
	}
}

func TestListRuns(t *testing.T) {
	s := newTestStore(t)
	type spec struct {
		model, suite string
		status       record.Status
		cmp          string
		tags         []string
	}
	specs := []spec{
		{"tiny-s", "arith", record.StatusCompleted, "", []string{"nightly"}},
		{"tiny-m", "arith", record.StatusCompleted, "c1", []string{"nightly", "gpu"}},
		{"tiny-s", "code", record.StatusFailed, "c1", nil},
		{"tiny-m", "code", record.StatusRunning, "", []string{"gpu"}},
		{"tiny-s", "arith", record.StatusCancelled, "", []string{"nightly", "nightly"}},
	}
	var ids []string // ids[i] started at t0 + i minutes
	for i, sp := range specs {
		r := testRun(sp.model, sp.suite, t0.Add(time.Duration(i)*time.Minute), sp.tags...)
		r.Status, r.ComparisonID = sp.status, sp.cmp
		mustPut(t, s, r)
		ids = append(ids, r.ID)
	}
	tests := []struct {
		name string
		f    Filter
		want []int // indexes into ids, newest first
	}{
		{"all", Filter{}, []int{4, 3, 2, 1, 0}},
		{"model", Filter{Model: "tiny-s"}, []int{4, 2, 0}},
		{"suite", Filter{Suite: "code"}, []int{3, 2}},
		{"tag", Filter{Tag: "nightly"}, []int{4, 1, 0}},
		{"status", Filter{Status: record.StatusCompleted}, []int{1, 0}},
		{"comparison", Filter{ComparisonID: "c1"}, []int{2, 1}},
		{"model and suite", Filter{Model: "tiny-s", Suite: "arith"}, []int{4, 0}},
		{"tag and model", Filter{Tag: "gpu", Model: "tiny-m", Status: record.StatusRunning}, []int{3}},
		{"since", Filter{Since: t0.Add(3 * time.Minute)}, []int{4, 3}},
		{"until is exclusive", Filter{Until: t0.Add(2 * time.Minute)}, []int{1, 0}},
		{"range and model", Filter{Model: "tiny-s", Since: t0.Add(time.Minute), Until: t0.Add(10 * time.Minute)}, []int{4, 2}},
		{"limit", Filter{Limit: 2}, []int{4, 3}},
		{"offset", Filter{Offset: 3}, []int{1, 0}},
		{"limit and offset after filter", Filter{Model: "tiny-s", Limit: 1, Offset: 1}, []int{2}},
		{"unknown model", Filter{Model: "nope"}, nil},
		{"unknown tag", Filter{Tag: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := s.ListRuns(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, r := range runs {
				got = append(got, r.ID)
			}
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("ListRuns(%+v) (-want +got):\n%s", tt.f, d)
			}
		})
	}
}

func TestDeleteRun(t *testing.T) {
	s := newTestStore(t)
	keep := testRun("tiny-s", "arith", t0, "nightly")
	gone := testRun("tiny-s", "arith", t0.Add(time.Minute), "nightly", "only")
	mustPut(t, s, keep)
	mustPut(t, s, gone)
	mustAppend(t, s, testSample(keep.ID, "a", 1))
	mustAppend(t, s, testSample(gone.ID, "a", 1))
	if err := s.SetBaseline(gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRun(gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(gone.ID); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("GetRun(deleted) error = %v, want ErrRunNotFound", err)
	}
	if _, err := s.Samples(gone.ID); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("Samples(deleted) error = %v, want ErrRunNotFound", err)
	}
	if _, err := s.Baseline("tiny-s", "arith"); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("Baseline after deleting it: error = %v, want ErrRunNotFound", err)
	}
	for _, f := range []Filter{{}, {Model: "tiny-s"}, {Tag: "nightly"}, {Status: record.StatusRunning}} {
		runs, _ := s.ListRuns(f)
		if len(runs) != 1 || runs[0].ID != keep.ID {
			t.Errorf("ListRuns(%+v) after delete = %v, want only %s", f, runs, keep.ID)
		}
	}
	if smps, _ := s.Samples(keep.ID); len(smps) != 1 {
		t.Errorf("kept run has %d samples, want 1", len(smps))
	}
	// The emptied index bucket is gone, the shared ones are not.
	s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketTag).Bucket([]byte("only")) != nil {
			t.Error("idx_tag/only survived the deletion of its only run")
		}
		if tx.Bucket(bucketSamples).Bucket(u64(2)) != nil {
			t.Error("samples of the deleted run survived")
		}
		return nil
	})
	if err := s.DeleteRun(gone.ID); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("second DeleteRun error = %v, want ErrRunNotFound", err)
	}
}

func TestBaseline(t *testing.T) {
	s := newTestStore(t)
	if _, err := s.Baseline("tiny-s", "arith"); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("Baseline(none) error = %v, want ErrRunNotFound", err)
	}
	a := testRun("tiny-s", "arith", t0)
	b := testRun("tiny-s", "arith", t0.Add(time.Hour))
	c := testRun("tiny-s", "code", t0)
	for _, r := range []*record.Run{a, b, c} {
		mustPut(t, s, r)
	}
	for _, id := range []string{a.ID, c.ID, b.ID} {
		if err := s.SetBaseline(id); err != nil {
			t.Fatal(err)
		}
	}
	for suite, want := range map[string]string{"arith": b.ID, "code": c.ID} {
		got, err := s.Baseline("tiny-s", suite)
		if err != nil || got.ID != want {
			t.Errorf("Baseline(tiny-s, %s) = %s, %v; want %s", suite, got.ID, err, want)
		}
	}
	if err := s.SetBaseline("r-nope"); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("SetBaseline(unknown) error = %v, want ErrRunNotFound", err)
	}
}

func TestSuites(t *testing.T) {
	s := newTestStore(t)
	content := []byte("name: arith\ntasks:\n  - id: a\n")
	if err := s.PutSuite("sha256:abc", "arith", content); err != nil {
		t.Fatal(err)
	}
	name, got, err := s.Suite("sha256:abc")
	if err != nil || name != "arith" || !bytes.Equal(got, content) {
		t.Errorf("Suite = %q, %q, %v", name, got, err)
	}
	if _, _, err := s.Suite("sha256:nope"); !errors.Is(err, ErrSuiteNotFound) {
		t.Errorf("Suite(unknown) error = %v, want ErrSuiteNotFound", err)
	}
}

func TestRouteDecisions(t *testing.T) {
	s := newTestStore(t)
	var ds []*record.RouteDecision
	for i := range 3 {
		d := &record.RouteDecision{Time: t0.Add(time.Duration(i) * time.Second), Task: "sum", Strategy: "cheapest", Chosen: fmt.Sprintf("m%d", i)}
		if err := s.PutRouteDecision(d); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	if ds[0].ID != "d1" || ds[2].ID != "d3" {
		t.Errorf("IDs = %s..%s, want d1..d3", ds[0].ID, ds[2].ID)
	}
	ok := true
	ds[1].Outcome, ds[1].OutcomeOK = "passed", &ok
	if err := s.PutRouteDecision(ds[1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.RouteDecisions(2)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]record.RouteDecision{*ds[2], *ds[1]}, got); d != "" {
		t.Errorf("RouteDecisions(2) (-want +got):\n%s", d)
	}
	if all, _ := s.RouteDecisions(0); len(all) != 3 {
		t.Errorf("RouteDecisions(0) = %d, want 3", len(all))
	}
	if err := s.PutRouteDecision(&record.RouteDecision{ID: "d99"}); err == nil {
		t.Error("PutRouteDecision(unknown ID) succeeded")
	}
}

func TestScanSamples(t *testing.T) {
	s := newTestStore(t)
	want := map[string]int{}
	for i, model := range []string{"tiny-s", "tiny-m", "tiny-s"} {
		r := testRun(model, "arith", t0.Add(time.Duration(i)*time.Minute))
		mustPut(t, s, r)
		for iter := 1; iter <= i+2; iter++ {
			mustAppend(t, s, testSample(r.ID, "a", iter))
		}
		want[model] += i + 2
	}
	got := map[string]int{}
	err := s.ScanSamples(Filter{}, func(r record.Run, smp record.Sample) error {
		if smp.RunID != r.ID {
			t.Errorf("sample of %s given with run %s", smp.RunID, r.ID)
		}
		got[r.Model]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("samples per model (-want +got):\n%s", d)
	}
	n := 0
	if err := s.ScanSamples(Filter{Model: "tiny-s"}, func(record.Run, record.Sample) error { n++; return nil }); err != nil || n != 6 {
		t.Errorf("ScanSamples(tiny-s) = %d, %v; want 6", n, err)
	}
	stop := errors.New("stop")
	if err := s.ScanSamples(Filter{}, func(record.Run, record.Sample) error { return stop }); err != stop {
		t.Errorf("ScanSamples error = %v, want the callback's", err)
	}
}

// fillStore puts runs of every shape, with samples, and returns their IDs.
func fillStore(t testing.TB, s *Store) {
	t.Helper()
	for i := range 4 {
		r := testRun([]string{"tiny-s", "tiny-m"}[i%2], "arith", t0.Add(time.Duration(i)*time.Hour), "t"+fmt.Sprint(i%3))
		r.Preamble, r.Notes, r.ComparisonID, r.Label = "Be brief.", "note", "c1", fmt.Sprint("v", i)
		r.Config = &record.RunConfig{Version: record.RunConfigVersion, Iterations: 3}
		mustPut(t, s, r)
		for _, task := range []string{"b", "a"} {
			for iter := 1; iter <= 3; iter++ {
				mustAppend(t, s, testSample(r.ID, task, iter))
			}
		}
		if i < 3 {
			sum := &record.Summary{Headline: record.Headline{Samples: 6, PassRate: 1}, Passed: 6, Tasks: []record.TaskSummary{{ID: "a"}, {ID: "b"}}}
			if err := s.FinishRun(r.ID, record.StatusCompleted, sum, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// dump is every run with its samples, newest first.
func dump(t testing.TB, s *Store) []Line {
	t.Helper()
	runs, err := s.ListRuns(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []Line
	for _, r := range runs {
		smps, err := s.Samples(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Line{r, smps})
	}
	return out
}

func TestExportImport(t *testing.T) {
	src := newTestStore(t)
	fillStore(t, src)
	var buf bytes.Buffer
	n, err := src.Export(&buf, Filter{})
	if err != nil || n != 4 {
		t.Fatalf("Export = %d, %v; want 4", n, err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != 4 {
		t.Errorf("export has %d lines, want 4", lines)
	}
	exported := buf.String()

	dst := newTestStore(t)
	n, err = dst.Import(strings.NewReader(exported))
	if err != nil || n != 4 {
		t.Fatalf("Import = %d, %v; want 4", n, err)
	}
	if d := cmp.Diff(dump(t, src), dump(t, dst)); d != "" {
		t.Errorf("imported store differs (-src +dst):\n%s", d)
	}

	// Importing again names the first duplicate and imports nothing.
	extra := testRun("tiny-x", "arith", t0)
	extra.ID = "r-extra"
	line, _ := jsonLine(Line{Run: *extra})
	_, err = dst.Import(strings.NewReader(line + "\n" + exported))
	if !errors.Is(err, ErrRunExists) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Import of duplicates error = %v, want ErrRunExists at line 2", err)
	}
	if _, err := dst.GetRun("r-extra"); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("a failed import left run r-extra behind (err %v)", err)
	}

	// A filtered export carries only the matching runs.
	buf.Reset()
	if n, err := src.Export(&buf, Filter{Model: "tiny-m"}); err != nil || n != 2 {
		t.Errorf("Export(tiny-m) = %d, %v; want 2", n, err)
	}
	if _, err := dst.Import(strings.NewReader("{not json\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("Import(garbage) error = %v, want one naming line 1", err)
	}
}

func TestCompact(t *testing.T) {
	s := newTestStore(t)
	fillStore(t, s)
	runs, _ := s.ListRuns(Filter{})
	if err := s.DeleteRun(runs[0].ID); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "compact.db")
	if err := s.Compact(dst); err != nil {
		t.Fatal(err)
	}
	c := openTest(t, dst, Options{})
	if d := cmp.Diff(dump(t, s), dump(t, c)); d != "" {
		t.Errorf("compacted store differs (-src +dst):\n%s", d)
	}
	if err := s.Compact(dst); !errors.Is(err, os.ErrExist) {
		t.Errorf("Compact onto an existing file: error = %v, want ErrExist", err)
	}
	// Sequences survive, so a new run does not reuse an old run's key.
	r := testRun("tiny-new", "arith", t0)
	mustPut(t, c, r)
	mustAppend(t, c, testSample(r.ID, "a", 1))
	if got := dump(t, c); len(got) != 4 || len(got[3].Samples) != 6 {
		t.Errorf("after a put into the compacted store: %d runs, want 4 with the oldest intact", len(got))
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	if _, err := Open(path, Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only Open of a missing file succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open created %s", path)
	}
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fillStore(t, w)
	w.Close()

	// Two readers at once.
	r1 := openTest(t, path, Options{ReadOnly: true})
	r2 := openTest(t, path, Options{ReadOnly: true})
	if runs, err := r2.ListRuns(Filter{}); err != nil || len(runs) != 4 {
		t.Errorf("ListRuns read-only = %d, %v; want 4", len(runs), err)
	}
	writes := map[string]error{
		"PutRun":           r1.PutRun(testRun("m", "s", t0)),
		"AppendSample":     r1.AppendSample(testSample("x", "a", 1)),
		"FinishRun":        r1.FinishRun("x", record.StatusCompleted, nil, ""),
		"DeleteRun":        r1.DeleteRun("x"),
		"SetBaseline":      r1.SetBaseline("x"),
		"PutSuite":         r1.PutSuite("h", "n", nil),
		"PutRouteDecision": r1.PutRouteDecision(&record.RouteDecision{}),
	}
	_, writes["Import"] = r1.Import(strings.NewReader(""))
	for op, err := range writes {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only store: error = %v, want ErrReadOnly", op, err)
		}
	}
}

func TestSchemaUnknown(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, fn func(*bolt.Tx) error) string {
		path := filepath.Join(dir, name)
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(fn); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return path
	}
	newer := write("newer.db", func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket(bucketMeta)
		return b.Put(keyVersion, binary.BigEndian.AppendUint64(nil, 99))
	})
	foreign := write("foreign.db", func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("other"))
		return err
	})
	for _, path := range []string{newer, foreign} {
		for _, ro := range []bool{false, true} {
			_, err := Open(path, Options{ReadOnly: ro})
			if !errors.Is(err, ErrSchemaUnknown) {
				t.Errorf("Open(%s, read-only %v) error = %v, want ErrSchemaUnknown", filepath.Base(path), ro, err)
			}
		}
	}
	if _, err := Open(newer, Options{}); err == nil || !strings.Contains(err.Error(), "v99") {
		t.Errorf("error = %v, want one naming v99", err)
	}
}

func TestOpenMarksDeadRunsInterrupted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	owners := map[string]struct {
		pid  int
		host string
		want record.Status
	}{
		"dead pid":   {deadPID(t), host, record.StatusInterrupted},
		"other host": {os.Getpid(), "elsewhere", record.StatusInterrupted},
		"no owner":   {0, "", record.StatusInterrupted},
		"alive":      {os.Getpid(), host, record.StatusRunning},
	}
	ids := map[string]string{}
	for name, o := range owners {
		r := testRun(name, "arith", t0)
		r.ID, r.Status, r.OwnerPID, r.OwnerHost = "r-"+strings.ReplaceAll(name, " ", "-"), record.StatusRunning, o.pid, o.host
		// Write it as the dead process would have, bypassing PutRun's owner.
		if err := s.db.Update(func(tx *bolt.Tx) error { return putRunTx(tx, r) }); err != nil {
			t.Fatal(err)
		}
		smp := testSample(r.ID, "a", 1)
		mustAppend(t, s, smp)
		ids[name] = r.ID
	}
	s.Close()

	s = openTest(t, path, Options{})
	for name, o := range owners {
		r, err := s.GetRun(ids[name])
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != o.want {
			t.Errorf("%s: status %q, want %q", name, r.Status, o.want)
		}
		if o.want == record.StatusInterrupted {
			if wantEnd := t0.Add(time.Second + 120500*time.Microsecond); !r.EndedAt.Equal(wantEnd) {
				t.Errorf("%s: EndedAt %v, want the end of its last sample %v", name, r.EndedAt, wantEnd)
			}
			if !strings.Contains(r.Error, "interrupted") {
				t.Errorf("%s: Error %q does not say it was interrupted", name, r.Error)
			}
		}
	}
	if runs, _ := s.ListRuns(Filter{Status: record.StatusInterrupted}); len(runs) != 3 {
		t.Errorf("%d runs indexed as interrupted, want 3", len(runs))
	}
}

func jsonLine(l Line) (string, error) {
	b, err := json.Marshal(l)
	return string(b), err
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skipf("cannot start /bin/true: %v", err)
	}
	pid := p.Pid
	p.Wait()
	return pid
}

// TestListRunsManyRuns covers the chunked, parallel decoding of long lists.
func TestListRunsManyRuns(t *testing.T) {
	s := newTestStore(t)
	const n = 300
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			r := testRun([]string{"tiny-s", "tiny-m"}[i%2], "arith", t0.Add(time.Duration(i)*time.Minute))
			r.ID, r.Status = fmt.Sprintf("r%04d", i), record.StatusCompleted
			if err := putRunTx(tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(f Filter) []string {
		runs, err := s.ListRuns(f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	want := func(from, step, count int) []string {
		var out []string
		for i := from; len(out) < count && i >= 0; i -= step {
			out = append(out, fmt.Sprintf("r%04d", i))
		}
		return out
	}
	tests := []struct {
		f    Filter
		want []string
	}{
		{Filter{}, want(n-1, 1, n)},
		{Filter{Model: "tiny-m"}, want(n-1, 2, n/2)},
		{Filter{Limit: 130, Offset: 5}, want(n-6, 1, 130)},
		{Filter{Suite: "arith", Model: "tiny-s", Offset: 100, Limit: 40}, want(n-2-200, 2, 40)},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, ids(tt.f)); d != "" {
			t.Errorf("ListRuns(%+v) (-want +got):\n%s", tt.f, d)
		}
	}
}
