package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/benchmcp/benchmcp/internal/buildinfo"
)

// versionCommand is `benchmcp version` (and `--version`): which build this
// is, for a bug report; the same version the MCP server reports and every
// run stores.
func versionCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the build as JSON")
	if err := fs.Parse(args); err != nil {
		return errFlags
	}
	in := buildinfo.Get()
	if *asJSON {
		return writeJSON(stdout, in)
	}
	_, err := fmt.Fprintln(stdout, in)
	return err
}
