// Package route decides which of several models, ordered cheapest first,
// should take a task: from stored evidence (pass rates of past runs), from a
// heuristic over the prompt, or by a cascade that tries the models in order
// until one answer passes verification.
package route

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
)

// Strategies.
const (
	Evidence  = "evidence"
	Heuristic = "heuristic"
	Cascade   = "cascade"
	// Policy follows the recommendation of a stored routing evaluation.
	Policy = "policy"
)

// MinEvidence is the least number of tasks a candidate needs before its
// pass rate can qualify it.
const MinEvidence = 3

// Difficulty is the heuristic's estimate of how hard a task is.
type Difficulty string

// Difficulties, each mapped to a candidate by Pick.
const (
	Easy   Difficulty = "easy"
	Medium Difficulty = "medium"
	Hard   Difficulty = "hard"
)

// Estimate is the heuristic's verdict on a prompt and the rules that fired.
type Estimate struct {
	Difficulty Difficulty
	Points     int
	Reasons    []string
}

// The heuristic's rules. Each that matches adds its points; 0 points is
// easy, 1 medium, 2 or more hard.
var (
	codeRe      = regexp.MustCompile("(?i)(write (a|an) (\\w+ )?(function|program|script|class|method)|\\bdef |\\bfunc |\\bclass \\w|```|\\bimplement\\b|\\brefactor\\b|\\bdebug\\b)")
	reasoningRe = regexp.MustCompile(`(?i)\b(explain|why|step by step|prove|derive|justify|compare|analy[sz]e)\b`)
	toolRe      = regexp.MustCompile(`(?i)\b(tools?|weather|what time is it|look up|search for)\b`)
	arithRe     = regexp.MustCompile(`(\d+)\s*([-+*/x×])\s*(\d+)`)
)

// Word-count thresholds of the heuristic.
const (
	longWords     = 40
	veryLongWords = 150
)

// Estimate rates a prompt easy, medium or hard by simple rules:
//   - more than 40 words: +1; more than 150: +2
//   - code (write a function, def, func, class, a code fence, implement): +2
//   - reasoning (explain, why, step by step, prove, derive, compare): +1
//   - tools (tool, weather, what time is it, look up): +1
//   - arithmetic with an operand of 4 or more digits, or a product of two
//     multi-digit numbers: +1
func EstimateDifficulty(prompt string) Estimate {
	var e Estimate
	add := func(pts int, why string) {
		e.Points += pts
		e.Reasons = append(e.Reasons, fmt.Sprintf("%s (+%d)", why, pts))
	}
	switch n := len(strings.Fields(prompt)); {
	case n > veryLongWords:
		add(2, fmt.Sprintf("long prompt: %d words", n))
	case n > longWords:
		add(1, fmt.Sprintf("longish prompt: %d words", n))
	}
	if m := codeRe.FindString(prompt); m != "" {
		add(2, fmt.Sprintf("code: %q", strings.TrimSpace(m)))
	}
	if m := reasoningRe.FindString(prompt); m != "" {
		add(1, fmt.Sprintf("reasoning: %q", m))
	}
	if m := toolRe.FindString(prompt); m != "" {
		add(1, fmt.Sprintf("tool use: %q", m))
	}
	for _, m := range arithRe.FindAllStringSubmatch(prompt, -1) {
		a, op, b := len(m[1]), m[2], len(m[3])
		if max(a, b) >= 4 || (op != "+" && op != "-" && a >= 2 && b >= 2) {
			add(1, fmt.Sprintf("multi-digit arithmetic: %s", m[0]))
			break
		}
	}
	switch {
	case e.Points >= 2:
		e.Difficulty = Hard
	case e.Points == 1:
		e.Difficulty = Medium
	default:
		e.Difficulty = Easy
		e.Reasons = append(e.Reasons, "short prompt with no code, reasoning, tool or multi-digit arithmetic cues")
	}
	return e
}

// Pick maps a difficulty to a candidate: easy the first (cheapest), hard the
// last, medium the middle one (the second of two).
func Pick(candidates []string, d Difficulty) string {
	switch d {
	case Easy:
		return candidates[0]
	case Hard:
		return candidates[len(candidates)-1]
	}
	return candidates[len(candidates)/2]
}

// ModelEvidence is what the stored runs say about one candidate.
type ModelEvidence struct {
	Model      string          `json:"model"`
	RunIDs     []string        `json:"run_ids" jsonschema:"completed runs (r…) and decisions with a reported outcome (d…) that contributed: same options (seed aside), host and suite, with samples of the category"`
	Samples    int             `json:"samples"`
	Passed     int             `json:"passed"`
	Tasks      int             `json:"tasks" jsonschema:"distinct tasks behind the samples: the unit of independence"`
	PassRate   float64         `json:"pass_rate"`
	CI         record.Interval `json:"pass_rate_ci" jsonschema:"95% task-clustered Wilson interval of the pass rate (replays do not narrow it)"`
	EffectiveN float64         `json:"effective_n" jsonschema:"independent observations the samples are worth"`
	Qualifies  bool            `json:"qualifies" jsonschema:"at least 3 tasks and a pass rate at or above min_pass_rate"`
}

// EvidenceRun is a stored run with its samples. For names the candidate it
// is evidence for (model@host); empty means the run's model.
type EvidenceRun struct {
	For     string
	Run     record.Run
	Samples []record.Sample
}

// DecisionEvidence turns routing decisions whose outcome was reported into
// evidence: each is a one-sample run of its chosen candidate, its task (the
// prompt) a cluster of its own.
func DecisionEvidence(ds []record.RouteDecision) []EvidenceRun {
	var out []EvidenceRun
	for _, d := range ds {
		if d.OutcomeOK == nil {
			continue
		}
		out = append(out, EvidenceRun{
			For:     d.Chosen,
			Run:     record.Run{ID: d.ID, Model: d.Chosen, Status: record.StatusCompleted, Options: d.Options, SuiteHash: "decisions"},
			Samples: []record.Sample{{TaskID: d.Task, Category: d.Category, Pass: *d.OutcomeOK}},
		})
	}
	return out
}

// Gather pools, per candidate, the samples of its completed runs whose
// options equal options (the seed aside): those of the category, or all of
// them when category is empty. A task (suite hash and task id) is one
// cluster across runs, so the interval counts tasks, not repeated calls.
func Gather(candidates []string, category string, options map[string]any, runs []EvidenceRun, minPassRate float64) []ModelEvidence {
	want := compare.OptionsKey(options)
	out := make([]ModelEvidence, len(candidates))
	for i, c := range candidates {
		ev := ModelEvidence{Model: c, RunIDs: []string{}}
		idx := map[string]int{}
		var clusters [][]float64
		for _, r := range runs {
			who := r.For
			if who == "" {
				who = r.Run.Model
			}
			if who != c || r.Run.Status != record.StatusCompleted || compare.OptionsKey(r.Run.Options) != want {
				continue
			}
			used := false
			for _, smp := range r.Samples {
				if category != "" && smp.Category != category {
					continue
				}
				key := r.Run.SuiteHash + "/" + smp.TaskID
				j, ok := idx[key]
				if !ok {
					j = len(clusters)
					idx[key] = j
					clusters = append(clusters, nil)
				}
				v := 0.0
				if smp.Pass {
					v = 1
					ev.Passed++
				}
				clusters[j] = append(clusters[j], v)
				ev.Samples++
				used = true
			}
			if used {
				ev.RunIDs = append(ev.RunIDs, r.Run.ID)
			}
		}
		cr := stats.ClusteredWilson(clusters, 0.95)
		ev.Tasks, ev.CI, ev.EffectiveN = len(clusters), cr.CI, cr.EffectiveN
		if ev.Samples > 0 {
			ev.PassRate = float64(ev.Passed) / float64(ev.Samples)
		}
		ev.Qualifies = ev.Tasks >= MinEvidence && ev.PassRate >= minPassRate
		out[i] = ev
	}
	return out
}

// Choose picks the cheapest qualifying candidate, else the one with the best
// pass rate (ties: the higher interval lower bound, then the cheaper). ok is
// false when no candidate has any evidence.
func Choose(ev []ModelEvidence, minPassRate float64) (chosen, reason string, ok bool) {
	best := -1
	for i, e := range ev {
		if e.Qualifies {
			return e.Model, fmt.Sprintf("%s is the cheapest candidate with pass rate >= %.2f: %d/%d = %.2f (95%% CI %.2f-%.2f over %d tasks) in %d run(s)",
				e.Model, minPassRate, e.Passed, e.Samples, e.PassRate, e.CI.Lo, e.CI.Hi, e.Tasks, len(e.RunIDs)), true
		}
		if e.Samples == 0 {
			continue
		}
		if best < 0 || e.PassRate > ev[best].PassRate || (e.PassRate == ev[best].PassRate && e.CI.Lo > ev[best].CI.Lo) {
			best = i
		}
	}
	if best < 0 {
		return "", "", false
	}
	e := ev[best]
	return e.Model, fmt.Sprintf("no candidate reaches pass rate %.2f on at least %d tasks; %s scores best: %d/%d = %.2f (95%% CI %.2f-%.2f over %d tasks)",
		minPassRate, MinEvidence, e.Model, e.Passed, e.Samples, e.PassRate, e.CI.Lo, e.CI.Hi, e.Tasks), true
}

// Answer is what one candidate said, as the cascade's Ask returns it.
type Answer struct {
	Text      string
	LatencyMs float64
}

// Ask runs the task on a model. Verify says whether an answer is good enough.
type (
	Ask    func(ctx context.Context, model string) (Answer, error)
	Verify func(ctx context.Context, model string, a Answer) (pass bool, reason string)
)

// Attempt is one candidate's try in a cascade.
type Attempt struct {
	Model     string  `json:"model"`
	Answer    string  `json:"answer" jsonschema:"excerpt of the answer"`
	Pass      bool    `json:"pass"`
	Reason    string  `json:"reason,omitempty" jsonschema:"why the answer failed verification, or the call's error"`
	LatencyMs float64 `json:"latency_ms"`
}

// excerptLen is how much of an answer an Attempt keeps.
const excerptLen = 200

// RunCascade tries the candidates in order and stops at the first whose
// answer passes; chosen is that one, else the last. A model call that fails
// counts as a failed attempt; a cancelled ctx ends the cascade with its error.
func RunCascade(ctx context.Context, candidates []string, ask Ask, verify Verify) (attempts []Attempt, chosen string, passed bool, err error) {
	for _, m := range candidates {
		start := time.Now()
		a, err := ask(ctx, m)
		if ctx.Err() != nil {
			return attempts, "", false, ctx.Err()
		}
		at := Attempt{Model: m, Answer: excerpt(a.Text), LatencyMs: a.LatencyMs}
		if at.LatencyMs == 0 {
			at.LatencyMs = float64(time.Since(start)) / float64(time.Millisecond)
		}
		if err != nil {
			at.Reason = err.Error()
		} else {
			at.Pass, at.Reason = verify(ctx, m, a)
			if ctx.Err() != nil {
				return attempts, "", false, ctx.Err()
			}
		}
		attempts = append(attempts, at)
		if at.Pass {
			return attempts, m, true, nil
		}
	}
	return attempts, candidates[len(candidates)-1], false, nil
}

func excerpt(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= excerptLen {
		return s
	}
	cut := excerptLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
