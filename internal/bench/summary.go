package bench

import (
	"encoding/json"
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

// Summarize rolls samples up into the run summary: pass rate with a Wilson
// interval, mean score with a bootstrap interval, latency and TTFT
// percentiles, median token rates, failure counts, and the same per task
// (in suite order) and per category.
func Summarize(s suite.Suite, samples []record.Sample, wall time.Duration) record.Summary {
	sum := aggregate(samples)
	sum.WallSeconds = wall.Seconds()
	if wall > 0 {
		sum.PointsPerSecond = totalScore(samples) / wall.Seconds()
	}
	sum.JudgeAgreement = judgeAgreement(samples)

	byTask := map[string][]record.Sample{}
	for _, smp := range samples {
		byTask[smp.TaskID] = append(byTask[smp.TaskID], smp)
	}
	var catOrder []string
	byCat := map[string][]record.Sample{}
	catFlips := map[string][]float64{}
	for _, t := range s.Tasks {
		ts := byTask[t.ID]
		if len(ts) == 0 {
			continue
		}
		sort.Slice(ts, func(i, j int) bool { return ts[i].Iteration < ts[j].Iteration })
		row := taskRow(t.ID, t.Category, ts)
		sum.Tasks = append(sum.Tasks, row)
		cat := t.Category
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
		row.Excerpt = ""
		sum.Categories = append(sum.Categories, row)
	}
	if sum.Tasks == nil {
		sum.Tasks = []record.TaskSummary{}
	}
	if sum.Categories == nil {
		sum.Categories = []record.TaskSummary{}
	}
	return sum
}

func aggregate(samples []record.Sample) record.Summary {
	var sum record.Summary
	var scores, lat, ttft, gen, prompt, promptCached []float64
	for _, smp := range samples {
		sum.Samples++
		if smp.Pass {
			sum.Passed++
		}
		scores = append(scores, smp.Score)
		if smp.Error != "" {
			sum.Errors++
			continue
		}
		lat = append(lat, smp.WallMs)
		if smp.TTFTMs > 0 {
			ttft = append(ttft, smp.TTFTMs)
		}
		if smp.GenTPS > 0 && !smp.Flags.Runaway {
			gen = append(gen, smp.GenTPS)
		}
		if smp.PromptTPS > 0 {
			if smp.Flags.PromptCached {
				promptCached = append(promptCached, smp.PromptTPS)
			} else {
				prompt = append(prompt, smp.PromptTPS)
			}
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
	sum.PassRateCI = stats.Wilson(sum.Passed, sum.Samples, 0.95)
	sum.MeanScore = stats.Mean(scores)
	sum.MeanScoreCI = stats.BootstrapMeanCI(scores, BootstrapResamples, 0.95, BootstrapSeed)
	sum.LatencyP50Ms = stats.Percentile(lat, 50)
	sum.LatencyP95Ms = stats.Percentile(lat, 95)
	sum.LatencyP99Ms = stats.Percentile(lat, 99)
	sum.TTFTP50Ms = stats.Percentile(ttft, 50)
	sum.TTFTP95Ms = stats.Percentile(ttft, 95)
	sum.GenTPS = stats.Median(gen)
	sum.PromptTPS = stats.Median(prompt)
	return sum
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
	return row
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
