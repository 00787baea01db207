package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/compare"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/tools"
	"github.com/google/go-cmp/cmp"
)

// TestSelfComparisonIsNotSignificant is the A/A check of issue 8, live: tiny-m
// against itself under two labels, 4 iterations at temperature 1, paired by
// seed. Whatever sampling noise there is, the test over tasks must not call it
// a difference, and replays must not pass for evidence.
func TestSelfComparisonIsNotSignificant(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	hot := map[string]any{"temperature": 1.0}
	var res tools.CompareModelsResult
	call := mc.call(ctx, t, "compare_models", map[string]any{
		"variants": []any{
			map[string]any{"label": "m-a", "model": "tiny-m", "options": hot},
			map[string]any{"label": "m-b", "model": "tiny-m", "options": hot},
		},
		"suite": "tiny", "iterations": 4,
	}, "")
	structured(t, call, &res)
	c := res.Comparisons[0]
	t.Logf("tiny-m vs itself, 4 iterations at temperature 1: diff %+.3f (CI %+.3f to %+.3f), %d discordant tasks of %d, p %.3g (%s), MDE %.3f",
		c.PassRate.Diff, c.PassRate.CI.Lo, c.PassRate.CI.Hi, c.DiscordantTasks, c.Tasks, c.PValue, c.Test, c.Power.MDE)
	if c.Significant || c.Verdict != compare.NoDifference || c.PValue < 0.05 {
		t.Errorf("tiny-m against itself: significant %v, verdict %q, p %v; want no clear difference", c.Significant, c.Verdict, c.PValue)
	}
	if c.Tasks != 36 || c.Pairs != 144 || c.Iterations != 4 || c.Test != compare.TestPermutation || !c.SameSeeds {
		t.Errorf("design: %d tasks, %d pairs, %d iterations, test %s, same seeds %v; want 36 x 4 paired by seed, permutation test", c.Tasks, c.Pairs, c.Iterations, c.Test, c.SameSeeds)
	}
	if !(c.PassRate.CI.Lo <= 0 && 0 <= c.PassRate.CI.Hi) {
		t.Errorf("the interval of a self-difference %+v excludes 0", c.PassRate.CI)
	}
	for _, v := range res.Variants {
		if v.Seeds == nil || v.Seeds.Mode != "drawn" || len(v.Seeds.Seeds) != 4 || v.Tasks != 36 || v.EffectiveN > 144 || v.EffectiveN < 36 {
			t.Errorf("%s: seeds %+v, %d tasks, n_eff %v", v.Label, v.Seeds, v.Tasks, v.EffectiveN)
		}
	}
	if !cmp.Equal(res.Variants[0].Seeds, res.Variants[1].Seeds) {
		t.Errorf("variants were not given the same seeds: %+v / %+v", res.Variants[0].Seeds, res.Variants[1].Seeds)
	}
	if md := text(call); !strings.Contains(md, "36 × 4") || !strings.Contains(md, "sign-flip") {
		t.Errorf("markdown does not show the design and test:\n%s", md)
	}

	// Paired seeds make a model's two labels sample alike, so the above has
	// no discordance to judge. Two runs with different fixed seeds do: tiny-s
	// at temperature 1 varies, and that noise must not be called a difference.
	var a, b tools.RunBenchmarkResult
	opts := map[string]any{"temperature": 1.0}
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-s", "suite": "tiny", "options": opts, "seeds": []any{11, 12, 13, 14}}, ""), &a)
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-s", "suite": "tiny", "options": opts, "seeds": []any{21, 22, 23, 24}}, ""), &b)
	var aa tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{"run_ids": []any{a.RunID, b.RunID}}, ""), &aa)
	n := aa.Comparisons[0]
	t.Logf("tiny-s vs itself, seeds 11-14 vs 21-24 at temperature 1: diff %+.3f (CI %+.3f to %+.3f), %d discordant tasks of %d, %d/%d discordant pairs, p %.3g",
		n.PassRate.Diff, n.PassRate.CI.Lo, n.PassRate.CI.Hi, n.DiscordantTasks, n.Tasks, n.Table.AOnly, n.Table.BOnly, n.PValue)
	if n.DiscordantTasks == 0 || n.SameSeeds {
		t.Errorf("seeds 11-14 and 21-24 gave no discordant task (same seeds %v): nothing was tested", n.SameSeeds)
	}
	if n.Significant || n.Verdict != compare.NoDifference {
		t.Errorf("tiny-s against itself with other seeds: significant %v, verdict %q, p %v", n.Significant, n.Verdict, n.PValue)
	}
}

// TestSeedsArgumentsOverStdio: seeds given as a list reach every sample and
// both variants; a plan costs nothing; bad seed arguments are refused before
// anything runs, saying what to give instead.
func TestSeedsArgumentsOverStdio(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var run tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "seeds": []any{42, 7, 13}}, ""), &run)
	s := run.Summary
	if s.Samples != 18 || s.Iterations != 3 || s.Seeds == nil || s.Seeds.Mode != "given" || !cmp.Equal(s.Seeds.Seeds, []int{42, 7, 13}) {
		t.Errorf("seeds [42 7 13]: %d samples, %d iterations, seeds %+v", s.Samples, s.Iterations, s.Seeds)
	}
	// Temperature 0 replays: 3 iterations keep the 1-iteration interval.
	if s.EffectiveN != 6 || s.Power == nil || len(s.PassK) != 3 {
		t.Errorf("n_eff %v (want 6 tasks), power %v, pass_k %v", s.EffectiveN, s.Power, s.PassK)
	}

	var plan tools.RunBenchmarkResult
	call := mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "suite": "tiny", "iterations": 4, "seed": 42, "plan": true, "effect": 0.2}, "")
	structured(t, call, &plan)
	if plan.Status != tools.StatusPlanned || plan.RunID != "" || plan.Plan == nil {
		t.Fatalf("plan: status %s run %q plan %v", plan.Status, plan.RunID, plan.Plan)
	}
	p := plan.Plan
	if p.Tasks != 36 || p.Iterations != 4 || p.Calls != 144 || p.Seeds.Mode != "derived" || len(p.Seeds.Seeds) != 4 || p.Power.Effect != 0.2 || p.Power.MDE <= 0 || len(p.Power.Table) == 0 {
		t.Errorf("plan %+v", p)
	}
	// The stored run of another suite is no evidence for the tiny suite.
	if p.Power.Basis != "assumed" {
		t.Errorf("plan basis %q, want assumed (no stored run of the tiny suite)", p.Power.Basis)
	}
	if md := text(call); !strings.Contains(md, "Nothing was run") || !strings.Contains(md, "Minimum detectable difference") {
		t.Errorf("plan markdown:\n%s", md)
	}

	// A comparison plan: two variants, same seeds.
	var cplan tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{
		"variants": []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-m"}}, "tasks": quickTasks(), "seeds": []any{1, 2}, "plan": true,
	}, ""), &cplan)
	if cplan.Plan == nil || cplan.Plan.Calls != 24 || cplan.Plan.Variants != 2 || cplan.Status != tools.StatusPlanned {
		t.Errorf("compare plan %+v", cplan.Plan)
	}
	// That plan found the stored run of these tasks and used its variance.
	if !strings.HasPrefix(cplan.Plan.Power.Basis, "observed in run "+run.RunID) {
		t.Errorf("compare plan basis %q, want the stored run %s", cplan.Plan.Power.Basis, run.RunID)
	}
}

func TestBadSeedArgumentsStoreNothing(t *testing.T) {
	mc := startStdio(t, "")
	ctx := context.Background()
	two := []any{map[string]any{"model": "tiny-s"}, map[string]any{"model": "tiny-m"}}
	mc.wantErrorsStoreNothing(ctx, t, "run_benchmark", []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"model": "tiny-m", "iterations": 4, "seeds": []any{1, 2, 3}}, "seeds has 3 values but iterations is 4"},
		{map[string]any{"model": "tiny-m", "seed": 1, "seeds": []any{1}}, "either seed"},
		{map[string]any{"model": "tiny-m", "seed": 1.5}, "whole number"},
		{map[string]any{"model": "tiny-m", "seeds": []any{1, 2.5}}, "whole number"},
		{map[string]any{"model": "tiny-m", "options": map[string]any{"seed": 2.5}}, "must be an integer"},
		{map[string]any{"model": "tiny-m", "options": map[string]any{"seed": 3}, "seeds": []any{1}}, "pins every iteration"},
		{map[string]any{"model": "tiny-m", "seeds": []any{-1}}, "cannot be replayed"},
		{map[string]any{"model": "tiny-m", "plan": true, "effect": 1.5}, "effect"},
	})
	mc2 := startStdio(t, "")
	mc2.wantErrorsStoreNothing(ctx, t, "compare_models", []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"variants": two, "iterations": 2, "seeds": []any{1}}, "seeds has 1 values but iterations is 2"},
		{map[string]any{"variants": two, "seed": 1, "seeds": []any{1}}, "either seed"},
		{map[string]any{"variants": two, "seed": "x"}, "whole number"},
		{map[string]any{"variants": []any{map[string]any{"model": "tiny-s", "options": map[string]any{"seed": 4}}, map[string]any{"model": "tiny-m"}}, "seed": 3}, "pins every iteration"},
		{map[string]any{"run_ids": []any{"a", "b"}, "allow_differences": []any{"colour"}}, "allow_differences"},
		{map[string]any{"variants": two, "allow_differences": []any{"options"}}, "applies to run_ids"},
	})
}

// TestRunIDsComparabilityGuard: stored runs that differ in options are
// refused with what differs and how to compare anyway; allowed, they compare.
func TestRunIDsComparabilityGuard(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var a, b tools.RunBenchmarkResult
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks()}, ""), &a)
	structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "options": map[string]any{"num_ctx": 256}}, ""), &b)
	res := mc.call(ctx, t, "compare_models", map[string]any{"run_ids": []any{a.RunID, b.RunID}}, "")
	if !res.IsError || !strings.Contains(text(res), "options") || !strings.Contains(text(res), `allow_differences: ["options"]`) || !strings.Contains(text(res), "num_ctx") {
		t.Errorf("runs with different options: isError %v, %q", res.IsError, text(res))
	}
	var ok tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{"run_ids": []any{a.RunID, b.RunID}, "allow_differences": []any{"options"}}, ""), &ok)
	// Both differences are listed: options (allowed) and the drawn seeds (always allowed).
	if len(ok.Differences) != 2 || ok.Differences[0].Field != "options" || !ok.Differences[0].Allowed || ok.Differences[1].Field != "seeds" || len(ok.Comparisons) != 1 {
		t.Errorf("allowed: differences %+v, %d comparisons", ok.Differences, len(ok.Comparisons))
	}
	// analyze_results: the second run against the first is incomparable by default.
	var an tools.AnalyzeResultsResult
	structured(t, mc.call(ctx, t, "analyze_results", map[string]any{"model": "tiny-m", "baseline_run_id": a.RunID}, ""), &an)
	if len(an.Regressions) != 1 || an.Regressions[0].Verdict != "incomparable" {
		t.Errorf("analyze regressions %+v", an.Regressions)
	}
	structured(t, mc.call(ctx, t, "analyze_results", map[string]any{"model": "tiny-m", "baseline_run_id": a.RunID, "allow_differences": []any{"options"}}, ""), &an)
	if len(an.Regressions) != 1 || an.Regressions[0].Verdict == "incomparable" || an.Regressions[0].Tasks != 6 {
		t.Errorf("analyze with allow_differences: %+v", an.Regressions)
	}
}

// TestLoadOptionVariantsDoNotReload: two variants of one model that differ
// in num_ctx (a load-time option) run one after the other, each after its
// own warm-up, so no measured call pays a model reload; interleaved, every
// call would. From a server holding no model, Ollama starts exactly two
// runners, one per num_ctx.
func TestLoadOptionVariantsDoNotReload(t *testing.T) {
	srv := ollamatest.Get(t)
	unloadAll(t)
	mark := srv.LogMark()
	mc := startStdio(t, "")
	ctx := context.Background()
	var res tools.CompareModelsResult
	structured(t, mc.call(ctx, t, "compare_models", map[string]any{
		"variants": []any{
			map[string]any{"label": "ctx256", "model": "tiny-m", "options": map[string]any{"num_ctx": 256}},
			map[string]any{"label": "ctx512", "model": "tiny-m", "options": map[string]any{"num_ctx": 512}},
		},
		"tasks": quickTasks(), "iterations": 3,
	}, ""), &res)
	if loads := srv.LoadsSince(mark); loads != 2 {
		t.Errorf("ollama started %d runners for two num_ctx variants run from a server holding no model; want 2 (one per num_ctx: no timed call reloaded)", loads)
	}
	for _, v := range res.Variants {
		t.Logf("%s: %d samples, %d calls flagged reloaded, TTFT p50 %.1f ms", v.Label, v.Samples, v.Reloads, v.TTFTP50Ms)
		if v.Samples != 18 {
			t.Errorf("%s: %d samples; want 18", v.Label, v.Samples)
		}
	}
	// A misspelt option is refused before anything runs, with the likely name.
	bad := mc.call(ctx, t, "run_benchmark", map[string]any{"model": "tiny-m", "tasks": quickTasks(), "options": map[string]any{"num_ctxx": 4096}}, "")
	if !bad.IsError || !strings.Contains(text(bad), "did you mean num_ctx?") {
		t.Errorf("options.num_ctxx: isError %v, %q", bad.IsError, text(bad))
	}
}
