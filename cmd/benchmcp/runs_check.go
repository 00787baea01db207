package main

import (
	"context"
	"fmt"
	"io"

	"github.com/benchmcp/benchmcp/memory"
)

// runsCheck is `runs check`: every record decoded and bbolt's page check
// (memory.Check); it exits 1 when anything is wrong.
func runsCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRunsFlags("check", stderr).withJSON()
	if _, err := rf.parse(args, 0, ""); err != nil {
		return err
	}
	rep, err := memory.Check(rf.db)
	if err == nil && rf.json {
		err = writeJSON(stdout, rep)
	} else if err == nil {
		err = rep.WriteText(stdout)
	}
	if err == nil && !rep.OK() {
		return exit(1)
	}
	return err
}

// runsSalvage is `runs salvage OUT`: what is readable of a damaged store
// copied into a new one (memory.Salvage); the store is not changed.
func runsSalvage(_ context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRunsFlags("salvage", stderr)
	pos, err := rf.parse(args, 1, "the new file to write: benchmcp runs salvage OUT")
	if err != nil {
		return err
	}
	rep, err := memory.Salvage(rf.db, pos[0])
	if err != nil {
		return err
	}
	return rep.WriteText(stdout)
}

// warnDamage says on stderr which records a command's reads skipped.
func warnDamage(stderr io.Writer, s *memory.Store) {
	for _, d := range s.Damage() {
		fmt.Fprintf(stderr, "warning: skipped %s; run `benchmcp runs check --db %s`\n", d, s.Path())
	}
}
