package report

import (
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/exchange"
	"github.com/benchmcp/benchmcp/internal/record"
)

func TestTerminalViews(t *testing.T) {
	sum := &record.Summary{Headline: record.Headline{Samples: 4, PassRate: 0.75}, Passed: 3}
	for _, tc := range []struct {
		run  record.Run
		want string
	}{
		{record.Run{Summary: sum}, "75.0%"},
		{record.Run{}, "-"},
		{record.Run{Summary: sum, Tags: []string{exchange.ThroughputOnlyTag}}, "-"},
	} {
		if got := RunPassRate(tc.run); got != tc.want {
			t.Errorf("RunPassRate(%+v) = %q, want %q", tc.run, got, tc.want)
		}
	}

	var b strings.Builder
	j := record.Job{ID: "j1", Kind: "run_benchmark", Status: record.JobFailed, Done: 2, Total: 6, Error: "host down",
		Args: []byte(`{"suite": "tiny", "model": "tiny-m"}`), CreatedAt: time.Now()}
	if err := JobText(&b, j); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"job        j1\n", "status     failed\n", "progress   2/6", "error      host down\n", `arguments  {"model":"tiny-m","suite":"tiny"}`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JobText lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "comparison") {
		t.Errorf("JobText shows an empty field:\n%s", b.String())
	}
}
