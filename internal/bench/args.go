package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
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
// number of seeds) and its seed settings into one seed per iteration, as
// PlanSeeds does; it returns the iterations resolved with the plan.
func SeedPlanFor(iterations int, seed *int, seeds []int, options map[string]any) (int, SeedPlan, error) {
	if iterations == 0 {
		iterations = max(DefaultIterations, len(seeds))
	}
	plan, err := PlanSeeds(iterations, seed, seeds, options)
	return iterations, plan, err
}

// MaxCallTimeout is the longest time limit of one model call (timeout_s):
// a day. Longer is a mistake (1e9 s would hold a host for 31 years), and
// beyond about 292 years the seconds overflow time.Duration into a
// negative limit.
const MaxCallTimeout = 24 * time.Hour

// CallTimeout is the time limit of a model call given in seconds
// (timeout_s): 0 for the default, else a number above 0 up to
// MaxCallTimeout; anything else is an *InputError that says the range.
func CallTimeout(seconds float64) (time.Duration, error) {
	if seconds == 0 {
		return 0, nil
	}
	if !(seconds > 0 && seconds <= MaxCallTimeout.Seconds()) { // also NaN
		return 0, inputErrorf("timeout_s %g is out of range; give seconds above 0 and at most %g (%s), or leave it out for the default (120)", seconds, MaxCallTimeout.Seconds(), MaxCallTimeout)
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

// Resolver finds what a run's settings name outside themselves: the suite
// (a reference or inline tasks; the caller knows where suite files may be
// read) and the preamble (a library name or the text itself).
type Resolver struct {
	Suite    func(ref string, tasks []map[string]any) (suite.Suite, error)
	Preamble func(ref string) (text, name string)
}

// FromRunConfig is the configuration of a run asked for with rc. It checks
// what can be checked without Ollama (Prepare checks the rest), in the
// order a caller fixes things: model, options, suite, then the rest;
// problems of its own are *InputError, the resolver's come back as they
// are. The run stores rc, to resume with the same settings.
func FromRunConfig(rc record.RunConfig, r Resolver) (Config, error) {
	if rc.Model == "" {
		return Config{}, inputErrorf("model is required; name an Ollama model such as qwen2.5-coder:1.5b")
	}
	if err := option.Check("options", rc.Options); err != nil {
		return Config{}, &InputError{Err: err}
	}
	st, err := r.Suite(rc.Suite, rc.Tasks)
	if err != nil {
		return Config{}, err
	}
	preamble, name := r.Preamble(rc.Preamble)
	warmup := DefaultWarmup
	if rc.Warmup != nil {
		warmup = *rc.Warmup
		if warmup == 0 {
			warmup = -1
		}
		if warmup < 0 || warmup > MaxWarmup {
			return Config{}, inputErrorf("warmup %d is out of range; use 0 to %d", *rc.Warmup, MaxWarmup)
		}
	}
	timeout, err := CallTimeout(rc.TimeoutS)
	if err != nil {
		return Config{}, err
	}
	think, err := ParseThink(rc.Think)
	if err != nil {
		return Config{}, err
	}
	iterations, seeds, err := SeedPlanFor(rc.Iterations, rc.Seed, rc.Seeds, rc.Options)
	if err != nil {
		return Config{}, err
	}
	rc.Version = record.RunConfigVersion
	return Config{
		Host: rc.Host, JudgeHost: rc.JudgeHost, Model: rc.Model, Suite: st,
		Preamble: preamble, PreambleName: name, Options: rc.Options,
		Iterations: iterations, Seeds: seeds, Warmup: warmup, Concurrency: rc.Concurrency,
		MaxOutputTokens: rc.MaxOutputTokens, Timeout: timeout,
		Cold: rc.Cold, Think: think, Tags: rc.Tags, Request: &rc,
	}, nil
}

// Verdict is a sample's outcome in one word, for progress messages:
// fault, error, runaway, pass or fail.
func Verdict(smp record.Sample) string {
	switch {
	case smp.Fault != nil:
		return "fault (" + smp.Fault.Kind + ": not scored, run again on resume)"
	case smp.Error != "":
		return "error"
	case smp.Flags.Runaway:
		return "runaway"
	case smp.Pass:
		return "pass"
	}
	return "fail"
}

// Machine says what failures of the machine did to a run, in one line, or
// "" when there were none: samples left without a verdict (faults) and
// calls retried, by kind. Neither counts in any number of the run.
func Machine(faults int, retried map[string]int) string {
	var parts []string
	if faults > 0 {
		parts = append(parts, fmt.Sprintf("%d sample(s) not scored: the machine failed them on every attempt; resume the run to run them again", faults))
	}
	if len(retried) > 0 {
		n := 0
		var kinds []string
		for _, k := range slices.Sorted(maps.Keys(retried)) {
			n += retried[k]
			kinds = append(kinds, fmt.Sprintf("%s %d", k, retried[k]))
		}
		parts = append(parts, fmt.Sprintf("%d call(s) retried after a failure of the machine (%s), scored on the attempt that worked", n, strings.Join(kinds, ", ")))
	}
	return strings.Join(parts, "; ")
}
