package analyze

import (
	"errors"
	"fmt"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// GateRules are what a CI gate holds a run to. Zero values check nothing.
type GateRules struct {
	// MinPassRate fails a run whose pass rate is below it (0 to 1).
	MinPassRate float64
	// Baseline, if set, fails the run when the paired test over tasks
	// (Compare) finds its pass rate significantly lower than the
	// baseline's (p < Alpha, the interval of the difference below 0), or
	// when the two cannot be compared (Compare's incomparable). Latency is
	// reported (Check), not gated: it is not tested for significance.
	Baseline *Input
	// Allow are the differences between the run and the baseline to
	// accept (compare.Diff*), as analyze_results takes them.
	Allow []string
}

// GateResult is a gate's decision and why.
type GateResult struct {
	Pass     bool            `json:"pass"`
	RunID    string          `json:"run_id"`
	PassRate float64         `json:"pass_rate"`
	CI       record.Interval `json:"pass_rate_ci"`
	Reasons  []string        `json:"reasons" jsonschema:"why it failed, or what it checked when it passed"`
	Check    *Check          `json:"baseline,omitempty" jsonschema:"the paired comparison with the baseline run"`
}

// Gate decides whether a run passes a CI gate. A run that did not
// complete fails: its numbers are not the suite's.
func Gate(run Input, rules GateRules) GateResult {
	var sum record.Summary
	if s := resummarize(run); s != nil {
		sum = *s
	}
	g := GateResult{Pass: true, RunID: run.Run.ID, PassRate: sum.PassRate, CI: sum.PassRateCI}
	fail := func(format string, a ...any) {
		g.Pass = false
		g.Reasons = append(g.Reasons, fmt.Sprintf(format, a...))
	}
	ok := func(format string, a ...any) { g.Reasons = append(g.Reasons, fmt.Sprintf(format, a...)) }
	if run.Run.Status != record.StatusCompleted {
		fail("run %s is %s, not completed: its numbers do not stand for the suite; run it to the end (benchmcp run --resume %s)", run.Run.ID, run.Run.Status, run.Run.ID)
	}
	if sum.Faults > 0 {
		fail("run %s has %d samples the machine failed (no verdict): resume it so that every task has one", run.Run.ID, sum.Faults)
	}
	if rules.MinPassRate > 0 {
		if sum.PassRate < rules.MinPassRate {
			fail("pass rate %.1f%% (95%% CI %.1f–%.1f%%, %d samples) is below the threshold %.1f%%",
				100*sum.PassRate, 100*sum.PassRateCI.Lo, 100*sum.PassRateCI.Hi, sum.Samples, 100*rules.MinPassRate)
		} else {
			ok("pass rate %.1f%% (95%% CI %.1f–%.1f%%) is at or above %.1f%%", 100*sum.PassRate, 100*sum.PassRateCI.Lo, 100*sum.PassRateCI.Hi, 100*rules.MinPassRate)
		}
	}
	if b := rules.Baseline; b != nil {
		c := Compare(*b, run, rules.Allow)
		g.Check = &c
		switch {
		case c.Verdict == Incomparable:
			for _, r := range c.Reasons {
				fail("cannot be compared with baseline %s: %s (accept it with --allow-difference if you mean to)", b.Run.ID, r)
			}
		case c.PValue != nil && *c.PValue < Alpha && c.DiffCI != nil && c.DiffCI.Hi < 0:
			fail("significantly worse than baseline %s: pass rate %+.1f points (95%% CI %+.1f to %+.1f; paired p=%.3g on %d tasks)",
				b.Run.ID, 100*c.PassRateDiff, 100*c.DiffCI.Lo, 100*c.DiffCI.Hi, *c.PValue, c.Tasks)
		default:
			msg := fmt.Sprintf("not significantly worse than baseline %s: pass rate %+.1f points", b.Run.ID, 100*c.PassRateDiff)
			if c.PValue != nil {
				msg += fmt.Sprintf(" (paired p=%.3g on %d tasks; detectable with 80%% power: %.0f points)", *c.PValue, c.Tasks, 100*c.MDE)
			}
			ok("%s", msg)
		}
	}
	return g
}

// GateStored gates the stored run runID under rules, against the stored
// run baselineID when that is set (rules.Baseline is then that run).
func GateStored(st Store, runID, baselineID string, rules GateRules) (GateResult, error) {
	run, err := storedInput(st, runID)
	if err != nil {
		return GateResult{}, err
	}
	if baselineID != "" {
		b, err := storedInput(st, baselineID)
		if err != nil {
			return GateResult{}, err
		}
		rules.Baseline = &b
	}
	return Gate(run, rules), nil
}

// storedInput is a stored run with its samples.
func storedInput(st Store, id string) (Input, error) {
	r, err := st.GetRun(id)
	if errors.Is(err, memory.ErrRunNotFound) {
		return Input{}, fmt.Errorf("run %s is not in the store; list the stored runs with `benchmcp runs list`", id)
	}
	if err != nil {
		return Input{}, fmt.Errorf("read run %s: %w", id, err)
	}
	smp, err := st.Samples(id)
	if err != nil {
		return Input{}, fmt.Errorf("read samples of run %s: %w", id, err)
	}
	return Input{Run: r, Samples: smp}, nil
}
