package stats

import (
	"math"
	"testing"
)

// z(0.975) = 1.959963985, z(0.8) = 0.841621234, sum 2.801585219, squared 7.848879734;
// z(0.995) = 2.575829304, z(0.9) = 1.281551566, sum 3.857380869.

func TestMDE(t *testing.T) {
	tests := []struct {
		name         string
		varPerTask   float64
		tasks        int
		alpha, power float64
		want         float64
	}{
		{"100 tasks", 0.25, 100, 0.05, 0.8, 0.140079261},     // 2.801585219 * sqrt(0.25/100) = 2.801585219 * 0.05
		{"one task", 1, 1, 0.05, 0.8, 2.801585219},           // may exceed 1: no design at all
		{"stricter", 0.5, 200, 0.01, 0.9, 0.192869043},       // 3.857380869 * sqrt(0.5/200) = 3.857380869 * 0.05
		{"no variance", 0, 50, 0.05, 0.8, 0},                 // every task shows the true difference
		{"no tasks", 0.25, 0, 0.05, 0.8, 1},                  // not +Inf, which JSON cannot carry
		{"negative tasks", 0.25, -3, 0.05, 0.8, 1},           // likewise
		{"4 iterations", 0.1035, 36, 0.05, 0.8, 0.150218272}, // 2.801585219 * sqrt(0.414/4/36) = 2.801585219 * 0.053619026
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MDE(tt.varPerTask, tt.tasks, tt.alpha, tt.power); !near(got, tt.want, 1e-6) {
				t.Errorf("MDE(%v, %d, %v, %v) = %v, want %v", tt.varPerTask, tt.tasks, tt.alpha, tt.power, got, tt.want)
			}
		})
	}
}

func TestTasksFor(t *testing.T) {
	tests := []struct {
		name               string
		varPerTask, effect float64
		want               int
	}{
		{"10 points", 0.25, 0.1, 197},      // ceil(7.848879734 * 0.25/0.01) = ceil(196.222)
		{"one iteration", 0.414, 0.1, 325}, // ceil(7.848879734 * 0.414/0.01) = ceil(324.944)
		{"tiny", 0.01, 0.5, 2},             // ceil(7.848879734 * 0.01/0.25) = ceil(0.314) = 1 -> at least 2
		{"no variance", 0, 0.1, 2},         // 0 -> at least 2
		{"huge", 0.25, 1e-10, math.MaxInt}, // 1.96e20 tasks do not fit an int
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TasksFor(tt.varPerTask, tt.effect, 0.05, 0.8); got != tt.want {
				t.Errorf("TasksFor(%v, %v) = %d, want %d", tt.varPerTask, tt.effect, got, tt.want)
			}
		})
	}
	// TasksFor inverts MDE: the MDE of n tasks needs exactly n tasks, not n+1 from rounding,
	// and one task fewer misses it.
	for _, v := range []float64{0.05, 0.25, 0.414, 1} {
		for _, n := range []int{2, 10, 36, 100, 197, 1000} {
			e := MDE(v, n, 0.05, 0.8)
			if got := TasksFor(v, e, 0.05, 0.8); got != n {
				t.Errorf("TasksFor(%v, MDE(%v, %d) = %v) = %d, want %d", v, v, n, e, got, n)
			}
			if n > 2 && MDE(v, n-1, 0.05, 0.8) <= e {
				t.Errorf("MDE(%v, %d) <= MDE(%v, %d): fewer tasks must detect less", v, n-1, v, n)
			}
		}
	}
}

func TestPairedDiffVariance(t *testing.T) {
	tests := []struct {
		between, withinA, withinB float64
		iterations                int
		want                      float64
	}{
		{0.01, 0.2, 0.16, 4, 0.1},    // 0.01 + 0.36/4
		{0, 0.207, 0.207, 1, 0.414},  // the BenchmarkPower design at one iteration
		{0, 0.207, 0.207, 4, 0.1035}, // ... and at four: 0.414/4
		{0.05, 0.25, 0.25, 10, 0.1},  // 0.05 + 0.5/10
		{0.04, 0, 0, 3, 0.04},        // pure replays: more iterations cannot help
		{0.04, 0.25, 0.25, 1, 0.54},  // 0.04 + 0.5
	}
	for _, tt := range tests {
		if got := PairedDiffVariance(tt.between, tt.withinA, tt.withinB, tt.iterations); !near(got, tt.want, 1e-12) {
			t.Errorf("PairedDiffVariance(%v, %v, %v, %d) = %v, want %v",
				tt.between, tt.withinA, tt.withinB, tt.iterations, got, tt.want)
		}
	}
}

func TestPowerPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"mde negative variance", func() { MDE(-0.1, 10, 0.05, 0.8) }},
		{"mde NaN variance", func() { MDE(math.NaN(), 10, 0.05, 0.8) }},
		{"mde infinite variance", func() { MDE(math.Inf(1), 10, 0.05, 0.8) }},
		{"mde alpha 0", func() { MDE(0.25, 10, 0, 0.8) }},
		{"mde power 1", func() { MDE(0.25, 10, 0.05, 1) }},
		{"mde bad alpha with no tasks", func() { MDE(0.25, 0, 5, 0.8) }},
		{"tasks effect 0", func() { TasksFor(0.25, 0, 0.05, 0.8) }},
		{"tasks negative effect", func() { TasksFor(0.25, -0.1, 0.05, 0.8) }},
		{"tasks NaN effect", func() { TasksFor(0.25, math.NaN(), 0.05, 0.8) }},
		{"tasks alpha 1", func() { TasksFor(0.25, 0.1, 1, 0.8) }},
		{"variance iterations 0", func() { PairedDiffVariance(0, 0.25, 0.25, 0) }},
		{"variance negative", func() { PairedDiffVariance(-0.01, 0.25, 0.25, 1) }},
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
