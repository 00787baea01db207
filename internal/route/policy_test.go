package route

import (
	"math"
	"testing"
)

// matrix builds two candidates over categories: easy (small passes),
// hard (only big passes), with judge scores that say the truth.
func matrix(t *testing.T) Matrix {
	t.Helper()
	m := Matrix{Candidates: []Candidate{{Model: "small", CostPerSecond: 1}, {Model: "big", CostPer1KTokens: 10}}, Iterations: 2}
	one, zero := 1.0, 0.0
	add := func(id, cat, prompt string, smallPass, bigPass []bool) {
		task := Task{ID: id, Category: cat, Prompt: prompt, Trials: make([][]Trial, 2)}
		for i := range 2 {
			v := &zero
			if smallPass[i] {
				v = &one
			}
			task.Trials[0] = append(task.Trials[0], Trial{Pass: smallPass[i], LatencyMs: 100, InTokens: 4, OutTokens: 6, Verify: v, VerifyMs: 50})
			task.Trials[1] = append(task.Trials[1], Trial{Pass: bigPass[i], LatencyMs: 1000, InTokens: 40, OutTokens: 60})
		}
		m.Tasks = append(m.Tasks, task)
	}
	tt, ff := []bool{true, true}, []bool{false, false}
	for _, id := range []string{"e1", "e2", "e3", "e4"} {
		add(id, "easy", "Sort the letters dcab.", tt, tt)
	}
	for _, id := range []string{"h1", "h2", "h3", "h4"} {
		add(id, "hard", "What is 4821*967?", ff, tt)
	}
	return m
}

func byID(t *testing.T, rs []PolicyResult, id string) PolicyResult {
	t.Helper()
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	t.Fatalf("no policy %s in %v", id, ids)
	return PolicyResult{}
}

func TestEvaluatePolicies(t *testing.T) {
	m := matrix(t)
	rs, err := Evaluate(m)
	if err != nil {
		t.Fatal(err)
	}
	small, big := byID(t, rs, "always small"), byID(t, rs, "always big")
	if small.PassRate != 0.5 || big.PassRate != 1 || small.BigShare != 0 || big.BigShare != 1 {
		t.Fatalf("always: small %+v big %+v", small, big)
	}
	if big.DeltaVsBig != 0 || small.DeltaVsBig != -0.5 {
		t.Errorf("delta vs big: small %g big %g", small.DeltaVsBig, big.DeltaVsBig)
	}
	// Costs: small 1 per second of 100 ms = 0.1; big 10 per 1k of 100 tokens = 1.
	if math.Abs(small.Cost-0.1) > 1e-9 || math.Abs(big.Cost-1) > 1e-9 {
		t.Errorf("costs: small %g big %g", small.Cost, big.Cost)
	}
	// Evidence: the easy tasks go to small (the other three pass), the hard to big.
	ev := byID(t, rs, "evidence@0.8")
	if ev.PassRate != 1 || ev.BigShare != 0.5 || ev.Share["small"] != 0.5 {
		t.Errorf("evidence@0.8: %+v", ev)
	}
	// Cascade at 1: the judge accepts the easy answers, escalates the hard.
	cs := byID(t, rs, "cascade@1")
	if cs.PassRate != 1 || cs.BigShare != 0.5 || cs.Share["small"] != 0.5 {
		t.Errorf("cascade@1: %+v", cs)
	}
	// An escalated task pays both calls and the judging: 100 + 50 + 1000.
	if got := cs.Outcomes[4][0].LatencyMs; got != 1150 {
		t.Errorf("escalated latency %g, want 1150", got)
	}
	// Heuristic: the multi-digit product scores a point, so threshold 1 sends it to big.
	h := byID(t, rs, "heuristic@1")
	if h.PassRate != 1 || h.BigShare != 0.5 {
		t.Errorf("heuristic@1: %+v", h)
	}
	or := byID(t, rs, "oracle")
	if or.PassRate != 1 || or.BigShare != 0.5 || or.Pareto {
		t.Errorf("oracle: %+v (never on the frontier)", or)
	}
	if !ev.Pareto || small.Pareto == false || big.Pareto {
		t.Errorf("pareto: evidence %v small %v big %v", ev.Pareto, small.Pareto, big.Pareto)
	}
	if ev.PassRateCI.Lo > ev.PassRate || small.PassRateCI.Lo >= small.PassRateCI.Hi {
		t.Errorf("intervals: evidence %+v small %+v", ev.PassRateCI, small.PassRateCI)
	}
	// Recommendation within 2 points of always-big, by big share: the
	// first policy at share 0.5 and pass rate 1, the heuristic.
	rec := rs[Recommend(rs, "big", 0.02, false)]
	if rec.BigShare != 0.5 || rec.PassRate != 1 {
		t.Errorf("recommended %s: %+v", rec.ID, rec)
	}
	// With costs the cascade pays the small call on escalations too, so it costs more.
	recCost := rs[Recommend(rs, "big", 0.02, true)]
	if recCost.Policy == Cascade {
		t.Errorf("with costs the recommendation is the cascade, which pays twice on escalation: %+v", recCost)
	}
	rows := Decisions(m, ev)
	if len(rows) != 2 || rows[0].Routed["small"] != 1 || rows[1].Routed["big"] != 1 || rows[1].PassRate["small"] != 0 {
		t.Errorf("decision matrix: %+v", rows)
	}
	if got := LearnCategories(m, 0.8); got["easy"] != "small" || got["hard"] != "big" {
		t.Errorf("learned categories %v", got)
	}
}

// TestEvidenceIsCrossValidated: a category where small passes one task
// only. Routed on its own result, that task would go to small; left out,
// the other three say small fails, so it goes to big.
func TestEvidenceIsCrossValidated(t *testing.T) {
	m := matrix(t)
	for i := range m.Tasks[4].Trials[0] {
		m.Tasks[4].Trials[0][i].Pass = true // h1: small passes
	}
	rs, err := Evaluate(m)
	if err != nil {
		t.Fatal(err)
	}
	ev := byID(t, rs, "evidence@0.8")
	if got := ev.Outcomes[4][0].Answered(); got != 1 {
		t.Errorf("h1 went to candidate %d; it must be routed on the other hard tasks (small fails them) to big", got)
	}
}

func TestPickByEvidence(t *testing.T) {
	cases := []struct {
		ev   []CategoryEvidence
		want int
	}{
		{[]CategoryEvidence{{3, 6, 6}, {3, 6, 6}}, 0}, // small qualifies
		{[]CategoryEvidence{{3, 6, 3}, {3, 6, 6}}, 1}, // big qualifies
		{[]CategoryEvidence{{3, 6, 2}, {3, 6, 2}}, 0}, // none: best, cheaper on a tie
		{[]CategoryEvidence{{3, 6, 1}, {3, 6, 2}}, 1}, // none: best
		{[]CategoryEvidence{{2, 4, 4}, {2, 4, 4}}, 1}, // too few tasks: the last
		{[]CategoryEvidence{{2, 4, 4}, {3, 6, 0}}, 1}, // only big has evidence
		{[]CategoryEvidence{{3, 6, 5}, {3, 6, 6}, {3, 6, 6}}, 1},
	}
	for i, c := range cases {
		if got := PickByEvidence(c.ev, 0.9); got != c.want {
			t.Errorf("case %d: %d, want %d", i, got, c.want)
		}
	}
}

func TestMatrixValidate(t *testing.T) {
	m := matrix(t)
	m.Tasks[2].Trials[1] = m.Tasks[2].Trials[1][:1]
	if err := m.Validate(); err == nil {
		t.Fatal("a missing iteration passed validation")
	}
	if _, err := Evaluate(Matrix{Candidates: []Candidate{{Model: "a"}}}); err == nil {
		t.Fatal("one candidate passed validation")
	}
}

func TestParseCandidate(t *testing.T) {
	if c := ParseCandidate("qwen2.5-coder:7b@gpu-box"); c.Model != "qwen2.5-coder:7b" || c.Host != "gpu-box" || c.Name() != "qwen2.5-coder:7b@gpu-box" {
		t.Errorf("%+v", c)
	}
	if c := ParseCandidate("tiny-s"); c.Model != "tiny-s" || c.Host != "" || c.Name() != "tiny-s" {
		t.Errorf("%+v", c)
	}
}
