package check

import (
	"encoding/json"
	"testing"

	"github.com/benchmcp/benchmcp/internal/record"
)

func TestToolCall(t *testing.T) {
	weather := Spec{Type: "tool_call", Name: "get_weather", Arguments: map[string]any{"city": "Paris"}}
	calls := func(cs ...record.ToolCall) Answer { return Answer{ToolCalls: cs} }
	call := func(name string, args map[string]any) record.ToolCall {
		return record.ToolCall{Name: name, Arguments: args}
	}
	// What a suite decodes to (float64, []any, map[string]any) against what a
	// model sends, in several Go shapes.
	nested := Spec{Type: "tool_call", Name: "book", Arguments: map[string]any{
		"seats": float64(3),
		"price": 12.5,
		"who":   []any{"ada", "bob"},
		"where": map[string]any{"city": "Paris", "floor": float64(2)},
		"vip":   true,
		"note":  nil,
	}}
	good := map[string]any{
		"seats": 3, // an int
		"price": json.Number("12.50"),
		"who":   []any{"ada", "bob"},
		"where": map[string]any{"city": "Paris", "floor": int64(2), "zip": "75001"},
		"vip":   true,
		"note":  nil,
		"extra": "the model may add arguments",
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		m[k] = v
		return m
	}
	runEvalCases(t, []evalCase{
		{"right call", weather, calls(call("get_weather", map[string]any{"city": "Paris"})), true, 1, ""},
		{"extra argument allowed", weather, calls(call("get_weather", map[string]any{"city": "Paris", "unit": "C"})), true, 1, ""},
		{"name only", Spec{Type: "tool_call", Name: "get_time"}, calls(call("get_time", map[string]any{"city": "Oslo"})), true, 1, ""},
		{"wrong value", weather, calls(call("get_weather", map[string]any{"city": "Pari"})), false, 0,
			`called get_weather with wrong arguments: argument "city" = "Pari", want "Paris"`},
		{"missing argument", weather, calls(call("get_weather", nil)), false, 0, `argument "city" missing, want "Paris"`},
		{"other tool", weather, calls(call("get_time", map[string]any{"city": "Paris"})), false, 0, `called get_time {"city":"Paris"}, want get_weather`},
		{"right tool second", weather, calls(call("get_time", nil), call("get_weather", map[string]any{"city": "Paris"})), false, 0, "only the first call counts"},
		{"first call counts", weather, calls(call("get_weather", map[string]any{"city": "Paris"}), call("get_time", nil)), true, 1, ""},
		{"no call", weather, Answer{Output: "It is sunny in Paris."}, false, 0, `no tool call; the model answered in text: "It is sunny in Paris."`},
		{"numbers by value, nested by value", nested, calls(call("book", good)), true, 1, ""},
		{"string is not a number", nested, calls(call("book", with("seats", "3"))), false, 5.0 / 6, `argument "seats" = "3", want 3`},
		{"number differs", nested, calls(call("book", with("price", 12.4))), false, 5.0 / 6, `"price" = 12.4, want 12.5`},
		{"array order matters", nested, calls(call("book", with("who", []any{"bob", "ada"}))), false, 5.0 / 6, `"who"`},
		{"array length matters", nested, calls(call("book", with("who", []any{"ada"}))), false, 5.0 / 6, `"who"`},
		{"nested value differs", nested, calls(call("book", with("where", map[string]any{"city": "Paris", "floor": "2"}))), false, 5.0 / 6, `"where"`},
		{"nested key missing", nested, calls(call("book", with("where", map[string]any{"city": "Paris"}))), false, 5.0 / 6, `"where"`},
		{"bool is not a string", nested, calls(call("book", with("vip", "true"))), false, 5.0 / 6, `"vip"`},
		{"null wants null", nested, calls(call("book", with("note", ""))), false, 5.0 / 6, `"note"`},
		{"half right", Spec{Type: "tool_call", Name: "move", Arguments: map[string]any{"x": 1.0, "y": 2.0}},
			calls(call("move", map[string]any{"x": 1, "y": 3})), false, 0.5, `argument "y" = 3, want 2`},
	}, Env{})
}

func TestNoToolCall(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"text answer", Spec{Type: "no_tool_call"}, Answer{Output: "I cannot check the weather."}, true, 1, ""},
		{"empty answer", Spec{Type: "no_tool_call"}, Answer{}, true, 1, ""},
		{"tool call", Spec{Type: "no_tool_call"}, Answer{ToolCalls: weatherCall}, false, 0, `the model called get_weather {"city":"Paris"}, but no tool call was expected`},
	}, Env{})
}
