package stats

import (
	"math"
	"slices"
	"testing"
)

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol
}

func TestMean(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{7}, 7},
		{"four", []float64{1, 2, 3, 4}, 2.5},     // 10/4
		{"signed", []float64{-3, 1, 5}, 1},       // 3/3
		{"fractions", []float64{0.5, 1, 0}, 0.5}, // 1.5/3
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mean(tt.xs); !near(got, tt.want, 1e-12) {
				t.Errorf("Mean(%v) = %v, want %v", tt.xs, got, tt.want)
			}
		})
	}
}

func TestStdDev(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{3}, 0},
		{"constant", []float64{2, 2, 2}, 0},
		// mean 2.5; squared deviations 2.25+0.25+0.25+2.25 = 5; 5/3; sqrt = 1.2909944487
		{"1..4", []float64{1, 2, 3, 4}, 1.2909944487358056},
		// mean 5; squares 9+1+1+1+0+0+4+16 = 32; 32/7 = 4.5714285714; sqrt = 2.1380899353
		{"2,4,4,4,5,5,7,9", []float64{2, 4, 4, 4, 5, 5, 7, 9}, 2.138089935299395},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StdDev(tt.xs); !near(got, tt.want, 1e-9) {
				t.Errorf("StdDev(%v) = %v, want %v", tt.xs, got, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"empty", nil, 50, 0},
		{"single", []float64{42}, 95, 42},
		{"p0 is min", []float64{4, 1, 3, 2}, 0, 1},
		{"p100 is max", []float64{4, 1, 3, 2}, 100, 4},
		{"median of 1..4", []float64{1, 2, 3, 4}, 50, 2.5}, // h = 3*0.50 = 1.5  -> 2 + 0.5*(3-2)  = 2.5
		{"p95 of 1..4", []float64{1, 2, 3, 4}, 95, 3.85},   // h = 3*0.95 = 2.85 -> 3 + 0.85*(4-3) = 3.85
		{"p25 of 1..4", []float64{1, 2, 3, 4}, 25, 1.75},   // h = 3*0.25 = 0.75 -> 1 + 0.75*(2-1) = 1.75
		{"unsorted input", []float64{30, 10, 20}, 50, 20},  // sorted 10,20,30; h = 2*0.5 = 1 -> 20
		{"p90 of 10,20,30", []float64{30, 10, 20}, 90, 28}, // h = 2*0.9 = 1.8 -> 20 + 0.8*10 = 28
		{"p99 of 0..100", seq(0, 100), 99, 99},             // h = 100*0.99 = 99 -> 99
		{"p clamped below", []float64{1, 2}, -5, 1},        // p -> 0
		{"p clamped above", []float64{1, 2}, 120, 2},       // p -> 100
		{"duplicates", []float64{5, 5, 1, 5}, 10, 2.2},     // sorted 1,5,5,5; h = 3*0.1 = 0.3 -> 1 + 0.3*4 = 2.2
		{"negative", []float64{-10, 0, 10}, 75, 5},         // h = 2*0.75 = 1.5 -> 0 + 0.5*10 = 5
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.xs)
			if got := Percentile(tt.xs, tt.p); !near(got, tt.want, 1e-9) {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.xs, tt.p, got, tt.want)
			}
			if !slices.Equal(in, tt.xs) {
				t.Errorf("Percentile modified its input: %v, was %v", tt.xs, in)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3, 1, 2}, 2},         // middle of 1,2,3
		{[]float64{4, 1, 3, 2}, 2.5},    // (2+3)/2
		{[]float64{100, 1, 2, 3, 4}, 3}, // middle of 1,2,3,4,100: robust to the outlier
	}
	for _, tt := range tests {
		if got := Median(tt.xs); !near(got, tt.want, 1e-12) {
			t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		a, b, want float64
	}{
		{2, 6, 3},    // 6/2
		{4, 1, 0.25}, // 1/4
		{0, 5, 0},    // guarded
		{0, 0, 0},    // guarded
		{-2, 3, -1.5},
	}
	for _, tt := range tests {
		if got := Ratio(tt.a, tt.b); got != tt.want {
			t.Errorf("Ratio(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestFlipRate(t *testing.T) {
	tests := []struct {
		name     string
		verdicts []bool
		want     float64
	}{
		{"empty", nil, 0},
		{"one", []bool{true}, 0},
		{"stable pass", []bool{true, true, true}, 0},
		{"stable fail", []bool{false, false}, 0},
		{"alternating", []bool{true, false, true, false}, 1},         // 3 flips / 3 pairs
		{"one flip", []bool{true, true, false}, 0.5},                 // 1 flip / 2 pairs
		{"two of four", []bool{false, true, true, true, false}, 0.5}, // 2 flips / 4 pairs
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FlipRate(tt.verdicts); got != tt.want {
				t.Errorf("FlipRate(%v) = %v, want %v", tt.verdicts, got, tt.want)
			}
		})
	}
}

func seq(lo, hi int) []float64 {
	var xs []float64
	for i := lo; i <= hi; i++ {
		xs = append(xs, float64(i))
	}
	return xs
}
