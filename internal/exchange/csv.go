package exchange

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// SampleColumns are the columns of samples.csv, one row per sample, named
// as the JSON fields of record.Run and record.Sample are (docs/exports.md).
var SampleColumns = []string{
	"run_id", "model", "host", "suite", "suite_hash", "label",
	"task_id", "category", "iteration", "seed", "started_at",
	"pass", "score", "wall_ms", "ttft_ms", "prompt_tokens", "eval_tokens", "gen_tps", "prompt_tps",
	"error", "output",
}

// SummaryColumns are the columns of summaries.csv, one row per run: the
// run's fields, then its stored summary's (empty for a run without one).
var SummaryColumns = []string{
	"id", "model", "host", "suite", "suite_hash", "label", "status", "started_at", "ended_at", "iterations", "tags",
	"samples", "passed", "pass_rate", "pass_rate_ci_lo", "pass_rate_ci_hi", "mean_score", "task_count",
	"latency_p50_ms", "latency_p95_ms", "ttft_p50_ms", "gen_tps", "prompt_tps", "errors", "reloads",
}

// CSV writes runs as two CSV tables, samples and summaries, for pandas
// and spreadsheets. Fields are quoted as RFC 4180 says, so outputs keep
// their newlines, quotes and commas whole.
type CSV struct {
	samples, summaries *csv.Writer
	header             bool
	// Samples counts the sample rows written.
	Samples int
}

// NewCSV returns a CSV writing sample rows to samples and run rows to summaries.
func NewCSV(samples, summaries io.Writer) *CSV {
	return &CSV{samples: csv.NewWriter(samples), summaries: csv.NewWriter(summaries)}
}

func (c *CSV) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	if err := c.samples.Write(SampleColumns); err != nil {
		return err
	}
	return c.summaries.Write(SummaryColumns)
}

// Write adds a run's row to summaries and its samples' rows to samples.
func (c *CSV) Write(r record.Run, samples []record.Sample) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	row := []string{
		r.ID, r.Model, r.Host, r.Suite, r.SuiteHash, r.Label, string(r.Status),
		csvTime(r.StartedAt), csvTime(r.EndedAt), strconv.Itoa(r.Iterations), strings.Join(r.Tags, ";"),
	}
	if sm := r.Summary; sm != nil {
		row = append(row,
			strconv.Itoa(sm.Samples), strconv.Itoa(sm.Passed), csvFloat(sm.PassRate),
			csvFloat(sm.PassRateCI.Lo), csvFloat(sm.PassRateCI.Hi), csvFloat(sm.MeanScore), strconv.Itoa(sm.TaskCount),
			csvFloat(sm.LatencyP50Ms), csvFloat(sm.LatencyP95Ms), csvFloat(sm.TTFTP50Ms),
			csvFloat(sm.GenTPS), csvFloat(sm.PromptTPS), strconv.Itoa(sm.Errors), strconv.Itoa(sm.Reloads))
	} else {
		row = append(row, make([]string, len(SummaryColumns)-len(row))...)
	}
	if err := c.summaries.Write(row); err != nil {
		return fmt.Errorf("summary row: %w", err)
	}
	for _, s := range samples {
		seed := ""
		if s.Seed != nil {
			seed = strconv.Itoa(*s.Seed)
		}
		err := c.samples.Write([]string{
			r.ID, r.Model, r.Host, r.Suite, r.SuiteHash, r.Label,
			s.TaskID, s.Category, strconv.Itoa(s.Iteration), seed, csvTime(s.StartedAt),
			strconv.FormatBool(s.Pass), csvFloat(s.Score), csvFloat(s.WallMs), csvFloat(s.TTFTMs),
			strconv.Itoa(s.PromptTokens), strconv.Itoa(s.EvalTokens), csvFloat(s.GenTPS), csvFloat(s.PromptTPS),
			s.Error, s.Output,
		})
		if err != nil {
			return fmt.Errorf("sample row %s#%d: %w", s.TaskID, s.Iteration, err)
		}
		c.Samples++
	}
	return nil
}

// Flush writes the headers (of empty tables too) and whatever is buffered,
// and returns the first error either table met.
func (c *CSV) Flush() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.samples.Flush()
	c.summaries.Flush()
	if err := c.samples.Error(); err != nil {
		return fmt.Errorf("samples.csv: %w", err)
	}
	if err := c.summaries.Error(); err != nil {
		return fmt.Errorf("summaries.csv: %w", err)
	}
	return nil
}

// csvFloat is the shortest decimal that reads back as x.
func csvFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// csvTime is RFC 3339 in UTC, empty for the zero time.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
