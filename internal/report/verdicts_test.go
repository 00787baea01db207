package report

import (
	"testing"

	"github.com/benchmcp/benchmcp/internal/compare"
)

func TestTaskWhy(t *testing.T) {
	cell := func(label string, pass, score, ms float64) compare.TaskCell {
		return compare.TaskCell{Label: label, Samples: 2, PassRate: pass, MeanScore: score, LatencyP50Ms: ms}
	}
	for _, tc := range []struct {
		row  compare.TaskRow
		want string
	}{
		{compare.TaskRow{Winner: "b", Variants: []compare.TaskCell{cell("a", 0.5, 0.5, 10), cell("b", 1, 1, 20)}}, "higher pass rate: a 1/2, b 2/2"},
		{compare.TaskRow{Winner: "b", Variants: []compare.TaskCell{cell("a", 1, 0.8, 10), cell("b", 1, 0.9, 20)}}, "same pass rate (a 2/2, b 2/2), higher mean score: b 0.90 against a 0.80"},
		{compare.TaskRow{Winner: compare.Tie, Variants: []compare.TaskCell{cell("a", 1, 1, 30), cell("b", 1, 1, 20), cell("c", 0, 0, 5)}},
			"tie on pass rate and score (a 2/2, b 2/2, c 0/2); fastest of the tied: b at 20.0 ms"},
		{compare.TaskRow{Variants: []compare.TaskCell{{Label: "a"}}}, "no variant has samples of this task"},
	} {
		if got := TaskWhy(tc.row); got != tc.want {
			t.Errorf("TaskWhy = %q, want %q", got, tc.want)
		}
	}
}
