package sweep

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGridExpandsAndLabels(t *testing.T) {
	cells, err := Grid(&Axes{Models: []string{"tiny-m"}, Options: map[string][]any{"num_ctx": {256.0, 512.0}, "temperature": {0.0, 0.7}}}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range cells {
		labels = append(labels, c.Label)
	}
	want := "tiny-m num_ctx=256 temperature=0|tiny-m num_ctx=256 temperature=0.7|tiny-m num_ctx=512 temperature=0|tiny-m num_ctx=512 temperature=0.7"
	if got := strings.Join(labels, "|"); got != want {
		t.Fatalf("labels\n got %s\nwant %s", got, want)
	}
	if cells[3].Options["num_ctx"] != 512.0 || cells[3].Options["temperature"] != 0.7 || cells[0].Options["temperature"] != 0.0 {
		t.Fatalf("options not crossed: %+v", cells)
	}
	// Options maps are the cells' own.
	cells[0].Options["num_ctx"] = 1.0
	if cells[1].Options["num_ctx"] != 256.0 {
		t.Fatal("cells share an options map")
	}
}

func TestGridPreamblesThinkDepthsHosts(t *testing.T) {
	cells, err := Grid(&Axes{Models: []string{"a", "b"}, Preambles: []string{"", "concise"}, Depths: []int{0, 512}, Hosts: []string{"x", "y"}}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 16 {
		t.Fatalf("%d cells, want 16", len(cells))
	}
	if got := cells[len(cells)-1].Label; got != "b @y depth=512 preamble=concise" {
		t.Fatalf("last label %q", got)
	}
}

func TestGridConcurrency(t *testing.T) {
	cells, err := Grid(&Axes{Models: []string{"m"}, Options: map[string][]any{"num_ctx": {512.0, 1024.0}}, Concurrency: []int{1, 4}}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range cells {
		labels = append(labels, c.Label)
	}
	want := "m concurrency=1 num_ctx=512|m concurrency=4 num_ctx=512|m concurrency=1 num_ctx=1024|m concurrency=4 num_ctx=1024"
	if got := strings.Join(labels, "|"); got != want || cells[1].Concurrency != 4 || cells[0].Concurrency != 1 {
		t.Fatalf("labels\n got %s\nwant %s", got, want)
	}
	// A cell without concurrency is one call at a time: the same value as 1.
	if a, b := (Cell{Model: "m"}).Values()[AxisConcurrency], (Cell{Model: "m", Concurrency: 1}).Values()[AxisConcurrency]; a != b {
		t.Fatalf("concurrency 0 is %q, 1 is %q", a, b)
	}
}

func TestGridRefusals(t *testing.T) {
	big := map[string][]any{}
	for _, k := range []string{"num_ctx", "temperature", "top_p", "top_k"} {
		big[k] = []any{1.0, 2.0, 3.0, 4.0, 5.0}
	}
	for _, tc := range []struct {
		name  string
		axes  *Axes
		cells []Cell
		max   int
		want  []string
	}{
		{"nothing", nil, nil, 0, []string{"give axes"}},
		{"no models", &Axes{}, nil, 0, []string{"axes.models is empty"}},
		{"empty option axis", &Axes{Models: []string{"m"}, Options: map[string][]any{"num_ctx": {}}}, nil, 0, []string{"axes.options.num_ctx is empty"}},
		{"empty preambles", &Axes{Models: []string{"m"}, Preambles: []string{}}, nil, 0, []string{"axes.preambles is empty"}},
		{"unknown option", &Axes{Models: []string{"m"}, Options: map[string][]any{"num_ctxx": {1.0}}}, nil, 0, []string{"num_ctxx is not an Ollama option", "did you mean num_ctx?"}},
		{"duplicate", &Axes{Models: []string{"m", "m"}}, nil, 0, []string{`lists "m" twice`}},
		{"too many", &Axes{Models: []string{"m"}, Options: big}, nil, 0, []string{"625 cells", "set max_cells to 625"}},
		{"max_cells too high", &Axes{Models: []string{"m"}}, nil, 5000, []string{"max_cells 5000 is out of range"}},
		{"both", &Axes{Models: []string{"m"}}, []Cell{{Model: "m"}}, 0, []string{"not both"}},
		{"cell without model", nil, []Cell{{Model: "m"}, {}}, 0, []string{"cells[1] has no model"}},
		{"duplicate cells", nil, []Cell{{Model: "m"}, {Model: "m"}}, 0, []string{"both labelled"}},
		{"negative depth", &Axes{Models: []string{"m"}, Depths: []int{-1}}, nil, 0, []string{"axes.depths has -1"}},
		{"concurrency out of range", &Axes{Models: []string{"m"}, Concurrency: []int{0, 17}}, nil, 0, []string{"axes.concurrency has 0", "axes.concurrency has 17", "use 1 to 16"}},
		{"duplicate concurrency", &Axes{Models: []string{"m"}, Concurrency: []int{2, 2}}, nil, 0, []string{`axes.concurrency lists "2" twice`}},
		{"cell concurrency", nil, []Cell{{Model: "m", Concurrency: 99}}, 0, []string{"cells[0].concurrency 99 is out of range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Grid(tc.axes, tc.cells, tc.max)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// 625 cells go with max_cells.
	if cells, err := Grid(&Axes{Models: []string{"m"}, Options: big}, nil, 625); err != nil || len(cells) != 625 {
		t.Fatalf("max_cells 625: %d cells, %v", len(cells), err)
	}
}

func TestGridFromJSON(t *testing.T) {
	var a Axes
	if err := json.Unmarshal([]byte(`{"models":["m"],"think":[]}`), &a); err != nil {
		t.Fatal(err)
	}
	if _, err := Grid(&a, nil, 0); err == nil || !strings.Contains(err.Error(), "axes.think is empty") {
		t.Fatalf("empty think axis from JSON: %v", err)
	}
}

func TestSpreadKeepsAModelOnOneHost(t *testing.T) {
	cells := []Cell{{Model: "a"}, {Model: "a"}, {Model: "b"}, {Model: "c"}, {Model: "pinned", Host: "y"}}
	has := func(host, model string) bool { return !(model == "c" && host == "x") }
	if err := Spread(cells, []string{"x", "y"}, has); err != nil {
		t.Fatal(err)
	}
	if cells[0].Host != cells[1].Host {
		t.Fatalf("model a split over hosts: %+v", cells)
	}
	if cells[3].Host != "y" {
		t.Fatalf("c went to a host without it: %+v", cells[3])
	}
	if cells[4].Host != "y" {
		t.Fatal("a pinned cell moved")
	}
	if err := Spread([]Cell{{Model: "z"}}, []string{"x", "y"}, func(string, string) bool { return false }); err == nil || !strings.Contains(err.Error(), "no host of x, y has z") {
		t.Fatalf("missing model: %v", err)
	}
}
