package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/benchmcp/benchmcp/tools"
)

// analyzeCommand is the CLI twin of analyze_results.
func analyzeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var a tools.AnalyzeResultsArgs
	fs.StringVar(&a.Model, "model", "", "only runs of this model")
	fs.StringVar(&a.Suite, "suite", "", "only runs of this suite (inline for inline tasks)")
	fs.StringVar(&a.Tag, "tag", "", "only runs with this tag")
	fs.StringVar(&a.Status, "status", "", "completed (default), cancelled, interrupted, failed, running or all")
	fs.StringVar(&a.Since, "since", "", "runs started at or after: RFC3339 or a duration ago (168h)")
	fs.StringVar(&a.Until, "until", "", "runs started before: RFC3339 or a duration ago")
	fs.IntVar(&a.Limit, "limit", 0, "the most recent runs to analyse (default 50, max 1000)")
	fs.StringVar(&a.BaselineRunID, "baseline", "", "run id the runs of its suite are measured against")
	fs.StringVar(&a.HTMLPath, "html", "", "also write an HTML report to this file")
	var allow multiFlag
	fs.Var(&allow, "allow-difference", "compare runs with their baseline even when they differ in digest, options, preamble, host, ollama_version or all (repeatable)")
	asJSON := fs.Bool("json", false, "print the structured result as JSON")
	if err := fs.Parse(args); err != nil {
		return errFlags
	}
	a.AllowDifferences = allow
	svc, closeFn, err := c.service(readOnly)
	if err != nil {
		return err
	}
	defer closeFn()
	res, md, _, err := svc.AnalyzeResults(ctx, a)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprint(stdout, md)
	return nil
}
