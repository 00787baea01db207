package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ollama/ollama/api"
)

// tool builds a function tool; props alternate name, property.
func tool(name string, required []string, props ...any) api.Tool {
	m := api.NewToolPropertiesMap()
	for i := 0; i < len(props); i += 2 {
		m.Set(props[i].(string), props[i+1].(api.ToolProperty))
	}
	return api.Tool{Type: "function", Function: api.ToolFunction{
		Name:       name,
		Parameters: api.ToolFunctionParameters{Type: "object", Required: required, Properties: m},
	}}
}

func typ(t ...string) api.PropertyType { return api.PropertyType(t) }

// suiteTools are the tools most tests offer.
func suiteTools() []api.Tool {
	return []api.Tool{
		tool("run", []string{"cmd"},
			"cmd", api.ToolProperty{Type: typ("array"), Items: map[string]any{"type": "string"}, Description: "argument list"},
			"cwd", api.ToolProperty{Type: typ("string")},
		),
		tool("grep", []string{"pattern"},
			"pattern", api.ToolProperty{Type: typ("string")},
			"count", api.ToolProperty{Type: typ("number")},
			"limit", api.ToolProperty{Type: typ("integer", "null")},
			"mode", api.ToolProperty{Type: typ("string"), Enum: []any{"fixed", "regex"}},
		),
		tool("write", []string{"files"},
			"files", api.ToolProperty{Type: typ("array"), Items: map[string]any{
				"type":                 "object",
				"required":             []string{"path"},
				"properties":           map[string]any{"path": map[string]any{"type": "string", "pattern": "^[a-z/._-]+$"}, "text": map[string]any{"type": "string"}},
				"additionalProperties": false,
			}},
		),
		tool("pick", nil,
			"id", api.ToolProperty{AnyOf: []api.ToolProperty{{Type: typ("string")}, {Type: typ("integer")}}},
			"tags", api.ToolProperty{AnyOf: []api.ToolProperty{{Type: typ("string")}, {Type: typ("array"), Items: map[string]any{"type": "string"}}}},
		),
		{Type: "function", Function: api.ToolFunction{Name: "now"}}, // no parameters
	}
}

func TestCheckArguments(t *testing.T) {
	tools := suiteTools()
	for _, tc := range []struct {
		name string
		tool string
		args map[string]any
		want []SignatureError
	}{
		{"valid run", "run", map[string]any{"cmd": []any{"ls", "-l"}, "cwd": "/tmp"}, nil},
		{"valid grep, Go types", "grep", map[string]any{"pattern": "x", "count": 3, "limit": nil, "mode": "regex"}, nil},
		{"valid write", "write", map[string]any{"files": []map[string]string{{"path": "a/b.txt", "text": "hi"}}}, nil},
		{"valid anyOf", "pick", map[string]any{"id": 7}, nil},
		{"no parameters, no arguments", "now", nil, nil},
		{"no parameters, some arguments", "now", map[string]any{"tz": "UTC"}, nil},
		{"extra top-level field is allowed", "grep", map[string]any{"pattern": "x", "flags": "i"}, nil},

		{"missing required", "grep", map[string]any{"count": 1}, []SignatureError{
			{"pattern", KindMissingRequired, `"pattern" is required but missing`},
		}},
		{"nil arguments miss required", "run", nil, []SignatureError{
			{"cmd", KindMissingRequired, `"cmd" is required but missing`},
		}},
		{"string for argument list", "run", map[string]any{"cmd": "ls -l /tmp"}, []SignatureError{
			{"cmd", KindWrongType, `"cmd": a string where an argument list (array) is expected`},
		}},
		{"string for number", "grep", map[string]any{"pattern": "x", "count": "3"}, []SignatureError{
			{"count", KindWrongType, `"count": a string where a number is expected`},
		}},
		{"fraction for integer or null", "grep", map[string]any{"pattern": "x", "limit": 2.5}, []SignatureError{
			{"limit", KindWrongType, `"limit": a number where null or an integer is expected`},
		}},
		{"array element type", "run", map[string]any{"cmd": []any{"ls", 1}}, []SignatureError{
			{"cmd/1", KindWrongType, `"cmd/1": a number where a string is expected`},
		}},
		{"enum", "grep", map[string]any{"pattern": "x", "mode": "glob"}, []SignatureError{
			{"mode", KindBadValue, `"mode": "glob" is not one of "fixed", "regex"`},
		}},
		{"anyOf wrong type", "pick", map[string]any{"id": true}, []SignatureError{
			{"id", KindWrongType, `"id": a boolean where a string or an integer is expected`},
		}},
		{"anyOf: the alternative of the right type speaks", "pick", map[string]any{"tags": []any{"a", 1}}, []SignatureError{
			{"tags/1", KindWrongType, `"tags/1": a number where a string is expected`},
		}},
		{"nested: unknown field, missing, pattern, type", "write", map[string]any{"files": []any{
			map[string]any{"text": "x", "mode": "0644"},
			map[string]any{"path": "Bad Path", "text": 5},
		}}, []SignatureError{
			{"files/0/mode", KindUnknownField, `"files/0/mode" is not a field this schema allows (known: path, text)`},
			{"files/0/path", KindMissingRequired, `"files/0/path" is required but missing`},
			{"files/1/path", KindBadValue, `"files/1/path": "Bad Path" does not match the pattern ^[a-z/._-]+$`},
			{"files/1/text", KindWrongType, `"files/1/text": a number where a string is expected`},
		}},
		{"sorted by field then kind", "grep", map[string]any{"mode": 1, "count": "x"}, []SignatureError{
			{"count", KindWrongType, `"count": a string where a number is expected`},
			{"mode", KindWrongType, `"mode": a number where a string is expected`},
			{"pattern", KindMissingRequired, `"pattern" is required but missing`},
		}},
		{"unknown tool", "bash", map[string]any{"cmd": "ls"}, []SignatureError{
			{"", KindUnknownTool, `unknown tool "bash"; the tools offered are "run", "grep", "write", "pick", "now"`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckArguments(tools, tc.tool, tc.args)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckArguments(%s, %v) (-want +got):\n%s", tc.tool, tc.args, diff)
			}
		})
	}
}

func TestCheckArgumentsNoTools(t *testing.T) {
	got := CheckArguments(nil, "run", nil)
	want := []SignatureError{{"", KindUnknownTool, `unknown tool "run"; no tools were offered`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCheckArgumentsInvalidSchema(t *testing.T) {
	bad := tool("calc", nil, "expression", api.ToolProperty{Type: typ("strin")})
	got := CheckArguments([]api.Tool{bad}, "calc", map[string]any{"expression": "1+1"})
	if len(got) != 1 || got[0].Kind != KindInvalidSchema || !strings.Contains(got[0].Message, `tool "calc"`) {
		t.Errorf("got %+v, want one invalid_schema error naming the tool", got)
	}
}

// The cache is keyed by schema as well as name: a tool redefined under the
// same name is checked against its new schema.
func TestCheckArgumentsSameNameNewSchema(t *testing.T) {
	a := tool("f", []string{"x"}, "x", api.ToolProperty{Type: typ("string")})
	b := tool("f", []string{"x"}, "x", api.ToolProperty{Type: typ("number")})
	args := map[string]any{"x": "s"}
	if got := CheckArguments([]api.Tool{a}, "f", args); got != nil {
		t.Errorf("string schema: got %+v, want none", got)
	}
	if got := CheckArguments([]api.Tool{b}, "f", args); len(got) != 1 || got[0].Kind != KindWrongType {
		t.Errorf("number schema: got %+v, want one wrong_type", got)
	}
}

func TestCheckArgumentsConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			tools := suiteTools() // fresh values each time: the cache must match them by content
			for j := range 20 {
				got := CheckArguments(tools, "run", map[string]any{"cmd": fmt.Sprint(i, j)})
				if len(got) != 1 || got[0].Kind != KindWrongType || !strings.Contains(got[0].Message, "argument list") {
					t.Errorf("got %+v", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestSignatureErrorJSON(t *testing.T) {
	b, err := json.Marshal(SignatureError{Field: "cmd", Kind: KindWrongType, Message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"field":"cmd","kind":"wrong_type","message":"m"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestCompileTool(t *testing.T) {
	for _, tc := range []struct {
		name string
		tool api.Tool
		want []string // substrings of the error; nil: valid
	}{
		{"suite tools", suiteTools()[0], nil},
		{"zero parameters", api.Tool{Type: "function", Function: api.ToolFunction{Name: "now"}}, nil},
		{"empty property map", api.Tool{Type: "function", Function: api.ToolFunction{Name: "now",
			Parameters: api.ToolFunctionParameters{Type: "object", Properties: &api.ToolPropertiesMap{}}}}, nil},
		{"nested empty property map", tool("obj", nil, "o", api.ToolProperty{Type: typ("object"), Properties: &api.ToolPropertiesMap{}}), nil},
		{"misspelt type", tool("calc", []string{"expression"}, "expression", api.ToolProperty{Type: typ("strin")}),
			[]string{`tool "calc": parameters are not valid JSON Schema: properties.expression.type: "strin" is not valid: value must be one of`, `'string'`}},
		{"bad items", tool("run", nil, "cmd", api.ToolProperty{Type: typ("array"), Items: map[string]any{"type": 3}}),
			[]string{`tool "run"`, "properties.cmd.items.type: 3 is not valid"}},
		{"bad regex", tool("g", nil, "p", api.ToolProperty{Type: typ("array"), Items: map[string]any{"type": "string", "pattern": "("}}),
			[]string{`tool "g"`, "properties.p.items.pattern", "not valid regex"}},
		{"external $ref", tool("r", nil, "p", api.ToolProperty{Items: map[string]any{"$ref": "https://example.com/s.json"}}),
			[]string{`tool "r"`, "$ref may only point inside the schema"}},
		{"two problems", tool("two", nil, "a", api.ToolProperty{Type: typ("strin")}, "b", api.ToolProperty{Type: typ("nmber")}),
			[]string{`properties.a.type: "strin"`, `; properties.b.type: "nmber"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CompileTool(tc.tool)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CompileTool: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CompileTool: no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
