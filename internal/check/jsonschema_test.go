package check

import "testing"

func TestJSONSchema(t *testing.T) {
	person := Spec{Type: "json_schema", Schema: map[string]any{
		"type":     "object",
		"required": []any{"name", "age"},
		"properties": map[string]any{
			"name": map[string]any{"type": "string"},
			"age":  map[string]any{"type": "integer", "minimum": 0},
			"tags": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		},
	}}
	email := Spec{Type: "json_schema", Schema: map[string]any{"type": "string", "format": "email"}}
	runEvalCases(t, []evalCase{
		{"valid", person, Answer{Output: `{"name": "Ada", "age": 36}`}, true, 1, ""},
		{"valid with whitespace", person, Answer{Output: "\n {\"name\": \"Ada\", \"age\": 36} \n"}, true, 1, ""},
		{"json fence", person, Answer{Output: "Here you go:\n```json\n{\"name\": \"Ada\", \"age\": 36}\n```\nAnything else?"}, true, 1, ""},
		{"untagged fence", person, Answer{Output: "```\n{\"name\": \"Ada\", \"age\": 36}\n```"}, true, 1, ""},
		{"unclosed fence", person, Answer{Output: "```json\n{\"name\": \"Ada\", \"age\": 36}"}, true, 1, ""},
		{"integer as 36.0 is an integer", person, Answer{Output: `{"name": "Ada", "age": 36.0}`}, true, 1, ""},
		{"missing property", person, Answer{Output: `{"name": "Ada"}`}, false, 0, "missing property 'age'"},
		{"wrong type", person, Answer{Output: `{"name": "Ada", "age": "36"}`}, false, 0, "at '/age': got string, want integer"},
		{"nested error is the first leaf", person, Answer{Output: `{"name": "Ada", "age": 3, "tags": ["a", 1]}`}, false, 0, "at '/tags/1'"},
		{"below minimum", person, Answer{Output: `{"name": "Ada", "age": -1}`}, false, 0, "minimum"},
		{"not JSON", person, Answer{Output: "name: Ada"}, false, 0, `the answer is not JSON`},
		{"trailing text", person, Answer{Output: `{"name": "Ada", "age": 36} hope that helps`}, false, 0, "not JSON"},
		{"empty", person, Answer{Output: " "}, false, 0, "empty"},
		{"tool call instead", person, Answer{ToolCalls: weatherCall}, false, 0, "made a tool call"},
		{"format asserted", email, Answer{Output: `"ada@example.com"`}, true, 1, ""},
		{"format violated", email, Answer{Output: `"not an email"`}, false, 0, "email"},
	}, Env{})
}

func TestJSONSchemaLocalRef(t *testing.T) {
	spec := Spec{Type: "json_schema", Schema: map[string]any{
		"$defs": map[string]any{"pos": map[string]any{"type": "integer", "exclusiveMinimum": 0}},
		"type":  "array",
		"items": map[string]any{"$ref": "#/$defs/pos"},
	}}
	runEvalCases(t, []evalCase{
		{"valid", spec, Answer{Output: "[1, 2, 3]"}, true, 1, ""},
		{"invalid", spec, Answer{Output: "[1, 0]"}, false, 0, "at '/1'"},
	}, Env{})
}

func TestJSONSchemaOtherDraft(t *testing.T) {
	spec := Spec{Type: "json_schema", Schema: map[string]any{
		"$schema":         "http://json-schema.org/draft-07/schema#",
		"type":            "array",
		"items":           []any{map[string]any{"type": "string"}},
		"additionalItems": false,
	}}
	runEvalCases(t, []evalCase{
		{"valid", spec, Answer{Output: `["a"]`}, true, 1, ""},
		{"additional item", spec, Answer{Output: `["a", "b"]`}, false, 0, "additionalItem(s) not allowed"},
	}, Env{})
}
