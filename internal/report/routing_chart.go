package report

import (
	"cmp"
	"fmt"
	"html"
	"math"
	"slices"
	"strings"

	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/route"
)

// RoutingPoint is one routing policy (at one threshold) on the quality /
// big-model-share plane, as the routing charts draw it.
type RoutingPoint struct {
	Label       string  // e.g. "evidence@0.8", "always tiny-m", "cascade@1", "oracle"
	Policy      string  // always, heuristic, evidence, cascade or oracle: one colour, marker and letter each
	Share       float64 // fraction of tasks sent to the big model, 0-1 (x axis)
	PassRate    float64 // 0-1 (y axis)
	Lo, Hi      float64 // 95% interval of PassRate, drawn as an error bar
	Pareto      bool    // on the frontier, which the SVG draws as a line
	Recommended bool    // highlighted with a ring and its label
}

// chartPolicy is how the charts draw one policy: its letter in the text
// chart, its colour and marker in the SVG.
type chartPolicy struct {
	name   string
	letter byte
	colour string
}

// chartPolicies are the known policies in legend order.
var chartPolicies = []chartPolicy{
	{route.Always, 'a', "#6b7280"},
	{route.Heuristic, 'h', "#d97706"},
	{route.Evidence, 'e', "#2563eb"},
	{route.Cascade, 'c', "#16a34a"},
	{route.Oracle, 'o', "#9333ea"},
}

// policyStyle is the style of a policy; one the charts do not know is a
// black circle, '?' in text.
func policyStyle(name string) chartPolicy {
	for _, p := range chartPolicies {
		if p.name == name {
			return p
		}
	}
	return chartPolicy{name, '?', "#111827"}
}

// presentPolicies are the policies of the points in legend order: the
// known ones first, then the others by name.
func presentPolicies(points []RoutingPoint) []chartPolicy {
	var out []chartPolicy
	for _, p := range chartPolicies {
		if slices.ContainsFunc(points, func(q RoutingPoint) bool { return q.Policy == p.name }) {
			out = append(out, p)
		}
	}
	var other []string
	for _, q := range points {
		if policyStyle(q.Policy).letter == '?' && !slices.Contains(other, q.Policy) {
			other = append(other, q.Policy)
		}
	}
	slices.Sort(other)
	for _, name := range other {
		out = append(out, policyStyle(name))
	}
	return out
}

// cleanPoints makes the points safe to plot: rates and shares in [0,1]
// (a non-finite share or pass rate counts as 0, a non-finite bound as the
// pass rate) and Lo <= PassRate <= Hi.
func cleanPoints(points []RoutingPoint) []RoutingPoint {
	unit := func(x, orElse float64) float64 {
		if math.IsNaN(x) {
			return orElse
		}
		return min(max(x, 0), 1)
	}
	out := make([]RoutingPoint, len(points))
	for i, p := range points {
		p.Share = unit(p.Share, 0)
		p.PassRate = unit(p.PassRate, 0)
		p.Lo = min(unit(p.Lo, p.PassRate), p.PassRate)
		p.Hi = max(unit(p.Hi, p.PassRate), p.PassRate)
		out[i] = p
	}
	return out
}

// drawRank orders points for drawing and for sharing a text cell: the
// recommended one wins, then a Pareto one.
func drawRank(p RoutingPoint) int {
	switch {
	case p.Recommended:
		return 2
	case p.Pareto:
		return 1
	}
	return 0
}

// passAxis is the pass-rate range both charts show, in percentage points:
// zoomed to the points and their intervals with a tick step of 1, 2, 5,
// 10, 20 or 25 points, never outside 0-100 and never narrower than 10.
func passAxis(points []RoutingPoint) (lo, hi, step int) {
	if len(points) == 0 {
		return 0, 100, 20
	}
	mn, mx := 100.0, 0.0
	for _, p := range points {
		mn, mx = min(mn, percent(p.Lo)), max(mx, percent(p.Hi))
	}
	if mx-mn < 10 {
		c := (mn + mx) / 2
		mn = min(max(c-5, 0), 90)
		mx = mn + 10
	}
	step = 25
	for _, s := range []int{1, 2, 5, 10, 20} {
		if float64(s) >= (mx-mn)/5 {
			step = s
			break
		}
	}
	lo = int(math.Floor(mn/float64(step))) * step
	hi = min(int(math.Ceil(mx/float64(step)))*step, 100)
	return lo, hi, step
}

// percent is a rate in percentage points, rounded to a millionth of the
// rate so that a point on a tick is exactly on it.
func percent(rate float64) float64 { return math.Round(rate*1e6) / 1e4 }

// ticks are the values from lo to hi at step.
func ticks(lo, hi, step int) []int {
	var out []int
	for t := lo; t <= hi; t += step {
		out = append(out, t)
	}
	return out
}

// Geometry of the SVG chart: the canvas and the plot area inside it; the
// legend sits right of the plot.
const (
	svgW, svgH   = 640.0, 400.0
	plotL, plotR = 64.0, 468.0
	plotT, plotB = 24.0, 340.0
	legendX      = 488.0
	inset        = 10.0 // between the axes and the data, so edge points clear them
)

// RoutingChartSVG is the routing points as a self-contained inline <svg>
// (no scripts, no external references) with role="img" and a <title>:
// pass rate against the share of tasks sent to bigModel, 95% error bars,
// the Pareto frontier, the recommended point ringed and labelled, and a
// legend of the policies present. The same points give the same bytes.
//
// The share axis is always 0-100%; the pass-rate axis is zoomed to the
// points and their intervals (see passAxis). The frontier is a dashed step
// line: between two frontier points the best a realisable policy reaches
// is the cheaper point's pass rate. Only the recommended point is labelled
// on the chart; every point has a tooltip and the <desc> lists them all.
func RoutingChartSVG(points []RoutingPoint, bigModel string) string {
	e := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" font-family="system-ui, sans-serif" font-size="12">`+"\n",
		svgW, svgH, svgW, svgH)
	fmt.Fprintf(&b, "<title>Routing policies: pass rate against the share of tasks sent to %s</title>\n", e(bigModel))
	if len(points) == 0 {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle" fill="#6b7280">no policies to chart</text>`+"\n</svg>\n", svgW/2, svgH/2)
		return b.String()
	}
	pts := cleanPoints(points)
	var desc []string
	for _, p := range pts {
		desc = append(desc, fmt.Sprintf("%s: pass rate %s (%s to %s), %s to %s", p.Label, findings.Percent(p.PassRate), findings.Percent(p.Lo), findings.Percent(p.Hi), findings.Percent(p.Share), bigModel))
	}
	fmt.Fprintf(&b, "<desc>%s.</desc>\n", e(strings.Join(desc, "; ")))

	lo, hi, step := passAxis(pts)
	x := func(share float64) float64 { return plotL + inset + share*(plotR-plotL-2*inset) }
	y := func(rate float64) float64 {
		return plotB - inset - (percent(rate)-float64(lo))/float64(hi-lo)*(plotB-plotT-2*inset)
	}

	// Grid and axes.
	b.WriteString(`<g class="axes" stroke="#e5e7eb" stroke-width="1">` + "\n")
	for _, t := range ticks(lo, hi, step) {
		yt := y(float64(t) / 100)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", plotL, yt, plotR, yt)
	}
	for i := range 6 {
		s := float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", x(s), plotT, x(s), plotB)
	}
	fmt.Fprintf(&b, `<path d="M%.1f %.1fV%.1fH%.1f" fill="none" stroke="#374151"/>`+"\n", plotL, plotT, plotB, plotR)
	b.WriteString("</g>\n")
	b.WriteString(`<g class="ticks" fill="#374151" font-size="11">` + "\n")
	for _, t := range ticks(lo, hi, step) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%d%%</text>`+"\n", plotL-6, y(float64(t)/100)+4, t)
	}
	for i := range 6 {
		s := float64(i) / 5
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.0f%%</text>`+"\n", x(s), plotB+16, 100*s)
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#111827">share sent to %s</text>`+"\n", (plotL+plotR)/2, plotB+36, e(bigModel))
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle" fill="#111827">pass rate</text>`+"\n", (plotT+plotB)/2)

	// The frontier, under the points.
	var front []RoutingPoint
	for _, p := range pts {
		if p.Pareto {
			front = append(front, p)
		}
	}
	slices.SortStableFunc(front, func(a, c RoutingPoint) int {
		return cmp.Or(cmp.Compare(a.Share, c.Share), cmp.Compare(a.PassRate, c.PassRate))
	})
	if len(front) >= 2 {
		fmt.Fprintf(&b, `<path class="frontier" d="M%.1f %.1f`, x(front[0].Share), y(front[0].PassRate))
		for _, p := range front[1:] {
			fmt.Fprintf(&b, "H%.1fV%.1f", x(p.Share), y(p.PassRate))
		}
		b.WriteString(`" fill="none" stroke="#111827" stroke-width="1.5" stroke-dasharray="5 3"/>` + "\n")
	}

	// Points, the recommended ones last so they are on top.
	order := slices.Clone(pts)
	slices.SortStableFunc(order, func(a, c RoutingPoint) int { return cmp.Compare(drawRank(a), drawRank(c)) })
	for _, p := range order {
		st := policyStyle(p.Policy)
		cx, cy := x(p.Share), y(p.PassRate)
		fmt.Fprintf(&b, `<g class="point"><title>%s</title>`, e(fmt.Sprintf("%s: pass rate %s (95%% CI %s to %s), %s sent to %s", p.Label, findings.Percent(p.PassRate), findings.Percent(p.Lo), findings.Percent(p.Hi), findings.Percent(p.Share), bigModel)))
		if p.Hi > p.Lo {
			fmt.Fprintf(&b, `<path d="M%.1f %.1fV%.1fM%.1f %.1fh8M%.1f %.1fh8" stroke="%s" fill="none"/>`,
				cx, y(p.Hi), y(p.Lo), cx-4, y(p.Hi), cx-4, y(p.Lo), st.colour)
		}
		b.WriteString(marker(st, cx, cy))
		b.WriteString("</g>\n")
	}
	for _, p := range order {
		if !p.Recommended {
			continue
		}
		cx, cy := x(p.Share), y(p.PassRate)
		fmt.Fprintf(&b, `<circle class="recommended" cx="%.1f" cy="%.1f" r="10" fill="none" stroke="#dc2626" stroke-width="2"/>`+"\n", cx, cy)
		tx, ty, anchor := cx+14, cy-12, "start"
		if cx > plotR-140 {
			tx, anchor = cx-14, "end"
		}
		if ty < plotT+12 {
			ty = cy + 22
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-weight="bold" fill="#dc2626">%s</text>`+"\n", tx, ty, anchor, e(p.Label))
	}

	// Legend.
	b.WriteString(`<g class="legend" fill="#111827">` + "\n")
	ly := plotT + 8
	for _, st := range presentPolicies(pts) {
		b.WriteString(marker(st, legendX+6, ly))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", legendX+18, ly+4, e(st.name))
		ly += 20
	}
	if len(front) >= 2 {
		fmt.Fprintf(&b, `<path d="M%.1f %.1fh12" stroke="#111827" stroke-width="1.5" stroke-dasharray="5 3"/><text x="%.1f" y="%.1f">Pareto frontier</text>`+"\n", legendX, ly, legendX+18, ly+4)
		ly += 20
	}
	if slices.ContainsFunc(pts, func(p RoutingPoint) bool { return p.Recommended }) {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="6" fill="none" stroke="#dc2626" stroke-width="2"/><text x="%.1f" y="%.1f">recommended</text>`+"\n", legendX+6, ly, legendX+18, ly+4)
	}
	b.WriteString("</g>\n</svg>\n")
	return b.String()
}

// marker is a policy's mark centred on (cx, cy): always a square,
// heuristic a triangle, evidence a circle, cascade a diamond, oracle (the
// unreachable ceiling) a hollow circle, any other policy a dark circle.
func marker(st chartPolicy, cx, cy float64) string {
	switch st.name {
	case route.Always:
		return fmt.Sprintf(`<rect x="%.1f" y="%.1f" width="9" height="9" fill="%s" stroke="#fff"/>`, cx-4.5, cy-4.5, st.colour)
	case route.Heuristic:
		return fmt.Sprintf(`<path d="M%.1f %.1fl5.5 9.5h-11z" fill="%s" stroke="#fff"/>`, cx, cy-5.5, st.colour)
	case route.Cascade:
		return fmt.Sprintf(`<path d="M%.1f %.1fl5.5 5.5l-5.5 5.5l-5.5 -5.5z" fill="%s" stroke="#fff"/>`, cx, cy-5.5, st.colour)
	case route.Oracle:
		return fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="4.5" fill="#fff" stroke="%s" stroke-width="2"/>`, cx, cy, st.colour)
	}
	return fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="5" fill="%s" stroke="#fff"/>`, cx, cy, st.colour)
}

// Size of the text chart's plot area in characters.
const textCols, textRows = 61, 16

// RoutingChartText is the same chart as a fixed-width text plot of about
// 60x16 characters for a markdown code block (the caller adds the fence):
// one letter per point (a always, h heuristic, e evidence, c cascade,
// o oracle, ? any other policy, * the recommended one), ticks on both axes
// and a one-line legend. When points share a cell the recommended one
// shows, then a Pareto one, then the first given. The pass-rate axis is
// zoomed as in RoutingChartSVG; the text ends in a newline.
func RoutingChartText(points []RoutingPoint, bigModel string) string {
	if len(points) == 0 {
		return "no policies to chart\n"
	}
	pts := cleanPoints(points)
	lo, hi, step := passAxis(pts)
	row := func(pc float64) int { return int(math.Round((float64(hi) - pc) / float64(hi-lo) * (textRows - 1))) }
	col := func(share float64) int { return int(math.Round(share * (textCols - 1))) }

	grid := make([][]byte, textRows)
	rank := make([][]int, textRows)
	for r := range grid {
		grid[r] = []byte("|" + strings.Repeat(" ", textCols-1))
		rank[r] = slices.Repeat([]int{-1}, textCols)
	}
	labels := make([]string, textRows)
	for _, t := range ticks(lo, hi, step) {
		if r := row(float64(t)); labels[r] == "" {
			labels[r] = fmt.Sprint(t)
			grid[r][0] = '+'
		}
	}
	for _, p := range pts {
		r, c := row(percent(p.PassRate)), col(p.Share)
		if k := drawRank(p); k > rank[r][c] {
			rank[r][c] = k
			grid[r][c] = policyStyle(p.Policy).letter
			if p.Recommended {
				grid[r][c] = '*'
			}
		}
	}

	var b strings.Builder
	b.WriteString("pass rate (%)\n")
	for r := range grid {
		b.WriteString(strings.TrimRight(fmt.Sprintf("%4s %s", labels[r], grid[r]), " ") + "\n")
	}
	axis := []byte(strings.Repeat("-", textCols))
	under := []byte(strings.Repeat(" ", 5+textCols+2))
	for i := range 6 {
		c := i * (textCols - 1) / 5
		axis[c] = '+'
		l := fmt.Sprint(20 * i)
		copy(under[5+c-len(l)/2:], l)
	}
	fmt.Fprintf(&b, "     %s\n%s\n", axis, strings.TrimRight(string(under), " "))
	xl := fmt.Sprintf("share sent to %s (%%)", oneLine(bigModel))
	fmt.Fprintf(&b, "%s%s\n", strings.Repeat(" ", 5+max(textCols-len(xl), 0)/2), xl)

	var legend, rec []string
	for _, st := range presentPolicies(pts) {
		legend = append(legend, fmt.Sprintf("%c %s", st.letter, oneLine(st.name)))
	}
	for _, p := range pts {
		if p.Recommended {
			rec = append(rec, oneLine(p.Label))
		}
	}
	if len(rec) > 0 {
		legend = append(legend, "* recommended ("+strings.Join(rec, ", ")+")")
	}
	b.WriteString(strings.Join(legend, "  ") + "\n")
	return b.String()
}

// oneLine collapses the whitespace of s, newlines included, to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
