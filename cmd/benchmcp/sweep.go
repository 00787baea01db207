package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/internal/sweep"
	"github.com/benchmcp/benchmcp/tools"
)

// sweepCommand is the CLI twin of sweep.
func sweepCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var models, preambles, opts, think, depths, conc, onHosts, spread, tags multiFlag
	spec := fs.String("spec", "", "a sweep file (JSON or YAML) with the sweep tool's arguments: axes or cells, suite, seeds, objective, ...; flags add to it")
	fs.Var(&models, "model", "a model axis value (repeatable)")
	fs.Var(&preambles, "preamble", `a preamble axis value: a library name, a text, or "" for none (repeatable)`)
	fs.Var(&opts, "option", "an option axis: name=v1,v2 (repeatable), e.g. --option num_ctx=2048,4096 --option temperature=0,0.7")
	fs.Var(&think, "think", "a think axis value: true, false, high, medium, low (repeatable)")
	fs.Var(&depths, "depth", "a context-depth axis value in tokens (repeatable)")
	fs.Var(&conc, "concurrency", "a concurrency axis value: calls in flight at once, 1-16 (repeatable; more than 1 helps with OLLAMA_NUM_PARALLEL > 1)")
	fs.Var(&onHosts, "on-host", "a host axis value: every cell runs on each --on-host (repeatable)")
	fs.Var(&spread, "spread", "spread the cells over this named host (repeatable): each model's cells on one host that has it")
	suiteRef := fs.String("suite", "", "built-in suite (tiny, coding, tool-use, review) or a suite file (default tiny)")
	iterations := fs.Int("iterations", 0, "times each task runs per cell (default 1, or the number of --seeds)")
	var sf seedFlags
	sf.register(fs)
	objective := fs.String("objective", "", "what the choice optimises: "+strings.Join(sweep.Objectives(), ", ")+" (default pass_rate)")
	within := fs.Float64("within", 0, "only cells within this of the best pass rate compete, e.g. 0.02 (default 0.02 for speed objectives)")
	stopEvery := fs.Int("early-stop", 0, "stop cells clearly worse in pass rate, looking every N samples (0 = off)")
	stopAlpha := fs.Float64("early-stop-alpha", 0, "error rate of early stopping (default 0.05)")
	maxCells := fs.Int("max-cells", 0, "allow more than 256 cells (up to 4096)")
	plan := fs.Bool("plan", false, "dry run: cells, calls, loads and an estimated duration from one probe call per model; nothing is stored")
	warmup := fs.Int("warmup", -1, "untimed warm-up calls per cell (default 1)")
	timeout := fs.Float64("timeout", 0, "seconds per call, at most 86400 (default 120)")
	fs.Var(&tags, "tag", "tag stored with every cell's run (repeatable)")
	reportPath := fs.String("report", "", "write the cells side by side: FILE.md, FILE.html, or FILE for both")
	asJSON := fs.Bool("json", false, "print the structured result as JSON")
	if err := fs.Parse(args); err != nil {
		return errFlags
	}
	var a tools.SweepArgs
	if *spec != "" {
		if err := readSpec(*spec, &a); err != nil {
			return usagef("--spec %s: %w", *spec, err)
		}
	}
	if len(models)+len(preambles)+len(opts)+len(think)+len(depths)+len(conc)+len(onHosts) > 0 {
		if a.Axes == nil {
			if len(a.Cells) > 0 {
				return usagef("the spec lists cells; axis flags (--model, --option, ...) make a grid, so give one or the other")
			}
			a.Axes = &sweep.Axes{}
		}
		x := a.Axes
		x.Models = append(x.Models, models...)
		x.Preambles = append(x.Preambles, preambles...)
		x.Think = append(x.Think, think...)
		x.Hosts = append(x.Hosts, onHosts...)
		for _, d := range depths {
			n, err := strconv.Atoi(d)
			if err != nil {
				return usagef("--depth %q is not a whole number of tokens", d)
			}
			x.Depths = append(x.Depths, n)
		}
		for _, v := range conc {
			n, err := strconv.Atoi(v)
			if err != nil {
				return usagef("--concurrency %q is not a whole number of calls", v)
			}
			x.Concurrency = append(x.Concurrency, n)
		}
		for _, o := range opts {
			name, vals, ok := strings.Cut(o, "=")
			if !ok || strings.TrimSpace(name) == "" || vals == "" {
				return usagef("--option %q: give name=v1,v2, e.g. --option num_ctx=2048,4096", o)
			}
			if x.Options == nil {
				x.Options = map[string][]any{}
			}
			for _, v := range strings.Split(vals, ",") {
				x.Options[strings.TrimSpace(name)] = append(x.Options[strings.TrimSpace(name)], optionValue(v))
			}
		}
	}
	a.Hosts = append(a.Hosts, spread...)
	a.Tags = append(a.Tags, tags...)
	if *suiteRef != "" {
		a.Suite = *suiteRef
	}
	if *iterations != 0 {
		a.Iterations = *iterations
	}
	if seed, seeds, err := sf.values(); err != nil {
		return err
	} else if seed != nil || seeds != nil {
		a.Seed, a.Seeds = seed, seeds
	}
	if *objective != "" {
		a.Objective = *objective
	}
	if *within != 0 {
		a.PassRateWithin = *within
	}
	if *stopEvery != 0 || *stopAlpha != 0 {
		a.EarlyStop = &sweep.EarlyStop{Every: *stopEvery, Alpha: *stopAlpha}
	}
	if *maxCells != 0 {
		a.MaxCells = *maxCells
	}
	a.Plan = a.Plan || *plan
	if *warmup >= 0 {
		a.Warmup = warmup
	}
	if *timeout != 0 {
		a.TimeoutS = *timeout
	}
	if *reportPath != "" {
		a.ReportPath = *reportPath
	}
	if a.Axes == nil && len(a.Cells) == 0 {
		return usagef("give axes: --model M (repeatable) with --option name=v1,v2, --preamble, --think, --depth, --on-host; or --spec FILE")
	}
	svc, closeFn, err := c.service(readWrite)
	if err != nil {
		return err
	}
	defer closeFn()
	bar := newBar(stderr, "sweep")
	res, md, err := svc.Sweep(ctx, a, bar.progress)
	bar.finish()
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res, md, res.Status)
}

// readSpec reads a sweep file, JSON or YAML, into the tool's arguments,
// decoded as the suite loader decodes a suite.
func readSpec(path string, a *tools.SweepArgs) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := suite.Decode(data, a); err != nil {
		return fmt.Errorf("%w (the fields are the sweep tool's arguments: axes, cells, hosts, suite, tasks, iterations, seed, seeds, objective, pass_rate_within, early_stop, ...)", err)
	}
	return nil
}

// optionValue reads a flag's option value: a number or boolean as JSON
// reads it, anything else as text.
func optionValue(s string) any {
	s = strings.TrimSpace(s)
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v
	}
	return s
}
