package tools

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/analyze"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/memory"
)

// storeRun stores a finished run of model on suite "tiny" with ten samples,
// the first pass of them passing, each taking lat ms; edit may change each
// sample (analyze_results recomputes summaries from the samples).
func storeRun(t *testing.T, st *memory.Store, model string, started time.Time, pass int, lat float64, edit func(int, *record.Sample)) string {
	t.Helper()
	r := &record.Run{Model: model, Suite: "tiny", SuiteHash: "h1", StartedAt: started, Iterations: 1}
	if err := st.PutRun(r); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		smp := record.Sample{RunID: r.ID, TaskID: fmt.Sprintf("t%d", i), Iteration: 1, StartedAt: started, Pass: i < pass, Measurement: record.Measurement{WallMs: lat}}
		if edit != nil {
			edit(i, &smp)
		}
		if err := st.AppendSample(smp); err != nil {
			t.Fatal(err)
		}
	}
	sum := &record.Summary{Headline: record.Headline{Samples: 10, PassRate: float64(pass) / 10, PassRateCI: stats.WilsonRate(float64(pass)/10, 10, 0.95), LatencyP50Ms: lat}, Passed: pass}
	if err := st.FinishRun(r.ID, record.StatusCompleted, sum, ""); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func TestAnalyzeResults(t *testing.T) {
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC().Truncate(time.Second)
	day := func(n int) time.Time { return now.Add(time.Duration(n-9)*24*time.Hour - 12*time.Hour) }
	base := storeRun(t, st, "tiny-m", day(0), 10, 100, nil)
	stable := storeRun(t, st, "tiny-m", day(1), 9, 105, nil)
	slow := storeRun(t, st, "tiny-m", day(2), 10, 140, nil)                                                         // latency ×1.4, and an outlier
	worse := storeRun(t, st, "tiny-m", day(3), 2, 100, func(i int, s *record.Sample) { s.Flags.Reloaded = i == 0 }) // 8 lost: p = 2/256
	small := storeRun(t, st, "tiny-s", day(4), 6, 50, func(i int, s *record.Sample) {
		if i >= 7 {
			s.Error = "boom"
		}
	})
	old := storeRun(t, st, "tiny-m", day(-30), 0, 100, nil) // before since
	_ = old
	svc := &Service{Store: st}
	ctx := context.Background()

	html := filepath.Join(t.TempDir(), "out", "report.html")
	res, md, page, err := svc.AnalyzeResults(ctx, AnalyzeResultsArgs{Since: "240h", HTMLPath: html})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range res.Runs {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{small, worse, slow, stable, base}, ids); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	verdicts := map[string]string{}
	for _, c := range res.Regressions {
		if c.BaselineRunID != base {
			t.Errorf("%s measured against %s, want the oldest, %s", c.RunID, c.BaselineRunID, base)
		}
		verdicts[c.RunID] = c.Verdict
		if c.RunID == worse && (c.PValue == nil || math.Abs(*c.PValue-2.0/256) > 1e-12) {
			t.Errorf("McNemar p of %s: %v, want 2/256", worse, c.PValue)
		}
	}
	if diff := cmp.Diff(map[string]string{stable: analyze.Stable, slow: analyze.Regression, worse: analyze.Regression}, verdicts); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	kinds := map[string]string{}
	for _, a := range res.Anomalies {
		kinds[a.RunID] += a.Kind
	}
	if diff := cmp.Diff(map[string]string{worse: "reloads", small: "errors", slow: "latency_outlier"}, kinds); diff != "" {
		t.Errorf("anomalies (-want +got):\n%s", diff)
	}
	if res.ReportPath != html {
		t.Errorf("report path %q, want %q", res.ReportPath, html)
	}
	written, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != page {
		t.Error("the written report is not the returned page")
	}
	for _, want := range []string{`<table id="runs">`, `<table id="regressions">`, `<table id="anomalies">`, `<table id="trends">`, "<svg", worse, "regression"} {
		if !strings.Contains(page, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	// The inline charts' SVG namespace is a name, not a link; the browser
	// test in internal/report proves the page makes no request.
	bare := strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
	if strings.Contains(bare, "http://") || strings.Contains(bare, "https://") || strings.Contains(bare, "<script") {
		t.Error("html is not self-contained")
	}
	for _, want := range []string{"| `" + worse + "` |", "**regression**", "### Anomalies", "tiny-m on tiny: pass rate 20% (95% CI 6–51%), 40 points below tiny-s."} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}

	// A stored baseline, then an explicit one, replace the oldest run.
	if err := st.SetBaseline(stable); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ arg, want string }{{"", stable}, {slow, slow}} {
		res, _, _, err := svc.AnalyzeResults(ctx, AnalyzeResultsArgs{Model: "tiny-m", Since: "240h", BaselineRunID: tc.arg})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Regressions {
			if c.BaselineRunID != tc.want {
				t.Errorf("baseline_run_id %q: %s measured against %s, want %s", tc.arg, c.RunID, c.BaselineRunID, tc.want)
			}
		}
	}

	// Mistakes a caller can fix are UserErrors.
	for _, args := range []AnalyzeResultsArgs{
		{Since: "last week"}, {Until: "-5h"}, {Status: "done"}, {Limit: 1001},
		{BaselineRunID: "r-missing"}, {HTMLPath: t.TempDir()},
		{Since: "1h", Until: "2h"},
	} {
		_, _, _, err := svc.AnalyzeResults(ctx, args)
		var ue *UserError
		if !errors.As(err, &ue) {
			t.Errorf("%+v: err %v, want a UserError", args, err)
		}
	}
	// Limit, and nothing matching.
	if res, _, _, err := svc.AnalyzeResults(ctx, AnalyzeResultsArgs{Limit: 2}); err != nil || len(res.Runs) != 2 || res.Runs[0].ID != small {
		t.Errorf("limit 2: %v, %+v", err, res)
	}
	if res, md, _, err := svc.AnalyzeResults(ctx, AnalyzeResultsArgs{Model: "nope"}); err != nil || len(res.Runs) != 0 || !strings.Contains(md, "No runs match") {
		t.Errorf("no match: %v, %+v", err, res)
	}
}

// TestAnalyzeResultsFromStoredSummaries: runs stored with the summary the
// runner makes at their end are analysed from it, reading only the samples
// of multi-iteration pairs, and the analysis is the one their samples give
// (the same runs with summaries of an older version, recomputed).
func TestAnalyzeResultsFromStoredSummaries(t *testing.T) {
	t0 := time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	var current, old []memory.Line
	for i := range 3 * len(a1mModels) * len(a1mSuites) { // 3 runs a series, of 1 and 5 iterations
		l := a1mLine(i, t0)
		current = append(current, l)
		s := *l.Run.Summary
		s.Version = 0
		l.Run.Summary = &s
		old = append(old, l)
	}
	analyse := func(lines []memory.Line) *AnalyzeResultsResult {
		st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.PutLines(lines); err != nil {
			t.Fatal(err)
		}
		if err := st.SetBaseline(lines[len(lines)-1].Run.ID); err != nil { // a stored baseline: its series is measured against its newest run
			t.Fatal(err)
		}
		res, _, _, err := (&Service{Store: st}).AnalyzeResults(context.Background(), AnalyzeResultsArgs{Status: "all", Limit: MaxAnalyzeLimit})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want, got := analyse(old), analyse(current)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("analysis from stored summaries (-samples +summaries):\n%s", diff)
	}
	if len(got.Runs) != len(current) || len(got.Regressions) != len(current)-len(a1mModels)*len(a1mSuites) {
		t.Errorf("%d runs, %d regressions", len(got.Runs), len(got.Regressions))
	}
}
