package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/tools"
)

func TestAnalyzeCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")
	ids := seedStore(t, db) // newest first; the newest is still running

	var out, errb bytes.Buffer
	html := filepath.Join(dir, "report", "a.html")
	if code := dispatch(context.Background(), []string{"analyze", "--db", db, "--suite", "arith", "--json", "--html", html}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res tools.AnalyzeResultsResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 || res.Runs[0].ID != ids[1] || res.Runs[1].ID != ids[2] || res.ReportPath != html {
		t.Errorf("result %+v", res)
	}
	if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), `<table id="runs">`) {
		t.Errorf("report: %v", err)
	}

	// A mistyped --db is an error, not a new empty store.
	out.Reset()
	errb.Reset()
	typo := filepath.Join(dir, "bench-typo.db")
	if code := dispatch(context.Background(), []string{"analyze", "--db", typo}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "no store at "+typo) {
		t.Errorf("mistyped --db: exit %d, %q", code, errb.String())
	}
	if _, err := os.Stat(typo); err == nil {
		t.Error("analyze created a store at the mistyped path")
	}

	out.Reset()
	errb.Reset()
	if code := dispatch(context.Background(), []string{"analyze", "--db", db, "--since", "yesterday"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "RFC3339") {
		t.Errorf("bad --since: exit %d, %q", code, errb.String())
	}
}
