package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/tools"
)

// TestAgenticOverStdio: compare_models over stdio on the agentic-tiny
// suite gives each variant its tool-use funnel: tiny-agent calls tools and
// answers from their results, tiny-m never calls one; the markdown shows both.
func TestAgenticOverStdio(t *testing.T) {
	t.Cleanup(func() { unloadAll(t) })
	mc := startStdio(t, "")
	res := mc.call(context.Background(), t, "compare_models", map[string]any{
		"variants": []any{map[string]any{"model": "tiny-agent"}, map[string]any{"model": "tiny-m"}},
		"suite":    "agentic-tiny", "seed": 5, "max_output_tokens": 64,
	}, "")
	var cr tools.CompareModelsResult
	structured(t, res, &cr)
	byModel := map[string]int{}
	for i, v := range cr.Variants {
		byModel[v.Model] = i
	}
	a, m := cr.Variants[byModel["tiny-agent"]], cr.Variants[byModel["tiny-m"]]
	if a.Funnel == nil || m.Funnel == nil {
		t.Fatalf("funnels: %+v / %+v", a.Funnel, m.Funnel)
	}
	if a.Funnel.CalledTool < 6 || a.Funnel.RightAnswer < 5 || m.Funnel.CalledTool != 0 || a.PassRate <= m.PassRate {
		t.Errorf("tiny-agent %+v (pass %.2f), tiny-m %+v (pass %.2f)", a.Funnel, a.PassRate, m.Funnel, m.PassRate)
	}
	if md := text(res); !strings.Contains(md, "agentic tool use") || !strings.Contains(md, "no_call") {
		t.Errorf("markdown lacks the funnel:\n%s", md)
	}
}
