package stats

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPareto(t *testing.T) {
	tests := []struct {
		name   string
		points []Point
		want   Frontier
	}{
		{
			name:   "empty",
			points: nil,
			want:   Frontier{Optimal: []string{}, DominatedBy: map[string][]string{}},
		},
		{
			// big: best quality; tiny: cheapest; mid: worse than big on quality
			// (0.7 < 0.9) and no cheaper (300 >= 200) -> dominated by big only.
			name: "three points, one dominated",
			points: []Point{
				{Label: "big", Quality: 0.9, Cost: 200},
				{Label: "mid", Quality: 0.7, Cost: 300},
				{Label: "tiny", Quality: 0.5, Cost: 50},
			},
			want: Frontier{
				Optimal:     []string{"big", "tiny"},
				DominatedBy: map[string][]string{"mid": {"big"}},
			},
		},
		{
			// Equal on one axis and strictly better on the other still dominates.
			name: "ties on one axis",
			points: []Point{
				{Label: "a", Quality: 0.8, Cost: 100},
				{Label: "b", Quality: 0.8, Cost: 150}, // same quality, costlier than a
				{Label: "c", Quality: 0.6, Cost: 100}, // same cost, worse than a
			},
			want: Frontier{
				Optimal:     []string{"a"},
				DominatedBy: map[string][]string{"b": {"a"}, "c": {"a"}},
			},
		},
		{
			// Identical points do not dominate each other; both beat the third.
			name: "identical points",
			points: []Point{
				{Label: "x", Quality: 0.5, Cost: 10},
				{Label: "y", Quality: 0.5, Cost: 10},
				{Label: "z", Quality: 0.4, Cost: 20},
			},
			want: Frontier{
				Optimal:     []string{"x", "y"},
				DominatedBy: map[string][]string{"z": {"x", "y"}},
			},
		},
		{
			// A chain: each point beats all later ones; dominators listed in input order.
			name: "chain",
			points: []Point{
				{Label: "worst", Quality: 0.1, Cost: 30},
				{Label: "best", Quality: 0.9, Cost: 10},
				{Label: "middle", Quality: 0.5, Cost: 20},
			},
			want: Frontier{
				Optimal:     []string{"best"},
				DominatedBy: map[string][]string{"worst": {"best", "middle"}, "middle": {"best"}},
			},
		},
		{
			name: "all trade-offs",
			points: []Point{
				{Label: "q", Quality: 0.9, Cost: 900},
				{Label: "r", Quality: 0.6, Cost: 300},
				{Label: "s", Quality: 0.3, Cost: 100},
			},
			want: Frontier{
				Optimal:     []string{"q", "r", "s"},
				DominatedBy: map[string][]string{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Pareto(tt.points)); diff != "" {
				t.Errorf("Pareto mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
