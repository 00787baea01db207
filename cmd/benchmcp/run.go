package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/benchmcp/benchmcp/tools"
	"github.com/schollz/progressbar/v3"
)

// runCommand is the CLI twin of run_benchmark.
func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var a tools.RunBenchmarkArgs
	var tags multiFlag
	var opts string
	var warmup int
	fs.StringVar(&a.Model, "model", "", "Ollama model to benchmark (required)")
	fs.StringVar(&a.Suite, "suite", "tiny", "built-in suite (tiny, coding, tool-use, review) or a suite file")
	fs.StringVar(&a.Preamble, "preamble", "", "system prompt: a library name (concise, coder, tool-user, careful) or text")
	fs.StringVar(&opts, "options", "", `Ollama options as JSON, e.g. '{"num_ctx": 4096, "temperature": 0}'`)
	fs.IntVar(&a.Iterations, "iterations", 0, "times each task is run, each with its own seed (default 1, or the number of --seeds)")
	var sf seedFlags
	sf.register(fs)
	fs.BoolVar(&a.Plan, "plan", false, "only print what the run would take and could detect (no model is called)")
	fs.Float64Var(&a.Effect, "effect", 0, "pass-rate difference the power analysis aims at (default 0.10)")
	fs.Float64Var(&a.ExpectedPassRate, "expected-pass-rate", 0, "with --plan and no stored run of the suite: the pass rate you expect (default 0.5)")
	fs.IntVar(&warmup, "warmup", 1, "untimed warm-up calls")
	fs.IntVar(&a.Concurrency, "concurrency", 1, "calls in flight at once")
	fs.IntVar(&a.MaxOutputTokens, "max-output-tokens", 0, "circuit breaker token cap (default 2048)")
	fs.Float64Var(&a.TimeoutS, "timeout", 0, "seconds per call, at most 86400 (default 120)")
	fs.BoolVar(&a.Cold, "cold", false, "unload the model before every call")
	fs.StringVar(&a.Host, "host", "", "named Ollama host")
	fs.StringVar(&a.ResumeRunID, "resume", "", "finish an interrupted or cancelled run")
	fs.Var(&tags, "tag", "tag stored with the run (repeatable)")
	background := fs.Bool("background", false, "store the run as a queued job and return; a server (benchmcp serve) or `benchmcp jobs wait ID` runs it")
	fs.IntVar(&a.Priority, "priority", 0, "with --background: queue priority, higher first")
	asJSON := fs.Bool("json", false, "print the structured result as JSON")
	if err := fs.Parse(args); err != nil {
		return errFlags
	}
	if a.Model == "" && a.ResumeRunID == "" {
		return usagef("--model is required (or --resume RUN_ID)")
	}
	var err error
	if a.Options, err = parseOptions(opts); err != nil {
		return err
	}
	a.Warmup, a.Tags = &warmup, tags
	if a.Seed, a.Seeds, err = sf.values(); err != nil {
		return err
	}
	svc, closeFn, err := c.service(readWrite)
	if err != nil {
		return err
	}
	defer closeFn()
	if *background {
		j, err := svc.EnqueueRun(ctx, a)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "job %s queued in %s.\nIt runs when a server opens this store (`benchmcp serve`, which also resumes it after a crash), or now with `benchmcp jobs wait %s` (or `benchmcp jobs work` for the whole queue).\n", j.ID, c.db, j.ID)
		return nil
	}
	bar := newBar(stderr, "run "+a.Model)
	res, md, err := svc.RunBenchmark(ctx, a, bar.progress)
	bar.finish()
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res, md, res.Status)
}

// bar is a terminal progress bar on stderr, or plain lines when stderr is not a terminal.
type bar struct {
	pb  *progressbar.ProgressBar
	out io.Writer
	tty bool
}

func newBar(w io.Writer, desc string) *bar {
	f, ok := w.(*os.File)
	tty := ok && isTerminal(f)
	b := &bar{out: w, tty: tty}
	if tty {
		b.pb = progressbar.NewOptions(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true), progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish())
	}
	return b
}

func (b *bar) progress(done, total int, msg string) {
	if b.pb != nil {
		b.pb.ChangeMax(total)
		_ = b.pb.Set(done)
		b.pb.Describe(msg)
		return
	}
	if done == total || done%10 == 0 {
		fmt.Fprintf(b.out, "[%d/%d] %s\n", done, total, strings.TrimSpace(msg))
	}
}

func (b *bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
