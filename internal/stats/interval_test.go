package stats

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestWilson(t *testing.T) {
	// z(0.95) = 1.959963985, z^2 = 3.841458821; z(0.90) = 1.644853627, z^2 = 2.705543454.
	// Wilson: d = 1 + z^2/n, center = (p + z^2/(2n))/d, margin = z/d * sqrt(p(1-p)/n + z^2/(4n^2)).
	tests := []struct {
		name       string
		s, n       int
		confidence float64
		want       Interval
	}{
		// p = 0.8, d = 1.384145882, center = (0.8 + 0.192072941)/d = 0.716740160,
		// margin = 1.959963985/1.384145882 * sqrt(0.016 + 0.009603647) = 1.416010 * 0.160011 = 0.226577689
		// -> 0.716740160 -/+ 0.226577689
		{"8 of 10", 8, 10, 0.95, Interval{Lo: 0.4901625, Hi: 0.9433178}},
		// p = 0, center = margin = (z^2/20)/d = 0.192072941/1.384145882 = 0.138766400
		// -> Lo = 0, Hi = z^2/n / d = 0.384145882/1.384145882 = 0.277532800
		{"0 of 10", 0, 10, 0.95, Interval{Lo: 0, Hi: 0.2775328}},
		// mirror of 0 of 10: 1 - 0.277532800 = 0.722467200
		{"10 of 10", 10, 10, 0.95, Interval{Lo: 0.7224672, Hi: 1}},
		// p = 0.5, center = 0.5, margin = 1.416010 * sqrt(0.025 + 0.009603647) = 1.416010 * 0.186021 = 0.263406909
		{"5 of 10", 5, 10, 0.95, Interval{Lo: 0.2365931, Hi: 0.7634069}},
		// p = 0.5, d = 1 + 2.705543454/2 = 2.352771727, center = 0.5,
		// margin = 1.644853627/2.352771727 * sqrt(0.125 + 2.705543454/16) = 0.699112 * 0.542307 = 0.379133681
		{"1 of 2 at 90%", 1, 2, 0.90, Interval{Lo: 0.1208663, Hi: 0.8791337}},
		{"n = 0 knows nothing", 0, 0, 0.95, Interval{Lo: 0, Hi: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Wilson(tt.s, tt.n, tt.confidence)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
				t.Errorf("Wilson(%d, %d, %v) mismatch (-want +got):\n%s", tt.s, tt.n, tt.confidence, diff)
			}
		})
	}
}

func TestWilsonProperties(t *testing.T) {
	for _, confidence := range []float64{0.5, 0.8, 0.9, 0.95, 0.99, 0.999} {
		for n := 1; n <= 50; n++ {
			for s := 0; s <= n; s++ {
				ci := Wilson(s, n, confidence)
				p := float64(s) / float64(n)
				if !(0 <= ci.Lo && ci.Lo <= p && p <= ci.Hi && ci.Hi <= 1) {
					t.Fatalf("Wilson(%d, %d, %v) = %+v: want 0 <= Lo <= %v <= Hi <= 1", s, n, confidence, ci, p)
				}
				// Symmetry: s successes and n-s failures mirror around 1/2.
				m := Wilson(n-s, n, confidence)
				if !near(ci.Lo, 1-m.Hi, 1e-12) || !near(ci.Hi, 1-m.Lo, 1e-12) {
					t.Fatalf("Wilson(%d, %d) = %+v is not the mirror of Wilson(%d, %d) = %+v", s, n, ci, n-s, n, m)
				}
				// More confidence, wider interval.
				if w := Wilson(s, n, 0.999); w.Lo > ci.Lo || w.Hi < ci.Hi {
					t.Fatalf("Wilson(%d, %d, 0.999) = %+v is not wider than at %v: %+v", s, n, w, confidence, ci)
				}
			}
		}
	}
	// More data, narrower interval at the same rate: 8/10 vs 80/100.
	small, large := Wilson(8, 10, 0.95), Wilson(80, 100, 0.95)
	if large.Hi-large.Lo >= small.Hi-small.Lo {
		t.Errorf("Wilson(80, 100) = %+v is not narrower than Wilson(8, 10) = %+v", large, small)
	}
}

func TestWilsonRate(t *testing.T) {
	// z(0.95)^2 = 3.841458821, as in TestWilson.
	tests := []struct {
		name string
		p, n float64
		want Interval
	}{
		// d = 1 + 3.841458821/4.5 = 1.853657516, center = 0.5,
		// margin = 1.959963985/1.853657516 * sqrt(0.25/4.5 + 3.841458821/81) = 1.057349 * 0.320906 = 0.339310337
		{"half at 4.5", 0.5, 4.5, Interval{Lo: 0.1606897, Hi: 0.8393103}},
		// z^2/n = 1.536583528, d = 2.536583528 -> Lo = 0, Hi = 1.536583528/2.536583528 = 0.605768945
		{"zero at 2.5", 0, 2.5, Interval{Lo: 0, Hi: 0.6057689}},
		{"one at 2.5 mirrors", 1, 2.5, Interval{Lo: 0.3942311, Hi: 1}}, // 1 - 0.605768945
		{"n = 0", 0.3, 0, Interval{Lo: 0, Hi: 1}},
		{"negative n", 0.3, -2, Interval{Lo: 0, Hi: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WilsonRate(tt.p, tt.n, 0.95)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
				t.Errorf("WilsonRate(%v, %v) mismatch (-want +got):\n%s", tt.p, tt.n, diff)
			}
		})
	}
	// One formula: at whole n, WilsonRate is Wilson to the last bit, snapped bounds included.
	for _, confidence := range []float64{0.8, 0.95, 0.99} {
		for n := 1; n <= 50; n++ {
			for s := 0; s <= n; s++ {
				if got, want := WilsonRate(float64(s)/float64(n), float64(n), confidence), Wilson(s, n, confidence); got != want {
					t.Fatalf("WilsonRate(%d/%d, %d, %v) = %+v, Wilson = %+v", s, n, n, confidence, got, want)
				}
			}
		}
	}
}

func TestBootstrapMeanCI(t *testing.T) {
	xs := seq(1, 10) // mean 5.5

	a := BootstrapMeanCI(xs, 4000, 0.95, 42)
	if b := BootstrapMeanCI(xs, 4000, 0.95, 42); a != b {
		t.Errorf("same seed, different intervals: %+v and %+v", a, b)
	}
	if c := BootstrapMeanCI(xs, 4000, 0.95, 43); a == c {
		t.Errorf("seeds 42 and 43 gave the same interval %+v", a)
	}
	if !(a.Lo < 5.5 && 5.5 < a.Hi) {
		t.Errorf("interval %+v does not cover the sample mean 5.5", a)
	}
	// The bootstrap distribution of the mean is close to normal here, with the
	// plug-in standard error: population variance of 1..10 is (10^2-1)/12 = 8.25,
	// se = sqrt(8.25/10) = 0.908295, 95% width = 2 * 1.959964 * 0.908295 = 3.560447.
	if w := a.Hi - a.Lo; !near(w, 3.560447, 0.1*3.560447) {
		t.Errorf("interval %+v has width %v, want about 3.56 (within 10%%)", a, w)
	}
	// Nested: a 99% interval contains the 80% one from the same resamples.
	wide, narrow := BootstrapMeanCI(xs, 4000, 0.99, 7), BootstrapMeanCI(xs, 4000, 0.80, 7)
	if wide.Lo > narrow.Lo || wide.Hi < narrow.Hi {
		t.Errorf("99%% interval %+v does not contain 80%% interval %+v", wide, narrow)
	}
	// The interval never leaves the range of the data.
	if a.Lo < 1 || a.Hi > 10 {
		t.Errorf("interval %+v leaves the data range [1, 10]", a)
	}
}

func TestBootstrapMeanCIEdges(t *testing.T) {
	tests := []struct {
		name      string
		xs        []float64
		resamples int
		want      Interval
	}{
		{"empty", nil, 1000, Interval{}},
		{"one value", []float64{3.5}, 1000, Interval{Lo: 3.5, Hi: 3.5}},   // every resample is {3.5}
		{"constant", []float64{2, 2, 2, 2}, 1000, Interval{Lo: 2, Hi: 2}}, // every resample mean is 8/4
		{"no resamples", []float64{1, 2, 3}, 0, Interval{Lo: 2, Hi: 2}},   // degenerate at the mean 6/3
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BootstrapMeanCI(tt.xs, tt.resamples, 0.95, 1)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BootstrapMeanCI mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPairedBootstrapDiffCI(t *testing.T) {
	tests := []struct {
		name     string
		a, b     []float64
		wantDiff float64
		wantCI   *Interval // nil: only check that it covers diff
	}{
		{"identical", []float64{0.1, 0.7, 0.3, 1}, []float64{0.1, 0.7, 0.3, 1}, 0, &Interval{}},
		{"empty", nil, nil, 0, &Interval{}},
		// Per-item differences are all exactly 1 even though the items differ a lot,
		// so pairing leaves no uncertainty: every resample mean is 1.
		{"constant shift", []float64{1, 5, 9, 2}, []float64{2, 6, 10, 3}, 1, &Interval{Lo: 1, Hi: 1}},
		// d = b-a = [0.25, 0, -0.5, 0.75]; mean = 0.5/4 = 0.125
		{"mixed", []float64{0.5, 0.25, 1, 0}, []float64{0.75, 0.25, 0.5, 0.75}, 0.125, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diff, ci := PairedBootstrapDiffCI(tt.a, tt.b, 2000, 0.95, 9)
			if !near(diff, tt.wantDiff, 1e-12) {
				t.Errorf("diff = %v, want %v", diff, tt.wantDiff)
			}
			if tt.wantCI != nil {
				if d := cmp.Diff(*tt.wantCI, ci); d != "" {
					t.Errorf("ci mismatch (-want +got):\n%s", d)
				}
				return
			}
			if !(ci.Lo <= diff && diff <= ci.Hi) {
				t.Errorf("ci %+v does not cover diff %v", ci, diff)
			}
			if ci.Lo < -0.5 || ci.Hi > 0.75 { // a mean of differences stays within their range
				t.Errorf("ci %+v leaves the range of differences [-0.5, 0.75]", ci)
			}
		})
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"paired length mismatch", func() { PairedBootstrapDiffCI([]float64{1}, []float64{1, 2}, 10, 0.95, 1) }},
		{"pair table length mismatch", func() { PairTable([]bool{true}, nil) }},
		{"wilson successes > n", func() { Wilson(3, 2, 0.95) }},
		{"wilson negative", func() { Wilson(-1, 2, 0.95) }},
		{"wilson confidence 1", func() { Wilson(1, 2, 1) }},
		{"bootstrap confidence 0", func() { BootstrapMeanCI([]float64{1}, 10, 0, 1) }},
		{"bootstrap confidence 95", func() { BootstrapMeanCI([]float64{1}, 10, 95, 1) }},
		{"mcnemar negative", func() { McNemarExact(McNemarTable{AOnly: -1}) }},
		{"wilson rate above 1", func() { WilsonRate(1.1, 10, 0.95) }},
		{"wilson rate negative", func() { WilsonRate(-0.1, 10, 0.95) }},
		{"wilson rate NaN", func() { WilsonRate(math.NaN(), 10, 0.95) }},
		{"wilson rate NaN n", func() { WilsonRate(0.5, math.NaN(), 0.95) }},
		{"wilson rate confidence 0", func() { WilsonRate(0.5, 0, 0) }},
		{"wilson n = 0 confidence 1", func() { Wilson(0, 0, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tt.f()
		})
	}
}

// Wilson is the Wilson score interval for a pass rate of successes out
// of n trials at the given confidence (0.95 for 95%). Unlike the normal
// approximation it stays inside [0,1] and is sensible at 0 or n successes.
// n == 0 gives {0,1}: nothing is known. The product reads rates
// (WilsonRate); the tests read counts through this.
func Wilson(successes, n int, confidence float64) Interval {
	if n < 0 || successes < 0 || successes > n {
		panic(fmt.Sprintf("stats: Wilson(%d, %d): need 0 <= successes <= n", successes, n))
	}
	if n == 0 {
		checkConfidence(confidence)
		return Interval{Lo: 0, Hi: 1}
	}
	// successes/n is exactly 0 or 1 at 0 or n successes, so WilsonRate snaps
	// the same bounds that a count would.
	return WilsonRate(float64(successes)/float64(n), float64(n), confidence)
}
