package report

import (
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// chartDoc is what a chart's XML holds: the root's attributes, the title
// (the root's first child element), and every <text> element's text.
type chartDoc struct {
	root  xml.StartElement
	first string // name of the root's first child element
	title string
	texts []string
}

// parseChart parses a chart with encoding/xml, failing the test when it is
// not well-formed, not one <svg> root or has no role="img" and <title>.
func parseChart(t *testing.T, svg string) chartDoc {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var doc chartDoc
	var stack []string
	var text *strings.Builder
	roots := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch len(stack) {
			case 0:
				doc.root = tok.Copy()
				roots++
			case 1:
				if doc.first == "" {
					doc.first = tok.Name.Local
				}
			}
			if tok.Name.Local == "text" || (tok.Name.Local == "title" && len(stack) == 1) {
				text = &strings.Builder{}
			}
			stack = append(stack, tok.Name.Local)
		case xml.CharData:
			if text != nil {
				text.Write(tok)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if text != nil && tok.Name.Local == "text" {
				doc.texts = append(doc.texts, text.String())
				text = nil
			}
			if text != nil && tok.Name.Local == "title" && len(stack) == 1 {
				doc.title, text = text.String(), nil
			}
		case xml.ProcInst, xml.Directive:
			t.Errorf("the chart has an XML prolog or doctype (%T), which cannot be inlined", tok)
		}
	}
	if roots != 1 || doc.root.Name.Local != "svg" {
		t.Fatalf("%d root elements, the first %q; want one <svg>", roots, doc.root.Name.Local)
	}
	role := ""
	for _, a := range doc.root.Attr {
		if a.Name.Local == "role" {
			role = a.Value
		}
	}
	if role != "img" || doc.first != "title" || doc.title == "" {
		t.Errorf(`role %q, first child <%s>, title %q: want role="img" and a <title> first`, role, doc.first, doc.title)
	}
	for _, bad := range []string{"<script", "<image", "href", "url(", "@font-face", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(svg, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("the chart has %q: it must need nothing outside itself", bad)
		}
	}
	return doc
}

func countText(doc chartDoc, s string) int {
	n := 0
	for _, t := range doc.texts {
		if t == s {
			n++
		}
	}
	return n
}

// hexColour is how vgsvg writes c in a style: what a test looks for to
// count the marks of one variant.
func hexColour(c color.RGBA) string { return fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B) }

// fills counts the shapes filled in colour i of the palette, opaque.
func fills(svg string, i int) int {
	return strings.Count(svg, `style="fill:`+hexColour(variantColour(i))+`"`)
}

var trendStart = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func sampleCharts() map[string]func() string {
	return map[string]func() string{
		"quality": func() string {
			return QualitySpeedChart([]QualitySpeedPoint{
				{Label: "tiny-s", LatencyMs: 26, PassRate: 0.5, Lo: 0.2, Hi: 0.8},
				{Label: "tiny-m", LatencyMs: 40, PassRate: 1, Lo: 0.6, Hi: 1},
				{Label: "slow", LatencyMs: 300, PassRate: 0.7, Lo: 0.5, Hi: 0.85},
			})
		},
		"latency": func() string {
			return LatencyChart([]LatencySeries{{Label: "tiny-s", WallMs: []float64{25, 26, 27, 28, 60}}, {Label: "tiny-m", WallMs: []float64{38, 39, 40, 41, 42}}})
		},
		"category": func() string {
			return CategoryChart([]CategorySeries{
				{Label: "tiny-s", Rates: []CategoryRate{{"add", 0, 0, 0.5}, {"code", 0.5, 0.1, 0.9}, {"sort", 1, 0.5, 1}}},
				{Label: "tiny-m", Rates: []CategoryRate{{"add", 1, 0.5, 1}, {"sort", 1, 0.5, 1}}},
			})
		},
		"trend": func() string {
			return TrendChart(TrendSeries{Model: "tiny-m", Suite: "tiny", Runs: []TrendRun{
				{RunID: "r1", StartedAt: trendStart, PassRate: 0.9},
				{RunID: "r2", StartedAt: trendStart.Add(time.Hour), PassRate: 0.7, Regression: true},
				{RunID: "r3", StartedAt: trendStart.Add(2 * time.Hour), PassRate: 0.95},
				{RunID: "r4", StartedAt: trendStart.Add(3 * time.Hour), PassRate: 0.6, Regression: true},
			}})
		},
	}
}

// TestChartsWellFormedAndDeterministic: every chart is one inline <svg>
// that encoding/xml reads, with its title and nothing outside itself, and
// the same input gives the same bytes.
func TestChartsWellFormedAndDeterministic(t *testing.T) {
	for name, chart := range sampleCharts() {
		t.Run(name, func(t *testing.T) {
			svg := chart()
			parseChart(t, svg)
			if again := chart(); again != svg {
				t.Error("the same input gave different SVG")
			}
			if !strings.Contains(svg, "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;") || strings.Contains(svg, "font-family:Liberation Sans;") {
				t.Error("the text does not fall back to system fonts and the generic sans-serif")
			}
		})
	}
}

func TestQualitySpeedChart(t *testing.T) {
	svg := sampleCharts()["quality"]()
	doc := parseChart(t, svg)
	for i, label := range []string{"tiny-s", "tiny-m", "slow"} {
		if n := fills(svg, i); n != 2 {
			t.Errorf("%s: %d marks in its colour, want 2 (its point and its legend entry)", label, n)
		}
		if n := countText(doc, label); n != 2 {
			t.Errorf("%s: labelled %d times, want 2 (by its point and in the legend)", label, n)
		}
	}
	// slow is beaten by tiny-m (faster and better): off the frontier.
	if !strings.Contains(svg, "Pareto frontier: tiny-s, tiny-m.</desc>") {
		t.Errorf("the frontier is not tiny-s, tiny-m:\n%s", svg)
	}
	if n := strings.Count(svg, "stroke-dasharray:5,3"); n != 2 {
		t.Errorf("%d dashed frontier lines, want 2 (the line and its legend entry)", n)
	}
	// 26 to 300 ms is more than 10x: a log axis; 26 to 40 is not.
	if countText(doc, "latency p50 (ms), log scale") != 1 {
		t.Error("a 26-300 ms range is not on a log axis")
	}
	narrow := parseChart(t, QualitySpeedChart([]QualitySpeedPoint{{Label: "a", LatencyMs: 26, PassRate: 0.5}, {Label: "b", LatencyMs: 40, PassRate: 0.4}}))
	if countText(narrow, "latency p50 (ms)") != 1 {
		t.Errorf("a 26-40 ms range is not on a linear axis: %q", narrow.texts)
	}
	// One variant on the frontier: no line.
	if one := QualitySpeedChart([]QualitySpeedPoint{{Label: "a", LatencyMs: 26, PassRate: 0.5}, {Label: "b", LatencyMs: 40, PassRate: 0.4}}); strings.Contains(one, "stroke-dasharray") {
		t.Error("a frontier of one variant is drawn as a line")
	}
}

func TestLatencyChart(t *testing.T) {
	svg := sampleCharts()["latency"]()
	doc := parseChart(t, svg)
	if n := strings.Count(svg, "fill-opacity:"); n != 2 {
		t.Errorf("%d boxes, want 2", n)
	}
	// tiny-s's 60 ms is beyond 1.5 IQR of 25-28: one ring in its colour.
	if n := strings.Count(svg, "stroke:"+hexColour(variantColour(0))); n != 1 {
		t.Errorf("%d outliers of tiny-s, want 1", n)
	}
	if n := strings.Count(svg, "stroke:"+hexColour(variantColour(1))); n != 0 {
		t.Errorf("%d outliers of tiny-m, want 0", n)
	}
	if countText(doc, "tiny-s") != 1 || countText(doc, "tiny-m") != 1 {
		t.Errorf("the variants do not label the boxes: %q", doc.texts)
	}
	// A variant without latencies (all errors) has no box.
	svg = LatencyChart([]LatencySeries{{Label: "ok", WallMs: []float64{10, 11}}, {Label: "broken", WallMs: []float64{0, math.NaN(), math.Inf(1)}}})
	if doc := parseChart(t, svg); strings.Count(svg, "fill-opacity:") != 1 || countText(doc, "broken") != 0 {
		t.Errorf("a variant without latencies got a box: %q", doc.texts)
	}
}

func TestCategoryChart(t *testing.T) {
	svg := sampleCharts()["category"]()
	doc := parseChart(t, svg)
	// tiny-s has 3 categories, tiny-m 2 (no code); each has a legend entry.
	if n := fills(svg, 0); n != 3+1 {
		t.Errorf("tiny-s: %d bars and legend entries, want 4", n)
	}
	if n := fills(svg, 1); n != 2+1 {
		t.Errorf("tiny-m: %d bars and legend entries, want 3", n)
	}
	for _, c := range []string{"add", "code", "sort"} {
		if countText(doc, c) != 1 {
			t.Errorf("category %s is not labelled once: %q", c, doc.texts)
		}
	}
	if !strings.Contains(svg, "tiny-s: add 0% (0% to 50%), code 50% (10% to 90%), sort 100% (50% to 100%)") {
		t.Errorf("the description lacks tiny-s's rates and intervals:\n%s", svg)
	}
}

func TestTrendChart(t *testing.T) {
	svg := sampleCharts()["trend"]()
	doc := parseChart(t, svg)
	ring := "stroke:" + hexColour(regressionColour)
	if n := strings.Count(svg, ring); n != 2+1 {
		t.Errorf("%d regression rings, want 3 (two runs and the legend)", n)
	}
	if countText(doc, "regression") != 1 || countText(doc, "pass rate") < 1 {
		t.Errorf("the legend lacks pass rate and regression: %q", doc.texts)
	}
	if doc.title != "Pass rate of tiny-m on tiny over 4 runs" {
		t.Errorf("title %q", doc.title)
	}
	if n := fills(svg, 0); n != 4+1 {
		t.Errorf("%d run points, want 5 (four runs and the legend)", n)
	}
	calm := TrendChart(TrendSeries{Model: "m", Suite: "s", Runs: []TrendRun{{RunID: "a", PassRate: 0.5}, {RunID: "b", PassRate: 0.6}}})
	if doc := parseChart(t, calm); strings.Contains(calm, ring) || countText(doc, "regression") != 0 {
		t.Error("a trend without regressions has a regression marker")
	}
	// Without start times the runs are labelled by number.
	if doc := parseChart(t, calm); countText(doc, "#1") != 1 {
		t.Errorf("runs without a start time are not numbered: %q", doc.texts)
	}
}

// TestChartLabelsEscaped: labels that look like markup stay text.
func TestChartLabelsEscaped(t *testing.T) {
	const evil = `<script>alert("x")</script> & 'co'`
	charts := map[string]string{
		"quality":  QualitySpeedChart([]QualitySpeedPoint{{Label: evil, LatencyMs: 20, PassRate: 0.5}}),
		"latency":  LatencyChart([]LatencySeries{{Label: evil, WallMs: []float64{20, 21}}}),
		"category": CategoryChart([]CategorySeries{{Label: evil, Rates: []CategoryRate{{Category: evil, PassRate: 0.5, Lo: 0.2, Hi: 0.8}}}}),
		"trend":    TrendChart(TrendSeries{Model: evil, Suite: evil, Runs: []TrendRun{{RunID: evil, PassRate: 0.5}, {RunID: "b", PassRate: 0.4, Regression: true}}}),
	}
	for name, svg := range charts {
		t.Run(name, func(t *testing.T) {
			doc := parseChart(t, svg)
			if strings.Contains(svg, "<script") {
				t.Error("a label's markup is in the SVG unescaped")
			}
			if countText(doc, evil) == 0 && !strings.Contains(doc.title, evil) {
				t.Errorf("the label is not shown as text: %q, title %q", doc.texts, doc.title)
			}
		})
	}
}

// TestChartsNoData: empty or unplottable input gives a short SVG that says
// so, not a panic.
func TestChartsNoData(t *testing.T) {
	nan := math.NaN()
	charts := map[string]string{
		"quality":         QualitySpeedChart(nil),
		"quality no time": QualitySpeedChart([]QualitySpeedPoint{{Label: "a", LatencyMs: 0, PassRate: 1}, {Label: "b", LatencyMs: nan, PassRate: nan}}),
		"latency":         LatencyChart(nil),
		"latency errors":  LatencyChart([]LatencySeries{{Label: "a"}, {Label: "b", WallMs: []float64{0, -1}}}),
		"category":        CategoryChart(nil),
		"category empty":  CategoryChart([]CategorySeries{{Label: "a"}}),
		"trend":           TrendChart(TrendSeries{Model: "m", Suite: "s"}),
	}
	for name, svg := range charts {
		t.Run(name, func(t *testing.T) {
			doc := parseChart(t, svg)
			if len(svg) > 1000 || len(doc.texts) != 1 || !strings.HasPrefix(doc.texts[0], "no data") {
				t.Errorf("want a short no-data chart, got %d bytes: %q", len(svg), doc.texts)
			}
		})
	}
	// Non-finite rates and intervals are drawn, clamped, not refused.
	svg := QualitySpeedChart([]QualitySpeedPoint{{Label: "a", LatencyMs: 30, PassRate: nan, Lo: math.Inf(-1), Hi: 2}})
	if doc := parseChart(t, svg); countText(doc, "a") != 2 {
		t.Errorf("a point with a NaN pass rate is not drawn: %q", doc.texts)
	}
}
