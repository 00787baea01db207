package prompts

import "testing"

func TestResolve(t *testing.T) {
	text, name := Resolve("concise")
	if name != "concise" || text == "" || text == "concise" {
		t.Errorf("library preamble: %q %q", text, name)
	}
	text, name = Resolve("You are a pirate.")
	if name != "" || text != "You are a pirate." {
		t.Errorf("inline preamble: %q %q", text, name)
	}
	if len(Names()) < 4 {
		t.Errorf("library %v", Names())
	}
}
