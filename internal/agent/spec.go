// Package agent runs multi-turn tool use: a model is given tools and a
// question, the calls it makes are answered by a scripted environment, the
// results are fed back, and the loop goes on until the model answers, runs
// out of steps, repeats a call, or trips the circuit breaker. The
// trajectory is scored: did the model call a tool when one was needed
// (autonomy), the right one, with arguments valid against the tool's own
// JSON schema (signature errors named), did it use the result, and is the
// final answer right.
package agent

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ollama/ollama/api"
)

// Limits of an agentic task.
const (
	DefaultMaxSteps = 8
	MaxSteps        = 50
)

// Spec makes a task agentic: the task's tools are answered by Env, the
// loop runs at most MaxSteps model turns, and Expect (with or instead of
// the task's checks, which score the final answer) says what success is.
type Spec struct {
	MaxSteps int                `json:"max_steps,omitempty" jsonschema:"model turns at most (1-50, default 8)"`
	Env      map[string]ToolEnv `json:"env,omitempty" jsonschema:"per tool name, its scripted responses; a tool with none answers every call with an error"`
	Expect   *Expect            `json:"expect,omitempty" jsonschema:"the expected trajectory: the calls (in order or as a set), or no_tool"`
}

// ToolEnv is a tool's scripted behaviour: the response whose arguments
// equal the call's, else Default, else Error (sent as the tool's result,
// prefixed "error: ").
type ToolEnv struct {
	Responses []Response `json:"responses,omitempty"`
	Default   string     `json:"default,omitempty" jsonschema:"the result for arguments no response matches"`
	Error     string     `json:"error,omitempty" jsonschema:"the error for arguments no response matches, when there is no default"`
}

// Response is one scripted answer of a tool.
type Response struct {
	Arguments map[string]any `json:"arguments" jsonschema:"the call's arguments, matched exactly (numbers by value)"`
	Result    string         `json:"result"`
}

// Expect is what a successful trajectory does.
type Expect struct {
	Calls []Call `json:"calls,omitempty" jsonschema:"the tool calls a right trajectory makes"`
	// Order is "sequence" (default: these calls in this order, nothing
	// else), "set" (these calls in any order, nothing else) or "contains"
	// (at least these calls, in any order; others are wasted steps).
	Order  string `json:"order,omitempty" jsonschema:"sequence (default), set or contains"`
	NoTool bool   `json:"no_tool,omitempty" jsonschema:"the task needs no tool: a right trajectory calls none"`
}

// Call is one expected tool call.
type Call struct {
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments,omitempty" jsonschema:"the arguments it must have; leave out to accept any"`
}

// Orders of Expect.
const (
	OrderSequence = "sequence"
	OrderSet      = "set"
	OrderContains = "contains"
)

// Steps is the step limit with its default.
func (s Spec) Steps() int {
	if s.MaxSteps == 0 {
		return DefaultMaxSteps
	}
	return s.MaxSteps
}

// Validate checks a spec against its task's tools and checks; each error
// names the field. hasChecks says whether the task scores the final answer.
func (s Spec) Validate(tools []api.Tool, hasChecks bool) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	names := map[string]bool{}
	for i, t := range tools {
		names[t.Function.Name] = true
		if err := CompileTool(t); err != nil {
			fail("tools[%d]: %v", i, err)
		}
	}
	if len(tools) == 0 {
		fail("agent: the task passes no tools; an agentic task offers tools under tools")
	}
	if s.MaxSteps < 0 || s.MaxSteps > MaxSteps {
		fail("agent.max_steps %d is out of range; use 1 to %d (default %d)", s.MaxSteps, MaxSteps, DefaultMaxSteps)
	}
	for name := range s.Env {
		if !names[name] {
			fail("agent.env.%s: the task passes no tool %q (it passes %s)", name, name, strings.Join(sortedKeys(names), ", "))
		}
	}
	criterion := hasChecks
	if e := s.Expect; e != nil {
		criterion = criterion || len(e.Calls) > 0 || e.NoTool
		if e.NoTool && len(e.Calls) > 0 {
			fail("agent.expect: no_tool and calls contradict each other; give one")
		}
		if e.Order != "" && e.Order != OrderSequence && e.Order != OrderSet && e.Order != OrderContains {
			fail("agent.expect.order %q is not sequence, set or contains", e.Order)
		}
		for i, c := range e.Calls {
			if !names[c.Name] {
				fail("agent.expect.calls[%d].name %q is not a tool the task passes (%s)", i, c.Name, strings.Join(sortedKeys(names), ", "))
			}
		}
	}
	if !criterion {
		fail("agent: no success criterion; add checks on the final answer, agent.expect.calls (the trajectory) or agent.expect.no_tool")
	}
	return errs
}

// Respond is a tool's scripted result for a call, and where it came from:
// "response", "default", "error", or "no_env" for a tool without a script.
func Respond(env map[string]ToolEnv, name string, args map[string]any) (result, source string) {
	e, ok := env[name]
	if !ok {
		return fmt.Sprintf("error: the tool %s is not available", name), "no_env"
	}
	for _, r := range e.Responses {
		if SameArguments(r.Arguments, args) {
			return r.Result, "response"
		}
	}
	if e.Default != "" {
		return e.Default, "default"
	}
	msg := e.Error
	if msg == "" {
		msg = "no result for these arguments"
	}
	return "error: " + msg, "error"
}

// SameArguments compares two argument maps by their JSON: numbers by
// value, key order ignored, nil and empty alike.
func SameArguments(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return canonical(a) == canonical(b)
}

func canonical(m map[string]any) string {
	b, err := json.Marshal(m) // maps marshal with sorted keys
	if err != nil {
		return fmt.Sprint(m)
	}
	var v any // round-trip: 3 and 3.0 are the same number
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	b, _ = json.Marshal(v)
	return string(b)
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
