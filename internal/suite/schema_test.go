package suite

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/ollama/ollama/api"
	validator "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/benchmcp/benchmcp/internal/check"
)

var update = flag.Bool("update", false, "rewrite suite.schema.json")

const schemaFile = "suite.schema.json"

// suiteSchema is the JSON Schema of a suite file, inferred from the Go types
// (so the json and jsonschema tags are its source), with what inference
// cannot know filled in by hand.
func suiteSchema(t *testing.T) []byte {
	t.Helper()
	str := &jsonschema.Schema{Type: "string"}
	// One tool parameter: a JSON Schema fragment. Ollama keeps type, description,
	// enum, items, anyOf and properties and ignores other keywords.
	param := &jsonschema.Schema{
		Type:        "object",
		Description: "a tool parameter, as a JSON Schema fragment",
		Properties: map[string]*jsonschema.Schema{
			"type": {Description: "JSON type, or a list of types", AnyOf: []*jsonschema.Schema{
				str, {Type: "array", Items: str},
			}},
			"description": str,
			"enum":        {Type: "array"},
			"items":       {},
			"anyOf":       {Type: "array", Items: &jsonschema.Schema{Type: "object"}},
			"properties":  {Type: "object", AdditionalProperties: &jsonschema.Schema{Type: "object"}},
		},
	}
	s, err := jsonschema.For[Suite](&jsonschema.ForOptions{TypeSchemas: map[reflect.Type]*jsonschema.Schema{
		// An ordered map with unexported fields: JSON-wise an object of parameters.
		reflect.TypeFor[api.ToolPropertiesMap](): {Type: "object", AdditionalProperties: param},
		// A string or a list of strings.
		reflect.TypeFor[api.PropertyType](): param.Properties["type"],
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Parse accepts a document without a name (it names the suite after its
	// file) and tool functions without parameters.
	s.Required = remove(s.Required, "name")
	task := s.Properties["tasks"].Items
	fn := task.Properties["tools"].Items.Properties["function"]
	fn.Required = remove(fn.Required, "parameters")
	params := fn.Properties["parameters"]
	params.Required = remove(params.Required, "properties")
	// What Validate enforces and inference cannot see, for editors.
	one := 1
	task.Properties["id"].MinLength = &one
	task.Properties["prompt"].MinLength = &one
	task.Properties["checks"].MinItems = &one
	// A task needs checks unless it is agentic (its expected trajectory can be the criterion).
	task.AnyOf = []*jsonschema.Schema{{Required: []string{"checks"}}, {Required: []string{"agent"}}}
	fn.Properties["name"].MinLength = &one
	spec := task.Properties["checks"].Items
	for _, typ := range check.Types {
		spec.Properties["type"].Enum = append(spec.Properties["type"].Enum, typ)
	}
	s.Properties["tasks"].Items = &jsonschema.Schema{Ref: "#/$defs/task"}

	root := &jsonschema.Schema{
		Schema:      "https://json-schema.org/draft/2020-12/schema",
		ID:          "https://github.com/benchmcp/benchmcp/internal/suite/suite.schema.json",
		Title:       "benchmcp suite",
		Description: "A benchmark suite: an object with name and tasks, or a bare list of tasks. See docs/suites.md.",
		OneOf: []*jsonschema.Schema{
			s,
			{Type: "array", Items: &jsonschema.Schema{Ref: "#/$defs/task"}},
		},
		Defs: map[string]*jsonschema.Schema{"task": task},
	}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func remove(list []string, name string) []string {
	var out []string
	for _, s := range list {
		if s != name {
			out = append(out, s)
		}
	}
	return out
}

// TestSchema keeps suite.schema.json in step with the Go types (go test
// -run TestSchema -update rewrites it) and checks that every built-in
// suite, and the canonical JSON of each, validates against it.
func TestSchema(t *testing.T) {
	want := suiteSchema(t)
	if *update {
		if err := os.WriteFile(schemaFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v; run go test ./internal/suite -run TestSchema -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date; run go test ./internal/suite -run TestSchema -update", schemaFile)
	}

	doc, err := validator.UnmarshalJSON(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	c := validator.NewCompiler()
	if err := c.AddResource(schemaFile, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(name string, js []byte) error {
		t.Helper()
		v, err := validator.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return sch.Validate(v)
	}

	for _, name := range BuiltinNames() {
		raw, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		js, err := toJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(name, js); err != nil {
			t.Errorf("built-in %s, as written:\n%v", name, err)
		}
		s, _ := Builtin(name)
		canonical, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(name, canonical); err != nil {
			t.Errorf("built-in %s, canonical JSON:\n%v", name, err)
		}
	}
	for name, doc := range map[string]string{"list": exampleTasksJSON, "object": `{"tasks": ` + exampleTasksJSON + `}`} {
		if err := validate(name, []byte(doc)); err != nil {
			t.Errorf("example %s: %v", name, err)
		}
	}

	bad := map[string]string{
		"unknown task field":  `[{"id": "a", "prompt": "p", "check": [{"type": "exact", "value": "1"}]}]`,
		"unknown check field": `[{"id": "a", "prompt": "p", "checks": [{"type": "exact", "valu": "1"}]}]`,
		"missing checks":      `[{"id": "a", "prompt": "p"}]`,
		"number for text":     `[{"id": "a", "prompt": "p", "checks": [{"type": "exact", "value": 432}]}]`,
		"tool without name":   `[{"id": "a", "prompt": "p", "tools": [{"type": "function", "function": {}}], "checks": [{"type": "no_tool_call"}]}]`,
		"empty checks":        `[{"id": "a", "prompt": "p", "checks": []}]`,
		"unknown check type":  `[{"id": "a", "prompt": "p", "checks": [{"type": "Exact", "value": "1"}]}]`,
	}
	for name, doc := range bad {
		if err := validate(name, []byte(doc)); err == nil {
			t.Errorf("%s: validates", name)
		}
		// Parse and Validate together reject it too.
		if s, err := Parse([]byte(doc), "bad"); err == nil && s.Validate() == nil {
			t.Errorf("%s: Parse and Validate accept what the schema rejects", name)
		}
	}
}
