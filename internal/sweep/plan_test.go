package sweep

import "testing"

// TestProbeCallLeavesTheLoadOut: a call is estimated as the probe's warm
// call without the load, its prefill scaled by the call's prompt; without
// prefill figures, as the probe's time without the load; a probe that did
// not load the model (load under 100 ms) keeps its whole time.
func TestProbeCallLeavesTheLoadOut(t *testing.T) {
	pr := Probe{WallMs: 3000, LoadMs: 1300, PromptTokens: 32, PromptMs: 700, promptBytes: 24}
	for _, c := range []struct {
		probe Probe
		bytes int
		want  float64
	}{
		{pr, 24, 1700}, // the probe's own prompt: its call without the load
		{pr, 48, 2400}, // twice the prompt: twice the prefill
		{pr, 12, 1350}, // half
		{Probe{WallMs: 3000, LoadMs: 1300}, 48, 1700},                                               // no prefill figures
		{Probe{WallMs: 900, LoadMs: 20, PromptTokens: 32, PromptMs: 300, promptBytes: 24}, 24, 900}, // the model was loaded
	} {
		if got := c.probe.callMs(c.bytes); got != c.want {
			t.Errorf("%+v.callMs(%d) = %v, want %v", c.probe, c.bytes, got, c.want)
		}
	}
}
