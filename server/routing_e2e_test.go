package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/analyze"
	"github.com/benchmcp/benchmcp/internal/route"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/benchmcp/benchmcp/tools"
)

// TestEvaluateRoutingLive is issue #12's acceptance: tiny-s (cheap) and
// tiny-m (big) on the tiny suite, three seeds, against the real fixture
// models. Online the evaluation runs both as a job; offline it reproduces
// that exactly from the stored runs; always-X equals the runs' own pass
// rates; the evidence policy keeps tiny-m's quality while sending tiny-s
// the categories it is reliable on; and route_task, following the stored
// recommendation, gives the same verdicts when the tasks are run again on
// the models it picks, with the same seeds.
func TestEvaluateRoutingLive(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cands := []string{"tiny-s", "tiny-m"}
	html := filepath.Join(filepath.Dir(mc.DB), "reports", "routing.html") // the server's reports directory

	var online tools.EvaluateRoutingResult
	structured(t, mc.call(ctx, t, "evaluate_routing", map[string]any{
		"candidates": cands, "suite": "tiny", "iterations": 3, "seed": 11, "online": true, "html_path": "routing.html",
	}, "route-eval"), &online)
	if online.ReportPath != html {
		t.Errorf("report path %q, want %q", online.ReportPath, html)
	}
	if online.Mode != "online" || online.JobID == "" || online.Tasks != 36 || online.Iterations != 3 || online.PolicyID == "" {
		t.Fatalf("online evaluation: mode %s job %q tasks %d iterations %d policy %q", online.Mode, online.JobID, online.Tasks, online.Iterations, online.PolicyID)
	}
	if len(mc.progress("route-eval")) == 0 {
		t.Error("the online evaluation sent no progress")
	}

	var offline tools.EvaluateRoutingResult
	res := mc.call(ctx, t, "evaluate_routing", map[string]any{"candidates": cands, "suite": "tiny", "iterations": 3}, "")
	structured(t, res, &offline)
	if offline.Mode != "offline" || offline.JobID != "" || offline.PolicyID == online.PolicyID {
		t.Fatalf("offline evaluation: mode %s job %q policy %s (online %s)", offline.Mode, offline.JobID, offline.PolicyID, online.PolicyID)
	}
	if !mapsEqual(offline.Runs, online.Runs) {
		t.Errorf("offline used runs %v, online made %v", offline.Runs, online.Runs)
	}
	if len(offline.Policies) != len(online.Policies) {
		t.Fatalf("%d policies offline, %d online", len(offline.Policies), len(online.Policies))
	}
	for i, p := range offline.Policies {
		q := online.Policies[i]
		if p.ID != q.ID || p.PassRate != q.PassRate || p.BigShare != q.BigShare || p.PassRateCI != q.PassRateCI {
			t.Errorf("policy %d: offline %s %.4f share %.3f, online %s %.4f share %.3f", i, p.ID, p.PassRate, p.BigShare, q.ID, q.PassRate, q.BigShare)
		}
	}
	if !slices.EqualFunc(offline.Verdicts, online.Verdicts, func(a, b tools.RoutingVerdict) bool {
		return a.TaskID == b.TaskID && slices.Equal(a.Models, b.Models) && slices.Equal(a.Passes, b.Passes)
	}) {
		t.Errorf("per-task verdicts differ offline and online")
	}

	// always-X reproduces the stored runs' pass rates exactly.
	for _, name := range cands {
		var an tools.AnalyzeResultsResult
		structured(t, mc.call(ctx, t, "analyze_results", map[string]any{"model": name, "suite": "tiny"}, ""), &an)
		i := slices.IndexFunc(an.Runs, func(r analyze.RunRow) bool { return r.ID == offline.Runs[name] })
		if i < 0 {
			t.Fatalf("analyze_results has no run %s of %s", offline.Runs[name], name)
		}
		p := policy(t, offline.Policies, "always "+name)
		if p.PassRate != an.Runs[i].PassRate {
			t.Errorf("always %s: pass rate %v, its stored run %s has %v", name, p.PassRate, an.Runs[i].ID, an.Runs[i].PassRate)
		}
	}
	big := policy(t, offline.Policies, "always tiny-m")

	// The evidence policy, cross-validated (each task routed on the other
	// tasks of its category), sends tiny-s the categories it is reliable on.
	small := policy(t, offline.Policies, "always tiny-s")
	ev := policy(t, offline.Policies, "evidence@0.8")
	t.Logf("always tiny-s %.3f, always tiny-m %.3f, evidence@0.8 %.3f with %.0f%% to tiny-s, oracle %.3f",
		small.PassRate, big.PassRate, ev.PassRate, 100*ev.Share["tiny-s"], policy(t, offline.Policies, "oracle").PassRate)
	if ev.Share["tiny-s"] < 0.30 || ev.PassRate < small.PassRate+0.15 || ev.PassRate > big.PassRate+1e-9 {
		t.Errorf("evidence@0.8: pass rate %.3f with %.0f%% to tiny-s; want at least 30%% to tiny-s and a pass rate well above always-tiny-s (%.3f), at most always-tiny-m's (%.3f)",
			ev.PassRate, 100*ev.Share["tiny-s"], small.PassRate, big.PassRate)
	}
	if rec := policy(t, offline.Policies, offline.Recommended); rec.PassRate < big.PassRate-0.02-1e-9 {
		t.Errorf("recommended %s: pass rate %.3f, more than 2 points under always-tiny-m (%.3f)", rec.ID, rec.PassRate, big.PassRate)
	}
	if len(offline.Decisions) != 9 || len(offline.Pareto) == 0 {
		t.Errorf("decision matrix has %d categories (want 9), pareto %v", len(offline.Decisions), offline.Pareto)
	}
	md := text(res)
	for _, want := range []string{"Recommended: " + offline.Recommended, "share of tasks sent to tiny-m", "Decision matrix"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), "<svg") {
		t.Errorf("HTML report %s: %v, chart present %v", html, err, strings.Contains(string(page), "<svg"))
	}

	// A looser constraint recommends a routing policy; route_task follows
	// the newest evaluation of these candidates.
	var loose tools.EvaluateRoutingResult
	structured(t, mc.call(ctx, t, "evaluate_routing", map[string]any{"candidates": cands, "suite": "tiny", "within": 0.1}, ""), &loose)
	rec := policy(t, loose.Policies, loose.Recommended)
	if rec.BigShare >= 1 {
		t.Fatalf("within 0.1 still recommends %s (big share %.2f)", rec.ID, rec.BigShare)
	}
	if rec.Policy == route.Cascade {
		t.Fatalf("within 0.1 recommends a cascade (%s): on the fixture models the cascade is 17 points under always-tiny-m, so the evaluation changed", rec.ID)
	}
	st, _ := suite.Builtin("tiny")
	byModel := map[string][]map[string]any{}
	toSmall := 0
	for _, task := range st.Tasks {
		var r tools.RouteTaskResult
		structured(t, mc.call(ctx, t, "route_task", map[string]any{"task": task.Prompt, "category": task.Category, "candidates": cands}, ""), &r)
		if r.Strategy != route.Policy || !strings.Contains(r.Policy, loose.PolicyID) {
			t.Fatalf("route_task %s: strategy %s policy %q, want the recommendation of %s", task.ID, r.Strategy, r.Policy, loose.PolicyID)
		}
		if rec.Policy == route.Evidence && r.Chosen != loose.Deployed.Categories[task.Category] {
			t.Errorf("route_task sent %s (%s) to %s; the deployed policy sends %s to %s", task.ID, task.Category, r.Chosen, task.Category, loose.Deployed.Categories[task.Category])
		}
		if r.Chosen == "tiny-s" {
			toSmall++
		}
		var m map[string]any
		if err := json.Unmarshal(mustJSON(t, task), &m); err != nil {
			t.Fatal(err)
		}
		byModel[r.Chosen] = append(byModel[r.Chosen], m)
	}
	if toSmall == 0 {
		t.Errorf("route_task following %s sent no task to tiny-s", rec.ID)
	}
	// The heuristic uses the threshold the evaluation learned.
	var h tools.RouteTaskResult
	structured(t, mc.call(ctx, t, "route_task", map[string]any{"task": "What is 4821+967?", "candidates": cands, "strategy": "heuristic"}, ""), &h)
	if !strings.Contains(h.Reason, "learned by evaluation "+loose.PolicyID) {
		t.Errorf("heuristic after an evaluation: %s", h.Reason)
	}
	// Run each task again on the model route_task chose, with the same
	// seeds: every (task, iteration) verdict is the stored one.
	if len(loose.Seeds) != 3 {
		t.Fatalf("seeds %v, want the 3 the runs share", loose.Seeds)
	}
	rerun := map[string]string{}
	for model, tasks := range byModel {
		var rr tools.RunBenchmarkResult
		structured(t, mc.call(ctx, t, "run_benchmark", map[string]any{"model": model, "tasks": tasks, "seeds": loose.Seeds}, ""), &rr)
		rerun[model] = rr.RunID
	}
	mc.Close()
	store, err := memory.Open(mc.DB, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	compared := 0
	for model, id := range rerun {
		stored := verdicts(t, store, loose.Runs[model])
		for key, pass := range verdicts(t, store, id) {
			if want, ok := stored[key]; !ok || want != pass {
				t.Errorf("%s on %s: pass %v run again, %v (present %v) in the evaluated run", key, model, pass, want, ok)
			}
			compared++
		}
	}
	if compared != 36*3 {
		t.Errorf("compared %d verdicts, want 108", compared)
	}
}

// verdicts is a run's pass per "task/iteration".
func verdicts(t *testing.T, st *memory.Store, runID string) map[string]bool {
	t.Helper()
	samples, err := st.Samples(runID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, smp := range samples {
		out[fmt.Sprintf("%s/%d", smp.TaskID, smp.Iteration)] = smp.Pass
	}
	return out
}

// TestEvaluateRoutingRefusals: bad input is refused before anything runs,
// and nothing is stored.
func TestEvaluateRoutingRefusals(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := []string{"tiny-s", "tiny-m"}
	mc.wantErrorsStoreNothing(ctx, t, "evaluate_routing", []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"candidates": c, "suite": "tiny"}, `tiny-s: run_benchmark {"host":"local","iterations":3,"model":"tiny-s","suite":"tiny"}`},
		{map[string]any{"candidates": c, "suite": "tiny"}, "online: true"},
		{map[string]any{"candidates": c, "costs": map[string]any{"tiny-l": map[string]any{"per_1k_tokens": 1}}}, `costs has "tiny-l", which is not a candidate; the candidates are tiny-s, tiny-m`},
		{map[string]any{"candidates": c, "within": 1.5}, "within 1.5 is outside 0-1"},
		{map[string]any{"candidates": c, "within": -0.1}, "outside 0-1"},
		{map[string]any{"candidates": []string{"tiny-s", "tiny-m@gpu-box"}}, `unknown host "gpu-box"`},
		{map[string]any{"candidates": []string{"tiny-s"}}, "give 2 to 8"},
		{map[string]any{"candidates": []string{"tiny-s", "tiny-s@local"}}, "listed twice"},
		{map[string]any{"candidates": c, "online": true, "judge": "tiny-judge@nowhere"}, `unknown host "nowhere"`},
		{map[string]any{"candidates": []string{"tiny-s", "no-such-model"}, "online": true}, "no-such-model"},
	})
	st, err := memory.Open(mc.DB, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ps, _ := st.RoutingPolicies(0, nil); len(ps) != 0 {
		t.Errorf("refused evaluations stored %d policies", len(ps))
	}
	if js, _ := st.ListJobs(memory.JobFilter{}); len(js) != 0 {
		t.Errorf("refused evaluations queued %d jobs", len(js))
	}
}

func policy(t *testing.T, ps []route.PolicyResult, id string) route.PolicyResult {
	t.Helper()
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no policy %q", id)
	return route.PolicyResult{}
}

func verdict(t *testing.T, vs []tools.RoutingVerdict, id string) tools.RoutingVerdict {
	t.Helper()
	for _, v := range vs {
		if v.TaskID == id {
			return v
		}
	}
	t.Fatalf("no verdict for task %s", id)
	return tools.RoutingVerdict{}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
