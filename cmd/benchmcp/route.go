package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/benchmcp/benchmcp/tools"
)

// routeCommand is `benchmcp route eval`: the evaluate_routing tool.
func routeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "eval" {
		fmt.Fprintln(stderr, "benchmcp route: give a subcommand: eval (benchmcp route eval --candidate tiny-s --candidate tiny-m --suite tiny)")
		return 2
	}
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
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "benchmcp route eval: "+format+"\n", a...)
		return 2
	}
	a := tools.EvaluateRoutingArgs{Candidates: cands, Suite: *suiteRef, Iterations: *iterations, Judge: *judge, Online: *online, HTMLPath: *html}
	if *within >= 0 {
		a.Within = within
	}
	if seed, _, err := sf.values(); err != nil {
		return fail("%v", err)
	} else if seed != nil {
		a.Seed = seed
	}
	for _, cf := range costs {
		name, val, ok := strings.Cut(cf, "=")
		num, unit, ok2 := strings.Cut(val, "/")
		x, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if !ok || !ok2 || err != nil || (unit != "1k" && unit != "s") {
			return fail("--cost %q: give NAME=X/1k (per 1,000 tokens) or NAME=X/s (per second), e.g. --cost tiny-m=0.5/1k", cf)
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
		return fail("give at least two --candidate, cheapest first, e.g. --candidate tiny-s --candidate tiny-m")
	}
	svc, closeFn, err := c.service()
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp route eval: %v\n", err)
		return 1
	}
	defer closeFn()
	bar := newBar(stderr, "route eval")
	res, md, err := svc.EvaluateRouting(ctx, a, bar.progress)
	bar.finish()
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp route eval: %v\n", err)
		return 1
	}
	return printResult(stdout, *asJSON, res, md, res.Status)
}
