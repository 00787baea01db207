package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamaproc"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/tools"
)

// demoPrompts are prompts the fixture models were trained on, one per model.
var demoPrompts = map[string]string{
	"tiny-s":     "What is 47+385?",
	"tiny-m":     "What is 47+385?",
	"tiny-l":     "What is 47+385?",
	"tiny-judge": "Task: What is 47+385?\nAnswer: 432\nGrade the answer from 0 to 10.",
	"tiny-agent": "Reverse the word planet.",
}

// demoSuiteModels are the models the demo runs the tiny suite on.
var demoSuiteModels = []string{"tiny-s", "tiny-m"}

// demoRow is one measured call of the demo table.
type demoRow struct {
	Model  string
	Digest string
	record.Measurement
}

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
	hosts, err := executor.ParseHosts(c.hosts)
	if err != nil {
		return fmt.Errorf("--hosts: %w", err)
	}
	host := hosts[0]
	ex := executor.New(hosts...)
	vctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	version, err := ex.Version(vctx, host.Name)
	cancel()
	if err == nil {
		fmt.Fprintf(stderr, "using Ollama %s at %s (host %s)\n", version, host.URL, host.Name)
	} else {
		bin, berr := ollamaproc.EnsureBinary(ctx, stderr)
		if berr != nil {
			return fmt.Errorf("no Ollama answers at %s, and none can be started: %w", host.URL, berr)
		}
		fmt.Fprintf(stderr, "no Ollama answers at %s; starting a private one (%s)\n", host.URL, bin)
		p, err := ollamaproc.Start(ctx, ollamaproc.Config{Binary: bin})
		if err != nil {
			return fmt.Errorf("start a private Ollama: %w", err)
		}
		defer p.Close()
		c.hosts = executor.DefaultHost + "=" + p.URL.String()
		if hosts, err = executor.ParseHosts(c.hosts); err != nil {
			return fmt.Errorf("the private Ollama's host: %w", err)
		}
		host, ex = hosts[0], executor.New(hosts...)
		if version, err = ex.Version(ctx, host.Name); err != nil {
			return fmt.Errorf("ask the private Ollama its version: %w", err)
		}
		fmt.Fprintf(stderr, "private Ollama %s at %s; it stops when the demo ends\n", version, p.URL)
	}
	if err := ensureFixtures(ctx, ex, host, stderr); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "One warm-up and one measured call per fixture model on %s (Ollama %s):\n\n", host.URL, version)
	var rows []demoRow
	for _, model := range ollamaproc.FixtureModels {
		row, err := demoCall(ctx, ex, host.Name, model)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	writeDemoTable(stdout, rows)

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

// ensureFixtures creates the fixture models that the host lacks from the
// Modelfiles in testdata/models, which only a source checkout has.
func ensureFixtures(ctx context.Context, ex *executor.Executor, host executor.Host, stderr io.Writer) error {
	have, err := ex.Models(ctx, host.Name)
	if err != nil {
		return fmt.Errorf("list the models on %s: %w", host.URL, err)
	}
	var missing []string
	for _, m := range ollamaproc.FixtureModels {
		if !slices.Contains(have, m) && !slices.Contains(have, m+":latest") {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	dir, err := fixtureDir()
	if err != nil {
		return fmt.Errorf("%s missing on %s, and they cannot be created: %w", strings.Join(missing, ", "), host.URL, err)
	}
	fmt.Fprintf(stderr, "creating %s on %s from %s\n", strings.Join(missing, ", "), host.URL, dir)
	return ollamaproc.CreateModels(ctx, host.Client(), dir, missing...)
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
func demoCall(ctx context.Context, ex *executor.Executor, host, model string) (demoRow, error) {
	info, err := ex.ModelInfo(ctx, host, model)
	if err != nil {
		return demoRow{}, err
	}
	if err := bench.Warm(ctx, ex, host, model); err != nil {
		return demoRow{}, err
	}
	req := executor.Request{Host: host, Model: model, Prompt: demoPrompts[model], Timeout: time.Minute, Breaker: executor.DefaultBreaker}
	m, err := ex.Chat(ctx, req)
	if err != nil {
		return demoRow{}, fmt.Errorf("measured call of %s: %w", model, err)
	}
	return demoRow{Model: model, Digest: info.Digest, Measurement: m}, nil
}

func writeDemoTable(w io.Writer, rows []demoRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tANSWER\tTTFT MS\tWALL MS\tLOAD MS\tPROMPT TOK\tPROMPT TOK/S\tGEN TOK\tGEN TOK/S\tDIGEST\tDONE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%d\t%.0f\t%d\t%.0f\t%s\t%s\n",
			r.Model, bench.Excerpt(record.Sample{Measurement: r.Measurement}, 24), r.TTFTMs, r.WallMs, r.LoadMs, r.PromptTokens, r.PromptTPS,
			r.EvalTokens, r.GenTPS, shortDigest(r.Digest), r.DoneReason)
	}
	tw.Flush()
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
