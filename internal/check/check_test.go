package check

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/record"
)

func mustCompile(t *testing.T, s Spec) Check {
	t.Helper()
	c, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", s, err)
	}
	if c.Type() != s.Type {
		t.Fatalf("Type() = %q, want %q", c.Type(), s.Type)
	}
	return c
}

func num(f float64) *float64 { return &f }

// evalCase is one answer scored by one check, with the expected pass, score
// and a fragment of the reason ("" = no reason).
type evalCase struct {
	name   string
	spec   Spec
	answer Answer
	pass   bool
	score  float64
	reason string
}

func runEvalCases(t *testing.T, cases []evalCase, env Env) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCompile(t, tc.spec).Evaluate(context.Background(), tc.answer, env)
			if r.Type != tc.spec.Type || r.Pass != tc.pass || r.Score != tc.score || r.Skipped {
				t.Errorf("got type=%s pass=%v score=%v skipped=%v (reason %q), want type=%s pass=%v score=%v",
					r.Type, r.Pass, r.Score, r.Skipped, r.Reason, tc.spec.Type, tc.pass, tc.score)
			}
			switch {
			case tc.reason == "" && r.Reason != "":
				t.Errorf("reason = %q, want none", r.Reason)
			case !strings.Contains(r.Reason, tc.reason):
				t.Errorf("reason = %q, want it to contain %q", r.Reason, tc.reason)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  Spec
		field string
		want  string // fragment of the message
	}{
		{"no type", Spec{}, "type", "write one of exact, contains"},
		{"unknown type", Spec{Type: "exakt", Value: "x"}, "type", `"exakt" is not a check type`},
		{"type case", Spec{Type: "Exact", Value: "x"}, "type", `did you mean "exact"`},
		{"exact without value", Spec{Type: "exact", Value: "  "}, "value", "write the expected answer"},
		{"contains without value", Spec{Type: "contains"}, "value", "must contain"},
		{"regex without pattern", Spec{Type: "regex"}, "pattern", "RE2"},
		{"bad regex", Spec{Type: "regex", Pattern: "([a-z]"}, "pattern", "missing closing )"},
		{"lookahead", Spec{Type: "regex", Pattern: `\d(?=px)`}, "pattern", "no lookarounds"},
		{"numeric without number", Spec{Type: "numeric"}, "number", `"number": 432`},
		{"numeric value not a number", Spec{Type: "numeric", Value: "four"}, "value", `"four" is not a number`},
		{"numeric disagreement", Spec{Type: "numeric", Value: "5", Number: num(4)}, "value", "disagrees"},
		{"numeric negative tolerance", Spec{Type: "numeric", Number: num(4), Tolerance: -1}, "tolerance", ">= 0"},
		{"schema missing", Spec{Type: "json_schema"}, "schema", "write the JSON schema"},
		{"schema invalid", Spec{Type: "json_schema", Schema: map[string]any{"type": "objekt"}}, "schema", "invalid JSON schema"},
		{"schema bad minimum", Spec{Type: "json_schema", Schema: map[string]any{"type": "integer", "minimum": "zero"}}, "schema", "invalid JSON schema"},
		{"schema external ref", Spec{Type: "json_schema", Schema: map[string]any{"$ref": "https://example.com/s.json"}}, "schema", "invalid JSON schema"},
		{"word_count unbounded", Spec{Type: "word_count"}, "min_words", "set min_words, max_words or both"},
		{"word_count negative min", Spec{Type: "word_count", MinWords: -1, MaxWords: 3}, "min_words", "negative"},
		{"word_count negative max", Spec{Type: "word_count", MaxWords: -3}, "max_words", "negative"},
		{"word_count inverted", Spec{Type: "word_count", MinWords: 5, MaxWords: 3}, "max_words", "below min_words 5"},
		{"tool_call without name", Spec{Type: "tool_call", Arguments: map[string]any{"city": "Paris"}}, "name", "get_weather"},
		{"code_exec without tests", Spec{Type: "code_exec"}, "tests", "assert"},
		{"code_exec language", Spec{Type: "code_exec", Language: "javascript", Tests: "x"}, "language", `write "python"`},
		{"code_exec timeout", Spec{Type: "code_exec", Tests: "x", TimeoutS: -2}, "timeout_s", "seconds > 0"},
		{"code_exec timeout over an hour", Spec{Type: "code_exec", Tests: "x", TimeoutS: 3601}, "timeout_s", "at most 3600"},
		{"code_exec timeout that overflows", Spec{Type: "code_exec", Tests: "x", TimeoutS: 1e10}, "timeout_s", "at most 3600"},
		{"llm_judge without judge", Spec{Type: "llm_judge"}, "judge", `"model": "tiny-judge"`},
		{"llm_judge without model", Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: " "}}, "judge.model", "tiny-judge"},
		{"llm_judge bad template", Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "j", Prompt: "Task: {{.Task"}}, "judge.prompt", "text/template"},
		{"llm_judge unknown field", Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "j", Prompt: "Q: {{.Question}}"}}, "judge.prompt", "the fields are .Task"},
		{"llm_judge negative weight", Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "j", Rubric: []Criterion{{Name: "a", Weight: 1}, {Name: "b", Weight: -1}}}}, "judge.rubric[1].weight", "negative"},
		{"llm_judge unnamed criterion", Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "j", Rubric: []Criterion{{Weight: 1}}}}, "judge.rubric[0].name", "missing"},
		{"llm_judge duplicate criterion", Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "j", Rubric: []Criterion{{Name: "a"}, {Name: "A"}}}}, "judge.rubric[1].name", "twice"},
		{"llm_judge pass_score on the 10 scale", Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "j", PassScore: 7}}, "judge.pass_score", "write 0.7"},
		{"llm_judge negative max_score", Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "j", MaxScore: -10}}, "judge.max_score", "> 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compile(tc.spec)
			if err == nil {
				t.Fatalf("Compile = %v, want an error", c)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *SpecError", err, err)
			}
			if se.Field != tc.field {
				t.Errorf("field = %q, want %q (error %v)", se.Field, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name the field %q", err, tc.field)
			}
		})
	}
}

func TestCompileAcceptsEveryType(t *testing.T) {
	specs := []Spec{
		{Type: "exact", Value: "432"},
		{Type: "contains", Value: "Paris"},
		{Type: "regex", Pattern: `^\d+$`},
		{Type: "numeric", Value: "1,234"},
		{Type: "json_schema", Schema: map[string]any{"type": "object"}},
		{Type: "word_count", MaxWords: 5},
		{Type: "tool_call", Name: "get_weather"},
		{Type: "no_tool_call"},
		{Type: "code_exec", Tests: "assert True", Language: "Python"},
		{Type: "llm_judge", Judge: &JudgeSpec{Model: "tiny-judge"}},
	}
	var types []string
	for _, s := range specs {
		types = append(types, mustCompile(t, s).Type())
	}
	if diff := cmp.Diff(Types, types); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
}

// fixed is a Check with a fixed result, to test Evaluate's roll-up.
type fixed struct{ r record.CheckResult }

func (f fixed) Type() string { return f.r.Type }
func (f fixed) Evaluate(context.Context, Answer, Env) record.CheckResult {
	return f.r
}

func TestEvaluate(t *testing.T) {
	pass := fixed{record.CheckResult{Type: "a", Pass: true, Score: 1}}
	half := fixed{record.CheckResult{Type: "b", Score: 0.5, Reason: "half"}}
	skip := fixed{record.CheckResult{Type: "c", Skipped: true, Reason: "no python"}}
	for _, tc := range []struct {
		name      string
		checks    []Check
		pass      bool
		score     float64
		nResults  int
		wantTypes []string
	}{
		{"all pass", []Check{pass, pass}, true, 1, 2, []string{"a", "a"}},
		{"one fails", []Check{pass, half}, false, 0.75, 2, []string{"a", "b"}},
		{"skipped ones do not count", []Check{pass, skip}, true, 1, 2, []string{"a", "c"}},
		{"skipped and failed", []Check{skip, half}, false, 0.5, 2, []string{"c", "b"}},
		{"all skipped", []Check{skip, skip}, false, 0, 2, []string{"c", "c"}},
		{"no checks", nil, false, 0, 0, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results, pass, score := Evaluate(context.Background(), tc.checks, Answer{}, Env{})
			if pass != tc.pass || score != tc.score {
				t.Errorf("pass, score = %v, %v; want %v, %v", pass, score, tc.pass, tc.score)
			}
			types := []string{}
			for _, r := range results {
				types = append(types, r.Type)
			}
			if diff := cmp.Diff(tc.wantTypes, types); diff != "" {
				t.Errorf("result types (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateRealChecks(t *testing.T) {
	checks := []Check{
		mustCompile(t, Spec{Type: "exact", Value: "432"}),
		mustCompile(t, Spec{Type: "numeric", Number: num(432)}),
		mustCompile(t, Spec{Type: "word_count", MaxWords: 1}),
	}
	results, pass, score := Evaluate(context.Background(), checks, Answer{Task: "What is 47+385?", Output: "432\n"}, Env{})
	want := []record.CheckResult{
		{Type: "exact", Pass: true, Score: 1},
		{Type: "numeric", Pass: true, Score: 1},
		{Type: "word_count", Pass: true, Score: 1},
	}
	if diff := cmp.Diff(want, results); diff != "" || !pass || score != 1 {
		t.Errorf("pass=%v score=%v, results (-want +got):\n%s", pass, score, diff)
	}
}

func TestJudgeTargets(t *testing.T) {
	specs := []Spec{
		{Type: "exact", Value: "x"},
		{Type: "llm_judge", Judge: &JudgeSpec{Model: "tiny-judge"}},
		{Type: "llm_judge", Judge: &JudgeSpec{Model: "qwen2.5:14b", Host: "gpu-box"}},
		{Type: "llm_judge", Judge: &JudgeSpec{Model: " tiny-judge "}},
		{Type: "llm_judge", Judge: &JudgeSpec{Model: "tiny-judge", Host: "judge-box"}},
		{Type: "llm_judge"},
		{Type: "exact", Judge: &JudgeSpec{Model: "not-a-judge-check"}},
	}
	want := []JudgeTarget{{"tiny-judge", ""}, {"qwen2.5:14b", "gpu-box"}, {"tiny-judge", "judge-box"}}
	if diff := cmp.Diff(want, JudgeTargets(specs)); diff != "" {
		t.Errorf("JudgeTargets (-want +got):\n%s", diff)
	}
	if got := JudgeTargets(nil); len(got) != 0 {
		t.Errorf("JudgeTargets(nil) = %v, want none", got)
	}
}

// TestJudgeOnItsOwnHost: a judge check naming a host asks the judge there.
func TestJudgeOnItsOwnHost(t *testing.T) {
	asked := ""
	at := func(host string) Judge {
		return JudgeFunc(func(context.Context, string, string, string) (string, error) {
			asked = host
			return `{"score": 10}`, nil
		})
	}
	local := JudgeFunc(func(context.Context, string, string, string) (string, error) {
		asked = "run host"
		return `{"score": 10}`, nil
	})
	for _, c := range []struct{ host, want string }{{"judge-box", "judge-box"}, {"", "run host"}} {
		ch := mustCompile(t, Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "j", Host: c.host}})
		if r := ch.Evaluate(context.Background(), Answer{Task: "t", Output: "o"}, Env{Judge: local, JudgeAt: at}); !r.Pass || asked != c.want {
			t.Errorf("host %q: asked %q (pass %v), want %q", c.host, asked, r.Pass, c.want)
		}
	}
}

func TestAdvisoryLeftOutOfVerdict(t *testing.T) {
	exact, err := Compile(Spec{Type: "exact", Value: "432"})
	if err != nil {
		t.Fatal(err)
	}
	wrongJudge, err := Compile(Spec{Type: "llm_judge", Advisory: true, Judge: &JudgeSpec{Model: "j"}})
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Judge: JudgeFunc(func(context.Context, string, string, string) (string, error) { return `{"score": 0}`, nil })}
	results, pass, score := Evaluate(context.Background(), []Check{exact, wrongJudge}, Answer{Task: "What is 47+385?", Output: "432"}, env)
	if !pass || score != 1 {
		t.Errorf("pass %v score %v: an advisory judge must not decide the verdict", pass, score)
	}
	if len(results) != 2 || !results[1].Advisory || results[1].Pass || results[1].Judge == nil {
		t.Errorf("advisory result not reported: %+v", results)
	}
}

// panicCheck is a check with a bug: its Evaluate panics.
type panicCheck struct{}

func (panicCheck) Type() string { return "exact" }
func (panicCheck) Evaluate(context.Context, Answer, Env) record.CheckResult {
	var m map[string]int
	m["boom"]++ // a nil map write: the panic a real bug would raise
	return record.CheckResult{}
}

// A check that panics fails, with the panic in its reason and the stack
// in the log; the checks after it still run, and the process goes on.
func TestEvaluateRecoversPanic(t *testing.T) {
	var logs strings.Builder
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	ok := mustCompile(t, Spec{Type: "contains", Value: "4"})
	results, pass, _ := Evaluate(context.Background(), []Check{panicCheck{}, ok}, Answer{Output: "4"}, Env{})
	if len(results) != 2 || results[0].Pass || !strings.Contains(results[0].Reason, "panicked") || !strings.Contains(results[0].Reason, "assignment to entry in nil map") {
		t.Fatalf("results %+v, want the first a failure that names the panic", results)
	}
	if !results[1].Pass || pass {
		t.Errorf("results %+v pass %v: want the second check run and passed, and the verdict a failure", results, pass)
	}
	if !strings.Contains(logs.String(), "panicCheck.Evaluate") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("the log lacks the stack:\n%s", logs.String())
	}
}
