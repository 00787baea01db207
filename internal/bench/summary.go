package bench

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/stats"
	"github.com/benchmcp/benchmcp/internal/suite"
)

// BootstrapResamples and BootstrapSeed fix the bootstrap so that the same
// samples always give the same interval.
const (
	BootstrapResamples = 2000
	BootstrapSeed      = 20261123
)

// SummaryVersion numbers the statistics Summarize computes; every summary
// it makes carries it (record.Summary.Version). Bump it with any change to
// Summarize that alters a stored number, so that readers trusting stored
// summaries (Current) recompute older ones from their samples.
const SummaryVersion = 2

// Current reports whether a run's stored summary stands for its samples:
// made by this version's Summarize when the run last finished. A running
// or interrupted run may have samples newer than its summary (an
// interrupted one may have been resumed after an earlier finish), so its
// summary is never current.
func Current(r record.Run) bool {
	return r.Summary != nil && r.Summary.Version == SummaryVersion &&
		r.Status.Terminal() && r.Status != record.StatusInterrupted
}

// Summarize rolls samples up into the run summary: pass rate with a
// task-clustered Wilson interval, mean score with a bootstrap over tasks,
// latency and TTFT percentiles, medians of the other latencies and of the
// token rates (Ollama's and the stream's), failure counts, pass@k
// and pass^k, what the data can detect (Power), and the same per task (in
// suite order) and per category. Tasks, not calls, are the unit of
// independence: k identical iterations give the 1-iteration interval.
func Summarize(s suite.Suite, samples []record.Sample, wall time.Duration) record.Summary {
	sum := aggregate(samples)
	sum.WallSeconds = wall.Seconds()
	if wall > 0 {
		sum.PointsPerSecond = totalScore(samples) / wall.Seconds()
	}
	sum.JudgeAgreement = judgeAgreement(samples)
	sum.Funnel = Funnel(samples)
	sum.Criteria = Criteria(samples)

	byTask := map[string][]record.Sample{}
	var order []string
	for _, smp := range samples {
		if _, ok := byTask[smp.TaskID]; !ok {
			order = append(order, smp.TaskID)
		}
		byTask[smp.TaskID] = append(byTask[smp.TaskID], smp)
	}
	if len(s.Tasks) > 0 { // suite order; tasks without samples are left out
		order = order[:0]
		for _, t := range s.Tasks {
			if len(byTask[t.ID]) > 0 {
				order = append(order, t.ID)
			}
		}
	}
	var catOrder []string
	byCat := map[string][]record.Sample{}
	catFlips := map[string][]float64{}
	for _, id := range order {
		ts := byTask[id]
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].Iteration < ts[j].Iteration })
		category := ts[0].Category
		for _, t := range s.Tasks {
			if t.ID == id {
				category = t.Category
			}
		}
		row := taskRow(id, category, ts)
		sum.Tasks = append(sum.Tasks, row)
		if row.Distinct > 1 {
			sum.VariedTasks++
		}
		cat := category
		if cat == "" {
			cat = "(none)"
		}
		if _, ok := byCat[cat]; !ok {
			catOrder = append(catOrder, cat)
		}
		byCat[cat] = append(byCat[cat], ts...)
		catFlips[cat] = append(catFlips[cat], row.FlipRate)
	}
	for _, cat := range catOrder {
		row := taskRow(cat, cat, byCat[cat])
		row.FlipRate = stats.Mean(catFlips[cat])
		row.Excerpt, row.Distinct, row.PassAtK, row.PassHatK = "", 0, nil, nil
		sum.Categories = append(sum.Categories, row)
	}
	if sum.Tasks == nil {
		sum.Tasks = []record.TaskSummary{}
	}
	if sum.Categories == nil {
		sum.Categories = []record.TaskSummary{}
	}
	sum.PassK = passK(sum.Tasks)
	sum.Version = SummaryVersion
	return sum
}

// Resummarize recomputes a stored run's summary from its samples with the
// statistics of this version (older runs kept per-call intervals), keeping
// the run's measured wall time. A run without samples keeps its summary.
func Resummarize(run record.Run, samples []record.Sample) *record.Summary {
	if len(samples) == 0 {
		return run.Summary
	}
	var wall time.Duration
	if run.Summary != nil {
		wall = time.Duration(run.Summary.WallSeconds * float64(time.Second))
	}
	sum := Summarize(suite.Suite{}, samples, wall)
	SetSeeds(&sum, run.Seeds)
	SetCost(&sum, run.Price, samples)
	if prev := run.Summary; prev != nil {
		// What the scored samples cannot tell: the samples the machine
		// failed (not among them) with their retries, and the model's memory.
		sum.Faults, sum.Memory = prev.Faults, prev.Memory
		if prev.Retried != nil {
			sum.Retried = prev.Retried
		}
	}
	return &sum
}

// SetCost counts what the model's calls cost at price (nil: no price was
// given, and the summary has no cost): the run's and each task's. Judge
// calls are not counted; samples without token counts cost nothing.
func SetCost(sum *record.Summary, price *record.Price, samples []record.Sample) {
	if price == nil {
		return
	}
	c := &record.Cost{}
	byTask := map[string]float64{}
	for _, smp := range samples {
		usd := price.Cost(smp.PromptTokens, smp.EvalTokens)
		c.InputTokens += smp.PromptTokens
		c.OutputTokens += smp.EvalTokens
		c.USD += usd
		byTask[smp.TaskID] += usd
	}
	if len(byTask) > 0 {
		c.PerTaskUSD = c.USD / float64(len(byTask))
	}
	for i := range sum.Tasks {
		sum.Tasks[i].CostUSD = byTask[sum.Tasks[i].ID]
	}
	sum.Cost = c
}

// SetSeeds records how the iterations were seeded in a summary.
func SetSeeds(sum *record.Summary, seeds *record.SeedInfo) {
	sum.Seeds = seeds
	sum.Replays = seeds != nil && seeds.Mode == SeedsPinned && sum.Iterations > 1
}

// Clusters groups per-sample values by task, tasks in order of first
// appearance: the shape the clustered statistics take.
func Clusters(samples []record.Sample, value func(record.Sample) float64) [][]float64 {
	idx := map[string]int{}
	var out [][]float64
	for _, smp := range samples {
		i, ok := idx[smp.TaskID]
		if !ok {
			i = len(out)
			idx[smp.TaskID] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], value(smp))
	}
	return out
}

// PassValue is a sample's verdict as 1 or 0.
func PassValue(smp record.Sample) float64 {
	if smp.Pass {
		return 1
	}
	return 0
}

// ScoreValue is a sample's score.
func ScoreValue(smp record.Sample) float64 { return smp.Score }

// SampleValue is a sample's value on one measure and whether it counts:
// the rule a summary's median of that measure is taken by, so that other
// statistics of the same measure (a sweep's intervals) take the same samples.
type SampleValue func(record.Sample) (float64, bool)

// The measures whose medians a summary reports and a sweep compares.
var (
	// LatencyValue is the call's wall time; failed calls do not count.
	LatencyValue SampleValue = func(s record.Sample) (float64, bool) { return s.WallMs, s.Error == "" }
	// TTFTValue is the time to the first token, when there was one.
	TTFTValue SampleValue = func(s record.Sample) (float64, bool) { return s.TTFTMs, s.Error == "" && s.TTFTMs > 0 }
	// GenTPSValue is Ollama's generation rate; a runaway's (client-side estimate) does not count.
	GenTPSValue SampleValue = func(s record.Sample) (float64, bool) {
		return s.GenTPS, s.Error == "" && s.GenTPS > 0 && !s.Flags.Runaway
	}
	// PromptTPSValue is the prompt rate of a call whose prompt was not served from the cache.
	PromptTPSValue SampleValue = func(s record.Sample) (float64, bool) {
		return s.PromptTPS, s.Error == "" && s.PromptTPS > 0 && !s.Flags.PromptCached
	}
)

func appendValue(xs []float64, value SampleValue, s record.Sample) []float64 {
	if v, ok := value(s); ok {
		return append(xs, v)
	}
	return xs
}

func aggregate(samples []record.Sample) record.Summary {
	var sum record.Summary
	var scores, lat, ttft, ttfc, thinking, content, gen, stream, chunks, prompt, promptCached []float64
	for _, smp := range samples {
		sum.Samples++
		if smp.Pass {
			sum.Passed++
		}
		scores = append(scores, smp.Score)
		countRetries(&sum, smp.Retries)
		if smp.Error != "" {
			sum.Errors++
			continue
		}
		lat = appendValue(lat, LatencyValue, smp)
		ttft = appendValue(ttft, TTFTValue, smp)
		ttfc = appendPositive(ttfc, smp.TTFCMs)
		thinking = appendPositive(thinking, smp.FirstThinkingMs)
		content = appendPositive(content, smp.FirstContentMs)
		gen = appendValue(gen, GenTPSValue, smp)
		stream = appendPositive(stream, smp.StreamTPS)
		chunks = appendPositive(chunks, smp.StreamChunksPerS) // measured on the stream, a runaway's too
		prompt = appendValue(prompt, PromptTPSValue, smp)
		if smp.PromptTPS > 0 && smp.Flags.PromptCached {
			promptCached = append(promptCached, smp.PromptTPS)
		}
		if smp.Flags.Runaway {
			sum.Runaway++
		}
		if smp.Flags.Truncated {
			sum.Truncated++
		}
		if smp.Flags.Empty {
			sum.Empty++
		}
		if smp.Flags.Reloaded {
			sum.Reloads++
		}
	}
	if len(prompt) == 0 { // every prompt was served from the cache: report that rate, flagged by the samples
		prompt = promptCached
	}
	if sum.Samples > 0 {
		sum.PassRate = float64(sum.Passed) / float64(sum.Samples)
	}
	sorted := slices.Clone(samples)
	slices.SortStableFunc(sorted, func(a, b record.Sample) int { return strings.Compare(a.TaskID, b.TaskID) })
	pass := Clusters(sorted, PassValue)
	sum.TaskCount = len(pass)
	for _, c := range pass {
		sum.Iterations = max(sum.Iterations, len(c))
	}
	cr := stats.ClusteredWilson(pass, 0.95)
	sum.PassRateCI, sum.PassRateSE, sum.EffectiveN = cr.CI, cr.SE, cr.EffectiveN
	sum.Interval = "wilson"
	if sum.Iterations > 1 {
		sum.Interval = "wilson_clustered"
	}
	sum.MeanScore = stats.Mean(scores)
	sum.MeanScoreCI = stats.ClusterBootstrapMeanCI(Clusters(sorted, ScoreValue), BootstrapResamples, 0.95, BootstrapSeed)
	if sum.TaskCount > 0 {
		within, between, identified := stats.VarianceComponents(pass)
		p := RunPower(between, within, identified, sum.TaskCount, sum.Iterations, DefaultEffect)
		sum.Power = &p
	}
	sum.LatencyP50Ms = stats.Percentile(lat, 50)
	sum.LatencyP95Ms = stats.Percentile(lat, 95)
	sum.LatencyP99Ms = stats.Percentile(lat, 99)
	sum.TTFTP50Ms = stats.Percentile(ttft, 50)
	sum.TTFTP95Ms = stats.Percentile(ttft, 95)
	sum.TTFCP50Ms = stats.Percentile(ttfc, 50)
	sum.FirstThinkingP50Ms = stats.Percentile(thinking, 50)
	sum.FirstContentP50Ms = stats.Percentile(content, 50)
	sum.GenTPS = stats.Median(gen)
	sum.StreamTPS = stats.Median(stream)
	sum.StreamChunksPerS = stats.Median(chunks)
	sum.PromptTPS = stats.Median(prompt)
	tp := RunThroughput(samples)
	sum.ThroughputTPS, sum.InFlight = tp.TokensPerS, tp.InFlight
	return sum
}

// countRetries adds a sample's retried calls to a summary's count by kind.
func countRetries(sum *record.Summary, retries []record.Retry) {
	for _, r := range retries {
		if sum.Retried == nil {
			sum.Retried = map[string]int{}
		}
		sum.Retried[r.Kind]++
	}
}

// appendPositive appends x when it is set: a zero latency or rate means the
// sample had no such chunk, not that it took no time.
func appendPositive(xs []float64, x float64) []float64 {
	if x > 0 {
		return append(xs, x)
	}
	return xs
}

func taskRow(id, category string, samples []record.Sample) record.TaskSummary {
	row := record.TaskSummary{ID: id, Category: category, Samples: len(samples)}
	var scores, lat []float64
	var verdicts []bool
	for _, smp := range samples {
		if smp.Pass {
			row.Passed++
		}
		if smp.Error != "" {
			row.Errors++
		} else {
			lat = append(lat, smp.WallMs)
		}
		scores = append(scores, smp.Score)
		verdicts = append(verdicts, smp.Pass)
	}
	if row.Samples > 0 {
		row.PassRate = float64(row.Passed) / float64(row.Samples)
		row.Excerpt = Excerpt(samples[0], 80)
	}
	row.MeanScore = stats.Mean(scores)
	row.LatencyP50Ms = stats.Percentile(lat, 50)
	row.FlipRate = stats.FlipRate(verdicts)
	answers := map[string]bool{}
	for _, smp := range samples {
		answers[answerKey(smp)] = true
	}
	row.Distinct = len(answers)
	if n := row.Samples; n > 1 {
		at, hat := stats.PassAtK(n, row.Passed, n), stats.PassHatK(n, row.Passed, n)
		row.PassAtK, row.PassHatK = &at, &hat
	}
	return row
}

// answerKey is what a sample answered, to tell replays from new samples.
func answerKey(smp record.Sample) string {
	if smp.Error != "" {
		return "error: " + smp.Error
	}
	calls, _ := json.Marshal(smp.ToolCalls)
	return smp.Output + "\x00" + string(calls)
}

// maxPassKPoints bounds the pass@k curve in a summary.
const maxPassKPoints = 10

// passK is the mean over tasks of pass@k and pass^k for k = 1..n, n the
// fewest iterations any task has (every task must have k tries), at most
// maxPassKPoints values and always k = n. Empty when n < 2.
func passK(tasks []record.TaskSummary) []record.KPoint {
	n := 0
	for i, t := range tasks {
		if i == 0 || t.Samples < n {
			n = t.Samples
		}
	}
	if n < 2 {
		return nil
	}
	var out []record.KPoint
	for k := 1; k <= n; k++ {
		if k > maxPassKPoints-1 && k != n {
			continue
		}
		var at, hat float64
		for _, t := range tasks {
			at += stats.PassAtK(t.Samples, t.Passed, k)
			hat += stats.PassHatK(t.Samples, t.Passed, k)
		}
		m := float64(len(tasks))
		out = append(out, record.KPoint{K: k, PassAtK: at / m, PassHatK: hat / m})
	}
	return out
}

// Excerpt is a one-line, shortened rendering of what a sample answered.
func Excerpt(smp record.Sample, n int) string {
	var text string
	switch {
	case smp.Error != "":
		text = "error: " + smp.Error
	case len(smp.ToolCalls) > 0:
		args, _ := json.Marshal(smp.ToolCalls[0].Arguments)
		text = smp.ToolCalls[0].Name + " " + string(args)
	default:
		text = smp.Output
	}
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > n {
		text = string(r[:n-1]) + "…"
	}
	return text
}

func totalScore(samples []record.Sample) float64 {
	t := 0.0
	for _, smp := range samples {
		t += smp.Score
	}
	return t
}

// judgeAgreement is the share of samples, among those with both an
// llm_judge check and deterministic checks, where the judge's verdict equals
// the deterministic checks' joint verdict.
func judgeAgreement(samples []record.Sample) *float64 {
	agree, n := 0, 0
	for _, smp := range samples {
		var judged, judgePass bool
		det, detPass := 0, true
		for _, c := range smp.Checks {
			if c.Skipped {
				continue
			}
			if c.Type == "llm_judge" {
				judged, judgePass = true, c.Pass
				continue
			}
			det++
			detPass = detPass && c.Pass
		}
		if !judged || det == 0 {
			continue
		}
		n++
		if judgePass == detPass {
			agree++
		}
	}
	if n == 0 {
		return nil
	}
	share := float64(agree) / float64(n)
	return &share
}

// Criteria rolls up the judges' scores per rubric criterion over the
// samples (every llm_judge verdict with criteria, advisory ones too), in
// the order the criteria first appear.
func Criteria(samples []record.Sample) []record.CriterionSummary {
	var out []record.CriterionSummary
	idx := map[string]int{}
	for _, smp := range samples {
		for _, c := range smp.Checks {
			if c.Judge == nil {
				continue
			}
			for _, cs := range c.Judge.Criteria {
				i, ok := idx[cs.Name]
				if !ok {
					i = len(out)
					idx[cs.Name] = i
					out = append(out, record.CriterionSummary{Name: cs.Name, Weight: cs.Weight})
				}
				out[i].Samples++
				out[i].Mean += cs.Score
			}
		}
	}
	for i := range out {
		out[i].Mean /= float64(out[i].Samples)
		out[i].Points = out[i].Mean * out[i].Weight
	}
	return out
}

// Failure is one sample that did not pass, for a quick look at what went wrong.
type Failure struct {
	Task      string `json:"task"`
	Iteration int    `json:"iteration"`
	Answer    string `json:"answer"`
	Reason    string `json:"reason"`
}

// Failures lists up to n samples that did not pass, in order, each with
// why: the error, else the first failing check's reason, runaway first.
func Failures(samples []record.Sample, n int) []Failure {
	out := []Failure{}
	for _, smp := range samples {
		if smp.Pass || len(out) == n {
			continue
		}
		reason := smp.Error
		for _, c := range smp.Checks {
			if !c.Pass && !c.Skipped && !c.Advisory && reason == "" {
				reason = c.Type + ": " + c.Reason
			}
		}
		if smp.Flags.Runaway {
			reason = "runaway (" + smp.RunawayReason + "); " + reason
		}
		out = append(out, Failure{Task: smp.TaskID, Iteration: smp.Iteration, Answer: Excerpt(smp, 120), Reason: reason})
	}
	return out
}
