package bench

import (
	"strings"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
)

// ParseThink reads a think setting: "" (the model's default), true, false,
// or a level (high, medium, low). Anything else is an *InputError.
func ParseThink(s string) (*api.ThinkValue, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return nil, nil
	case "true":
		return &api.ThinkValue{Value: true}, nil
	case "false":
		return &api.ThinkValue{Value: false}, nil
	case "high", "medium", "low":
		return &api.ThinkValue{Value: strings.ToLower(strings.TrimSpace(s))}, nil
	}
	return nil, inputErrorf("think %q is not one of true, false, high, medium, low", s)
}

// SeedPlanFor resolves a run's iterations (0: DefaultIterations, or the
// number of seeds) and its seed arguments into one seed per iteration, as
// PlanSeeds does; it returns the iterations resolved with the plan.
func SeedPlanFor(iterations int, seed *Seed, seeds []Seed, options map[string]any) (int, SeedPlan, error) {
	if iterations == 0 {
		iterations = max(DefaultIterations, len(seeds))
	}
	var base *int
	if seed != nil {
		b := int(*seed)
		base = &b
	}
	plan, err := PlanSeeds(iterations, base, Ints(seeds), options)
	return iterations, plan, err
}

// Verdict is a sample's outcome in one word, for progress messages:
// error, runaway, pass or fail.
func Verdict(smp record.Sample) string {
	switch {
	case smp.Error != "":
		return "error"
	case smp.Flags.Runaway:
		return "runaway"
	case smp.Pass:
		return "pass"
	}
	return "fail"
}
