package check

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// positional is a judge that answers from where the answers sit and what
// they say: it prefers the answer containing "good", or, when both or
// neither do, the one in position pos (a position-biased judge).
func positional(pos string) Judge {
	return JudgeFunc(func(_ context.Context, _, _, prompt string) (string, error) {
		first := strings.Split(strings.Split(prompt, "Answer 1:\n")[1], "\n\nAnswer 2:")[0]
		second := strings.Split(strings.Split(prompt, "Answer 2:\n")[1], "\n\nWhich")[0]
		switch g1, g2 := strings.Contains(first, "good"), strings.Contains(second, "good"); {
		case g1 && !g2:
			return `{"better": 1, "reason": "first is good"}`, nil
		case g2 && !g1:
			return `{"better": 2}`, nil
		}
		return "Answer " + pos, nil
	})
}

func TestPairwiseBothOrders(t *testing.T) {
	p, err := NewPairwise("judge", "", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		judge  Judge
		a, b   string
		winner string
	}{
		{"a is better", positional("1"), "a good answer", "a bad answer", PreferA},
		{"b is better", positional("2"), "a bad answer", "a good answer", PreferB},
		// Equal answers: a judge that always picks the first position
		// prefers a, then b: the orders disagree, so it is a tie.
		{"position bias is a tie", positional("1"), "same", "same", PreferTie},
		{"said equal", JudgeFunc(func(context.Context, string, string, string) (string, error) { return `{"better": 0}`, nil }), "x", "y", PreferTie},
		{"not understood", JudgeFunc(func(context.Context, string, string, string) (string, error) { return `{"score": 10}`, nil }), "x", "y", Undecided},
		{"judge fails", JudgeFunc(func(context.Context, string, string, string) (string, error) { return "", errors.New("down") }), "x", "y", Undecided},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := p.Compare(ctx, c.judge, "task", c.a, c.b)
			if v.Winner != c.winner {
				t.Errorf("winner %s (ab %s, ba %s), want %s", v.Winner, v.AB, v.BA, c.winner)
			}
		})
	}
}

func TestParsePreference(t *testing.T) {
	for raw, want := range map[string]int{
		`{"better": 1}`: 1, `{"better": "2"}`: 2, `{"Better": 0}`: 0, `{"winner": "answer 2"}`: 2,
		"Answer 1 is better.": 1, " 2 ": 2, "I prefer answer 2": 2, `{"score": 3}`: -1, "both fine": -1, "": -1,
	} {
		if got := parsePreference(raw); got != want {
			t.Errorf("parsePreference(%q) = %d, want %d", raw, got, want)
		}
	}
	if _, err := NewPairwise("", "", ""); err == nil {
		t.Error("no model accepted")
	}
	if _, err := NewPairwise("j", "", "{{.Nope"); err == nil {
		t.Error("a broken template accepted")
	}
}
