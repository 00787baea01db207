package compare

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/benchmcp/benchmcp/internal/record"
)

// What besides the model name can differ between runs that are compared.
// A difference the caller did not ask to compare makes the comparison
// measure something else too, so it is refused unless allowed.
const (
	DiffDigest   = "digest"         // the same model name with other weights (re-pulled, re-created)
	DiffOptions  = "options"        // Ollama options other than the seed
	DiffPreamble = "preamble"       // the system prompt before every task
	DiffHost     = "host"           // another Ollama server: other hardware
	DiffVersion  = "ollama_version" // another Ollama build
	DiffEngine   = "engine"         // Ollama's native API vs an OpenAI-compatible server: other templating, sampling defaults and timing
	DiffSeeds    = "seeds"          // other seeds: reported, never refused (the test pairs tasks, not seeds)
	// AllowAll allows every difference.
	AllowAll = "all"
)

// Guarded are the differences a comparison refuses unless allowed.
var Guarded = []string{DiffDigest, DiffOptions, DiffPreamble, DiffHost, DiffVersion, DiffEngine}

// Mismatch is one way in which compared runs differ beyond the model name.
type Mismatch struct {
	Field   string   `json:"field" jsonschema:"digest, options, preamble, host, ollama_version, engine or seeds"`
	Values  []string `json:"values" jsonschema:"each run's value, as run id: value"`
	Allowed bool     `json:"allowed" jsonschema:"asked for (allow_differences, or the variants of one comparison), so the comparison went ahead"`
	Reason  string   `json:"reason"`
}

// CheckAllowed refuses names that are not differences a caller can allow.
func CheckAllowed(allowed []string) error {
	for _, a := range allowed {
		if a != AllowAll && !slices.Contains(Guarded, a) {
			return fmt.Errorf("allow_differences: %q is not one of %s, %s", a, strings.Join(Guarded, ", "), AllowAll)
		}
	}
	return nil
}

// Mismatches lists how runs differ besides their model names: a model
// name with two digests, options (the seed aside), preambles, hosts,
// Ollama versions and seeds. A field is allowed when it is in allowed (or
// allowed holds AllowAll); seeds are always allowed.
func Mismatches(runs []record.Run, allowed []string) []Mismatch {
	ok := func(f string) bool { return slices.Contains(allowed, f) || slices.Contains(allowed, AllowAll) }
	var out []Mismatch
	add := func(field, reason string, value func(record.Run) string) {
		vals := map[string]bool{}
		var list []string
		for _, r := range runs {
			if field == DiffVersion && r.Engine != "" {
				continue // an OpenAI-compatible server has no Ollama version; engine tells them apart
			}
			v := value(r)
			vals[v] = true
			list = append(list, r.ID+": "+orNone(clip(v, 60)))
		}
		if len(vals) > 1 {
			out = append(out, Mismatch{Field: field, Values: list, Allowed: field == DiffSeeds || ok(field), Reason: reason})
		}
	}
	// Digest: per model name, so that two models' different digests are not a mismatch.
	byModel := map[string]map[string]bool{}
	for _, r := range runs {
		if r.ModelInfo.Digest == "" {
			continue
		}
		if byModel[r.Model] == nil {
			byModel[r.Model] = map[string]bool{}
		}
		byModel[r.Model][r.ModelInfo.Digest] = true
	}
	for _, m := range slices.Sorted(maps.Keys(byModel)) {
		if len(byModel[m]) > 1 {
			var list []string
			for _, r := range runs {
				if r.Model == m {
					list = append(list, r.ID+": "+short(r.ModelInfo.Digest))
				}
			}
			out = append(out, Mismatch{Field: DiffDigest, Values: list, Allowed: ok(DiffDigest),
				Reason: fmt.Sprintf("%s has different weights in these runs (it was pulled or created again in between)", m)})
		}
	}
	add(DiffOptions, "the runs used different Ollama options (the seed aside)", func(r record.Run) string { return optionsKey(r.Options) })
	add(DiffPreamble, "the runs used different preambles (system prompts)", func(r record.Run) string { return preambleKey(r.Preamble) })
	add(DiffHost, "the runs ran on different hosts (other hardware or load)", func(r record.Run) string { return machine(r.HostURL) })
	add(DiffVersion, "the runs ran on different Ollama versions", func(r record.Run) string { return r.OllamaVersion })
	add(DiffEngine, "the runs went through different APIs (Ollama's native one, an OpenAI-compatible one): servers template, default sampling options (Ollama's /v1 sets temperature and top_p to 1 unless given) and time differently", func(r record.Run) string { return cmp.Or(r.Engine, "ollama") })
	add(DiffSeeds, "the runs used different seeds, so their iterations are not paired by seed; the test pairs tasks and stays valid", func(r record.Run) string {
		if r.Seeds == nil {
			return ""
		}
		b, _ := json.Marshal(r.Seeds.Seeds)
		return string(b)
	})
	return out
}

// machine is the host:port of a host URL: the server's machine, whichever
// of its APIs (/ or /v1) a run went through.
func machine(hostURL string) string {
	if u, err := url.Parse(hostURL); err == nil && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	return hostURL
}

// Refused are the mismatches that were not allowed.
func Refused(ms []Mismatch) []Mismatch {
	var out []Mismatch
	for _, m := range ms {
		if !m.Allowed {
			out = append(out, m)
		}
	}
	return out
}

// RefusalMessage says what differs and how to compare anyway.
func RefusalMessage(ms []Mismatch) string {
	var parts, fields []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s: %s (%s)", m.Field, m.Reason, strings.Join(m.Values, "; ")))
		fields = append(fields, fmt.Sprintf("%q", m.Field))
	}
	return fmt.Sprintf("the runs differ in more than the model: %s. A difference between them may come from this rather than from the model; compare runs that match, or pass allow_differences: [%s] to compare anyway",
		strings.Join(parts, "; "), strings.Join(slices.Compact(fields), ", "))
}

// OptionsKey is options without the seed, in a canonical form: runs whose
// keys are equal sampled under the same settings.
func OptionsKey(options map[string]any) string { return optionsKey(options) }

func optionsKey(options map[string]any) string {
	o := maps.Clone(options)
	delete(o, "seed")
	if len(o) == 0 {
		return ""
	}
	b, _ := json.Marshal(o) // map keys are sorted
	return string(b)
}

func preambleKey(p string) string { return strings.Join(strings.Fields(p), " ") }

// clip shortens s to n runes for display.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return orNone(digest)
}
