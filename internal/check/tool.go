package check

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
)

// toolCallCheck wants the model's first tool call to name a tool and carry
// arguments equal by value to the expected ones.
type toolCallCheck struct {
	name string
	args map[string]any
	keys []string // sorted, so reasons are stable
}

func compileToolCall(s Spec) (Check, error) {
	name := strings.TrimSpace(s.Name)
	if name == "" {
		return nil, specErr(s, "name", "missing; write the tool the model should call, e.g. \"name\": \"get_weather\" (use no_tool_call to require that it calls none)")
	}
	keys := make([]string, 0, len(s.Arguments))
	for k := range s.Arguments {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return toolCallCheck{name: name, args: s.Arguments, keys: keys}, nil
}

func (toolCallCheck) Type() string { return "tool_call" }

// Evaluate scores the first tool call: 0 when there is none or it names
// another tool; otherwise the share of expected arguments it got right
// (1 when none are expected). Only a call with every argument right passes.
// Arguments the model added beyond the expected ones are allowed.
func (c toolCallCheck) Evaluate(_ context.Context, a Answer, _ Env) record.CheckResult {
	if len(a.ToolCalls) == 0 {
		return failed("tool_call", "no tool call; the model answered in text: %s", excerpt(a.Output, 120))
	}
	call := a.ToolCalls[0]
	if call.Name != c.name {
		r := failed("tool_call", "called %s, want %s", describeCall(call), c.name)
		for _, other := range a.ToolCalls[1:] {
			if other.Name == c.name {
				r.Reason += fmt.Sprintf(" (it called %s later, but only the first call counts)", c.name)
				break
			}
		}
		return r
	}
	if len(c.keys) == 0 {
		return passed("tool_call")
	}
	var wrong []string
	for _, k := range c.keys {
		want := c.args[k]
		got, ok := call.Arguments[k]
		switch {
		case !ok:
			wrong = append(wrong, fmt.Sprintf("argument %q missing, want %s", k, jsonValue(want)))
		case !sameValue(want, got):
			wrong = append(wrong, fmt.Sprintf("argument %q = %s, want %s", k, jsonValue(got), jsonValue(want)))
		}
	}
	if len(wrong) == 0 {
		return passed("tool_call")
	}
	r := failed("tool_call", "called %s with wrong arguments: %s", c.name, strings.Join(wrong, "; "))
	r.Score = float64(len(c.keys)-len(wrong)) / float64(len(c.keys))
	return r
}

// sameValue compares JSON values by value: numbers as float64 whatever their
// Go type, strings never equal to numbers ("3" is not 3), arrays element by
// element, objects on the keys of want (extra keys in got are allowed, as at
// the top level).
func sameValue(want, got any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case string:
		g, ok := got.(string)
		return ok && g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !sameValue(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	wn, ok := toFloat(want)
	if !ok {
		return false
	}
	gn, ok := toFloat(got)
	return ok && wn == gn
}

// toFloat converts a JSON number in any of its Go forms to float64.
func toFloat(v any) (float64, bool) {
	n, ok := option.Number(v)
	return n, ok && !math.IsNaN(n)
}

func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return clip(string(b), 80)
}

type noToolCall struct{}

func (noToolCall) Type() string { return "no_tool_call" }

func (noToolCall) Evaluate(_ context.Context, a Answer, _ Env) record.CheckResult {
	if len(a.ToolCalls) == 0 {
		return passed("no_tool_call")
	}
	return failed("no_tool_call", "the model called %s, but no tool call was expected", describeCall(a.ToolCalls[0]))
}
