package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/exchange"
	"github.com/benchmcp/benchmcp/memory"
)

// These tests need no Ollama: they read fixtures and a store file.

func importFixture(name string) string { return filepath.Join("..", "..", "testdata", "imports", name) }

// storedRuns counts the runs in the store at db (0 when there is no file).
func storedRuns(t *testing.T, db string) int {
	t.Helper()
	if _, err := os.Stat(db); os.IsNotExist(err) {
		return 0
	}
	s, err := memory.Open(db, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.ListRuns(memory.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s does not read back as CSV: %v", path, err)
	}
	return rows
}

func TestRunsExportCSV(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")
	ids := seedStore(t, db) // 3 runs of 3, 2 and 1 samples, newest first

	out := filepath.Join(dir, "all") + string(filepath.Separator)
	code, _, errs := runRuns(t, "export", "--format", "csv", "--out", out, "--db", db)
	if code != 0 || !strings.Contains(errs, "exported 3 runs (6 samples)") {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	samples, summaries := readCSV(t, filepath.Join(out, "samples.csv")), readCSV(t, filepath.Join(out, "summaries.csv"))
	if len(samples) != 1+6 || strings.Join(samples[0], ",") != strings.Join(exchange.SampleColumns, ",") {
		t.Errorf("samples.csv: %d rows, header %v; want 7 and SampleColumns", len(samples), samples[0])
	}
	if len(summaries) != 1+3 || summaries[1][0] != ids[0] || summaries[3][0] != ids[2] {
		t.Errorf("summaries.csv: %v; want a header and the 3 runs newest first", summaries)
	}
	if got := samples[1][len(samples[1])-1]; got != "432" {
		t.Errorf("output column = %q, want 432", got)
	}

	prefix := filepath.Join(dir, "tiny-s-")
	code, _, errs = runRuns(t, "export", "--format", "csv", "--model", "tiny-s", "--out", prefix, "--db", db)
	if code != 0 || !strings.Contains(errs, "exported 2 runs (4 samples)") {
		t.Fatalf("export --model tiny-s: exit %d: %s", code, errs)
	}
	if n := len(readCSV(t, prefix+"samples.csv")); n != 1+4 {
		t.Errorf("tiny-s-samples.csv has %d rows, want 5", n)
	}
	if n := len(readCSV(t, prefix+"summaries.csv")); n != 1+2 {
		t.Errorf("tiny-s-summaries.csv has %d rows, want 3", n)
	}

	code, jsonl, _ := runRuns(t, "export", "--format", "jsonl", "--db", db)
	if _, plain, _ := runRuns(t, "export", "--db", db); code != 0 || jsonl != plain || strings.Count(jsonl, "\n") != 3 {
		t.Errorf("--format jsonl differs from the default export (exit %d)", code)
	}
	for _, args := range [][]string{{"--format", "csv"}, {"--format", "csv", "--out", "-"}, {"--format", "xml", "--out", dir}} {
		if code, _, errs := runRuns(t, append(append([]string{"export"}, args...), "--db", db)...); code != 2 || errs == "" {
			t.Errorf("export %v: exit %d, %q; want 2 and a message", args, code, errs)
		}
	}
}

func TestRunsImportFormats(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")

	code, out, errs := runRuns(t, "import", importFixture("llama-bench.json"), "--db", db)
	if code != 0 || !strings.Contains(errs, "detected format llama-bench") || !strings.Contains(out, "imported 3 runs") {
		t.Fatalf("llama-bench import: exit %d: %s%s", code, out, errs)
	}
	code, listed, _ := runRuns(t, "list", "--tag", "import:llama-bench", "--db", db)
	if code != 0 || strings.Count(listed, "\n") != 4 || strings.Contains(listed, "0.0%") {
		t.Errorf("list of the llama-bench runs: exit %d\n%s\nwant 3 runs and no pass rate", code, listed)
	}
	code, out, errs = runRuns(t, "import", importFixture("llama-bench.json"), "--db", db)
	if code != 1 || !strings.Contains(errs, "already exists") || !strings.Contains(errs, "imported before") || storedRuns(t, db) != 3 {
		t.Errorf("second llama-bench import: exit %d, %s%s; want a refusal and still 3 runs", code, out, errs)
	}

	code, out, errs = runRuns(t, "import", importFixture("promptfoo.json"), "--format", "promptfoo", "--db", db)
	if code != 0 || strings.Contains(errs, "detected") || !strings.Contains(out, "imported 2 runs") ||
		!strings.Contains(errs, "warning: promptfoo provider ollama:chat:llama3.2:1b: 1 of 3 responses came from promptfoo's cache") {
		t.Fatalf("promptfoo import: exit %d: %s%s", code, out, errs)
	}
	if n := storedRuns(t, db); n != 5 {
		t.Errorf("%d runs stored, want 5", n)
	}

	// Other tools' runs export like any: a CSV row per promptfoo result.
	code, _, errs = runRuns(t, "export", "--format", "csv", "--suite", "promptfoo", "--out", filepath.Join(dir, "pf-"), "--db", db)
	if rows := readCSV(t, filepath.Join(dir, "pf-samples.csv")); code != 0 || len(rows) != 1+6 {
		t.Errorf("CSV export of the promptfoo runs: exit %d, %d rows, %s", code, len(rows), errs)
	}

	code, out, errs = runRuns(t, "import", importFixture("bad-benchmcp-ttft.jsonl"), "--format", "promptfoo", "--db", filepath.Join(dir, "x.db"))
	if code != 1 || !strings.Contains(errs, "looks like benchmcp") {
		t.Errorf("benchmcp lines read as promptfoo: exit %d, %s%s; want a hint at the format", code, out, errs)
	}
}

func TestRunsImportRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		file string
		args []string
		code int
		want []string
	}{
		{"unknown-lm-eval.json", nil, 1, []string{"benchmcp, llama-bench or promptfoo", "nothing was stored"}},
		{"promptfoo.json", []string{"--format", "csv"}, 2, []string{`unknown format "csv"`, "benchmcp, llama-bench or promptfoo", "nothing was stored"}},
		{"bad-llama-bench-zero-duration.json", nil, 1, []string{"nothing was stored", "llama-bench test 2 (tg128", "repetition 3", "impossible data"}},
		{"bad-llama-bench-nan.json", nil, 1, []string{"nothing was stored", "line 35", "NaN"}},
		{"bad-promptfoo-negative-tokens.json", nil, 1, []string{"nothing was stored", "promptfoo result 5", "negative token count"}},
		{"bad-benchmcp-ttft.jsonl", nil, 1, []string{"nothing was stored", "line 2", "r20260302-101600-0001", "ttft_ms 912.5 > wall_ms 63.9"}},
		{"bad-benchmcp-pass-rate.jsonl", []string{"--format", "benchmcp"}, 1, []string{"nothing was stored", "line 2", "pass_rate 1.5 is outside 0-1"}},
	} {
		db := filepath.Join(dir, tc.file+".db")
		args := append(append([]string{"import", importFixture(tc.file)}, tc.args...), "--db", db)
		code, out, errs := runRuns(t, args...)
		if code != tc.code || strings.Contains(out, "imported") {
			t.Errorf("import %s %v: exit %d, %s%s; want %d", tc.file, tc.args, code, out, errs, tc.code)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("import %s: stderr %q lacks %q", tc.file, errs, w)
			}
		}
		// The bad benchmcp files begin with a good run: it is not stored either.
		if n := storedRuns(t, db); n != 0 {
			t.Errorf("import %s stored %d runs, want none", tc.file, n)
		}
	}
}
