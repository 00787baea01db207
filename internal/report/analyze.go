package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/analyze"
	"github.com/benchmcp/benchmcp/internal/findings"
)

// AnalyzeMarkdown is the write-up of an analysis: headline findings, the
// runs, the runs against their baselines, and the anomalies.
func AnalyzeMarkdown(res analyze.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Analysis of %d runs\n\n", len(res.Runs))
	if len(res.Runs) == 0 {
		b.WriteString("No runs match the filters.\n")
		return b.String()
	}
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	b.WriteString("\n### Runs (newest first)\n\n| run | model | suite | status | pass rate (95% CI) | score | p50 | TTFT p50 | tok/s | samples |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range res.Runs {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s (%s–%s) | %.2f | %s | %s | %.0f | %d |\n",
			r.ID, r.Model, r.Suite, r.Status, findings.Percent(r.PassRate), findings.Percent(r.PassRateCI.Lo), findings.Percent(r.PassRateCI.Hi), r.MeanScore, findings.Millis(r.LatencyP50Ms), findings.Millis(r.TTFTP50Ms), r.GenTPS, r.Samples)
	}
	if len(res.Regressions) > 0 {
		b.WriteString("\n### Against the baseline\n\n| run | model | suite | baseline | pass rate Δ | paired p (over tasks) | p50 ratio | verdict |\n|---|---|---|---|---|---|---|---|\n")
		for _, c := range res.Regressions {
			fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %+.0f pts | %s | %s | %s |\n",
				c.RunID, c.Model, c.Suite, c.BaselineRunID, 100*c.PassRateDiff, pValue(c.PValue), ratio(c.LatencyRatio), verdict(c.Verdict))
		}
	}
	if len(res.Anomalies) > 0 {
		b.WriteString("\n### Anomalies\n\n")
		for _, a := range res.Anomalies {
			fmt.Fprintf(&b, "- `%s` (%s on %s), %s: %s\n", a.RunID, a.Model, a.Suite, a.Kind, a.Reason)
		}
	}
	return b.String()
}

func pValue(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3g", *p)
}

func ratio(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("×%.2f", x)
}

func verdict(v string) string {
	if v == analyze.Stable {
		return v
	}
	return "**" + v + "**"
}

//go:embed analyze.html.tmpl
var analyzeHTML string

var analyzeTmpl = template.Must(template.New("analyze").Funcs(template.FuncMap{
	"pct": findings.Percent, "msec": findings.Millis, "pvalue": pValue, "ratio": ratio,
	"pts":        findings.SignedPoints,
	"time":       func(t time.Time) string { return t.Format("2006-01-02 15:04") },
	"sparkline":  sparkline,
	"trendchart": trendChart,
}).Parse(analyzeHTML))

// AnalyzeHTML writes the analysis as a self-contained HTML page: the
// findings, then one table per section, with an inline SVG sparkline of
// each trend's pass rate, and under the trends a chart of each trend of two
// runs or more with its regressions marked.
func AnalyzeHTML(w io.Writer, title string, res analyze.Result) error {
	return analyzeTmpl.Execute(w, struct {
		Title string
		analyze.Result
	}{title, res})
}

// sparkline is an inline SVG polyline of a trend's pass rates (0 to 1).
func sparkline(t analyze.Trend) template.HTML {
	const w, h = 120.0, 24.0
	n := len(t.Points)
	var pts []string
	for i, p := range t.Points {
		x := w / 2
		if n > 1 {
			x = w * float64(i) / float64(n-1)
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, h-2-(h-4)*p.PassRate))
	}
	return template.HTML(fmt.Sprintf(`<svg width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="pass rate per run"><polyline fill="none" stroke="#2563eb" stroke-width="1.5" points="%s"/></svg>`,
		w, h, w, h, strings.Join(pts, " ")))
}

// trendChart is TrendChart of t, with the runs the checks found to be
// regressions against their baseline marked.
func trendChart(t analyze.Trend, checks []analyze.Check) template.HTML {
	s := TrendSeries{Model: t.Model, Suite: t.Suite}
	for _, p := range t.Points {
		reg := slices.ContainsFunc(checks, func(c analyze.Check) bool {
			return c.RunID == p.RunID && c.Model == t.Model && c.Suite == t.Suite && c.Verdict == analyze.Regression
		})
		s.Runs = append(s.Runs, TrendRun{RunID: p.RunID, StartedAt: p.StartedAt, PassRate: p.PassRate, Regression: reg})
	}
	return template.HTML(TrendChart(s)) // built from escaped text: see chartSVG
}
