package bench_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/google/go-cmp/cmp"
)

func intp(i int) *int { return &i }

func TestPlanSeeds(t *testing.T) {
	// Given: used as they are.
	p, err := bench.PlanSeeds(3, nil, []int{42, 7, 13}, nil)
	if err != nil || p.Mode != bench.SeedsGiven || !cmp.Equal(p.Seeds, []int{42, 7, 13}) || p.Replays() {
		t.Errorf("given: %+v %v", p, err)
	}
	// Derived: reproducible, one per iteration, all different, and not base+i.
	a, _ := bench.PlanSeeds(4, intp(42), nil, nil)
	b, _ := bench.PlanSeeds(4, intp(42), nil, nil)
	c, _ := bench.PlanSeeds(4, intp(43), nil, nil)
	if a.Mode != bench.SeedsDerived || *a.Base != 42 || !cmp.Equal(a.Seeds, b.Seeds) || cmp.Equal(a.Seeds, c.Seeds) {
		t.Errorf("derived: %+v / %+v / %+v", a, b, c)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(a.Seeds)))) != 4 || slices.Contains(c.Seeds, a.Seeds[1]) {
		t.Errorf("derived seeds collide: 42 -> %v, 43 -> %v", a.Seeds, c.Seeds)
	}
	for _, s := range append(a.Seeds, c.Seeds...) {
		if s < 0 || s > bench.MaxSeed {
			t.Errorf("derived seed %d out of range", s)
		}
	}
	// Drawn: fresh each time, recorded, in range.
	d1, _ := bench.PlanSeeds(5, nil, nil, nil)
	d2, _ := bench.PlanSeeds(5, nil, nil, nil)
	if d1.Mode != bench.SeedsDrawn || len(d1.Seeds) != 5 || cmp.Equal(d1.Seeds, d2.Seeds) {
		t.Errorf("drawn: %+v / %+v", d1, d2)
	}
	// Pinned: options.seed on every iteration; the iterations are replays.
	pin, err := bench.PlanSeeds(3, nil, nil, map[string]any{"seed": 42.0, "temperature": 1})
	if err != nil || pin.Mode != bench.SeedsPinned || !cmp.Equal(pin.Seeds, []int{42, 42, 42}) || !pin.Replays() {
		t.Errorf("pinned: %+v %v", pin, err)
	}
	if one, _ := bench.PlanSeeds(1, nil, nil, map[string]any{"seed": 42}); one.Replays() {
		t.Errorf("one pinned iteration is not a replay: %+v", one)
	}
}

func TestPlanSeedsRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name       string
		iterations int
		base       *int
		list       []int
		options    map[string]any
		want       string
	}{
		{"seeds length is not iterations", 4, nil, []int{1, 2, 3}, nil, "seeds has 3 values but iterations is 4"},
		{"both seed and seeds", 2, intp(1), []int{1, 2}, nil, "either seed"},
		{"options.seed with seeds", 2, nil, []int{1, 2}, map[string]any{"seed": 5}, "pins every iteration"},
		{"options.seed with seed", 2, intp(9), nil, map[string]any{"seed": 5}, "pins every iteration"},
		{"non-integer options.seed", 2, nil, nil, map[string]any{"seed": 4.5}, "not an integer"},
		{"string options.seed", 2, nil, nil, map[string]any{"seed": "abc"}, "not an integer"},
		{"negative seed", 1, nil, []int{-1}, nil, "cannot be replayed"},
		{"seed too large", 1, intp(1 << 40), nil, nil, "is not a seed from 0"},
		{"iterations out of range", 0, nil, nil, nil, "iterations 0 is out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bench.PlanSeeds(tc.iterations, tc.base, tc.list, tc.options)
			var ie *bench.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want an InputError containing %q", err, tc.want)
			}
		})
	}
}

func TestSeedArgument(t *testing.T) {
	var args struct {
		Seed  *bench.Seed  `json:"seed"`
		Seeds []bench.Seed `json:"seeds"`
	}
	if err := json.Unmarshal([]byte(`{"seed": 42, "seeds": [1, 2.0, 3]}`), &args); err != nil || *args.Seed != 42 || !cmp.Equal(bench.Ints(args.Seeds), []int{1, 2, 3}) {
		t.Errorf("whole numbers: %+v %v", args, err)
	}
	for _, bad := range []string{`{"seed": 1.5}`, `{"seeds": [1, "x"]}`, `{"seeds": [true]}`} {
		err := json.Unmarshal([]byte(bad), &args)
		if err == nil || !strings.Contains(err.Error(), "whole number") {
			t.Errorf("%s: err %v, want one that asks for a whole number", bad, err)
		}
	}
	if bench.Ints(nil) != nil {
		t.Error("Ints(nil) is not nil: a missing seeds argument must stay missing")
	}
}
