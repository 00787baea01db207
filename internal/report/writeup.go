package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/benchmcp/benchmcp/internal/findings"
)

// FindingsMarkdown renders a write-up: the summary, the numbered findings,
// the recommendations with their evidence, and the risk/mitigation table.
func FindingsMarkdown(w findings.Writeup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n### Executive summary\n\n%s\n\n### Findings\n\n", w.Title, w.ExecutiveSummary)
	for i, f := range w.Findings {
		fmt.Fprintf(&b, "%d. %s\n", i+1, f)
	}
	if len(w.Findings) > 0 {
		b.WriteString("\nPass-rate differences are paired tests over tasks (McNemar's exact test at one iteration, a sign-flip permutation test otherwise), Holm-adjusted across the comparisons; speeds are medians and are not tested.\n")
	}
	if len(w.Recommendations) > 0 {
		b.WriteString("\n### Recommendations\n\n")
		for i, r := range w.Recommendations {
			fmt.Fprintf(&b, "%d. **%s** Evidence%s: %s.\n", i+1, r.Action, findingRefs(r.Findings), r.Evidence)
		}
	}
	if len(w.Risks) > 0 {
		b.WriteString("\n### Risks\n\n| risk | evidence | mitigation |\n|---|---|---|\n")
		for _, r := range w.Risks {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cellText(r.Risk), cellText(r.Evidence), cellText(r.Mitigation))
		}
	}
	return b.String()
}

// findingRefs is " (findings 2, 5)" or "" for none.
func findingRefs(refs []int) string {
	if len(refs) == 0 {
		return ""
	}
	var s []string
	for _, r := range refs {
		s = append(s, strconv.Itoa(r))
	}
	word := "finding"
	if len(refs) > 1 {
		word = "findings"
	}
	return " (" + word + " " + strings.Join(s, ", ") + ")"
}
