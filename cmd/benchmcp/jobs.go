package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/tools"
)

// jobsCommand is `benchmcp jobs list|show|wait|cancel|work`: the jobs in the
// store. A running server holds the store; these commands work on it when
// no server does (`jobs work` runs the queue here).
func jobsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, jobsUsage)
		return 2
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("jobs "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	status := fs.String("status", "", "list: only jobs in this state")
	limit := fs.Int("limit", 0, "list: the most recent jobs (default 20)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return 2
	}
	needID := sub == "show" || sub == "wait" || sub == "cancel"
	if needID && len(pos) != 1 {
		fmt.Fprintf(stderr, "benchmcp jobs %s: give one job id (see `benchmcp jobs list`)\n", sub)
		return 2
	}
	switch sub {
	case "list", "show", "wait", "cancel", "work":
	default:
		fmt.Fprintf(stderr, "benchmcp jobs: unknown subcommand %q\n\n%s", sub, jobsUsage)
		return 2
	}
	open := c.service
	if sub == "list" || sub == "show" {
		open = c.readService // they only read: they work while a server runs
	}
	svc, closeFn, err := open()
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp jobs %s: %v\n", sub, err)
		return 1
	}
	defer closeFn()
	switch sub {
	case "list":
		res, err := svc.ListJobs(tools.ListJobsArgs{Status: *status, Limit: *limit})
		if err != nil {
			fmt.Fprintf(stderr, "benchmcp jobs list: %v\n", err)
			return 1
		}
		if *asJSON {
			return writeJSON(stdout, stderr, res)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "JOB\tKIND\tSTATUS\tDONE\tHOST\tRUNS\tCREATED")
		for _, j := range res.Jobs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.JobID, j.Kind, j.Status, j.Done, j.Total, j.Host, strings.Join(j.RunIDs, ","), j.CreatedAt.Local().Format("2006-01-02 15:04"))
		}
		tw.Flush()
		return 0
	case "show":
		j, err := svc.Store.GetJob(pos[0])
		if err != nil {
			fmt.Fprintf(stderr, "benchmcp jobs show: %v\n", err)
			return 1
		}
		if *asJSON {
			return writeJSON(stdout, stderr, j)
		}
		printJob(stdout, j)
		return 0
	case "cancel":
		j, err := svc.Store.GetJob(pos[0])
		if err != nil {
			fmt.Fprintf(stderr, "benchmcp jobs cancel: %v\n", err)
			return 1
		}
		if j.Status.Terminal() {
			fmt.Fprintf(stderr, "benchmcp jobs cancel: job %s is already %s; nothing to cancel\n", j.ID, j.Status)
			return 1
		}
		if _, err := svc.Store.UpdateJob(j.ID, func(s *record.Job) error {
			s.Status, s.EndedAt = record.JobCancelled, time.Now().UTC()
			return nil
		}); err != nil {
			fmt.Fprintf(stderr, "benchmcp jobs cancel: %v\n", err)
			return 1
		}
		msg := ""
		if len(j.RunIDs) > 0 {
			msg = fmt.Sprintf("; its run %s keeps its samples (`benchmcp run --resume %s` finishes it)", j.RunIDs[0], j.RunIDs[0])
		}
		fmt.Fprintf(stdout, "job %s cancelled%s\n", j.ID, msg)
		return 0
	}
	// wait and work run the queue in this process.
	var target string
	if sub == "wait" {
		target = pos[0]
		if _, err := svc.Store.GetJob(target); err != nil {
			fmt.Fprintf(stderr, "benchmcp jobs wait: %v\n", err)
			return 1
		}
	}
	last := time.Time{}
	err = svc.WorkQueue(ctx, func(j record.Job) {
		if time.Since(last) > time.Second || j.Status.Terminal() || j.Status == record.JobRunning {
			last = time.Now()
			fmt.Fprintf(stderr, "job %s (%s on %s): %s %d/%d %s\n", j.ID, j.Kind, j.Host, j.Status, j.Done, j.Total, j.Message)
		}
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "benchmcp jobs %s: %v\n", sub, err)
		return 1
	}
	if target == "" {
		return 0
	}
	j, err := svc.Store.GetJob(target)
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp jobs wait: %v\n", err)
		return 1
	}
	if *asJSON {
		return writeJSON(stdout, stderr, j)
	}
	if j.ResultText != "" {
		fmt.Fprint(stdout, j.ResultText)
	} else {
		printJob(stdout, j)
	}
	if j.Status != record.JobCompleted {
		return 1
	}
	return 0
}

func printJob(w io.Writer, j record.Job) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	field("job", j.ID)
	field("kind", j.Kind)
	field("status", string(j.Status))
	field("host", j.Host)
	field("models", strings.Join(j.Models, ", "))
	field("progress", fmt.Sprintf("%d/%d %s", j.Done, j.Total, j.Message))
	field("runs", strings.Join(j.RunIDs, ", "))
	field("comparison", j.ComparisonID)
	field("created", j.CreatedAt.Local().Format(time.DateTime))
	if !j.EndedAt.IsZero() {
		field("ended", j.EndedAt.Local().Format(time.DateTime))
	}
	field("attempts", fmt.Sprint(j.Attempts))
	field("error", j.Error)
	var args map[string]any
	if json.Unmarshal(j.Args, &args) == nil {
		b, _ := json.Marshal(args)
		field("arguments", string(b))
	}
	tw.Flush()
}

// runBackground stores a run as a queued job and says how it will run.
func runBackground(ctx context.Context, svc *tools.Service, a tools.RunBenchmarkArgs, db string, stdout, stderr io.Writer) int {
	j, err := svc.EnqueueRun(ctx, a)
	if err != nil {
		fmt.Fprintf(stderr, "benchmcp run: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "job %s queued in %s.\nIt runs when a server opens this store (`benchmcp serve`, which also resumes it after a crash), or now with `benchmcp jobs wait %s` (or `benchmcp jobs work` for the whole queue).\n", j.ID, db, j.ID)
	return 0
}

const jobsUsage = `benchmcp jobs: the job queue in the store.

  benchmcp jobs list [--status S] [--limit N] [--json]   jobs, newest first
  benchmcp jobs show ID [--json]                         one job
  benchmcp jobs wait ID [--json]                         run the queue here until job ID ends; print its result
  benchmcp jobs work                                     run every queued or interrupted job here, then exit
  benchmcp jobs cancel ID                                cancel a queued (or interrupted) job

A running server (benchmcp serve) holds the store and runs the jobs itself;
ask it with the job_status, job_result, cancel_job and list_jobs tools.
`
