package tools

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/internal/suite"
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

// prompts is each task's prompt of the stored suite with this hash; empty
// when the suite is not stored.
func (s *Service) prompts(hash string) map[string]string {
	out := map[string]string{}
	name, content, err := s.Store.Suite(hash)
	if err != nil {
		return out
	}
	st, err := suite.Parse(content, name)
	if err != nil {
		return out
	}
	for _, t := range st.Tasks {
		out[t.ID] = t.Prompt
	}
	return out
}

// sideBySide writes the side-by-side artifact of a comparison (or a
// sweep's cells) to the report path's targets.
func (s *Service) sideBySide(ts []artifact.Target, title string, cr compare.Result, vs []compare.Variant) ([]string, error) {
	if len(ts) == 0 || len(vs) == 0 {
		return nil, nil
	}
	sb := report.SideBySide{Title: title, Result: cr, Variants: vs, Prompts: s.prompts(vs[0].Run.SuiteHash)}
	return writeReports(ts, func() string { return report.SideBySideMarkdown(sb) }, func() string { return report.SideBySideHTML(sb) })
}

// pairwiseJudge is compare_models' pairwise judge, resolved.
type pairwiseJudge struct {
	name    string // as given
	host    string
	timeout time.Duration
	judge   *check.Pairwise
}

// pairwiseJudge checks a pairwise_judge argument (model or model@host);
// nil for "".
func (s *Service) pairwiseJudge(spec string, timeoutS float64) (*pairwiseJudge, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	c, err := s.resolveCandidate("pairwise_judge", spec, "")
	if err != nil {
		return nil, err
	}
	p, err := check.NewPairwise(c.Model, "", "")
	if err != nil {
		return nil, userErrorf("pairwise_judge: %v", err)
	}
	timeout := time.Duration(timeoutS * float64(time.Second))
	if timeout == 0 {
		timeout = DefaultRouteTimeout
	}
	return &pairwiseJudge{name: c.Name(), host: c.Host, timeout: timeout, judge: p}, nil
}

// judgePairs asks the pairwise judge about every variant against the
// baseline, on the tasks' prompts.
func (s *Service) judgePairs(ctx context.Context, pw *pairwiseJudge, cr *compare.Result, vs []compare.Variant) {
	byLabel := map[string]compare.Variant{}
	for _, v := range vs {
		byLabel[v.Label] = v
	}
	if len(vs) == 0 {
		return
	}
	prompts := s.prompts(vs[0].Run.SuiteHash)
	judge := bench.Judge(s.Exec, pw.host, pw.timeout)
	for i := range cr.Comparisons {
		c := &cr.Comparisons[i]
		c.Pairwise = compare.Pairwise(ctx, pw.name, byLabel[c.A], byLabel[c.B], func(ctx context.Context, task, a, b string) check.PairVerdict {
			return pw.judge.Compare(ctx, judge, prompts[task], a, b)
		})
	}
}
