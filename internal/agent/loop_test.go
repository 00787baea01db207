package agent

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
)

func tool1(name, param, typ string) api.Tool {
	props := api.NewToolPropertiesMap()
	props.Set(param, api.ToolProperty{Type: api.PropertyType{typ}})
	return api.Tool{Type: "function", Function: api.ToolFunction{Name: name, Parameters: api.ToolFunctionParameters{Type: "object", Required: []string{param}, Properties: props}}}
}

// script is a fake model for faults a real one cannot be made to produce on
// demand (a loop, a failing call): it replies with the turns in order.
func script(turns ...record.Measurement) (Chat, *[][]api.Message) {
	var seen [][]api.Message
	i := 0
	return func(_ context.Context, msgs []api.Message) (record.Measurement, error) {
		seen = append(seen, append([]api.Message(nil), msgs...))
		if i >= len(turns) {
			return record.Measurement{}, errors.New("script ran out")
		}
		i++
		return turns[i-1], nil
	}, &seen
}

func call(name string, args map[string]any) record.Measurement {
	return record.Measurement{ToolCalls: []record.ToolCall{{Name: name, Arguments: args}}}
}

func weatherTask() Task {
	return Task{Prompt: "Is it warmer in Paris or Rome?", Tools: []api.Tool{tool1("get_weather", "city", "string")}, Spec: Spec{
		Env: map[string]ToolEnv{"get_weather": {Responses: []Response{
			{Arguments: map[string]any{"city": "Paris"}, Result: "Paris: 18C"},
			{Arguments: map[string]any{"city": "Rome"}, Result: "Rome: 24C"}}, Error: "unknown city"}},
		Expect: &Expect{Calls: []Call{{Name: "get_weather", Arguments: map[string]any{"city": "Paris"}}, {Name: "get_weather", Arguments: map[string]any{"city": "Rome"}}}},
	}}
}

func TestLoopFeedsResultsBack(t *testing.T) {
	chat, seen := script(call("get_weather", map[string]any{"city": "Paris"}), call("get_weather", map[string]any{"city": "Rome"}), record.Measurement{Output: "Rome", WallMs: 5})
	task := weatherTask()
	a, m, err := Run(context.Background(), chat, task)
	if err != nil {
		t.Fatal(err)
	}
	if a.Stop != StopAnswer || len(a.Steps) != 3 || m.Output != "Rome" || len(m.ToolCalls) != 2 {
		t.Fatalf("stop %s, %d steps, output %q, %d calls", a.Stop, len(a.Steps), m.Output, len(m.ToolCalls))
	}
	last := (*seen)[2]
	if len(last) != 5 || last[1].Role != "assistant" || len(last[1].ToolCalls) != 1 || last[2].Role != "tool" || last[2].Content != "Paris: 18C" || last[4].Content != "Rome: 24C" {
		t.Fatalf("history of the third turn: %+v", last)
	}
	pass := true
	if !Score(a, task.Spec, &pass) {
		t.Fatalf("a right trajectory and answer fail: %+v", a.Scores)
	}
	sc := a.Scores
	if !sc.NeededTool || sc.Autonomy == nil || !*sc.Autonomy || !sc.ToolChoice || sc.ArgumentValidity != 1 || !sc.UsedResult || !*sc.Trajectory || sc.WastedSteps != 0 || sc.Steps != 3 {
		t.Errorf("scores %+v", sc)
	}
}

func TestLoopStopsARepeatedCall(t *testing.T) {
	paris := call("get_weather", map[string]any{"city": "Paris"})
	chat, _ := script(paris, paris, paris, paris)
	task := weatherTask()
	a, _, err := Run(context.Background(), chat, task)
	if err != nil {
		t.Fatal(err)
	}
	if a.Stop != StopLoop || len(a.Steps) != 2 {
		t.Fatalf("stop %s after %d steps; want loop after 2", a.Stop, len(a.Steps))
	}
	if Score(a, task.Spec, nil) || !a.Scores.Loop || a.Scores.WastedSteps != 1 {
		t.Errorf("a loop scores %+v", a.Scores)
	}
}

func TestLoopStepLimitAndErrors(t *testing.T) {
	task := weatherTask()
	task.Spec.MaxSteps = 2
	chat, _ := script(call("get_weather", map[string]any{"city": "Oslo"}), call("get_weather", map[string]any{"city": "Lima"}), record.Measurement{Output: "x"})
	a, _, err := Run(context.Background(), chat, task)
	if err != nil || a.Stop != StopStepLimit || len(a.Steps) != 2 {
		t.Fatalf("step limit: %v, %s, %d steps", err, a.Stop, len(a.Steps))
	}
	// Arguments no response matches get the tool's error, recorded as such.
	if r := a.Steps[0].Results[0]; r.Source != "error" || r.Result != "error: unknown city" {
		t.Errorf("unmatched arguments: %+v", r)
	}
	failing := func(context.Context, []api.Message) (record.Measurement, error) {
		return record.Measurement{Output: "par"}, errors.New("timeout")
	}
	a, _, err = Run(context.Background(), failing, task)
	if err == nil || a.Stop != StopError || len(a.Steps) != 1 {
		t.Errorf("a failing call: %v, %s, %d steps", err, a.Stop, len(a.Steps))
	}
}

func TestScoreSignatureErrorsAndNoTool(t *testing.T) {
	run := tool1("run_command", "argv", "array")
	task := Task{Prompt: "Who made the last commit?", Tools: []api.Tool{run}, Spec: Spec{Env: map[string]ToolEnv{"run_command": {Default: "Ada"}}, Expect: &Expect{Calls: []Call{{Name: "run_command"}}, Order: OrderContains}}}
	chat, _ := script(call("run_command", map[string]any{"argv": "git log -1"}), record.Measurement{Output: "Ada"})
	a, _, _ := Run(context.Background(), chat, task)
	pass := true
	Score(a, task.Spec, &pass)
	r := a.Steps[0].Results[0]
	if len(r.SignatureErrors) != 1 || !strings.Contains(r.SignatureErrors[0].Message, "argument list") || a.Scores.ArgumentValidity != 0 {
		t.Errorf("a shell string for an argument list: %+v, scores %+v", r.SignatureErrors, a.Scores)
	}
	direct := Task{Prompt: "Reverse the word planet.", Tools: []api.Tool{run}, Spec: Spec{Expect: &Expect{NoTool: true}}}
	chat, _ = script(record.Measurement{Output: "tenalp"})
	a, _, _ = Run(context.Background(), chat, direct)
	if !Score(a, direct.Spec, &pass) || a.Scores.NeededTool || a.Scores.Autonomy != nil || !a.Scores.ToolChoice {
		t.Errorf("a direct answer: %+v", a.Scores)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tools := []api.Tool{tool1("calc", "expression", "string")}
	for _, tc := range []struct {
		spec   Spec
		checks bool
		want   string
	}{
		{Spec{}, false, "no success criterion"},
		{Spec{MaxSteps: 51}, true, "agent.max_steps 51 is out of range"},
		{Spec{Env: map[string]ToolEnv{"calcc": {}}}, true, "agent.env.calcc"},
		{Spec{Expect: &Expect{Calls: []Call{{Name: "search"}}}}, true, "agent.expect.calls[0].name"},
		{Spec{Expect: &Expect{Order: "any"}}, true, "agent.expect.order"},
	} {
		errs := tc.spec.Validate(tools, tc.checks)
		if len(errs) == 0 || !strings.Contains(errors.Join(errs...).Error(), tc.want) {
			t.Errorf("%+v: %v; want %q", tc.spec, errs, tc.want)
		}
	}
	bad := tool1("calc", "expression", "strin")
	if errs := (Spec{}).Validate([]api.Tool{bad}, true); len(errs) == 0 || !strings.Contains(errors.Join(errs...).Error(), "tools[0]") {
		t.Errorf("an invalid tool schema: %v", errs)
	}
	if errs := (Spec{}).Validate(nil, true); len(errs) == 0 {
		t.Error("an agentic task without tools validates")
	}
}
