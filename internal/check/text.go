package check

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/benchmcp/benchmcp/internal/record"
)

// textCheck is exact or contains.
type textCheck struct {
	typ        string
	value      string
	ignoreCase bool
}

func compileText(s Spec) (Check, error) {
	if strings.TrimSpace(s.Value) == "" {
		what := "the expected answer"
		if s.Type == "contains" {
			what = "the text the answer must contain"
		}
		return nil, specErr(s, "value", "empty; write %s in value", what)
	}
	v := s.Value
	if s.Type == "exact" {
		v = strings.TrimSpace(v)
	}
	return textCheck{typ: s.Type, value: v, ignoreCase: s.IgnoreCase}, nil
}

func (c textCheck) Type() string { return c.typ }

func (c textCheck) Evaluate(_ context.Context, a Answer, _ Env) record.CheckResult {
	out := a.Output
	if c.typ == "exact" {
		out = strings.TrimSpace(out)
		if out == c.value || (c.ignoreCase && strings.EqualFold(out, c.value)) {
			return passed(c.typ)
		}
		return failedText(c.typ, a, "expected %s, got %s", excerpt(c.value, 80), excerpt(out, 120))
	}
	if strings.Contains(out, c.value) || (c.ignoreCase && strings.Contains(strings.ToLower(out), strings.ToLower(c.value))) {
		return passed(c.typ)
	}
	return failedText(c.typ, a, "answer does not contain %s: %s", excerpt(c.value, 80), excerpt(out, 120))
}

type regexCheck struct {
	re *regexp.Regexp
}

func compileRegex(s Spec) (Check, error) {
	if s.Pattern == "" {
		return nil, specErr(s, "pattern", "empty; write a Go (RE2) regular expression the answer must match, e.g. \"^\\\\d+$\"")
	}
	p := s.Pattern
	if s.IgnoreCase {
		p = "(?i)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, specErr(s, "pattern", "%v; write a Go (RE2) regular expression: no lookarounds or backreferences", err)
	}
	return regexCheck{re: re}, nil
}

func (regexCheck) Type() string { return "regex" }

func (c regexCheck) Evaluate(_ context.Context, a Answer, _ Env) record.CheckResult {
	if c.re.MatchString(a.Output) {
		return passed("regex")
	}
	return failedText("regex", a, "answer does not match /%s/: %s", c.re, excerpt(a.Output, 120))
}

type numericCheck struct {
	want, tol float64
}

func compileNumeric(s Spec) (Check, error) {
	var want float64
	switch {
	case s.Number != nil:
		want = *s.Number
		if v := strings.TrimSpace(s.Value); v != "" {
			if n, ok := parseNumber(v); !ok || n != want {
				return nil, specErr(s, "value", "%q disagrees with number %g; give the expected number once, in number", s.Value, want)
			}
		}
	case strings.TrimSpace(s.Value) != "":
		n, ok := parseNumber(strings.TrimSpace(s.Value))
		if !ok {
			return nil, specErr(s, "value", "%q is not a number; write the expected number in number, e.g. \"number\": 432", s.Value)
		}
		want = n
	default:
		return nil, specErr(s, "number", "missing; write the expected number, e.g. \"number\": 432 (and \"tolerance\" for an allowed absolute error)")
	}
	if math.IsNaN(want) || math.IsInf(want, 0) {
		return nil, specErr(s, "number", "%g is not a finite number; write a finite expected number", want)
	}
	if s.Tolerance < 0 || math.IsNaN(s.Tolerance) {
		return nil, specErr(s, "tolerance", "%g is negative; write an absolute tolerance >= 0 (0 = exact)", s.Tolerance)
	}
	return numericCheck{want: want, tol: s.Tolerance}, nil
}

func (numericCheck) Type() string { return "numeric" }

func (c numericCheck) Evaluate(_ context.Context, a Answer, _ Env) record.CheckResult {
	got, ok := lastNumber(a.Output)
	if !ok {
		return failedText("numeric", a, "no number in the answer: %s", excerpt(a.Output, 120))
	}
	if math.Abs(got-c.want) <= c.tol {
		return passed("numeric")
	}
	tol := ""
	if c.tol > 0 {
		tol = fmt.Sprintf(" ± %g", c.tol)
	}
	return failed("numeric", "expected %g%s, got %g (the last number in the answer)", c.want, tol, got)
}

// numberRE matches a decimal number: an optional minus, digits with optional
// thousands separators ("1,234"), an optional fraction and exponent.
var numberRE = regexp.MustCompile(`-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+`)

// lastNumber returns the last number written in s. A minus sign counts only
// when it does not follow a letter or digit, so "10-12" ends in 12, not -12.
func lastNumber(s string) (float64, bool) {
	s = strings.ReplaceAll(s, "\u2212", "-") // typographic minus
	locs := numberRE.FindAllStringIndex(s, -1)
	for i := len(locs) - 1; i >= 0; i-- {
		start, end := locs[i][0], locs[i][1]
		if s[start] == '-' && start > 0 {
			prev, _ := utf8.DecodeLastRuneInString(s[:start])
			if isWordRune(prev) {
				start++
			}
		}
		if n, ok := parseNumber(s[start:end]); ok {
			return n, true
		}
	}
	return 0, false
}

func isWordRune(r rune) bool {
	return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
}

// parseNumber parses "432", "-12", "3.5", "1,234" and "1e3".
func parseNumber(s string) (float64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}

type wordCountCheck struct {
	min, max int
}

func compileWordCount(s Spec) (Check, error) {
	switch {
	case s.MinWords < 0:
		return nil, specErr(s, "min_words", "%d is negative; write a minimum >= 0", s.MinWords)
	case s.MaxWords < 0:
		return nil, specErr(s, "max_words", "%d is negative; write a maximum >= 1, or leave it out for no maximum", s.MaxWords)
	case s.MinWords == 0 && s.MaxWords == 0:
		return nil, specErr(s, "min_words", "neither min_words nor max_words is set, so every answer passes; set min_words, max_words or both")
	case s.MaxWords > 0 && s.MinWords > s.MaxWords:
		return nil, specErr(s, "max_words", "%d is below min_words %d; write max_words >= min_words", s.MaxWords, s.MinWords)
	}
	return wordCountCheck{min: s.MinWords, max: s.MaxWords}, nil
}

func (wordCountCheck) Type() string { return "word_count" }

func (c wordCountCheck) Evaluate(_ context.Context, a Answer, _ Env) record.CheckResult {
	n := len(strings.Fields(a.Output))
	words := fmt.Sprintf("%d words", n)
	if n == 1 {
		words = "1 word"
	}
	switch {
	case n < c.min && c.max > 0:
		return failedText("word_count", a, "%s, want %d to %d", words, c.min, c.max)
	case n < c.min:
		return failedText("word_count", a, "%s, want at least %d", words, c.min)
	case c.max > 0 && n > c.max && c.min > 0:
		return failed("word_count", "%s, want %d to %d", words, c.min, c.max)
	case c.max > 0 && n > c.max:
		return failed("word_count", "%s, want at most %d", words, c.max)
	}
	return passed("word_count")
}
