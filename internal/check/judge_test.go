package check

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/benchmcp/benchmcp/internal/record"
)

// call is what a fake judge was asked.
type call struct{ Model, System, Prompt string }

// replying is a fake judge that answers every prompt with reply (or err) and
// records what it was asked.
func replying(reply string, err error, got *call) Judge {
	return JudgeFunc(func(_ context.Context, model, system, prompt string) (string, error) {
		*got = call{Model: model, System: system, Prompt: prompt}
		return reply, err
	})
}

var add = Answer{Task: "What is 47+385?", Output: "432\n"}

func TestJudgeDefaultPromptIsTinyJudgeFormat(t *testing.T) {
	var got call
	c := mustCompile(t, Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "tiny-judge"}})
	r := c.Evaluate(context.Background(), add, Env{Judge: replying(`{"score": 10}`, nil, &got)})

	const prompt = "Task: What is 47+385?\nAnswer: 432\nGrade the answer from 0 to 10."
	if diff := cmp.Diff(call{Model: "tiny-judge", Prompt: prompt}, got); diff != "" {
		t.Errorf("judge call (-want +got):\n%s", diff)
	}
	want := record.CheckResult{Type: "llm_judge", Pass: true, Score: 1, Judge: &record.JudgeVerdict{
		Model: "tiny-judge", Prompt: prompt, Raw: `{"score": 10}`, Score: 1,
	}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// TestJudgeCriteria: the verdict keeps the judge's score per rubric
// criterion, named as the rubric names it, normalised, in rubric order.
func TestJudgeCriteria(t *testing.T) {
	rubric := &JudgeSpec{Model: "big-judge", Rubric: []Criterion{
		{Name: "Problem Analysis", Weight: 20}, {Name: "Code Completeness", Weight: 30},
	}}
	for _, tc := range []struct {
		name  string
		judge *JudgeSpec
		reply string
		want  []record.CriterionScore
	}{
		{"both", rubric, `{"scores": {"code completeness": 25, "problem analysis": 10}, "score": 7}`, []record.CriterionScore{
			{Name: "Problem Analysis", Weight: 20, Score: 1}, {Name: "Code Completeness", Weight: 30, Score: 1}}},
		{"on the scale", &JudgeSpec{Model: "j", MaxScore: 20, Rubric: rubric.Rubric}, `{"scores": {"Problem Analysis": 16, "Code Completeness": 20}}`, []record.CriterionScore{
			{Name: "Problem Analysis", Weight: 20, Score: 0.8}, {Name: "Code Completeness", Weight: 30, Score: 1}}},
		{"one of two", rubric, `{"scores": {"Problem Analysis": 5}, "score": 5}`, []record.CriterionScore{{Name: "Problem Analysis", Weight: 20, Score: 0.5}}},
		{"not an object", rubric, `{"scores": [1, 2], "score": 2}`, nil},
		{"no rubric", &JudgeSpec{Model: "j"}, `{"scores": {"a": 1}, "score": 2}`, nil},
		{"words", rubric, "Score: 7/10", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCompile(t, Spec{Type: "llm_judge", Judge: tc.judge})
			r := c.Evaluate(context.Background(), add, Env{Judge: replying(tc.reply, nil, new(call))})
			if r.Judge == nil {
				t.Fatal("no verdict")
			}
			if diff := cmp.Diff(tc.want, r.Judge.Criteria, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("criteria (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJudgeVerdicts(t *testing.T) {
	plain := &JudgeSpec{Model: "tiny-judge"}
	rubric := &JudgeSpec{Model: "big-judge", Rubric: []Criterion{
		{Name: "correctness", Weight: 70, Description: "the number is right"},
		{Name: "clarity", Weight: 30},
	}}
	for _, tc := range []struct {
		name   string
		judge  *JudgeSpec
		reply  string
		pass   bool
		score  float64
		reason string // fragment; "" = none
	}{
		{"tiny-judge correct", plain, `{"score": 10}`, true, 1, ""},
		{"tiny-judge wrong", plain, `{"score": 0}`, false, 0, "judge tiny-judge scored 0/10, below the pass mark 5/10"},
		{"pass mark is inclusive", plain, `{"score": 5}`, true, 0.5, ""},
		{"text around the object", plain, "Let me think. {\"score\": 7, \"reason\": \"fine\"} Hope this helps {\"x\": 1}", true, 0.7, ""},
		{"json fence", plain, "```json\n{\"score\": 3, \"reason\": \"off by one\"}\n```", false, 0.3, "scored 3/10, below the pass mark 5/10: off by one"},
		{"score as text", plain, `{"score": "8"}`, true, 0.8, ""},
		{"score as a fraction", plain, `{"score": "4/5"}`, true, 0.8, ""},
		{"key case", plain, `{"Score": 6}`, true, 0.6, ""},
		{"braces in prose before the object", plain, "Use {braces} wisely. {\"score\": 9}", true, 0.9, ""},
		{"words", plain, "Score: 7/10", true, 0.7, ""},
		{"words, out of", plain, "I would give it a rating of 2 out of 4.", true, 0.5, ""},
		{"words, no scale", plain, "score = 3", false, 0.3, "scored 3/10"},
		{"bare number", plain, " 8\n", true, 0.8, ""},
		{"bare fraction", plain, "6/10.", true, 0.6, ""},
		{"above the scale", plain, `{"score": 15}`, true, 1, ""},
		{"below the scale", plain, `{"score": -3}`, false, 0, "scored 0/10"},
		{"object without a score", plain, `{"verdict": "good"}`, false, 0, `judge reply not understood: "{\"verdict\": \"good\"}"`},
		{"prose", plain, "The answer looks right to me.", false, 0, `judge reply not understood: "The answer looks right to me."`},
		{"empty", plain, "", false, 0, `judge reply not understood: ""`},
		{"numbers in prose are not scores", plain, "47+385 is 432, so yes.", false, 0, "not understood"},

		{"rubric weighted mean", rubric, `{"scores": {"correctness": 10, "clarity": 0}, "score": 9, "reason": "terse"}`, true, 0.7, ""},
		{"rubric weighted mean fails", rubric, `{"scores": {"correctness": 0, "clarity": 10}, "score": 9, "reason": "wrong"}`, false, 0.3, "scored 3/10, below the pass mark 5/10: wrong"},
		{"rubric name case", rubric, `{"scores": {"Correctness": 10, "CLARITY": 10}}`, true, 1, ""},
		{"rubric partial falls back on score", rubric, `{"scores": {"correctness": 10}, "score": 4}`, false, 0.4, "scored 4/10"},
		{"rubric partial without score", rubric, `{"scores": {"correctness": 8}}`, true, 0.8, ""},
		{"rubric without scores uses score", rubric, `{"score": 6}`, true, 0.6, ""},
		{"rubric scores not an object", rubric, `{"scores": [1, 2], "score": 2}`, false, 0.2, "scored 2/10"},
		{"max_score and pass_score", &JudgeSpec{Model: "j", MaxScore: 5, PassScore: 0.9}, `{"score": 4}`, false, 0.8, "scored 4/5, below the pass mark 4.5/5"},
		{"equal weights when none given", &JudgeSpec{Model: "j", Rubric: []Criterion{{Name: "a"}, {Name: "b"}}}, `{"scores": {"a": 10, "b": 5}}`, true, 0.75, ""},
		{"zero weight ignored", &JudgeSpec{Model: "j", Rubric: []Criterion{{Name: "a", Weight: 1}, {Name: "b"}}}, `{"scores": {"a": 2, "b": 10}}`, false, 0.2, "scored 2/10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got call
			c := mustCompile(t, Spec{Type: "llm_judge", Judge: tc.judge})
			r := c.Evaluate(context.Background(), add, Env{Judge: replying(tc.reply, nil, &got)})
			if r.Pass != tc.pass || !approx(r.Score, tc.score) || r.Skipped {
				t.Errorf("pass=%v score=%v skipped=%v (%q), want pass=%v score=%v", r.Pass, r.Score, r.Skipped, r.Reason, tc.pass, tc.score)
			}
			if (tc.reason == "") != (r.Reason == "") || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("reason = %q, want %q", r.Reason, tc.reason)
			}
			if r.Judge == nil {
				t.Fatal("no verdict recorded")
			}
			want := record.JudgeVerdict{Model: tc.judge.Model, Prompt: got.Prompt, Raw: tc.reply, Score: tc.score}
			if diff := cmp.Diff(want, *r.Judge, cmpopts.EquateApprox(0, 1e-9), cmpopts.IgnoreFields(record.JudgeVerdict{}, "Criteria")); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
		})
	}
}

func approx(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestJudgeRubricPrompt(t *testing.T) {
	var got call
	c := mustCompile(t, Spec{Type: "llm_judge", Judge: &JudgeSpec{
		Model:     "big-judge",
		System:    "You are a strict grader.",
		Reference: "432",
		Rubric: []Criterion{
			{Name: "correctness", Weight: 70, Description: "the sum is right"},
			{Name: "brevity", Weight: 30},
		},
	}})
	r := c.Evaluate(context.Background(), add, Env{Judge: replying(`{"scores": {"correctness": 10, "brevity": 10}, "score": 10}`, nil, &got)})
	if !r.Pass || r.Score != 1 {
		t.Fatalf("got %+v, want a pass", r)
	}
	for _, want := range []string{
		"Task:\nWhat is 47+385?\n",
		"Answer:\n432\n",
		"Reference answer:\n432\n",
		"- correctness (weight 70): the sum is right\n- brevity (weight 30)\n",
		"from 0 to 10",
		`{"scores": {"correctness": <0-10>, "brevity": <0-10>}, "score": <0-10>, "reason": "<one sentence>"}`,
	} {
		if !strings.Contains(got.Prompt, want) {
			t.Errorf("prompt lacks %q:\n%s", want, got.Prompt)
		}
	}
	if got.System != "You are a strict grader." {
		t.Errorf("system = %q", got.System)
	}
	if want := "system: You are a strict grader.\n" + got.Prompt; r.Judge.Prompt != want {
		t.Errorf("recorded prompt = %q, want %q", r.Judge.Prompt, want)
	}
}

func TestJudgeCustomPrompt(t *testing.T) {
	var got call
	c := mustCompile(t, Spec{Type: "llm_judge", Judge: &JudgeSpec{
		Model:     "j",
		Prompt:    "Q={{.Task}} A={{.Answer}} R={{.Reference}} max={{.MaxScore}}{{range .Rubric}} [{{.Name}}:{{.Weight}}]{{end}}",
		Reference: "432",
		Rubric:    []Criterion{{Name: "ok", Weight: 2}},
	}})
	c.Evaluate(context.Background(), add, Env{Judge: replying("7", nil, &got)})
	if want := "Q=What is 47+385? A=432 R=432 max=10 [ok:2]"; got.Prompt != want {
		t.Errorf("prompt = %q, want %q", got.Prompt, want)
	}
}

func TestJudgePlainPromptVariants(t *testing.T) {
	for _, tc := range []struct {
		name  string
		judge *JudgeSpec
		a     Answer
		want  string
	}{
		{"reference", &JudgeSpec{Model: "j", Reference: "432"}, add,
			"Task: What is 47+385?\nAnswer: 432\nReference answer: 432\nGrade the answer from 0 to 10."},
		{"other scale", &JudgeSpec{Model: "j", MaxScore: 5}, add,
			"Task: What is 47+385?\nAnswer: 432\nGrade the answer from 0 to 5."},
		{"tool call answer", &JudgeSpec{Model: "j"}, Answer{Task: "What is the weather in Paris?", ToolCalls: weatherCall},
			"Task: What is the weather in Paris?\nAnswer: tool call: get_weather {\"city\":\"Paris\"}\nGrade the answer from 0 to 10."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got call
			mustCompile(t, Spec{Type: "llm_judge", Judge: tc.judge}).Evaluate(context.Background(), tc.a, Env{Judge: replying("5", nil, &got)})
			if got.Prompt != tc.want {
				t.Errorf("prompt = %q, want %q", got.Prompt, tc.want)
			}
		})
	}
}

func TestJudgeFailures(t *testing.T) {
	c := mustCompile(t, Spec{Type: "llm_judge", Judge: &JudgeSpec{Model: "tiny-judge"}})

	t.Run("judge error", func(t *testing.T) {
		var got call
		r := c.Evaluate(context.Background(), add, Env{Judge: replying("", errors.New("model \"tiny-judge\" not found"), &got)})
		want := record.CheckResult{
			Type:   "llm_judge",
			Reason: `judge tiny-judge failed: model "tiny-judge" not found`,
			Judge:  &record.JudgeVerdict{Model: "tiny-judge", Prompt: got.Prompt},
		}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
	})
	t.Run("no judge", func(t *testing.T) {
		r := c.Evaluate(context.Background(), add, Env{})
		if !r.Skipped || r.Pass || r.Reason == "" {
			t.Errorf("got %+v, want skipped with a reason", r)
		}
	})
	t.Run("context reaches the judge", func(t *testing.T) {
		type key struct{}
		ctx := context.WithValue(context.Background(), key{}, "run-1")
		var seen any
		judge := JudgeFunc(func(ctx context.Context, _, _, _ string) (string, error) {
			seen = ctx.Value(key{})
			return "10", nil
		})
		c.Evaluate(ctx, add, Env{Judge: judge})
		if seen != "run-1" {
			t.Errorf("judge saw context value %v", seen)
		}
	})
}
