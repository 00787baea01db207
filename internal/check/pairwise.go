package check

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// Pairwise verdicts: which of two answers a judge prefers.
const (
	PreferA   = "a"
	PreferB   = "b"
	PreferTie = "tie"
	// Undecided: a reply in either order was not understood or the call failed.
	Undecided = "undecided"
)

// DefaultPairwisePrompt asks which of two answers is better. Answer 1 and
// answer 2 are the two answers in the order of the call.
const DefaultPairwisePrompt = `Task: {{.Task}}

Answer 1:
{{.First}}

Answer 2:
{{.Second}}

Which answer is better for the task? Reply with JSON only: {"better": 1, 2 or 0 if they are equally good, "reason": "<one sentence>"}`

// Pairwise is a compiled pairwise judge: a model asked which of two answers
// is better, once in each order, so that a judge that prefers the first (or
// second) position cannot decide the verdict.
type Pairwise struct {
	Model  string
	System string
	tmpl   *template.Template
}

// NewPairwise compiles a pairwise judge; prompt "" is DefaultPairwisePrompt,
// a Go text/template with {{.Task}}, {{.First}} and {{.Second}}.
func NewPairwise(model, system, prompt string) (*Pairwise, error) {
	if strings.TrimSpace(model) == "" {
		return nil, fmt.Errorf("pairwise judge: give a judge model")
	}
	if prompt == "" {
		prompt = DefaultPairwisePrompt
	}
	t, err := template.New("pairwise").Option("missingkey=error").Parse(prompt)
	if err != nil {
		return nil, fmt.Errorf("pairwise judge prompt: %v; write a Go text/template using {{.Task}}, {{.First}} and {{.Second}}", err)
	}
	return &Pairwise{Model: model, System: system, tmpl: t}, nil
}

// PairVerdict is a pairwise judgement of answers a and b to one task.
type PairVerdict struct {
	Winner string `json:"winner" jsonschema:"a, b, tie (the two orders disagree, or the judge called them equal) or undecided"`
	// AB and BA are the preferred answer when a was shown first and when b
	// was: a, b, tie, or undecided.
	AB    string `json:"ab"`
	BA    string `json:"ba"`
	RawAB string `json:"raw_ab"`
	RawBA string `json:"raw_ba"`
}

// Compare asks the judge in both orders: a first, then b first. The winner
// is the answer preferred in both; orders that disagree give a tie.
func (p *Pairwise) Compare(ctx context.Context, judge Judge, task, a, b string) PairVerdict {
	var v PairVerdict
	v.AB, v.RawAB = p.ask(ctx, judge, task, a, b, PreferA, PreferB)
	v.BA, v.RawBA = p.ask(ctx, judge, task, b, a, PreferB, PreferA)
	switch {
	case v.AB == Undecided || v.BA == Undecided:
		v.Winner = Undecided
	case v.AB == v.BA:
		v.Winner = v.AB
	default:
		v.Winner = PreferTie
	}
	return v
}

// ask shows first and second and returns which the judge preferred, named
// by the labels of the first and the second answer.
func (p *Pairwise) ask(ctx context.Context, judge Judge, task, first, second, firstIs, secondIs string) (string, string) {
	var b strings.Builder
	if err := p.tmpl.Execute(&b, struct{ Task, First, Second string }{task, first, second}); err != nil {
		return Undecided, "render the prompt: " + err.Error()
	}
	raw, err := judge.Grade(ctx, p.Model, p.System, b.String())
	if err != nil {
		return Undecided, "error: " + err.Error()
	}
	switch parsePreference(raw) {
	case 1:
		return firstIs, raw
	case 2:
		return secondIs, raw
	case 0:
		return PreferTie, raw
	}
	return Undecided, raw
}

var preferenceRE = regexp.MustCompile(`(?i)\banswer\s*([12])\b|^\s*([012])\s*\.?\s*$`)

// parsePreference reads 1, 2 or 0 (equal) from a reply: JSON "better" (or
// "winner", "preferred"), "Answer 1", or a bare digit; -1 when none.
func parsePreference(raw string) int {
	if obj := firstJSONObject(raw); obj != nil {
		for _, k := range []string{"better", "winner", "preferred", "choice"} {
			if v, ok := field(obj, k); ok {
				switch x := v.(type) {
				case float64:
					if x == 0 || x == 1 || x == 2 {
						return int(x)
					}
				case string:
					if n := parseDigit(x); n >= 0 {
						return n
					}
				}
			}
		}
	}
	if m := preferenceRE.FindStringSubmatch(raw); m != nil {
		return parseDigit(m[1] + m[2])
	}
	return -1
}

func parseDigit(s string) int {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "answer")))
	switch s {
	case "1":
		return 1
	case "2":
		return 2
	case "0", "tie", "equal":
		return 0
	}
	return -1
}
