package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/memory"
)

const runsUsage = `Usage: benchmcp runs <subcommand> [flags]

  list   [--model M] [--suite S] [--tag T] [--status S] [--limit N] [--json]   stored runs, newest first
  show   ID [--json]                                                           one run, its summary and samples
  delete ID                                                                    remove a run and its samples
  export [--format jsonl|csv] [--out FILE|DIR|PREFIX] [--model M] [--suite S] [--tag T] [--status S] [--limit N]
         jsonl (default): a run with its samples per line, what import reads (stdout by default)
         csv: two tables for pandas and spreadsheets, <out>samples.csv and <out>summaries.csv
           (--out DIR writes DIR/samples.csv; --out runs- writes runs-samples.csv)
           samples.csv:   run_id model host suite suite_hash label task_id category iteration seed
                          started_at pass score wall_ms ttft_ms prompt_tokens eval_tokens gen_tps
                          prompt_tps error output (the full output, quoted)
           summaries.csv: id model host suite suite_hash label status started_at ended_at iterations
                          tags (';'-joined) samples passed pass_rate pass_rate_ci_lo pass_rate_ci_hi
                          mean_score task_count latency_p50_ms latency_p95_ms ttft_p50_ms gen_tps
                          prompt_tps errors reloads
           (docs/exports.md says what each column means)
  import FILE [--format benchmcp|llama-bench|promptfoo]                        runs from a results file (- for stdin)
         benchmcp: export's JSON lines; llama-bench: its -o json or -o jsonl output (a run per
         test, throughput only); promptfoo: eval --output results.json (a run per provider).
         Without --format the format is told from the content. Impossible data (TTFT after the
         whole call, negative times or tokens, pass rates outside 0-1, NaN, tokens in no time)
         refuses the whole file and stores nothing; suspicious data is stored with a warning.
  compact OUT                                                                  a compacted copy of the store in a new file OUT
  check  [--json]                                                              read every record and page; exit 1 if any is damaged
  salvage OUT                                                                  copy what is readable of a damaged store into a new file OUT

Every subcommand takes --db PATH (BENCHMCP_DB; default %s).
`

// runsCommand is `benchmcp runs`: it lists, shows, deletes, exports and
// imports the runs kept in the store, and checks and salvages it.
func runsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() { fmt.Fprintf(stderr, runsUsage, memory.DefaultPath()) }
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		if len(args) == 0 {
			return exit(2)
		}
		return nil
	}
	sub := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"list":    runsList,
		"show":    runsShow,
		"delete":  runsDelete,
		"export":  runsExport,
		"import":  runsImport,
		"compact": runsCompact,
		"check":   runsCheck,
		"salvage": runsSalvage,
	}[args[0]]
	if sub == nil {
		return &failure{code: 2, err: fmt.Errorf("unknown subcommand %q", args[0]), usage: func() { fmt.Fprintln(stderr); usage() }}
	}
	return inSub(args[0], sub(ctx, args[1:], stdout, stderr))
}

// runsFlags are the flags shared by the runs subcommands.
type runsFlags struct {
	fs     *flag.FlagSet
	db     string
	json   bool
	filter memory.Filter
	status string
}

func newRunsFlags(name string, stderr io.Writer) *runsFlags {
	rf := &runsFlags{fs: flag.NewFlagSet("benchmcp runs "+name, flag.ContinueOnError)}
	rf.fs.SetOutput(stderr)
	dbFlag(rf.fs, &rf.db)
	return rf
}

func (rf *runsFlags) withJSON() *runsFlags {
	rf.fs.BoolVar(&rf.json, "json", false, "print JSON instead of text")
	return rf
}

func (rf *runsFlags) withFilter() *runsFlags {
	rf.fs.StringVar(&rf.filter.Model, "model", "", "only runs of this model")
	rf.fs.StringVar(&rf.filter.Suite, "suite", "", "only runs of this suite")
	rf.fs.StringVar(&rf.filter.Tag, "tag", "", "only runs with this tag")
	rf.fs.StringVar(&rf.status, "status", "", "only runs in this state: "+statusNames())
	rf.fs.IntVar(&rf.filter.Limit, "limit", 0, "at most this many runs (0: all)")
	return rf
}

// statusNames lists the run states, for help.
func statusNames() string {
	names := make([]string, len(record.Statuses))
	for i, st := range record.Statuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// parse parses flags and positional arguments in any order and checks that
// there are exactly npos positional arguments (what says which).
func (rf *runsFlags) parse(args []string, npos int, what string) ([]string, error) {
	pos, err := parseInterspersed(rf.fs, args)
	if err != nil {
		return nil, errFlags
	}
	if len(pos) != npos {
		err := fmt.Errorf("want %s", what)
		if npos == 0 {
			err = fmt.Errorf("unexpected argument %q", pos[0])
		}
		return nil, &failure{code: 2, err: err, usage: rf.fs.Usage}
	}
	if rf.status != "" {
		if rf.filter.Status, err = record.ParseStatus(rf.status); err != nil {
			return nil, usagef("--status: %w", err)
		}
	}
	if rf.filter.Limit < 0 {
		return nil, usagef("--limit must be 0 or more")
	}
	return pos, nil
}

// listedRun is a run as `runs list --json` prints it.
type listedRun struct {
	record.Run
	SampleCount int `json:"sample_count"`
}

func runsList(_ context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRunsFlags("list", stderr).withJSON().withFilter()
	if _, err := rf.parse(args, 0, ""); err != nil {
		return err
	}
	runs := []listedRun{}
	s, err := openStore(rf.db, readOnly)
	switch {
	case errors.Is(err, errNoStore): // no store, no runs
	case err != nil:
		return err
	default:
		defer s.Close()
		rs, err := s.ListRuns(rf.filter)
		if err != nil {
			return fmt.Errorf("list runs: %w", err)
		}
		for _, r := range rs {
			n, err := s.SampleCount(r.ID)
			if err != nil {
				return fmt.Errorf("count the samples of run %s: %w", r.ID, err)
			}
			runs = append(runs, listedRun{r, n})
		}
		warnDamage(stderr, s)
	}
	if rf.json {
		return writeJSON(stdout, runs)
	}
	if len(runs) == 0 {
		fmt.Fprintf(stderr, "no runs in %s match; start one with `benchmcp run --model M --suite S`\n", rf.db)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tMODEL\tSUITE\tSAMPLES\tPASS\tSTARTED")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			r.ID, r.Status, r.Model, r.Suite, r.SampleCount, report.RunPassRate(r.Run), r.StartedAt.Local().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func runsShow(_ context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRunsFlags("show", stderr).withJSON()
	pos, err := rf.parse(args, 1, "one run ID: benchmcp runs show ID [--json]")
	if err != nil {
		return err
	}
	id := pos[0]
	s, err := openStore(rf.db, readOnly)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.GetRun(id)
	var smps []record.Sample
	if err == nil {
		smps, err = s.Samples(id)
	}
	if errors.Is(err, memory.ErrRunNotFound) {
		return fmt.Errorf("no run %s in %s; see the IDs with `benchmcp runs list`", id, rf.db)
	}
	if err != nil {
		return fmt.Errorf("read run %s: %w", id, err)
	}
	warnDamage(stderr, s)
	// Shown with this version's statistics, recomputed from the samples.
	r.Summary = bench.Resummarize(r, smps)
	if rf.json {
		if smps == nil {
			smps = []record.Sample{}
		}
		return writeJSON(stdout, memory.Line{Run: r, Samples: smps})
	}
	faulted, err := s.FaultedSamples(id)
	if err != nil {
		return fmt.Errorf("read run %s: %w", id, err)
	}
	return report.RunText(stdout, r, smps, faulted)
}

func runsDelete(_ context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRunsFlags("delete", stderr)
	pos, err := rf.parse(args, 1, "one run ID: benchmcp runs delete ID")
	if err != nil {
		return err
	}
	id := pos[0]
	s, err := openStore(rf.db, readWrite)
	if err != nil {
		return err
	}
	defer s.Close()
	n, _ := s.SampleCount(id)
	if err := s.DeleteRun(id); errors.Is(err, memory.ErrRunNotFound) {
		return fmt.Errorf("no run %s in %s; see the IDs with `benchmcp runs list`", id, rf.db)
	} else if err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
	fmt.Fprintf(stdout, "deleted run %s and its %d samples\n", id, n)
	return nil
}

// runsCompact writes a compacted copy of the store (freed pages dropped)
// to a new file; replace the store with it while no benchmcp process runs.
func runsCompact(_ context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRunsFlags("compact", stderr)
	pos, err := rf.parse(args, 1, "the new file to write: benchmcp runs compact OUT")
	if err != nil {
		return err
	}
	s, err := openStore(rf.db, readOnly)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Compact(pos[0]); err != nil {
		return err
	}
	before, _ := os.Stat(rf.db)
	after, _ := os.Stat(pos[0])
	if before != nil && after != nil {
		fmt.Fprintf(stdout, "compacted %s (%d bytes) into %s (%d bytes)\n", rf.db, before.Size(), pos[0], after.Size())
	}
	return nil
}
