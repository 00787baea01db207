package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/tools"
)

// TestRouteEvalCommand: `benchmcp route eval` refuses without stored runs
// (saying what to run), runs them with --online, then evaluates offline
// with costs and writes the HTML report.
func TestRouteEvalCommand(t *testing.T) {
	srv := ollamatest.Get(t)
	t.Setenv("BENCHMCP_HOSTS", "local="+srv.URL.String())
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")
	suite := filepath.Join(dir, "mini.yaml")
	if err := os.WriteFile(suite, []byte(`
name: mini
tasks:
  - {id: sort-1, category: sort, prompt: "Sort the letters dcab.", checks: [{type: exact, value: abcd}]}
  - {id: sort-2, category: sort, prompt: "Sort the letters fed.", checks: [{type: exact, value: def}]}
  - {id: sort-3, category: sort, prompt: "Sort the letters zyx.", checks: [{type: exact, value: xyz}]}
  - {id: sort-4, category: sort, prompt: "Sort the letters cba.", checks: [{type: exact, value: abc}]}
  - {id: add-1, category: add, prompt: "What is 47+385?", checks: [{type: exact, value: "432"}]}
  - {id: add-2, category: add, prompt: "What is 62+19?", checks: [{type: exact, value: "81"}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append([]string{"route", "eval"}, append(args, "--db", db)...), &out, &errb)
		return code, out.String(), errb.String()
	}
	base := []string{"--candidate", "tiny-s", "--candidate", "tiny-m", "--suite", suite, "--iterations", "2"}
	code, _, errs := run(base...)
	if code != 1 || !strings.Contains(errs, `tiny-s: run_benchmark {"host":"local","iterations":2,"model":"tiny-s"`) || !strings.Contains(errs, "online: true") {
		t.Fatalf("without runs: exit %d\n%s", code, errs)
	}
	code, out, errs := run(append(base, "--online", "--json")...)
	var online tools.EvaluateRoutingResult
	if err := json.Unmarshal([]byte(out), &online); err != nil || code != 0 {
		t.Fatalf("--online: exit %d, %v\n%s\n%s", code, err, out, errs)
	}
	if online.Mode != "online" || online.Status != record.StatusCompleted || online.Tasks != 6 || len(online.Runs) != 2 {
		t.Fatalf("--online: %+v", online)
	}
	html := filepath.Join(dir, "routing.html")
	code, out, errs = run(append(base, "--cost", "tiny-m=2/1k", "--cost", "tiny-s=0.001/s", "--html", html)...)
	if code != 0 || !strings.Contains(out, "(offline)") || !strings.Contains(out, "by cost") {
		t.Fatalf("offline with costs: exit %d\n%s\n%s", code, out, errs)
	}
	if page, err := os.ReadFile(html); err != nil || !strings.Contains(string(page), "<svg") {
		t.Errorf("HTML report: %v", err)
	}
	// A judge grades the cheaper candidate's stored answers (the suite has
	// no llm_judge checks): the cascade gets thresholds, and its latency the
	// judging time.
	code, out, errs = run(append(base, "--judge", "tiny-judge", "--json")...)
	var judged tools.EvaluateRoutingResult
	if err := json.Unmarshal([]byte(out), &judged); err != nil || code != 0 {
		t.Fatalf("--judge: exit %d, %v\n%s\n%s", code, err, out, errs)
	}
	cascades := 0
	for _, p := range judged.Policies {
		if p.Policy == "cascade" {
			cascades++
		}
	}
	if cascades == 0 || strings.Contains(strings.Join(judged.Notes, " "), "no judge verdict") {
		t.Errorf("--judge: %d cascade policies, notes %q", cascades, judged.Notes)
	}
	if !strings.Contains(strings.Join(online.Notes, " "), "no judge verdict") {
		t.Errorf("without a judge the notes should say the answers are unjudged: %q", online.Notes)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--candidate", "tiny-s"}, "at least two --candidate"},
		{append(base, "--cost", "tiny-m=2"), "give NAME=X/1k"},
		{append(base, "--cost", "tiny-l=2/1k"), `costs has "tiny-l", which is not a candidate`},
		{append(base, "--within", "2"), "within 2 is outside 0-1"},
	} {
		if code, _, errs := run(bad.args...); code == 0 || !strings.Contains(errs, bad.want) {
			t.Errorf("%v: exit %d, stderr %q; want it to mention %q", bad.args, code, errs, bad.want)
		}
	}
}
