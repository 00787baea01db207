// Package option checks Ollama options before any call carries them.
// Ollama ignores a name it does not know with only a log line on the
// server, so a misspelt option silently benchmarks the default; and it
// refuses a value of the wrong type only once a run is under way. Every
// place options enter (run and variant arguments, sweep axes and cells,
// suite tasks, the CLI) checks them here, naming where they came from.
package option

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/ollama/ollama/api"
)

// field is one option Ollama accepts: its json name and Go kind in
// api.Options, which is what Ollama's Options.FromMap reads.
type field struct {
	name string
	kind reflect.Kind // Int, Float32, Slice ([]string), Pointer (*bool)
}

// fieldsOf are the json-named fields of struct t, embedded ones' included.
func fieldsOf(t reflect.Type) map[string]field {
	out := map[string]field{}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous {
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			out[name] = field{name: name, kind: f.Type.Kind()}
		}
	}
	return out
}

var fields = fieldsOf(reflect.TypeFor[api.Options]())

// Known are the option names Ollama accepts, sorted: the json names of
// api.Options and its embedded api.Runner.
var Known = slices.Sorted(maps.Keys(fields))

// LoadTime are the options fixed when Ollama loads a model, sorted: those
// of api.Runner (num_ctx, num_batch, num_gpu, main_gpu, use_mmap,
// num_thread).
var LoadTime = slices.Sorted(maps.Keys(fieldsOf(reflect.TypeFor[api.Runner]())))

// ranges are the bounds of the options whose values have an obvious
// domain; the others are only checked for their type.
var ranges = map[string]struct {
	min, max float64
	say      string
}{
	"num_ctx":     {1, math.Inf(1), "a positive integer, e.g. 4096"},
	"num_batch":   {1, math.Inf(1), "a positive integer, e.g. 512"},
	"num_thread":  {0, math.Inf(1), "0 (Ollama decides) or more threads, e.g. 8"},
	"main_gpu":    {0, math.Inf(1), "a GPU index, 0 or more"},
	"top_k":       {0, math.Inf(1), "0 or more, e.g. 40"},
	"temperature": {0, math.Inf(1), "0 or more, e.g. 0.7"},
	"top_p":       {0, math.Inf(1), "0 or more (1 or more turns it off), e.g. 0.9"},
	"min_p":       {0, math.Inf(1), "0 or more (0 turns it off), e.g. 0.05"},
	"typical_p":   {0, math.Inf(1), "0 or more (1 or more turns it off), e.g. 1"},
}

// Check refuses option names Ollama does not know, saying which known one
// was probably meant, and values Ollama would refuse or that are out of
// their range. where names the options in messages: "options",
// "variants[1].options", "cells[0].options". A null value is allowed: it
// leaves the option at Ollama's default, as Ollama itself reads it.
func Check(where string, opts map[string]any) error {
	var errs []error
	unknown := false
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		if near, err := checkName(where, k); err != nil {
			errs = append(errs, err)
			unknown = unknown || !near
			continue
		}
		if err := checkValue(where+"."+k, k, opts[k]); err != nil {
			errs = append(errs, err)
		}
	}
	return joined(errs, unknown)
}

// CheckValues is Check for option axes: each name with the values to try,
// each value checked at where.name[i].
func CheckValues(where string, opts map[string][]any) error {
	var errs []error
	unknown := false
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		if near, err := checkName(where, k); err != nil {
			errs = append(errs, err)
			unknown = unknown || !near
			continue
		}
		for i, v := range opts[k] {
			if err := checkValue(fmt.Sprintf("%s.%s[%d]", where, k, i), k, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return joined(errs, unknown)
}

// joined is the problems in one error, with the list of known names when
// a name had no likely match.
func joined(errs []error, listKnown bool) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	msg := strings.Join(msgs, "; ")
	if listKnown {
		msg += ". Known options: " + strings.Join(Known, ", ")
	}
	return errors.New(msg)
}

// checkName refuses a name Ollama does not know; near says whether the
// message suggests one.
func checkName(where, k string) (near bool, err error) {
	if _, ok := fields[k]; ok {
		return false, nil
	}
	msg := fmt.Sprintf("%s.%s is not an Ollama option (Ollama would ignore it and use its default)", where, k)
	if c := Closest(k, Known); c != "" {
		return true, fmt.Errorf("%s; did you mean %s?", msg, c)
	}
	return false, errors.New(msg)
}

// checkValue checks one value, at path, as Ollama's Options.FromMap will
// read it after the value has gone through JSON.
func checkValue(path, name string, v any) error {
	if v == nil {
		return nil
	}
	f := fields[name]
	switch f.kind {
	case reflect.Int:
		n, ok := Number(v)
		if !ok || n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return fmt.Errorf("%s must be an integer, e.g. %s; got %s", path, example(name), show(v))
		}
		return inRange(path, name, n)
	case reflect.Float32:
		n, ok := Number(v)
		if !ok || math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > math.MaxFloat32 {
			return fmt.Errorf("%s must be a number, e.g. %s; got %s", path, example(name), show(v))
		}
		return inRange(path, name, n)
	case reflect.Pointer: // *bool
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s must be true or false; got %s", path, show(v))
		}
	case reflect.Slice: // []string
		switch l := v.(type) {
		case []string:
		case []any:
			for i, x := range l {
				if _, ok := x.(string); !ok {
					return fmt.Errorf("%s[%d] must be a string (%s is a list of strings, e.g. [\"\\n\\n\"]); got %s", path, i, path, show(x))
				}
			}
		default:
			return fmt.Errorf("%s must be a list of strings, e.g. [\"\\n\\n\"]; got %s", path, show(v))
		}
	}
	return nil
}

func inRange(path, name string, n float64) error {
	if r, ok := ranges[name]; ok && (n < r.min || n > r.max) {
		return fmt.Errorf("%s is %s; it must be %s", path, show(n), r.say)
	}
	return nil
}

// example is a value of the option's type to show in a message.
func example(name string) string {
	if r, ok := ranges[name]; ok {
		if _, e, ok := strings.Cut(r.say, "e.g. "); ok {
			return e
		}
	}
	if fields[name].kind == reflect.Float32 {
		return "0.5"
	}
	return "1"
}

// Number reads a numeric value as JSON or YAML decoding or a Go caller
// gives it.
func Number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// show renders a value for a message: JSON, with its kind when that is
// what is wrong.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:37]) + "..."
	}
	switch v.(type) {
	case string:
		return s + " (a string)"
	case bool:
		return s + " (a boolean)"
	case []any, []string:
		return s + " (a list)"
	case map[string]any:
		return s + " (an object)"
	}
	return s
}

// Closest is the candidate nearest to s by edit distance, if it is near
// enough to be a likely typo (at most a third of its length, and 3); ""
// when none is.
func Closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > 3 || bestD*3 > len(best) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
