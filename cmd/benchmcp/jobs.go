package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/report"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
)

// jobsCommand is `benchmcp jobs list|show|wait|cancel|work`: the jobs in the
// store. A running server holds the store; these commands work on it when
// no server does (`jobs work` runs the queue here).
func jobsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, jobsUsage)
		return exit(2)
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
		return errFlags
	}
	switch sub {
	case "show", "wait", "cancel":
		if len(pos) != 1 {
			return inSub(sub, usagef("give one job id (see `benchmcp jobs list`)"))
		}
	case "list", "work":
	default:
		return &failure{code: 2, err: fmt.Errorf("unknown subcommand %q", sub), usage: func() { fmt.Fprint(stderr, "\n"+jobsUsage) }}
	}
	access := readWrite
	if sub == "list" || sub == "show" {
		access = readOnly // they only read: they work while a server runs
	}
	svc, closeFn, err := c.service(access)
	if err != nil {
		return inSub(sub, err)
	}
	defer closeFn()
	var j record.Job
	switch sub {
	case "list":
		res, err := svc.ListJobs(tools.ListJobsArgs{Status: *status, Limit: *limit})
		if err != nil {
			return inSub(sub, err)
		}
		if *asJSON {
			return writeJSON(stdout, res)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "JOB\tKIND\tSTATUS\tDONE\tHOST\tRUNS\tCREATED")
		for _, j := range res.Jobs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.JobID, j.Kind, j.Status, j.Done, j.Total, j.Host, strings.Join(j.RunIDs, ","), j.CreatedAt.Local().Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "show":
		j, err = svc.Store.GetJob(pos[0])
	case "cancel":
		return inSub(sub, cancelJob(svc.Store, pos[0], stdout))
	case "wait":
		j, err = waitJob(ctx, svc, pos[0], stderr)
	case "work":
		err = svc.WorkQueue(ctx, jobProgress(stderr))
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		return inSub(sub, err)
	}
	if err != nil {
		return inSub(sub, err)
	}
	if *asJSON {
		return writeJSON(stdout, j)
	}
	if sub == "wait" && j.ResultText != "" {
		fmt.Fprint(stdout, j.ResultText)
	} else if err := report.JobText(stdout, j); err != nil {
		return err
	}
	if sub == "wait" && j.Status != record.JobCompleted {
		return exit(1)
	}
	return nil
}

// cancelJob cancels a job that has not ended.
func cancelJob(st *memory.Store, id string, stdout io.Writer) error {
	j, err := st.GetJob(id)
	if err != nil {
		return err
	}
	if j.Status.Terminal() {
		return fmt.Errorf("job %s is already %s; nothing to cancel", j.ID, j.Status)
	}
	if _, err := st.UpdateJob(j.ID, func(s *record.Job) error {
		s.Status, s.EndedAt = record.JobCancelled, time.Now().UTC()
		return nil
	}); err != nil {
		return fmt.Errorf("cancel job %s: %w", j.ID, err)
	}
	msg := ""
	if len(j.RunIDs) > 0 {
		msg = fmt.Sprintf("; its run %s keeps its samples (`benchmcp run --resume %s` finishes it)", j.RunIDs[0], j.RunIDs[0])
	}
	fmt.Fprintf(stdout, "job %s cancelled%s\n", j.ID, msg)
	return nil
}

// waitJob runs the queue in this process until job id has ended, and
// returns it as it ended.
func waitJob(ctx context.Context, svc *tools.Service, id string, stderr io.Writer) (record.Job, error) {
	if _, err := svc.Store.GetJob(id); err != nil {
		return record.Job{}, err
	}
	if err := svc.WorkQueue(ctx, jobProgress(stderr)); err != nil && !errors.Is(err, context.Canceled) {
		return record.Job{}, err
	}
	return svc.Store.GetJob(id)
}

// jobProgress prints the state of the jobs the queue runs, at most about
// once a second for each running job.
func jobProgress(stderr io.Writer) func(record.Job) {
	last := time.Time{}
	return func(j record.Job) {
		if time.Since(last) > time.Second || j.Status.Terminal() || j.Status == record.JobRunning {
			last = time.Now()
			fmt.Fprintf(stderr, "job %s (%s on %s): %s %d/%d %s\n", j.ID, j.Kind, j.Host, j.Status, j.Done, j.Total, j.Message)
		}
	}
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
