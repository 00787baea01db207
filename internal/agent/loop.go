package agent

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
)

// Chat makes one model call with these messages after the run's system
// prompt, offering the task's tools.
type Chat func(ctx context.Context, messages []api.Message) (record.Measurement, error)

// Task is what the loop needs of an agentic task.
type Task struct {
	Prompt string
	Tools  []api.Tool
	Spec   Spec
	// Done are the steps an interrupted sample had made: the loop
	// continues after them with the same history instead of starting over.
	Done []record.AgentStep
	// OnStep, if set, is told the trajectory after every step that goes on
	// (its tool calls answered), so the caller can store it for a resume.
	OnStep func(*record.Agent)
}

// SourceInvalid is the source of a call's result when its arguments did
// not fit the tool's schema: the tool rejected it, as a real one would.
const SourceInvalid = "invalid_arguments"

// Stop reasons of the loop.
const (
	StopAnswer    = "answer"
	StopStepLimit = "step_limit"
	StopLoop      = "loop"
	StopRunaway   = "runaway"
	StopError     = "error"
)

// Run is the loop: send the question with the tools; for every tool call
// in the reply, answer it from the scripted environment (recording whether
// its arguments fit the tool's schema), append the assistant turn with its
// calls and one tool message per result, and send again; until a turn
// without calls (the final answer), the step limit, a call repeated with the
// same arguments (a loop), or the circuit breaker. It returns the
// trajectory and the turns summed as one measurement whose output is the
// final answer and whose tool calls are all the calls made. An error (a
// failed call, ctx ended) comes with the trajectory so far.
func Run(ctx context.Context, chat Chat, t Task) (*record.Agent, record.Measurement, error) {
	a := &record.Agent{Prompt: t.Prompt, Steps: append([]record.AgentStep(nil), t.Done...)}
	msgs := []api.Message{{Role: "user", Content: t.Prompt}}
	seen := map[string]bool{}
	for _, st := range t.Done { // the history of the steps made before a resume
		msgs = append(msgs, api.Message{Role: "assistant", Content: st.Output, ToolCalls: apiCalls(st.ToolCalls)})
		for _, r := range st.Results {
			msgs = append(msgs, api.Message{Role: "tool", Content: r.Result, ToolName: r.Name})
			seen[r.Name+"\x00"+canonical(r.Arguments)] = true
		}
	}
	var runErr error
	for step := len(t.Done) + 1; step <= t.Spec.Steps() && a.Stop == ""; step++ {
		m, err := chat(ctx, msgs)
		st := record.AgentStep{Measurement: m}
		switch {
		case err != nil:
			a.Stop, runErr = StopError, err
		case m.Flags.Runaway:
			a.Stop = StopRunaway
		case len(m.ToolCalls) == 0:
			a.Stop = StopAnswer
		default:
			msgs = append(msgs, api.Message{Role: "assistant", Content: m.Output, ToolCalls: apiCalls(m.ToolCalls)})
			for _, tc := range m.ToolCalls {
				tr := record.ToolResult{Name: tc.Name, Arguments: tc.Arguments}
				var bad []string
				for _, se := range CheckArguments(t.Tools, tc.Name, tc.Arguments) {
					tr.SignatureErrors = append(tr.SignatureErrors, record.SignatureError{Field: se.Field, Kind: se.Kind, Message: se.Message})
					bad = append(bad, se.Message)
				}
				if len(bad) > 0 { // a real tool rejects a call that does not fit its signature
					tr.Result, tr.Source = "error: invalid arguments: "+strings.Join(bad, "; "), SourceInvalid
				} else {
					tr.Result, tr.Source = Respond(t.Spec.Env, tc.Name, tc.Arguments)
				}
				res := tr.Result
				st.Results = append(st.Results, tr)
				msgs = append(msgs, api.Message{Role: "tool", Content: res, ToolName: tc.Name})
				key := tc.Name + "\x00" + canonical(tc.Arguments)
				if seen[key] {
					a.Stop = StopLoop
				}
				seen[key] = true
			}
		}
		a.Steps = append(a.Steps, st)
		if a.Stop == "" && t.OnStep != nil {
			t.OnStep(a)
		}
	}
	if a.Stop == "" {
		a.Stop = StopStepLimit
	}
	return a, total(a), runErr
}

// apiCalls turns recorded calls back into Ollama's, to send the history.
// Arguments go in name order (a recorded call keeps no order).
func apiCalls(calls []record.ToolCall) []api.ToolCall {
	var out []api.ToolCall
	for i, c := range calls {
		args := api.NewToolCallFunctionArguments()
		keys := make([]string, 0, len(c.Arguments))
		for k := range c.Arguments {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			args.Set(k, c.Arguments[k])
		}
		out = append(out, api.ToolCall{Function: api.ToolCallFunction{Index: i, Name: c.Name, Arguments: args}})
	}
	return out
}

// total sums the turns into one measurement: times and tokens added up, the
// first turn's time to first token, the last turn's output, every call.
func total(a *record.Agent) record.Measurement {
	var m record.Measurement
	for i, st := range a.Steps {
		s := st.Measurement
		if i == 0 {
			m.TTFTMs, m.TTFCMs, m.FirstThinkingMs, m.FirstContentMs = s.TTFTMs, s.TTFCMs, s.FirstThinkingMs, s.FirstContentMs
		}
		m.WallMs += s.WallMs
		m.LoadMs += s.LoadMs
		m.TotalMs += s.TotalMs
		m.PromptTokens += s.PromptTokens
		m.PromptMs += s.PromptMs
		m.EvalTokens += s.EvalTokens
		m.EvalMs += s.EvalMs
		m.ToolCalls = append(m.ToolCalls, s.ToolCalls...)
		m.Flags.Truncated = m.Flags.Truncated || s.Flags.Truncated
		m.Flags.ContextFull = m.Flags.ContextFull || s.Flags.ContextFull
		m.Flags.Runaway = m.Flags.Runaway || s.Flags.Runaway
		if i == len(a.Steps)-1 {
			m.Output, m.Thinking, m.StreamTPS = s.Output, s.Thinking, s.StreamTPS
			m.Flags.Empty, m.Flags.ThinkingOnly = s.Flags.Empty, s.Flags.ThinkingOnly
			m.RunawayReason = s.RunawayReason
		}
	}
	if m.PromptMs > 0 {
		m.PromptTPS = float64(m.PromptTokens) / (m.PromptMs / 1000)
	}
	if m.EvalMs > 0 {
		m.GenTPS = float64(m.EvalTokens) / (m.EvalMs / 1000)
	}
	m.DoneReason = a.Stop
	return m
}

// Score scores a trajectory against the spec; finalPass is whether the
// task's checks passed on the final answer (nil when it has none). It
// returns the sample's verdict: the loop ended with an answer, every call
// fit its tool's schema, the checks pass and the trajectory is the expected
// one, where each is asked for.
func Score(a *record.Agent, spec Spec, finalPass *bool) bool {
	var calls []record.ToolResult
	for _, st := range a.Steps {
		calls = append(calls, st.Results...)
	}
	e := spec.Expect
	needed := e != nil && len(e.Calls) > 0
	sc := record.AgentScores{NeededTool: needed, CalledTool: len(calls) > 0, Steps: len(a.Steps), ToolCalls: len(calls),
		Loop: a.Stop == StopLoop, FinalAnswer: finalPass, ArgumentValidity: 1}
	if needed {
		v := sc.CalledTool
		sc.Autonomy = &v
	}
	valid := 0
	for _, c := range calls {
		sc.SignatureErrors += len(c.SignatureErrors)
		if len(c.SignatureErrors) == 0 {
			valid++
		}
	}
	if len(calls) > 0 {
		sc.ArgumentValidity = float64(valid) / float64(len(calls))
	}
	switch {
	case needed:
		sc.ToolChoice = sc.CalledTool && calls[0].Name == e.Calls[0].Name
		for _, c := range calls {
			sc.ToolChoice = sc.ToolChoice && slices.ContainsFunc(e.Calls, func(x Call) bool { return x.Name == c.Name })
		}
	case e != nil && e.NoTool:
		sc.ToolChoice = !sc.CalledTool
	default:
		sc.ToolChoice = true
	}
	sc.UsedResult = a.Stop == StopAnswer && usedResult(a)
	if e != nil {
		ok := matches(calls, *e)
		sc.Trajectory = &ok
	}
	sc.WastedSteps = wasted(calls, e)
	a.Scores = sc
	return a.Stop == StopAnswer && sc.SignatureErrors == 0 && (finalPass == nil || *finalPass) && (sc.Trajectory == nil || *sc.Trajectory)
}

// matches reports whether the calls are the expected ones.
func matches(calls []record.ToolResult, e Expect) bool {
	if e.NoTool {
		return len(calls) == 0
	}
	if e.Order == OrderContains {
		return wasted(calls, &e) == len(calls)-len(e.Calls)
	}
	if len(calls) != len(e.Calls) {
		return false
	}
	if e.Order == OrderSet {
		return wasted(calls, &e) == 0
	}
	for i, c := range calls {
		if !e.Calls[i].matches(c) {
			return false
		}
	}
	return true
}

// matches reports whether a call made is this expected call: the same
// tool, and the same arguments unless the expectation leaves them out.
func (x Call) matches(c record.ToolResult) bool {
	return x.Name == c.Name && (x.Arguments == nil || SameArguments(x.Arguments, c.Arguments))
}

// wasted counts the calls the expected trajectory does not make (each
// expected call matches one made call at most), or repeats when nothing is expected.
func wasted(calls []record.ToolResult, e *Expect) int {
	if e == nil {
		seen, n := map[string]bool{}, 0
		for _, c := range calls {
			k := c.Name + "\x00" + canonical(c.Arguments)
			if seen[k] {
				n++
			}
			seen[k] = true
		}
		return n
	}
	left := slices.Clone(e.Calls)
	n := 0
	for _, c := range calls {
		i := slices.IndexFunc(left, func(x Call) bool { return x.matches(c) })
		if i < 0 {
			n++
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
	return n
}

// usedResult reports whether the final answer came after a tool result
// and shares a word (two or more letters or digits) with one that was not
// an error: a model that ignores what its tools said does not.
func usedResult(a *record.Agent) bool {
	words := map[string]bool{}
	for _, st := range a.Steps {
		for _, r := range st.Results {
			if r.Source == "error" || r.Source == "no_env" || r.Source == SourceInvalid {
				continue
			}
			for _, w := range wordsOf(r.Result) {
				words[w] = true
			}
		}
	}
	if len(words) == 0 || len(a.Steps) == 0 {
		return false
	}
	for _, w := range wordsOf(a.Steps[len(a.Steps)-1].Output) {
		if words[w] {
			return true
		}
	}
	return false
}

func wordsOf(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(f) >= 2 {
			out = append(out, f)
		}
	}
	return out
}
