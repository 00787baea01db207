package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
)

// ThroughputOnly is the note on a run imported from a tool that measures
// speed and gives no verdict: its samples neither pass nor fail, and its
// pass rate means nothing.
const ThroughputOnly = "throughput-only import: no verdicts"

// ThroughputOnlyTag tags such runs, so that listings show no pass rate
// for them and `runs list --tag throughput-only` finds them.
const ThroughputOnlyTag = "throughput-only"

// llamaBenchTest is one test of llama-bench's JSON output (tools/llama-bench
// in llama.cpp): one model and configuration, one of pp (prompt
// processing), tg (text generation) or pg (both), repeated -r times.
type llamaBenchTest struct {
	BuildCommit   string    `json:"build_commit"`
	BuildNumber   int       `json:"build_number"`
	CPUInfo       string    `json:"cpu_info"`
	GPUInfo       string    `json:"gpu_info"`
	Backends      string    `json:"backends"`
	ModelFilename string    `json:"model_filename"`
	ModelType     string    `json:"model_type"`
	ModelSize     int64     `json:"model_size"`
	ModelNParams  int64     `json:"model_n_params"`
	NPrompt       int       `json:"n_prompt"`
	NGen          int       `json:"n_gen"`
	NDepth        int       `json:"n_depth"`
	TestTime      string    `json:"test_time"`
	AvgNs         float64   `json:"avg_ns"`
	StddevNs      float64   `json:"stddev_ns"`
	AvgTs         float64   `json:"avg_ts"`
	StddevTs      float64   `json:"stddev_ts"`
	SamplesNs     []float64 `json:"samples_ns"`
	SamplesTs     []float64 `json:"samples_ts"`
}

// llamaBenchMeta are the fields that say what was measured and on what,
// not how the test was configured: they are kept elsewhere than Options.
var llamaBenchMeta = map[string]bool{
	"build_commit": true, "build_number": true, "cpu_info": true, "gpu_info": true, "backends": true,
	"model_filename": true, "model_type": true, "model_size": true, "model_n_params": true,
	"n_prompt": true, "n_gen": true, "n_depth": true, "test_time": true,
	"avg_ns": true, "stddev_ns": true, "avg_ts": true, "stddev_ts": true, "samples_ns": true, "samples_ts": true,
}

// parseLlamaBench converts llama-bench's -o json (an array) or -o jsonl
// (an object per line) output: every test becomes a completed run of suite
// llama-bench, every repetition a sample with its time, tokens and rate,
// none of them passing (there is no verdict; see ThroughputOnly).
func parseLlamaBench(data []byte, now time.Time) (Imported, error) {
	var raws []json.RawMessage
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return Imported{}, fmt.Errorf("llama-bench: %w", jsonError(data, err))
		}
	} else {
		for n, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			if !json.Valid(line) {
				var v any
				return Imported{}, fmt.Errorf("llama-bench line %d: %w", n+1, jsonError(line, json.Unmarshal(line, &v)))
			}
			raws = append(raws, json.RawMessage(line))
		}
	}
	if len(raws) == 0 {
		return Imported{}, fmt.Errorf("llama-bench: no tests in the file")
	}
	var out Imported
	for i, raw := range raws {
		where := fmt.Sprintf("llama-bench test %d", i+1)
		r, ws, err := llamaBenchRun(i, raw, now, &where)
		if err != nil {
			return Imported{}, fmt.Errorf("%s: %w", where, err)
		}
		for _, w := range ws {
			out.Warnings = append(out.Warnings, where+": "+w)
		}
		out.Runs = append(out.Runs, r)
	}
	return out, nil
}

// llamaBenchRun converts test i; it adds the test's name and model to where.
func llamaBenchRun(i int, raw json.RawMessage, now time.Time, where *string) (Run, []string, error) {
	var t llamaBenchTest
	if err := json.Unmarshal(raw, &t); err != nil {
		return Run{}, nil, jsonError(raw, err)
	}
	var all map[string]any
	if err := json.Unmarshal(raw, &all); err != nil {
		return Run{}, nil, jsonError(raw, err)
	}
	var warnings []string
	model := t.ModelFilename
	if k := strings.LastIndexAny(model, `/\`); k >= 0 {
		model = model[k+1:]
	}
	if model == "" {
		model = t.ModelType
	}
	if model == "" {
		return Run{}, nil, fmt.Errorf("no model_filename or model_type: not a llama-bench test")
	}
	if t.NPrompt < 0 || t.NGen < 0 || t.NDepth < 0 {
		return Run{}, nil, impossible("negative token count (n_prompt %d, n_gen %d, n_depth %d)", t.NPrompt, t.NGen, t.NDepth)
	}
	if t.NPrompt == 0 && t.NGen == 0 {
		return Run{}, nil, impossible("n_prompt and n_gen are both 0: a test of no tokens")
	}
	for _, f := range []named{{"avg_ns", t.AvgNs}, {"stddev_ns", t.StddevNs}, {"avg_ts", t.AvgTs}, {"stddev_ts", t.StddevTs}} {
		if f.v < 0 {
			return Run{}, nil, impossible("%s is negative (%g)", f.name, f.v)
		}
	}
	start, err := time.Parse(time.RFC3339, t.TestTime)
	if err != nil {
		start = now
		warnings = append(warnings, fmt.Sprintf("test_time %q is not a time: dated at the import", t.TestTime))
	}

	task, category := "", ""
	switch {
	case t.NPrompt > 0 && t.NGen > 0:
		task, category = fmt.Sprintf("pp%d+tg%d", t.NPrompt, t.NGen), "pg"
	case t.NPrompt > 0:
		task, category = fmt.Sprintf("pp%d", t.NPrompt), "pp"
	default:
		task, category = fmt.Sprintf("tg%d", t.NGen), "tg"
	}
	if t.NDepth > 0 {
		task += fmt.Sprintf("@d%d", t.NDepth)
	}
	tokens := float64(t.NPrompt + t.NGen)
	*where += fmt.Sprintf(" (%s of %s)", task, model)

	times := t.SamplesNs
	if len(times) == 0 {
		if t.AvgNs == 0 {
			return Run{}, nil, impossible("no samples_ns and avg_ns 0 for %g tokens", tokens)
		}
		times = []float64{t.AvgNs}
		warnings = append(warnings, "no samples_ns: the average is stored as one sample")
	} else if t.AvgNs > 0 {
		mean := 0.0
		for _, ns := range times {
			mean += ns / float64(len(times))
		}
		if math.Abs(mean-t.AvgNs) > 0.01*t.AvgNs {
			warnings = append(warnings, fmt.Sprintf("avg_ns %.0f is not the mean of samples_ns (%.0f)", t.AvgNs, mean))
		}
	}
	if len(t.SamplesTs) > 0 && len(t.SamplesTs) != len(t.SamplesNs) {
		warnings = append(warnings, fmt.Sprintf("%d samples_ts for %d samples_ns: rates recomputed from the times", len(t.SamplesTs), len(t.SamplesNs)))
	}

	run := record.Run{
		ID:     importID(start, string(LlamaBench), strconv.Itoa(i), string(raw)),
		Status: record.StatusCompleted,
		Model:  model,
		ModelInfo: record.ModelInfo{
			Name: t.ModelFilename, SizeBytes: t.ModelSize, Format: "gguf",
			ParameterSize: paramSize(t.ModelNParams),
		},
		Suite:      string(LlamaBench),
		Iterations: len(times),
		Depth:      t.NDepth,
		Tags:       []string{"import:llama-bench", ThroughputOnlyTag},
		Notes:      llamaBenchNotes(t),
		StartedAt:  start,
		Options:    map[string]any{},
	}
	if f := strings.Fields(t.ModelType); len(f) >= 3 {
		run.ModelInfo.Family, run.ModelInfo.Quantization = f[0], strings.Join(f[2:], " ")
	}
	for k, v := range all {
		if !llamaBenchMeta[k] {
			run.Options[k] = v
		}
	}
	skipped := []record.CheckResult{{Type: "throughput_only", Skipped: true, Reason: "llama-bench measures speed and gives no verdict"}}
	at := start
	var total time.Duration
	var samples []record.Sample
	for j, ns := range times {
		if math.IsNaN(ns) || math.IsInf(ns, 0) || ns < 0 {
			return Run{}, nil, fmt.Errorf("repetition %d: %w", j+1, impossible("samples_ns %g", ns))
		}
		if ns == 0 {
			return Run{}, nil, fmt.Errorf("repetition %d: %w", j+1, impossible("0 ns for %g tokens: tokens take time", tokens))
		}
		ms := ns / 1e6
		rate := tokens * 1e9 / ns
		if j < len(t.SamplesTs) && len(t.SamplesTs) == len(t.SamplesNs) {
			if given := t.SamplesTs[j]; math.Abs(given-rate) > 0.02*rate {
				warnings = append(warnings, fmt.Sprintf("repetition %d: samples_ts %g is not %g tokens in %.3f ms (%.2f t/s)", j+1, given, tokens, ms, rate))
			}
		}
		smp := record.Sample{
			TaskID: task, Category: category, Iteration: j + 1, StartedAt: at,
			Measurement: record.Measurement{WallMs: ms, TotalMs: ms, PromptTokens: t.NPrompt, EvalTokens: t.NGen},
			Checks:      skipped,
		}
		switch category {
		case "pp":
			smp.PromptMs, smp.PromptTPS = ms, rate
		case "tg":
			smp.EvalMs, smp.GenTPS = ms, rate
		}
		// A pg test's rate counts prompt and generated tokens over the
		// whole time: neither a prompt nor a generation rate, so neither is set.
		ws, err := CheckSample(smp)
		if err != nil {
			return Run{}, nil, fmt.Errorf("repetition %d: %w", j+1, err)
		}
		for _, w := range ws {
			warnings = append(warnings, fmt.Sprintf("repetition %d: %s", j+1, w))
		}
		samples = append(samples, smp)
		d := time.Duration(ns)
		at = at.Add(d)
		total += d
	}
	run.EndedAt = start.Add(total)
	sum := throughputSummary(samples, total)
	run.Summary = &sum
	return Run{Run: run, Samples: samples}, warnings, nil
}

// throughputSummary is the summary of samples that carry no verdict: the
// latency and rate statistics of bench.Summarize, without the power
// analysis and pass@k curve, which would describe verdicts never given.
func throughputSummary(samples []record.Sample, wall time.Duration) record.Summary {
	sum := bench.Summarize(suite.Suite{}, samples, wall)
	sum.Power, sum.PassK = nil, nil
	for i := range sum.Tasks {
		sum.Tasks[i].PassAtK, sum.Tasks[i].PassHatK = nil, nil
	}
	return sum
}

// paramSize writes a parameter count as Ollama does: "7.6B", "494.0M".
func paramSize(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	default:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
}

// llamaBenchNotes says what a llama-bench run is and what it ran on.
func llamaBenchNotes(t llamaBenchTest) string {
	parts := []string{ThroughputOnly}
	if t.BuildCommit != "" {
		parts = append(parts, fmt.Sprintf("llama-bench build %s (%d)", t.BuildCommit, t.BuildNumber))
	}
	for _, s := range []string{t.ModelType, t.Backends, t.GPUInfo, t.CPUInfo} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}
