package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/benchmcp/benchmcp/internal/record"
)

// schemaURL names the check's schema inside the compiler; no file or network
// location is ever read.
const schemaURL = "mem:///check-schema.json"

type jsonSchemaCheck struct {
	schema *jsonschema.Schema
}

// compileJSONSchema compiles the schema (draft 2020-12 unless it says
// otherwise, formats asserted). External $refs are refused: a suite must be
// self-contained.
func compileJSONSchema(s Spec) (Check, error) {
	if len(s.Schema) == 0 {
		return nil, specErr(s, "schema", "missing; write the JSON schema the answer must satisfy, e.g. {\"type\": \"object\", \"required\": [\"name\"]}")
	}
	raw, err := json.Marshal(s.Schema)
	if err != nil {
		return nil, specErr(s, "schema", "not representable as JSON: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, specErr(s, "schema", "not valid JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(jsonschema.SchemeURLLoader{}) // no file or network $refs
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, specErr(s, "schema", "%v", err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		msg := oneLine(err.Error())
		var sve *jsonschema.SchemaValidationError
		if errors.As(err, &sve) {
			msg = "against the JSON schema metaschema, " + firstSchemaError(sve.Err)
		}
		return nil, specErr(s, "schema", "invalid JSON schema: %s; make it a valid JSON schema (draft 2020-12 unless $schema names another; $ref only to #/$defs inside it)", msg)
	}
	return jsonSchemaCheck{schema: sch}, nil
}

func (jsonSchemaCheck) Type() string { return "json_schema" }

func (c jsonSchemaCheck) Evaluate(_ context.Context, a Answer, _ Env) record.CheckResult {
	text := jsonText(a.Output)
	if text == "" {
		return failedText("json_schema", a, "the answer is empty, not JSON")
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return failedText("json_schema", a, "the answer is not JSON (%v): %s", err, excerpt(text, 120))
	}
	if err := c.schema.Validate(v); err != nil {
		return failed("json_schema", "the JSON does not match the schema: %s", firstSchemaError(err))
	}
	return passed("json_schema")
}

// fenceRE matches a fenced block ```lang\n...```; an unclosed fence runs to
// the end of the text, as when the model's output was cut short.
var fenceRE = regexp.MustCompile("(?s)```[ \\t]*([A-Za-z0-9_+.-]*)[^\\n]*\\n(.*?)(?:```|$)")

// fenced returns the body of the first fenced block whose language is one of
// langs (case-insensitive); "" among langs accepts an untagged fence and "*"
// accepts any fence.
func fenced(s string, langs ...string) (string, bool) {
	for _, m := range fenceRE.FindAllStringSubmatch(s, -1) {
		for _, l := range langs {
			if l == "*" || strings.EqualFold(m[1], l) {
				return m[2], true
			}
		}
	}
	return "", false
}

// jsonText is the JSON part of an answer: the first ```json (or untagged)
// fenced block, or else the whole answer.
func jsonText(out string) string {
	if body, ok := fenced(out, "json", ""); ok {
		return strings.TrimSpace(body)
	}
	return strings.TrimSpace(out)
}

// firstSchemaError is the first leaf of a validation error tree, such as
// "at '/age': got string, want integer".
func firstSchemaError(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return oneLine(err.Error())
	}
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return oneLine(ve.Error())
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
