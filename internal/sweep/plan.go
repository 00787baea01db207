package sweep

import (
	"context"
	"fmt"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
)

// Plan is what a sweep will take, worked out before it runs: the cells,
// the calls, the model loads, and a duration estimated from one probe call
// per model and host.
type Plan struct {
	Cells       int        `json:"cells"`
	Calls       int        `json:"calls" jsonschema:"timed calls: cells x tasks x iterations"`
	WarmupCalls int        `json:"warmup_calls"`
	Loads       int        `json:"loads" jsonschema:"blocks: one model load per (host, model, load-time options)"`
	Hosts       []HostPlan `json:"hosts"`
	Probes      []Probe    `json:"probes"`
	// EstimatedSeconds is the slowest host's estimate: hosts run at once.
	EstimatedSeconds float64  `json:"estimated_seconds"`
	Notes            []string `json:"notes,omitempty"`
}

// HostPlan is one host's share of a sweep.
type HostPlan struct {
	Host             string   `json:"host"`
	Cells            int      `json:"cells"`
	Calls            int      `json:"calls"`
	Loads            int      `json:"loads"`
	Models           []string `json:"models"`
	EstimatedSeconds float64  `json:"estimated_seconds"`
}

// Probe is the one call a plan made to a model on a host.
type Probe struct {
	Host   string  `json:"host"`
	Model  string  `json:"model"`
	WallMs float64 `json:"wall_ms"`
	LoadMs float64 `json:"load_ms" jsonschema:"the probe's load time: the model was loaded for it when over 100 ms"`
	Error  string  `json:"error,omitempty"`
}

// MakePlan works a plan out for prepared (not begun) sessions, one per
// cell. With probe it makes one real call per (host, model), nothing
// stored, and estimates the duration from it: every call of a cell as long
// as its model's probe, plus a load per block as long as the probe's load
// (when the probe did not load the model, loads are left out, and a note says so).
func MakePlan(ctx context.Context, sessions []*bench.Session, probe bool) Plan {
	p := Plan{Cells: len(sessions), Hosts: []HostPlan{}, Probes: []Probe{}}
	type hm struct{ host, model string }
	probes := map[hm]Probe{}
	hosts, groups := byHost(sessions)
	for _, s := range sessions {
		c := s.Config()
		p.Calls += s.Total()
		p.WarmupCalls += c.Warmup
		h := s.Run().Host
		k := hm{h, c.Model}
		if _, ok := probes[k]; ok || !probe {
			continue
		}
		m, err := s.Probe(ctx)
		pr := Probe{Host: h, Model: c.Model, WallMs: m.WallMs, LoadMs: m.LoadMs}
		if err != nil {
			pr.Error = err.Error()
		}
		probes[k] = pr
		p.Probes = append(p.Probes, pr)
	}
	unknownLoad := false
	for _, h := range hosts {
		idx := groups[h]
		var cfgs []bench.Config
		hp := HostPlan{Host: h, Cells: len(idx), Models: []string{}}
		secs := 0.0
		for _, i := range idx {
			s := sessions[i]
			c := s.Config()
			cfgs = append(cfgs, c)
			hp.Calls += s.Total()
			pr := probes[hm{h, c.Model}]
			secs += float64(s.Total()+c.Warmup) * pr.WallMs / 1000
			found := false
			for _, m := range hp.Models {
				found = found || m == c.Model
			}
			if !found {
				hp.Models = append(hp.Models, c.Model)
			}
		}
		blocks := bench.Blocks(cfgs)
		hp.Loads = len(blocks)
		for _, b := range blocks {
			pr := probes[hm{h, cfgs[b[0]].Model}]
			if pr.LoadMs >= bench.ReloadMs {
				secs += pr.LoadMs / 1000
			} else {
				unknownLoad = true
			}
		}
		if probe {
			hp.EstimatedSeconds = secs
		}
		p.Loads += hp.Loads
		p.EstimatedSeconds = max(p.EstimatedSeconds, hp.EstimatedSeconds)
		p.Hosts = append(p.Hosts, hp)
	}
	switch {
	case !probe:
		p.Notes = append(p.Notes, "no probe was made, so there is no duration estimate")
	case unknownLoad:
		p.Notes = append(p.Notes, "a probed model was already loaded, so its load time is unknown and the estimate leaves model loads out: each load adds seconds for a real model")
	}
	for _, pr := range p.Probes {
		if pr.Error != "" {
			p.Notes = append(p.Notes, fmt.Sprintf("the probe of %s on %s failed (%s): fix that before running", pr.Model, pr.Host, pr.Error))
		}
	}
	return p
}

// Duration is the plan's estimate as a duration.
func (p Plan) Duration() time.Duration {
	return time.Duration(p.EstimatedSeconds * float64(time.Second))
}
