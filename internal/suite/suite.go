// Package suite defines benchmark suites: named lists of tasks, each a prompt
// (with an optional system prompt, tools and Ollama options) and the checks
// that score a model's answer. Suites are written in JSON or YAML; a few are
// built in.
package suite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ollama/ollama/api"
	"gopkg.in/yaml.v3"

	"github.com/benchmcp/benchmcp/internal/agent"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/option"
)

// Suite is a named list of tasks, as written in a suite file.
type Suite struct {
	Name        string `json:"name" jsonschema:"suite name, reported with every run"`
	Description string `json:"description,omitempty" jsonschema:"what the suite measures"`
	Tasks       []Task `json:"tasks" jsonschema:"the tasks, run in order"`
}

// Task is one prompt put to a model and the checks that score the answer.
type Task struct {
	ID       string `json:"id" jsonschema:"unique task id"`
	Category string `json:"category,omitempty" jsonschema:"task family"`
	Prompt   string `json:"prompt" jsonschema:"user message"`
	// System is the task's own system prompt; the runner combines it with a
	// run's preamble.
	System string `json:"system,omitempty" jsonschema:"system prompt"`
	// Tools are Ollama tool definitions passed with the prompt.
	Tools []api.Tool `json:"tools,omitempty" jsonschema:"tool definitions"`
	// Options are per-task Ollama options (temperature, num_ctx, ...).
	Options map[string]any `json:"options,omitempty" jsonschema:"Ollama options"`
	Checks  []check.Spec   `json:"checks,omitempty" jsonschema:"checks to pass"`
	// Agent makes the task a multi-turn tool-use loop over its tools.
	Agent *agent.Spec `json:"agent,omitempty" jsonschema:"agentic spec (docs/agentic.md)"`
}

// Parse reads a suite from JSON or YAML. The document is either an object
// {name, description, tasks} or a bare list of tasks; name is the suite's
// name when the document gives none, and names the source in errors. YAML
// is decoded to plain values and re-encoded as JSON, so the json tags define
// both formats. Unknown fields are errors. Parse does not validate; see
// [Suite.Validate].
func Parse(data []byte, name string) (Suite, error) {
	js, err := toJSON(data)
	if err != nil {
		return Suite{}, fmt.Errorf("parse suite %s: %w", name, err)
	}
	var s Suite
	if bytes.HasPrefix(js, []byte("[")) {
		err = decodeStrict(js, &s.Tasks)
	} else {
		err = decodeStrict(js, &s)
	}
	if err != nil {
		return Suite{}, fmt.Errorf("parse suite %s: %w", name, err)
	}
	if s.Name == "" {
		s.Name = name
	}
	return s, nil
}

// toJSON returns data as compact JSON: as is when it is JSON, converted when
// it is YAML (which must hold an object or a list).
func toJSON(data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty document; write an object with name and tasks, or a list of tasks")
	}
	if (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(trimmed) {
		return trimmed, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	// yaml.v3 stops after the first document (or flow collection) without
	// complaint; a second Decode finds whatever follows.
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, fmt.Errorf("line %d: a second YAML document; a suite file holds one", extra.Line)
	case !errors.Is(err, io.EOF):
		return nil, err
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	for root.Kind == yaml.AliasNode {
		root = root.Alias
	}
	if root.Kind != yaml.MappingNode && root.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: expected an object with name and tasks, or a list of tasks", root.Line)
	}
	c := converter{aliased: map[*yaml.Node][]byte{}, merged: map[*yaml.Node][]pair{}}
	if err := c.writeJSON(root, 0); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

// MaxJSON is the most JSON a YAML suite may expand to. Aliases repeat what
// they name, so a few lines that alias one another ("billion laughs") would
// otherwise expand without bound.
const MaxJSON = 16 << 20

// converter writes a YAML document as JSON. It remembers what each
// aliased node became, and each mapping's merged pairs, so that aliases of
// aliases cost their output and not a walk per repetition.
type converter struct {
	buf     bytes.Buffer
	aliased map[*yaml.Node][]byte
	merged  map[*yaml.Node][]pair
}

// writeJSON writes a YAML node as JSON, keeping the order of mapping keys
// (so tool parameters keep the order their author gave them).
func (c *converter) writeJSON(n *yaml.Node, depth int) error {
	buf := &c.buf
	if depth > 100 {
		return fmt.Errorf("line %d: document nested too deeply (or an alias refers to itself)", n.Line)
	}
	if buf.Len() > MaxJSON {
		return fmt.Errorf("line %d: the document expands to more than %d MiB (aliases that repeat one another?)", n.Line, MaxJSON>>20)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if b, ok := c.aliased[n.Alias]; ok {
			buf.Write(b)
			return nil
		}
		start := buf.Len()
		if err := c.writeJSON(n.Alias, depth+1); err != nil {
			return err
		}
		c.aliased[n.Alias] = bytes.Clone(buf.Bytes()[start:])
		return nil
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := c.writeJSON(item, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		pairs, err := c.mappingPairs(n, depth)
		if err != nil {
			return err
		}
		buf.WriteByte('{')
		for i, p := range pairs {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(p.key)
			buf.Write(k)
			buf.WriteByte(':')
			if err := c.writeJSON(p.value, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: value %q cannot be written as JSON: %w", n.Line, n.Value, err)
		}
		buf.Write(b)
		return nil
	default:
		return fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
}

type pair struct {
	key   string
	value *yaml.Node
}

// mappingPairs returns a mapping's keys and values in order, with merge keys
// (<<: *anchor) expanded and later keys overriding earlier ones.
func (c *converter) mappingPairs(n *yaml.Node, depth int) ([]pair, error) {
	if pairs, ok := c.merged[n]; ok {
		return pairs, nil
	}
	var pairs []pair
	at := map[string]int{}
	set := func(p pair) {
		if i, ok := at[p.key]; ok {
			pairs[i].value = p.value
			return
		}
		at[p.key] = len(pairs)
		pairs = append(pairs, p)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			var sources []*yaml.Node
			for v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			if v.Kind == yaml.SequenceNode {
				sources = v.Content
			} else {
				sources = []*yaml.Node{v}
			}
			for _, src := range sources {
				for src.Kind == yaml.AliasNode {
					src = src.Alias
				}
				if src.Kind != yaml.MappingNode || depth > 100 {
					return nil, fmt.Errorf("line %d: a merge key (<<) needs a mapping", k.Line)
				}
				merged, err := c.mappingPairs(src, depth+1)
				if err != nil {
					return nil, err
				}
				for _, p := range merged {
					set(p)
				}
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: mapping keys must be plain strings", k.Line)
		}
		set(pair{key: k.Value, value: v})
	}
	c.merged[n] = pairs
	return pairs, nil
}

// decodeStrict decodes one JSON value into v, rejecting unknown fields and
// trailing data.
func decodeStrict(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the suite")
	}
	return nil
}

// Load returns a validated suite: a built-in one by name, or one read from
// a .json, .yaml or .yml file.
func Load(ref string) (Suite, error) {
	if s, ok := Builtin(ref); ok {
		return s, nil
	}
	ext := strings.ToLower(filepath.Ext(ref))
	if ext != ".json" && ext != ".yaml" && ext != ".yml" {
		return Suite{}, fmt.Errorf("suite %q is not a built-in suite (%s) nor a .json, .yaml or .yml file", ref, strings.Join(BuiltinNames(), ", "))
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Suite{}, fmt.Errorf("suite file %s does not exist; give a suite file path or a built-in suite (%s)", ref, strings.Join(BuiltinNames(), ", "))
		}
		return Suite{}, fmt.Errorf("read suite file: %w", err)
	}
	s, err := Parse(data, strings.TrimSuffix(filepath.Base(ref), filepath.Ext(ref)))
	if err != nil {
		return Suite{}, fmt.Errorf("load %s: %w", ref, err)
	}
	if err := s.Validate(); err != nil {
		return Suite{}, fmt.Errorf("load %s: %w", ref, err)
	}
	return s, nil
}

// Validate reports everything wrong with the suite at once (joined with
// errors.Join): missing or duplicate ids, empty prompts, tasks without
// checks, checks that do not compile, tool definitions without a function
// name, tool_call checks naming a tool the task does not pass, and unknown
// Ollama options. Each problem names the task and what to fix.
func (s Suite) Validate() error {
	var errs []error
	if strings.TrimSpace(s.Name) == "" {
		errs = append(errs, errors.New("suite has no name; set name"))
	}
	if len(s.Tasks) == 0 {
		errs = append(errs, fmt.Errorf("suite %s has no tasks; add at least one under tasks", s.Name))
	}
	seen := map[string]int{}
	for i, t := range s.Tasks {
		where := fmt.Sprintf("task %q", t.ID)
		switch {
		case strings.TrimSpace(t.ID) == "":
			where = fmt.Sprintf("task #%d", i+1)
			errs = append(errs, fmt.Errorf("%s: id is empty; give every task a unique id", where))
		case seen[t.ID] > 0:
			errs = append(errs, fmt.Errorf("%s: duplicate id (tasks #%d and #%d); task ids must be unique", where, seen[t.ID], i+1))
		default:
			seen[t.ID] = i + 1
		}
		errs = append(errs, t.validate(where)...)
	}
	return errors.Join(errs...)
}

func (t Task) validate(where string) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %w", where, fmt.Errorf(format, args...)))
	}
	if strings.TrimSpace(t.Prompt) == "" {
		fail("prompt is empty; write the user message in prompt")
	}
	tools := map[string]bool{}
	for j, tool := range t.Tools {
		name := tool.Function.Name
		switch {
		case strings.TrimSpace(name) == "":
			fail("tool #%d has no function name; set tools[%d].function.name", j+1, j)
		case tools[name]:
			fail("tool %q is defined twice", name)
		}
		if tool.Type != "" && tool.Type != "function" {
			fail("tool %q has type %q; Ollama tools have type \"function\"", name, tool.Type)
		}
		tools[name] = true
	}
	if t.Agent != nil {
		for _, err := range t.Agent.Validate(t.Tools, len(t.Checks) > 0) {
			fail("%w", err)
		}
	} else if len(t.Checks) == 0 {
		fail("no checks; add at least one check (exact, contains, regex, ...) under checks")
	}
	for j, spec := range t.Checks {
		if _, err := check.Compile(spec); err != nil {
			fail("check #%d: %w", j+1, err)
			continue
		}
		if spec.Type == "tool_call" && !tools[spec.Name] {
			if len(t.Tools) == 0 {
				fail("check #%d expects a call to %q but the task passes no tools; add the tool definition under tools", j+1, spec.Name)
			} else {
				fail("check #%d expects a call to %q but the task passes no tool by that name (it passes %s)", j+1, spec.Name, strings.Join(slices.Sorted(maps.Keys(tools)), ", "))
			}
		}
	}
	if err := option.Check("options", t.Options); err != nil {
		fail("%w", err)
	}
	return errs
}

// Hash identifies the suite's content: the first 16 hex digits of the
// SHA-256 of its JSON encoding. Any change to a task changes it. It is empty
// for a suite that cannot be encoded as JSON (a NaN in options), which
// Validate reports.
func (s Suite) Hash() string {
	b, err := json.Marshal(s)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// Filter returns the suite with only the tasks whose id is in ids or whose
// category is in categories, in their original order. With both lists
// empty it returns the suite unchanged. Ids and categories that match no
// task are ignored; callers that must report them can compare lengths.
func (s Suite) Filter(ids, categories []string) Suite {
	if len(ids) == 0 && len(categories) == 0 {
		return s
	}
	out := s
	out.Tasks = []Task{}
	for _, t := range s.Tasks {
		if slices.Contains(ids, t.ID) || (t.Category != "" && slices.Contains(categories, t.Category)) {
			out.Tasks = append(out.Tasks, t)
		}
	}
	return out
}
