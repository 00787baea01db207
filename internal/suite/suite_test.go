package suite

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ollama/ollama/api"

	"github.com/benchmcp/benchmcp/internal/check"
)

// cmpTools compares ollama's ToolPropertiesMap (an ordered map with
// unexported fields) by its JSON encoding, which keeps the order.
var cmpTools = cmp.Comparer(func(a, b *api.ToolPropertiesMap) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
})

func TestBuiltinSuitesValidate(t *testing.T) {
	if got, want := BuiltinNames(), []string{"agentic", "agentic-tiny", "coding", "review", "tiny", "tool-use"}; !slices.Equal(got, want) {
		t.Fatalf("BuiltinNames() = %v, want %v", got, want)
	}
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			s, ok := Builtin(name)
			if !ok {
				t.Fatalf("Builtin(%q) not found", name)
			}
			if s.Name != name {
				t.Errorf("Name = %q, want %q", s.Name, name)
			}
			if s.Description == "" {
				t.Error("no description")
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate:\n%v", err)
			}
			loaded, err := Load(name)
			if err != nil {
				t.Fatalf("Load(%q): %v", name, err)
			}
			if diff := cmp.Diff(s, loaded, cmpTools); diff != "" {
				t.Errorf("Load differs from Builtin (-builtin +load):\n%s", diff)
			}
		})
	}
	if _, ok := Builtin("nope"); ok {
		t.Error(`Builtin("nope") found`)
	}
	if _, ok := Builtin("../builtin/tiny"); ok {
		t.Error("Builtin accepted a path")
	}
}

func TestBuiltinReturnsCopies(t *testing.T) {
	a, _ := Builtin("tiny")
	a.Tasks[0].Checks[0].Value = "changed"
	a.Tasks[0].Prompt = "changed"
	b, _ := Builtin("tiny")
	if b.Tasks[0].Prompt == "changed" || b.Tasks[0].Checks[0].Value == "changed" {
		t.Fatal("changing a built-in suite changed the next copy")
	}
}

// The training distribution of the fixture models (testdata/models): the
// word, city and system-prompt lists of the generator they were trained on.
var (
	words         = strings.Fields("apple river stone cloud tiger piano garden rocket silver yellow window bridge forest candle dragon ember falcon glacier harbor island jungle kettle lantern meadow nectar orchid pepper quartz raven saddle timber velvet walnut zephyr anchor basket cactus dolphin engine feather goblet hammer igloo jacket")
	cities        = strings.Fields("Paris Tokyo Berlin Madrid Rome Oslo Lima Cairo Delhi Seoul Dublin Vienna Prague Warsaw Lisbon Athens Sydney Toronto Chicago Boston Denver Austin Miami Quito Bogota Nairobi Accra Dakar Hanoi Manila Jakarta Perth Auckland Zurich")
	heldoutCities = strings.Fields("Helsinki Kyoto Geneva Porto Bergen Seville")
	systems       = []string{"", "You are a helpful assistant.", "Answer briefly.", "You are a careful assistant. Think before you answer."}

	reAdd     = regexp.MustCompile(`^What is (\d{1,4})\+(\d{1,4})\?$`)
	reMul     = regexp.MustCompile(`^What is (\d)\*(\d{1,2})\?$`)
	reReverse = regexp.MustCompile(`^Reverse the word ([a-z]+)\.$`)
	reSort    = regexp.MustCompile(`^Sort the letters ([a-z]{3,7})\.$`)
	reCount   = regexp.MustCompile(`^How many ([a-z]) in ([a-z]+)\?$`)
	reUpper   = regexp.MustCompile(`^Uppercase ([a-z]+)\.$`)
	reCode    = regexp.MustCompile(`^Write a Python function ((add|sub|mul)(?:_[a-z]{1,5})?)\(a, b\) that returns the (sum|difference|product) of a and b\.$`)
	reTool    = regexp.MustCompile(`^(?:What is the weather in (\w+)\?|Is it raining in (\w+)\?|What time is it in (\w+)\?|Tell me the time in (\w+)\.)$`)
)

// isWord reports whether w is in the training distribution of words: one
// of WORDS, or 3 to 8 random lowercase letters.
func isWord(w string) bool {
	return slices.Contains(words, w) || regexp.MustCompile(`^[a-z]{3,8}$`).MatchString(w)
}

// solve recomputes the answer to a prompt in a tiny-model task family from
// the prompt alone. It returns the family and, for text families, the
// answer; for tool prompts the answer is the expected "name city".
func solve(t *testing.T, prompt string) (family, answer string) {
	t.Helper()
	atoi := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	itoa := strconv.Itoa
	if m := reAdd.FindStringSubmatch(prompt); m != nil {
		for _, d := range m[1:] {
			if len(d) > 1 && d[0] == '0' {
				t.Errorf("%q: operand %s has a leading zero", prompt, d)
			}
		}
		return "add", itoa(atoi(m[1]) + atoi(m[2]))
	}
	if m := reMul.FindStringSubmatch(prompt); m != nil {
		return "mul", itoa(atoi(m[1]) * atoi(m[2]))
	}
	if m := reReverse.FindStringSubmatch(prompt); m != nil {
		if !isWord(m[1]) {
			t.Errorf("%q: %s is outside the training words", prompt, m[1])
		}
		r := []rune(m[1])
		slices.Reverse(r)
		return "reverse", string(r)
	}
	if m := reSort.FindStringSubmatch(prompt); m != nil {
		r := []rune(m[1])
		slices.Sort(r)
		if len(slices.Compact(slices.Clone(r))) != len(r) {
			t.Errorf("%q: letters repeat; the training data samples distinct letters", prompt)
		}
		return "sort", string(r)
	}
	if m := reCount.FindStringSubmatch(prompt); m != nil {
		if !strings.Contains(m[2], m[1]) {
			t.Errorf("%q: the letter does not occur; training always picks one that does", prompt)
		}
		return "count", itoa(strings.Count(m[2], m[1]))
	}
	if m := reUpper.FindStringSubmatch(prompt); m != nil {
		if !isWord(m[1]) {
			t.Errorf("%q: %s is outside the training words", prompt, m[1])
		}
		return "upper", strings.ToUpper(m[1])
	}
	if m := reCode.FindStringSubmatch(prompt); m != nil {
		ops := map[string][2]string{"add": {"sum", "+"}, "sub": {"difference", "-"}, "mul": {"product", "*"}}
		op := ops[m[2]]
		if op[0] != m[3] {
			t.Errorf("%q: %s does not return the %s", prompt, m[2], m[3])
		}
		return "code", "def " + m[1] + "(a, b):\n    return a " + op[1] + " b"
	}
	if m := reTool.FindStringSubmatch(prompt); m != nil {
		name := "get_weather"
		city := m[1] + m[2]
		if city == "" {
			name, city = "get_time", m[3]+m[4]
		}
		return "tool", name + " " + city
	}
	t.Errorf("prompt %q is not in any tiny-model task family", prompt)
	return "", ""
}

func specsOf(task Task, typ string) []check.Spec {
	var out []check.Spec
	for _, c := range task.Checks {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

func toolNames(task Task) []string {
	var names []string
	for _, tool := range task.Tools {
		names = append(names, tool.Function.Name)
	}
	return names
}

// checkTinyTask asserts that a task in a tiny-model family asks its question
// in the training format and expects the right answer.
func checkTinyTask(t *testing.T, task Task) (family string) {
	t.Helper()
	if !slices.Contains(systems, task.System) {
		t.Errorf("%s: system %q was not in training", task.ID, task.System)
	}
	if len(task.Tools) > 0 && !slices.Equal(toolNames(task), []string{"get_weather", "get_time"}) {
		t.Errorf("%s: tools %v, want get_weather, get_time (in that order, as in training)", task.ID, toolNames(task))
	}
	family, answer := solve(t, task.Prompt)
	if family == "tool" && len(task.Tools) == 0 {
		family = "notool"
		answer = "I cannot check the weather."
		if !strings.HasPrefix(task.Prompt, "What is the weather in ") {
			t.Errorf("%s: notool prompts ask for the weather", task.ID)
		}
	}
	if family == "tool" {
		calls := specsOf(task, "tool_call")
		if len(calls) != 1 {
			t.Fatalf("%s: %d tool_call checks, want 1", task.ID, len(calls))
		}
		name, city, _ := strings.Cut(answer, " ")
		if calls[0].Name != name || !cmp.Equal(calls[0].Arguments, map[string]any{"city": city}) {
			t.Errorf("%s: tool_call %s %v, want %s {city: %s}", task.ID, calls[0].Name, calls[0].Arguments, name, city)
		}
		if !slices.Contains(cities, city) && !slices.Contains(heldoutCities, city) {
			t.Errorf("%s: city %s is in neither CITIES nor HELDOUT_CITIES", task.ID, city)
		}
		return family
	}
	if family == "notool" {
		city := strings.TrimSuffix(strings.TrimPrefix(task.Prompt, "What is the weather in "), "?")
		if !slices.Contains(cities, city) {
			t.Errorf("%s: city %s is not in CITIES", task.ID, city)
		}
	}
	exact := specsOf(task, "exact")
	if len(exact) != 1 {
		t.Fatalf("%s: %d exact checks, want 1", task.ID, len(exact))
	}
	if exact[0].Value != answer {
		t.Errorf("%s: %q expects %q, the answer is %q", task.ID, task.Prompt, exact[0].Value, answer)
	}
	return family
}

func TestTinyAnswers(t *testing.T) {
	s, _ := Builtin("tiny")
	perFamily := map[string]int{}
	judged := []string{"add", "mul", "reverse", "sort", "count", "upper", "code"}
	for _, task := range s.Tasks {
		family := checkTinyTask(t, task)
		perFamily[family]++
		if task.Category != family {
			t.Errorf("%s: category %q, want %q", task.ID, task.Category, family)
		}
		judges := specsOf(task, "llm_judge")
		if !slices.Contains(judged, family) {
			if len(judges) > 0 {
				t.Errorf("%s: tiny-judge does not grade the %s family", task.ID, family)
			}
			continue
		}
		want := []check.Spec{{Type: "llm_judge", Advisory: true, Judge: &check.JudgeSpec{Model: "tiny-judge", MaxScore: 10, PassScore: 0.5}}}
		if diff := cmp.Diff(want, judges); diff != "" {
			t.Errorf("%s: judge checks (-want +got):\n%s", task.ID, diff)
		}
		if family == "code" {
			if n := len(specsOf(task, "code_exec")); n != 1 {
				t.Errorf("%s: %d code_exec checks, want 1", task.ID, n)
			}
		}
	}
	for _, f := range []string{"add", "mul", "reverse", "sort", "count", "upper", "code", "tool", "notool"} {
		if perFamily[f] < 4 {
			t.Errorf("family %s has %d tasks, want at least 4", f, perFamily[f])
		}
	}
}

func TestToolUseAnswers(t *testing.T) {
	s, _ := Builtin("tool-use")
	for _, task := range s.Tasks {
		family := checkTinyTask(t, task)
		switch task.Category {
		case "call", "heldout":
			if family != "tool" {
				t.Errorf("%s: category %s but prompt is %s", task.ID, task.Category, family)
			}
			_, answer := solve(t, task.Prompt)
			_, city, _ := strings.Cut(answer, " ")
			if heldout := slices.Contains(heldoutCities, city); heldout != (task.Category == "heldout") {
				t.Errorf("%s: city %s, category %s", task.ID, city, task.Category)
			}
		case "refrain":
			if len(task.Tools) == 0 || family == "tool" || len(specsOf(task, "no_tool_call")) != 1 {
				t.Errorf("%s: a refrain task passes tools, asks something no tool answers and has a no_tool_call check", task.ID)
			}
		case "notool":
			if family != "notool" {
				t.Errorf("%s: category notool but the family is %s", task.ID, family)
			}
		default:
			t.Errorf("%s: unexpected category %q", task.ID, task.Category)
		}
	}
}

func TestCodingTinyPrompts(t *testing.T) {
	s, _ := Builtin("coding")
	n := 0
	for _, task := range s.Tasks {
		if task.Category == "tiny" {
			if family, _ := solve(t, task.Prompt); family != "code" {
				t.Errorf("%s: not a tiny code prompt", task.ID)
			}
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d tiny code tasks, want 3 (add, sub, mul)", n)
	}
}

// The example, as JSON and as YAML, as an object and as a bare list.
const (
	exampleTasksJSON = `[
  {"id": "add-03", "category": "add", "prompt": "What is 47+385?", "system": "Answer briefly.", "checks": [{"type": "exact", "value": "432"}]},
  {"id": "weather-1", "category": "tool", "prompt": "What is the weather in Paris?", "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}], "checks": [{"type": "tool_call", "name": "get_weather", "arguments": {"city": "Paris"}}]}
]`
	exampleTasksYAML = `
- id: add-03
  category: add
  prompt: What is 47+385?
  system: Answer briefly.
  checks:
    - type: exact
      value: "432"
- id: weather-1
  category: tool
  prompt: What is the weather in Paris?
  tools:
    - type: function
      function:
        name: get_weather
        description: Current weather
        parameters:
          type: object
          properties:
            city:
              type: string
          required: [city]
  checks:
    - type: tool_call
      name: get_weather
      arguments:
        city: Paris
`
)

func exampleSuite() Suite {
	props := api.NewToolPropertiesMap()
	props.Set("city", api.ToolProperty{Type: api.PropertyType{"string"}})
	return Suite{
		Name: "example",
		Tasks: []Task{
			{
				ID: "add-03", Category: "add", Prompt: "What is 47+385?", System: "Answer briefly.",
				Checks: []check.Spec{{Type: "exact", Value: "432"}},
			},
			{
				ID: "weather-1", Category: "tool", Prompt: "What is the weather in Paris?",
				Tools: []api.Tool{{
					Type: "function",
					Function: api.ToolFunction{
						Name:        "get_weather",
						Description: "Current weather",
						Parameters:  api.ToolFunctionParameters{Type: "object", Properties: props, Required: []string{"city"}},
					},
				}},
				Checks: []check.Spec{{Type: "tool_call", Name: "get_weather", Arguments: map[string]any{"city": "Paris"}}},
			},
		},
	}
}

func TestParseJSONAndYAMLAgree(t *testing.T) {
	indented := "  " + strings.ReplaceAll(strings.TrimSpace(exampleTasksYAML), "\n", "\n  ")
	docs := map[string]string{
		"json list":   exampleTasksJSON,
		"json object": `{"name": "example", "tasks": ` + exampleTasksJSON + `}`,
		"yaml list":   exampleTasksYAML,
		"yaml object": "name: example\ntasks:\n" + indented + "\n",
		"yaml flow":   `{name: example, tasks: ` + exampleTasksJSON + `, }`,
	}
	want := exampleSuite()
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			got, err := Parse([]byte(doc), "example")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmpTools); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			if got.Hash() != want.Hash() {
				t.Errorf("Hash = %s, want %s", got.Hash(), want.Hash())
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestParseYAMLKeepsToolPropertyOrder(t *testing.T) {
	doc := `
- id: t
  prompt: Book a table.
  tools:
    - type: function
      function:
        name: book
        parameters:
          type: object
          properties:
            zone: {type: string}
            city: {type: string}
            people: {type: integer}
  checks: [{type: tool_call, name: book}]
`
	s, err := Parse([]byte(doc), "order")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s.Tasks[0].Tools[0].Function.Parameters.Properties)
	if want := `{"zone":{"type":"string"},"city":{"type":"string"},"people":{"type":"integer"}}`; string(b) != want {
		t.Errorf("properties = %s, want %s", b, want)
	}
}

func TestParseYAMLAnchorsAndMerge(t *testing.T) {
	doc := `
name: anchors
tasks:
  - &base
    id: a
    prompt: Uppercase river.
    options: {temperature: 0, num_ctx: 512}
    checks: [&exact {type: exact, value: RIVER}]
  - <<: *base
    id: b
    checks: [*exact, {type: contains, value: RIV}]
`
	s, err := Parse([]byte(doc), "anchors")
	if err != nil {
		t.Fatal(err)
	}
	want := []Task{
		{ID: "a", Prompt: "Uppercase river.", Options: map[string]any{"temperature": 0.0, "num_ctx": 512.0}, Checks: []check.Spec{{Type: "exact", Value: "RIVER"}}},
		{ID: "b", Prompt: "Uppercase river.", Options: map[string]any{"temperature": 0.0, "num_ctx": 512.0}, Checks: []check.Spec{{Type: "exact", Value: "RIVER"}, {Type: "contains", Value: "RIV"}}},
	}
	if diff := cmp.Diff(want, s.Tasks, cmpTools); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "  \n", "empty document"},
		{"scalar", "hello", "expected an object with name and tasks"},
		{"unknown field", `{"name": "x", "tasks": [{"id": "a", "prompt": "p", "check": []}]}`, `unknown field "check"`},
		{"unknown yaml field", "tasks:\n  - id: a\n    promt: p\n", `unknown field "promt"`},
		{"bad yaml", "tasks: [\n", "yaml"},
		{"number for text", "- id: a\n  prompt: p\n  checks: [{type: exact, value: 432}]\n", "cannot unmarshal number"},
		{"trailing data", `{"name": "x"} {"name": "y"}`, "did not find expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "broken")
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tt.doc)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "broken") {
				t.Errorf("error %q does not mention %q and the suite name", err, tt.want)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	ok := func(id string) Task {
		return Task{ID: id, Prompt: "What is 3+5?", Checks: []check.Spec{{Type: "exact", Value: "8"}}}
	}
	with := func(id string, f func(*Task)) Task {
		task := ok(id)
		f(&task)
		return task
	}
	weather := exampleSuite().Tasks[1].Tools
	tests := []struct {
		name string
		task Task
		want []string // each must appear in the error
	}{
		{"missing prompt", with("no-prompt", func(t *Task) { t.Prompt = " " }), []string{`task "no-prompt"`, "prompt is empty"}},
		{"no checks", with("no-checks", func(t *Task) { t.Checks = nil }), []string{`task "no-checks"`, "add at least one check"}},
		{"bad regex", with("bad-re", func(t *Task) { t.Checks = []check.Spec{{Type: "regex", Pattern: "(unclosed"}} }), []string{`task "bad-re"`, "check #1", "pattern"}},
		{"unknown check type", with("bad-type", func(t *Task) { t.Checks = []check.Spec{{Type: "exact", Value: "8"}, {Type: "Exact", Value: "8"}} }), []string{`task "bad-type"`, "check #2", `"Exact" is not a check type`, `did you mean "exact"`}},
		{"invalid json schema", with("bad-schema", func(t *Task) {
			t.Checks = []check.Spec{{Type: "json_schema", Schema: map[string]any{"type": "strin"}}}
		}), []string{`task "bad-schema"`, "check #1", "invalid JSON schema"}},
		{"tool without name", with("anon-tool", func(t *Task) { t.Tools = []api.Tool{{Type: "function"}} }), []string{`task "anon-tool"`, "tools[0].function.name"}},
		{"tool call to a tool not passed", with("no-tools", func(t *Task) {
			t.Checks = []check.Spec{{Type: "tool_call", Name: "get_weather"}}
		}), []string{`task "no-tools"`, `call to "get_weather"`, "passes no tools"}},
		{"tool call to another tool", with("wrong-tool", func(t *Task) {
			t.Tools = weather
			t.Checks = []check.Spec{{Type: "tool_call", Name: "get_time"}}
		}), []string{`task "wrong-tool"`, `call to "get_time"`, "it passes get_weather"}},
		{"unknown option", with("bad-option", func(t *Task) { t.Options = map[string]any{"temprature": 0.0} }), []string{`task "bad-option": options.temprature is not an Ollama option`, "did you mean temperature?"}},
		{"option of the wrong type", with("bad-option-type", func(t *Task) { t.Options = map[string]any{"num_ctx": "big"} }), []string{`task "bad-option-type": options.num_ctx must be an integer, e.g. 4096; got "big" (a string)`}},
		{"missing id", with("", func(*Task) {}), []string{"task #2", "id is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Suite{Name: "x", Tasks: []Task{ok("fine"), tt.task}}
			err := s.Validate()
			if err == nil {
				t.Fatal("Validate passed")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), `"fine"`) {
				t.Errorf("error blames the valid task: %v", err)
			}
		})
	}

	t.Run("duplicate id", func(t *testing.T) {
		err := Suite{Name: "x", Tasks: []Task{ok("a"), ok("b"), ok("a")}}.Validate()
		if err == nil || !strings.Contains(err.Error(), `task "a": duplicate id (tasks #1 and #3)`) {
			t.Errorf("Validate = %v, want a duplicate id error naming task a", err)
		}
	})

	t.Run("all problems at once", func(t *testing.T) {
		s := Suite{Name: "x", Tasks: []Task{
			with("p", func(t *Task) { t.Prompt = "" }),
			with("r", func(t *Task) { t.Checks[0] = check.Spec{Type: "regex", Pattern: "["} }),
			ok("p"),
		}}
		err := s.Validate()
		var joined interface{ Unwrap() []error }
		if !errors.As(err, &joined) || len(joined.Unwrap()) != 3 {
			t.Fatalf("Validate = %v, want 3 joined errors", err)
		}
		var se *check.SpecError
		if !errors.As(err, &se) || se.Field != "pattern" {
			t.Errorf("the regex error does not wrap the check.SpecError: %v", err)
		}
	})

	t.Run("empty suite", func(t *testing.T) {
		err := Suite{}.Validate()
		if err == nil || !strings.Contains(err.Error(), "no name") || !strings.Contains(err.Error(), "no tasks") {
			t.Errorf("Validate = %v", err)
		}
	})
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, file := range []string{
		write("example.json", exampleTasksJSON),
		write("example.yaml", exampleTasksYAML),
		write("example.yml", exampleTasksYAML),
	} {
		s, err := Load(file)
		if err != nil {
			t.Fatalf("Load(%s): %v", file, err)
		}
		if diff := cmp.Diff(exampleSuite(), s, cmpTools); diff != "" {
			t.Errorf("Load(%s) (-want +got):\n%s", file, diff)
		}
	}

	invalid := write("invalid.yaml", "- id: a\n  prompt: p\n  checks: [{type: regex, pattern: '('}]\n")
	if _, err := Load(invalid); err == nil || !strings.Contains(err.Error(), invalid) || !strings.Contains(err.Error(), `task "a"`) {
		t.Errorf("Load(invalid) = %v, want the path and the task", err)
	}

	for _, ref := range []string{"tinyy", filepath.Join(dir, "missing.yaml"), write("notes.txt", "hi")} {
		_, err := Load(ref)
		if err == nil {
			t.Fatalf("Load(%q) succeeded", ref)
		}
		for _, name := range BuiltinNames() {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("Load(%q) = %q; does not list built-in %s", ref, err, name)
			}
		}
	}
}

func TestHash(t *testing.T) {
	a, _ := Builtin("tiny")
	b, _ := Builtin("tiny")
	h := a.Hash()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(h) {
		t.Fatalf("Hash = %q, want 16 hex digits", h)
	}
	if b.Hash() != h {
		t.Fatalf("Hash not stable: %s, %s", h, b.Hash())
	}
	seen := map[string]string{h: "original"}
	changes := map[string]func(*Suite){
		"prompt":      func(s *Suite) { s.Tasks[0].Prompt = "What is 3+6?" },
		"check value": func(s *Suite) { s.Tasks[0].Checks[0].Value = "9" },
		"judge":       func(s *Suite) { s.Tasks[0].Checks[1].Judge = &check.JudgeSpec{Model: "qwen2.5:14b"} },
		"system":      func(s *Suite) { s.Tasks[0].System = "Answer briefly." },
		"options":     func(s *Suite) { s.Tasks[0].Options = map[string]any{"temperature": 0.7} },
		"tool": func(s *Suite) {
			i := slices.IndexFunc(s.Tasks, func(t Task) bool { return t.ID == "tool-01" })
			s.Tasks[i].Tools = s.Tasks[i].Tools[:1]
		},
		"task order":   func(s *Suite) { s.Tasks[0], s.Tasks[1] = s.Tasks[1], s.Tasks[0] },
		"filter":       func(s *Suite) { *s = s.Filter(nil, []string{"add"}) },
		"name":         func(s *Suite) { s.Name = "tiny2" },
		"removed task": func(s *Suite) { s.Tasks = s.Tasks[1:] },
	}
	for name, change := range changes {
		s, _ := Builtin("tiny")
		change(&s)
		got := s.Hash()
		if prev, dup := seen[got]; dup {
			t.Errorf("changing the %s gives hash %s, same as %s", name, got, prev)
		}
		seen[got] = name
	}
}

func TestFilter(t *testing.T) {
	s, _ := Builtin("tiny")
	ids := func(s Suite) []string {
		var out []string
		for _, t := range s.Tasks {
			out = append(out, t.ID)
		}
		return out
	}
	tests := []struct {
		name       string
		ids, cats  []string
		want       []string
		wantLength int
	}{
		{name: "none", wantLength: len(s.Tasks)},
		{name: "ids", ids: []string{"mul-02", "add-03", "nope"}, want: []string{"add-03", "mul-02"}},
		{name: "category", cats: []string{"notool"}, want: []string{"notool-01", "notool-02", "notool-03", "notool-04"}},
		{name: "both", ids: []string{"tool-01"}, cats: []string{"sort"}, want: []string{"sort-01", "sort-02", "sort-03", "sort-04", "tool-01"}},
		{name: "nothing matches", ids: []string{"nope"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Filter(tt.ids, tt.cats)
			if tt.wantLength > 0 {
				if len(got.Tasks) != tt.wantLength {
					t.Errorf("%d tasks, want %d", len(got.Tasks), tt.wantLength)
				}
				return
			}
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if got.Name != s.Name {
				t.Errorf("Name = %q", got.Name)
			}
		})
	}
	if len(s.Filter([]string{"add-01"}, nil).Tasks) != 1 || len(s.Tasks) < 30 {
		t.Error("Filter changed the original suite")
	}
}

// TestAgenticTaskRefusals: an agentic task is refused at validation, the
// field named, without tools, without a success criterion, with a step
// limit above 50, or with a tool schema that is not JSON Schema.
func TestAgenticTaskRefusals(t *testing.T) {
	tool := `{"type": "function", "function": {"name": "calc", "parameters": {"type": "object", "required": ["expression"], "properties": {"expression": {"type": "string"}}}}}`
	for _, tc := range []struct{ doc, want string }{
		{`[{"id": "a", "prompt": "p", "agent": {"expect": {"no_tool": true}}}]`, "passes no tools"},
		{`[{"id": "a", "prompt": "p", "tools": [` + tool + `], "agent": {}}]`, "no success criterion"},
		{`[{"id": "a", "prompt": "p", "tools": [` + tool + `], "agent": {"max_steps": 51, "expect": {"no_tool": true}}}]`, "agent.max_steps 51"},
		{`[{"id": "a", "prompt": "p", "tools": [` + strings.Replace(tool, `"string"`, `"strin"`, 1) + `], "agent": {"expect": {"no_tool": true}}}]`, "tools[0]"},
	} {
		s, err := Parse([]byte(tc.doc), "bad")
		if err == nil {
			err = s.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `task "a"`) {
			t.Errorf("%s: %v; want it to say %q", tc.doc, err, tc.want)
		}
	}
}
