package bench

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
)

func TestCallTimeout(t *testing.T) {
	for _, c := range []struct {
		seconds float64
		want    time.Duration
		ok      bool
	}{
		{0, 0, true}, {0.5, 500 * time.Millisecond, true}, {120, 2 * time.Minute, true}, {86400, 24 * time.Hour, true},
		{86400.5, 0, false}, {1e9, 0, false}, {1e10, 0, false}, {math.MaxFloat64, 0, false},
		{-1, 0, false}, {math.Inf(1), 0, false}, {math.NaN(), 0, false},
	} {
		got, err := CallTimeout(c.seconds)
		var in *InputError
		switch {
		case c.ok && (err != nil || got != c.want):
			t.Errorf("CallTimeout(%g) = %s, %v; want %s", c.seconds, got, err, c.want)
		case !c.ok && (err == nil || !errors.As(err, &in) || !strings.Contains(err.Error(), "at most 86400")):
			t.Errorf("CallTimeout(%g) = %s, %v; want an input error that gives the range", c.seconds, got, err)
		}
	}
}

// A run with a time limit out of range is refused when it is configured,
// before anything runs or is stored; one at the bound is taken.
func TestFromRunConfigBoundsTimeout(t *testing.T) {
	r := Resolver{
		Suite: func(string, []map[string]any) (suite.Suite, error) {
			st, _ := suite.Builtin("tiny")
			return st, nil
		},
		Preamble: func(ref string) (string, string) { return ref, "" },
	}
	for _, s := range []float64{1e10, 1e9, 86401, -3} {
		_, err := FromRunConfig(record.RunConfig{Model: "tiny-m", TimeoutS: s}, r)
		var in *InputError
		if !errors.As(err, &in) || !strings.Contains(err.Error(), "timeout_s") {
			t.Errorf("timeout_s %g: %v, want an input error about timeout_s", s, err)
		}
	}
	cfg, err := FromRunConfig(record.RunConfig{Model: "tiny-m", TimeoutS: 86400}, r)
	if err != nil || cfg.Timeout != 24*time.Hour {
		t.Errorf("timeout_s 86400: %v, %v; want a day", cfg.Timeout, err)
	}
}
