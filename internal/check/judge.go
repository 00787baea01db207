package check

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Judge defaults.
const (
	DefaultJudgeMaxScore  = 10
	DefaultJudgePassScore = 0.5
)

// plainJudgePrompt is the default judge message without a rubric: the format
// tiny-judge understands, word for word (the reference line appears only when
// a reference is set).
const plainJudgePrompt = "Task: {{.Task}}\nAnswer: {{.Answer}}\n" +
	"{{if .Reference}}Reference answer: {{.Reference}}\n{{end}}" +
	"Grade the answer from 0 to {{.MaxScore}}."

// rubricJudgePrompt is the default judge message with a rubric.
const rubricJudgePrompt = `Grade the answer to the task below against each criterion of the rubric.

Task:
{{.Task}}

Answer:
{{.Answer}}
{{- if .Reference}}

Reference answer:
{{.Reference}}
{{- end}}

Rubric (criterion, weight, what to look for):
{{.Rubric}}

Score each criterion from 0 to {{.MaxScore}}, and the answer as a whole from 0 to {{.MaxScore}}. Reply with only this JSON object:
{{.ReplyFormat}}`

// PromptData is what a judge prompt template sees.
type PromptData struct {
	Task      string  // the task prompt
	Answer    string  // the answer; tool calls appear as "tool call: name {args}" lines
	Reference string  // the reference answer, if any
	Rubric    Rubric  // prints as one "- name (weight w): description" line per criterion
	MaxScore  float64 // the top of the judge's scale
	// ReplyFormat is the JSON object the default rubric prompt asks for.
	ReplyFormat string
}

// Rubric is a list of weighted criteria. In a template it prints as one line
// per criterion; {{range .Rubric}} reaches the fields.
type Rubric []Criterion

func (r Rubric) String() string {
	var b strings.Builder
	for i, c := range r {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "- %s (weight %s)", c.Name, strconv.FormatFloat(c.Weight, 'g', -1, 64))
		if c.Description != "" {
			b.WriteString(": " + c.Description)
		}
	}
	return b.String()
}

type judgeCheck struct {
	model     string
	host      string
	system    string
	tmpl      *template.Template
	rubric    Rubric
	reference string
	max       float64
	pass      float64
	format    string
}

func compileJudge(s Spec) (Check, error) {
	j := s.Judge
	if j == nil {
		return nil, specErr(s, "judge", "missing; write the judge, e.g. \"judge\": {\"model\": \"tiny-judge\"}")
	}
	c := judgeCheck{
		model:     strings.TrimSpace(j.Model),
		host:      strings.TrimSpace(j.Host),
		system:    j.System,
		rubric:    Rubric(j.Rubric),
		reference: j.Reference,
		max:       j.MaxScore,
		pass:      j.PassScore,
	}
	if c.model == "" {
		return nil, specErr(s, "judge.model", "missing; write the judge model on Ollama, e.g. \"model\": \"tiny-judge\"")
	}
	switch {
	case math.IsNaN(c.max) || math.IsInf(c.max, 0) || c.max < 0:
		return nil, specErr(s, "judge.max_score", "%g is not a valid scale top; write a number > 0 (or leave it out for %d)", c.max, DefaultJudgeMaxScore)
	case c.max == 0:
		c.max = DefaultJudgeMaxScore
	}
	switch {
	case math.IsNaN(c.pass) || c.pass < 0 || c.pass > 1:
		return nil, specErr(s, "judge.pass_score", "%g is outside [0,1]; it is a normalised score: write 0.7 to pass at 7 out of %g", c.pass, c.max)
	case c.pass == 0:
		c.pass = DefaultJudgePassScore
	}
	seen := map[string]bool{}
	for i, cr := range c.rubric {
		field := fmt.Sprintf("judge.rubric[%d]", i)
		name := strings.TrimSpace(cr.Name)
		switch {
		case name == "":
			return nil, specErr(s, field+".name", "missing; name the criterion, e.g. \"correctness\"")
		case seen[strings.ToLower(name)]:
			return nil, specErr(s, field+".name", "%q appears twice; give each criterion its own name", cr.Name)
		case cr.Weight < 0 || math.IsNaN(cr.Weight) || math.IsInf(cr.Weight, 0):
			return nil, specErr(s, field+".weight", "%g is negative; write a weight >= 0 (weights are relative: 70 and 30 weigh like 0.7 and 0.3)", cr.Weight)
		}
		seen[strings.ToLower(name)] = true
	}
	if len(c.rubric) > 0 {
		c.format = replyFormat(c.rubric, c.max)
	}

	text := j.Prompt
	switch {
	case text != "":
	case len(c.rubric) > 0:
		text = rubricJudgePrompt
	default:
		text = plainJudgePrompt
	}
	tmpl, err := template.New("judge").Parse(text)
	if err != nil {
		return nil, specErr(s, "judge.prompt", "%v; write a Go text/template using {{.Task}}, {{.Answer}}, {{.Reference}} and {{.Rubric}}", err)
	}
	c.tmpl = tmpl
	// Render once now, so that a field that does not exist ({{.Question}})
	// fails here rather than on every sample.
	if _, err := c.render(Answer{Task: "task", Output: "answer"}); err != nil {
		return nil, specErr(s, "judge.prompt", "%v; the fields are .Task, .Answer, .Reference, .Rubric and .MaxScore", err)
	}
	return c, nil
}

// replyFormat is the JSON object the rubric prompt asks the judge for.
func replyFormat(r Rubric, max float64) string {
	top := strconv.FormatFloat(max, 'g', -1, 64)
	var b strings.Builder
	b.WriteString(`{"scores": {`)
	for i, c := range r {
		if i > 0 {
			b.WriteString(", ")
		}
		name, _ := json.Marshal(c.Name)
		fmt.Fprintf(&b, "%s: <0-%s>", name, top)
	}
	fmt.Fprintf(&b, `}, "score": <0-%s>, "reason": "<one sentence>"}`, top)
	return b.String()
}

func (c judgeCheck) Type() string { return "llm_judge" }

func (c judgeCheck) render(a Answer) (string, error) {
	var b strings.Builder
	err := c.tmpl.Execute(&b, PromptData{
		Task:        a.Task,
		Answer:      answerText(a),
		Reference:   c.reference,
		Rubric:      c.rubric,
		MaxScore:    c.max,
		ReplyFormat: c.format,
	})
	return b.String(), err
}

// answerText is the answer as a judge reads it: the text, then one line per
// tool call.
func answerText(a Answer) string {
	lines := []string{}
	if out := strings.TrimSpace(a.Output); out != "" {
		lines = append(lines, out)
	}
	for _, tc := range a.ToolCalls {
		lines = append(lines, "tool call: "+describeCall(tc))
	}
	return strings.Join(lines, "\n")
}

// Evaluate asks the judge and scores its verdict. The result always carries
// the verdict (prompt and raw reply), even when the judge failed.
func (c judgeCheck) Evaluate(ctx context.Context, a Answer, env Env) record.CheckResult {
	judge := env.Judge
	if c.host != "" && env.JudgeAt != nil {
		judge = env.JudgeAt(c.host)
	}
	if judge == nil {
		return skipped("llm_judge", "no judge to call (Env.Judge is nil)")
	}
	prompt, err := c.render(a)
	if err != nil {
		return failed("llm_judge", "render the judge prompt: %v", err)
	}
	v := &record.JudgeVerdict{Model: c.model, Prompt: prompt}
	if c.system != "" {
		v.Prompt = "system: " + c.system + "\n" + prompt
	}
	raw, err := judge.Grade(ctx, c.model, c.system, prompt)
	v.Raw = raw
	if err != nil {
		r := failed("llm_judge", "judge %s failed: %v", c.model, err)
		r.Judge = v
		return r
	}
	score, why, criteria, ok := c.parse(raw)
	if !ok {
		r := failed("llm_judge", "judge reply not understood: %s", excerpt(raw, 160))
		r.Judge = v
		return r
	}
	v.Score, v.Criteria = score, criteria
	// The tolerance keeps a weighted mean such as 0.7000000000000001 below
	// or 0.6999999999999999 from missing a 0.7 pass mark by rounding.
	r := record.CheckResult{Type: "llm_judge", Pass: score >= c.pass-1e-9, Score: score, Judge: v}
	if !r.Pass {
		r.Reason = fmt.Sprintf("judge %s scored %s, below the pass mark %s", c.model, c.scale(score), c.scale(c.pass))
		if why != "" {
			r.Reason += ": " + clip(why, 200)
		}
	}
	return r
}

// scale shows a normalised score on the judge's scale, e.g. "3/10".
func (c judgeCheck) scale(x float64) string {
	return strconv.FormatFloat(math.Round(x*c.max*100)/100, 'g', -1, 64) + "/" + strconv.FormatFloat(c.max, 'g', -1, 64)
}

// parse reads a judge's reply: the first JSON object in it (bare, in a fence
// or with text around it), taking the weighted mean of the rubric criteria
// in "scores" when all are there, else "score"; failing that, a score in
// words ("Score: 7/10") or a bare number. It returns the score normalised to
// [0,1], the judge's "reason" if any, and whether it understood the reply.
func (c judgeCheck) parse(raw string) (score float64, why string, criteria []record.CriterionScore, ok bool) {
	if obj := firstJSONObject(raw); obj != nil {
		if s, ok := field(obj, "reason"); ok {
			why, _ = s.(string)
		}
		criteria = c.criteria(obj)
		if x, ok := c.rubricScore(obj); ok {
			return x, why, criteria, true
		}
		for _, k := range []string{"score", "rating", "grade"} {
			if v, ok := field(obj, k); ok {
				if x, ok := c.normalise(v); ok {
					return x, why, criteria, true
				}
			}
		}
	}
	for _, re := range []*regexp.Regexp{wordScoreRE, bareScoreRE} {
		if m := re.FindStringSubmatch(raw); m != nil {
			if x, ok := c.fraction(m[1], m[2]); ok {
				return x, why, nil, true
			}
		}
	}
	return 0, "", nil, false
}

// criteria are the rubric criteria the reply scored, in rubric order, each
// normalised; none without a rubric.
func (c judgeCheck) criteria(obj map[string]any) []record.CriterionScore {
	v, ok := field(obj, "scores")
	if !ok || len(c.rubric) == 0 {
		return nil
	}
	scores, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []record.CriterionScore
	for _, cr := range c.rubric {
		v, ok := field(scores, strings.TrimSpace(cr.Name))
		if !ok {
			continue
		}
		if x, ok := c.normalise(v); ok {
			out = append(out, record.CriterionScore{Name: cr.Name, Weight: cr.Weight, Score: x})
		}
	}
	return out
}

var (
	// wordScoreRE finds "Score: 7", "score = 7/10", "Rating: 8 out of 10".
	wordScoreRE = regexp.MustCompile(`(?i)\b(?:score|grade|rating)\b[^0-9\n-]{0,12}(-?\d+(?:\.\d+)?)(?:\s*(?:/|out of)\s*(\d+(?:\.\d+)?))?`)
	// bareScoreRE is a reply that is only a number: "7", "7/10", "7.5."
	bareScoreRE = regexp.MustCompile(`(?i)^\s*(-?\d+(?:\.\d+)?)(?:\s*(?:/|out of)\s*(\d+(?:\.\d+)?))?\s*\.?\s*$`)
)

// rubricScore is the weighted mean of the criteria scores, normalised. It
// needs every criterion, unless the reply has no overall "score" to fall back
// on, in which case the criteria that are there count. All-zero weights
// weigh equally.
func (c judgeCheck) rubricScore(obj map[string]any) (float64, bool) {
	if len(c.rubric) == 0 {
		return 0, false
	}
	v, ok := field(obj, "scores")
	if !ok {
		return 0, false
	}
	scores, ok := v.(map[string]any)
	if !ok {
		return 0, false
	}
	allZero := true
	for _, cr := range c.rubric {
		allZero = allZero && cr.Weight == 0
	}
	var sum, weights float64
	found := 0
	for _, cr := range c.rubric {
		v, ok := field(scores, strings.TrimSpace(cr.Name))
		if !ok {
			continue
		}
		x, ok := c.normalise(v)
		if !ok {
			continue
		}
		w := cr.Weight
		if allZero {
			w = 1
		}
		found++
		sum += w * x
		weights += w
	}
	if found == 0 || weights == 0 {
		return 0, false
	}
	if found < len(c.rubric) {
		if _, hasOverall := field(obj, "score"); hasOverall {
			return 0, false
		}
	}
	return clamp01(sum / weights), true
}

// normalise turns a score as the judge wrote it (a number, or text such as
// "7" or "7/10") into [0,1].
func (c judgeCheck) normalise(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return clamp01(x / c.max), true
	case string:
		if m := bareScoreRE.FindStringSubmatch(x); m != nil {
			return c.fraction(m[1], m[2])
		}
	}
	return 0, false
}

// fraction normalises num (out of den, or of MaxScore when den is empty).
func (c judgeCheck) fraction(num, den string) (float64, bool) {
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	d := c.max
	if den != "" {
		if d, err = strconv.ParseFloat(den, 64); err != nil || d <= 0 {
			return 0, false
		}
	}
	return clamp01(n / d), true
}

// firstJSONObject decodes the first JSON object in s, skipping any text
// (or code fence) before it.
func firstJSONObject(s string) map[string]any {
	for i, tries := 0, 0; i < len(s) && tries < 64; i++ {
		if s[i] != '{' {
			continue
		}
		tries++
		var obj map[string]any
		if err := json.NewDecoder(strings.NewReader(s[i:])).Decode(&obj); err == nil {
			return obj
		}
	}
	return nil
}

// field looks a key up exactly, then case-insensitively.
func field(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func clamp01(x float64) float64 {
	switch {
	case math.IsNaN(x) || x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x
}
