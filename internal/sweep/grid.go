// Package sweep finds the best configuration over a grid of models,
// preambles, Ollama options, thinking levels, prompt depths, hosts and
// concurrency: it
// expands the grid into cells, schedules them so that no call pays a model
// reload (bench.Blocks) with one model at a time per host and the hosts in
// parallel, stops cells that are clearly worse (optional), and analyses the
// cells' runs: the best cell per objective with intervals, the Pareto
// frontier, and the marginal effect of every axis value.
package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/option"
)

// Limits of a sweep.
const (
	// DefaultMaxCells is the most cells a sweep runs unless max_cells
	// says more: a grid grows multiplicatively, and a typo in one axis
	// should not start a day of calls.
	DefaultMaxCells = 256
	// MaxCells is the most cells max_cells can allow.
	MaxCells = 4096
)

// Axes span the grid: every combination of their values is a cell. Only
// models is required; an axis left out does not vary.
type Axes struct {
	Models      []string         `json:"models" jsonschema:"models (required)"`
	Preambles   []string         `json:"preambles,omitempty" jsonschema:"library names or texts; empty = none"`
	Options     map[string][]any `json:"options,omitempty" jsonschema:"Ollama option to values to try"`
	Think       []string         `json:"think,omitempty" jsonschema:"true, false, high, medium, low"`
	Depths      []int            `json:"depths,omitempty" jsonschema:"context depths in tokens; 0 = none"`
	Hosts       []string         `json:"hosts,omitempty" jsonschema:"hosts as an axis"`
	Concurrency []int            `json:"concurrency,omitempty" jsonschema:"calls in flight, each 1-16"`
}

// Cell is one configuration of a sweep.
type Cell struct {
	Label       string         `json:"label" jsonschema:"unique cell name"`
	Model       string         `json:"model"`
	Host        string         `json:"host,omitempty"`
	Preamble    string         `json:"preamble,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
	Think       string         `json:"think,omitempty"`
	Depth       int            `json:"depth,omitempty"`
	Concurrency int            `json:"concurrency,omitempty"`
}

// Axis names, as they appear in labels and effects.
const (
	AxisModel       = "model"
	AxisPreamble    = "preamble"
	AxisThink       = "think"
	AxisDepth       = "depth"
	AxisHost        = "host"
	AxisConcurrency = "concurrency"
)

// Values are a cell's value on every axis, rendered as text: the option
// axes by their names.
func (c Cell) Values() map[string]string {
	v := map[string]string{
		AxisModel: c.Model, AxisPreamble: preambleText(c.Preamble), AxisThink: c.Think,
		AxisDepth: strconv.Itoa(c.Depth), AxisHost: c.Host, AxisConcurrency: strconv.Itoa(max(1, c.Concurrency)),
	}
	for k, x := range c.Options {
		v[k] = valueText(x)
	}
	return v
}

// Grid expands axes into cells, or checks and labels explicit cells (one of
// the two must be given). maxCells is the caller's limit (0 = DefaultMaxCells).
// Everything wrong is said at once, each with what to do instead.
func Grid(axes *Axes, cells []Cell, maxCells int) ([]Cell, error) {
	limit := DefaultMaxCells
	if maxCells != 0 {
		if maxCells < 1 || maxCells > MaxCells {
			return nil, fmt.Errorf("max_cells %d is out of range; use 1 to %d", maxCells, MaxCells)
		}
		limit = maxCells
	}
	var out []Cell
	switch {
	case axes != nil && len(cells) > 0:
		return nil, errors.New("give either axes (a grid) or cells (a list), not both")
	case axes == nil && len(cells) == 0:
		return nil, errors.New(`give axes, e.g. {"models": ["tiny-m"], "options": {"num_ctx": [256, 512], "temperature": [0, 0.7]}}, or a list of cells`)
	case axes != nil:
		if err := axes.check(); err != nil {
			return nil, err
		}
		n := axes.size()
		if n > limit {
			return nil, fmt.Errorf("the grid has %d cells (%s); that is more than %d: set max_cells to %d (at most %d) if you mean it, or give fewer values", n, axes.shape(), limit, n, MaxCells)
		}
		out = axes.expand()
	default:
		if len(cells) > limit {
			return nil, fmt.Errorf("%d cells is more than %d: set max_cells to %d (at most %d) if you mean it, or give fewer", len(cells), limit, len(cells), MaxCells)
		}
		var errs []error
		for i, c := range cells {
			if strings.TrimSpace(c.Model) == "" {
				errs = append(errs, fmt.Errorf("cells[%d] has no model; every cell needs one, e.g. {\"model\": \"tiny-m\"}", i))
			}
			if c.Depth < 0 {
				errs = append(errs, fmt.Errorf("cells[%d].depth %d is negative; use 0 for no padding", i, c.Depth))
			}
			if c.Concurrency < 0 || c.Concurrency > bench.MaxConcurrency {
				errs = append(errs, fmt.Errorf("cells[%d].concurrency %d is out of range; use 1 to %d", i, c.Concurrency, bench.MaxConcurrency))
			}
			if err := option.Check(fmt.Sprintf("cells[%d].options", i), c.Options); err != nil {
				errs = append(errs, err)
			}
			c.Options = maps.Clone(c.Options)
			out = append(out, c)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	label(out)
	seen := map[string]int{}
	for i, c := range out {
		if j, ok := seen[c.Label]; ok {
			return nil, fmt.Errorf("cells %d and %d are both labelled %q; give them distinct labels or settings", j, i, c.Label)
		}
		seen[c.Label] = i
	}
	return out, nil
}

// check refuses empty and duplicated axis values and unknown options.
func (a *Axes) check() error {
	var errs []error
	empty := func(name string, n int, given bool) {
		if given && n == 0 {
			errs = append(errs, fmt.Errorf("axes.%s is empty; give at least one value, or leave the axis out", name))
		}
	}
	dup := func(name string, vals []string) {
		seen := map[string]bool{}
		for _, v := range vals {
			if seen[v] {
				errs = append(errs, fmt.Errorf("axes.%s lists %q twice; give each value once (iterations come from seeds)", name, v))
			}
			seen[v] = true
		}
	}
	empty("models", len(a.Models), true)
	for _, m := range a.Models {
		if strings.TrimSpace(m) == "" {
			errs = append(errs, errors.New("axes.models has an empty name; name Ollama models, e.g. qwen2.5-coder:1.5b"))
		}
	}
	dup("models", a.Models)
	empty("preambles", len(a.Preambles), a.Preambles != nil)
	dup("preambles", a.Preambles)
	empty("think", len(a.Think), a.Think != nil)
	dup("think", a.Think)
	empty("depths", len(a.Depths), a.Depths != nil)
	var depths []string
	for _, d := range a.Depths {
		if d < 0 {
			errs = append(errs, fmt.Errorf("axes.depths has %d; depths are tokens, 0 or more", d))
		}
		depths = append(depths, strconv.Itoa(d))
	}
	dup("depths", depths)
	empty("concurrency", len(a.Concurrency), a.Concurrency != nil)
	var conc []string
	for _, c := range a.Concurrency {
		if c < 1 || c > bench.MaxConcurrency {
			errs = append(errs, fmt.Errorf("axes.concurrency has %d; use 1 to %d calls in flight", c, bench.MaxConcurrency))
		}
		conc = append(conc, strconv.Itoa(c))
	}
	dup("concurrency", conc)
	empty("hosts", len(a.Hosts), a.Hosts != nil)
	dup("hosts", a.Hosts)
	for _, k := range slices.Sorted(maps.Keys(a.Options)) {
		empty("options."+k, len(a.Options[k]), true)
		var vals []string
		for _, v := range a.Options[k] {
			vals = append(vals, valueText(v))
		}
		dup("options."+k, vals)
	}
	if err := option.CheckValues("axes.options", a.Options); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (a *Axes) size() int {
	n := len(a.Models) * max(1, len(a.Preambles)) * max(1, len(a.Think)) * max(1, len(a.Depths)) * max(1, len(a.Hosts)) * max(1, len(a.Concurrency))
	for _, vs := range a.Options {
		n *= len(vs)
		if n > MaxCells*16 { // enough to refuse; no overflow
			return n
		}
	}
	return n
}

// shape names the axes' lengths: "models 6 x preambles 2".
func (a *Axes) shape() string {
	parts := []string{fmt.Sprintf("models %d", len(a.Models))}
	for _, k := range slices.Sorted(maps.Keys(a.Options)) {
		parts = append(parts, fmt.Sprintf("options.%s %d", k, len(a.Options[k])))
	}
	for _, x := range []struct {
		name string
		n    int
	}{{"preambles", len(a.Preambles)}, {"think", len(a.Think)}, {"depths", len(a.Depths)}, {"hosts", len(a.Hosts)}, {"concurrency", len(a.Concurrency)}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", x.name, x.n))
		}
	}
	return strings.Join(parts, " x ")
}

// expand lists the grid's cells: models outermost, then hosts, then the
// options (by name), preambles, thinking, depths and concurrency.
func (a *Axes) expand() []Cell {
	cells := []Cell{{}}
	cross := func(n int, set func(c *Cell, i int)) {
		if n == 0 {
			return
		}
		var next []Cell
		for _, c := range cells {
			for i := range n {
				d := c
				d.Options = maps.Clone(c.Options)
				set(&d, i)
				next = append(next, d)
			}
		}
		cells = next
	}
	cross(len(a.Models), func(c *Cell, i int) { c.Model = a.Models[i] })
	cross(len(a.Hosts), func(c *Cell, i int) { c.Host = a.Hosts[i] })
	for _, k := range slices.Sorted(maps.Keys(a.Options)) {
		vals := a.Options[k]
		cross(len(vals), func(c *Cell, i int) {
			if c.Options == nil {
				c.Options = map[string]any{}
			}
			c.Options[k] = vals[i]
		})
	}
	cross(len(a.Preambles), func(c *Cell, i int) { c.Preamble = a.Preambles[i] })
	cross(len(a.Think), func(c *Cell, i int) { c.Think = a.Think[i] })
	cross(len(a.Depths), func(c *Cell, i int) { c.Depth = a.Depths[i] })
	cross(len(a.Concurrency), func(c *Cell, i int) { c.Concurrency = a.Concurrency[i] })
	return cells
}

// label names the cells that have no label: the model, then each axis whose
// value varies among the cells, as name=value (the host as @host).
func label(cells []Cell) {
	varying := map[string]bool{}
	var keys []string
	for _, c := range cells {
		for k := range c.Values() {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		first, ok := cells[0].Values()[k]
		for _, c := range cells[1:] {
			if v, has := c.Values()[k]; has != ok || v != first {
				varying[k] = true
			}
		}
	}
	for i, c := range cells {
		if c.Label != "" {
			continue
		}
		parts := []string{c.Model}
		vals := c.Values()
		if varying[AxisHost] {
			parts = append(parts, "@"+vals[AxisHost])
		}
		for _, k := range keys {
			if !varying[k] || k == AxisModel || k == AxisHost {
				continue
			}
			v, ok := vals[k]
			if !ok {
				v = "default"
			}
			switch k {
			case AxisThink:
				if v == "" {
					v = "default"
				}
				parts = append(parts, "think="+v)
			default:
				parts = append(parts, k+"="+v)
			}
		}
		cells[i].Label = strings.Join(parts, " ")
	}
}

// preambleText is how a preamble shows in labels: its library name, "none",
// or the start of its text in quotes.
func preambleText(p string) string {
	p = strings.Join(strings.Fields(p), " ")
	switch {
	case p == "":
		return "none"
	case !strings.Contains(p, " ") && len(p) <= 24:
		return p
	}
	if r := []rune(p); len(r) > 16 {
		p = string(r[:15]) + "…"
	}
	return strconv.Quote(p)
}

// valueText renders an option value: numbers as JSON writes them.
func valueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
