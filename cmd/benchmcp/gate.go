package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/benchmcp/benchmcp/internal/analyze"
)

// gateCommand is `benchmcp gate`: a CI step that fails (exit 1) when a
// stored run's pass rate is under a threshold or the paired test finds it
// significantly worse than a baseline run, printing why.
func gateCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	runID := fs.String("run-id", "", "the run to gate (required; `benchmcp run --json` prints its run_id)")
	baseline := fs.String("baseline", "", "a baseline run: fail when the run is significantly worse (paired test over tasks)")
	minPass := fs.Float64("min-pass-rate", 0, "fail when the run's pass rate is below this, 0 to 1 (e.g. 0.8)")
	var allow multiFlag
	fs.Var(&allow, "allow-difference", "with --baseline: accept runs that differ in digest, options, preamble, host, ollama_version, engine or all (repeatable)")
	asJSON := fs.Bool("json", false, "print the decision as JSON")
	if err := fs.Parse(args); err != nil {
		return errFlags
	}
	switch {
	case *runID == "":
		return usagef("--run-id is required: the run to gate")
	case *minPass < 0 || *minPass > 1:
		return usagef("--min-pass-rate %g is out of range; give 0 to 1, e.g. 0.8", *minPass)
	case *minPass == 0 && *baseline == "":
		return usagef("give --min-pass-rate, --baseline or both: a gate with nothing to check passes everything")
	}
	st, err := openStore(c.db, readOnly)
	if err != nil {
		return err
	}
	defer st.Close()
	g, err := analyze.GateStored(st, *runID, *baseline, analyze.GateRules{MinPassRate: *minPass, Allow: allow})
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(stdout, g); err != nil {
			return err
		}
	} else {
		verdict := "PASS"
		if !g.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(stdout, "%s: run %s, pass rate %.1f%%\n", verdict, g.RunID, 100*g.PassRate)
		for _, r := range g.Reasons {
			fmt.Fprintf(stdout, "  - %s\n", r)
		}
	}
	if !g.Pass {
		return exit(1)
	}
	return nil
}
