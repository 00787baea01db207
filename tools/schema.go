package tools

import (
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// OutputDepth is how deep a tool's output schema describes its objects:
// below it an object is just "an object". Tool definitions are context
// every agent pays for in every session (tools/list), so the schema names
// and describes the top-level fields and leaves the detail of the objects
// inside (summary, comparisons, cells) to the result itself and to docs.
// Nine tools at depth 2 cost about 11,800 tokens; at depth 1, about 8,400.
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
	cut(m, 0)
	raw, err := json.Marshal(m)
	if err != nil {
		return mcp.WithOutputSchema[T]()
	}
	return mcp.WithRawOutputSchema(raw)
}

// cut prunes schema s, an object or array schema at object depth d.
func cut(s map[string]any, d int) {
	if items, ok := s["items"].(map[string]any); ok {
		cut(items, d)
	}
	props, ok := s["properties"].(map[string]any)
	if !ok {
		return
	}
	if d >= OutputDepth {
		delete(s, "properties")
		delete(s, "required")
		delete(s, "additionalProperties")
		return
	}
	for _, p := range props {
		if ps, ok := p.(map[string]any); ok {
			if d+1 > OutputDepth {
				delete(ps, "description")
			}
			cut(ps, d+1)
		}
	}
}
