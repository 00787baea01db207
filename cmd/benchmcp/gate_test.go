package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/analyze"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
)

// TestGateCommand: `benchmcp gate` on real runs of the fixture models
// (the tiny suite, one seed): tiny-m passes an 80% threshold and tiny-s does
// not; against tiny-m as the baseline, tiny-s is the regression (exit 1,
// the paired test's reason printed) and tiny-m against tiny-s passes, as
// does a run against itself; a gate with nothing to check is a usage
// error, and an unknown run says where to look.
func TestGateCommand(t *testing.T) {
	srv := ollamatest.Get(t)
	t.Setenv("BENCHMCP_HOSTS", "local="+srv.URL.String())
	db := filepath.Join(t.TempDir(), "bench.db")
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append(args, "--db", db), &out, &errb)
		return code, out.String(), errb.String()
	}
	runID := func(model string) (string, float64) {
		code, out, errs := cli("run", "--model", model, "--suite", "tiny", "--seed", "7", "--json")
		var res struct {
			RunID   string `json:"run_id"`
			Summary struct {
				PassRate float64 `json:"pass_rate"`
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.RunID == "" {
			t.Fatalf("run %s: exit %d, %v\n%s", model, code, err, errs)
		}
		return res.RunID, res.Summary.PassRate
	}
	good, goodRate := runID("tiny-m")
	weak, weakRate := runID("tiny-s")
	t.Logf("tiny-m %.0f%%, tiny-s %.0f%%", 100*goodRate, 100*weakRate)
	if goodRate < 0.8 || weakRate >= 0.8 {
		t.Fatalf("fixture pass rates moved: tiny-m %.2f, tiny-s %.2f; the thresholds below assume tiny-m >= 0.8 > tiny-s", goodRate, weakRate)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--run-id", good, "--min-pass-rate", "0.8"}, 0, "PASS"},
		{[]string{"--run-id", weak, "--min-pass-rate", "0.8"}, 1, "is below the threshold 80.0%"},
		{[]string{"--run-id", weak, "--baseline", good}, 1, "significantly worse than baseline " + good + ": pass rate -"},
		{[]string{"--run-id", good, "--baseline", weak, "--min-pass-rate", "0.8"}, 0, "not significantly worse than baseline " + weak + ": pass rate +"},
		{[]string{"--run-id", good, "--baseline", good}, 0, "pass rate +0.0 points"},
	} {
		code, out, errs := cli(append([]string{"gate"}, c.args...)...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("gate %v: exit %d, want %d saying %q\n%s%s", c.args, code, c.code, c.want, out, errs)
		}
	}
	code, out, _ := cli("gate", "--run-id", weak, "--baseline", good, "--json")
	var g analyze.GateResult
	if err := json.Unmarshal([]byte(out), &g); err != nil || code != 1 || g.Pass || g.Check == nil || g.Check.Verdict != analyze.Regression || g.Check.PValue == nil {
		t.Errorf("gate --json: exit %d, %v, %+v", code, err, g)
	}
	if code, _, errs := cli("gate", "--run-id", good); code != 2 || !strings.Contains(errs, "give --min-pass-rate, --baseline or both") {
		t.Errorf("gate with nothing to check: exit %d, %q", code, errs)
	}
	if code, _, errs := cli("gate", "--run-id", "r-nope", "--min-pass-rate", "0.5"); code != 1 || !strings.Contains(errs, "benchmcp runs list") {
		t.Errorf("unknown run: exit %d, %q", code, errs)
	}
}
