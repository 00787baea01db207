package bench

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/ollama/ollama/api"
)

// optionNames are the json names of a struct's fields, embedded ones included.
func optionNames(t reflect.Type) []string {
	var names []string
	for _, f := range reflect.VisibleFields(t) {
		if name := strings.Split(f.Tag.Get("json"), ",")[0]; name != "" && name != "-" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// KnownOptions are the options Ollama accepts: the fields of api.Options,
// which is what Ollama's own Options.FromMap reads. Ollama ignores any other
// name with only a log line on the server, so a misspelt option silently
// benchmarks the default.
var KnownOptions = optionNames(reflect.TypeOf(api.Options{}))

// LoadOptions are the options fixed when Ollama loads a model (api.Runner:
// num_ctx, num_batch, num_gpu, main_gpu, use_mmap, num_thread). A call with
// other values than the loaded runner's makes Ollama reload the model
// (needsReload in its server/sched.go compares exactly these), so variants
// that differ in them must not be interleaved.
var LoadOptions = optionNames(reflect.TypeOf(api.Runner{}))

// CheckOptions refuses option names Ollama does not know, saying which
// known one was probably meant. where names the options in the message
// ("options", "task add-01 options").
func CheckOptions(where string, options map[string]any) error {
	var bad []string
	for _, k := range slices.Sorted(maps.Keys(options)) {
		if slices.Contains(KnownOptions, k) {
			continue
		}
		msg := fmt.Sprintf("%s.%s is not an Ollama option (Ollama would ignore it and use its default)", where, k)
		if near := closest(k, KnownOptions); near != "" {
			msg += fmt.Sprintf("; did you mean %s?", near)
		}
		bad = append(bad, msg)
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s. Known options: %s", strings.Join(bad, "; "), strings.Join(KnownOptions, ", "))
}

// LoadKey is the load-time part of options in a canonical form: two
// option sets with the same key run on the same loaded model. A negative
// num_gpu is Ollama's default ("as many layers as fit"), which needsReload
// treats as "keep the loaded runner's", so it is left out, like no num_gpu.
func LoadKey(options map[string]any) string {
	m := map[string]any{}
	for _, k := range LoadOptions {
		if v, ok := options[k]; ok {
			if n, isNum := number(v); isNum && k == "num_gpu" && n < 0 {
				continue
			}
			m[k] = v
		}
	}
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // keys sorted
	return string(b)
}

// closest is the candidate nearest to s by edit distance, if it is near
// enough to be a likely typo (at most a third of its length, and 3).
func closest(s string, candidates []string) string {
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
