package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
)

// TestRunBackgroundThenJobs: `run --background` queues a job without
// running it; `jobs list` shows it queued; `jobs wait` runs it here and
// prints its result; `jobs show` and `jobs cancel` then see it completed.
func TestRunBackgroundThenJobs(t *testing.T) {
	srv := ollamatest.Get(t)
	t.Setenv("BENCHMCP_HOSTS", "local="+srv.URL.String())
	db := filepath.Join(t.TempDir(), "bench.db")
	run := func(cmd string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append(append([]string{cmd}, args...), "--db", db), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := run("run", "--model", "tiny-m", "--suite", "tiny", "--iterations", "2", "--seed", "3", "--background")
	if code != 0 {
		t.Fatalf("run --background: exit %d: %s", code, errs)
	}
	id := regexp.MustCompile(`job (j[0-9-]+) queued`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("run --background printed %q", out)
	}
	code, out, _ = run("jobs", "list", "--json")
	var list struct {
		Jobs []struct{ JobID, Status string }
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 || len(list.Jobs) != 1 || list.Jobs[0].Status != "queued" {
		t.Fatalf("jobs list: exit %d, %s (%v)", code, out, err)
	}
	code, out, errs = run("jobs", "wait", id[1])
	if code != 0 || !strings.Contains(out, "tiny-m on tiny: completed") {
		t.Fatalf("jobs wait: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	code, out, _ = run("jobs", "show", id[1], "--json")
	var j record.Job
	if err := json.Unmarshal([]byte(out), &j); err != nil || code != 0 || j.Status != record.JobCompleted || j.Done != 72 || len(j.RunIDs) != 1 {
		t.Errorf("jobs show: exit %d, %+v (%v)", code, j, err)
	}
	if code, _, errs = run("jobs", "cancel", id[1]); code == 0 || !strings.Contains(errs, "already completed") {
		t.Errorf("jobs cancel of a finished job: exit %d, %q", code, errs)
	}
	if code, _, errs = run("jobs", "show", "j-nope"); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("jobs show of an unknown job: exit %d, %q", code, errs)
	}
	// A bad run is refused before anything is queued.
	if code, _, errs = run("run", "--model", "tiny-x", "--background"); code == 0 || !strings.Contains(errs, "ollama pull tiny-x") {
		t.Errorf("run --background of a missing model: exit %d, %q", code, errs)
	}
}
