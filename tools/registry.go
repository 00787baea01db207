package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/jobs"
)

// Handler answers an MCP tool call (mcp-go's ToolHandlerFunc).
type Handler = func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error)

// Tool is one MCP tool of benchmcp as everything else sees it: the server
// registers it, --toolsets groups it, the job layer runs its long calls and
// the toolsnaps test pins its definition, all from Registry.
type Tool struct {
	// Definition is the tool as tools/list shows it.
	Definition func() mcp.Tool
	// Handler answers its calls on a service.
	Handler func(*Service) Handler
	// Toolset is the group --toolsets enables it with.
	Toolset string
	// Work, when set, runs a call of it as a durable job; the job's kind is
	// the tool's name.
	Work func(*Service) jobs.Work
	// NeedsJobs marks the tools that only make sense with a job manager (the
	// job tools): a service without one does not serve them.
	NeedsJobs bool
}

// Registry is every tool, in the order tools/list shows them.
var Registry = []Tool{
	{Definition: RunBenchmarkTool, Handler: (*Service).RunBenchmarkHandler, Toolset: "run", Work: func(s *Service) jobs.Work { return s.runJob }},
	{Definition: CompareModelsTool, Handler: (*Service).CompareModelsHandler, Toolset: "compare", Work: func(s *Service) jobs.Work { return s.compareJob }},
	{Definition: SweepTool, Handler: (*Service).SweepHandler, Toolset: "sweep", Work: func(s *Service) jobs.Work { return s.sweepJob }},
	{Definition: AnalyzeResultsTool, Handler: (*Service).AnalyzeResultsHandler, Toolset: "analyze"},
	// route_task runs as a job only for a cascade, which calls models.
	{Definition: RouteTaskTool, Handler: (*Service).RouteTaskHandler, Toolset: "route", Work: func(s *Service) jobs.Work { return s.routeJob }},
	{Definition: EvaluateRoutingTool, Handler: (*Service).EvaluateRoutingHandler, Toolset: "route", Work: func(s *Service) jobs.Work { return s.routeEvalJob }},
	{Definition: JobStatusTool, Handler: (*Service).JobStatusHandler, Toolset: "jobs", NeedsJobs: true},
	{Definition: JobResultTool, Handler: (*Service).JobResultHandler, Toolset: "jobs", NeedsJobs: true},
	{Definition: CancelJobTool, Handler: (*Service).CancelJobHandler, Toolset: "jobs", NeedsJobs: true},
	{Definition: ListJobsTool, Handler: (*Service).ListJobsHandler, Toolset: "jobs", NeedsJobs: true},
}

// Serve is the tool's handler on s as the server registers it: a call that
// names an argument the tool does not have is refused before it runs.
func (t Tool) Serve(s *Service) Handler {
	return strictArguments(t.Definition(), t.Handler(s))
}

// Toolsets are the names of the tool groups, in registry order: --toolsets
// takes them (and "all").
func Toolsets() []string {
	var out []string
	for _, t := range Registry {
		if !slices.Contains(out, t.Toolset) {
			out = append(out, t.Toolset)
		}
	}
	return out
}

// CheckToolsets refuses names that are not toolsets; empty means all.
func CheckToolsets(names []string) error {
	sets := Toolsets()
	for _, n := range names {
		if !slices.Contains(sets, n) && n != "all" {
			return fmt.Errorf("toolset %q is not one of %s, all", n, strings.Join(sets, ", "))
		}
	}
	return nil
}

// Enabled reports whether a tool's toolset is one of toolsets (none, or
// "all": every tool).
func (t Tool) Enabled(toolsets []string) bool {
	return len(toolsets) == 0 || slices.Contains(toolsets, "all") || slices.Contains(toolsets, t.Toolset)
}
