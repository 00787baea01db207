package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
	workers := fs.Int("workers", 16, "stdio: tool calls served at once")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := c.logger(stderr)
	svc, closeFn, err := c.service()
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp serve: %v\n", err)
		return 1
	}
	defer closeFn()
	s := server.New(svc, log)
	log.Info("benchmcp serving", "transport", *transport, "db", c.db)
	err = server.Serve(ctx, s, server.Options{Transport: *transport, Addr: *addr, Workers: *workers}, log)
	// The transport has stopped and cancelled its calls; let them record
	// their runs as cancelled before the store closes.
	if !svc.Drain(30 * time.Second) {
		log.Warn("tool calls still running at exit; their runs will show as interrupted")
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "benchmcp serve: %v\n", err)
		return 1
	}
	return 0
}
