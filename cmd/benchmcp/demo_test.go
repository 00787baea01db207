package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/ollamaproc"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

func TestDemo(t *testing.T) {
	srv := ollamatest.Get(t)
	t.Setenv("BENCHMCP_HOSTS", "local="+srv.URL.String())
	t.Setenv("BENCHMCP_DB", "")
	db := filepath.Join(t.TempDir(), "bench.db")

	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"demo", "--db", db}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s\nstdout:\n%s", code, errb.String(), out.String())
	}
	if !strings.Contains(errb.String(), "using Ollama") || strings.Contains(errb.String(), "starting a private one") {
		t.Errorf("the demo should use the Ollama that answers at BENCHMCP_HOSTS; stderr:\n%s", errb.String())
	}

	// The table: a header, then one row per fixture model, answer in column 2.
	answers := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Fields(line)
		if len(f) >= 11 && strings.HasPrefix(f[0], "tiny-") {
			answers[f[0]] = f[1]
		}
	}
	for _, m := range ollamaproc.FixtureModels {
		if _, ok := answers[m]; !ok {
			t.Errorf("table has no row for %s:\n%s", m, out.String())
		}
	}
	if answers["tiny-m"] != "432" {
		t.Errorf("tiny-m answered %q to 47+385, want 432:\n%s", answers["tiny-m"], out.String())
	}

	// The tiny suite ran on tiny-s and tiny-m, into the store named by --db.
	for _, m := range demoSuiteModels {
		if !strings.Contains(out.String(), "## "+m+" on tiny: completed") {
			t.Errorf("no completed tiny run of %s in the output:\n%s", m, out.String())
		}
	}
	s, err := memory.Open(db, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.ListRuns(memory.Filter{Status: record.StatusCompleted})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.Model)
	}
	if len(got) != 2 {
		t.Errorf("completed runs in %s: %v, want one each of %v", db, got, demoSuiteModels)
	}
}

func TestDemoOutsideRepo(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := fixtureDir()
	if err == nil || !strings.Contains(err.Error(), "run it from inside a checkout") {
		t.Fatalf("fixtureDir outside the source tree: %v, want an error saying to run it from a checkout", err)
	}
}
