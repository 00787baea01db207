package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/server"
)

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	transport := fs.String("transport", envOr("BENCHMCP_TRANSPORT", "stdio"), "stdio, sse or http (env BENCHMCP_TRANSPORT)")
	addr := fs.String("addr", envOr("BENCHMCP_ADDR", "127.0.0.1:8080"), "listen address for sse and http (env BENCHMCP_ADDR)")
	token := fs.String("token", os.Getenv("BENCHMCP_TOKEN"), "sse and http: bearer token clients must send; required when --addr is not loopback (env BENCHMCP_TOKEN)")
	origins := fs.String("allow-origin", os.Getenv("BENCHMCP_ALLOWED_ORIGINS"), "sse and http: comma-separated Origins allowed besides loopback ones (env BENCHMCP_ALLOWED_ORIGINS)")
	workers := fs.Int("workers", 16, "stdio: tool calls served at once")
	toolsets := fs.String("toolsets", envOr("BENCHMCP_TOOLSETS", "all"), "comma-separated tool groups to expose: run, compare, analyze, route, jobs, all (env BENCHMCP_TOOLSETS)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var sets []string
	for _, t := range strings.Split(*toolsets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			sets = append(sets, t)
		}
	}
	if err := server.CheckToolsets(sets); err != nil {
		fmt.Fprintf(stderr, "benchmcp serve: --toolsets: %v\n", err)
		return 2
	}
	guard := server.Guard{Token: *token, Origins: splitList(*origins)}
	if *transport == "sse" || *transport == "http" {
		if err := guard.CheckListen(*addr); err != nil {
			fmt.Fprintf(stderr, "benchmcp serve: %v\n", err)
			return 2
		}
	}
	log := c.logger(stderr)
	svc, closeFn, err := c.service()
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp serve: %v\n", err)
		return 1
	}
	defer closeFn()
	// MCP clients write reports only inside the reports directory.
	svc.Reports.Confined = true
	svc.EnableJobs()
	s := server.New(svc, log, sets...)
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
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "benchmcp serve: %v\n", err)
		return 1
	}
	return 0
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, strings.TrimSuffix(f, "/"))
		}
	}
	return out
}
