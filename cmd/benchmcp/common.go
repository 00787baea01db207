package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
)

// common holds the flags every model-running command takes, each with a
// BENCHMCP_* environment twin (the flag wins).
type common struct {
	db      string
	reports string
	hosts   string
	python  string
	// unsafeCode runs code_exec checks unconfined, with the user's rights.
	unsafeCode bool
	debug      bool
	crashes    int // --max-job-crashes
}

func (c *common) register(fs *flag.FlagSet) {
	dbFlag(fs, &c.db)
	fs.StringVar(&c.hosts, "hosts", os.Getenv("BENCHMCP_HOSTS"), `named hosts "local=http://127.0.0.1:11434,vllm=openai:http://10.0.0.5:8000/v1;price=0.1/0.4" (Ollama, or OpenAI-compatible with openai:; env BENCHMCP_HOSTS; default local=OLLAMA_HOST)`)
	fs.StringVar(&c.reports, "reports-dir", os.Getenv("BENCHMCP_REPORTS"), "where the MCP server writes reports; it writes nowhere else (env BENCHMCP_REPORTS; default reports/ next to the store)")
	fs.StringVar(&c.python, "python", os.Getenv("BENCHMCP_PYTHON"), "Python interpreter for code_exec checks (env BENCHMCP_PYTHON; default python3 on PATH)")
	fs.BoolVar(&c.unsafeCode, "unsafe-code-exec", envTrue("BENCHMCP_UNSAFE_CODE_EXEC"), "run code_exec checks unconfined, with your rights, instead of in the bubblewrap sandbox (env BENCHMCP_UNSAFE_CODE_EXEC=1); only for suites and models you trust")
	fs.IntVar(&c.crashes, "max-job-crashes", envInt("BENCHMCP_MAX_JOB_CRASHES", jobs.DefaultCrashLimit), "times a job may be running when its server dies before the next server fails it instead of running it again; 0 for no limit (env BENCHMCP_MAX_JOB_CRASHES)")
	fs.BoolVar(&c.debug, "debug", os.Getenv("BENCHMCP_DEBUG") != "", "debug logging to stderr (env BENCHMCP_DEBUG)")
}

// envTrue reports whether the environment variable key is set to a true
// value (1, true, ...): an opt-out like BENCHMCP_UNSAFE_CODE_EXEC needs a yes.
func envTrue(key string) bool {
	v, err := strconv.ParseBool(os.Getenv(key))
	return err == nil && v
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// envInt is the integer in the environment variable key, else def (with
// a warning when the variable is set to something else).
func envInt(key string, def int) int {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		fmt.Fprintf(os.Stderr, "benchmcp: %s=%q is not an integer; using %d\n", key, v, def)
	}
	return def
}

func (c *common) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if c.debug {
		level = slog.LevelDebug
	}
	l := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(l) // the domain logs a recovered panic's stack to the default logger
	return l
}

// dbFlag registers --db, the run store, on fs.
func dbFlag(fs *flag.FlagSet, db *string) {
	fs.StringVar(db, "db", envOr("BENCHMCP_DB", memory.DefaultPath()), "the run store (env BENCHMCP_DB)")
}

// access is how a command opens the store.
type access bool

const (
	// readOnly is for commands that only read: they work while a server
	// holds the store, read a migrated copy of an older schema and leave
	// the file as it is, and a mistyped --db is an error, not a new store.
	readOnly access = false
	// readWrite creates the store if it does not exist.
	readWrite access = true
)

// errNoStore means a command that only reads was pointed at no store.
var errNoStore = errors.New("no store")

// openStore opens the run store at db, the one way every command does.
func openStore(db string, a access) (*memory.Store, error) {
	if a == readOnly {
		if _, err := os.Stat(db); err != nil {
			return nil, fmt.Errorf("%w at %s (%w); check --db or BENCHMCP_DB", errNoStore, db, err)
		}
	}
	return memory.Open(db, memory.Options{ReadOnly: a == readOnly})
}

// service opens the store and the executor; closeFn releases them.
func (c *common) service(a access) (svc *tools.Service, closeFn func(), err error) {
	hosts, err := executor.ParseHosts(c.hosts)
	if err != nil {
		return nil, nil, fmt.Errorf("--hosts: %w", err)
	}
	st, err := openStore(c.db, a)
	if err != nil {
		return nil, nil, err
	}
	svc = &tools.Service{Exec: executor.New(hosts...), Store: st, Python: c.python, Sandbox: check.Sandbox{Unsafe: c.unsafeCode}, Reports: artifact.Dir{Root: c.reportsDir()}, MaxJobCrashes: cmp.Or(c.crashes, -1)}
	return svc, func() { st.Close() }, nil
}

// reportsDir is the reports directory: --reports-dir, else reports/ next
// to the store.
func (c *common) reportsDir() string {
	if c.reports != "" {
		return c.reports
	}
	return filepath.Join(filepath.Dir(c.db), "reports")
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseInterspersed parses flags that may come after positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// seedFlags are the seed flags of run and compare: --seed BASE or
// --seeds 42,7,13, as the tools' seed and seeds arguments.
type seedFlags struct {
	base  string
	seeds string
}

func (f *seedFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.base, "seed", "", "base seed: iteration i runs with a seed derived from it (default: fresh seeds, drawn and recorded)")
	fs.StringVar(&f.seeds, "seeds", "", "one seed per iteration, comma-separated, e.g. 42,7,13 (sets --iterations when that is not given)")
}

// values parses the flags into the tools' arguments.
func (f *seedFlags) values() (*bench.Seed, []bench.Seed, error) {
	var base *bench.Seed
	if f.base != "" {
		n, err := strconv.Atoi(strings.TrimSpace(f.base))
		if err != nil {
			return nil, nil, usagef("--seed %q is not a whole number; give e.g. --seed 42", f.base)
		}
		s := bench.Seed(n)
		base = &s
	}
	var seeds []bench.Seed
	if f.seeds != "" {
		for _, part := range strings.Split(f.seeds, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return nil, nil, usagef("--seeds: %q is not a whole number; give e.g. --seeds 42,7,13", part)
			}
			seeds = append(seeds, bench.Seed(n))
		}
	}
	return base, seeds, nil
}

// parseOptions reads --options, Ollama options as a JSON object, checked
// against Ollama's own names and types before anything opens the store.
func parseOptions(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	var opts map[string]any
	if err := json.Unmarshal([]byte(s), &opts); err != nil {
		return nil, usagef("--options is not a JSON object: %w", err)
	}
	if err := option.Check("--options", opts); err != nil {
		return nil, &failure{code: 2, err: err}
	}
	return opts, nil
}

// printResult prints a long tool's result, as JSON or as its markdown; it
// ends the command with exit code 1 unless the result completed or was
// only planned.
func printResult(stdout io.Writer, asJSON bool, res any, md string, status record.Status) error {
	if asJSON {
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, md)
	}
	if status != record.StatusCompleted && status != tools.StatusPlanned {
		return exit(1)
	}
	return nil
}

// writeJSON prints v as indented JSON.
func writeJSON(stdout io.Writer, v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
