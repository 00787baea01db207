// Command benchmcp is an MCP server and CLI that benchmarks local language
// models on Ollama: it runs suites, scores answers, compares models and keeps
// every run in a local bbolt store.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand. Its error, if any, main prints as
// "benchmcp <command>: <error>" and turns into the exit code (exitCode).
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

func commands() map[string]command {
	return map[string]command{
		"runs":    runsCommand,
		"serve":   serveCommand,
		"run":     runCommand,
		"compare": compareCommand,
		"sweep":   sweepCommand,
		"route":   routeCommand,
		"demo":    demoCommand,
		"analyze": analyzeCommand,
		"jobs":    jobsCommand,
		"fixture": fixtureCommand,
		"version": versionCommand,
		"gate":    gateCommand,
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the command args name and returns the exit code.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "benchmcp: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return exitCode(stderr, "benchmcp "+args[0], cmd(ctx, args[1:], stdout, stderr))
}

// exitCode prints a command's error as "name: err" and returns the exit
// code: 0 for no error, a failure's code, else 1.
func exitCode(stderr io.Writer, name string, err error) int {
	if err == nil {
		return 0
	}
	f := &failure{code: 1, err: err}
	errors.As(err, &f)
	if f.sub != "" {
		name += " " + f.sub
	}
	if f.err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, f.err)
	}
	if f.usage != nil {
		f.usage()
	}
	return f.code
}

// failure is how a command failed, when that is more than an error (exit
// code 1, printed as "benchmcp <command>: <error>").
type failure struct {
	code  int    // 2 for a mistake in the command line
	err   error  // nil when what there was to say is out: the flag package's message, a result
	sub   string // the subcommand (runs list, jobs wait), printed after the command
	usage func() // prints the usage after the message
}

func (f *failure) Error() string {
	if f.err == nil {
		return fmt.Sprintf("exit status %d", f.code)
	}
	return f.err.Error()
}

func (f *failure) Unwrap() error { return f.err }

// usagef is a mistake in the command line, saying what to type instead.
func usagef(format string, a ...any) error {
	return &failure{code: 2, err: fmt.Errorf(format, a...)}
}

// exit ends a command with code and nothing more to print.
func exit(code int) error { return &failure{code: code} }

// errFlags ends a command whose flags did not parse: the flag package
// has said why.
var errFlags = exit(2)

// inSub marks err as the subcommand sub's; nil stays nil.
func inSub(sub string, err error) error {
	if err == nil {
		return nil
	}
	f := failure{code: 1, err: err}
	if inner := (*failure)(nil); errors.As(err, &inner) {
		f = *inner
	}
	f.sub = sub
	return &f
}

const usage = `benchmcp: benchmark local language models on Ollama, from an AI agent or a shell.

Usage:
  benchmcp serve    [--transport stdio|sse|http] [--addr 127.0.0.1:8080]   run the MCP server
  benchmcp run      --model M --suite S [--iterations N] [--json]           run a suite against one model
  benchmcp compare  --model A --model B --suite S [--json]                  compare models side by side
  benchmcp sweep    --model M --option num_ctx=2048,4096 [--plan] [--json]   the best configuration over a grid (or --spec FILE)
  benchmcp route    eval --candidate tiny-s --candidate tiny-m [--online] [--json]   routing policies: quality against big-model share
  benchmcp analyze  [--model M] [--suite S] [--since 168h] [--html FILE] [--json]   trends, regressions, anomalies
  benchmcp runs     list|show|delete|export|import|check|salvage [--json]   the stored runs
  benchmcp jobs     list|show|wait|work|cancel [--json]                    the job queue (run --background queues one)
  benchmcp demo                                                             one measured call per fixture model
  benchmcp fixture  SHAPE... | --list [--no-create] [--json]               random-weight models of real shapes (qwen2.5-0.5b-shape, llama3-8b-shape) on Ollama
  benchmcp gate     --run-id R [--min-pass-rate 0.8] [--baseline B] [--json]   CI: exit 1 on a low or regressed run
  benchmcp version  [--json]                                                which build this is (also --version)

Common flags (each has a BENCHMCP_* environment twin):
  --db PATH       the run store (BENCHMCP_DB; default $XDG_DATA_HOME/benchmcp/bench.db)
  --hosts SPEC    named hosts, "local=http://127.0.0.1:11434,vllm=openai:http://10.0.0.5:8000/v1"
                  (openai: for an OpenAI-compatible server; settings key_env, rpm,
                  concurrency, price=IN/OUT after ';'; see README)
                  (BENCHMCP_HOSTS; default: one host "local" at OLLAMA_HOST)
`
