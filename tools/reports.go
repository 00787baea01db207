package tools

import (
	"slices"
	"strings"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/report"
)

// reportTargets checks a report path against the reports directory and the
// formats the caller writes, before anything runs; nothing is written.
// where names the argument in errors (report_path, html_path).
func (s *Service) reportTargets(where, path string, formats ...string) ([]artifact.Target, error) {
	if path == "" {
		return nil, nil
	}
	ts, err := s.Reports.Resolve(path)
	if err != nil {
		return nil, userErrorf("%s: %v", where, err)
	}
	for _, t := range ts {
		if !slices.Contains(formats, t.Format) {
			return nil, userErrorf("%s %s: this report is written as %s only; use the .%s extension", where, path, strings.Join(formats, " or "), formats[0])
		}
	}
	return ts, nil
}

// writeReports writes each target in its format, markdown or HTML, and
// returns the paths written.
func writeReports(ts []artifact.Target, markdown, html func() string) ([]string, error) {
	var out []string
	for _, t := range ts {
		content := markdown
		if t.Format == artifact.HTML {
			content = html
		}
		if err := artifact.Write(t, []byte(content())); err != nil {
			return out, &UserError{Err: err}
		}
		out = append(out, t.Path)
	}
	return out, nil
}

// sideBySide writes the side-by-side artifact of a comparison (or a
// sweep's cells) to the report path's targets.
func (s *Service) sideBySide(ts []artifact.Target, title string, cr compare.Result, vs []compare.Variant) ([]string, error) {
	if len(ts) == 0 || len(vs) == 0 {
		return nil, nil
	}
	sb := report.SideBySide{Title: title, Result: cr, Variants: vs, Prompts: compare.Prompts(s.Store, vs[0].Run.SuiteHash)}
	return writeReports(ts, func() string { return report.SideBySideMarkdown(sb) }, func() string { return report.SideBySideHTML(sb) })
}
