package exchange

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
)

// promptfooOutput is the file `promptfoo eval --output results.json`
// writes (promptfoo's OutputFile: an EvaluateSummary, version 2 or 3, under
// results), reduced to what a run keeps.
type promptfooOutput struct {
	EvalID  string `json:"evalId"`
	Results struct {
		Version   int               `json:"version"`
		Timestamp string            `json:"timestamp"`
		Results   []promptfooResult `json:"results"`
		Stats     struct {
			Successes  int     `json:"successes"`
			Failures   int     `json:"failures"`
			Errors     int     `json:"errors"`
			DurationMs float64 `json:"durationMs"`
		} `json:"stats"`
	} `json:"results"`
	Config struct {
		Description string `json:"description"`
	} `json:"config"`
	Metadata struct {
		PromptfooVersion    string `json:"promptfooVersion"`
		EvaluationCreatedAt string `json:"evaluationCreatedAt"`
	} `json:"metadata"`
}

// promptfooResult is one EvaluateResult: a test case run through one
// prompt on one provider, graded by its assertions.
type promptfooResult struct {
	Description string `json:"description"`
	PromptIdx   int    `json:"promptIdx"`
	TestIdx     int    `json:"testIdx"`
	TestCase    struct {
		Description string         `json:"description"`
		Vars        map[string]any `json:"vars"`
	} `json:"testCase"`
	Provider struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	} `json:"provider"`
	Prompt struct {
		Raw   string `json:"raw"`
		Label string `json:"label"`
	} `json:"prompt"`
	Vars     map[string]any `json:"vars"`
	Response *struct {
		Output     any             `json:"output"`
		Error      string          `json:"error"`
		Cached     bool            `json:"cached"`
		TokenUsage *promptfooUsage `json:"tokenUsage"`
	} `json:"response"`
	Error         *string  `json:"error"`
	FailureReason int      `json:"failureReason"` // 0 none, 1 an assertion failed, 2 an error
	Success       bool     `json:"success"`
	Score         float64  `json:"score"`
	LatencyMs     *float64 `json:"latencyMs"`
	GradingResult *struct {
		Pass             bool    `json:"pass"`
		Score            float64 `json:"score"`
		Reason           string  `json:"reason"`
		ComponentResults []struct {
			Pass      bool    `json:"pass"`
			Score     float64 `json:"score"`
			Reason    string  `json:"reason"`
			Assertion *struct {
				Type string `json:"type"`
			} `json:"assertion"`
		} `json:"componentResults"`
	} `json:"gradingResult"`
	TokenUsage *promptfooUsage `json:"tokenUsage"`
}

// promptfooUsage is promptfoo's TokenUsage.
type promptfooUsage struct {
	Total      int `json:"total"`
	Prompt     int `json:"prompt"`
	Completion int `json:"completion"`
	Cached     int `json:"cached"`
}

// promptfooFailedError is promptfoo's failureReason for an error (not a failed assertion).
const promptfooFailedError = 2

// parsePromptfoo converts promptfoo's output: every provider becomes a
// completed run of suite promptfoo, every result a sample with promptfoo's
// verdict, score, latency, tokens and output, and its assertions as checks.
func parsePromptfoo(data []byte, now time.Time) (Imported, error) {
	var in promptfooOutput
	if err := json.Unmarshal(data, &in); err != nil {
		return Imported{}, fmt.Errorf("promptfoo: %w", jsonError(data, err))
	}
	res := in.Results.Results
	if len(res) == 0 {
		return Imported{}, fmt.Errorf("promptfoo: no results in the file (results.results is empty)")
	}
	var out Imported
	start, err := time.Parse(time.RFC3339, in.Results.Timestamp)
	if err != nil {
		if start, err = time.Parse(time.RFC3339, in.Metadata.EvaluationCreatedAt); err != nil {
			start = now
			out.Warnings = append(out.Warnings, fmt.Sprintf("promptfoo: timestamp %q is not a time: dated at the import", in.Results.Timestamp))
		}
	}
	fileSum := sha256.Sum256(data)

	// Task IDs: a test's description when it names one test only, else
	// test-<index>; with several prompts, @p<index> tells them apart.
	descTests := map[string]map[int]bool{}
	prompts := map[int]bool{}
	for _, r := range res {
		d := r.desc()
		if descTests[d] == nil {
			descTests[d] = map[int]bool{}
		}
		descTests[d][r.TestIdx] = true
		prompts[r.PromptIdx] = true
	}
	taskID := func(r promptfooResult) string {
		id := fmt.Sprintf("test-%d", r.TestIdx)
		if d := r.desc(); d != "" && len(descTests[d]) == 1 {
			id = d
		}
		if len(prompts) > 1 {
			id += fmt.Sprintf("@p%d", r.PromptIdx)
		}
		return id
	}

	type group struct {
		run     record.Run
		samples []record.Sample
		iters   map[string]int
		cached  int
		suite   []string
		latency float64
	}
	var order []string
	groups := map[string]*group{}
	for i, r := range res {
		key := r.Provider.Label
		if key == "" {
			key = r.Provider.ID
		}
		where := fmt.Sprintf("promptfoo result %d (provider %s, test %d)", i+1, key, r.TestIdx)
		if key == "" {
			return Imported{}, fmt.Errorf("%s: no provider id or label", where)
		}
		g := groups[key]
		if g == nil {
			g = &group{iters: map[string]int{}, run: promptfooRun(in, r, start)}
			g.run.ID = importID(start, string(Promptfoo), hex.EncodeToString(fileSum[:]), key)
			groups[key] = g
			order = append(order, key)
		}
		task := taskID(r)
		g.iters[task]++
		if g.iters[task] == 1 {
			vars, _ := json.Marshal(r.vars())
			g.suite = append(g.suite, task+"\x00"+r.Prompt.Raw+"\x00"+string(vars))
		}
		smp, ws, err := promptfooSample(r, task, g.iters[task], start)
		if err != nil {
			return Imported{}, fmt.Errorf("%s: %w", where, err)
		}
		for _, w := range ws {
			out.Warnings = append(out.Warnings, where+": "+w)
		}
		if r.Response != nil && r.Response.Cached {
			g.cached++
		}
		g.latency += smp.WallMs
		g.samples = append(g.samples, smp)
	}
	if st := in.Results.Stats; st.Successes+st.Failures+st.Errors > 0 && st.Successes+st.Failures+st.Errors != len(res) {
		out.Warnings = append(out.Warnings, fmt.Sprintf("promptfoo: stats count %d results, the file has %d", st.Successes+st.Failures+st.Errors, len(res)))
	}
	for _, key := range order {
		g := groups[key]
		if g.cached > 0 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("promptfoo provider %s: %d of %d responses came from promptfoo's cache: their latency is a cache read, not a model call", key, g.cached, len(g.samples)))
		}
		for _, n := range g.iters {
			g.run.Iterations = max(g.run.Iterations, n)
		}
		h := sha256.Sum256([]byte(strings.Join(g.suite, "\x01")))
		g.run.SuiteHash = hex.EncodeToString(h[:])[:16]
		wallMs := in.Results.Stats.DurationMs
		if wallMs <= 0 {
			wallMs = g.latency
		}
		wall := time.Duration(wallMs * float64(time.Millisecond))
		g.run.EndedAt = start.Add(wall)
		sum := bench.Summarize(suite.Suite{}, g.samples, wall)
		g.run.Summary = &sum
		out.Runs = append(out.Runs, Run{Run: g.run, Samples: g.samples})
	}
	return out, nil
}

// desc is the result's test description, if it has one.
func (r promptfooResult) desc() string {
	if r.TestCase.Description != "" {
		return r.TestCase.Description
	}
	return r.Description
}

// vars are the test's variables, from the result or its test case.
func (r promptfooResult) vars() map[string]any {
	if r.Vars != nil {
		return r.Vars
	}
	return r.TestCase.Vars
}

// promptfooRun is the run of the provider of r.
func promptfooRun(in promptfooOutput, r promptfooResult, start time.Time) record.Run {
	model := r.Provider.ID
	for _, p := range []string{"ollama:chat:", "ollama:completion:", "ollama:"} {
		if m, ok := strings.CutPrefix(model, p); ok {
			model = m
			break
		}
	}
	if model == "" {
		model = r.Provider.Label
	}
	notes := []string{"promptfoo provider " + r.Provider.ID}
	if in.EvalID != "" {
		notes = append(notes, "eval "+in.EvalID)
	}
	if in.Config.Description != "" {
		notes = append(notes, in.Config.Description)
	}
	if v := in.Metadata.PromptfooVersion; v != "" {
		notes = append(notes, "promptfoo "+v)
	}
	tags := []string{"import:promptfoo"}
	if in.EvalID != "" {
		tags = append(tags, "promptfoo-eval:"+in.EvalID)
	}
	return record.Run{
		Status:    record.StatusCompleted,
		Model:     model,
		ModelInfo: record.ModelInfo{Name: r.Provider.ID},
		Suite:     string(Promptfoo),
		Label:     r.Provider.Label,
		Tags:      tags,
		Notes:     strings.Join(notes, "; "),
		StartedAt: start,
	}
}

// promptfooSample converts one result.
func promptfooSample(r promptfooResult, task string, iteration int, start time.Time) (record.Sample, []string, error) {
	var warnings []string
	smp := record.Sample{TaskID: task, Iteration: iteration, StartedAt: start, Pass: r.Success, Score: r.Score}
	if r.LatencyMs != nil {
		smp.WallMs = *r.LatencyMs
	} else {
		warnings = append(warnings, "no latencyMs")
	}
	cached := false
	usage := r.TokenUsage
	if resp := r.Response; resp != nil {
		switch o := resp.Output.(type) {
		case nil:
		case string:
			smp.Output = o
		default:
			b, _ := json.Marshal(o)
			smp.Output = string(b)
		}
		smp.Error = resp.Error
		cached = resp.Cached
		if usage == nil {
			usage = resp.TokenUsage
		}
	}
	if r.Error != nil && *r.Error != "" {
		smp.Error = *r.Error
	}
	if smp.Error == "" && r.FailureReason == promptfooFailedError {
		smp.Error = "promptfoo reports an error (failureReason 2) without a message"
	}
	if usage != nil {
		smp.PromptTokens, smp.EvalTokens = usage.Prompt, usage.Completion
		if usage.Total < 0 || usage.Cached < 0 {
			return smp, nil, impossible("negative token count (total %d, cached %d)", usage.Total, usage.Cached)
		}
		if usage.Total > 0 && usage.Prompt+usage.Completion == 0 && !cached {
			warnings = append(warnings, fmt.Sprintf("%d tokens counted in total only, not as prompt or completion", usage.Total))
		}
	}
	if g := r.GradingResult; g != nil {
		for _, c := range g.ComponentResults {
			typ := "assert"
			if c.Assertion != nil && c.Assertion.Type != "" {
				typ = c.Assertion.Type
			}
			smp.Checks = append(smp.Checks, record.CheckResult{Type: typ, Pass: c.Pass, Score: c.Score, Reason: c.Reason})
		}
		if len(smp.Checks) == 0 {
			smp.Checks = []record.CheckResult{{Type: "promptfoo", Pass: g.Pass, Score: g.Score, Reason: g.Reason}}
		}
		if g.Pass != r.Success && smp.Error == "" {
			warnings = append(warnings, fmt.Sprintf("success %v but gradingResult.pass %v", r.Success, g.Pass))
		}
	}
	checked := smp
	if cached && smp.WallMs == 0 {
		// A cache read takes no time and its tokens were counted when the
		// response was made: possible, so not refused; the caller warns once.
		checked.PromptTokens, checked.EvalTokens = 0, 0
	}
	ws, err := CheckSample(checked)
	if err != nil {
		return smp, nil, err
	}
	return smp, append(warnings, ws...), nil
}
