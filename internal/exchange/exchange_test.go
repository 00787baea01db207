package exchange

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/record"
)

var importNow = time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "imports", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Format
	}{
		{"llama-bench.json", LlamaBench},
		{"llama-bench.jsonl", LlamaBench},
		{"bad-llama-bench-nan.json", LlamaBench},
		{"promptfoo.json", Promptfoo},
		{"bad-benchmcp-ttft.jsonl", Benchmcp},
		{"unknown-lm-eval.json", ""},
	} {
		got, err := Detect(fixture(t, tc.file))
		if tc.want == "" {
			if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "benchmcp, llama-bench or promptfoo") {
				t.Errorf("Detect(%s) = %q, %v; want ErrUnknownFormat naming the formats", tc.file, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Detect(%s) = %q, %v; want %q", tc.file, got, err, tc.want)
		}
	}
	// The first megabyte decides even when a record goes on past it.
	head := fixture(t, "promptfoo.json")[:300]
	if got, err := Detect(head); err != nil || got != Promptfoo {
		t.Errorf("Detect(first 300 bytes of promptfoo.json) = %q, %v", got, err)
	}
	for _, in := range []string{"id,model\n1,x\n", "<xml/>", "42", `["a"]`} {
		if got, err := Detect([]byte(in)); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Detect(%q) = %q, %v; want ErrUnknownFormat", in, got, err)
		}
	}
	if got, err := Detect([]byte("  \n")); err != nil || got != Benchmcp {
		t.Errorf("Detect(blank) = %q, %v; want benchmcp (no runs)", got, err)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	_, err := ParseFormat("csv")
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "benchmcp, llama-bench or promptfoo") {
		t.Errorf("ParseFormat(csv) error = %v; want ErrUnknownFormat naming the formats", err)
	}
}

func TestParseLlamaBench(t *testing.T) {
	imp, err := Parse(LlamaBench, fixture(t, "llama-bench.json"), importNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Warnings) != 0 {
		t.Errorf("warnings on a clean file: %q", imp.Warnings)
	}
	if len(imp.Runs) != 3 {
		t.Fatalf("%d runs, want one per test (3)", len(imp.Runs))
	}
	pp, tg, pg := imp.Runs[0], imp.Runs[1], imp.Runs[2]
	r := pp.Run
	if r.Model != "qwen2.5-0.5b-instruct-q4_k_m.gguf" || r.Suite != "llama-bench" || r.Status != record.StatusCompleted ||
		r.Iterations != 5 || !strings.HasPrefix(r.Notes, ThroughputOnly) ||
		!cmp.Equal(r.Tags, []string{"import:llama-bench", ThroughputOnlyTag}) {
		t.Errorf("run = %+v", r)
	}
	if r.ModelInfo.ParameterSize != "494.0M" || r.ModelInfo.Quantization != "Q4_K - Medium" || r.ModelInfo.SizeBytes != 462422016 {
		t.Errorf("model info = %+v", r.ModelInfo)
	}
	if r.Options["n_threads"] != float64(2) || r.Options["type_k"] != "f16" || r.Options["avg_ns"] != nil {
		t.Errorf("options = %v; want the test's configuration only", r.Options)
	}
	if want := time.Date(2026, 3, 2, 9, 14, 5, 0, time.UTC); !r.StartedAt.Equal(want) || !strings.HasPrefix(r.ID, "i20260302-091405-") {
		t.Errorf("started %v, id %s; want the test_time", r.StartedAt, r.ID)
	}
	if len(pp.Samples) != 5 {
		t.Fatalf("%d samples, want one per repetition (5)", len(pp.Samples))
	}
	s := pp.Samples[0]
	if s.TaskID != "pp512" || s.Category != "pp" || s.Iteration != 1 || s.Pass || s.PromptTokens != 512 || s.EvalTokens != 0 ||
		s.WallMs != 3301.204512 || math.Abs(s.PromptTPS-155.095) > 0.001 || s.GenTPS != 0 ||
		len(s.Checks) != 1 || !s.Checks[0].Skipped {
		t.Errorf("pp sample = %+v", s)
	}
	if d := pp.Samples[1].StartedAt.Sub(s.StartedAt); d != 3301204512*time.Nanosecond {
		t.Errorf("second repetition starts %v after the first, want the first's duration", d)
	}
	if sm := pp.Run.Summary; sm == nil || sm.Samples != 5 || sm.Power != nil || sm.PassK != nil ||
		math.Abs(sm.PromptTPS-155.61) > 0.01 || math.Abs(sm.LatencyP50Ms-3290.455871) > 1e-6 {
		t.Errorf("pp summary = %+v", pp.Run.Summary)
	}
	if s := tg.Samples[0]; s.TaskID != "tg128" || s.EvalTokens != 128 || math.Abs(s.GenTPS-29.0098) > 0.001 || s.PromptTPS != 0 {
		t.Errorf("tg sample = %+v", s)
	}
	if s := pg.Samples[0]; s.TaskID != "pp512+tg128" || s.PromptTokens != 512 || s.EvalTokens != 128 || s.GenTPS != 0 || s.PromptTPS != 0 {
		t.Errorf("pg sample = %+v; a pg rate is neither a prompt nor a generation rate", s)
	}
	again, _ := Parse(LlamaBench, fixture(t, "llama-bench.json"), importNow.Add(time.Hour))
	ids := map[string]bool{}
	for i, r := range imp.Runs {
		ids[r.Run.ID] = true
		if again.Runs[i].Run.ID != r.Run.ID {
			t.Errorf("run %d: ID %s then %s; the same file must give the same IDs", i, r.Run.ID, again.Runs[i].Run.ID)
		}
	}
	if len(ids) != 3 {
		t.Errorf("IDs %v are not distinct", ids)
	}

	lines, err := Parse(LlamaBench, fixture(t, "llama-bench.jsonl"), importNow)
	if err != nil || len(lines.Runs) != 2 || lines.Runs[1].Samples[4].EvalTokens != 128 {
		t.Errorf("llama-bench -o jsonl: %d runs, %v", len(lines.Runs), err)
	}
}

func TestParsePromptfoo(t *testing.T) {
	imp, err := Parse(Promptfoo, fixture(t, "promptfoo.json"), importNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Runs) != 2 {
		t.Fatalf("%d runs, want one per provider (2)", len(imp.Runs))
	}
	if len(imp.Warnings) != 1 || !strings.Contains(imp.Warnings[0], "llama3.2:1b: 1 of 3 responses came from promptfoo's cache") {
		t.Errorf("warnings = %q; want one about the cached response", imp.Warnings)
	}
	q, l := imp.Runs[0], imp.Runs[1]
	if q.Run.Model != "qwen2.5:0.5b" || l.Run.Model != "llama3.2:1b" || q.Run.Suite != "promptfoo" ||
		q.Run.SuiteHash == "" || q.Run.SuiteHash != l.Run.SuiteHash ||
		!cmp.Equal(q.Run.Tags, []string{"import:promptfoo", "promptfoo-eval:eval-Xq3-2026-03-02T10:02:11"}) {
		t.Errorf("runs: %+v\n%+v", q.Run, l.Run)
	}
	var tasks []string
	for _, s := range q.Samples {
		tasks = append(tasks, s.TaskID)
	}
	if d := cmp.Diff([]string{"capital of France", "sum", "json object"}, tasks); d != "" {
		t.Errorf("task IDs (-want +got):\n%s", d)
	}
	js := q.Samples[2]
	if js.Pass || js.Score != 0 || js.Output != "```json\n{\"ok\": true}\n```" || js.WallMs != 903 || js.PromptTokens != 41 || js.EvalTokens != 9 ||
		len(js.Checks) != 2 || js.Checks[0].Type != "is-json" || js.Checks[1].Type != "javascript" || js.Checks[1].Pass {
		t.Errorf("json object sample = %+v", js)
	}
	if sm := q.Run.Summary; sm == nil || sm.Samples != 3 || sm.Passed != 2 || math.Abs(sm.PassRate-2.0/3) > 1e-9 || sm.LatencyP50Ms != 412 {
		t.Errorf("qwen summary = %+v", q.Run.Summary)
	}
	if want := time.Date(2026, 3, 2, 10, 2, 11, 482e6, time.UTC); !q.Run.StartedAt.Equal(want) || !q.Run.EndedAt.Equal(want.Add(2874*time.Millisecond)) {
		t.Errorf("run from %v to %v; want the eval's timestamp and duration", q.Run.StartedAt, q.Run.EndedAt)
	}
	if c := l.Samples[2]; c.WallMs != 0 || c.EvalTokens != 8 || !c.Pass {
		t.Errorf("cached sample = %+v; its data as given", c)
	}
}

func TestParseRefusals(t *testing.T) {
	for _, tc := range []struct {
		file   string
		format Format
		want   []string
	}{
		{"bad-llama-bench-zero-duration.json", LlamaBench, []string{"llama-bench test 2 (tg128 of qwen2.5-0.5b-instruct-q4_k_m.gguf)", "repetition 3", "0 ns for 128 tokens"}},
		{"bad-llama-bench-nan.json", LlamaBench, []string{"line 35", "NaN"}},
		{"bad-promptfoo-negative-tokens.json", Promptfoo, []string{"promptfoo result 5 (provider ollama:chat:qwen2.5:0.5b, test 2)", "negative token count"}},
	} {
		imp, err := Parse(tc.format, fixture(t, tc.file), importNow)
		if !errors.Is(err, ErrImpossible) || len(imp.Runs) != 0 {
			t.Errorf("%s: %d runs, error %v; want ErrImpossible and no runs", tc.file, len(imp.Runs), err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.file, err, w)
			}
		}
	}
	if _, err := Parse(Promptfoo, fixture(t, "llama-bench.json"), importNow); err == nil {
		t.Error("llama-bench.json read as promptfoo: no error")
	}
	if _, err := Parse(LlamaBench, []byte("[]"), importNow); err == nil || !strings.Contains(err.Error(), "no tests") {
		t.Errorf("an empty llama-bench array: %v", err)
	}
}

func TestCheckSample(t *testing.T) {
	ok := record.Sample{TaskID: "sum", Iteration: 1, Pass: true, Score: 1,
		Measurement: record.Measurement{TTFTMs: 40, WallMs: 200, PromptTokens: 20, EvalTokens: 10, GenTPS: 80}}
	for _, tc := range []struct {
		name    string
		edit    func(*record.Sample)
		refused string // a part of the error, or "" for accepted
		warned  string // a part of a warning
	}{
		{"clean", func(*record.Sample) {}, "", ""},
		{"ttft after the call", func(s *record.Sample) { s.TTFTMs = 250 }, "ttft_ms 250 > wall_ms 200", ""},
		{"first content after the call", func(s *record.Sample) { s.FirstContentMs = 201 }, "first_content_ms 201 > wall_ms 200", ""},
		{"ttft equal to the call", func(s *record.Sample) { s.TTFTMs = 200 }, "", ""},
		{"negative wall", func(s *record.Sample) { s.WallMs = -1 }, "wall_ms is negative", ""},
		{"negative eval", func(s *record.Sample) { s.EvalMs = -3 }, "eval_ms is negative", ""},
		{"negative tokens", func(s *record.Sample) { s.EvalTokens = -1 }, "negative token count", ""},
		{"NaN rate", func(s *record.Sample) { s.GenTPS = math.NaN() }, "gen_tps is NaN", ""},
		{"infinite wall", func(s *record.Sample) { s.WallMs = math.Inf(1) }, "wall_ms is +Inf", ""},
		{"NaN score", func(s *record.Sample) { s.Score = math.NaN() }, "score is NaN", ""},
		{"tokens in no time", func(s *record.Sample) { s.WallMs, s.TTFTMs = 0, 0 }, "wall_ms 0 with 20 prompt and 10 generated tokens", ""},
		{"a failed call in no time", func(s *record.Sample) { s.WallMs, s.TTFTMs, s.Error, s.Pass = 0, 0, "connection refused", false }, "", ""},
		{"score above 1", func(s *record.Sample) { s.Score = 1.5 }, "", "score 1.5 is outside 0-1"},
		{"implausible speed", func(s *record.Sample) { s.GenTPS = 9000 }, "", "gen_tps 9000"},
		{"server times over the total", func(s *record.Sample) { s.TotalMs, s.PromptMs, s.EvalMs = 100, 60, 80 }, "", "exceed total_ms"},
	} {
		s := ok
		tc.edit(&s)
		ws, err := CheckSample(s)
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.refused != "" && (!errors.Is(err, ErrImpossible) || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%s: error %v; want ErrImpossible with %q", tc.name, err, tc.refused)
		}
		if got := strings.Join(ws, "\n"); (tc.warned == "") != (got == "") || !strings.Contains(got, tc.warned) {
			t.Errorf("%s: warnings %q; want %q", tc.name, ws, tc.warned)
		}
	}
}

func TestCheckSummary(t *testing.T) {
	smps := []record.Sample{{TaskID: "a", Iteration: 1, Pass: true, Score: 1, Measurement: record.Measurement{WallMs: 10}}}
	good := record.Summary{Headline: record.Headline{Samples: 1, PassRate: 1, PassRateCI: record.Interval{Lo: 0.2, Hi: 1}}, Passed: 1}
	for _, tc := range []struct {
		name    string
		edit    func(*record.Summary)
		refused string
	}{
		{"clean", func(*record.Summary) {}, ""},
		{"pass rate above 1", func(s *record.Summary) { s.PassRate = 1.2 }, "pass_rate 1.2 is outside 0-1"},
		{"negative pass rate", func(s *record.Summary) { s.PassRate = -0.1 }, "pass_rate -0.1"},
		{"interval upside down", func(s *record.Summary) { s.PassRateCI = record.Interval{Lo: 0.9, Hi: 0.5} }, "lo 0.9 > hi 0.5"},
		{"more passed than samples", func(s *record.Summary) { s.Passed = 2 }, "2 passed of 1 samples"},
		{"task pass rate", func(s *record.Summary) { s.Tasks = []record.TaskSummary{{ID: "a", PassRate: 2}} }, "task a pass_rate 2"},
		{"negative latency", func(s *record.Summary) { s.LatencyP50Ms = -4 }, "latency_p50_ms is -4"},
	} {
		sum := good
		tc.edit(&sum)
		_, err := Check(record.Run{ID: "r1", Status: record.StatusCompleted, Summary: &sum}, smps)
		if tc.refused == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
		} else if !errors.Is(err, ErrImpossible) || !strings.Contains(err.Error(), tc.refused) {
			t.Errorf("%s: error %v; want ErrImpossible with %q", tc.name, err, tc.refused)
		}
	}
	ws, err := Check(record.Run{ID: "r1", Summary: &record.Summary{Headline: record.Headline{Samples: 5, PassRate: 0.2}, Passed: 1}}, smps)
	if err != nil || len(ws) != 1 || !strings.Contains(ws[0], "summary counts 5 samples, the run has 1") {
		t.Errorf("a summary over other samples: %q, %v; want one warning", ws, err)
	}
}

func TestCSV(t *testing.T) {
	imp, err := Parse(Promptfoo, fixture(t, "promptfoo.json"), importNow)
	if err != nil {
		t.Fatal(err)
	}
	var samples, summaries bytes.Buffer
	c := NewCSV(&samples, &summaries)
	n := 0
	for _, r := range imp.Runs {
		if err := c.Write(r.Run, r.Samples); err != nil {
			t.Fatal(err)
		}
		n += len(r.Samples)
	}
	running := record.Run{ID: "r20260302-120000-0001", Status: record.StatusRunning, Model: "tiny-s", Tags: []string{"a", "b"}}
	seed := 7
	odd := record.Sample{TaskID: "quote", Iteration: 1, Seed: &seed, Measurement: record.Measurement{Output: "say \"hi\", then\nleave, or not", WallMs: 1.25}}
	if err := c.Write(running, []record.Sample{odd}); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if c.Samples != n+1 {
		t.Errorf("Samples = %d, want %d", c.Samples, n+1)
	}

	rows, err := csv.NewReader(&samples).ReadAll()
	if err != nil {
		t.Fatalf("samples.csv does not read back: %v", err)
	}
	if len(rows) != 1+n+1 || !cmp.Equal(rows[0], SampleColumns) {
		t.Fatalf("samples.csv: %d rows, header %v; want %d and SampleColumns", len(rows), rows[0], 1+n+1)
	}
	col := func(row []string, name string) string {
		for i, c := range rows[0] {
			if c == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	js := rows[3]
	if col(js, "task_id") != "json object" || col(js, "output") != "```json\n{\"ok\": true}\n```" || col(js, "pass") != "false" ||
		col(js, "wall_ms") != "903" || col(js, "eval_tokens") != "9" || col(js, "model") != "qwen2.5:0.5b" || col(js, "seed") != "" {
		t.Errorf("json object row = %q", js)
	}
	last := rows[len(rows)-1]
	if col(last, "output") != odd.Output || col(last, "seed") != "7" || col(last, "wall_ms") != "1.25" || col(last, "started_at") != "" {
		t.Errorf("last row = %q; want the output whole, the seed, exact numbers and no zero time", last)
	}
	for _, row := range rows[1:] {
		for _, name := range []string{"score", "wall_ms", "ttft_ms", "gen_tps", "prompt_tps"} {
			if _, err := strconv.ParseFloat(col(row, name), 64); err != nil {
				t.Errorf("%s %q is not a number", name, col(row, name))
			}
		}
	}

	runs, err := csv.NewReader(&summaries).ReadAll()
	if err != nil {
		t.Fatalf("summaries.csv does not read back: %v", err)
	}
	if len(runs) != 1+len(imp.Runs)+1 || !cmp.Equal(runs[0], SummaryColumns) {
		t.Fatalf("summaries.csv: %d rows, header %v", len(runs), runs[0])
	}
	get := func(row []string, name string) string {
		for i, c := range runs[0] {
			if c == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	q := runs[1]
	if get(q, "samples") != "3" || get(q, "passed") != "2" || !strings.HasPrefix(get(q, "pass_rate"), "0.666") ||
		get(q, "tags") != "import:promptfoo;promptfoo-eval:eval-Xq3-2026-03-02T10:02:11" || get(q, "started_at") != "2026-03-02T10:02:11.482Z" {
		t.Errorf("qwen row = %q", q)
	}
	r := runs[len(runs)-1]
	if get(r, "status") != "running" || get(r, "tags") != "a;b" || get(r, "samples") != "" || get(r, "latency_p50_ms") != "" {
		t.Errorf("a run without a summary = %q; want empty summary cells", r)
	}

	var es, em bytes.Buffer
	empty := NewCSV(&es, &em)
	if err := empty.Flush(); err != nil || es.String() != strings.Join(SampleColumns, ",")+"\n" || em.String() != strings.Join(SummaryColumns, ",")+"\n" {
		t.Errorf("no runs: %q, %q, %v; want the headers alone", es.String(), em.String(), err)
	}
}
