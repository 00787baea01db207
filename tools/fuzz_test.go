package tools

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/artifact"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/route"
	"github.com/benchmcp/benchmcp/internal/sweep"
	"github.com/benchmcp/benchmcp/memory"
)

// The fuzz targets here feed arbitrary JSON to each tool's arguments, bound
// as mcp-go binds them (CallToolRequest.BindArguments), and then to the
// checks the tool makes before anything touches Ollama. The property: no
// panic, and either an error the caller can fix (isError, never a Go error,
// which would be a bug) or arguments that hold what the tool relies on.
// Seeds: real calls from the e2e tests, then tricky ones; more, and the
// inputs that once broke a check, are in testdata/fuzz/FuzzX.

// trickyArgs are seeds for every tool: not objects, nulls, wrong types,
// numbers JSON or Go cannot hold, NaN as text, unicode and deep nesting.
var trickyArgs = []string{
	`null`, `{}`, `[]`, `"x"`, `1e999`, `{"model": null, "options": null, "tasks": null}`,
	`{"iterations": 9223372036854775807}`, `{"iterations": 1e30}`, `{"iterations": -1}`, `{"limit": -9223372036854775808}`,
	`{"timeout_s": "NaN", "effect": "Infinity"}`, `{"timeout_s": -1e308, "wait_s": 1e308}`,
	`{"model": "\u0000", "suite": "../../../etc/passwd", "host": "\ud800"}`,
	`{"model": "模型", "preamble": "\u202eevil", "tags": ["\u0000", ""]}`,
	`{"options": {"num_ctx": {"a": [1, [2, [3]]]}, "stop": [[["x"]]], "": 1}}`,
	`{"candidates": [null, "", "@", "a@", "@b", "a@b@c"]}`,
	`{"options": ` + strings.Repeat(`{"a": `, 300) + `1` + strings.Repeat(`}`, 300) + `}`,
	`{"tasks": [{"id": "a", "prompt": "p", "checks": [{"type": "regex", "pattern": "(((a+)+)+)+$"}]}], "model": "m"}`,
}

// fuzzService is a service on a fresh store with one host nothing listens
// on, a reports directory, and jobs.
func fuzzService(f *testing.F) *Service {
	dir := f.TempDir()
	st, err := memory.Open(filepath.Join(dir, "bench.db"), memory.Options{})
	if err != nil {
		f.Fatal(err)
	}
	hosts, err := executor.ParseHosts("local=http://127.0.0.1:1")
	if err != nil {
		f.Fatal(err)
	}
	svc := &Service{Store: st, Exec: executor.New(hosts...), Reports: artifact.Dir{Root: filepath.Join(dir, "reports"), Confined: true}}
	svc.EnableJobs()
	f.Cleanup(func() {
		svc.Jobs.Shutdown(5 * time.Second)
		st.Close()
	})
	return svc
}

// fuzzArgs fuzzes a tool's arguments of type A: seeds and trickyArgs, each
// input bound as mcp-go binds it, then checked by check.
func fuzzArgs[A any](f *testing.F, seeds []string, check func(t *testing.T, svc *Service, args A)) {
	svc := fuzzService(f)
	for _, s := range append(seeds, trickyArgs...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req mcp.CallToolRequest
		req.Params.RawArguments = data
		var args A
		if err := req.BindArguments(&args); err != nil {
			return // mcp-go answers "failed to bind arguments" as isError
		}
		check(t, svc, args)
	})
}

// fixable fails the test when err is a Go error rather than one the caller can fix.
func fixable(t *testing.T, err error) bool {
	t.Helper()
	if err != nil && !isUserError(err) {
		t.Fatalf("a Go error (a bug) instead of an isError result: %v", err)
	}
	return err != nil
}

func FuzzRunBenchmarkArgs(f *testing.F) {
	fuzzArgs(f, []string{
		`{"model": "tiny-m", "suite": "tiny", "iterations": 2, "seed": 7}`,
		`{"model": "tiny-m", "tasks": [{"id": "add-1", "category": "add", "prompt": "What is 47+385?", "checks": [{"type": "exact", "value": "432"}]}], "options": {"num_ctx": 512, "temperature": 0}, "seeds": [1, 2, 3]}`,
		`{"model": "tiny-m", "plan": true, "effect": 0.1, "expected_pass_rate": 0.7, "iterations": 5}`,
		`{"model": "tiny-m", "options": {"num_ctxx": 4096}}`,
		`{"model": "tiny-m", "seed": 1.5}`,
		`{"model": "tiny-m", "warmup": 0, "concurrency": 16, "max_output_tokens": 64, "timeout_s": 30, "think": "high", "cold": true, "tags": ["x"]}`,
		`{"model": "tiny-m", "options": {"seed": 5}, "seeds": [1, 2]}`,
		`{"resume_run_id": "r20260101-000000.000-1"}`,
	}, func(t *testing.T, svc *Service, args RunBenchmarkArgs) {
		cfg, _, _, _, err := svc.resolveRun(args)
		if fixable(t, err) {
			return
		}
		if err := cfg.Validate(); err != nil || option.Check("options", cfg.Options) != nil || cfg.Suite.Validate() != nil {
			t.Fatalf("accepted arguments that do not hold: %v", err)
		}
		if len(cfg.Seeds.Seeds) != cfg.Iterations {
			t.Fatalf("%d seeds for %d iterations", len(cfg.Seeds.Seeds), cfg.Iterations)
		}
	})
}

func FuzzCompareModelsArgs(f *testing.F) {
	fuzzArgs(f, []string{
		`{"variants": [{"model": "tiny-s"}, {"model": "tiny-m"}], "suite": "tiny", "iterations": 2}`,
		`{"variants": [{"model": "tiny-m", "label": "cold", "options": {"num_ctx": 256}}, {"model": "tiny-m", "label": "warm", "options": {"num_ctx": 512, "temperature": 0.7}}], "seeds": [1, 2, 3], "baseline": "cold"}`,
		`{"variants": [{"model": "tiny-m"}, {"model": "tiny-m", "preamble": "concise"}], "plan": true, "effect": 0.2}`,
		`{"run_ids": ["r1", "r2"], "allow_differences": ["options", "all"]}`,
		`{"variants": [{"model": "tiny-s"}, {"model": "tiny-m", "options": {"num_ctxx": 1}}], "pairwise_judge": "tiny-judge@local", "report_path": "side.md"}`,
		`{"variants": [{"model": "tiny-m"}, {"model": "tiny-m"}]}`,
		`{"variants": [{"model": "tiny-m", "options": {"seed": 3}}, {"model": "tiny-s"}], "seed": 9}`,
	}, func(t *testing.T, svc *Service, args CompareModelsArgs) {
		c, err := svc.checkCompare(args)
		if fixable(t, err) || len(args.RunIDs) > 0 {
			return
		}
		if n := len(c.cfgs); n < MinVariants || n > MaxVariants {
			t.Fatalf("accepted %d variants", n)
		}
		labels := map[string]bool{}
		for _, cfg := range c.cfgs {
			if err := cfg.Validate(); err != nil || labels[cfg.Label] {
				t.Fatalf("accepted variant %q: %v (labels %v)", cfg.Label, err, labels)
			}
			labels[cfg.Label] = true
		}
	})
}

func FuzzSweepArgs(f *testing.F) {
	fuzzArgs(f, []string{
		`{"axes": {"models": ["tiny-m"], "options": {"num_ctx": [256, 512], "temperature": [0, 0.7]}}, "suite": "tiny", "plan": true}`,
		`{"axes": {"models": ["tiny-s", "tiny-m"], "preambles": ["", "concise"], "think": ["false"], "depths": [0, 128], "hosts": ["local"]}, "objective": "latency_p50_ms", "pass_rate_within": 0.05}`,
		`{"cells": [{"model": "tiny-m", "options": {"num_ctx": 256}}, {"model": "tiny-s", "label": "small", "depth": 64}], "early_stop": {}, "seeds": [1, 2]}`,
		`{"axes": {"models": ["tiny-m"], "options": {"num_ctx": [1, 2, 3, 4, 5], "top_k": [1, 2, 3, 4, 5], "top_p": [1, 2, 3, 4, 5], "temperature": [1, 2, 3, 4, 5]}}, "max_cells": 625}`,
		`{"axes": {"models": ["tiny-m"], "options": {"num_ctxx": [256]}}}`,
		`{"axes": {"models": []}, "cells": [{"model": ""}]}`,
		`{"cells": [{"model": "tiny-m", "host": "nowhere"}], "hosts": ["local", "gpu"], "report_path": "../out.md"}`,
	}, func(t *testing.T, svc *Service, args SweepArgs) {
		setup, err := svc.checkSweep(args)
		if fixable(t, err) {
			return
		}
		limit := sweep.DefaultMaxCells
		if args.MaxCells != 0 {
			limit = args.MaxCells
		}
		if len(setup.cells) == 0 || len(setup.cells) > limit {
			t.Fatalf("accepted %d cells (limit %d)", len(setup.cells), limit)
		}
		labels := map[string]bool{}
		for _, c := range setup.cells {
			if strings.TrimSpace(c.Model) == "" || labels[c.Label] || option.Check("options", c.Options) != nil {
				t.Fatalf("accepted cell %+v", c)
			}
			labels[c.Label] = true
		}
	})
}

func FuzzAnalyzeResultsArgs(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fuzzArgs(f, []string{
		`{"model": "tiny-m", "suite": "tiny", "status": "all", "limit": 1000}`,
		`{"since": "2026-03-01T00:00:00Z", "until": "2026-03-02T00:00:00Z", "tag": "nightly"}`,
		`{"since": "168h", "baseline_run_id": "r1", "allow_differences": ["digest", "host"], "html_path": "analysis.html", "include_html": true}`,
		`{"since": "9999999999h", "until": "-1h"}`, `{"status": "COMPLETED", "limit": 0}`, `{"html_path": "x.md"}`,
	}, func(t *testing.T, svc *Service, args AnalyzeResultsArgs) {
		f, _, err := svc.checkAnalyze(args, now)
		if fixable(t, err) {
			return
		}
		if f.Limit < 1 || f.Limit > MaxAnalyzeLimit || (!f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until)) {
			t.Fatalf("accepted filter %+v", f)
		}
	})
}

func FuzzRouteTaskArgs(f *testing.F) {
	fuzzArgs(f, []string{
		`{"task": "What is 4821+967?", "category": "add", "candidates": ["tiny-s", "tiny-m", "tiny-l"]}`,
		`{"task": "Reverse planet.", "candidates": ["tiny-s", "tiny-m@local"], "strategy": "cascade", "checks": [{"type": "exact", "value": "tenalp"}], "timeout_s": 30}`,
		`{"task": "x", "candidates": ["tiny-s", "tiny-m"], "strategy": "cascade", "judge_model": "tiny-judge"}`,
		`{"task": "x", "candidates": ["tiny-s"], "strategy": "evidence", "min_pass_rate": 0.9, "options": {"num_ctx": 512}, "suite": "tiny"}`,
		`{"task": "x", "candidates": ["tiny-s", "tiny-m"], "strategy": "policy", "policy_id": "p1"}`,
		`{"decision_id": "d1", "outcome_ok": true, "outcome": "fine"}`,
		`{"task": "x", "candidates": ["tiny-s", "tiny-s"], "strategy": "HEURISTIC", "options": {"num_ctxx": 1}}`,
	}, func(t *testing.T, svc *Service, args RouteTaskArgs) {
		if args.DecisionID != "" {
			_, _, err := svc.reportOutcome(args)
			fixable(t, err)
			return
		}
		rc, err := svc.resolveRoute(&args)
		if fixable(t, err) {
			return
		}
		if n := len(rc.Candidates); n < 1 || n > MaxRouteCandidates || option.Check("options", args.Options) != nil ||
			!slices.Contains([]string{route.Policy, route.Evidence, route.Heuristic, route.Cascade}, args.Strategy) ||
			(args.Strategy == route.Cascade && len(rc.Checks) == 0) {
			t.Fatalf("accepted %+v: %d candidates, %d checks", args, n, len(rc.Checks))
		}
	})
}

func FuzzEvaluateRoutingArgs(f *testing.F) {
	fuzzArgs(f, []string{
		`{"candidates": ["tiny-s", "tiny-m"], "suite": "tiny", "iterations": 3}`,
		`{"candidates": ["tiny-s@local", "tiny-m"], "costs": {"tiny-s@local": {"per_1k_tokens": 0.1}, "tiny-m": {"per_second": 0.02}}, "within": 0.05, "online": true, "seed": 4}`,
		`{"candidates": ["tiny-s", "tiny-m"], "judge": "tiny-judge", "html_path": "routing.html", "options": {"temperature": 0}}`,
		`{"candidates": ["tiny-s", "tiny-m"], "costs": {"tiny-x": {}}}`, `{"candidates": ["tiny-s", "tiny-s"]}`,
		`{"candidates": ["a", "b"], "within": -0.5, "options": {"num_ctxx": 1}}`,
	}, func(t *testing.T, svc *Service, args EvaluateRoutingArgs) {
		rs, err := svc.checkRouting(args)
		if fixable(t, err) {
			return
		}
		if n := len(rs.Candidates); n < 2 || n > MaxRouteCandidates || rs.Iterations < 1 || rs.Iterations > 100 || rs.Within < 0 || rs.Within > 1 ||
			option.Check("options", args.Options) != nil || rs.Suite.Validate() != nil {
			t.Fatalf("accepted %+v", args)
		}
	})
}

// fuzzHandler fuzzes a tool through its MCP handler, which is all
// argument checking and a store lookup for the job tools.
func fuzzHandler(f *testing.F, handler func(*Service) func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error), seeds []string) {
	svc := fuzzService(f)
	h := handler(svc)
	for _, s := range append(seeds, trickyArgs...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req mcp.CallToolRequest
		req.Params.RawArguments = data
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := h(ctx, req)
		if err != nil || res == nil {
			t.Fatalf("a Go error (a bug) instead of a result: %v", err)
		}
		if !res.IsError && res.StructuredContent == nil {
			t.Fatalf("a result without structured content: %+v", res)
		}
	})
}

var jobSeeds = []string{
	`{"job_id": "j20260301-120000.000-1"}`, `{"job_id": "j1", "wait_s": 0.5}`, `{"job_id": "j1", "wait_s": 51}`, `{"job_id": ""}`,
	`{"status": "queued", "limit": 5}`, `{"status": "Running"}`, `{"status": "done", "limit": 201}`,
}

func FuzzJobStatusArgs(f *testing.F) {
	fuzzHandler(f, (*Service).JobStatusHandler, jobSeeds)
}

func FuzzJobResultArgs(f *testing.F) {
	fuzzHandler(f, (*Service).JobResultHandler, jobSeeds)
}

func FuzzCancelJobArgs(f *testing.F) {
	fuzzHandler(f, (*Service).CancelJobHandler, jobSeeds)
}

func FuzzListJobsArgs(f *testing.F) {
	fuzzHandler(f, (*Service).ListJobsHandler, jobSeeds)
}
