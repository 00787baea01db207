package tools

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestToolSnapshots compares each tool's definition (name, description,
// annotations, input and output schema) with testdata/toolsnaps/<name>.json,
// so any change to the public contract shows in review.
// UPDATE_TOOLSNAPS=1 rewrites the snapshots.
func TestToolSnapshots(t *testing.T) {
	for _, reg := range Registry {
		tool := reg.Definition()
		got, err := json.MarshalIndent(tool, "", "  ")
		if err != nil {
			t.Fatalf("%s: marshal: %v (a broken tool makes tools/list return an empty body)", tool.Name, err)
		}
		path := filepath.Join("..", "testdata", "toolsnaps", tool.Name+".json")
		if os.Getenv("UPDATE_TOOLSNAPS") != "" {
			if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v; run UPDATE_TOOLSNAPS=1 go test ./tools -run TestToolSnapshots", tool.Name, err)
		}
		var w, g any
		_ = json.Unmarshal(want, &w)
		_ = json.Unmarshal(got, &g)
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("%s schema changed (-snapshot +now); if intended, run UPDATE_TOOLSNAPS=1 go test ./tools -run TestToolSnapshots:\n%s", tool.Name, diff)
		}
		if tool.Annotations.ReadOnlyHint == nil || tool.Annotations.DestructiveHint == nil || tool.Annotations.IdempotentHint == nil || tool.Annotations.OpenWorldHint == nil {
			t.Errorf("%s: every annotation hint must be set explicitly: %+v", tool.Name, tool.Annotations)
		}
	}
}

// TestTasksAreTyped: the inline tasks of the tools that take them are
// described by the suite's own task schema, agentic spec included.
func TestTasksAreTyped(t *testing.T) {
	for _, mk := range []func() mcp.Tool{RunBenchmarkTool, CompareModelsTool, SweepTool} {
		tool := mk()
		var s struct {
			Properties struct {
				Tasks struct {
					Items struct {
						Properties map[string]any `json:"properties"`
						Required   []string       `json:"required"`
					} `json:"items"`
				} `json:"tasks"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(tool.RawInputSchema, &s); err != nil {
			t.Fatal(err)
		}
		p := s.Properties.Tasks.Items.Properties
		for _, f := range []string{"id", "prompt", "checks", "tools", "agent"} {
			if _, ok := p[f]; !ok {
				t.Errorf("%s: tasks items have no %q: %v", tool.Name, f, p)
			}
		}
		agent, _ := p["agent"].(map[string]any)
		if ap, _ := agent["properties"].(map[string]any); ap["max_steps"] == nil || ap["expect"] == nil {
			t.Errorf("%s: the agent spec is not described: %v", tool.Name, agent)
		}
	}
}
