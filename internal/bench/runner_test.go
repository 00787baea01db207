package bench_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

func newRunner(t *testing.T) (*bench.Runner, *memory.Store) {
	t.Helper()
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &bench.Runner{Exec: ollamatest.Executor(t), Store: st}, st
}

func tinySuite(t *testing.T) suite.Suite {
	s, ok := suite.Builtin("tiny")
	if !ok {
		t.Fatal("no tiny suite")
	}
	return s
}

func runSuite(t *testing.T, r *bench.Runner, cfg bench.Config) record.Run {
	t.Helper()
	s, err := r.Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Begin(nil, nil); err != nil {
		t.Fatal(err)
	}
	run, err := s.Execute(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestTinySuiteSeparatesModels(t *testing.T) {
	r, st := newRunner(t)
	m := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: tinySuite(t)})
	s := runSuite(t, r, bench.Config{Model: "tiny-s", Suite: tinySuite(t)})
	if m.Status != record.StatusCompleted || s.Status != record.StatusCompleted {
		t.Fatalf("status %s / %s", m.Status, s.Status)
	}
	t.Logf("tiny-m pass %.2f, tiny-s pass %.2f, judge agreement m=%v", m.Summary.PassRate, s.Summary.PassRate, *m.Summary.JudgeAgreement)
	if m.Summary.PassRate < 0.8 || m.Summary.PassRate < s.Summary.PassRate+0.25 {
		t.Errorf("tiny-m pass rate %.2f should be high and well above tiny-s's %.2f", m.Summary.PassRate, s.Summary.PassRate)
	}
	if m.Summary.PassRateCI.Lo > m.Summary.PassRate || m.Summary.PassRateCI.Hi < m.Summary.PassRate {
		t.Errorf("interval %+v does not hold %.2f", m.Summary.PassRateCI, m.Summary.PassRate)
	}
	if m.Summary.JudgeAgreement == nil || *m.Summary.JudgeAgreement < 0.5 {
		t.Errorf("judge agreement %v", m.Summary.JudgeAgreement)
	}
	// A real run fills the latency medians; the fixture models do not think.
	if sm := m.Summary; sm.TTFCP50Ms <= 0 || sm.FirstContentP50Ms <= 0 || sm.StreamTPS <= 0 || sm.FirstThinkingP50Ms != 0 {
		t.Errorf("latency medians: ttfc %v, first content %v, stream %v tok/s, first thinking %v", sm.TTFCP50Ms, sm.FirstContentP50Ms, sm.StreamTPS, sm.FirstThinkingP50Ms)
	}
	samples, err := st.Samples(m.ID)
	if err != nil || len(samples) != len(tinySuite(t).Tasks) {
		t.Fatalf("stored %d samples, err %v", len(samples), err)
	}
	var judged int
	for _, smp := range samples {
		for _, c := range smp.Checks {
			if c.Type == "llm_judge" {
				judged++
				if c.Judge == nil || c.Judge.Model != "tiny-judge" || c.Judge.Prompt == "" || c.Judge.Raw == "" {
					t.Errorf("judge verdict not stored on %s: %+v", smp.TaskID, c.Judge)
				}
			}
		}
	}
	if judged == 0 {
		t.Error("no llm_judge check ran")
	}
	if m.ModelInfo.Digest == "" || m.OllamaVersion == "" || m.SuiteHash == "" {
		t.Errorf("environment missing: %+v", m)
	}
}

func TestCancelThenResume(t *testing.T) {
	r, st := newRunner(t)
	cfg := bench.Config{Model: "tiny-m", Suite: tinySuite(t), Iterations: 2}
	s, err := r.Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Begin(nil, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run, err := s.Execute(ctx, func(done, total int, smp record.Sample) {
		if done == 10 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != record.StatusCancelled {
		t.Fatalf("status %s, want cancelled", run.Status)
	}
	kept, _ := st.Samples(run.ID)
	if len(kept) < 10 || len(kept) >= s.Total() {
		t.Fatalf("cancelled run kept %d samples", len(kept))
	}
	s2, err := r.Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := st.GetRun(run.ID)
	if err := s2.Begin(&prev, kept); err != nil {
		t.Fatal(err)
	}
	if got := len(s2.Jobs()); got != s2.Total()-len(kept) {
		t.Fatalf("resume would redo work: %d jobs left for %d missing", got, s2.Total()-len(kept))
	}
	run2, err := s2.Execute(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := st.Samples(run.ID)
	if run2.ID != run.ID || run2.Status != record.StatusCompleted || len(all) != s2.Total() || run2.Summary.Samples != s2.Total() {
		t.Errorf("resumed run %s status %s with %d samples (summary %d), want %d", run2.ID, run2.Status, len(all), run2.Summary.Samples, s2.Total())
	}
}

func TestPrepareRejectsBadInput(t *testing.T) {
	r, st := newRunner(t)
	ctx := context.Background()
	_, err := r.Prepare(ctx, bench.Config{Model: "tiny-x", Suite: tinySuite(t)})
	if !errors.Is(err, executor.ErrModelNotFound) {
		t.Errorf("unknown model: %v", err)
	}
	var ie *bench.InputError
	if _, err := r.Prepare(ctx, bench.Config{Model: "tiny-m", Suite: tinySuite(t), Iterations: 1000}); !errors.As(err, &ie) {
		t.Errorf("iterations out of range: %v", err)
	}
	bad := suite.Suite{Name: "bad", Tasks: []suite.Task{{ID: "x", Prompt: "p"}}}
	if _, err := r.Prepare(ctx, bench.Config{Model: "tiny-m", Suite: bad}); !errors.As(err, &ie) {
		t.Errorf("task without checks: %v", err)
	}
	runs, _ := st.ListRuns(memory.Filter{})
	if len(runs) != 0 {
		t.Errorf("validation stored %d runs", len(runs))
	}
}

func TestBreakerInRun(t *testing.T) {
	r, _ := newRunner(t)
	s := suite.Suite{Name: "long", Tasks: []suite.Task{{ID: "code", Prompt: "Write a Python function add(a, b) that returns the sum of a and b.",
		Checks: []check.Spec{{Type: "contains", Value: "return"}}}}}
	run := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: s, MaxOutputTokens: 4, Timeout: time.Minute})
	if run.Summary.Runaway != 1 || run.Summary.Passed != 0 {
		t.Errorf("runaway %d passed %d", run.Summary.Runaway, run.Summary.Passed)
	}
}

// A warm run whose model was evicted counts the reload; cold mode pays a
// load on every call by design and counts none.
func TestColdModeAndReloads(t *testing.T) {
	r, _ := newRunner(t)
	s := suite.Suite{Name: "two", Tasks: []suite.Task{
		{ID: "a", Prompt: "What is 47+385?", Checks: []check.Spec{{Type: "exact", Value: "432"}}},
		{ID: "b", Prompt: "Uppercase river.", Checks: []check.Spec{{Type: "exact", Value: "RIVER"}}},
	}}
	cold := runSuite(t, r, bench.Config{Model: "tiny-s", Suite: s, Cold: true})
	if cold.Summary.Reloads != 0 {
		t.Errorf("cold run counted %d reloads", cold.Summary.Reloads)
	}
	if err := r.Exec.Unload(context.Background(), "", "tiny-s"); err != nil {
		t.Fatal(err)
	}
	warm := runSuite(t, r, bench.Config{Model: "tiny-s", Suite: s, Warmup: -1})
	if warm.Summary.Reloads != 1 {
		t.Errorf("warm run after an unload: %d reloads, want 1 (the first call)", warm.Summary.Reloads)
	}
}

// TestIterationsAreSamples: each iteration gets its own recorded seed, so at
// temperature 1 the iterations really differ; a pinned options.seed makes
// them replays, and then (as at temperature 0) the interval is the
// 1-iteration interval.
func TestIterationsAreSamples(t *testing.T) {
	r, st := newRunner(t)
	tiny := modelOnly(t) // the tiny suite without judge and code checks: the verdicts are the model's alone
	start := time.Now()
	hot := runSuite(t, r, bench.Config{Model: "tiny-s", Suite: tiny, Iterations: 4, Options: map[string]any{"temperature": 1.0}})
	t.Logf("hot run %s", time.Since(start))
	if hot.Seeds == nil || hot.Seeds.Mode != bench.SeedsDrawn || len(hot.Seeds.Seeds) != 4 {
		t.Fatalf("seeds %+v, want 4 drawn", hot.Seeds)
	}
	samples, err := st.Samples(hot.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, smp := range samples {
		if smp.Seed == nil || *smp.Seed != hot.Seeds.Seeds[smp.Iteration-1] {
			t.Fatalf("sample %s/%d has seed %v, want the run's seed for its iteration %d", smp.TaskID, smp.Iteration, smp.Seed, hot.Seeds.Seeds[smp.Iteration-1])
		}
	}
	s := hot.Summary
	t.Logf("tiny-s at temperature 1, drawn seeds %v: %d of %d tasks varied, pass %.3f CI %+v, n_eff %.1f of %d samples", hot.Seeds.Seeds, s.VariedTasks, s.TaskCount, s.PassRate, s.PassRateCI, s.EffectiveN, s.Samples)
	if s.VariedTasks == 0 {
		t.Errorf("at temperature 1 with drawn seeds no task's iterations differed")
	}
	if s.Replays || s.Interval != "wilson_clustered" || s.Power == nil || len(s.PassK) != 4 {
		t.Errorf("summary: replays %v interval %s power %v pass_k %v", s.Replays, s.Interval, s.Power, s.PassK)
	}

	// Pinned seed at temperature 1: replays, said so, and the 1-iteration interval.
	pinned := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: tiny, Iterations: 3, Options: map[string]any{"temperature": 1.0, "seed": 7}})
	once := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: tiny, Iterations: 1, Options: map[string]any{"temperature": 1.0, "seed": 7}})
	if !pinned.Summary.Replays || pinned.Seeds.Mode != bench.SeedsPinned || pinned.Summary.VariedTasks != 0 {
		t.Errorf("pinned: replays %v, mode %s, %d tasks varied; want replays of one sample", pinned.Summary.Replays, pinned.Seeds.Mode, pinned.Summary.VariedTasks)
	}
	if pinned.Summary.PassRateCI != once.Summary.PassRateCI {
		t.Errorf("pinned replays: CI %+v, want the 1-iteration CI %+v", pinned.Summary.PassRateCI, once.Summary.PassRateCI)
	}

	// Temperature 0 (the fixture models' default): 4 iterations, 1-iteration interval.
	cold4 := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: tiny, Iterations: 4, Seeds: mustSeeds(t, 4, 42)})
	cold1 := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: tiny, Iterations: 1})
	t.Logf("temperature 0: 4 iterations CI %+v, 1 iteration CI %+v", cold4.Summary.PassRateCI, cold1.Summary.PassRateCI)
	if cold4.Summary.PassRateCI != cold1.Summary.PassRateCI || cold4.Summary.PassRate != cold1.Summary.PassRate {
		t.Errorf("temperature 0: 4 iterations give %.3f %+v, 1 iteration %.3f %+v; replays must not narrow the interval",
			cold4.Summary.PassRate, cold4.Summary.PassRateCI, cold1.Summary.PassRate, cold1.Summary.PassRateCI)
	}
	if cold4.Seeds.Mode != bench.SeedsDerived || cold4.Summary.Replays {
		t.Errorf("derived seeds: %+v replays %v", cold4.Seeds, cold4.Summary.Replays)
	}
}

func mustSeeds(t *testing.T, iterations, base int) bench.SeedPlan {
	t.Helper()
	p, err := bench.PlanSeeds(iterations, &base, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadOptionsFollowOllamasReloadRule checks LoadOptions against a real
// server: two calls that differ in one option make Ollama start a new
// runner (a reload, counted in its log) exactly when the option is a
// load-time one.
func TestLoadOptionsFollowOllamasReloadRule(t *testing.T) {
	ex := ollamatest.Executor(t)
	srv := ollamatest.Get(t)
	mark := srv.LogMark()
	starts := func() int { return srv.LoadsSince(mark) }
	for _, tc := range []struct {
		name string
		a, b any
	}{
		{"num_ctx", 256, 512}, {"num_batch", 64, 128}, {"num_thread", 1, 2},
		{"temperature", 0, 0.7}, {"top_k", 10, 20}, {"seed", 1, 2}, {"num_predict", 8, 16},
	} {
		call := func(v any) {
			t.Helper()
			if _, err := ex.Chat(context.Background(), executor.Request{Model: "tiny-m", Prompt: "What is 2+3?", Options: map[string]any{tc.name: v}}); err != nil {
				t.Fatal(err)
			}
		}
		call(tc.a)
		before := starts()
		call(tc.b)
		reloaded := starts() > before
		if want := slices.Contains(bench.LoadOptions, tc.name); reloaded != want {
			t.Errorf("%s %v -> %v: Ollama reloaded %v; LoadOptions says %v", tc.name, tc.a, tc.b, reloaded, want)
		}
		if bench.LoadKey(map[string]any{tc.name: tc.a}) == bench.LoadKey(map[string]any{tc.name: tc.b}) == slices.Contains(bench.LoadOptions, tc.name) {
			t.Errorf("%s: LoadKey disagrees with LoadOptions", tc.name)
		}
	}
	if bench.LoadKey(map[string]any{"num_gpu": -1}) != bench.LoadKey(nil) {
		t.Error("num_gpu -1 (Ollama's default, which keeps the loaded runner) makes its own load key")
	}
}

// TestDepthPadsThePromptUncached: with a depth, every call evaluates about
// that many more prompt tokens than without, none from the prompt cache.
func TestDepthPadsThePromptUncached(t *testing.T) {
	r, _ := newRunner(t)
	st := suite.Suite{Name: "one", Tasks: []suite.Task{{ID: "add", Prompt: "What is 47+385?", Checks: []check.Spec{{Type: "exact", Value: "432"}}}}}
	base := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: st, Iterations: 1, Warmup: -1, Options: map[string]any{"num_ctx": 511}}) // a fresh load: nothing cached
	deep := runSuite(t, r, bench.Config{Model: "tiny-m", Suite: st, Iterations: 3, Depth: 200, Options: map[string]any{"num_ctx": 512}})
	if deep.Depth != 200 {
		t.Errorf("run depth %d", deep.Depth)
	}
	samples, err := r.Store.(*memory.Store).Samples(deep.ID)
	if err != nil {
		t.Fatal(err)
	}
	baseSamples, _ := r.Store.(*memory.Store).Samples(base.ID)
	full := baseSamples[0].PromptTokens // the first call of the suite is not cached
	for _, s := range samples {
		added := s.PromptTokens - full
		t.Logf("iteration %d: %d prompt tokens (%d without padding), cached %v", s.Iteration, s.PromptTokens, full, s.Flags.PromptCached)
		if added < 160 || added > 240 {
			t.Errorf("iteration %d: padding added %d prompt tokens; want about 200", s.Iteration, added)
		}
	}
	if _, err := r.Prepare(context.Background(), bench.Config{Model: "tiny-m", Suite: st, Depth: 600, Options: map[string]any{"num_ctx": 512}}); err == nil || !strings.Contains(err.Error(), "does not fit num_ctx") {
		t.Errorf("depth over num_ctx: %v", err)
	}
}

// TestReloadThreshold: half the model's own load, never under ReloadMs.
func TestReloadThreshold(t *testing.T) {
	for _, c := range []struct{ load, want float64 }{
		{0, bench.ReloadMs}, {150, bench.ReloadMs}, {400, 200}, {1400, 700}, {10000, 5000},
	} {
		if got := bench.ReloadThreshold(c.load); got != c.want {
			t.Errorf("ReloadThreshold(%v) = %v, want %v", c.load, got, c.want)
		}
	}
}

// TestNoFalseReloadsAtScale: a warm run of a real-shaped model (Qwen2.5-0.5B's
// shape, loading in seconds) whose warm-up loads it counts a reload exactly
// when Ollama started a runner for a timed call: here none, whatever the
// load on the machine does to the scheduler's bookkeeping.
func TestNoFalseReloadsAtScale(t *testing.T) {
	r, _ := newRunner(t)
	model := ollamatest.Shaped(t, "qwen2.5-0.5b-shape")
	srv := ollamatest.Get(t)
	if err := r.Exec.Unload(context.Background(), "", model); err != nil {
		t.Fatal(err)
	}
	var tasks []suite.Task
	for i := range 6 {
		tasks = append(tasks, suite.Task{ID: fmt.Sprintf("t%d", i), Prompt: fmt.Sprintf("Say %d things.", i), Checks: []check.Spec{{Type: "contains", Value: "zzz"}}})
	}
	mark := srv.LogMark()
	run := runSuite(t, r, bench.Config{Model: model, Suite: suite.Suite{Name: "shape", Tasks: tasks}, Options: map[string]any{"num_predict": 16}})
	if starts := srv.LoadsSince(mark); starts != 1 {
		t.Fatalf("Ollama started %d runners; want 1, for the warm-up", starts)
	}
	if run.Summary.Reloads != 0 {
		t.Errorf("%d of %d calls flagged as reloads; Ollama started no runner for them", run.Summary.Reloads, run.Summary.Samples)
	}
}
