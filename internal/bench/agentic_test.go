package bench_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/ollama/ollama/api"
)

func agenticTiny(t *testing.T) suite.Suite {
	s, ok := suite.Builtin("agentic-tiny")
	if !ok {
		t.Fatal("no agentic-tiny suite")
	}
	return s
}

// TestAgentLoopOnRealModels: tiny-agent, trained for multi-turn tool use,
// completes the calculator, code-search and two-call weather tasks (the
// expected trajectory and the final answer) and answers the direct ones
// without a call; tiny-m, never trained on tool results, never calls a tool.
// Both runs carry the tool-use funnel.
func TestAgentLoopOnRealModels(t *testing.T) {
	r, st := newRunner(t)
	agentRun := runSuite(t, r, bench.Config{Model: "tiny-agent", Suite: agenticTiny(t), MaxOutputTokens: 64})
	samples, err := st.Samples(agentRun.ID)
	if err != nil {
		t.Fatal(err)
	}
	byTask := map[string]record.Sample{}
	for _, s := range samples {
		byTask[s.TaskID] = s
		a := s.Agent
		if a == nil {
			t.Fatalf("%s: no trajectory", s.TaskID)
		}
		t.Logf("%s: pass %v, stop %s, %d steps, calls %v, answer %q", s.TaskID, s.Pass, a.Stop, len(a.Steps), s.ToolCalls, s.Output)
	}
	for _, id := range []string{"calc-mul", "calc-add", "search-protocol", "weather-paris-rome", "direct-reverse"} {
		s := byTask[id]
		if !s.Pass || s.Agent.Scores.Trajectory == nil || !*s.Agent.Scores.Trajectory {
			t.Errorf("tiny-agent %s: pass %v, scores %+v", id, s.Pass, s.Agent.Scores)
		}
	}
	w := byTask["weather-paris-rome"].Agent
	if len(w.Steps) != 3 || w.Steps[1].Results[0].Result != "Rome: 24C" {
		t.Errorf("the two-call weather task: %d steps, %+v", len(w.Steps), w.Steps)
	}
	f := agentRun.Summary.Funnel
	if f == nil || f.Samples != 9 || f.NeededTool != 7 || f.CalledTool < 6 || f.RightAnswer < 5 || f.NoToolNeeded != 2 {
		t.Errorf("tiny-agent funnel %+v", f)
	}

	mRun := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: agenticTiny(t), MaxOutputTokens: 64})
	fm := mRun.Summary.Funnel
	if fm == nil || fm.CalledTool != 0 || fm.RightAnswer != 0 || len(fm.Failures) == 0 || fm.Failures[0].Mode != "no_call" {
		t.Errorf("tiny-m funnel %+v", fm)
	}
}

// TestAgentSignatureErrorIsNotAWrongAnswer: tiny-agent passes its search
// pattern as a string; offered a tool that wants an argument list, that is
// reported as a signature error naming the field, not as a wrong answer.
func TestAgentSignatureErrorIsNotAWrongAnswer(t *testing.T) {
	s := agenticTiny(t).Filter([]string{"search-protocol"}, nil)
	params := &s.Tasks[0].Tools[0].Function.Parameters
	raw := `{"type": "object", "required": ["pattern"], "properties": {"pattern": {"type": "array", "items": {"type": "string"}}}}`
	*params = api.ToolFunctionParameters{}
	if err := json.Unmarshal([]byte(raw), params); err != nil {
		t.Fatal(err)
	}
	r, st := newRunner(t)
	run := runSuite(t, r, bench.Config{Model: "tiny-agent", Suite: s, MaxOutputTokens: 64})
	samples, _ := st.Samples(run.ID)
	if len(samples) != 1 || samples[0].Agent == nil {
		t.Fatalf("samples %+v", samples)
	}
	smp := samples[0]
	res := smp.Agent.Steps[0].Results
	if len(res) == 0 || len(res[0].SignatureErrors) == 0 || res[0].SignatureErrors[0].Field != "pattern" || !strings.Contains(res[0].SignatureErrors[0].Message, "argument list") {
		t.Fatalf("first call's results %+v", res)
	}
	f := run.Summary.Funnel
	if smp.Pass || f == nil || len(f.Failures) != 1 || f.Failures[0].Mode != "signature_error" || !strings.Contains(f.Failures[0].Example, "argument list") {
		t.Errorf("pass %v, funnel %+v", smp.Pass, f)
	}
}

// cancelOnPartial is the real store, and it cancels the run as soon as a
// partial sample is stored: an interruption in the middle of a multi-step
// sample, on demand.
type cancelOnPartial struct {
	*memory.Store
	cancel context.CancelFunc
}

func (c cancelOnPartial) AppendSample(s record.Sample) error {
	err := c.Store.AppendSample(s)
	if s.Partial {
		c.cancel()
	}
	return err
}

// TestAgentSampleResumesMidway: a run interrupted after the first of the
// two-call weather task's steps resumes that sample from its second step,
// with the first step as it was stored, and finishes it.
func TestAgentSampleResumesMidway(t *testing.T) {
	r, st := newRunner(t)
	s := agenticTiny(t).Filter([]string{"weather-paris-rome"}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	interrupted := &bench.Runner{Exec: r.Exec, Store: cancelOnPartial{st, cancel}}
	cfg := bench.Config{Model: "tiny-agent", Suite: s, MaxOutputTokens: 64, Warmup: -1}
	sess, err := interrupted.Prepare(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Begin(nil, nil); err != nil {
		t.Fatal(err)
	}
	run, _ := sess.Execute(ctx, nil)
	if run.Status != record.StatusCancelled {
		t.Fatalf("interrupted run: %s", run.Status)
	}
	partial, err := st.PartialSamples(run.ID)
	if err != nil || len(partial) != 1 || len(partial[0].Agent.Steps) != 1 {
		t.Fatalf("partial samples after the interruption: %+v, %v", partial, err)
	}
	if done, _ := st.Samples(run.ID); len(done) != 0 {
		t.Fatalf("a partial sample counts as finished: %+v", done)
	}
	first := partial[0].Agent.Steps[0]

	prev, err := st.GetRun(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Begin(&prev, nil); err != nil {
		t.Fatal(err)
	}
	resumed, err := again.Execute(context.Background(), nil)
	if err != nil || resumed.Status != record.StatusCompleted || resumed.ID != run.ID {
		t.Fatalf("resumed run: %+v, %v", resumed, err)
	}
	samples, _ := st.Samples(run.ID)
	if len(samples) != 1 || samples[0].Partial || samples[0].Agent == nil {
		t.Fatalf("after the resume: %+v", samples)
	}
	a := samples[0].Agent
	if len(a.Steps) != 3 || a.Steps[0].WallMs != first.WallMs || a.Steps[0].TTFTMs != first.TTFTMs || !samples[0].Pass {
		t.Errorf("resumed trajectory: %d steps (first %.3f ms, stored %.3f ms), pass %v, stop %s", len(a.Steps), a.Steps[0].WallMs, first.WallMs, samples[0].Pass, a.Stop)
	}
	if partial, _ := st.PartialSamples(run.ID); len(partial) != 0 {
		t.Errorf("the finished sample left its partial one: %+v", partial)
	}
}
