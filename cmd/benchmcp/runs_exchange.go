package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/benchmcp/benchmcp/internal/exchange"
)

// maxWarnings bounds the warnings an import prints; the rest are counted.
const maxWarnings = 20

func runsExport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRunsFlags("export", stderr).withFilter()
	var out, format string
	rf.fs.StringVar(&out, "out", "", "write to this file instead of stdout; with --format csv, the directory (or file-name prefix) of samples.csv and summaries.csv")
	rf.fs.StringVar(&format, "format", "jsonl", "jsonl (a run with its samples per line, what import reads) or csv (two tables, samples and summaries)")
	if _, err := rf.parse(args, 0, ""); err != nil {
		return err
	}
	switch {
	case format != "jsonl" && format != "csv":
		return usagef("unknown --format %q; use jsonl or csv", format)
	case format == "csv" && (out == "" || out == "-"):
		return usagef("--format csv writes two files, samples.csv and summaries.csv; pass --out DIR or --out PREFIX")
	}
	s, err := openStore(rf.db, readOnly)
	if err != nil {
		return err
	}
	defer s.Close()
	defer warnDamage(stderr, s)
	if format == "csv" {
		ex, err := exchange.ExportCSV(s, rf.filter, out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "exported %d runs (%d samples) to %s and %s\n", ex.Runs, ex.Samples, ex.SamplesPath, ex.SummariesPath)
		return nil
	}
	w, dest := stdout, "stdout"
	var f *os.File
	if out != "" && out != "-" {
		if f, err = os.Create(out); err != nil {
			return err
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
		return fmt.Errorf("export to %s: %w", dest, err)
	}
	fmt.Fprintf(stderr, "exported %d runs to %s\n", n, dest)
	return nil
}

func runsImport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRunsFlags("import", stderr)
	var formatName string
	rf.fs.StringVar(&formatName, "format", "", "benchmcp (runs export's JSON lines), llama-bench (its -o json or -o jsonl) or promptfoo (eval --output results.json); default: told from the content")
	pos, err := rf.parse(args, 1, "one results file, or - for stdin: benchmcp runs import FILE [--format benchmcp|llama-bench|promptfoo]")
	if err != nil {
		return err
	}
	var format exchange.Format
	if formatName != "" {
		if format, err = exchange.ParseFormat(formatName); err != nil {
			return usagef("%w; nothing was stored", err)
		}
	}
	name, in := pos[0], io.Reader(os.Stdin)
	if name == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	im, err := exchange.StartImport(in, name, format)
	if err != nil {
		return err
	}
	if im.Detected {
		fmt.Fprintf(stderr, "%s: detected format %s (--format to say otherwise)\n", name, im.Format)
	}
	if err := im.Convert(time.Now()); err != nil {
		return err
	}
	s, err := openStore(rf.db, readWrite)
	if err != nil {
		return err
	}
	defer s.Close()
	stored, err := im.Store(s)
	if err != nil {
		return err
	}
	for i, w := range stored.Warnings {
		if i == maxWarnings {
			fmt.Fprintf(stderr, "warning: ... and %d more\n", len(stored.Warnings)-maxWarnings)
			break
		}
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "imported %d runs from %s (%s) into %s\n", stored.Runs, name, im.Format, rf.db)
	for _, id := range stored.IDs {
		fmt.Fprintf(stdout, "  %s\n", id)
	}
	if im.Format == exchange.LlamaBench {
		fmt.Fprintf(stdout, "%s: their samples carry times and rates, and neither pass nor fail\n", exchange.ThroughputOnly)
	}
	return nil
}
