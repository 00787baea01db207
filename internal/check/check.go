package check

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Types lists the check types Compile accepts, in the order the docs show them.
var Types = []string{
	"exact", "contains", "regex", "numeric", "json_schema", "word_count",
	"tool_call", "no_tool_call", "code_exec", "llm_judge",
}

// Judge calls a judge model and returns its raw reply. The runner implements
// it over the Ollama executor.
type Judge interface {
	Grade(ctx context.Context, model, system, prompt string) (string, error)
}

// JudgeFunc adapts a function to the Judge interface.
type JudgeFunc func(ctx context.Context, model, system, prompt string) (string, error)

// Grade calls f.
func (f JudgeFunc) Grade(ctx context.Context, model, system, prompt string) (string, error) {
	return f(ctx, model, system, prompt)
}

// Answer is what the model under test produced for one task.
type Answer struct {
	Task      string // the task prompt
	Output    string
	ToolCalls []record.ToolCall
}

// Env carries what some checks need: the judge for llm_judge and the
// interpreter for code_exec.
type Env struct {
	Judge Judge
	// JudgeAt is the judge on a named host, for a judge check that names
	// one (the judge on its own host); nil: such checks use Judge.
	JudgeAt func(host string) Judge
	// Python is the interpreter for code_exec. Empty: look up python3, then
	// python, on PATH. A path that does not exist makes code_exec skip.
	Python string
	// Sandbox is how code_exec confines the code; the zero value is
	// bubblewrap from PATH, and a skip when it cannot be used.
	Sandbox Sandbox
}

// Check is one compiled check, ready to score answers. Evaluate never
// returns a Go error: a check that cannot decide says so in the result
// (Skipped, or Pass=false with a Reason).
type Check interface {
	Type() string
	Evaluate(ctx context.Context, a Answer, env Env) record.CheckResult
}

// SpecError is a check spec that Compile rejects. It names the field at fault
// and says what to write instead.
type SpecError struct {
	Type  string // the check type as written ("" when missing)
	Field string // the JSON name of the field at fault
	Msg   string
}

func (e *SpecError) Error() string {
	if e.Type == "" || e.Field == "type" {
		return fmt.Sprintf("check: %s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("%s check: %s: %s", e.Type, e.Field, e.Msg)
}

func specErr(s Spec, field, format string, args ...any) error {
	return &SpecError{Type: s.Type, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Compile validates a spec and returns the check it describes. Everything
// that can be wrong with a spec is found here, before any model runs; the
// error (a *SpecError) names the field and what to write instead.
func Compile(s Spec) (Check, error) {
	c, err := compile(s)
	if err != nil || !s.Advisory {
		return c, err
	}
	return advisory{c}, nil
}

// advisory marks a check's results as outside the verdict.
type advisory struct{ Check }

func (a advisory) Evaluate(ctx context.Context, ans Answer, env Env) record.CheckResult {
	r := a.Check.Evaluate(ctx, ans, env)
	r.Advisory = true
	return r
}

func compile(s Spec) (Check, error) {
	switch s.Type {
	case "exact", "contains":
		return compileText(s)
	case "regex":
		return compileRegex(s)
	case "numeric":
		return compileNumeric(s)
	case "json_schema":
		return compileJSONSchema(s)
	case "word_count":
		return compileWordCount(s)
	case "tool_call":
		return compileToolCall(s)
	case "no_tool_call":
		return noToolCall{}, nil
	case "code_exec":
		return compileCodeExec(s)
	case "llm_judge":
		return compileJudge(s)
	case "":
		return nil, specErr(s, "type", "missing; write one of %s", strings.Join(Types, ", "))
	default:
		hint := ""
		if lower := strings.ToLower(strings.TrimSpace(s.Type)); lower != s.Type && isType(lower) {
			hint = fmt.Sprintf("; did you mean %q?", lower)
		}
		return nil, specErr(s, "type", "%q is not a check type; write one of %s%s", s.Type, strings.Join(Types, ", "), hint)
	}
}

func isType(t string) bool {
	for _, x := range Types {
		if x == t {
			return true
		}
	}
	return false
}

// Evaluate runs the checks on one answer, in order. Advisory checks are run
// and reported but count as skipped here. pass is true when every
// check that was not skipped passed and at least one was not skipped; score
// is the mean score of the checks that were not skipped. When no check ran
// (none given, or all skipped) the answer is not known to be right: pass is
// false and score is 0.
func Evaluate(ctx context.Context, checks []Check, a Answer, env Env) (results []record.CheckResult, pass bool, score float64) {
	results = make([]record.CheckResult, 0, len(checks))
	ran := 0
	pass = true
	for _, c := range checks {
		r := safeEvaluate(ctx, c, a, env)
		results = append(results, r)
		if r.Skipped || r.Advisory {
			continue
		}
		ran++
		score += r.Score
		pass = pass && r.Pass
	}
	if ran == 0 {
		return results, false, 0
	}
	return results, pass, score / float64(ran)
}

// safeEvaluate is c.Evaluate, with a panic turned into a failed result and
// its stack logged: a bug in one check fails that check, not the process.
func safeEvaluate(ctx context.Context, c Check, a Answer, env Env) (r record.CheckResult) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("a check panicked; its result is a failure", "check", c.Type(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r = failed(c.Type(), panickedPrefix+"(%v); this is a bug in benchmcp: the stack is in the log, please report it", p)
		}
	}()
	return c.Evaluate(ctx, a, env)
}

const panickedPrefix = "internal error: the check panicked "

// Panicked reports whether a check's result is a panic safeEvaluate caught:
// a bug in benchmcp, which says nothing of the answer.
func Panicked(r record.CheckResult) bool { return strings.HasPrefix(r.Reason, panickedPrefix) }

// JudgeTarget is a judge model and the host a check names for it ("" for
// the run's host).
type JudgeTarget struct{ Model, Host string }

// JudgeTargets lists the distinct (judge model, host) pairs of the specs'
// llm_judge checks, in order.
func JudgeTargets(specs []Spec) []JudgeTarget {
	var out []JudgeTarget
	for _, s := range specs {
		if s.Type != "llm_judge" || s.Judge == nil {
			continue
		}
		t := JudgeTarget{Model: strings.TrimSpace(s.Judge.Model), Host: strings.TrimSpace(s.Judge.Host)}
		if t.Model != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// result helpers

func passed(typ string) record.CheckResult {
	return record.CheckResult{Type: typ, Pass: true, Score: 1}
}

func failed(typ, format string, args ...any) record.CheckResult {
	return record.CheckResult{Type: typ, Reason: fmt.Sprintf(format, args...)}
}

func skipped(typ, format string, args ...any) record.CheckResult {
	return record.CheckResult{Type: typ, Skipped: true, Reason: fmt.Sprintf(format, args...)}
}

// failedText is a failure of a check on the answer's text. When the model
// made a tool call instead of answering in text, the reason says so, since
// that is the real cause.
func failedText(typ string, a Answer, format string, args ...any) record.CheckResult {
	r := failed(typ, format, args...)
	if strings.TrimSpace(a.Output) == "" && len(a.ToolCalls) > 0 {
		r.Reason = fmt.Sprintf("the model made a tool call (%s) instead of answering in text", describeCall(a.ToolCalls[0]))
	}
	return r
}

// describeCall renders a tool call as `name {"arg":"value"}`.
func describeCall(c record.ToolCall) string {
	args, err := json.Marshal(c.Arguments)
	if err != nil || len(c.Arguments) == 0 {
		return c.Name
	}
	return c.Name + " " + clip(string(args), 200)
}

// excerpt quotes s, on one line and cut to at most n runes, for a reason.
func excerpt(s string, n int) string {
	return fmt.Sprintf("%q", clip(s, n))
}

// clip puts s on one line and cuts it to at most n runes, marking the cut.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
