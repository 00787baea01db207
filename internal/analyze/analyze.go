// Package analyze looks back over stored runs: per-run headline numbers,
// trends per (model, suite), each run against its baseline with a paired
// test, anomalies, and findings an agent can act on. It is pure: the caller
// selects the runs and their baselines and reads the samples SamplesNeeded
// names; the other runs' stored summaries stand for theirs.
package analyze

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
)

// Thresholds of the verdicts and anomalies.
const (
	// Alpha is the significance level of the paired pass-rate test.
	Alpha = 0.05
	// LatencyRegression is the latency p50 ratio (run / baseline) above
	// which a run is a latency regression; its inverse-side twin,
	// 2 - LatencyRegression, marks an improvement.
	LatencyRegression = 1.25
	// FlagShare is the share of a run's samples that, runaway, empty or
	// errored, makes the run an anomaly.
	FlagShare = 0.10
	// MinJudgeAgreement is the judge agreement below which a run is an anomaly.
	MinJudgeAgreement = 0.6
	// OutlierMADs is how many median absolute deviations from its (model,
	// suite) median a run's latency p50 must be to be an outlier.
	OutlierMADs = 3
	// MinOutlierRuns is the least number of runs of a (model, suite) for the
	// outlier test.
	MinOutlierRuns = 4
)

// Verdicts of a run against its baseline.
const (
	Regression   = "regression"
	Improvement  = "improvement"
	Stable       = "stable"
	Incomparable = "incomparable"
)

// Input is one run with its samples. Samples may be left out of a run
// whose stored summary is current (bench.Current) and that no paired test
// needs them for (SamplesNeeded).
type Input struct {
	Run     record.Run
	Samples []record.Sample
}

// Key names a (model, suite) series.
type Key struct{ Model, Suite string }

func keyOf(r record.Run) Key { return Key{r.Model, r.Suite} }

// RunRow is the headline of one run.
type RunRow struct {
	ID        string        `json:"id"`
	Model     string        `json:"model"`
	Suite     string        `json:"suite"`
	Status    record.Status `json:"status"`
	StartedAt time.Time     `json:"started_at"`
	record.Headline
	Tasks      int      `json:"tasks"`
	Iterations int      `json:"iterations"`
	Tags       []string `json:"tags,omitempty"`
}

// TrendPoint is one run in a trend.
type TrendPoint struct {
	RunID        string    `json:"run_id"`
	StartedAt    time.Time `json:"started_at"`
	PassRate     float64   `json:"pass_rate"`
	LatencyP50Ms float64   `json:"latency_p50_ms"`
}

// Trend is a (model, suite) series in time order.
type Trend struct {
	Model  string       `json:"model"`
	Suite  string       `json:"suite"`
	Points []TrendPoint `json:"points" jsonschema:"the runs, oldest first"`
	// PassRateChange and LatencyChange are last minus first (latency as a
	// ratio last/first); the directions are the sign of the least-squares slope.
	PassRateChange    float64 `json:"pass_rate_change" jsonschema:"last pass rate minus first"`
	PassRateDirection string  `json:"pass_rate_direction" jsonschema:"up, down or flat: sign of the least-squares slope over the runs"`
	LatencyRatio      float64 `json:"latency_ratio" jsonschema:"last latency p50 / first (0 when unknown)"`
	LatencyDirection  string  `json:"latency_direction" jsonschema:"up, down or flat"`
}

// Check is one run against its baseline.
type Check struct {
	RunID            string              `json:"run_id"`
	BaselineRunID    string              `json:"baseline_run_id"`
	Model            string              `json:"model"`
	Suite            string              `json:"suite"`
	PassRate         float64             `json:"pass_rate"`
	BaselinePassRate float64             `json:"baseline_pass_rate"`
	PassRateDiff     float64             `json:"pass_rate_diff" jsonschema:"run minus baseline"`
	Pairs            int                 `json:"pairs" jsonschema:"samples paired by (task, iteration)"`
	Tasks            int                 `json:"tasks" jsonschema:"tasks both runs did: the unit of the test"`
	Table            *stats.McNemarTable `json:"table,omitempty" jsonschema:"paired verdicts over (task, iteration) items, A = baseline, B = run (descriptive)"`
	DiffCI           *record.Interval    `json:"pass_rate_diff_ci,omitempty" jsonschema:"95% task-clustered interval of the paired per-task difference"`
	Test             string              `json:"test,omitempty" jsonschema:"mcnemar_exact (one iteration) or sign_flip_permutation (per-task differences)"`
	PValue           *float64            `json:"p_value,omitempty" jsonschema:"two-sided p of the paired test over tasks; absent without pairs"`
	MDE              float64             `json:"mde,omitempty" jsonschema:"smallest pass-rate difference this pair of runs detects with 80% power"`
	LatencyRatio     float64             `json:"latency_ratio" jsonschema:"latency p50 run / baseline (0 when unknown)"`
	Verdict          string              `json:"verdict" jsonschema:"regression, improvement, stable, or incomparable (the runs differ in digest, options, preamble, host, Ollama version or engine; see allow_differences)"`
	Reasons          []string            `json:"reasons,omitempty"`
	Differences      []compare.Mismatch  `json:"differences,omitempty" jsonschema:"how the run differs from its baseline besides results"`
}

// Anomaly is something wrong with one run.
type Anomaly struct {
	RunID  string `json:"run_id"`
	Model  string `json:"model"`
	Suite  string `json:"suite"`
	Kind   string `json:"kind" jsonschema:"runaway, empty, errors, reloads, judge_agreement or latency_outlier"`
	Reason string `json:"reason"`
}

// Result is the analysis of a selection of runs.
type Result struct {
	Runs        []RunRow  `json:"runs"`
	Trends      []Trend   `json:"trends"`
	Regressions []Check   `json:"regressions"`
	Anomalies   []Anomaly `json:"anomalies"`
	Findings    []string  `json:"findings"`
}

// Analyze analyses runs (any order). baselines gives the reference run of
// a (model, suite); a series without one is measured against its oldest
// run. A run is only compared with a baseline of the same suite hash, and
// only when they do not differ in digest, options, preamble, host or Ollama
// version unless allow names the difference (compare.Mismatches). A
// summary that is not current (bench.Current) is recomputed from the
// samples, so runs stored by older versions get today's statistics; a
// current one is what that would give, and is used as stored.
func Analyze(runs []Input, baselines map[Key]Input, allow []string) Result {
	runs = newestFirst(runs)
	for i := range runs {
		runs[i].Run.Summary = resummarize(runs[i])
	}
	baselines = maps.Clone(baselines)
	for k, b := range baselines {
		b.Run.Summary = resummarize(b)
		baselines[k] = b
	}
	res := Result{Runs: []RunRow{}, Trends: []Trend{}, Regressions: []Check{}, Anomalies: []Anomaly{}, Findings: []string{}}
	for _, in := range runs {
		res.Runs = append(res.Runs, row(in.Run))
	}
	keys, series := seriesOf(runs)
	skipped := map[Key]int{}
	for _, k := range keys {
		ser := series[k]
		res.Trends = append(res.Trends, trend(k, ser))
		base := baseOf(k, ser, baselines)
		for _, in := range ser {
			if in.Run.ID == base.Run.ID {
				continue
			}
			if in.Run.SuiteHash != base.Run.SuiteHash {
				skipped[k]++
				continue
			}
			res.Regressions = append(res.Regressions, Compare(base, in, allow))
		}
		res.Anomalies = append(res.Anomalies, anomalies(ser)...)
	}
	res.Findings = findings(res, keys, series, skipped)
	return res
}

// SamplesNeeded names the runs, of runs and baselines, whose samples
// Analyze needs: those whose stored summary is not current, to recompute
// it, and the runs of the pairs it tests whose summaries cannot stand in
// for their samples there (see Compare). The others may be given without
// samples, so that an analysis of current one-iteration runs reads none.
func SamplesNeeded(runs []Input, baselines map[Key]Input, allow []string) map[string]bool {
	need := map[string]bool{}
	for _, in := range runs {
		if !bench.Current(in.Run) {
			need[in.Run.ID] = true
		}
	}
	for _, b := range baselines {
		if !bench.Current(b.Run) {
			need[b.Run.ID] = true
		}
	}
	keys, series := seriesOf(newestFirst(runs))
	for _, k := range keys {
		base := baseOf(k, series[k], baselines)
		for _, in := range series[k] {
			if in.Run.ID == base.Run.ID || in.Run.SuiteHash != base.Run.SuiteHash {
				continue
			}
			if len(compare.Refused(compare.Mismatches([]record.Run{base.Run, in.Run}, allow))) > 0 {
				continue // incomparable: not tested
			}
			for _, r := range []record.Run{base.Run, in.Run} {
				if !tasksStandIn(r) {
					need[r.ID] = true
				}
			}
		}
	}
	return need
}

// resummarize is in's summary with this version's statistics.
func resummarize(in Input) *record.Summary {
	if bench.Current(in.Run) {
		return in.Run.Summary
	}
	return bench.Resummarize(in.Run, in.Samples)
}

// newestFirst is a copy of runs, newest StartedAt first.
func newestFirst(runs []Input) []Input {
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b Input) int { return b.Run.StartedAt.Compare(a.Run.StartedAt) })
	return runs
}

// seriesOf groups runs (newest first) by (model, suite): each series
// oldest first, the keys in order of their series' newest run.
func seriesOf(runs []Input) ([]Key, map[Key][]Input) {
	var keys []Key
	series := map[Key][]Input{}
	for i := len(runs) - 1; i >= 0; i-- {
		k := keyOf(runs[i].Run)
		if _, ok := series[k]; !ok {
			keys = append(keys, k)
		}
		series[k] = append(series[k], runs[i])
	}
	slices.SortStableFunc(keys, func(a, b Key) int {
		s := series
		return s[b][len(s[b])-1].Run.StartedAt.Compare(s[a][len(s[a])-1].Run.StartedAt)
	})
	return keys, series
}

// baseOf is the baseline of series k: the given one, else its oldest run.
func baseOf(k Key, ser []Input, baselines map[Key]Input) Input {
	if base, ok := baselines[k]; ok {
		return base
	}
	return ser[0]
}

func row(r record.Run) RunRow {
	out := RunRow{ID: r.ID, Model: r.Model, Suite: r.Suite, Status: r.Status, StartedAt: r.StartedAt, Tags: r.Tags}
	if s := r.Summary; s != nil {
		out.Headline, out.Tasks, out.Iterations = s.Headline, s.TaskCount, s.Iterations
	}
	return out
}

func summary(r record.Run) record.Summary {
	if r.Summary == nil {
		return record.Summary{}
	}
	return *r.Summary
}

func trend(k Key, ser []Input) Trend {
	t := Trend{Model: k.Model, Suite: k.Suite}
	var pass, lat []float64
	for _, in := range ser {
		s := summary(in.Run)
		t.Points = append(t.Points, TrendPoint{RunID: in.Run.ID, StartedAt: in.Run.StartedAt, PassRate: s.PassRate, LatencyP50Ms: s.LatencyP50Ms})
		pass, lat = append(pass, s.PassRate), append(lat, s.LatencyP50Ms)
	}
	first, last := t.Points[0], t.Points[len(t.Points)-1]
	t.PassRateChange = last.PassRate - first.PassRate
	t.LatencyRatio = stats.Ratio(first.LatencyP50Ms, last.LatencyP50Ms)
	t.PassRateDirection = direction(slope(pass), 0.005)
	// Latency slope relative to its median, so that 1% per run is "flat".
	t.LatencyDirection = direction(slope(lat), 0.01*stats.Median(lat))
	return t
}

// slope is the least-squares slope of ys against their index.
func slope(ys []float64) float64 {
	n := float64(len(ys))
	if n < 2 {
		return 0
	}
	mx := (n - 1) / 2
	my := stats.Mean(ys)
	var num, den float64
	for i, y := range ys {
		dx := float64(i) - mx
		num += dx * (y - my)
		den += dx * dx
	}
	return num / den
}

func direction(slope, eps float64) string {
	switch {
	case slope > eps:
		return "up"
	case slope < -eps:
		return "down"
	}
	return "flat"
}

// Compare measures run against base: the pass-rate difference paired by
// task (per task, the difference of the two runs' pass rates over the
// iterations both did) with its clustered interval and test (exact McNemar
// at one iteration, a sign-flip permutation test otherwise), and the
// latency p50 ratio, and gives the verdict. Runs that differ in a way
// allow does not name are incomparable and not tested. A run of one
// iteration with a current summary and no samples is paired by its
// per-task verdicts (Summary.Tasks), which are then all its data; at more
// iterations a summary does not say which iterations passed, so its
// (task, iteration) pairs need the samples.
func Compare(base, run Input, allow []string) Check {
	bs, rs := summary(base.Run), summary(run.Run)
	c := Check{
		RunID: run.Run.ID, BaselineRunID: base.Run.ID, Model: run.Run.Model, Suite: run.Run.Suite,
		PassRate: rs.PassRate, BaselinePassRate: bs.PassRate, PassRateDiff: rs.PassRate - bs.PassRate,
		LatencyRatio: stats.Ratio(bs.LatencyP50Ms, rs.LatencyP50Ms),
	}
	c.Differences = compare.Mismatches([]record.Run{base.Run, run.Run}, allow)
	if refused := compare.Refused(c.Differences); len(refused) > 0 {
		c.Verdict = Incomparable
		for _, m := range refused {
			c.Reasons = append(c.Reasons, fmt.Sprintf("%s: %s (%s)", m.Field, m.Reason, strings.Join(m.Values, "; ")))
		}
		return c
	}
	p := compare.Pair(compare.Variant{Label: "baseline", Samples: pairSamples(base)}, compare.Variant{Label: "run", Samples: pairSamples(run)})
	if c.Pairs, c.Tasks = p.Pairs, p.Tasks; c.Pairs > 0 {
		t, pv, ci := p.Table, p.PValue, p.PassRate.CI
		c.Table, c.PValue, c.DiffCI, c.Test, c.MDE = &t, &pv, &ci, p.Test, p.Power.MDE
	}
	var worse, better []string
	if c.PValue != nil && *c.PValue < Alpha {
		msg := fmt.Sprintf("pass rate %+.0f points (95%% CI %+.0f to %+.0f; paired p=%.3g on %d tasks)", 100*p.PassRate.Diff, 100*p.PassRate.CI.Lo, 100*p.PassRate.CI.Hi, *c.PValue, c.Tasks)
		switch {
		case p.PassRate.Diff < 0:
			worse = append(worse, msg)
		case p.PassRate.Diff > 0:
			better = append(better, msg)
		}
	}
	if c.LatencyRatio > LatencyRegression {
		worse = append(worse, fmt.Sprintf("latency p50 ×%.2f", c.LatencyRatio))
	} else if c.LatencyRatio > 0 && c.LatencyRatio < 2-LatencyRegression {
		better = append(better, fmt.Sprintf("latency p50 ×%.2f", c.LatencyRatio))
	}
	switch {
	case len(worse) > 0:
		c.Verdict, c.Reasons = Regression, append(worse, better...)
	case len(better) > 0:
		c.Verdict, c.Reasons = Improvement, better
	default:
		c.Verdict = Stable
	}
	return c
}

// tasksStandIn reports whether r's per-task summaries can stand in for its
// samples in a pair: its summary is current and of one iteration, so that
// each task's one sample is iteration 1 and its verdict is the task's pass
// rate.
func tasksStandIn(r record.Run) bool {
	return bench.Current(r) && r.Iterations == 1 && r.Summary.Iterations == 1 && len(r.Summary.Tasks) == r.Summary.TaskCount
}

// pairSamples are what Compare pairs of in: its samples, or when it has
// none and tasksStandIn, per task its verdict and score at iteration 1,
// which is all that Compare's test reads of them.
func pairSamples(in Input) []record.Sample {
	if len(in.Samples) > 0 || !tasksStandIn(in.Run) {
		return in.Samples
	}
	out := make([]record.Sample, 0, len(in.Run.Summary.Tasks))
	for _, t := range in.Run.Summary.Tasks {
		out = append(out, record.Sample{RunID: in.Run.ID, TaskID: t.ID, Category: t.Category, Iteration: 1, Pass: t.Passed > 0, Score: t.MeanScore})
	}
	return out
}

// anomalies finds what is wrong with the runs of one series (oldest first).
func anomalies(ser []Input) []Anomaly {
	var out []Anomaly
	add := func(r record.Run, kind, format string, args ...any) {
		out = append(out, Anomaly{RunID: r.ID, Model: r.Model, Suite: r.Suite, Kind: kind, Reason: fmt.Sprintf(format, args...)})
	}
	var lat []float64
	for _, in := range ser {
		lat = append(lat, summary(in.Run).LatencyP50Ms)
	}
	med := stats.Median(lat)
	var dev []float64
	for _, x := range lat {
		dev = append(dev, math.Abs(x-med))
	}
	// A floor of 1% of the median keeps identical runs from making any
	// difference an outlier.
	mad := max(stats.Median(dev), 0.01*med)
	for i := len(ser) - 1; i >= 0; i-- {
		r := ser[i].Run
		if r.Summary == nil {
			continue
		}
		s := *r.Summary
		if n := s.Samples; n > 0 {
			for _, f := range []struct {
				kind, what string
				count      int
			}{{"runaway", "runaway (stopped by the circuit breaker)", s.Runaway}, {"empty", "empty answers", s.Empty}, {"errors", "errors", s.Errors}} {
				if share := float64(f.count) / float64(n); share >= FlagShare {
					add(r, f.kind, "%d of %d samples (%s) were %s", f.count, n, pctf(share), f.what)
				}
			}
		}
		if m := bench.Machine(s.Faults, s.Retried); m != "" {
			add(r, "machine", "%s", m)
		}
		if s.Reloads > 0 {
			add(r, "reloads", "the model was reloaded during the run (%d calls paid a load; their latency includes it)", s.Reloads)
		}
		if s.JudgeAgreement != nil && *s.JudgeAgreement < MinJudgeAgreement {
			add(r, "judge_agreement", "the LLM judge agreed with the deterministic checks on only %s of samples", pctf(*s.JudgeAgreement))
		}
		if len(ser) >= MinOutlierRuns && mad > 0 && math.Abs(lat[i]-med) > OutlierMADs*mad {
			add(r, "latency_outlier", "latency p50 %.0f ms is %.1f median absolute deviations from the median %.0f ms of %d runs", lat[i], math.Abs(lat[i]-med)/mad, med, len(ser))
		}
	}
	return out
}

func pctf(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

// findings are short sentences an agent can act on.
func findings(res Result, keys []Key, series map[Key][]Input, skipped map[Key]int) []string {
	var out []string
	// Per suite, each series' latest run against the best latest run.
	bySuite := map[string][]record.Run{}
	var suites []string
	for _, k := range keys {
		ser := series[k]
		if _, ok := bySuite[k.Suite]; !ok {
			suites = append(suites, k.Suite)
		}
		bySuite[k.Suite] = append(bySuite[k.Suite], ser[len(ser)-1].Run)
	}
	for _, suite := range suites {
		latest := bySuite[suite]
		slices.SortStableFunc(latest, func(a, b record.Run) int { return cmp.Compare(summary(b).PassRate, summary(a).PassRate) })
		best := latest[0]
		for i, r := range latest {
			s := summary(r)
			head := fmt.Sprintf("%s on %s: pass rate %s (95%% CI %.0f–%s)", r.Model, suite, pctf(s.PassRate), 100*s.PassRateCI.Lo, pctf(s.PassRateCI.Hi))
			switch {
			case len(latest) == 1:
				out = append(out, fmt.Sprintf("%s, latency p50 %.0f ms (latest run %s).", head, s.LatencyP50Ms, r.ID))
			case i == 0:
				out = append(out, fmt.Sprintf("%s, the best on %s (latest run %s).", head, suite, r.ID))
			default:
				gap := 100 * (summary(best).PassRate - s.PassRate)
				out = append(out, fmt.Sprintf("%s, %.0f points below %s.", head, gap, best.Model))
			}
		}
	}
	for _, c := range res.Regressions {
		if c.Verdict == Incomparable {
			out = append(out, fmt.Sprintf("%s on %s: run %s was not compared with baseline %s because they differ in more than results: %s. Set allow_differences to compare anyway, or pick a matching baseline.", c.Model, c.Suite, c.RunID, c.BaselineRunID, strings.Join(c.Reasons, "; ")))
			continue
		}
		if c.Verdict == Stable {
			continue
		}
		out = append(out, fmt.Sprintf("%s on %s: run %s is a %s against baseline %s: %s.", c.Model, c.Suite, c.RunID, c.Verdict, c.BaselineRunID, strings.Join(c.Reasons, "; ")))
	}
	for _, t := range res.Trends {
		if len(t.Points) < 3 {
			continue
		}
		if t.PassRateDirection != "flat" {
			out = append(out, fmt.Sprintf("%s on %s: pass rate trending %s over %d runs (%s to %s).", t.Model, t.Suite, t.PassRateDirection, len(t.Points), pctf(t.Points[0].PassRate), pctf(t.Points[len(t.Points)-1].PassRate)))
		}
	}
	for _, a := range res.Anomalies {
		out = append(out, fmt.Sprintf("run %s (%s on %s): %s.", a.RunID, a.Model, a.Suite, a.Reason))
	}
	for _, k := range keys {
		if n := skipped[k]; n > 0 {
			out = append(out, fmt.Sprintf("%s on %s: %d runs used a different version of the suite (suite hash) than the baseline and were not compared; set baseline_run_id to one of them.", k.Model, k.Suite, n))
		}
	}
	return out
}
