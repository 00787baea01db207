package exchange

import (
	"errors"
	"fmt"
	"math"

	"github.com/benchmcp/benchmcp/internal/record"
)

// ErrImpossible marks data no measurement can produce: a first token after
// the last, a negative duration or token count, a pass rate outside 0-1, a
// NaN or an infinity, tokens in no time. An import that meets it stores nothing.
var ErrImpossible = errors.New("impossible data")

// Thresholds past which a rate is suspicious (stored, with a warning):
// faster than any hardware a local model runs on today.
const (
	maxPlausibleGenTPS    = 5000
	maxPlausiblePromptTPS = 200000
)

// named is a figure and its JSON name, for messages.
type named struct {
	name string
	v    float64
}

// eps absorbs float rounding when two latencies on one clock are compared.
const eps = 1e-6

func impossible(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrImpossible, fmt.Sprintf(format, args...))
}

// Check applies the data-quality rules to a run and its samples. It
// returns an error wrapping ErrImpossible for the first impossible sample
// or summary figure, naming it, and warnings for data that is suspicious
// but possible.
func Check(run record.Run, samples []record.Sample) (warnings []string, err error) {
	for i, smp := range samples {
		ws, err := CheckSample(smp)
		if err != nil {
			return warnings, fmt.Errorf("sample %d (%s#%d): %w", i+1, smp.TaskID, smp.Iteration, err)
		}
		for _, w := range ws {
			warnings = append(warnings, fmt.Sprintf("sample %d (%s#%d): %s", i+1, smp.TaskID, smp.Iteration, w))
		}
	}
	if sm := run.Summary; sm != nil {
		if err := checkSummary(sm); err != nil {
			return warnings, fmt.Errorf("summary: %w", err)
		}
		if sm.Samples != len(samples) && len(samples) > 0 {
			warnings = append(warnings, fmt.Sprintf("summary counts %d samples, the run has %d: `runs show` recomputes it from the samples", sm.Samples, len(samples)))
		}
	}
	if run.Status == record.StatusRunning {
		warnings = append(warnings, "the run is still running: once its process is gone a store open marks it interrupted")
	}
	return warnings, nil
}

// CheckSample applies the data-quality rules to one sample.
func CheckSample(s record.Sample) (warnings []string, err error) {
	m := s.Measurement
	durations := []named{
		{"wall_ms", m.WallMs}, {"ttft_ms", m.TTFTMs}, {"ttfc_ms", m.TTFCMs},
		{"first_thinking_ms", m.FirstThinkingMs}, {"first_content_ms", m.FirstContentMs},
		{"load_ms", m.LoadMs}, {"total_ms", m.TotalMs}, {"prompt_ms", m.PromptMs}, {"eval_ms", m.EvalMs},
		{"prompt_tps", m.PromptTPS}, {"gen_tps", m.GenTPS}, {"stream_tps", m.StreamTPS},
	}
	for _, d := range durations {
		if math.IsNaN(d.v) || math.IsInf(d.v, 0) {
			return nil, impossible("%s is %v", d.name, d.v)
		}
		if d.v < 0 {
			return nil, impossible("%s is negative (%g)", d.name, d.v)
		}
	}
	if math.IsNaN(s.Score) || math.IsInf(s.Score, 0) {
		return nil, impossible("score is %v", s.Score)
	}
	if m.PromptTokens < 0 || m.EvalTokens < 0 {
		return nil, impossible("negative token count (prompt_tokens %d, eval_tokens %d)", m.PromptTokens, m.EvalTokens)
	}
	if m.WallMs > 0 {
		for _, d := range durations[1:5] {
			if d.v > m.WallMs+eps {
				return nil, impossible("%s %g > wall_ms %g: the first token cannot come after the whole call", d.name, d.v, m.WallMs)
			}
		}
	} else if s.Error == "" && m.PromptTokens+m.EvalTokens > 0 {
		return nil, impossible("wall_ms 0 with %d prompt and %d generated tokens: tokens take time", m.PromptTokens, m.EvalTokens)
	}
	for _, c := range s.Checks {
		if math.IsNaN(c.Score) || math.IsInf(c.Score, 0) {
			return nil, impossible("check %s score is %v", c.Type, c.Score)
		}
	}

	if s.Score < 0 || s.Score > 1 {
		warnings = append(warnings, fmt.Sprintf("score %g is outside 0-1", s.Score))
	}
	if s.Iteration < 1 {
		warnings = append(warnings, fmt.Sprintf("iteration %d: iterations count from 1", s.Iteration))
	}
	if m.GenTPS > maxPlausibleGenTPS {
		warnings = append(warnings, fmt.Sprintf("gen_tps %.0f is faster than any local model generates", m.GenTPS))
	}
	if m.PromptTPS > maxPlausiblePromptTPS {
		warnings = append(warnings, fmt.Sprintf("prompt_tps %.0f is faster than any local model reads a prompt", m.PromptTPS))
	}
	if m.TotalMs > 0 && m.PromptMs+m.EvalMs > m.TotalMs*1.01+1 {
		warnings = append(warnings, fmt.Sprintf("prompt_ms %g + eval_ms %g exceed total_ms %g", m.PromptMs, m.EvalMs, m.TotalMs))
	}
	if s.Pass && s.Error != "" {
		warnings = append(warnings, "passed with an error: "+s.Error)
	}
	return warnings, nil
}

// checkSummary refuses summary figures no set of samples gives.
func checkSummary(sm *record.Summary) error {
	rates := []named{
		{"pass_rate", sm.PassRate}, {"pass_rate_ci.lo", sm.PassRateCI.Lo}, {"pass_rate_ci.hi", sm.PassRateCI.Hi},
	}
	for _, t := range sm.Tasks {
		rates = append(rates, named{"task " + t.ID + " pass_rate", t.PassRate})
	}
	for _, r := range rates {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return impossible("%s %g is outside 0-1", r.name, r.v)
		}
	}
	if sm.PassRateCI.Lo > sm.PassRateCI.Hi+eps {
		return impossible("pass_rate_ci lo %g > hi %g", sm.PassRateCI.Lo, sm.PassRateCI.Hi)
	}
	if sm.Samples < 0 || sm.Passed < 0 || sm.Passed > sm.Samples {
		return impossible("%d passed of %d samples", sm.Passed, sm.Samples)
	}
	for _, f := range []named{
		{"latency_p50_ms", sm.LatencyP50Ms}, {"latency_p95_ms", sm.LatencyP95Ms}, {"ttft_p50_ms", sm.TTFTP50Ms},
		{"gen_tps", sm.GenTPS}, {"prompt_tps", sm.PromptTPS}, {"wall_seconds", sm.WallSeconds},
	} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return impossible("%s is %g", f.name, f.v)
		}
	}
	return nil
}
