package stats

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPairTable(t *testing.T) {
	a := []bool{true, true, false, false, true, false}
	b := []bool{true, false, true, false, false, true}
	// pairs: TT, TF, FT, FF, TF, FT
	want := McNemarTable{BothPass: 1, AOnly: 2, BOnly: 2, BothFail: 1}
	if diff := cmp.Diff(want, PairTable(a, b)); diff != "" {
		t.Errorf("PairTable mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(McNemarTable{}, PairTable(nil, nil)); diff != "" {
		t.Errorf("PairTable(nil, nil) mismatch (-want +got):\n%s", diff)
	}
}

func TestMcNemarExact(t *testing.T) {
	tests := []struct {
		name string
		t    McNemarTable
		want float64
	}{
		// n = 7: 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * (1+7)/128 = 0.125
		{"b=1 c=6", McNemarTable{AOnly: 1, BOnly: 6}, 0.125},
		{"b=6 c=1 symmetric", McNemarTable{AOnly: 6, BOnly: 1}, 0.125},
		// n = 5: 2 * C(5,0)/2^5 = 2/32 = 0.0625
		{"b=0 c=5", McNemarTable{BOnly: 5}, 0.0625},
		// n = 6: 2 * (1+6+15+20)/64 = 84/64 = 1.3125 -> capped at 1
		{"b=3 c=3", McNemarTable{AOnly: 3, BOnly: 3}, 1},
		// n = 10: 2 * (1+10+45)/1024 = 112/1024 = 0.109375
		{"b=2 c=8", McNemarTable{AOnly: 2, BOnly: 8}, 0.109375},
		// n = 12: 2 * (1+12)/4096 = 26/4096 = 0.00634765625
		{"b=1 c=11", McNemarTable{AOnly: 1, BOnly: 11}, 0.00634765625},
		// n = 1: 2 * 1/2 = 1
		{"b=0 c=1", McNemarTable{BOnly: 1}, 1},
		{"no discordant pairs", McNemarTable{BothPass: 40, BothFail: 3}, 1},
		// concordant cells do not matter: same as b=0 c=5
		{"concordant ignored", McNemarTable{BothPass: 100, BOnly: 5, BothFail: 50}, 0.0625},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := McNemarExact(tt.t); !near(got, tt.want, 1e-12) {
				t.Errorf("McNemarExact(%+v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestMcNemarExactProperties(t *testing.T) {
	for b := range 30 {
		for c := range 30 {
			p := McNemarExact(McNemarTable{AOnly: b, BOnly: c})
			if !(p > 0 && p <= 1) {
				t.Fatalf("McNemarExact(b=%d, c=%d) = %v, not in (0, 1]", b, c, p)
			}
			if q := McNemarExact(McNemarTable{AOnly: c, BOnly: b}); p != q {
				t.Fatalf("McNemarExact not symmetric: (b=%d, c=%d) = %v, swapped = %v", b, c, p, q)
			}
			// One more discordant pair in the direction already ahead is more evidence.
			if b < c {
				if q := McNemarExact(McNemarTable{AOnly: b, BOnly: c + 1}); q > p {
					t.Fatalf("McNemarExact(b=%d, c=%d) = %v > (b=%d, c=%d) = %v", b, c+1, q, b, c, p)
				}
			}
		}
	}
}

func TestHolm(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		p    []float64
		want []float64
	}{
		{"empty", nil, []float64{}},
		{"single is unchanged", []float64{0.04}, []float64{0.04}},
		// sorted: 0.01 (x3) = 0.03; 0.03 (x2) = 0.06; 0.04 (x1) = 0.04 -> max(0.06, 0.04) = 0.06
		{"required case", []float64{0.01, 0.04, 0.03}, []float64{0.03, 0.06, 0.06}},
		// sorted: 0.001 x4 = 0.004; 0.01 x3 = 0.03; 0.02 x2 = 0.04; 0.5 x1 = 0.5
		{"four", []float64{0.5, 0.01, 0.001, 0.02}, []float64{0.5, 0.03, 0.004, 0.04}},
		// 0.3 x3 = 0.9; 0.4 x2 = 0.8 -> 0.9; 0.6 x1 = 0.6 -> 0.9
		{"monotone enforced", []float64{0.4, 0.3, 0.6}, []float64{0.9, 0.9, 0.9}},
		// 0.2 x2 = 0.4; 0.7 x1 = 0.7
		{"two", []float64{0.7, 0.2}, []float64{0.7, 0.4}},
		// 0.4 x3 = 1.2 -> 1; then everything else 1
		{"capped at 1", []float64{0.4, 0.5, 0.9}, []float64{1, 1, 1}},
		// ties keep the larger multiplier for the first: 0.02 x3 = 0.06, 0.02 x2 = 0.04 -> 0.06
		{"ties", []float64{0.02, 0.02, 0.5}, []float64{0.06, 0.06, 0.5}},
		// family size 3 counts the NaN: 0.01 x3 = 0.03; 0.02 x2 = 0.04
		{"NaN stays in its slot", []float64{0.02, nan, 0.01}, []float64{0.04, nan, 0.03}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Holm(tt.p)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12), cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("Holm(%v) mismatch (-want +got):\n%s", tt.p, diff)
			}
		})
	}
}

func TestHolmProperties(t *testing.T) {
	p := []float64{0.2, 0.001, 0.04, 0.03, 0.9, 0.011, 0.5}
	adj := Holm(p)
	for i := range p {
		if adj[i] < p[i] || adj[i] > 1 {
			t.Errorf("adjusted p[%d] = %v, want in [%v, 1]", i, adj[i], p[i])
		}
		for j := range p {
			if p[i] < p[j] && adj[i] > adj[j] {
				t.Errorf("not monotone: p[%d]=%v < p[%d]=%v but adjusted %v > %v", i, p[i], j, p[j], adj[i], adj[j])
			}
		}
	}
	if p[0] != 0.2 || p[1] != 0.001 {
		t.Errorf("Holm modified its input: %v", p)
	}
}
