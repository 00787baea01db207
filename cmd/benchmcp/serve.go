package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/server"
	"github.com/benchmcp/benchmcp/tools"
)

// serveCommand is `benchmcp serve`: the MCP server over stdio, SSE or
// streamable HTTP.
func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	transport := fs.String("transport", envOr("BENCHMCP_TRANSPORT", "stdio"), "stdio, sse or http (env BENCHMCP_TRANSPORT)")
	addr := fs.String("addr", envOr("BENCHMCP_ADDR", "127.0.0.1:8080"), "listen address for sse and http (env BENCHMCP_ADDR)")
	token := fs.String("token", os.Getenv("BENCHMCP_TOKEN"), "sse and http: bearer token clients must send; required when --addr is not loopback (env BENCHMCP_TOKEN)")
	origins := fs.String("allow-origin", os.Getenv("BENCHMCP_ALLOWED_ORIGINS"), "sse and http: comma-separated Origins allowed besides loopback ones (env BENCHMCP_ALLOWED_ORIGINS)")
	var suiteRoots multiFlag
	fs.Var(&suiteRoots, "suite-root", "sse and http: a directory suite files may be read from; repeat for more (env BENCHMCP_SUITE_ROOTS, separated by "+string(os.PathListSeparator)+"; default suites/ next to the store)")
	clientJobs := fs.Int("max-client-jobs", envInt("BENCHMCP_MAX_CLIENT_JOBS", 16), "unfinished jobs (queued or running) one client (an MCP session; without one, a bearer token over http, the process over stdio) may have at a time; 0 for no cap (env BENCHMCP_MAX_CLIENT_JOBS)")
	workers := fs.Int("workers", 16, "stdio: tool calls served at once")
	fixtures := fs.Bool("conformance-fixtures", os.Getenv("BENCHMCP_CONFORMANCE_FIXTURES") == "1", "testing only: also serve the fixture tools, resources and prompts of the MCP conformance suite (scripts/conformance.sh; env BENCHMCP_CONFORMANCE_FIXTURES=1)")
	toolsets := fs.String("toolsets", envOr("BENCHMCP_TOOLSETS", "all"), "comma-separated tool groups to expose: "+strings.Join(tools.Toolsets(), ", ")+", all (env BENCHMCP_TOOLSETS)")
	if err := fs.Parse(args); err != nil {
		return errFlags
	}
	sets := splitList(*toolsets)
	if err := tools.CheckToolsets(sets); err != nil {
		return usagef("--toolsets: %w", err)
	}
	guard := server.Guard{Token: *token, Origins: splitList(*origins), UnsafeCodeExec: c.unsafeCode}
	for i, o := range guard.Origins {
		guard.Origins[i] = strings.TrimSuffix(o, "/")
	}
	if *transport == "sse" || *transport == "http" {
		if err := guard.CheckListen(*addr); err != nil {
			return &failure{code: 2, err: err}
		}
	}
	log := c.logger(stderr)
	svc, closeFn, err := c.service(readWrite)
	if err != nil {
		return err
	}
	defer closeFn()
	// MCP clients write reports only inside the reports directory.
	svc.Reports.Confined = true
	if *transport == "sse" || *transport == "http" {
		// Clients over the network read suite files only under the roots.
		svc.SuiteRoots = suite.Roots(suiteRootsOf(suiteRoots, c.db))
		log.Info("suite files are read only under the suite roots", "roots", strings.Join(svc.SuiteRoots, string(os.PathListSeparator)))
	}
	svc.EnableJobs()
	svc.Jobs.SetClientLimit(*clientJobs)
	s := server.New(svc, log, sets...)
	if *fixtures {
		server.AddConformanceFixtures(s)
	}
	svc.Jobs.SetNotify(server.JobNotifier(s))
	if err := svc.RecoverJobs(); err != nil {
		log.Warn("some unfinished jobs could not be queued again", "err", err)
	}
	log.Info("benchmcp serving", "transport", *transport, "db", c.db)
	err = server.Serve(ctx, s, server.Options{Transport: *transport, Addr: *addr, Workers: *workers, Guard: guard}, log)
	// The transport has stopped. Running jobs stop and are stored
	// interrupted (the next serve resumes them); then the calls under way
	// record their runs before the store closes.
	if !svc.Jobs.Shutdown(30 * time.Second) {
		log.Warn("jobs still running at exit; their runs will show as interrupted and resume at the next start")
	}
	if !svc.Drain(30 * time.Second) {
		log.Warn("tool calls still running at exit; their runs will show as interrupted")
	}
	if ctx.Err() != nil {
		return nil // stopped by a signal
	}
	return err
}

// suiteRootsOf is --suite-root, else BENCHMCP_SUITE_ROOTS, else suites/
// next to the store.
func suiteRootsOf(flagged []string, db string) []string {
	if len(flagged) > 0 {
		return flagged
	}
	var roots []string
	for _, r := range filepath.SplitList(os.Getenv("BENCHMCP_SUITE_ROOTS")) {
		if r = strings.TrimSpace(r); r != "" {
			roots = append(roots, r)
		}
	}
	if len(roots) == 0 {
		roots = []string{filepath.Join(filepath.Dir(db), "suites")}
	}
	return roots
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
