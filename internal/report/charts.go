package report

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/benchmcp/benchmcp/internal/findings"
	"github.com/benchmcp/benchmcp/internal/stats"
)

// The charts of the HTML reports are drawn by gonum.org/v1/plot and its
// SVG backend (vgsvg), server-side, and inlined in the page: no script, no
// external reference. vgsvg names the font it measured text with (Liberation
// Sans here) and does not embed it unless asked, which would add a base64
// TrueType font to every chart; chartSVG names metric-compatible system
// fonts and the generic sans-serif after it instead, so the page loads no
// font and the text keeps its measured width. The routing chart
// (routing_chart.go) is drawn by hand; docs/reports.md says why.

// Size of every chart, in points (vgsvg's unit) and in CSS pixels.
const (
	chartWPt, chartHPt = 480, 300
	chartWPx, chartHPx = chartWPt * 4 / 3, chartHPt * 4 / 3
)

// chartFontFamily is what the SVG asks the browser for: Liberation Sans,
// whose metrics gonum/plot lays the text out with, then the fonts with the
// same metrics, then any sans-serif.
const chartFontFamily = "'Liberation Sans',Arial,Helvetica,sans-serif"

// chartPalette colours the variants, in order (Okabe-Ito, colour-blind
// safe); past its end the colours repeat, and the glyph shapes tell apart.
var chartPalette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x00, 0x9E, 0x73, 0xFF}, // green
	{0xCC, 0x79, 0xA7, 0xFF}, // pink
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0x99, 0x99, 0x99, 0xFF}, // grey
	{0x00, 0x00, 0x00, 0xFF}, // black
}

var (
	inkColour        = color.RGBA{0x1F, 0x29, 0x37, 0xFF} // axes, frontier, error bars
	regressionColour = color.RGBA{0xDC, 0x26, 0x26, 0xFF}
	gridColour       = color.RGBA{0xE5, 0xE7, 0xEB, 0xFF}
)

func variantColour(i int) color.RGBA { return chartPalette[i%len(chartPalette)] }

// variantGlyph is variant i's point marker: filled, so that it reads on
// the lines and the bars; circle, square, triangle in turn.
func variantGlyph(i int) draw.GlyphStyle {
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}
	return draw.GlyphStyle{Color: variantColour(i), Radius: vg.Points(4), Shape: shapes[i%len(shapes)]}
}

// QualitySpeedPoint is one variant on the quality/speed chart.
type QualitySpeedPoint struct {
	Label     string
	LatencyMs float64 // latency p50 (x); a point without one is left out
	PassRate  float64 // 0-1 (y)
	Lo, Hi    float64 // 95% interval of PassRate, drawn as an error bar when Hi > Lo
}

// LatencySeries is one variant's call latencies for the latency chart.
type LatencySeries struct {
	Label  string
	WallMs []float64 // one per sample; non-positive and non-finite values are left out
}

// CategoryRate is one variant's pass rate on one category.
type CategoryRate struct {
	Category string
	PassRate float64 // 0-1
	Lo, Hi   float64 // its 95% interval
}

// CategorySeries is one variant's pass rate per category.
type CategorySeries struct {
	Label string
	Rates []CategoryRate
}

// TrendRun is one run of a trend.
type TrendRun struct {
	RunID      string
	StartedAt  time.Time // the x tick label; the zero time labels it by its number
	PassRate   float64   // 0-1
	Regression bool      // analyze flagged the run as a regression against its baseline
}

// TrendSeries is a (model, suite) series of runs, oldest first.
type TrendSeries struct {
	Model, Suite string
	Runs         []TrendRun
}

// QualitySpeedChart is pass rate (y) against latency p50 (x) per variant as
// an inline <svg>: a labelled point per variant with its 95% error bar, and
// the Pareto frontier of the plotted axes (higher pass rate, lower latency)
// as a dashed step line: between two frontier variants the best pass rate
// available within a latency is the faster one's. The latency axis is
// logarithmic when the latencies span 10x or more.
func QualitySpeedChart(points []QualitySpeedPoint) string {
	const title = "Pass rate against latency p50 per variant"
	type placed struct {
		QualitySpeedPoint
		i int // index in points: the colour
	}
	var pts []placed
	for i, p := range points {
		if !finitePositive(p.LatencyMs) {
			continue
		}
		p.PassRate = unitRate(p.PassRate, 0)
		p.Lo, p.Hi = min(unitRate(p.Lo, p.PassRate), p.PassRate), max(unitRate(p.Hi, p.PassRate), p.PassRate)
		pts = append(pts, placed{p, i})
	}
	if len(pts) == 0 {
		return noDataSVG(title, "no variant has a latency to chart")
	}
	var desc []string
	lat := make([]float64, len(pts))
	for k, p := range pts {
		lat[k] = p.LatencyMs
		desc = append(desc, fmt.Sprintf("%s: pass rate %s (95%% CI %s to %s) at %s", p.Label, findings.Percent(p.PassRate), findings.Percent(p.Lo), findings.Percent(p.Hi), findings.Millis(p.LatencyMs)))
	}

	p := newChart("latency p50 (ms)", "pass rate")
	rateAxis(&p.Y)
	msAxis(&p.X, lat, "latency p50 (ms)")
	var legend []legendEntry
	labels := plotter.XYLabels{}
	for _, q := range pts {
		if q.Hi > q.Lo {
			eb := &plotter.YErrorBars{XYs: plotter.XYs{{X: q.LatencyMs, Y: q.PassRate}},
				YErrors:   plotter.YErrors{{Low: q.PassRate - q.Lo, High: q.Hi - q.PassRate}},
				LineStyle: draw.LineStyle{Color: variantColour(q.i), Width: vg.Points(1)}, CapWidth: vg.Points(6)}
			p.Add(eb)
		}
		sc := &plotter.Scatter{XYs: plotter.XYs{{X: q.LatencyMs, Y: q.PassRate}}, GlyphStyle: variantGlyph(q.i)}
		p.Add(sc)
		legend = append(legend, legendEntry{q.Label, sc})
		labels.XYs = append(labels.XYs, plotter.XY{X: q.LatencyMs, Y: q.PassRate})
		labels.Labels = append(labels.Labels, q.Label)
	}

	// The frontier of what is plotted (the points that could be placed), on
	// the axes of compare's own (Result.Pareto): pass rate and latency p50.
	sp := make([]stats.Point, len(pts))
	for k, q := range pts {
		sp[k] = stats.Point{Label: strconv.Itoa(k), Quality: q.PassRate, Cost: q.LatencyMs}
	}
	var front []placed
	for _, k := range stats.Pareto(sp).Optimal {
		i, _ := strconv.Atoi(k) // the labels are the indexes
		front = append(front, pts[i])
	}
	slices.SortStableFunc(front, func(a, b placed) int {
		return cmp.Or(cmp.Compare(a.LatencyMs, b.LatencyMs), cmp.Compare(a.PassRate, b.PassRate))
	})
	if len(front) >= 2 {
		line := &plotter.Line{StepStyle: plotter.PostStep, LineStyle: draw.LineStyle{
			Color: inkColour, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}}
		for _, q := range front {
			line.XYs = append(line.XYs, plotter.XY{X: q.LatencyMs, Y: q.PassRate})
		}
		p.Add(line)
		legend = append(legend, legendEntry{"Pareto frontier", line})
		var names []string
		for _, q := range front {
			names = append(names, q.Label)
		}
		desc = append(desc, "Pareto frontier: "+strings.Join(names, ", "))
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return noDataSVG(title, err.Error())
	}
	l.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(3)}
	for k := range l.TextStyle {
		l.TextStyle[k].Font = chartFont(9)
		l.TextStyle[k].Color = inkColour
	}
	p.Add(l)
	return chartSVG(p, legend, title, strings.Join(desc, "; ")+".")
}

// LatencyChart is the distribution of each variant's call latencies as an
// inline <svg>: a Tukey box plot per variant (the box the quartiles, the
// bar the median, whiskers to the furthest calls within 1.5 interquartile
// ranges, rings the calls beyond). The axis is logarithmic when the
// latencies span 10x or more. A variant without latencies has no box.
func LatencyChart(series []LatencySeries) string {
	const title = "Latency per call, per variant"
	type box struct {
		label  string
		i      int
		values plotter.Values
	}
	var boxes []box
	var all []float64
	for i, s := range series {
		var vs plotter.Values
		for _, v := range s.WallMs {
			if finitePositive(v) {
				vs = append(vs, v)
			}
		}
		if len(vs) > 0 {
			boxes = append(boxes, box{s.Label, i, vs})
			all = append(all, vs...)
		}
	}
	if len(boxes) == 0 {
		return noDataSVG(title, "no calls with a latency to chart")
	}
	p := newChart("", "latency per call (ms)")
	msAxis(&p.Y, all, "latency per call (ms)")
	p.X.Padding = 0
	width := min(vg.Points(48), vg.Points(300)/vg.Length(len(boxes))*0.6)
	var names, desc []string
	for k, b := range boxes {
		bp, err := plotter.NewBoxPlot(width, float64(k), b.values)
		if err != nil {
			return noDataSVG(title, err.Error())
		}
		c := variantColour(b.i)
		bp.FillColor = color.NRGBA{c.R, c.G, c.B, 0x80}
		bp.BoxStyle = draw.LineStyle{Color: inkColour, Width: vg.Points(0.8)}
		bp.MedianStyle = draw.LineStyle{Color: inkColour, Width: vg.Points(2)}
		bp.WhiskerStyle = draw.LineStyle{Color: inkColour, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
		bp.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2.5), Shape: draw.RingGlyph{}}
		p.Add(bp)
		names = append(names, b.label)
		desc = append(desc, fmt.Sprintf("%s: %d calls, median %s, quartiles %s to %s, range %s to %s",
			b.label, len(b.values), findings.Millis(bp.Median), findings.Millis(bp.Quartile1), findings.Millis(bp.Quartile3), findings.Millis(bp.Min), findings.Millis(bp.Max)))
	}
	p.NominalX(names...)
	p.X.Tick.Label.Font = chartFont(10)
	slantTicks(&p.X, names)
	p.X.Min, p.X.Max = -0.5, float64(len(boxes))-0.5
	return chartSVG(p, nil, title, strings.Join(desc, "; ")+".")
}

// CategoryChart is each variant's pass rate per category as an inline
// <svg>: grouped bars, one group per category (in the order they first
// appear), one bar per variant in its colour, each with its 95% error bar.
// A variant without a category has no bar there.
func CategoryChart(series []CategorySeries) string {
	const title = "Pass rate per category, per variant, with 95% intervals"
	var cats []string
	for _, s := range series {
		for _, r := range s.Rates {
			if !slices.Contains(cats, r.Category) {
				cats = append(cats, r.Category)
			}
		}
	}
	if len(cats) == 0 {
		return noDataSVG(title, "no categories to chart")
	}
	names := make([]string, len(cats))
	for k, c := range cats {
		names[k] = orDash(c)
	}
	p := newChart("category", "pass rate")
	rateAxis(&p.Y)
	p.X.Padding = 0
	var legend []legendEntry
	for i, s := range series {
		legend = append(legend, legendEntry{s.Label, &plotter.BarChart{Color: variantColour(i), Width: 1}})
	}
	// Bar width in points: the plot is the canvas less the axis and the
	// legend; the groups fill 80% of their slot.
	plotW := vg.Points(chartWPt-70) - legendWidth(p, legend)
	n := max(len(series), 1)
	barW := min(vg.Points(36), plotW*0.8/vg.Length(len(cats)*n))
	var desc []string
	for i, s := range series {
		var parts []string
		offset := (vg.Length(i) - vg.Length(n-1)/2) * barW
		for _, r := range s.Rates {
			k := slices.Index(cats, r.Category)
			rate := unitRate(r.PassRate, 0)
			lo, hi := min(unitRate(r.Lo, rate), rate), max(unitRate(r.Hi, rate), rate)
			bar := &plotter.BarChart{Values: plotter.Values{rate}, XMin: float64(k), Width: barW, Offset: offset,
				Color: variantColour(i), LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}}
			p.Add(bar)
			if hi > lo {
				p.Add(shifted{&plotter.YErrorBars{XYs: plotter.XYs{{X: float64(k), Y: rate}},
					YErrors:   plotter.YErrors{{Low: rate - lo, High: hi - rate}},
					LineStyle: draw.LineStyle{Color: inkColour, Width: vg.Points(1)}, CapWidth: barW * 0.5}, offset})
			}
			parts = append(parts, fmt.Sprintf("%s %s (%s to %s)", orDash(r.Category), findings.Percent(rate), findings.Percent(lo), findings.Percent(hi)))
		}
		desc = append(desc, s.Label+": "+strings.Join(parts, ", "))
	}
	p.NominalX(names...)
	p.X.Tick.Label.Font = chartFont(10)
	slantTicks(&p.X, names)
	p.X.Min, p.X.Max = -0.5, float64(len(cats))-0.5
	return chartSVG(p, legend, title, strings.Join(desc, "; ")+".")
}

// TrendChart is a (model, suite) series' pass rate over its runs, oldest
// first and evenly spaced, as an inline <svg>, with a red ring on every
// run analyze flagged as a regression against its baseline.
func TrendChart(s TrendSeries) string {
	title := fmt.Sprintf("Pass rate of %s on %s over %d runs", s.Model, s.Suite, len(s.Runs))
	if len(s.Runs) == 0 {
		return noDataSVG(title, "no runs to chart")
	}
	p := newChart("run, oldest first", "pass rate")
	rateAxis(&p.Y)
	line := &plotter.Line{LineStyle: draw.LineStyle{Color: variantColour(0), Width: vg.Points(1.5)}}
	dots := &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: variantColour(0), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}}
	rings := &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: regressionColour, Radius: vg.Points(6), Shape: thickRing{}}}
	var desc []string
	for k, r := range s.Runs {
		xy := plotter.XY{X: float64(k + 1), Y: unitRate(r.PassRate, 0)}
		line.XYs, dots.XYs = append(line.XYs, xy), append(dots.XYs, xy)
		d := fmt.Sprintf("run %s: %s", r.RunID, findings.Percent(xy.Y))
		if r.Regression {
			rings.XYs = append(rings.XYs, xy)
			d += " (regression)"
		}
		desc = append(desc, d)
	}
	p.Add(line, dots)
	legend := []legendEntry{{"pass rate", lineDots{line, dots}}}
	if len(rings.XYs) > 0 {
		p.Add(rings)
		legend = append(legend, legendEntry{"regression", rings})
	}
	p.X.Tick.Marker = runTicks(s.Runs)
	p.X.Min, p.X.Max = 1, float64(max(len(s.Runs), 2))
	return chartSVG(p, legend, title, strings.Join(desc, "; ")+".")
}

// runTicks labels at most six runs, evenly spread, by their start time
// (or number, without one), and marks the others with minor ticks when
// there are no more than 60 runs.
func runTicks(runs []TrendRun) plot.Ticker {
	step := max(1, int(math.Ceil(float64(len(runs))/6)))
	var ts plot.ConstantTicks
	for k, r := range runs {
		t := plot.Tick{Value: float64(k + 1)}
		switch {
		case k%step == 0:
			t.Label = fmt.Sprintf("#%d", k+1)
			if !r.StartedAt.IsZero() {
				t.Label = r.StartedAt.UTC().Format("Jan 2\n15:04")
			}
		case len(runs) > 60:
			continue
		}
		ts = append(ts, t)
	}
	return ts
}

// thickRing is a ring glyph with a 2-point stroke, the regression marker.
type thickRing struct{}

func (thickRing) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(2)})
	var p vg.Path
	p.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	p.Arc(pt, sty.Radius, 0, 2*math.Pi)
	p.Close()
	c.Stroke(p)
}

// lineDots is the legend thumbnail of a line with points on it.
type lineDots struct {
	line *plotter.Line
	dots *plotter.Scatter
}

func (l lineDots) Thumbnail(c *draw.Canvas) {
	l.line.Thumbnail(c)
	l.dots.Thumbnail(c)
}

// shifted draws error bars dx to the side, onto a bar that BarChart's
// Offset (a length, not a data value) moved there.
type shifted struct {
	*plotter.YErrorBars
	dx vg.Length
}

func (s shifted) Plot(c draw.Canvas, p *plot.Plot) {
	c.Push()
	c.Translate(vg.Point{X: s.dx})
	s.YErrorBars.Plot(c, p)
	c.Pop()
}

// legendEntry is one line of a chart's legend.
type legendEntry struct {
	name  string
	thumb plot.Thumbnailer
}

// newChart is a plot with the charts' fonts, axis labels and a horizontal grid.
func newChart(xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font = chartFont(12)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = chartFont(11)
		a.Tick.Label.Font = chartFont(9)
		a.LineStyle.Color, a.Tick.LineStyle.Color = inkColour, inkColour
		a.Tick.Label.Color, a.Label.TextStyle.Color = inkColour, inkColour
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.Legend.TextStyle.Font = chartFont(10)
	p.Legend.Padding = vg.Points(4)
	g := plotter.NewGrid()
	g.Vertical.Width = 0
	g.Horizontal = draw.LineStyle{Color: gridColour, Width: vg.Points(0.5)}
	p.Add(g)
	return p
}

// chartFont is Liberation Sans (bundled with gonum/plot, so text is
// measured the same everywhere) at size points.
func chartFont(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: font.Points(size)}
}

// rateAxis is a 0-100% axis with a tick every 20 points.
func rateAxis(a *plot.Axis) {
	a.Min, a.Max = 0, 1
	var ts plot.ConstantTicks
	for k := 0; k <= 10; k++ {
		t := plot.Tick{Value: float64(k) / 10}
		if k%2 == 0 {
			t.Label = fmt.Sprintf("%d%%", 10*k)
		}
		ts = append(ts, t)
	}
	a.Tick.Marker = ts
}

// msAxis sets a milliseconds axis over the values: logarithmic when they
// span 10x or more (labelled at 1, 2, 3 and 5 per decade over less than two
// decades, 1, 2 and 5 over less than four, 1 beyond), linear otherwise.
func msAxis(a *plot.Axis, values []float64, label string) {
	lo, hi := slices.Min(values), slices.Max(values)
	if hi/lo < 10 {
		return
	}
	a.Scale = plot.LogScale{}
	a.Label.Text = label + ", log scale"
	a.Min, a.Max = lo/1.25, hi*1.25
	labelled := []int{1}
	switch decades := math.Log10(a.Max / a.Min); {
	case decades < 2:
		labelled = []int{1, 2, 3, 5}
	case decades < 4:
		labelled = []int{1, 2, 5}
	}
	a.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for d := math.Pow(10, math.Floor(math.Log10(lo))); d <= hi; d *= 10 {
			for m := 1; m < 10; m++ {
				v := d * float64(m)
				if v < lo || v > hi {
					continue
				}
				t := plot.Tick{Value: v}
				if slices.Contains(labelled, m) {
					t.Label = trimFloat(v)
				}
				ts = append(ts, t)
			}
		}
		return ts
	})
}

// trimFloat is v without trailing zeros: 20, 0.5, 1500.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// slantTicks turns category tick labels 30 degrees when they would not
// fit side by side.
func slantTicks(a *plot.Axis, names []string) {
	total := vg.Length(0)
	for _, n := range names {
		total += a.Tick.Label.Width(n) + vg.Points(8)
	}
	if total > vg.Points(chartWPt-160) {
		a.Tick.Label.Rotation = math.Pi / 6
		a.Tick.Label.XAlign = draw.XRight
		a.Tick.Label.YAlign = draw.YCenter
	}
}

// legendWidth is how wide the legend of these entries is drawn.
func legendWidth(p *plot.Plot, entries []legendEntry) vg.Length {
	if len(entries) == 0 {
		return 0
	}
	l := p.Legend
	var w vg.Length
	for _, e := range entries {
		w = max(w, l.ThumbnailWidth+l.TextStyle.Width(" "+e.name))
	}
	return w + vg.Points(12)
}

// chartSVG draws p, with the legend in a column on its right, and returns
// it as an inline <svg> with role="img", a <title> and a <desc>: without
// vgsvg's XML prolog and comment, sized in CSS pixels, its text set in
// chartFontFamily.
func chartSVG(p *plot.Plot, legend []legendEntry, title, desc string) (svg string) {
	defer func() {
		// gonum/plot panics on some degenerate input rather than erring;
		// a report is still written, with the reason in the chart's place.
		if r := recover(); r != nil {
			svg = noDataSVG(title, fmt.Sprint("the chart could not be drawn: ", r))
		}
	}()
	c := vgsvg.New(chartWPt, chartHPt)
	dc := draw.New(c)
	if lw := legendWidth(p, legend); lw > 0 {
		l := p.Legend
		for _, e := range legend {
			l.Add(e.name, e.thumb)
		}
		l.Top, l.Left = true, true
		l.Draw(draw.Crop(dc, vg.Points(chartWPt)-lw+vg.Points(8), 0, 0, -vg.Points(10)))
		dc = draw.Crop(dc, 0, -lw, 0, 0)
	}
	p.Draw(draw.Crop(dc, vg.Points(4), -vg.Points(8), vg.Points(4), -vg.Points(10)))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return noDataSVG(title, err.Error())
	}
	out := buf.String()
	start := strings.Index(out, "<svg")
	end := strings.Index(out[start:], ">")
	body := out[start+end+1:]
	body = strings.ReplaceAll(body, "font-family:Liberation Sans;", "font-family:"+chartFontFamily+";")
	return svgOpen(title) + fmt.Sprintf("<desc>%s</desc>\n", html.EscapeString(desc)) + body
}

// svgOpen is the opening tag of a chart and its title.
func svgOpen(title string) string {
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" class="chart">`+"\n<title>%s</title>\n",
		chartWPx, chartHPx, chartWPt, chartHPt, html.EscapeString(title))
}

// noDataSVG is a small chart that says why there is nothing to draw.
func noDataSVG(title, why string) string {
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="60" viewBox="0 0 %d 60" role="img" class="chart no-data">`+
		"\n<title>%s</title>\n"+`<text x="%d" y="34" text-anchor="middle" font-family="%s" font-size="13" fill="#6b7280">%s</text>`+"\n</svg>\n",
		chartWPx, chartWPx, html.EscapeString(title), chartWPx/2, chartFontFamily, html.EscapeString("no data: "+why))
}

// finitePositive reports whether x can be placed on a latency axis.
func finitePositive(x float64) bool { return x > 0 && !math.IsInf(x, 0) }

// unitRate is x clamped to [0,1], orElse when x is NaN.
func unitRate(x, orElse float64) float64 {
	if math.IsNaN(x) {
		return orElse
	}
	return min(max(x, 0), 1)
}
