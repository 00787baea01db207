package server_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/sweep"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
)

// storedSamples reads every cell's samples from a closed server's store.
func storedSamples(t *testing.T, db string, cells []sweep.CellResult) (map[string][]record.Sample, map[string]record.Run) {
	t.Helper()
	st, err := memory.Open(db, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	samples, runs := map[string][]record.Sample{}, map[string]record.Run{}
	for _, c := range cells {
		s, err := st.Samples(c.RunID)
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.GetRun(c.RunID)
		if err != nil {
			t.Fatal(err)
		}
		samples[c.Label], runs[c.Label] = s, r
	}
	return samples, runs
}

// TestSweepRunsInReloadFreeBlocks is the sweep acceptance test: tiny-m over
// num_ctx [256, 512] x temperature [0, 0.7] x 2 seeds. The server loads the
// model at most once per num_ctx block (counted in Ollama's own log), no
// timed call pays a load, the two num_ctx blocks do not interleave while
// the temperatures inside a block do, every cell runs the same seeds, and
// the result has a best cell with intervals, a choice, effects and a frontier.
// It starts from a server holding no model, so the loads it counts are its own.
func TestSweepRunsInReloadFreeBlocks(t *testing.T) {
	srv := ollamatest.Get(t)
	unloadAll(t)
	mark := srv.LogMark()
	mc := startStdio(t, "")
	ctx := context.Background()
	var res tools.SweepResult
	structured(t, mc.call(ctx, t, "sweep", map[string]any{
		"axes":  map[string]any{"models": []any{"tiny-m"}, "options": map[string]any{"num_ctx": []any{256, 512}, "temperature": []any{0, 0.7}}},
		"tasks": quickTasks(), "seeds": []any{1, 2},
	}, "sw"), &res)
	loads := srv.LoadsSince(mark)
	t.Logf("sweep %s: %d runner starts for 2 load-option blocks\n%s", res.SweepID, loads, text(mc.call(ctx, t, "job_result", map[string]any{"job_id": res.JobID}, "")))
	if loads != 2 {
		t.Errorf("the server loaded the model %d times from none loaded; 2 blocks (num_ctx 256, 512) need exactly 2, and a timed call that reloaded would make more", loads)
	}
	if res.Status != record.StatusCompleted || len(res.Cells) != 4 || !slices.Equal(res.Seeds, []int{1, 2}) {
		t.Fatalf("status %s, %d cells, seeds %v", res.Status, len(res.Cells), res.Seeds)
	}
	for _, c := range res.Cells {
		if c.Summary.Samples != 12 || c.RunID == "" {
			t.Errorf("cell %s: %d samples, run %q; want 12 and a run", c.Label, c.Summary.Samples, c.RunID)
		}
		if m := c.Summary.Memory; m == nil || m.SizeBytes <= 0 || m.GPUShare < 0 || m.GPUShare > 1 {
			t.Errorf("cell %s: memory %+v; want the model's size from /api/ps", c.Label, m)
		}
		if c.Summary.TTFCP50Ms <= 0 || c.Summary.TTFCP50Ms > c.Summary.TTFTP50Ms+1e-9 || c.Summary.StreamTPS <= 0 {
			t.Errorf("cell %s: first chunk p50 %.2f ms, TTFT p50 %.2f ms, stream %.0f tok/s", c.Label, c.Summary.TTFCP50Ms, c.Summary.TTFTP50Ms, c.Summary.StreamTPS)
		}
	}
	var pass *sweep.Best
	for i, b := range res.Best {
		if b.Objective == sweep.PassRate {
			pass = &res.Best[i]
		}
	}
	if pass == nil || pass.CI.Lo > pass.Value || pass.CI.Hi < pass.Value || pass.CI.Hi <= pass.CI.Lo {
		t.Errorf("best pass rate with its interval: %+v", pass)
	}
	if res.Choice == nil || len(res.Pareto.Optimal) == 0 {
		t.Errorf("choice %+v, pareto %+v", res.Choice, res.Pareto)
	}
	axes := map[string]bool{}
	for _, e := range res.Effects {
		axes[e.Axis] = true
		if e.Pairs != 2 {
			t.Errorf("effect %s: %d pairs, want 2", e.Text, e.Pairs)
		}
	}
	if !axes["num_ctx"] || !axes["temperature"] {
		t.Errorf("effects: %+v", res.Effects)
	}
	if len(mc.progress("sw")) == 0 {
		t.Error("no progress notifications")
	}
	mc.Close()
	samples, runs := storedSamples(t, mc.DB, res.Cells)
	type call struct {
		cell  string
		ctx   any
		start time.Time
	}
	var calls []call
	seeds := map[int]map[int]bool{}
	for _, c := range res.Cells {
		r := runs[c.Label]
		if r.ComparisonID != res.SweepID || !slices.Contains(r.Tags, "sweep:"+res.SweepID) || r.Label != c.Label {
			t.Errorf("run of %s: comparison %q, tags %v, label %q", c.Label, r.ComparisonID, r.Tags, r.Label)
		}
		for _, s := range samples[c.Label] {
			calls = append(calls, call{c.Label, c.Options["num_ctx"], s.StartedAt})
			if seeds[s.Iteration] == nil {
				seeds[s.Iteration] = map[int]bool{}
			}
			seeds[s.Iteration][*s.Seed] = true
		}
	}
	for it, s := range seeds {
		if len(s) != 1 {
			t.Errorf("iteration %d ran with seeds %v across cells; want one", it, s)
		}
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].start.Before(calls[j].start) })
	switches, alternations := 0, 0
	for i := 1; i < len(calls); i++ {
		if calls[i].ctx != calls[i-1].ctx {
			switches++
		} else if calls[i].cell != calls[i-1].cell {
			alternations++
		}
	}
	if switches != 1 {
		t.Errorf("num_ctx changed %d times between consecutive calls; blocks change it once", switches)
	}
	if alternations < 10 {
		t.Errorf("the temperature cells of a block alternated only %d times; they interleave", alternations)
	}
}

// TestSweepPlan: a dry run counts cells, calls and loads, estimates a
// duration from a real probe call, and stores nothing.
func TestSweepPlan(t *testing.T) {
	mc := startStdio(t, "")
	var res tools.SweepResult
	structured(t, mc.call(context.Background(), t, "sweep", map[string]any{
		"axes":  map[string]any{"models": []any{"tiny-s", "tiny-m"}, "options": map[string]any{"num_ctx": []any{256, 512}}},
		"tasks": quickTasks(), "iterations": 3, "plan": true,
	}, ""), &res)
	p := res.Plan
	if res.Status != tools.StatusPlanned || p == nil || p.Cells != 4 || p.Calls != 72 || p.Loads != 4 || len(p.Probes) != 2 || p.EstimatedSeconds <= 0 {
		t.Fatalf("plan: status %s, %+v", res.Status, p)
	}
	for _, pr := range p.Probes {
		if pr.WallMs <= 0 || pr.Error != "" {
			t.Errorf("probe %+v", pr)
		}
	}
	mc.wantErrorsStoreNothing(context.Background(), t, "sweep", nil)
}

// TestSweepConcurrencyAxis: concurrency is an axis. Its cells share a block
// (concurrency is not a load-time option), the cell at 3 keeps calls in
// flight together while the cell at 1 makes one at a time, each cell's
// throughput is measured over the time its calls were in flight, the
// stored run resumes at its concurrency, and the plan says it counts
// concurrent cells as serial. How much faster the server makes them is
// BenchmarkConcurrency's table, not a test.
func TestSweepConcurrencyAxis(t *testing.T) {
	mc := startStdio(t, "")
	ctx := context.Background()
	args := map[string]any{
		"axes":  map[string]any{"models": []any{"tiny-m"}, "concurrency": []any{1, 3}},
		"tasks": quickTasks(), "seeds": []any{1, 2}, "objective": "throughput_tps",
	}
	var plan tools.SweepResult
	structured(t, mc.call(ctx, t, "sweep", map[string]any{"axes": args["axes"], "tasks": args["tasks"], "plan": true}, ""), &plan)
	if plan.Plan == nil || plan.Plan.Loads != 1 || !strings.Contains(strings.Join(plan.Plan.Notes, " "), "concurrency above 1 are estimated as if their calls ran one at a time") {
		t.Errorf("plan of a concurrency axis: %+v", plan.Plan)
	}
	var res tools.SweepResult
	structured(t, mc.call(ctx, t, "sweep", args, ""), &res)
	if res.Status != record.StatusCompleted || len(res.Cells) != 2 {
		t.Fatalf("status %s, %d cells", res.Status, len(res.Cells))
	}
	if res.Cells[0].Label != "tiny-m concurrency=1" || res.Cells[1].Label != "tiny-m concurrency=3" || res.Cells[1].Concurrency != 3 {
		t.Fatalf("cells %q, %q (concurrency %d)", res.Cells[0].Label, res.Cells[1].Label, res.Cells[1].Concurrency)
	}
	for _, c := range res.Cells {
		if c.Summary.Samples != 12 || c.Summary.ThroughputTPS <= 0 {
			t.Errorf("cell %s: %d samples, throughput %.1f tok/s; want 12 and a throughput", c.Label, c.Summary.Samples, c.Summary.ThroughputTPS)
		}
	}
	if serial, conc := res.Cells[0].Summary.InFlight, res.Cells[1].Summary.InFlight; serial > 1.001 || conc <= 1.05 {
		t.Errorf("calls in flight: %.2f at concurrency 1 (want at most 1), %.2f at 3 (want more than 1)", serial, conc)
	}
	if res.Choice == nil || res.Choice.Objective != sweep.Throughput {
		t.Errorf("choice on throughput: %+v", res.Choice)
	}
	found := false
	for _, e := range res.Effects {
		found = found || e.Axis == sweep.AxisConcurrency
	}
	if !found {
		t.Errorf("no effect of the concurrency axis: %+v", res.Effects)
	}
	mc.Close()
	samples, runs := storedSamples(t, mc.DB, res.Cells)
	if cfg := runs["tiny-m concurrency=3"].Config; cfg == nil || cfg.Concurrency != 3 {
		t.Errorf("the concurrent cell's stored config %+v; a resume needs its concurrency", cfg)
	}
	// The serial cell's calls never overlap one another.
	s1 := samples["tiny-m concurrency=1"]
	sort.Slice(s1, func(i, j int) bool { return s1[i].StartedAt.Before(s1[j].StartedAt) })
	for i := 1; i < len(s1); i++ {
		if end := s1[i-1].StartedAt.Add(time.Duration(s1[i-1].WallMs * float64(time.Millisecond))); s1[i].StartedAt.Before(end.Add(-time.Millisecond)) {
			t.Errorf("serial cell: call %d started %s before call %d ended", i, end.Sub(s1[i].StartedAt), i-1)
		}
	}
}

// TestSweepRefusals: bad sweeps are refused before anything runs, each
// saying what to do, and nothing is stored.
func TestSweepRefusals(t *testing.T) {
	mc := startStdio(t, "")
	grid := func(axes map[string]any) map[string]any { return map[string]any{"axes": axes, "tasks": quickTasks()} }
	big := map[string]any{}
	for _, k := range []string{"num_ctx", "temperature", "top_k", "top_p"} {
		big[k] = []any{1, 2, 3, 4, 5}
	}
	mc.wantErrorsStoreNothing(context.Background(), t, "sweep", []struct {
		args map[string]any
		want string
	}{
		{grid(map[string]any{"models": []any{"tiny-m"}, "options": map[string]any{"temperature": []any{}}}), "axes.options.temperature is empty"},
		{grid(map[string]any{"models": []any{}}), "axes.models is empty"},
		{grid(map[string]any{"models": []any{"tiny-m"}, "options": big}), "set max_cells to 625"},
		{grid(map[string]any{"models": []any{"tiny-m"}, "options": map[string]any{"num_ctxx": []any{256}}}), "did you mean num_ctx?"},
		{grid(map[string]any{"models": []any{"tiny-m", "no-such-model"}}), "no-such-model"},
		{map[string]any{"axes": map[string]any{"models": []any{"tiny-m"}}, "hosts": []any{"nowhere"}, "tasks": quickTasks()}, "unknown host nowhere"},
		{map[string]any{"axes": map[string]any{"models": []any{"tiny-m"}}, "objective": "fastest", "tasks": quickTasks()}, "gen_tps"},
		{grid(map[string]any{"models": []any{"tiny-m"}, "concurrency": []any{0, 2}}), "axes.concurrency has 0"},
		{map[string]any{"axes": map[string]any{"models": []any{"tiny-m"}, "depths": []any{600}, "options": map[string]any{"num_ctx": []any{512}}}, "tasks": quickTasks()}, "does not fit num_ctx"},
	})
}

// additions are 16 three-digit sums: tiny-m knows them, tiny-s fails most
// multi-digit arithmetic (the fixture models' README).
func additions() []any {
	var tasks []any
	for i := range 16 {
		a, b := 100+37*i, 215+53*i
		tasks = append(tasks, map[string]any{"id": fmt.Sprintf("add-%02d", i), "prompt": fmt.Sprintf("What is %d+%d?", a, b),
			"checks": []any{map[string]any{"type": "exact", "value": fmt.Sprint(a + b)}}})
	}
	return tasks
}

// TestSweepEarlyStop: with early stopping, tiny-s, far worse than tiny-m at
// three-digit sums, stops before its last task; tiny-m, which ran first,
// completes and is the best.
func TestSweepEarlyStop(t *testing.T) {
	mc := startStdio(t, "")
	var res tools.SweepResult
	structured(t, mc.call(context.Background(), t, "sweep", map[string]any{
		"axes": map[string]any{"models": []any{"tiny-m", "tiny-s"}}, "tasks": additions(), "seed": 7,
		"early_stop": map[string]any{"every": 8},
	}, ""), &res)
	t.Logf("%s", text(mc.call(context.Background(), t, "job_result", map[string]any{"job_id": res.JobID}, "")))
	byLabel := map[string]sweep.CellResult{}
	for _, c := range res.Cells {
		byLabel[c.Model] = c
	}
	m, s := byLabel["tiny-m"], byLabel["tiny-s"]
	if m.Status != record.StatusCompleted || m.Summary.Samples != 16 {
		t.Errorf("tiny-m: %s with %d samples; want completed with 16", m.Status, m.Summary.Samples)
	}
	if s.Status != record.StatusStopped || s.Summary.Samples >= 16 || !strings.Contains(s.Stopped, "sign test") {
		t.Errorf("tiny-s: %s with %d samples (%q); want stopped before 16", s.Status, s.Summary.Samples, s.Stopped)
	}
	if res.Status != record.StatusCompleted {
		t.Errorf("sweep status %s; a stopped cell ended as meant", res.Status)
	}
	for _, b := range res.Best {
		if b.Label == s.Label {
			t.Errorf("the stopped cell is best on %s", b.Objective)
		}
	}
}

// TestSweepOverTwoHosts: two private ollama serve as two hosts. With hosts
// as an axis every cell runs on both: the hosts' calls overlap in time, and
// on each host one model's calls never overlap another's. Spread over the
// hosts instead, each model's cells go to one host.
func TestSweepOverTwoHosts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	second := secondOllama(t, "tiny-s", "tiny-m")
	db := t.TempDir() + "/bench.db"
	mc, kill := serveHTTP(t, db, "a="+ollamatest.Get(t).URL.String()+",b="+second.URL.String())
	var res tools.SweepResult
	// num_thread 1: two runners on two cores at once must not thrash (docs/measurement).
	structured(t, mc.call(ctx, t, "sweep", map[string]any{
		"axes":  map[string]any{"models": []any{"tiny-s", "tiny-m"}, "hosts": []any{"a", "b"}, "options": map[string]any{"num_thread": []any{1}, "temperature": []any{0, 0.5}}},
		"tasks": quickTasks(), "iterations": 4,
	}, ""), &res)
	if res.Status != record.StatusCompleted || len(res.Cells) != 8 {
		t.Fatalf("status %s, %d cells", res.Status, len(res.Cells))
	}
	var spread tools.SweepResult
	structured(t, mc.call(ctx, t, "sweep", map[string]any{
		"axes": map[string]any{"models": []any{"tiny-s", "tiny-m"}, "options": map[string]any{"temperature": []any{0, 0.5}}}, "hosts": []any{"a", "b"},
		"tasks": quickTasks(),
	}, ""), &spread)
	hostOf := map[string]string{}
	for _, c := range spread.Cells {
		if h, ok := hostOf[c.Model]; ok && h != c.Host {
			t.Errorf("spread: %s ran on %s and %s", c.Model, h, c.Host)
		}
		hostOf[c.Model] = c.Host
	}
	if len(hostOf) != 2 || hostOf["tiny-s"] == hostOf["tiny-m"] || len(spread.Notes) == 0 {
		t.Errorf("spread: models on hosts %v (want one each), notes %v", hostOf, spread.Notes)
	}
	mc.Close()
	kill() // both sweeps have ended and stored their runs
	samples, _ := storedSamples(t, db, res.Cells)
	type span struct{ start, end time.Time }
	grow := func(s *span, smp record.Sample) {
		end := smp.StartedAt.Add(time.Duration(smp.WallMs * float64(time.Millisecond)))
		if s.start.IsZero() || smp.StartedAt.Before(s.start) {
			s.start = smp.StartedAt
		}
		if end.After(s.end) {
			s.end = end
		}
	}
	hosts := map[string]*span{}
	models := map[string]map[string]*span{} // host -> model -> span
	for _, c := range res.Cells {
		if hosts[c.Host] == nil {
			hosts[c.Host], models[c.Host] = &span{}, map[string]*span{}
		}
		if models[c.Host][c.Model] == nil {
			models[c.Host][c.Model] = &span{}
		}
		for _, smp := range samples[c.Label] {
			grow(hosts[c.Host], smp)
			grow(models[c.Host][c.Model], smp)
		}
	}
	a, b := hosts["a"], hosts["b"]
	if a == nil || b == nil || !(a.start.Before(b.end) && b.start.Before(a.end)) {
		t.Errorf("the hosts' spans do not overlap: a %+v, b %+v", a, b)
	}
	for h, ms := range models {
		s, m := ms["tiny-s"], ms["tiny-m"]
		if s == nil || m == nil {
			t.Fatalf("host %s ran models %v", h, ms)
		}
		if s.start.Before(m.end) && m.start.Before(s.end) {
			t.Errorf("host %s ran tiny-s (%s to %s) and tiny-m (%s to %s) at once", h, s.start, s.end, m.start, m.end)
		}
	}
}

// TestSweepResumesAfterKill: a background sweep whose server is killed
// (SIGKILL) resumes when a server opens the store again: same sweep, same
// runs, every (task, iteration) of every cell stored exactly once.
func TestSweepResumesAfterKill(t *testing.T) {
	db := t.TempDir() + "/bench.db"
	hosts := "local=" + ollamatest.Get(t).URL.String()
	mc, kill := serveHTTP(t, db, hosts)
	var queued tools.SweepResult
	structured(t, mc.call(context.Background(), t, "sweep", map[string]any{
		"axes":  map[string]any{"models": []any{"tiny-m"}, "options": map[string]any{"temperature": []any{0, 0.5}}},
		"tasks": quickTasks(), "iterations": 10, "background": true,
	}, ""), &queued)
	if queued.JobID == "" || queued.Status != record.Status(record.JobQueued) && queued.Status != record.Status(record.JobRunning) {
		t.Fatalf("background sweep: %+v", queued)
	}
	var before tools.JobStatusResult
	waitFor(t, func() bool { before = jobStatusOf(t, mc, queued.JobID); return before.Done >= 30 })
	kill()

	mc2, kill2 := serveHTTP(t, db, hosts)
	st := waitJob(t, mc2, queued.JobID)
	if st.Status != record.JobCompleted || st.Done != 120 || st.Attempts != 2 || st.ComparisonID != before.ComparisonID || len(st.RunIDs) != 2 {
		t.Fatalf("after the restart: %+v (before: comparison %s, runs %v)", st, before.ComparisonID, before.RunIDs)
	}
	var res tools.SweepResult
	structured(t, mc2.call(context.Background(), t, "job_result", map[string]any{"job_id": queued.JobID}, ""), &res)
	if res.SweepID != before.ComparisonID || res.Status != record.StatusCompleted {
		t.Fatalf("result: sweep %s (%s); the job began sweep %s", res.SweepID, res.Status, before.ComparisonID)
	}
	mc2.Close()
	kill2()
	samples, _ := storedSamples(t, db, res.Cells)
	for _, c := range res.Cells {
		if !slices.Contains(before.RunIDs, c.RunID) {
			t.Errorf("cell %s ran as %s, not as one of the runs begun before the kill %v", c.Label, c.RunID, before.RunIDs)
		}
		seen := map[string]int{}
		for _, s := range samples[c.Label] {
			seen[fmt.Sprintf("%s/%d", s.TaskID, s.Iteration)]++
		}
		if len(samples[c.Label]) != 60 || len(seen) != 60 {
			t.Errorf("cell %s: %d samples, %d distinct; want 60", c.Label, len(samples[c.Label]), len(seen))
		}
	}
}
