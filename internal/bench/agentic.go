package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Funnel follows the agentic samples from needing a tool to the right
// answer, and counts how the others failed, each mode with an example; nil
// when no sample is agentic. A stage counts the samples that reached it
// and every stage before: needed a tool, called one, the right one, with
// valid arguments, used the result, answered right.
func Funnel(samples []record.Sample) *record.Funnel {
	f := &record.Funnel{}
	modes := map[string]*record.FailureMode{}
	var order []string
	for _, smp := range samples {
		a := smp.Agent
		if a == nil {
			continue
		}
		f.Samples++
		sc := a.Scores
		switch {
		case sc.NeededTool:
			f.NeededTool++
			stages := []bool{sc.CalledTool, sc.ToolChoice, sc.SignatureErrors == 0, sc.UsedResult, smp.Pass}
			counts := []*int{&f.CalledTool, &f.RightTool, &f.ValidArguments, &f.UsedResult, &f.RightAnswer}
			for i, ok := range stages {
				if !ok {
					break
				}
				*counts[i]++
			}
		case sc.Trajectory != nil: // an expected trajectory without calls: no tool needed
			f.NoToolNeeded++
			if !sc.CalledTool && smp.Pass {
				f.NoToolRight++
			}
		}
		if smp.Pass {
			continue
		}
		mode, example := failure(smp)
		m, ok := modes[mode]
		if !ok {
			m = &record.FailureMode{Mode: mode, Example: smp.TaskID + ": " + example}
			modes[mode] = m
			order = append(order, mode)
		}
		m.Count++
	}
	if f.Samples == 0 {
		return nil
	}
	for _, mode := range order {
		f.Failures = append(f.Failures, *modes[mode])
	}
	return f
}

// failure is the first thing that went wrong in a failed agentic sample,
// and what it looked like.
func failure(smp record.Sample) (mode, example string) {
	a := smp.Agent
	sc := a.Scores
	calls := allCalls(a)
	switch {
	case smp.Error != "":
		return "error", clip(smp.Error)
	case a.Stop == "runaway":
		return "runaway", "the circuit breaker stopped a turn (" + smp.RunawayReason + ")"
	case sc.NeededTool && !sc.CalledTool:
		return "no_call", fmt.Sprintf("answered %q without calling a tool", clip(smp.Output))
	case !sc.NeededTool && sc.Trajectory != nil && sc.CalledTool:
		return "unneeded_call", "called " + describe(calls[0]) + " where no tool was needed"
	case a.Stop == "loop":
		return "loop", "repeated " + describe(calls[len(calls)-1])
	case !sc.ToolChoice:
		return "wrong_tool", "called " + describe(calls[0])
	case sc.SignatureErrors > 0:
		for _, c := range calls {
			if len(c.SignatureErrors) > 0 {
				return "signature_error", describe(c) + ": " + c.SignatureErrors[0].Message
			}
		}
	case a.Stop == "step_limit":
		return "step_limit", fmt.Sprintf("no answer after %d turns", len(a.Steps))
	case sc.NeededTool && !sc.UsedResult:
		return "ignored_result", fmt.Sprintf("answered %q, no word of which a tool said", clip(smp.Output))
	case sc.Trajectory != nil && !*sc.Trajectory:
		var parts []string
		for _, c := range calls {
			parts = append(parts, describe(c))
		}
		return "wrong_trajectory", "called " + strings.Join(parts, ", ")
	}
	return "wrong_answer", fmt.Sprintf("answered %q", clip(smp.Output))
}

func allCalls(a *record.Agent) []record.ToolResult {
	var out []record.ToolResult
	for _, st := range a.Steps {
		out = append(out, st.Results...)
	}
	return out
}

func describe(c record.ToolResult) string {
	var args []string
	for _, k := range slices.Sorted(maps.Keys(c.Arguments)) {
		args = append(args, fmt.Sprintf("%s=%q", k, fmt.Sprint(c.Arguments[k])))
	}
	return c.Name + "(" + strings.Join(args, ", ") + ")"
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return s
}
