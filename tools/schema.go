package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/suite"
)

// OutputDepth is how deep a tool's output schema describes its objects:
// below it an object is just "an object". Tool definitions are context
// every agent pays for in every session (tools/list), so the schema names
// and describes the top-level fields and leaves the detail of the objects
// inside (summary, comparisons, cells) to the result itself and to docs.
// At depth 1 the ten tools cost about 29,500 characters; depth 2 adds about
// 16,300 more.
const OutputDepth = 1

// outputSchema is mcp.WithOutputSchema[T] cut to OutputDepth levels of
// objects. The result still validates every structured result of T: a cut
// object accepts any object.
func outputSchema[T any]() mcp.ToolOption {
	var full mcp.Tool
	mcp.WithOutputSchema[T]()(&full)
	b, err := json.Marshal(full.OutputSchema)
	if err != nil {
		return mcp.WithOutputSchema[T]()
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return mcp.WithOutputSchema[T]()
	}
	cut(m, 0, OutputDepth)
	raw, err := json.Marshal(m)
	if err != nil {
		return mcp.WithOutputSchema[T]()
	}
	return mcp.WithRawOutputSchema(raw)
}

// terseOutputSchema is outputSchema without the top-level descriptions:
// for a tool that returns a type another tool already describes
// (cancel_job returns what job_status describes).
func terseOutputSchema[T any]() mcp.ToolOption {
	return func(t *mcp.Tool) {
		outputSchema[T]()(t)
		var m map[string]any
		if json.Unmarshal(t.RawOutputSchema, &m) != nil {
			return
		}
		if props, ok := m["properties"].(map[string]any); ok {
			for _, p := range props {
				if ps, ok := p.(map[string]any); ok {
					delete(ps, "description")
				}
			}
		}
		if raw, err := json.Marshal(m); err == nil {
			t.RawOutputSchema = raw
		}
	}
}

// cut prunes schema s, an object or array schema at object depth d, to
// depth levels of objects: below that an object is just "an object", and
// only the fields of the top level keep their descriptions.
func cut(s map[string]any, d, depth int) {
	if items, ok := s["items"].(map[string]any); ok {
		cut(items, d, depth)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok { // a map's values
		cut(ap, d, depth)
	}
	props, ok := s["properties"].(map[string]any)
	if !ok {
		return
	}
	if d >= depth {
		delete(s, "properties")
		delete(s, "required")
		delete(s, "additionalProperties")
		return
	}
	for _, p := range props {
		if ps, ok := p.(map[string]any); ok {
			if d >= 1 {
				delete(ps, "description")
			}
			cut(ps, d+1, depth)
		}
	}
}

// TaskDepth is how deep the tools' input schemas describe an inline task:
// its fields, and the fields of its checks, tools and agent spec.
const TaskDepth = 2

// inputSchema is mcp.WithInputSchema[T] with a "checks" property cut to
// its fields, and its "tasks" property, inline
// suite tasks (a []map[string]any in T, so that suite.Parse validates them
// as it validates a file), described by suite.Task's own schema cut to
// TaskDepth: an agent sees what a task, a check and an agentic spec hold.
func inputSchema[T any]() mcp.ToolOption {
	return func(t *mcp.Tool) {
		mcp.WithInputSchema[T]()(t)
		t.RawInputSchema = reword[T](t.RawInputSchema)
		var m map[string]any
		if json.Unmarshal(t.RawInputSchema, &m) != nil {
			return
		}
		props, _ := m["properties"].(map[string]any)
		if checks, ok := props["checks"].(map[string]any); ok {
			// A check's fields, named but not described (route_task's
			// description points at the suite's check format).
			cut(checks, 1, 2)
			if raw, err := json.Marshal(m); err == nil {
				t.RawInputSchema = raw
			}
		}
		tasks, ok := props["tasks"].(map[string]any)
		if !ok {
			return
		}
		var task mcp.Tool
		mcp.WithOutputSchema[suite.Task]()(&task)
		b, err := json.Marshal(task.OutputSchema)
		var ts map[string]any
		if err != nil || json.Unmarshal(b, &ts) != nil {
			return
		}
		cut(ts, 0, TaskDepth)
		tasks["items"] = ts
		if raw, err := json.Marshal(m); err == nil {
			t.RawInputSchema = raw
		}
	}
}

// strictArguments refuses, before h runs, a call that names an argument
// the tool's input schema does not have: the schema says
// additionalProperties: false, and binding the arguments to the tool's
// Args would drop an unknown one silently ("iteratons": 3 running one
// iteration). The refusal names the nearest argument, or lists them all.
func strictArguments(def mcp.Tool, h Handler) Handler {
	known := inputProperties(def)
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if err := unknownArguments(def.Name, known, req.GetArguments()); err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return h(ctx, req)
	}
}

// inputProperties are the argument names of a tool's input schema, sorted.
func inputProperties(def mcp.Tool) []string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	raw := def.RawInputSchema
	if len(raw) == 0 {
		raw, _ = json.Marshal(def.InputSchema)
	}
	_ = json.Unmarshal(raw, &s)
	return slices.Sorted(maps.Keys(s.Properties))
}

// unknownArguments says which of args' names are not among known, with
// the nearest known name of each or the list of them; nil when all are known.
func unknownArguments(tool string, known []string, args map[string]any) error {
	var bad []string
	for _, name := range slices.Sorted(maps.Keys(args)) {
		if slices.Contains(known, name) {
			continue
		}
		if near := option.Closest(name, known); near != "" {
			bad = append(bad, fmt.Sprintf("%q (did you mean %q?)", name, near))
		} else {
			bad = append(bad, fmt.Sprintf("%q", name))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s has no argument %s; nothing was run or stored. Its arguments are: %s",
		tool, strings.Join(bad, ", "), strings.Join(known, ", "))
}
