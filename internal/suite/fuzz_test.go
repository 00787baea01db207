package suite

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// FuzzParse: whatever the document, Parse does not panic, and a suite it
// returns either fails Validate or passes it, encodes to JSON that parses
// back to the same suite (the same hash), and passes again. The seeds are
// the built-in suites, both shapes of document in both formats, and
// documents made to trip the YAML conversion (aliases, merges, deep
// nesting, numbers JSON cannot hold). testdata/fuzz/FuzzParse holds more,
// and the inputs that once broke it.
func FuzzParse(f *testing.F) {
	for _, name := range BuiltinNames() {
		data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		`{"name": "x", "tasks": [{"id": "a", "prompt": "What is 2+2?", "checks": [{"type": "exact", "value": "4"}]}]}`,
		`[{"id": "a", "prompt": "p", "options": {"num_ctx": 512, "temperature": 0}, "checks": [{"type": "regex", "pattern": "^4$"}]}]`,
		"name: x\ntasks:\n  - {id: a, prompt: p, checks: [{type: contains, value: '4'}]}\n",
		"- id: a\n  prompt: p\n  options: {temprature: 0}\n  checks: [{type: exact, value: '4'}]\n",
		"name: x\nbase: &b {prompt: p, checks: [{type: exact, value: '4'}]}\ntasks:\n  - {<<: *b, id: a}\n",
		"tasks:\n  - &t {id: a, prompt: p, checks: [{type: exact, value: '4'}], x: *t}\n",
		"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
		"- id: a\n  prompt: p\n  options: {temperature: .nan, num_ctx: 1e400}\n  checks: [{type: exact, value: '4'}]\n",
		`{"name": null, "tasks": null}`, `[]`, `{}`, `null`, `"x"`, "---\n- a\n---\n- b\n", "\t- a", "? [a]\n: b\n",
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
		"name: ünïcødé\ntasks:\n  - {id: \"\u202etask\", prompt: \"\U0001F600\", checks: [{type: exact, value: \"\\0\"}]}\n",
		`{"name": "x", "tasks": [{"id": "a", "prompt": "p", "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}}}], "checks": [{"type": "tool_call", "name": "f"}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	for _, bomb := range aliasBombs(4) { // small: a bomb that goes off costs a fuzzer a second
		f.Add([]byte(bomb))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		if s.Validate() != nil {
			return
		}
		if s.Hash() == "" {
			t.Fatalf("a valid suite has no hash (cannot be encoded): %+v", s)
		}
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("a valid suite does not encode: %v", err)
		}
		back, err := Parse(js, "again")
		if err != nil {
			t.Fatalf("a valid suite's JSON does not parse: %v\n%s", err, js)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("a valid suite's JSON does not validate: %v\n%s", err, js)
		}
		if back.Hash() != s.Hash() {
			again, _ := json.Marshal(back)
			t.Fatalf("round trip changed the suite:\n%s\n%s", js, again)
		}
	})
}

// aliasBombs are YAML documents a few hundred bytes long whose aliases (in
// values, and in merge keys) repeat one another nine times a level, levels
// deep: 9^levels copies if each were walked.
func aliasBombs(levels int) []string {
	var values, merges strings.Builder
	values.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x]\n")
	merges.WriteString("l0: &l0 {x: 1}\n")
	for i := 1; i <= levels; i++ {
		ref := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9), ", ")
		fmt.Fprintf(&values, "l%d: &l%d [%s]\n", i, i, ref)
		fmt.Fprintf(&merges, "l%d: &l%d {<<: [%s], k%d: 1}\n", i, i, ref, i)
	}
	return []string{values.String(), merges.String()}
}

// TestParseAliasBombs: the bombs are refused (too big once expanded, or
// not a suite) rather than expanded.
func TestParseAliasBombs(t *testing.T) {
	bombs := aliasBombs(12)
	if _, err := Parse([]byte(bombs[0]), "bomb"); err == nil || !strings.Contains(err.Error(), "expands to more than 16 MiB") {
		t.Errorf("aliases of aliases: %v", err)
	}
	if _, err := Parse([]byte(bombs[1]), "bomb"); err == nil || !strings.Contains(err.Error(), `unknown field "l0"`) {
		t.Errorf("merges of merges: %v", err)
	}
}
