package tools

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/analyze"
	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/memory"
)

// Limits and defaults of analyze_results.
const (
	DefaultAnalyzeLimit = 50
	MaxAnalyzeLimit     = 1000
)

// AnalyzeResultsArgs are the arguments of analyze_results.
type AnalyzeResultsArgs struct {
	Model            string   `json:"model,omitempty" jsonschema:"only runs of this model"`
	Suite            string   `json:"suite,omitempty" jsonschema:"only runs of this suite"`
	Tag              string   `json:"tag,omitempty" jsonschema:"only runs with this tag"`
	Status           string   `json:"status,omitempty" jsonschema:"completed (default), cancelled, interrupted, failed, running or all"`
	Since            string   `json:"since,omitempty" jsonschema:"runs since: RFC3339 or duration ago (168h)"`
	Until            string   `json:"until,omitempty" jsonschema:"runs before: RFC3339 or duration ago"`
	Limit            int      `json:"limit,omitempty" jsonschema:"most recent runs, 1-1000 (default 50)"`
	BaselineRunID    string   `json:"baseline_run_id,omitempty" jsonschema:"baseline run (default stored baseline, else oldest)"`
	HTMLPath         string   `json:"html_path,omitempty" jsonschema:"write an HTML report (.html)"`
	IncludeHTML      bool     `json:"include_html,omitempty" jsonschema:"also return the HTML as a resource"`
	AllowDifferences []string `json:"allow_differences,omitempty" jsonschema:"baselines may differ in: digest, options, preamble, host, ollama_version, engine or all"`
}

// AnalyzeResultsResult is what analyze_results returns.
type AnalyzeResultsResult struct {
	Runs        []analyze.RunRow  `json:"runs" jsonschema:"selected runs, newest first"`
	Trends      []analyze.Trend   `json:"trends" jsonschema:"pass rate and latency over time"`
	Regressions []analyze.Check   `json:"regressions" jsonschema:"each run vs its baseline"`
	Anomalies   []analyze.Anomaly `json:"anomalies" jsonschema:"runaways, errors, reloads, latency outliers"`
	Findings    []string          `json:"findings" jsonschema:"short sentences to act on"`
	ReportPath  string            `json:"report_path,omitempty" jsonschema:"HTML report path"`
}

// AnalyzeResultsTool is the MCP definition of analyze_results.
func AnalyzeResultsTool() mcp.Tool {
	return mcp.NewTool("analyze_results",
		mcp.WithDescription("Analyse stored runs: pass rates with CIs, trends, "+
			"regressions vs baselines, anomalies, findings; optional HTML report."),
		mcp.WithInputSchema[AnalyzeResultsArgs](),
		outputSchema[AnalyzeResultsResult](),
		mcp.WithTitleAnnotation("Analyze results"),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(false),
	)
}

// AnalyzeResultsHandler is the MCP handler of analyze_results.
func (s *Service) AnalyzeResultsHandler() func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewTypedToolHandler(func(ctx context.Context, req mcp.CallToolRequest, args AnalyzeResultsArgs) (*mcp.CallToolResult, error) {
		res, md, html, err := s.AnalyzeResults(ctx, args)
		if err != nil {
			return toolError(err)
		}
		out := mcp.NewToolResultStructured(res, md)
		if args.IncludeHTML {
			out.Content = append(out.Content, mcp.NewEmbeddedResource(mcp.TextResourceContents{
				URI: "benchmcp://analysis.html", MIMEType: "text/html", Text: html,
			}))
		}
		return out, nil
	})
}

// AnalyzeResults analyses the stored runs that args select; it returns the
// result, its markdown and its HTML page, written to args.HTMLPath if set.
func (s *Service) AnalyzeResults(ctx context.Context, args AnalyzeResultsArgs) (*AnalyzeResultsResult, string, string, error) {
	defer s.track()()
	f, ts, err := s.checkAnalyze(args, time.Now())
	if err != nil {
		return nil, "", "", err
	}
	a, selected, err := analyze.FromStore(ctx, s.Store, f, args.BaselineRunID, args.AllowDifferences)
	if err != nil {
		return nil, "", "", err
	}
	res := &AnalyzeResultsResult{Runs: a.Runs, Trends: a.Trends, Regressions: a.Regressions, Anomalies: a.Anomalies, Findings: a.Findings}
	if selected == 0 {
		res.Findings = append(res.Findings, "No runs match these filters (status defaults to completed); widen them, or run one with run_benchmark.")
	}
	var page bytes.Buffer
	if err := report.AnalyzeHTML(&page, analyzeTitle(args), a); err != nil {
		return nil, "", "", fmt.Errorf("analyze results: render html: %w", err)
	}
	written, err := writeReports(ts, nil, page.String)
	if err != nil {
		return nil, "", "", err
	}
	if len(written) > 0 {
		res.ReportPath = written[0]
	}
	md := report.AnalyzeMarkdown(a)
	if res.ReportPath != "" {
		md += "\nHTML report: " + res.ReportPath + "\n"
	}
	return res, md, page.String(), nil
}

// checkAnalyze checks analyze_results arguments before the store is read:
// the filter they make, the differences allowed and the report path.
func (s *Service) checkAnalyze(args AnalyzeResultsArgs, now time.Time) (memory.Filter, []artifact.Target, error) {
	f, err := analyzeFilter(args, now)
	if err != nil {
		return f, nil, err
	}
	if err := compare.CheckAllowed(args.AllowDifferences); err != nil {
		return f, nil, &UserError{Err: err}
	}
	ts, err := s.reportTargets("html_path", args.HTMLPath, artifact.HTML)
	return f, ts, err
}

// analyzeFilter turns the arguments into a store filter, times relative to now.
func analyzeFilter(args AnalyzeResultsArgs, now time.Time) (memory.Filter, error) {
	f := memory.Filter{Model: args.Model, Suite: args.Suite, Tag: args.Tag, Limit: args.Limit}
	switch {
	case args.Status == "":
		f.Status = record.StatusCompleted
	case strings.EqualFold(args.Status, "all"):
	default:
		st, err := record.ParseStatus(args.Status)
		if err != nil {
			return f, userErrorf("status %q is not one of: %s, all", args.Status, record.Names(record.Statuses))
		}
		f.Status = st
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultAnalyzeLimit
	case f.Limit < 1 || f.Limit > MaxAnalyzeLimit:
		return f, userErrorf("limit %d is out of range; give 1 to %d", args.Limit, MaxAnalyzeLimit)
	}
	var err error
	if f.Since, err = parseWhen("since", args.Since, now); err != nil {
		return f, err
	}
	if f.Until, err = parseWhen("until", args.Until, now); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, userErrorf("since (%s) is not before until (%s); nothing can match", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	return f, nil
}

// parseWhen reads an RFC3339 time or a duration meaning that long before now.
func parseWhen(name, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, userErrorf("%s %q is neither an RFC3339 time (2026-03-01T00:00:00Z) nor a positive duration ago (168h for a week)", name, v)
	}
	return now.Add(-d), nil
}

func analyzeTitle(args AnalyzeResultsArgs) string {
	parts := []string{"benchmcp analysis"}
	for _, p := range [][2]string{{"model", args.Model}, {"suite", args.Suite}, {"tag", args.Tag}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+p[1])
		}
	}
	return strings.Join(parts, ", ")
}
