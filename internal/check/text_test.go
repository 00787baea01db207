package check

import (
	"testing"

	"github.com/benchmcp/benchmcp/internal/record"
)

var weatherCall = []record.ToolCall{{Name: "get_weather", Arguments: map[string]any{"city": "Paris"}}}

func TestExact(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"equal", Spec{Type: "exact", Value: "432"}, Answer{Output: "432"}, true, 1, ""},
		{"surrounding whitespace", Spec{Type: "exact", Value: " tenalp\n"}, Answer{Output: "\n tenalp \n"}, true, 1, ""},
		{"inner whitespace matters", Spec{Type: "exact", Value: "4 32"}, Answer{Output: "432"}, false, 0, `expected "4 32", got "432"`},
		{"near miss", Spec{Type: "exact", Value: "432"}, Answer{Output: "433"}, false, 0, `expected "432", got "433"`},
		{"case matters", Spec{Type: "exact", Value: "RIVER"}, Answer{Output: "river"}, false, 0, "expected"},
		{"ignore_case", Spec{Type: "exact", Value: "RIVER", IgnoreCase: true}, Answer{Output: "River"}, true, 1, ""},
		{"more text", Spec{Type: "exact", Value: "432"}, Answer{Output: "The answer is 432."}, false, 0, "got"},
		{"tool call instead", Spec{Type: "exact", Value: "I cannot check the weather."}, Answer{ToolCalls: weatherCall}, false, 0,
			`the model made a tool call (get_weather {"city":"Paris"}) instead of answering in text`},
	}, Env{})
}

func TestContains(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"present", Spec{Type: "contains", Value: "432"}, Answer{Output: "The answer is 432."}, true, 1, ""},
		{"absent", Spec{Type: "contains", Value: "Paris"}, Answer{Output: "I cannot check the weather."}, false, 0, `does not contain "Paris"`},
		{"case matters", Spec{Type: "contains", Value: "paris"}, Answer{Output: "Paris"}, false, 0, "does not contain"},
		{"ignore_case", Spec{Type: "contains", Value: "paris", IgnoreCase: true}, Answer{Output: "In PARIS it rains"}, true, 1, ""},
		{"tool call instead", Spec{Type: "contains", Value: "Paris"}, Answer{ToolCalls: weatherCall}, false, 0, "made a tool call"},
	}, Env{})
}

func TestRegex(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"match", Spec{Type: "regex", Pattern: `^\d+$`}, Answer{Output: "432"}, true, 1, ""},
		{"anchored mismatch", Spec{Type: "regex", Pattern: `^\d+$`}, Answer{Output: "432 apples"}, false, 0, `does not match /^\d+$/: "432 apples"`},
		{"case matters", Spec{Type: "regex", Pattern: `^[A-Z]+$`}, Answer{Output: "river"}, false, 0, "does not match"},
		{"ignore_case", Spec{Type: "regex", Pattern: `^river$`, IgnoreCase: true}, Answer{Output: "RIVER"}, true, 1, ""},
		{"multi-line flag", Spec{Type: "regex", Pattern: `(?m)^def add\(`}, Answer{Output: "Here:\ndef add(a, b):"}, true, 1, ""},
	}, Env{})
}

func TestNumeric(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"plain", Spec{Type: "numeric", Number: num(432)}, Answer{Output: "432"}, true, 1, ""},
		{"number as text in value", Spec{Type: "numeric", Value: "432"}, Answer{Output: "432"}, true, 1, ""},
		{"value and number agree", Spec{Type: "numeric", Value: "1,234", Number: num(1234)}, Answer{Output: "1234"}, true, 1, ""},
		{"last number counts", Spec{Type: "numeric", Number: num(432)}, Answer{Output: "47+385 = 432"}, true, 1, ""},
		{"last number is wrong", Spec{Type: "numeric", Number: num(432)}, Answer{Output: "432? No: 433"}, false, 0, "expected 432, got 433"},
		{"negative", Spec{Type: "numeric", Number: num(-12)}, Answer{Output: "The result is -12."}, true, 1, ""},
		{"typographic minus", Spec{Type: "numeric", Number: num(-12)}, Answer{Output: "−12"}, true, 1, ""},
		{"range is not negative", Spec{Type: "numeric", Number: num(12)}, Answer{Output: "between 10-12"}, true, 1, ""},
		{"decimal", Spec{Type: "numeric", Number: num(3.5)}, Answer{Output: "about 3.5"}, true, 1, ""},
		{"sentence full stop", Spec{Type: "numeric", Number: num(3)}, Answer{Output: "There are 3."}, true, 1, ""},
		{"thousands separator", Spec{Type: "numeric", Number: num(1234)}, Answer{Output: "It costs 1,234 dollars"}, true, 1, ""},
		{"millions", Spec{Type: "numeric", Value: "1234567.5"}, Answer{Output: "1,234,567.5"}, true, 1, ""},
		{"list is not thousands", Spec{Type: "numeric", Number: num(3)}, Answer{Output: "1,2,3"}, true, 1, ""},
		{"within tolerance", Spec{Type: "numeric", Number: num(3.14159), Tolerance: 0.01}, Answer{Output: "pi is 3.14"}, true, 1, ""},
		{"outside tolerance", Spec{Type: "numeric", Number: num(3.14159), Tolerance: 0.001}, Answer{Output: "3.14"}, false, 0, "expected 3.14159 ± 0.001, got 3.14"},
		{"no number", Spec{Type: "numeric", Number: num(3)}, Answer{Output: "three"}, false, 0, `no number in the answer: "three"`},
		{"tool call instead", Spec{Type: "numeric", Number: num(3)}, Answer{ToolCalls: weatherCall}, false, 0, "made a tool call"},
	}, Env{})
}

func TestLastNumber(t *testing.T) {
	for in, want := range map[string]float64{
		"-12":         -12,
		"x-12":        12,
		"(-12)":       -12,
		"= -0.5":      -0.5,
		".5":          0.5,
		"1e3":         1000,
		"v2":          2,
		"12,3456":     6, // not a thousands separator: 12,345 then 6
		"432\n":       432,
		"1,234.":      1234,
		"a 1 b 2 c 3": 3,
	} {
		got, ok := lastNumber(in)
		if !ok || got != want {
			t.Errorf("lastNumber(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if n, ok := lastNumber("no digits - at all."); ok {
		t.Errorf("lastNumber found %v in a text without digits", n)
	}
}

func TestWordCount(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"inside", Spec{Type: "word_count", MinWords: 2, MaxWords: 4}, Answer{Output: "one two three"}, true, 1, ""},
		{"min inclusive", Spec{Type: "word_count", MinWords: 3, MaxWords: 4}, Answer{Output: "one two three"}, true, 1, ""},
		{"max inclusive", Spec{Type: "word_count", MinWords: 1, MaxWords: 3}, Answer{Output: " one\ttwo\nthree "}, true, 1, ""},
		{"too few", Spec{Type: "word_count", MinWords: 4, MaxWords: 9}, Answer{Output: "one two three"}, false, 0, "3 words, want 4 to 9"},
		{"too many", Spec{Type: "word_count", MaxWords: 2}, Answer{Output: "one two three"}, false, 0, "3 words, want at most 2"},
		{"min only", Spec{Type: "word_count", MinWords: 2}, Answer{Output: strings100()}, true, 1, ""},
		{"min only, too few", Spec{Type: "word_count", MinWords: 2}, Answer{Output: "one"}, false, 0, "1 word, want at least 2"},
		{"empty", Spec{Type: "word_count", MinWords: 1}, Answer{Output: "  "}, false, 0, "0 words"},
	}, Env{})
}

func strings100() string {
	s := ""
	for range 100 {
		s += "word "
	}
	return s
}
