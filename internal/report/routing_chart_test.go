package report

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// routingPoints is a small evaluation: two always policies at the ends, an
// oracle above them, and cells shared by two points each.
func routingPoints() []RoutingPoint {
	return []RoutingPoint{
		{Label: "always tiny-s", Policy: "always", Share: 0, PassRate: 0.4, Lo: 0.3, Hi: 0.5, Pareto: true},
		{Label: "always tiny-m", Policy: "always", Share: 1, PassRate: 0.9, Lo: 0.85, Hi: 0.95, Pareto: true},
		{Label: "evidence@0.8", Policy: "evidence", Share: 0.4, PassRate: 0.8, Lo: 0.7, Hi: 0.88, Pareto: true, Recommended: true},
		// Same cell as the recommended one, and on the frontier: '*' shows.
		{Label: "evidence@0.9", Policy: "evidence", Share: 0.4, PassRate: 0.8, Lo: 0.7, Hi: 0.88, Pareto: true},
		// Same cell as a Pareto cascade given after it: 'c' shows.
		{Label: "heuristic", Policy: "heuristic", Share: 0.6, PassRate: 0.6, Lo: 0.5, Hi: 0.7},
		{Label: "cascade@1", Policy: "cascade", Share: 0.6, PassRate: 0.6, Lo: 0.5, Hi: 0.7, Pareto: true},
		{Label: "oracle", Policy: "oracle", Share: 0.2, PassRate: 1, Lo: 0.95, Hi: 1},
	}
}

// svgShape is what the tests read back from a chart's SVG.
type svgShape struct {
	root      xml.StartElement
	firstElem string // the root's first child element
	points    int    // <g class="point">
	frontiers int    // <path class="frontier">
	rings     int    // <circle class="recommended">
	text      string // all character data
}

// parseSVG decodes the chart strictly, failing the test on malformed XML.
func parseSVG(t *testing.T, s string) svgShape {
	t.Helper()
	var sh svgShape
	d := xml.NewDecoder(strings.NewReader(s))
	depth := 0
	var text strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("svg is not well-formed: %v\n%s", err, s)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				sh.root = tok.Copy()
			}
			if depth == 2 && sh.firstElem == "" {
				sh.firstElem = tok.Name.Local
			}
			class := attr(tok, "class")
			switch {
			case tok.Name.Local == "g" && class == "point":
				sh.points++
			case tok.Name.Local == "path" && class == "frontier":
				sh.frontiers++
			case tok.Name.Local == "circle" && class == "recommended":
				sh.rings++
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			text.Write(tok)
		}
	}
	if sh.root.Name.Local != "svg" {
		t.Fatalf("root element is %q, want svg", sh.root.Name.Local)
	}
	sh.text = text.String()
	return sh
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestRoutingChartSVG(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name      string
		points    []RoutingPoint
		frontiers int
		rings     int
		want      []string // in the character data
	}{
		{name: "none", want: []string{"no policies to chart"}},
		{name: "full", points: routingPoints(), frontiers: 1, rings: 1,
			want: []string{"evidence@0.8", "share sent to tiny-m", "pass rate", "always", "heuristic", "evidence", "cascade", "oracle", "Pareto frontier", "recommended", "20%", "100%"}},
		{name: "single", points: []RoutingPoint{{Label: "always tiny-m", Policy: "always", Share: 1, PassRate: 1, Lo: 1, Hi: 1, Pareto: true, Recommended: true}}, rings: 1,
			// The axis widens to ten points below 100%.
			want: []string{"90%", "100%"}},
		{name: "same share", frontiers: 1, points: []RoutingPoint{
			{Label: "evidence@0.5", Policy: "evidence", Share: 0.5, PassRate: 0.5, Lo: 0.4, Hi: 0.6, Pareto: true},
			{Label: "evidence@0.7", Policy: "evidence", Share: 0.5, PassRate: 0.7, Lo: 0.6, Hi: 0.8, Pareto: true},
			{Label: "heuristic", Policy: "heuristic", Share: 0.5, PassRate: 0.6},
		}},
		{name: "not finite", points: []RoutingPoint{
			{Label: "broken", Policy: "mystery", Share: nan, PassRate: nan, Lo: nan, Hi: math.Inf(1)},
			{Label: "fine", Policy: "always", Share: 0.2, PassRate: 0.5, Lo: 0.4, Hi: 0.6},
		}, want: []string{"mystery"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := RoutingChartSVG(tc.points, "tiny-m")
			if again := RoutingChartSVG(tc.points, "tiny-m"); again != s {
				t.Fatal("two renderings of the same points differ")
			}
			for _, bad := range []string{"NaN", "Inf", "<script", "href", "@import", "url("} {
				if strings.Contains(s, bad) {
					t.Errorf("svg contains %q:\n%s", bad, s)
				}
			}
			sh := parseSVG(t, s)
			if got := attr(sh.root, "role"); got != "img" {
				t.Errorf("role = %q, want img", got)
			}
			if got := attr(sh.root, "viewBox"); got != "0 0 640 400" {
				t.Errorf("viewBox = %q", got)
			}
			if sh.firstElem != "title" {
				t.Errorf("first child is <%s>, want <title>", sh.firstElem)
			}
			if sh.points != len(tc.points) || sh.frontiers != tc.frontiers || sh.rings != tc.rings {
				t.Errorf("points %d frontiers %d rings %d, want %d %d %d", sh.points, sh.frontiers, sh.rings, len(tc.points), tc.frontiers, tc.rings)
			}
			for _, w := range tc.want {
				if !strings.Contains(sh.text, w) {
					t.Errorf("svg text lacks %q:\n%s", w, s)
				}
			}
		})
	}
}

// Labels and the model name are escaped: the raw text never reaches the
// markup, and the decoded text is the label itself.
func TestRoutingChartSVGEscapes(t *testing.T) {
	pts := []RoutingPoint{{Label: `x<&>"y`, Policy: "evidence", Share: 0.5, PassRate: 0.5, Recommended: true}}
	s := RoutingChartSVG(pts, "big<&>")
	if strings.Contains(s, "<&>") {
		t.Fatalf("svg holds the raw label:\n%s", s)
	}
	sh := parseSVG(t, s)
	for _, w := range []string{`x<&>"y`, "share sent to big<&>"} {
		if !strings.Contains(sh.text, w) {
			t.Errorf("svg text lacks %q:\n%s", w, s)
		}
	}
}

func TestRoutingChartText(t *testing.T) {
	want := `pass rate (%)
 100 +           o
     |
     |                                                           a
     |
  80 +                       *
     |
     |
     |
  60 +                                   c
     |
     |
  40 a
     |
     |
     |
  20 +
     +-----------+-----------+-----------+-----------+-----------+
     0          20          40          60          80          100
                       share sent to tiny-m (%)
a always  h heuristic  e evidence  c cascade  o oracle  * recommended (evidence@0.8)
`
	if diff := cmp.Diff(want, RoutingChartText(routingPoints(), "tiny-m")); diff != "" {
		t.Errorf("text chart (-want +got):\n%s", diff)
	}
}

func TestRoutingChartTextEdges(t *testing.T) {
	if got := RoutingChartText(nil, "tiny-m"); got != "no policies to chart\n" {
		t.Errorf("no points: %q", got)
	}
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		points []RoutingPoint
		cells  map[byte][]int // letter -> the columns it appears in
	}{
		{name: "single", points: []RoutingPoint{{Label: "oracle", Policy: "oracle", Share: 0.5, PassRate: 0.5}}, cells: map[byte][]int{'o': {30}}},
		{name: "same share", points: []RoutingPoint{
			{Label: "e1", Policy: "evidence", Share: 0.5, PassRate: 0.2},
			{Label: "e2", Policy: "evidence", Share: 0.5, PassRate: 0.8},
			{Label: "c", Policy: "cascade", Share: 0.5, PassRate: 0.5, Recommended: true},
		}, cells: map[byte][]int{'e': {30, 30}, '*': {30}}},
		{name: "not finite", points: []RoutingPoint{{Label: "x", Policy: "mystery", Share: nan, PassRate: nan, Lo: nan, Hi: nan}}, cells: map[byte][]int{'?': {0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := RoutingChartText(tc.points, "tiny-m")
			if strings.Contains(s, "NaN") {
				t.Errorf("NaN in:\n%s", s)
			}
			lines := strings.Split(s, "\n")
			got := map[byte][]int{}
			for _, l := range lines[1 : 1+textRows] {
				for c := 1; c < len(l)-5; c++ {
					if ch := l[5+c]; ch != ' ' {
						got[ch] = append(got[ch], c)
					}
				}
				// Column 0 is the axis unless a point is on it.
				if ch := l[5]; ch != '|' && ch != '+' {
					got[ch] = append(got[ch], 0)
				}
			}
			if diff := cmp.Diff(tc.cells, got); diff != "" {
				t.Errorf("letters (-want +got):\n%s\n%s", diff, s)
			}
		})
	}
}
