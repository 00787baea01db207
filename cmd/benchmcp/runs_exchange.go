package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/exchange"
	"github.com/benchmcp/benchmcp/memory"
)

// maxWarnings bounds the warnings an import prints; the rest are counted.
const maxWarnings = 20

func runsExport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	rf := newRunsFlags("export", stderr).withFilter()
	var out, format string
	rf.fs.StringVar(&out, "out", "", "write to this file instead of stdout; with --format csv, the directory (or file-name prefix) of samples.csv and summaries.csv")
	rf.fs.StringVar(&format, "format", "jsonl", "jsonl (a run with its samples per line, what import reads) or csv (two tables, samples and summaries)")
	if _, ok := rf.parse(args, 0, "", stderr); !ok {
		return rf.fail()
	}
	switch {
	case format != "jsonl" && format != "csv":
		fmt.Fprintf(stderr, "benchmcp runs export: unknown --format %q; use jsonl or csv\n", format)
		return 2
	case format == "csv" && (out == "" || out == "-"):
		fmt.Fprintln(stderr, "benchmcp runs export: --format csv writes two files, samples.csv and summaries.csv; pass --out DIR or --out PREFIX")
		return 2
	}
	s, missing, ok := rf.open(false, stderr)
	if !ok {
		return 1
	}
	if missing {
		fmt.Fprintf(stderr, "benchmcp runs export: no store at %s; check --db or BENCHMCP_DB\n", rf.db)
		return 1
	}
	defer s.Close()
	if format == "csv" {
		return exportCSV(s, rf.filter, out, stderr)
	}
	w, dest := stdout, "stdout"
	var f *os.File
	if out != "" && out != "-" {
		var err error
		if f, err = os.Create(out); err != nil {
			fmt.Fprintf(stderr, "benchmcp runs export: %v\n", err)
			return 1
		}
		w, dest = f, out
	}
	n, err := s.Export(w, rf.filter)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp runs export: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "exported %d runs to %s\n", n, dest)
	return 0
}

// csvPaths are the two tables' files for --out: inside it when it is a
// directory (or ends with a separator, and is then made), else with it as
// a prefix of their names.
func csvPaths(out string) (samples, summaries string, err error) {
	if strings.HasSuffix(out, string(filepath.Separator)) || strings.HasSuffix(out, "/") {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", "", err
		}
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return filepath.Join(out, "samples.csv"), filepath.Join(out, "summaries.csv"), nil
	}
	return out + "samples.csv", out + "summaries.csv", nil
}

// exportCSV writes the runs that match f as samples.csv and summaries.csv;
// on failure it removes both, so that no half table is left.
func exportCSV(s *memory.Store, f memory.Filter, out string, stderr io.Writer) int {
	samplesPath, summariesPath, err := csvPaths(out)
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp runs export: %v\n", err)
		return 1
	}
	var files []*os.File
	for _, p := range []string{samplesPath, summariesPath} {
		file, err := os.Create(p)
		if err != nil {
			for _, f := range files {
				f.Close()
				os.Remove(f.Name())
			}
			fmt.Fprintf(stderr, "benchmcp runs export: %v\n", err)
			return 1
		}
		files = append(files, file)
	}
	sw, mw := bufio.NewWriter(files[0]), bufio.NewWriter(files[1])
	c := exchange.NewCSV(sw, mw)
	n, err := s.EachRun(f, c.Write)
	for _, step := range []func() error{c.Flush, sw.Flush, mw.Flush, files[0].Close, files[1].Close} {
		if serr := step(); err == nil {
			err = serr
		}
	}
	if err != nil {
		os.Remove(samplesPath)
		os.Remove(summariesPath)
		fmt.Fprintf(stderr, "benchmcp runs export: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "exported %d runs (%d samples) to %s and %s\n", n, c.Samples, samplesPath, summariesPath)
	return 0
}

func runsImport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	rf := newRunsFlags("import", stderr)
	var formatName string
	rf.fs.StringVar(&formatName, "format", "", "benchmcp (runs export's JSON lines), llama-bench (its -o json or -o jsonl) or promptfoo (eval --output results.json); default: told from the content")
	pos, ok := rf.parse(args, 1, "one results file, or - for stdin: benchmcp runs import FILE [--format benchmcp|llama-bench|promptfoo]", stderr)
	if !ok {
		return rf.fail()
	}
	var format exchange.Format
	if formatName != "" {
		var err error
		if format, err = exchange.ParseFormat(formatName); err != nil {
			fmt.Fprintf(stderr, "benchmcp runs import: %v; nothing was stored\n", err)
			return 2
		}
	}
	name := pos[0]
	var in io.Reader = os.Stdin
	if name == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "benchmcp runs import: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReaderSize(in, 1<<20)
	head, _ := br.Peek(1 << 20) // less at the end of the input: what there is
	detected, derr := exchange.Detect(head)
	hint := ""
	switch {
	case format == "" && derr != nil:
		fmt.Fprintf(stderr, "benchmcp runs import: %s: %v; nothing was stored\n", name, derr)
		return 1
	case format == "":
		format = detected
		fmt.Fprintf(stderr, "%s: detected format %s (--format to say otherwise)\n", name, format)
	case derr == nil && detected != format:
		hint = fmt.Sprintf(" (the content looks like %s: try --format %s)", detected, detected)
	}
	refuse := func(err error) int {
		msg := strings.TrimPrefix(err.Error(), "import (nothing was imported): ")
		if errors.Is(err, memory.ErrRunExists) && format != exchange.Benchmcp {
			msg += "; was this file imported before?"
		}
		fmt.Fprintf(stderr, "benchmcp runs import: refused %s, nothing was stored: %s%s\n", name, msg, hint)
		return 1
	}

	var warnings []string
	var n int
	var ids []string
	if format == exchange.Benchmcp {
		s, _, ok := rf.open(true, stderr)
		if !ok {
			return 1
		}
		defer s.Close()
		var err error
		n, err = s.ImportChecked(br, func(lineNo int, l *memory.Line) error {
			ws, err := exchange.Check(l.Run, l.Samples)
			for _, w := range ws {
				warnings = append(warnings, fmt.Sprintf("line %d, run %s: %s", lineNo, l.Run.ID, w))
			}
			if err != nil {
				return fmt.Errorf("run %s: %w", l.Run.ID, err)
			}
			return nil
		})
		if err != nil {
			return refuse(err)
		}
	} else {
		data, err := io.ReadAll(br)
		if err != nil {
			fmt.Fprintf(stderr, "benchmcp runs import: read %s: %v\n", name, err)
			return 1
		}
		imp, err := exchange.Parse(format, data, time.Now())
		if err != nil {
			return refuse(err)
		}
		lines := make([]memory.Line, len(imp.Runs))
		for i, r := range imp.Runs {
			lines[i] = memory.Line{Run: r.Run, Samples: r.Samples}
			ids = append(ids, r.Run.ID)
		}
		s, _, ok := rf.open(true, stderr)
		if !ok {
			return 1
		}
		defer s.Close()
		if n, err = s.PutLines(lines); err != nil {
			return refuse(err)
		}
		warnings = imp.Warnings
	}
	for i, w := range warnings {
		if i == maxWarnings {
			fmt.Fprintf(stderr, "warning: ... and %d more\n", len(warnings)-maxWarnings)
			break
		}
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "imported %d runs from %s (%s) into %s\n", n, name, format, rf.db)
	for _, id := range ids {
		fmt.Fprintf(stdout, "  %s\n", id)
	}
	if format == exchange.LlamaBench {
		fmt.Fprintf(stdout, "%s: their samples carry times and rates, and neither pass nor fail\n", exchange.ThroughputOnly)
	}
	return 0
}
