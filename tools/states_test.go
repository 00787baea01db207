package tools

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// TestAnalyzeShowsDeadRunsInterrupted: a run stored running by a process
// that is gone (this pid, another process start, as after a container
// restart) reads interrupted in analyze_results, and its status filters
// select it as interrupted, not running. (Jobs: memory.TestJobOwnerStart.)
func TestAnalyzeShowsDeadRunsInterrupted(t *testing.T) {
	st, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	host, _ := os.Hostname()
	gone := "00000000-0000-0000-0000-000000000000:1"
	started := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	smp := record.Sample{TaskID: "t0", Iteration: 1, StartedAt: started, Pass: true, Measurement: record.Measurement{WallMs: 10}}
	if _, err := st.PutLines([]memory.Line{{Run: record.Run{ID: "r-dead", Status: record.StatusRunning, Model: "tiny-m", Suite: "tiny", SuiteHash: "h1",
		Iterations: 1, StartedAt: started, OwnerPID: os.Getpid(), OwnerHost: host, OwnerStart: gone}, Samples: []record.Sample{smp}}}); err != nil {
		t.Fatal(err)
	}
	s := &Service{Store: st}
	for _, tc := range []struct {
		status string
		want   int
	}{{"all", 1}, {"interrupted", 1}, {"running", 0}} {
		res, _, _, err := s.AnalyzeResults(context.Background(), AnalyzeResultsArgs{Status: tc.status})
		if err != nil {
			t.Fatalf("analyze_results status %s: %v", tc.status, err)
		}
		if len(res.Runs) != tc.want {
			t.Errorf("analyze_results status %s: %d runs, want %d", tc.status, len(res.Runs), tc.want)
			continue
		}
		if tc.want == 1 && res.Runs[0].Status != record.StatusInterrupted {
			t.Errorf("analyze_results status %s: run reads %s, want interrupted", tc.status, res.Runs[0].Status)
		}
	}
}
