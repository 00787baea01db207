package tools

import (
	"encoding/json"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
)

// RunSettings are the run settings run_benchmark, compare_models and sweep
// share, embedded in their arguments: the same names, types, checks and
// stored form (runConfig) in all three. A tool words a setting's
// description for itself where the words differ (wording).
type RunSettings struct {
	Suite           string           `json:"suite,omitempty" jsonschema:"tiny (default), coding, tool-use, review or a file"`
	Tasks           []map[string]any `json:"tasks,omitempty" jsonschema:"inline tasks instead of a suite"`
	Iterations      int              `json:"iterations,omitempty" jsonschema:"runs per task, 1-100 (default 1)"`
	Seed            *bench.Seed      `json:"seed,omitempty" jsonschema:"base seed (default fresh)"`
	Seeds           []bench.Seed     `json:"seeds,omitempty" jsonschema:"a seed per iteration, instead of seed"`
	Warmup          *int             `json:"warmup,omitempty" jsonschema:"warm-up calls, 0-10 (default 1)"`
	MaxOutputTokens int              `json:"max_output_tokens,omitempty" jsonschema:"output token cap (default 2048)"`
	TimeoutS        float64          `json:"timeout_s,omitempty" jsonschema:"seconds per call (default 120)"`
	Tags            []string         `json:"tags,omitempty" jsonschema:"labels stored with the run"`
	JudgeHost       string           `json:"judge_host,omitempty" jsonschema:"llm_judge checks' host"`
}

// runConfig is the settings as a run stores them (record.RunConfig), for
// model on host; the caller adds what is its own (preamble, options, ...).
func (r RunSettings) runConfig(model, host string) record.RunConfig {
	return record.RunConfig{
		Version: record.RunConfigVersion, Model: model, Host: host, Suite: r.Suite, Tasks: r.Tasks,
		Iterations: r.Iterations, Seed: (*int)(r.Seed), Seeds: bench.Ints(r.Seeds), Warmup: r.Warmup,
		MaxOutputTokens: r.MaxOutputTokens, TimeoutS: r.TimeoutS, Tags: r.Tags, JudgeHost: r.JudgeHost,
	}
}

// wording is implemented by the arguments of a tool that describes some
// of its fields in its own words (the run settings: "per variant", "per
// cell"); inputSchema puts them in place of the fields' tags.
type wording interface {
	wording() map[string]string
}

// reword replaces the descriptions of the properties a T that implements
// wording names, in the JSON schema raw.
func reword[T any](raw json.RawMessage) json.RawMessage {
	w, ok := any(*new(T)).(wording)
	if !ok {
		return raw
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	props, _ := m["properties"].(map[string]any)
	for name, desc := range w.wording() {
		if p, ok := props[name].(map[string]any); ok {
			p["description"] = desc
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}
