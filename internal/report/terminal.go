package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/exchange"
	"github.com/benchmcp/benchmcp/internal/record"
)

// RunPassRate is a run's pass rate as a percentage for a terminal table,
// "-" when it has none: no summary, or samples that carry no verdict (a
// throughput-only import).
func RunPassRate(r record.Run) string {
	s := r.Summary
	if s == nil || slices.Contains(r.Tags, exchange.ThroughputOnlyTag) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*s.PassRate)
}

// fieldTable writes "name  value" rows aligned for a terminal, leaving out
// empty values.
type fieldTable struct{ *tabwriter.Writer }

func newFieldTable(w io.Writer) fieldTable { return fieldTable{newTable(w)} }

func (t fieldTable) field(name, value string) {
	if value != "" {
		fmt.Fprintf(t, "%s\t%s\n", name, value)
	}
}

// newTable is a tabwriter for a terminal table.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// RunText writes a run for a terminal (benchmcp runs show): its fields and
// summary, its per-task table, a line per sample, and a line per sample
// the machine failed (not scored).
func RunText(w io.Writer, r record.Run, samples, faulted []record.Sample) error {
	t := newFieldTable(w)
	t.field("run", r.ID)
	t.field("status", string(r.Status))
	t.field("model", strings.Join(nonEmpty(r.Model, r.ModelInfo.ParameterSize, r.ModelInfo.Quantization), " "))
	t.field("host", strings.Join(nonEmpty(r.Host, r.HostURL, r.OllamaVersion), " "))
	t.field("benchmcp", r.BenchmcpVersion)
	t.field("suite", strings.Join(nonEmpty(r.Suite, r.SuiteHash), " "))
	t.field("iterations", fmt.Sprint(r.Iterations))
	t.field("tags", strings.Join(r.Tags, ", "))
	t.field("comparison", strings.Join(nonEmpty(r.ComparisonID, r.Label), " "))
	t.field("started", r.StartedAt.Local().Format(time.DateTime))
	if !r.EndedAt.IsZero() {
		t.field("ended", fmt.Sprintf("%s (%s)", r.EndedAt.Local().Format(time.DateTime), r.EndedAt.Sub(r.StartedAt).Round(time.Second)))
	}
	t.field("notes", r.Notes)
	t.field("error", r.Error)
	if sm := r.Summary; sm != nil {
		if slices.Contains(r.Tags, exchange.ThroughputOnlyTag) {
			t.field("pass rate", "- (throughput only: the samples neither pass nor fail)")
		} else {
			t.field("pass rate", fmt.Sprintf("%s (%d/%d, 95%% CI %.1f-%.1f%%, %d tasks worth %.0f independent samples)", RunPassRate(r), sm.Passed, sm.Samples, 100*sm.PassRateCI.Lo, 100*sm.PassRateCI.Hi, sm.TaskCount, sm.EffectiveN))
			if sm.Seeds != nil {
				replays := ""
				if sm.Replays {
					replays = " (pinned: the iterations are replays)"
				}
				t.field("seeds", fmt.Sprintf("%s %v%s", sm.Seeds.Mode, sm.Seeds.Seeds, replays))
			}
			if p := sm.Power; p != nil {
				t.field("detectable", fmt.Sprintf("%.0f points at 80%% power; %s", 100*p.MDE, p.Advice))
			}
			t.field("mean score", fmt.Sprintf("%.3f", sm.MeanScore))
		}
		t.field("latency", fmt.Sprintf("p50 %.0f ms, p95 %.0f ms; ttft p50 %.0f ms; %.1f tok/s", sm.LatencyP50Ms, sm.LatencyP95Ms, sm.TTFTP50Ms, sm.GenTPS))
		if sm.InFlight > 1.05 { // calls overlapped: what they achieved together
			t.field("throughput", fmt.Sprintf("%.0f tok/s, %.1f calls in flight on average", sm.ThroughputTPS, sm.InFlight))
		}
		if sm.Runaway+sm.Truncated+sm.Empty+sm.Errors > 0 {
			t.field("flags", fmt.Sprintf("%d runaway, %d truncated, %d empty, %d errors", sm.Runaway, sm.Truncated, sm.Empty, sm.Errors))
		}
		if m := bench.Machine(sm.Faults, sm.Retried); m != "" {
			t.field("machine", m)
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if r.Summary != nil && len(r.Summary.Tasks) > 0 {
		fmt.Fprintln(w)
		tw := newTable(w)
		fmt.Fprintln(tw, "TASK\tSAMPLES\tPASS\tSCORE\tP50 MS\tFLIP")
		for _, task := range r.Summary.Tasks {
			fmt.Fprintf(tw, "%s\t%d\t%.0f%%\t%.2f\t%.0f\t%.2f\n", task.ID, task.Samples, 100*task.PassRate, task.MeanScore, task.LatencyP50Ms, task.FlipRate)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n%d samples\n", len(samples))
	if len(samples) > 0 {
		tw := newTable(w)
		fmt.Fprintln(tw, "TASK\tITER\tPASS\tSCORE\tWALL MS\tOUTPUT")
		for _, smp := range samples {
			fmt.Fprintf(tw, "%s\t%d\t%v\t%.2f\t%.0f\t%s\n", smp.TaskID, smp.Iteration, smp.Pass, smp.Score, smp.WallMs, bench.Excerpt(smp, 60))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(faulted) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n%d sample(s) the machine failed: not scored, run again when the run is resumed\n", len(faulted))
	tw := newTable(w)
	fmt.Fprintln(tw, "TASK\tITER\tFAULT\tATTEMPTS\tERROR")
	for _, smp := range faulted {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\n", smp.TaskID, smp.Iteration, smp.Fault.Kind, smp.Fault.Attempts, smp.Fault.Error)
	}
	return tw.Flush()
}

// JobText writes a job's fields for a terminal (benchmcp jobs show).
func JobText(w io.Writer, j record.Job) error {
	t := newFieldTable(w)
	t.field("job", j.ID)
	t.field("kind", j.Kind)
	t.field("status", string(j.Status))
	t.field("host", j.Host)
	t.field("models", strings.Join(j.Models, ", "))
	t.field("progress", fmt.Sprintf("%d/%d %s", j.Done, j.Total, j.Message))
	t.field("runs", strings.Join(j.RunIDs, ", "))
	t.field("comparison", j.ComparisonID)
	t.field("created", j.CreatedAt.Local().Format(time.DateTime))
	if !j.EndedAt.IsZero() {
		t.field("ended", j.EndedAt.Local().Format(time.DateTime))
	}
	t.field("attempts", fmt.Sprint(j.Attempts))
	t.field("error", j.Error)
	var args map[string]any
	if json.Unmarshal(j.Args, &args) == nil {
		b, _ := json.Marshal(args)
		t.field("arguments", string(b))
	}
	return t.Flush()
}

// nonEmpty is ss without its empty strings.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// CallRow is one measured call of a model, for CallsTable.
type CallRow struct {
	Model  string
	Digest string
	record.Measurement
}

// CallsTable writes measured calls for a terminal (benchmcp demo): the
// answer, latencies, load, token counts and rates, digest and done reason.
func CallsTable(w io.Writer, rows []CallRow) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "MODEL\tANSWER\tTTFT MS\tWALL MS\tLOAD MS\tPROMPT TOK\tPROMPT TOK/S\tGEN TOK\tGEN TOK/S\tDIGEST\tDONE")
	for _, r := range rows {
		digest := strings.TrimPrefix(r.Digest, "sha256:")
		digest = digest[:min(12, len(digest))]
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%d\t%.0f\t%d\t%.0f\t%s\t%s\n",
			r.Model, bench.Excerpt(record.Sample{Measurement: r.Measurement}, 24), r.TTFTMs, r.WallMs, r.LoadMs, r.PromptTokens, r.PromptTPS,
			r.EvalTokens, r.GenTPS, digest, r.DoneReason)
	}
	return tw.Flush()
}
