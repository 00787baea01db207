package report

import (
	"fmt"
	"html"
	"strings"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/route"
)

// Routing is what the routing write-ups show of an evaluation.
type Routing struct {
	PolicyID    string
	Suite       string
	Mode        string
	Iterations  int
	Tasks       int
	Candidates  []string // cheapest first; the last is the big one
	Policies    []route.PolicyResult
	Recommended string
	Why         string
	Notes       []string
	Decisions   []route.CategoryRow
}

func (r Routing) big() string {
	if len(r.Candidates) == 0 {
		return ""
	}
	return r.Candidates[len(r.Candidates)-1]
}

// RoutingPoints are the policies as chart points.
func RoutingPoints(r Routing) []RoutingPoint {
	var out []RoutingPoint
	for _, p := range r.Policies {
		out = append(out, RoutingPoint{
			Label: p.ID, Policy: p.Policy, Share: p.BigShare, PassRate: p.PassRate,
			Lo: p.PassRateCI.Lo, Hi: p.PassRateCI.Hi, Pareto: p.Pareto, Recommended: p.ID == r.Recommended,
		})
	}
	return out
}

// RoutingMarkdown is the write-up of a routing evaluation: the
// recommendation, the chart of quality against big-model share, the
// policies and the decision matrix.
func RoutingMarkdown(r Routing) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Routing between %s on suite %s (%s)\n\n", strings.Join(r.Candidates, ", "), r.Suite, r.Mode)
	fmt.Fprintf(&b, "%d tasks × %d iterations; stored as policy `%s` (route_task with strategy policy follows it).\n\n", r.Tasks, r.Iterations, r.PolicyID)
	fmt.Fprintf(&b, "**Recommended: %s.** %s.\n\n", r.Recommended, r.Why)
	fmt.Fprintf(&b, "Pass rate against the share of tasks sent to %s:\n\n```\n%s```\n\n", r.big(), RoutingChartText(RoutingPoints(r), r.big()))
	b.WriteString(routingTable(r))
	b.WriteString("\n")
	b.WriteString(decisionTable(r))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n- %s", n)
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

func routingTable(r Routing) string {
	var b strings.Builder
	b.WriteString("| policy | pass rate (95% CI) | Δ vs big (95% CI) | share to big | share per model | cost/task | latency p50 | frontier |\n|---|---|---|---|---|---|---|---|\n")
	for _, p := range r.Policies {
		var shares []string
		for _, c := range r.Candidates {
			if v := p.Share[c]; v > 0 {
				shares = append(shares, fmt.Sprintf("%s %s", c, findings.Percent(v)))
			}
		}
		mark := ""
		if p.Pareto {
			mark = "yes"
		}
		name := p.ID
		if p.ID == r.Recommended {
			name = "**" + name + "**"
		}
		fmt.Fprintf(&b, "| %s | %s (%s–%s) | %+.1f pts (%+.1f to %+.1f) | %s | %s | %.4g | %s | %s |\n",
			name, findings.Percent(p.PassRate), findings.Percent(p.PassRateCI.Lo), findings.Percent(p.PassRateCI.Hi), 100*p.DeltaVsBig, 100*p.DeltaCI.Lo, 100*p.DeltaCI.Hi,
			findings.Percent(p.BigShare), strings.Join(shares, ", "), p.Cost, findings.Millis(p.LatencyP50Ms), mark)
	}
	return b.String()
}

func decisionTable(r Routing) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Decision matrix (%s):\n\n| category | tasks |", r.Recommended)
	for _, c := range r.Candidates {
		fmt.Fprintf(&b, " %s pass rate |", c)
	}
	b.WriteString(" routed to | routed pass rate |\n|---|---|")
	b.WriteString(strings.Repeat("---|", len(r.Candidates)+2))
	b.WriteString("\n")
	for _, row := range r.Decisions {
		fmt.Fprintf(&b, "| %s | %d |", orDash(row.Category), row.Tasks)
		for _, c := range r.Candidates {
			fmt.Fprintf(&b, " %s |", findings.Percent(row.PassRate[c]))
		}
		fmt.Fprintf(&b, " %s | %s |\n", routedText(r.Candidates, row.Routed), findings.Percent(row.RoutedPassRate))
	}
	return b.String()
}

// routedText says where a category went: one model, or the shares.
func routedText(cands []string, routed map[string]float64) string {
	var parts []string
	for _, c := range cands {
		switch v := routed[c]; {
		case v >= 1-1e-9:
			return c
		case v > 0:
			parts = append(parts, fmt.Sprintf("%s %s", c, findings.Percent(v)))
		}
	}
	return strings.Join(parts, ", ")
}

// RoutingHTML is the routing evaluation as a self-contained HTML page: the
// chart (inline SVG), the policies and the decision matrix.
func RoutingHTML(r Routing) string {
	var b strings.Builder
	title := fmt.Sprintf("Routing between %s on %s", strings.Join(r.Candidates, ", "), r.Suite)
	e := html.EscapeString
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
`+artifact.HTMLMeta+`
<title>%s</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
th { background: #f3f4f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.recommended td { font-weight: bold; background: #ecfdf5; }
</style>
</head>
<body>
<h1>%s</h1>
<p>%d tasks × %d iterations (%s); stored as policy <code>%s</code>.</p>
<p><strong>Recommended: %s.</strong> %s.</p>
<h2>Pass rate against the share sent to %s</h2>
%s
<h2>Policies</h2>
<table id="policies">
<tr><th>policy</th><th>pass rate</th><th>95%% CI</th><th>Δ vs big</th><th>95%% CI of Δ</th><th>share to big</th><th>cost/task</th><th>latency p50</th><th>frontier</th></tr>
`, e(title), e(title), r.Tasks, r.Iterations, e(r.Mode), e(r.PolicyID), e(r.Recommended), e(r.Why), e(r.big()), RoutingChartSVG(RoutingPoints(r), r.big()))
	for _, p := range r.Policies {
		cls, mark := "", ""
		if p.ID == r.Recommended {
			cls = ` class="recommended"`
		}
		if p.Pareto {
			mark = "yes"
		}
		fmt.Fprintf(&b, `<tr%s><td>%s</td><td class="num">%s</td><td class="num">%s–%s</td><td class="num">%+.1f pts</td><td class="num">%+.1f to %+.1f</td><td class="num">%s</td><td class="num">%.4g</td><td class="num">%s</td><td>%s</td></tr>
`, cls, e(p.ID), findings.Percent(p.PassRate), findings.Percent(p.PassRateCI.Lo), findings.Percent(p.PassRateCI.Hi), 100*p.DeltaVsBig, 100*p.DeltaCI.Lo, 100*p.DeltaCI.Hi, findings.Percent(p.BigShare), p.Cost, findings.Millis(p.LatencyP50Ms), mark)
	}
	b.WriteString("</table>\n<h2>Decision matrix</h2>\n<table id=\"decisions\">\n<tr><th>category</th><th>tasks</th>")
	for _, c := range r.Candidates {
		fmt.Fprintf(&b, "<th>%s pass rate</th>", e(c))
	}
	b.WriteString("<th>routed to</th><th>routed pass rate</th></tr>\n")
	for _, row := range r.Decisions {
		fmt.Fprintf(&b, "<tr><td>%s</td><td class=\"num\">%d</td>", e(orDash(row.Category)), row.Tasks)
		for _, c := range r.Candidates {
			fmt.Fprintf(&b, "<td class=\"num\">%s</td>", findings.Percent(row.PassRate[c]))
		}
		fmt.Fprintf(&b, "<td>%s</td><td class=\"num\">%s</td></tr>\n", e(routedText(r.Candidates, row.Routed)), findings.Percent(row.RoutedPassRate))
	}
	b.WriteString("</table>\n")
	if len(r.Notes) > 0 {
		b.WriteString("<h2>Notes</h2>\n<ul>")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "<li>%s</li>", e(n))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}
