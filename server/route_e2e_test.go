package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/tools"
)

// TestRouteTaskCascadeOverStdio routes tasks by cascade against the real
// fixture models: tiny-s fails four-digit addition and tiny-m does not, so
// the addition escalates; uppercasing is easy enough for tiny-s.
func TestRouteTaskCascadeOverStdio(t *testing.T) {
	mc := startStdio(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	var add tools.RouteTaskResult
	structured(t, mc.call(ctx, t, "route_task", map[string]any{
		"task": "What is 4821+967?", "candidates": []string{"tiny-s", "tiny-m"}, "strategy": "cascade",
		"checks": []map[string]any{{"type": "exact", "value": "5788"}},
	}, ""), &add)
	if add.Chosen != "tiny-m" || add.Strategy != "cascade" || len(add.Attempts) != 2 {
		t.Fatalf("addition: chosen %s strategy %s attempts %+v, want tiny-m after 2 attempts", add.Chosen, add.Strategy, add.Attempts)
	}
	if a := add.Attempts; a[0].Model != "tiny-s" || a[0].Pass || a[1].Model != "tiny-m" || !a[1].Pass || a[1].Answer != "5788" {
		t.Errorf("addition attempts %+v", a)
	}
	if add.Attempts[1].LatencyMs <= 0 || add.DecisionID == "" || add.JobID == "" {
		t.Errorf("latency %v decision %q job %q (a cascade runs models, so it runs as a job)", add.Attempts[1].LatencyMs, add.DecisionID, add.JobID)
	}

	var upper tools.RouteTaskResult
	structured(t, mc.call(ctx, t, "route_task", map[string]any{
		"task": "Uppercase river.", "candidates": []string{"tiny-s", "tiny-m"}, "strategy": "cascade",
		"checks": []map[string]any{{"type": "exact", "value": "RIVER"}},
	}, ""), &upper)
	if upper.Chosen != "tiny-s" || len(upper.Attempts) != 1 || !upper.Attempts[0].Pass || upper.Attempts[0].Answer != "RIVER" {
		t.Fatalf("uppercase: chosen %s attempts %+v, want tiny-s at the first attempt", upper.Chosen, upper.Attempts)
	}
	if upper.DecisionID == add.DecisionID {
		t.Errorf("both decisions stored as %s", add.DecisionID)
	}

	// In the background: a job id at once, the same decision from job_result.
	var queued tools.RouteTaskResult
	structured(t, mc.call(ctx, t, "route_task", map[string]any{
		"task": "Uppercase river.", "candidates": []string{"tiny-s", "tiny-m"}, "strategy": "cascade", "background": true,
		"checks": []map[string]any{{"type": "exact", "value": "RIVER"}},
	}, ""), &queued)
	if queued.JobID == "" || queued.DecisionID != "" {
		t.Fatalf("background cascade: %+v", queued)
	}
	if st := waitJob(t, mc, queued.JobID); st.Status != "completed" {
		t.Fatalf("cascade job %+v", st)
	}
	var later tools.RouteTaskResult
	structured(t, mc.call(ctx, t, "job_result", map[string]any{"job_id": queued.JobID}, ""), &later)
	if later.Chosen != "tiny-s" || later.DecisionID == "" || later.JobID != queued.JobID {
		t.Errorf("background cascade result %+v", later)
	}

	bad := mc.call(ctx, t, "route_task", map[string]any{"task": "Uppercase river.", "candidates": []string{}}, "")
	if !bad.IsError || !strings.Contains(text(bad), "candidates has 0 models") {
		t.Errorf("empty candidates: isError %v, %q", bad.IsError, text(bad))
	}
}
