package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamaproc"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/tools"
)

// demoSuiteModels are the models the demo runs the tiny suite on.
var demoSuiteModels = []string{"tiny-s", "tiny-m"}

// demoCommand is `benchmcp demo`: it finds or starts an Ollama with the
// fixture models, makes one measured call per model, prints the numbers, and
// runs the tiny suite on tiny-s and tiny-m.
func demoCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: benchmcp demo [flags]

Uses the Ollama at --hosts (default OLLAMA_HOST) if it answers, otherwise starts
a private one (ollama from PATH, BENCHMCP_OLLAMA_BIN or .tools/bin; see
`+"`make ollama`"+`). Creates the fixture models tiny-s, tiny-m, tiny-l and
tiny-judge from testdata/models where missing, makes one warm-up and one measured
call per model, then runs the tiny suite on tiny-s and tiny-m. Runs go to a
temporary store unless --db or BENCHMCP_DB is given.

Flags:`)
		fs.PrintDefaults()
	}
	var c common
	c.register(fs)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return errFlags
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return runDemo(ctx, &c, dbGiven(fs), stdout, stderr)
}

// dbGiven reports whether the store was chosen by --db or BENCHMCP_DB.
func dbGiven(fs *flag.FlagSet) bool {
	given := os.Getenv("BENCHMCP_DB") != ""
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "db" })
	return given
}

func runDemo(ctx context.Context, c *common, keepDB bool, stdout, stderr io.Writer) error {
	o, err := ollamaproc.Reach(ctx, c.hosts, stderr)
	if err != nil {
		return err
	}
	defer o.Close()
	c.hosts = o.Hosts
	host, ex, version := o.Host, o.Exec, o.Version
	if err := o.EnsureFixtures(ctx, fixtureDir, stderr); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "One warm-up and one measured call per fixture model on %s (Ollama %s):\n\n", host.URL, version)
	var rows []report.CallRow
	for _, model := range ollamaproc.FixtureModels {
		row, err := demoCall(ctx, ex, host.Name, model)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	if err := report.CallsTable(stdout, rows); err != nil {
		return err
	}

	if !keepDB {
		dir, err := os.MkdirTemp("", "benchmcp-demo-")
		if err != nil {
			return fmt.Errorf("temporary store: %w", err)
		}
		defer os.RemoveAll(dir)
		c.db = filepath.Join(dir, "bench.db")
	}
	svc, closeFn, err := c.service(readWrite)
	if err != nil {
		return err
	}
	defer closeFn()
	where := c.db + " (temporary: pass --db to keep the runs)"
	if keepDB {
		where = c.db
	}
	fmt.Fprintf(stdout, "\nThe tiny suite on %s, through the run_benchmark tool; runs stored in %s\n", strings.Join(demoSuiteModels, " and "), where)
	for _, model := range demoSuiteModels {
		bar := newBar(stderr, "tiny suite on "+model)
		res, md, err := svc.RunBenchmark(ctx, tools.RunBenchmarkArgs{RunSettings: tools.RunSettings{Suite: "tiny", Iterations: 1}, Model: model, Host: host.Name}, bar.progress)
		bar.finish()
		if err != nil {
			return fmt.Errorf("tiny suite on %s: %w", model, err)
		}
		fmt.Fprintf(stdout, "\n%s", md)
		if res.Status != record.StatusCompleted {
			return fmt.Errorf("tiny suite on %s ended %s", model, res.Status)
		}
	}
	return nil
}

// fixtureDir is testdata/models of the benchmcp source tree around the working directory.
func fixtureDir() (string, error) {
	dir, err := ollamaproc.FixtureDir()
	if err != nil {
		return "", fmt.Errorf("the demo needs the fixture models in testdata/models of the benchmcp source tree; run it from inside a checkout (`make demo`): %w", err)
	}
	return dir, nil
}

// demoCall makes the warm-up call, then the measured one.
func demoCall(ctx context.Context, ex *executor.Executor, host, model string) (report.CallRow, error) {
	info, err := ex.ModelInfo(ctx, host, model)
	if err != nil {
		return report.CallRow{}, err
	}
	if err := bench.Warm(ctx, ex, host, model); err != nil {
		return report.CallRow{}, err
	}
	req := executor.Request{Host: host, Model: model, Prompt: ollamaproc.FixturePrompts[model], Timeout: time.Minute, Breaker: executor.DefaultBreaker}
	m, err := ex.Chat(ctx, req)
	if err != nil {
		return report.CallRow{}, fmt.Errorf("measured call of %s: %w", model, err)
	}
	return report.CallRow{Model: model, Digest: info.Digest, Measurement: m}, nil
}
