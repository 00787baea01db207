package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/benchmcp/benchmcp/tools"
)

// compareCommand is the CLI twin of compare_models.
func compareCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var a tools.CompareModelsArgs
	var models, variants, runIDs, tags multiFlag
	var opts, preamble string
	var warmup int
	fs.Var(&models, "model", "a model to compare (repeatable; each is a variant labelled by its name)")
	fs.Var(&variants, "variant", `a variant as 'label=NAME,model=M,preamble=P' (repeatable; preamble and label optional)`)
	fs.Var(&runIDs, "run-id", "a stored run to compare instead of running (repeatable)")
	fs.StringVar(&a.Suite, "suite", "", "built-in suite (tiny, coding, tool-use, review) or a suite file (default tiny)")
	fs.StringVar(&preamble, "preamble", "", "system prompt for every --model variant: a library name or text")
	fs.StringVar(&opts, "options", "", `Ollama options as JSON for every variant, e.g. '{"num_ctx": 4096}'`)
	fs.IntVar(&a.Iterations, "iterations", 0, "times each task is run per variant, each iteration with one seed shared by the variants (default 1, or the number of --seeds)")
	var sf seedFlags
	sf.register(fs)
	var allow multiFlag
	fs.Var(&allow, "allow-difference", "with --run-id: accept runs that differ in digest, options, preamble, host, ollama_version or all (repeatable)")
	fs.BoolVar(&a.Plan, "plan", false, "only print what the comparison would take and could detect (no model is called)")
	fs.Float64Var(&a.Effect, "effect", 0, "pass-rate difference the power analysis aims at (default 0.10)")
	fs.StringVar(&a.Baseline, "baseline", "", "label (or run id) the others are measured against (default the first)")
	fs.IntVar(&warmup, "warmup", 1, "untimed warm-up calls per variant")
	fs.IntVar(&a.MaxOutputTokens, "max-output-tokens", 0, "circuit breaker token cap (default 2048)")
	fs.Float64Var(&a.TimeoutS, "timeout", 0, "seconds per call, at most 86400 (default 120)")
	fs.StringVar(&a.Host, "host", "", "named Ollama host")
	fs.StringVar(&a.ReportPath, "report", "", "write the side-by-side report: FILE.md, FILE.html, or FILE for both")
	fs.Var(&tags, "tag", "tag stored with every variant's run (repeatable)")
	asJSON := fs.Bool("json", false, "print the structured result as JSON")
	if err := fs.Parse(args); err != nil {
		return errFlags
	}
	options, err := parseOptions(opts)
	if err != nil {
		return err
	}
	for _, m := range models {
		a.Variants = append(a.Variants, tools.CompareVariant{Model: m, Preamble: preamble, Options: options})
	}
	for _, spec := range variants {
		v, err := parseVariant(spec)
		if err != nil {
			return usagef("--variant %q: %w", spec, err)
		}
		v.Options = options
		a.Variants = append(a.Variants, v)
	}
	a.RunIDs, a.Tags, a.AllowDifferences = runIDs, tags, allow
	if a.Seed, a.Seeds, err = sf.values(); err != nil {
		return err
	}
	if len(runIDs) == 0 {
		a.Warmup = &warmup
	}
	if len(a.Variants)+len(a.RunIDs) == 0 {
		return usagef("give two or more --model (or --variant), or --run-id of stored runs")
	}
	svc, closeFn, err := c.service(readWrite)
	if err != nil {
		return err
	}
	defer closeFn()
	bar := newBar(stderr, "compare")
	res, md, err := svc.CompareModels(ctx, a, bar.progress)
	bar.finish()
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res, md, res.Status)
}

// parseVariant reads 'label=NAME,model=M,preamble=P'. After preamble, a
// part that does not start with a known key continues its text, so a
// preamble may hold commas.
func parseVariant(spec string) (tools.CompareVariant, error) {
	var v tools.CompareVariant
	var last *string
	for _, part := range strings.Split(spec, ",") {
		k, val, _ := strings.Cut(part, "=")
		var dst *string
		switch strings.TrimSpace(k) {
		case "label":
			dst = &v.Label
		case "model":
			dst = &v.Model
		case "preamble":
			dst = &v.Preamble
		default:
			if last != &v.Preamble {
				return v, fmt.Errorf("%q is not key=value; keys are label, model, preamble", part)
			}
			*last += "," + part
			continue
		}
		*dst, last = val, dst
	}
	if v.Model == "" {
		return v, fmt.Errorf("model is missing")
	}
	return v, nil
}
