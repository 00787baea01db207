package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/memory"
)

// zeroRun zeroes every copy of run id's stored record in the store file at
// db, as a disk that lost a sector would, and returns nothing: the run's
// page stays whole, its record cannot be decoded.
func zeroRun(t *testing.T, db, id string) {
	t.Helper()
	s, err := memory.Open(db, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.GetRun(id)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := json.Marshal(r)
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := bytes.Index(data, v); i >= 0; i = bytes.Index(data, v) {
		copy(data[i:], make([]byte, len(v)))
		n++
	}
	if n == 0 {
		t.Fatalf("run %s's record is not in %s", id, db)
	}
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRunsCheckSalvage: with one run record zeroed, `runs list` lists the
// others and warns on stderr, naming the run and `runs check`; `runs
// check` exits 1 naming it (text and JSON); `runs salvage OUT` copies the
// others into a store that `runs check` passes and `runs list` lists. A
// store cut short fails `runs list` with an error saying so, not a crash.
func TestRunsCheckSalvage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")
	ids := seedStore(t, db)
	bad := ids[1] // completed, so its stored record is what GetRun gives
	zeroRun(t, db, bad)

	code, out, errs := runRuns(t, "list", "--db", db)
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 2 || strings.Contains(out, bad) ||
		!strings.Contains(errs, "warning: skipped run "+bad) || !strings.Contains(errs, "runs check") {
		t.Errorf("runs list with run %s zeroed: exit %d\n%s\nstderr: %s\nwant the other two listed and a warning naming it", bad, code, out, errs)
	}

	code, out, errs = runRuns(t, "check", "--db", db)
	if code != 1 || !strings.Contains(out, "run "+bad) || !strings.Contains(out, "cannot be decoded") || !strings.Contains(out, "runs salvage") {
		t.Errorf("runs check: exit %d\n%s%s\nwant exit 1 naming run %s and salvage", code, out, errs, bad)
	}
	code, out, _ = runRuns(t, "check", "--json", "--db", db)
	var rep memory.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 1 || err != nil || rep.Runs != 2 || len(rep.Problems) != 1 {
		t.Errorf("runs check --json: exit %d, %v, %+v; want exit 1, 2 runs read and one problem", code, err, rep)
	}

	salvaged := filepath.Join(dir, "salvaged.db")
	code, out, errs = runRuns(t, "salvage", salvaged, "--db", db)
	if code != 0 || !strings.Contains(out, "salvaged 2 runs, 4 samples") || !strings.Contains(out, bad) {
		t.Errorf("runs salvage: exit %d\n%s%s\nwant 2 runs and 4 samples salvaged and %s named as skipped", code, out, errs, bad)
	}
	if code, out, errs = runRuns(t, "check", "--db", salvaged); code != 0 || !strings.Contains(out, "no problems found") {
		t.Errorf("runs check of the salvaged store: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runRuns(t, "list", "--json", "--db", salvaged)
	var got []listedRun
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[2] || errs != "" {
		t.Errorf("runs list of the salvaged store: exit %d, %v, %+v, stderr %q", code, err, got, errs)
	}
	if code, _, errs = runRuns(t, "salvage", salvaged, "--db", db); code != 1 || !strings.Contains(errs, "file already exists") {
		t.Errorf("runs salvage onto an existing file: exit %d, %s", code, errs)
	}

	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(db, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	if code, _, errs = runRuns(t, "list", "--db", db); code != 1 || !strings.Contains(errs, "cut short") || !strings.Contains(errs, "runs salvage") {
		t.Errorf("runs list of a store cut short: exit %d, %s; want an error saying so and naming salvage", code, errs)
	}
}
