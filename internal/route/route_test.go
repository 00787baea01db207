package route

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
)

func TestEstimateDifficulty(t *testing.T) {
	long := strings.Repeat("word ", 60)
	for _, tc := range []struct {
		prompt string
		want   Difficulty
		reason string // a substring of one of the reasons
	}{
		{"Uppercase river.", Easy, "no code"},
		{"Sort the letters dcab.", Easy, "no code"},
		{"What is 47+385?", Easy, "no code"},
		{"What is 4821+967?", Medium, "multi-digit arithmetic: 4821+967"},
		{"What is 37*58?", Medium, "multi-digit arithmetic"},
		{"What is 7*38?", Easy, "no code"},
		{"Explain why the sky is blue.", Medium, "reasoning"},
		{"What is the weather in Paris?", Medium, "tool use"},
		{"Write a Python function add(a, b) that returns the sum of a and b.", Hard, "code"},
		{"Fix this:\ndef f(x):\n    return x +", Hard, "code"},
		{long, Medium, "longish prompt: 60 words"},
		{strings.Repeat("word ", 200), Hard, "long prompt: 200 words"},
		{"Explain step by step why 1234*5678 is even.", Hard, "reasoning"},
	} {
		e := EstimateDifficulty(tc.prompt)
		if e.Difficulty != tc.want {
			t.Errorf("%.40q: %s, want %s (reasons %q)", tc.prompt, e.Difficulty, tc.want, e.Reasons)
		}
		if !strings.Contains(strings.Join(e.Reasons, "; "), tc.reason) {
			t.Errorf("%.40q: reasons %q lack %q", tc.prompt, e.Reasons, tc.reason)
		}
	}
}

func TestPick(t *testing.T) {
	three := []string{"tiny-s", "tiny-m", "tiny-l"}
	two := []string{"tiny-s", "tiny-m"}
	one := []string{"tiny-m"}
	for _, tc := range []struct {
		c    []string
		d    Difficulty
		want string
	}{
		{three, Easy, "tiny-s"}, {three, Medium, "tiny-m"}, {three, Hard, "tiny-l"},
		{two, Easy, "tiny-s"}, {two, Medium, "tiny-m"}, {two, Hard, "tiny-m"},
		{one, Easy, "tiny-m"}, {one, Medium, "tiny-m"}, {one, Hard, "tiny-m"},
	} {
		if got := Pick(tc.c, tc.d); got != tc.want {
			t.Errorf("Pick(%v, %s) = %s, want %s", tc.c, tc.d, got, tc.want)
		}
	}
}

// run is a completed run of model (suite hash h) with passed of samples
// tasks add-<i> passing and 10 tasks upper-<i> all passing.
func run(id, model string, passed, samples int) EvidenceRun {
	r := EvidenceRun{Run: record.Run{ID: id, Model: model, SuiteHash: "h", Status: record.StatusCompleted}}
	for i := range samples {
		r.Samples = append(r.Samples, record.Sample{RunID: id, TaskID: fmt.Sprintf("add-%d", i), Category: "add", Iteration: 1, Pass: i < passed})
	}
	for i := range 10 {
		r.Samples = append(r.Samples, record.Sample{RunID: id, TaskID: fmt.Sprintf("upper-%d", i), Category: "upper", Iteration: 1, Pass: true})
	}
	return r
}

func TestEvidence(t *testing.T) {
	cands := []string{"tiny-s", "tiny-m", "tiny-l"}
	cancelled := run("r1", "tiny-s", 10, 10)
	cancelled.Run.Status = record.StatusCancelled
	for _, tc := range []struct {
		name     string
		runs     []EvidenceRun
		category string
		want     string
		ok       bool
		reason   string
	}{
		{"cheapest qualifying", []EvidenceRun{run("r1", "tiny-s", 1, 10), run("r2", "tiny-m", 9, 10), run("r3", "tiny-l", 10, 10)}, "add", "tiny-m", true, "cheapest"},
		{"overall without category", []EvidenceRun{run("r1", "tiny-s", 1, 10), run("r2", "tiny-m", 9, 10)}, "", "tiny-m", true, "19/20"},
		{"runs pooled", []EvidenceRun{run("r1", "tiny-s", 1, 2), run("r2", "tiny-s", 2, 2), run("r3", "tiny-m", 1, 4)}, "add", "tiny-s", true, "tiny-s scores best: 3/4"},
		// 2/2 is 2 tasks, fewer than MinEvidence.
		{"too few tasks", []EvidenceRun{run("r1", "tiny-s", 2, 2), run("r2", "tiny-m", 5, 10)}, "add", "tiny-s", true, "tiny-s scores best: 2/2"},
		{"fallback to best", []EvidenceRun{run("r1", "tiny-s", 1, 10), run("r2", "tiny-m", 7, 10), run("r3", "tiny-l", 6, 10)}, "add", "tiny-m", true, "no candidate reaches"},
		{"other statuses ignored", []EvidenceRun{cancelled}, "", "", false, ""},
		{"unknown category", []EvidenceRun{run("r1", "tiny-s", 10, 10)}, "code", "", false, ""},
		{"no runs", nil, "add", "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := Gather(cands, tc.category, nil, tc.runs, 0.8)
			got, reason, ok := Choose(ev, 0.8)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("chose %q ok %v (%s), want %q; evidence %+v", got, ok, reason, tc.want, ev)
			}
			if !strings.Contains(reason, tc.reason) {
				t.Errorf("reason %q lacks %q", reason, tc.reason)
			}
		})
	}
}

func TestEvidenceNumbers(t *testing.T) {
	// The same tasks in two runs are the same two clusters.
	pooled := Gather([]string{"tiny-s"}, "add", nil, []EvidenceRun{run("r1", "tiny-s", 1, 2), run("r2", "tiny-s", 2, 2)}, 0.8)
	if !cmp.Equal(pooled[0].RunIDs, []string{"r1", "r2"}) || pooled[0].Samples != 4 || pooled[0].Passed != 3 || pooled[0].Tasks != 2 {
		t.Errorf("runs not pooled by task: %+v", pooled[0])
	}
	ev := Gather([]string{"tiny-s", "tiny-m"}, "add", nil, []EvidenceRun{run("r1", "tiny-s", 1, 4), run("r2", "tiny-m", 9, 10)}, 0.8)
	if ev[0].PassRate != 0.25 || ev[0].Qualifies || ev[1].PassRate != 0.9 || !ev[1].Qualifies {
		t.Fatalf("evidence %+v", ev)
	}
	// One iteration: Wilson 95% for 9/10, about 0.596-0.982.
	if ev[1].CI != stats.WilsonRate(float64(9)/float64(max(10, 1)), float64(10), 0.95) {
		t.Errorf("CI %+v, want Wilson(9, 10) %+v", ev[1].CI, stats.WilsonRate(float64(9)/float64(max(10, 1)), float64(10), 0.95))
	}
	// The same run stored three times (replays) is still 10 tasks: the
	// interval does not narrow.
	three := Gather([]string{"tiny-m"}, "add", nil, []EvidenceRun{run("r1", "tiny-m", 9, 10), run("r2", "tiny-m", 9, 10), run("r3", "tiny-m", 9, 10)}, 0.8)
	if three[0].Samples != 30 || three[0].Tasks != 10 || three[0].CI != stats.WilsonRate(float64(9)/float64(max(10, 1)), float64(10), 0.95) {
		t.Errorf("replayed evidence: %+v, want 30 samples on 10 tasks with CI %+v", three[0], stats.WilsonRate(float64(9)/float64(max(10, 1)), float64(10), 0.95))
	}
}

func TestEvidenceOptions(t *testing.T) {
	hot := run("r2", "tiny-s", 10, 10)
	hot.Run.Options = map[string]any{"temperature": 1.0}
	seeded := run("r3", "tiny-s", 10, 10)
	seeded.Run.Options = map[string]any{"seed": 7}
	runs := []EvidenceRun{run("r1", "tiny-s", 1, 10), hot, seeded}
	// Default options: r1 and r3 (a seed is not a setting), not r2.
	ev := Gather([]string{"tiny-s"}, "add", nil, runs, 0.8)
	if !cmp.Equal(ev[0].RunIDs, []string{"r1", "r3"}) {
		t.Errorf("default options: runs %v, want [r1 r3]", ev[0].RunIDs)
	}
	ev = Gather([]string{"tiny-s"}, "add", map[string]any{"temperature": 1}, runs, 0.8)
	if !cmp.Equal(ev[0].RunIDs, []string{"r2"}) || ev[0].Passed != 10 {
		t.Errorf("temperature 1: %+v, want only r2", ev[0])
	}
}

func TestRunCascade(t *testing.T) {
	answers := map[string]string{"tiny-s": "5688", "tiny-m": "5788", "tiny-l": "5788"}
	var asked []string
	ask := func(ctx context.Context, m string) (Answer, error) {
		asked = append(asked, m)
		if m == "broken" {
			return Answer{}, errors.New("model not found")
		}
		return Answer{Text: answers[m], LatencyMs: 5}, nil
	}
	verify := func(ctx context.Context, m string, a Answer) (bool, string) {
		if a.Text == "5788" {
			return true, ""
		}
		return false, "want 5788"
	}
	at, chosen, pass, err := RunCascade(context.Background(), []string{"broken", "tiny-s", "tiny-m", "tiny-l"}, ask, verify)
	if err != nil || chosen != "tiny-m" || !pass {
		t.Fatalf("chosen %s pass %v err %v", chosen, pass, err)
	}
	want := []Attempt{
		{Model: "broken", Reason: "model not found", LatencyMs: at[0].LatencyMs},
		{Model: "tiny-s", Answer: "5688", Reason: "want 5788", LatencyMs: 5},
		{Model: "tiny-m", Answer: "5788", Pass: true, LatencyMs: 5},
	}
	if diff := cmp.Diff(want, at); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if !cmp.Equal(asked, []string{"broken", "tiny-s", "tiny-m"}) {
		t.Errorf("asked %v: the cascade must stop at the first pass", asked)
	}

	_, chosen, pass, _ = RunCascade(context.Background(), []string{"tiny-s"}, ask, verify)
	if chosen != "tiny-s" || pass {
		t.Errorf("none passing: chosen %s pass %v, want the last, false", chosen, pass)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := RunCascade(ctx, []string{"tiny-s", "tiny-m"}, ask, verify); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v", err)
	}
}
