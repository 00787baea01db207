package report

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to write it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-golden +got); if the change is meant, go test ./internal/report -run %s -update:\n%s", name, t.Name(), d)
	}
}

// sideBySide is two models on three tasks, two iterations: a win, a tie
// and a task whose answer holds its own code fence.
func sideBySide(t *testing.T) SideBySide {
	t.Helper()
	smp := func(task, cat string, it int, pass bool, ms float64, tokens int, out, why string) record.Sample {
		s := record.Sample{TaskID: task, Category: cat, Iteration: it, Pass: pass,
			Measurement: record.Measurement{WallMs: ms, Output: out, EvalTokens: tokens}}
		if pass {
			s.Score = 1
		} else {
			s.Checks = []record.CheckResult{{Type: "exact", Reason: why}}
		}
		return s
	}
	code := "```python\ndef add(a, b):\n    return a + b\n```"
	small := compare.Variant{Label: "tiny-s", Run: record.Run{ID: "r1", Model: "tiny-s"}, Samples: []record.Sample{
		smp("add-03", "add", 1, false, 28, 4, "417", `got "417", want "432"`),
		smp("add-03", "add", 2, false, 27, 4, "417", `got "417", want "432"`),
		smp("sort-01", "sort", 1, true, 25, 5, "abcd", ""),
		smp("sort-01", "sort", 2, true, 26, 5, "abcd", ""),
		smp("code-01", "code", 1, true, 60, 20, code, ""),
		smp("code-01", "code", 2, false, 61, 22, "def add(a, b): return a - b", "tests failed: add(1, 2) = -1, want 3"),
	}}
	big := compare.Variant{Label: "tiny-m", Run: record.Run{ID: "r2", Model: "tiny-m"}, Samples: []record.Sample{
		smp("add-03", "add", 1, true, 40, 4, "432", ""),
		smp("add-03", "add", 2, true, 41, 4, "432", ""),
		smp("sort-01", "sort", 1, true, 38, 5, "abcd", ""),
		smp("sort-01", "sort", 2, true, 39, 5, "abcd", ""),
		smp("code-01", "code", 1, true, 90, 20, code, ""),
		smp("code-01", "code", 2, true, 92, 20, code, ""),
	}}
	res, err := compare.Compare([]compare.Variant{small, big}, "tiny-s")
	if err != nil {
		t.Fatal(err)
	}
	return SideBySide{Title: "tiny-s vs tiny-m on tiny", Result: res, Variants: []compare.Variant{small, big}, Prompts: map[string]string{
		"add-03": "What is 47+385?", "sort-01": "Sort the letters dcab.",
		"code-01": "Write a Python function add(a, b) that returns the sum of a and b.",
	}}
}

func TestSideBySideMarkdownGolden(t *testing.T) {
	md := SideBySideMarkdown(sideBySide(t))
	golden(t, "sidebyside.md", md)
	// The answer's own code block survives inside a longer fence.
	if !strings.Contains(md, "````\n```python\ndef add(a, b):\n    return a + b\n```\n````") {
		t.Errorf("the answer's code block is not kept whole:\n%s", md)
	}
	if !strings.HasPrefix(md, artifact.MarkdownHeader) {
		t.Error("no report marker on the first line")
	}
}

func TestSideBySideHTML(t *testing.T) {
	page := SideBySideHTML(sideBySide(t))
	for _, want := range []string{artifact.HTMLMeta, "<h2>add-03 (add)</h2>", "<strong>Winner: tiny-m</strong>: higher pass rate: tiny-s 0/2, tiny-m 2/2.",
		"<pre>```python\ndef add(a, b):", `got &#34;417&#34;, want &#34;432&#34;`} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), "http") {
		t.Error("the page has a script or a link")
	}
	// The three charts, after the summary and before the first task.
	charts := page[strings.Index(page, `<table id="summary">`):strings.Index(page, `<section class="task"`)]
	if n := strings.Count(charts, "<svg"); n != 3 {
		t.Errorf("%d charts between the summary and the tasks, want 3", n)
	}
	for _, want := range []string{"Pareto frontier: tiny-s, tiny-m.", "tiny-s: 6 calls", "tiny-s: add 0%", "tiny-m: add 100%"} {
		if !strings.Contains(charts, want) {
			t.Errorf("the charts lack %q", want)
		}
	}
}
