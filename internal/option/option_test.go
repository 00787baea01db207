package option_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/google/go-cmp/cmp"
)

// TestKnownFollowsOllama pins the names to Ollama v0.17.4's api.Options
// and api.Runner, so that an upgrade that adds or drops one shows here.
func TestKnownFollowsOllama(t *testing.T) {
	want := []string{
		"frequency_penalty", "main_gpu", "min_p", "num_batch", "num_ctx", "num_gpu", "num_keep", "num_predict",
		"num_thread", "presence_penalty", "repeat_last_n", "repeat_penalty", "seed", "stop", "temperature",
		"top_k", "top_p", "typical_p", "use_mmap",
	}
	if diff := cmp.Diff(want, option.Known); diff != "" {
		t.Errorf("known options (-want +got):\n%s", diff)
	}
}

func TestCheck(t *testing.T) {
	fromJSON := func(s string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, ok := range []map[string]any{
		nil,
		{"num_ctx": 4096, "temperature": 0, "seed": 1, "num_gpu": -1, "stop": []string{"x"}, "use_mmap": false},
		fromJSON(`{"num_ctx": 4096, "temperature": 0.7, "top_p": 1, "num_predict": -1, "stop": ["\n\n", "END"], "seed": -3}`),
		{"num_ctx": int64(512), "top_k": uint8(5), "repeat_penalty": float32(1.1), "num_thread": json.Number("4")},
		{"num_ctx": nil}, // Ollama reads null as "the default"
	} {
		if err := option.Check("options", ok); err != nil {
			t.Errorf("%v refused: %v", ok, err)
		}
	}
	for _, tc := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"num_ctxx": 4096}, "options.num_ctxx is not an Ollama option (Ollama would ignore it and use its default); did you mean num_ctx?"},
		{map[string]any{"temprature": 1}, "did you mean temperature?"},
		{map[string]any{"top-p": 0.9}, "did you mean top_p?"},
		{map[string]any{"gpu_layers_everywhere": 1}, "options.gpu_layers_everywhere is not an Ollama option (Ollama would ignore it and use its default). Known options: frequency_penalty, main_gpu,"},
		{map[string]any{"num_ctx": "4096"}, `options.num_ctx must be an integer, e.g. 4096; got "4096" (a string)`},
		{map[string]any{"num_ctx": 4096.5}, "options.num_ctx must be an integer, e.g. 4096; got 4096.5"},
		{map[string]any{"num_ctx": 0}, "options.num_ctx is 0; it must be a positive integer, e.g. 4096"},
		{map[string]any{"num_ctx": 1e300}, "options.num_ctx must be an integer"},
		{map[string]any{"temperature": "hot"}, `options.temperature must be a number, e.g. 0.7; got "hot" (a string)`},
		{map[string]any{"temperature": -0.1}, "options.temperature is -0.1; it must be 0 or more, e.g. 0.7"},
		{map[string]any{"top_p": -0.5}, "options.top_p is -0.5; it must be 0 or more (1 or more turns it off), e.g. 0.9"},
		{map[string]any{"stop": "\n"}, `options.stop must be a list of strings, e.g. ["\n\n"]; got "\n" (a string)`},
		{fromJSON(`{"stop": ["a", 1]}`), "options.stop[1] must be a string"},
		{map[string]any{"use_mmap": "yes"}, `options.use_mmap must be true or false; got "yes" (a string)`},
		{map[string]any{"seed": true}, "options.seed must be an integer, e.g. 1; got true (a boolean)"},
	} {
		err := option.Check("options", tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want it to say %q", tc.opts, err, tc.want)
		}
	}
	// A typo with a suggestion does not drown it in the whole list.
	if err := option.Check("variants[1].options", map[string]any{"num_ctxx": 1}); err == nil || strings.Contains(err.Error(), "Known options") {
		t.Errorf("num_ctxx: %v", err)
	}
	// Every problem at once.
	err := option.Check("options", map[string]any{"num_ctxx": 1, "temperature": "hot"})
	if err == nil || !strings.Contains(err.Error(), "num_ctxx") || !strings.Contains(err.Error(), "temperature must be a number") {
		t.Errorf("two problems: %v", err)
	}
}

func TestCheckValues(t *testing.T) {
	if err := option.CheckValues("axes.options", map[string][]any{"num_ctx": {256, 512.0}, "temperature": {0, 0.7}}); err != nil {
		t.Errorf("good axes refused: %v", err)
	}
	for _, tc := range []struct {
		opts map[string][]any
		want string
	}{
		{map[string][]any{"num_ctxx": {256}}, "axes.options.num_ctxx is not an Ollama option (Ollama would ignore it and use its default); did you mean num_ctx?"},
		{map[string][]any{"num_ctx": {256, "big"}}, `axes.options.num_ctx[1] must be an integer, e.g. 4096; got "big" (a string)`},
		{map[string][]any{"top_k": {-1}}, "axes.options.top_k[0] is -1; it must be 0 or more"},
	} {
		err := option.CheckValues("axes.options", tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want it to say %q", tc.opts, err, tc.want)
		}
	}
}
