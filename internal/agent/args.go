// Package agent runs multi-turn agentic tool-use tasks. This file checks the
// tools a suite offers and the arguments a model passes when it calls them.
package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/ollama/ollama/api"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// The kinds of SignatureError.
const (
	// KindMissingRequired: a required argument is absent.
	KindMissingRequired = "missing_required"
	// KindWrongType: an argument has the wrong JSON type, such as a string
	// where an argument list (array) is expected.
	KindWrongType = "wrong_type"
	// KindUnknownField: an argument the schema does not name, reported only
	// where the schema sets additionalProperties to false.
	KindUnknownField = "unknown_field"
	// KindBadValue: an argument of the right type breaks another constraint
	// (enum, const, pattern, format, minimum, ...).
	KindBadValue = "bad_value"
	// KindUnknownTool: the call names a tool that was not offered.
	KindUnknownTool = "unknown_tool"
	// KindInvalidSchema: the offered tool's parameters are not valid JSON
	// Schema, so the call cannot be checked. This is the suite's fault, never
	// the model's; CompileTool reports it when the suite is loaded.
	KindInvalidSchema = "invalid_schema"
)

// SignatureError is one way a tool call's arguments do not fit the tool's
// parameters schema.
type SignatureError struct {
	// Field is the argument's path, JSON-pointer-like without the leading
	// slash ("cmd", "files/0/path"; "~" and "/" in a name are written "~0"
	// and "~1"). It is "" for the arguments as a whole and for unknown_tool.
	Field string `json:"field"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Message says what is wrong in a sentence fit to show the model or a
	// suite author.
	Message string `json:"message"`
}

// resourceURL names a tool's parameters schema inside its compiler; no file or
// network location is ever read.
const resourceURL = "mem:///parameters.json"

// compiled is one tool's compiled parameters schema.
type compiled struct {
	doc    any // the schema as a JSON value, for naming a sub-schema's properties
	schema *jsonschema.Schema
	err    error // why the parameters are not valid JSON Schema
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*compiled{} // by tool name + "\x00" + schema JSON
)

// CompileTool returns an error if the tool's parameters are not valid JSON
// Schema (draft 2020-12 unless the schema's $schema names another). A tool
// with zero-value parameters takes no arguments and is valid.
func CompileTool(tool api.Tool) error {
	return compileTool(tool).err
}

func compileTool(tool api.Tool) *compiled {
	name := tool.Function.Name
	raw, err := json.Marshal(tool.Function.Parameters)
	if err != nil {
		return &compiled{err: fmt.Errorf("tool %q: parameters are not representable as JSON: %v", name, err)}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &compiled{err: fmt.Errorf("tool %q: parameters are not valid JSON: %v", name, err)}
	}
	doc = normalize(doc)
	canon, _ := json.Marshal(doc) // sorted keys: equal schemas share an entry
	key := name + "\x00" + string(canon)

	cacheMu.Lock()
	c, ok := cache[key]
	cacheMu.Unlock()
	if ok {
		return c
	}
	c = &compiled{doc: doc}
	c.schema, c.err = compileSchema(doc)
	if c.err != nil {
		c.err = fmt.Errorf("tool %q: parameters are not valid JSON Schema: %s", name, c.err)
	}
	cacheMu.Lock()
	if prev, ok := cache[key]; ok {
		c = prev // another goroutine compiled it first
	} else {
		cache[key] = c
	}
	cacheMu.Unlock()
	return c
}

// normalize drops what Ollama's types marshal for "none": the parameters'
// empty "type" and a nil property map's "properties": null. Zero-value
// parameters thus become {}, a schema that accepts any arguments.
func normalize(doc any) any {
	m, ok := doc.(map[string]any)
	if !ok {
		return doc
	}
	if t, ok := m["type"]; ok && t == "" {
		delete(m, "type")
	}
	normalizeProperty(m)
	return m
}

func normalizeProperty(m map[string]any) {
	if p, ok := m["properties"]; ok && p == nil {
		delete(m, "properties")
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for _, p := range props {
			if pm, ok := p.(map[string]any); ok {
				normalizeProperty(pm)
			}
		}
	}
	if anyOf, ok := m["anyOf"].([]any); ok {
		for _, p := range anyOf {
			if pm, ok := p.(map[string]any); ok {
				normalizeProperty(pm)
			}
		}
	}
}

func compileSchema(doc any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(jsonschema.SchemeURLLoader{}) // no file or network $refs
	if err := c.AddResource(resourceURL, doc); err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	sch, err := c.Compile(resourceURL)
	if err == nil {
		return sch, nil
	}
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
		return nil, errors.New(schemaProblems(doc, ve))
	}
	var lue *jsonschema.LoadURLError
	if errors.As(err, &lue) {
		return nil, fmt.Errorf("%s ($ref may only point inside the schema, e.g. to #/$defs/name)", oneLine(err.Error()))
	}
	return nil, errors.New(oneLine(err.Error()))
}

// schemaProblems describes where a schema breaks the metaschema, one clause
// per offending location:
// `properties.expression.type: "strin" is not valid: value must be one of ...`.
func schemaProblems(doc any, ve *jsonschema.ValidationError) string {
	byLoc := map[string][]*jsonschema.ValidationError{}
	var locs []string
	for _, l := range leaves(ve) {
		at := strings.Join(l.InstanceLocation, ".")
		if _, ok := byLoc[at]; !ok {
			locs = append(locs, at)
		}
		byLoc[at] = append(byLoc[at], l)
	}
	slices.Sort(locs)
	var parts []string
	for _, at := range locs {
		ls := byLoc[at]
		// The metaschema's "type" is an enum of names or a list of them; the
		// enum says what was meant, the "want array" alternative only adds noise.
		if enums := slices.DeleteFunc(slices.Clone(ls), func(l *jsonschema.ValidationError) bool {
			_, ok := l.ErrorKind.(*kind.Enum)
			return !ok
		}); len(enums) > 0 {
			ls = enums
		}
		var msgs []string
		for _, l := range ls {
			if m := kindText(l); !slices.Contains(msgs, m) {
				msgs = append(msgs, m)
			}
		}
		where := at
		if where == "" {
			where = "the schema"
		}
		value := "the value"
		if v, ok := lookup(doc, ls[0].InstanceLocation); ok {
			value = display(v)
		}
		parts = append(parts, fmt.Sprintf("%s: %s is not valid: %s", where, value, strings.Join(msgs, ", or ")))
	}
	if len(parts) == 0 {
		return oneLine(ve.Error())
	}
	return strings.Join(parts, "; ")
}

// leaves are the errors at the bottom of a validation error tree.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// kindText is the library's own wording of one error, without its location.
func kindText(ve *jsonschema.ValidationError) string {
	leaf := &jsonschema.ValidationError{ErrorKind: ve.ErrorKind}
	return oneLine(strings.TrimPrefix(leaf.Error(), "at '': "))
}

// CheckArguments checks one tool call against the tools offered: a name not
// among them is one unknown_tool error; otherwise every way args breaks that
// tool's parameters schema is one error. No errors means the call fits. The
// result is sorted by field, then kind, then message. Safe for concurrent use;
// each tool's schema is compiled once.
func CheckArguments(tools []api.Tool, name string, args map[string]any) []SignatureError {
	i := slices.IndexFunc(tools, func(t api.Tool) bool { return t.Function.Name == name })
	if i < 0 {
		return []SignatureError{unknownTool(tools, name)}
	}
	c := compileTool(tools[i])
	if c.err != nil {
		return []SignatureError{{Kind: KindInvalidSchema, Message: c.err.Error()}}
	}
	if args == nil {
		args = map[string]any{} // a call without arguments
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return []SignatureError{{Kind: KindBadValue, Message: fmt.Sprintf("the arguments are not representable as JSON: %v", err)}}
	}
	// Re-decoded, the arguments are plain JSON values whatever Go types the
	// caller built them from.
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return []SignatureError{{Kind: KindBadValue, Message: fmt.Sprintf("the arguments are not valid JSON: %v", err)}}
	}
	err = c.schema.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []SignatureError{{Kind: KindBadValue, Message: oneLine(err.Error())}}
	}
	out := convert(c.doc, ve)
	slices.SortFunc(out, func(a, b SignatureError) int {
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return slices.Compact(out)
}

func unknownTool(tools []api.Tool, name string) SignatureError {
	var names []string
	for _, t := range tools {
		if n := fmt.Sprintf("%q", t.Function.Name); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	msg := fmt.Sprintf("unknown tool %q; no tools were offered", name)
	if len(names) > 0 {
		msg = fmt.Sprintf("unknown tool %q; the tools offered are %s", name, strings.Join(names, ", "))
	}
	return SignatureError{Kind: KindUnknownTool, Message: msg}
}

// convert turns a validation error tree into SignatureErrors.
func convert(doc any, ve *jsonschema.ValidationError) []SignatureError {
	loc := ve.InstanceLocation
	field := fieldPath(loc)
	switch k := ve.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		var out []SignatureError
		for _, c := range ve.Causes {
			out = append(out, convert(doc, c)...)
		}
		return out
	case *kind.AnyOf:
		return alternatives(doc, ve)
	case *kind.OneOf:
		if len(ve.Causes) > 0 { // none matched
			return alternatives(doc, ve)
		}
		return []SignatureError{{field, KindBadValue, fmt.Sprintf("%s: matches more than one of the allowed forms (alternatives %d and %d)", subject(field), k.Subschemas[0], k.Subschemas[1])}}
	case *kind.Type:
		return []SignatureError{{field, KindWrongType, fmt.Sprintf("%s: %s where %s is expected", subject(field), article(k.Got), wanted(k.Got, k.Want))}}
	case *kind.Required:
		var out []SignatureError
		for _, m := range k.Missing {
			f := fieldPath(append(slices.Clone(loc), m))
			out = append(out, SignatureError{f, KindMissingRequired, fmt.Sprintf("%q is required but missing", f)})
		}
		return out
	case *kind.DependentRequired:
		return dependent(loc, k.Prop, k.Missing)
	case *kind.Dependency:
		return dependent(loc, k.Prop, k.Missing)
	case *kind.AdditionalProperties:
		known := "it allows none"
		if names := propertyNames(doc, ve.SchemaURL); len(names) > 0 {
			known = "known: " + strings.Join(names, ", ")
		}
		var out []SignatureError
		for _, p := range k.Properties {
			f := fieldPath(append(slices.Clone(loc), p))
			out = append(out, SignatureError{f, KindUnknownField, fmt.Sprintf("%q is not a field this schema allows (%s)", f, known)})
		}
		return out
	case *kind.Enum:
		var want []string
		for _, w := range k.Want {
			want = append(want, display(w))
		}
		return []SignatureError{{field, KindBadValue, fmt.Sprintf("%s: %s is not one of %s", subject(field), display(k.Got), strings.Join(want, ", "))}}
	case *kind.Const:
		return []SignatureError{{field, KindBadValue, fmt.Sprintf("%s: %s where %s is required", subject(field), display(k.Got), display(k.Want))}}
	case *kind.Pattern:
		return []SignatureError{{field, KindBadValue, fmt.Sprintf("%s: %s does not match the pattern %s", subject(field), display(k.Got), k.Want)}}
	case *kind.Format:
		return []SignatureError{{field, KindBadValue, fmt.Sprintf("%s: %s is not a valid %s", subject(field), display(k.Got), k.Want)}}
	case *kind.FalseSchema:
		return []SignatureError{{field, KindBadValue, fmt.Sprintf("%s: no value is allowed here", subject(field))}}
	}
	if len(ve.Causes) > 0 {
		var out []SignatureError
		for _, c := range ve.Causes {
			out = append(out, convert(doc, c)...)
		}
		return out
	}
	// minimum, maxLength, uniqueItems, not, ...: the library's wording.
	return []SignatureError{{field, KindBadValue, fmt.Sprintf("%s: %s", subject(field), kindText(ve))}}
}

func dependent(loc []string, prop string, missing []string) []SignatureError {
	var out []SignatureError
	given := fieldPath(append(slices.Clone(loc), prop))
	for _, m := range missing {
		f := fieldPath(append(slices.Clone(loc), m))
		out = append(out, SignatureError{f, KindMissingRequired, fmt.Sprintf("%q is required when %q is given but missing", f, given)})
	}
	return out
}

// alternatives reports a failed anyOf or oneOf. If every alternative failed
// only on the value's type, that is one wrong_type naming all the types
// allowed; if exactly one alternative had the right type, its errors are the
// ones that matter; otherwise one bad_value lists how each alternative failed.
func alternatives(doc any, ve *jsonschema.ValidationError) []SignatureError {
	field := fieldPath(ve.InstanceLocation)
	var (
		got         string
		want        []string
		typeOnlyAll = true
		typed       [][]SignatureError // alternatives failing on more than the type
		branches    [][]SignatureError
	)
	for _, c := range ve.Causes {
		errs := convert(doc, c)
		branches = append(branches, errs)
		var types []*kind.Type
		for _, l := range leaves(c) {
			if t, ok := l.ErrorKind.(*kind.Type); ok && fieldPath(l.InstanceLocation) == field {
				types = append(types, t)
			} else {
				types = nil
				break
			}
		}
		if len(types) == 0 {
			typeOnlyAll = false
			typed = append(typed, errs)
			continue
		}
		for _, t := range types {
			got = t.Got
			for _, w := range t.Want {
				if !slices.Contains(want, w) {
					want = append(want, w)
				}
			}
		}
	}
	switch {
	case typeOnlyAll && got != "":
		return []SignatureError{{field, KindWrongType, fmt.Sprintf("%s: %s where %s is expected", subject(field), article(got), wanted(got, want))}}
	case len(typed) == 1 && len(typed[0]) > 0:
		return typed[0]
	}
	var msgs []string
	for i, b := range branches {
		var ms []string
		for _, e := range b {
			ms = append(ms, e.Message)
		}
		msgs = append(msgs, fmt.Sprintf("alternative %d: %s", i, strings.Join(ms, "; ")))
	}
	return []SignatureError{{field, KindBadValue, fmt.Sprintf("%s: matches none of the allowed forms (%s)", subject(field), strings.Join(msgs, " | "))}}
}

// fieldPath writes an instance location as "files/0/path".
func fieldPath(loc []string) string {
	r := strings.NewReplacer("~", "~0", "/", "~1")
	parts := make([]string, len(loc))
	for i, tok := range loc {
		parts[i] = r.Replace(tok)
	}
	return strings.Join(parts, "/")
}

// subject is how a message names a field.
func subject(field string) string {
	if field == "" {
		return "the arguments"
	}
	return fmt.Sprintf("%q", field)
}

// article names a JSON type as a noun phrase: "a string", "an object".
func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "array", "integer", "object":
		return "an " + t
	}
	return "a " + t
}

// wanted names the types expected. An array given a string gets the plain
// words for the classic failure: a shell command line where an argument list
// was expected.
func wanted(got string, want []string) string {
	var ws []string
	for _, w := range want {
		switch {
		case w == "array" && got == "string":
			ws = append(ws, "an argument list (array)")
		case w == "array":
			ws = append(ws, "an array (list)")
		default:
			ws = append(ws, article(w))
		}
	}
	return strings.Join(ws, " or ")
}

// display is a value as JSON, cut short if long.
func display(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const limit = 80
	if len(b) > limit {
		return string(b[:limit]) + "..."
	}
	return string(b)
}

// lookup follows an instance location in a JSON value.
func lookup(doc any, loc []string) (any, bool) {
	v := doc
	for _, tok := range loc {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			var i int
			if _, err := fmt.Sscan(tok, &i); err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// propertyNames are the properties the sub-schema at schemaURL (an address
// inside the tool's schema, such as mem:///parameters.json#/properties/files/items)
// names, sorted.
func propertyNames(doc any, schemaURL string) []string {
	_, frag, ok := strings.Cut(schemaURL, "#")
	if !ok {
		return nil
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	var loc []string
	if frag = strings.TrimPrefix(frag, "/"); frag != "" {
		r := strings.NewReplacer("~1", "/", "~0", "~")
		for _, tok := range strings.Split(frag, "/") {
			loc = append(loc, r.Replace(tok))
		}
	}
	sub, ok := lookup(doc, loc)
	if !ok {
		return nil
	}
	m, _ := sub.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	var names []string
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
