package main

import (
	"context"
	"flag"
	"io"
	"strconv"
	"strings"

	"github.com/benchmcp/benchmcp/tools"
)

// routeCommand is `benchmcp route eval`: the evaluate_routing tool.
func routeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "eval" {
		return usagef("give a subcommand: eval (benchmcp route eval --candidate tiny-s --candidate tiny-m --suite tiny)")
	}
	return inSub("eval", routeEval(ctx, args[1:], stdout, stderr))
}

// routeEval is `benchmcp route eval`.
func routeEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("route eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var cands, costs multiFlag
	fs.Var(&cands, "candidate", "a candidate, model or model@host, cheapest first (repeatable; at least 2, the last is the big one)")
	fs.Var(&costs, "cost", "a candidate's cost: NAME=X/1k (per 1,000 tokens) or NAME=X/s (per second of measured time), e.g. --cost tiny-m=0.5/1k (repeatable)")
	suiteRef := fs.String("suite", "", "built-in suite or a suite file (default tiny)")
	iterations := fs.Int("iterations", 0, "iterations (seeds) per task (default 3)")
	within := fs.Float64("within", -1, "quality constraint: within this of always-big's pass rate, 0-1 (default 0.02)")
	judge := fs.String("judge", "", "cascade verifier, model or model@host (default: the suite's stored llm_judge verdicts)")
	online := fs.Bool("online", false, "run the candidates that have no stored run on the suite (default: refuse and say what to run)")
	var sf seedFlags
	sf.register(fs)
	html := fs.String("html", "", "also write an HTML report with the chart to this file")
	asJSON := fs.Bool("json", false, "print the structured result as JSON")
	if err := fs.Parse(args); err != nil {
		return errFlags
	}
	a := tools.EvaluateRoutingArgs{Candidates: cands, Suite: *suiteRef, Iterations: *iterations, Judge: *judge, Online: *online, HTMLPath: *html}
	if *within >= 0 {
		a.Within = within
	}
	if seed, _, err := sf.values(); err != nil {
		return err
	} else if seed != nil {
		a.Seed = seed
	}
	for _, cf := range costs {
		name, val, ok := strings.Cut(cf, "=")
		num, unit, ok2 := strings.Cut(val, "/")
		x, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if !ok || !ok2 || err != nil || (unit != "1k" && unit != "s") {
			return usagef("--cost %q: give NAME=X/1k (per 1,000 tokens) or NAME=X/s (per second), e.g. --cost tiny-m=0.5/1k", cf)
		}
		if a.Costs == nil {
			a.Costs = map[string]tools.RoutingCost{}
		}
		rc := a.Costs[name]
		if unit == "1k" {
			rc.Per1KTokens = x
		} else {
			rc.PerSecond = x
		}
		a.Costs[name] = rc
	}
	if len(cands) < 2 {
		return usagef("give at least two --candidate, cheapest first, e.g. --candidate tiny-s --candidate tiny-m")
	}
	svc, closeFn, err := c.service(readWrite)
	if err != nil {
		return err
	}
	defer closeFn()
	bar := newBar(stderr, "route eval")
	res, md, err := svc.EvaluateRouting(ctx, a, bar.progress)
	bar.finish()
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res, md, res.Status)
}
