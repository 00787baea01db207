package sweep

import (
	"context"
	"fmt"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/executor"
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

// Probe is what a plan measured of a model on a host: its load (the first
// call, when it loaded the model) and a warm call (a second call then).
type Probe struct {
	Host         string  `json:"host"`
	Model        string  `json:"model"`
	WallMs       float64 `json:"wall_ms" jsonschema:"a warm call's time plus the load"`
	LoadMs       float64 `json:"load_ms" jsonschema:"the probe's load time: the model was loaded for it when over 100 ms"`
	PromptTokens int     `json:"prompt_tokens,omitempty"`
	PromptMs     float64 `json:"prompt_ms,omitempty" jsonschema:"the probe's prefill time"`
	EvalTokens   int     `json:"eval_tokens,omitempty"`
	EvalMs       float64 `json:"eval_ms,omitempty" jsonschema:"the probe's decode time"`
	Error        string  `json:"error,omitempty"`

	promptBytes int // the probe request's text, to scale prefill by each call's
}

// callMs estimates one call of a request with promptBytes of text: the
// probe's time without its load, its prefill scaled by the prompt's size
// (tokens per byte as the probe's), the same decode. Without the probe's
// prefill figures (an OpenAI-compatible host) it is the probe's time
// without its load.
func (pr Probe) callMs(promptBytes int) float64 {
	call := pr.WallMs
	if pr.LoadMs >= bench.ReloadMs {
		call -= pr.LoadMs
	}
	if pr.PromptMs <= 0 || pr.promptBytes <= 0 || pr.PromptTokens <= 0 {
		return max(call, 0)
	}
	rest := max(call-pr.PromptMs, 0) // decode and what is neither
	return rest + pr.PromptMs*float64(promptBytes)/float64(pr.promptBytes)
}

// requestBytes is the text a request sends: what prefill grows with.
func requestBytes(r executor.Request) int {
	n := len(r.System) + len(r.Prompt)
	for _, m := range r.Messages {
		n += len(m.Content)
	}
	return n
}

// MakePlan works a plan out for prepared (not begun) sessions, one per
// cell. With probe it makes one real call per (host, model), nothing
// stored, and estimates the duration from it: every call of a cell as long
// as its model's probe without the probe's load, its prefill scaled by the
// call's prompt, plus one load per block (model and load-time options) as
// long as the probe's load (when the probe did not load the model, loads
// are left out, and a note says so).
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
		load, task := m.LoadMs, 0
		if err == nil && load >= bench.ReloadMs {
			// The call that loads a model is slower than a warm one
			// beyond its load (first prefill, cold caches): time a
			// second, as the sweep's calls follow a warm-up, with
			// another task, whose prompt is not in the cache the first
			// filled.
			if warm, werr := s.ProbeTask(ctx, 1); werr == nil {
				m, task = warm, 1
				m.WallMs += load // callMs takes the load off again
			}
		}
		pr := Probe{Host: h, Model: c.Model, WallMs: m.WallMs, LoadMs: load,
			PromptTokens: m.PromptTokens, PromptMs: m.PromptMs, EvalTokens: m.EvalTokens, EvalMs: m.EvalMs}
		if n := len(c.Suite.Tasks); n > 0 {
			pr.promptBytes = requestBytes(s.Request(c.Suite.Tasks[task%n], 1))
		}
		if err != nil {
			pr.Error = err.Error()
		}
		probes[k] = pr
		p.Probes = append(p.Probes, pr)
	}
	unknownLoad, concurrent := false, false
	for _, h := range hosts {
		idx := groups[h]
		var cfgs []bench.Config
		hp := HostPlan{Host: h, Cells: len(idx), Models: []string{}}
		secs := 0.0
		for _, i := range idx {
			s := sessions[i]
			c := s.Config()
			cfgs = append(cfgs, c)
			concurrent = concurrent || c.Concurrency > 1
			hp.Calls += s.Total()
			pr := probes[hm{h, c.Model}]
			secs += cellSeconds(s, pr)
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
	if probe && concurrent {
		p.Notes = append(p.Notes, "cells with concurrency above 1 are estimated as if their calls ran one at a time: how much faster they go is what the sweep measures (it needs OLLAMA_NUM_PARALLEL above 1 on the server)")
	}
	for _, pr := range p.Probes {
		if pr.Error != "" {
			p.Notes = append(p.Notes, fmt.Sprintf("the probe of %s on %s failed (%s): fix that before running", pr.Model, pr.Host, pr.Error))
		}
	}
	return p
}

// cellSeconds estimates a cell's calls, its warm-up included, loads not:
// each task's calls as long as the probe's call scaled to its prompt.
func cellSeconds(s *bench.Session, pr Probe) float64 {
	c := s.Config()
	if len(c.Suite.Tasks) == 0 {
		return 0
	}
	perTask := float64(s.Total()) / float64(len(c.Suite.Tasks))
	ms := 0.0
	for i, t := range c.Suite.Tasks {
		call := pr.callMs(requestBytes(s.Request(t, 1)))
		ms += perTask * call
		if i == 0 {
			ms += float64(c.Warmup) * call
		}
	}
	return ms / 1000
}

// Duration is the plan's estimate as a duration.
func (p Plan) Duration() time.Duration {
	return time.Duration(p.EstimatedSeconds * float64(time.Second))
}
