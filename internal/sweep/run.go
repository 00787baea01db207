package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/record"
)

// Machine is what a sweep asks of the executor besides its sessions' calls.
type Machine interface {
	// Unload frees a model on a host. The sweep unloads a host's model
	// before every block after the first, so a host holds one model at a
	// time, each model is measured with the memory (GPU) to itself, and
	// every block runs on a runner loaded with exactly its options: Ollama
	// keeps a loaded runner for a request that leaves num_gpu at its
	// default (-1), so without the unload a default block after a
	// num_gpu=20 block would run on 20 layers.
	Unload(ctx context.Context, host, model string) error
}

// Options are what Run is told besides the sessions.
type Options struct {
	// EarlyStop, if set, stops cells that are clearly worse than another.
	EarlyStop *EarlyStop
	// Progress is told about every sample: done of total over the whole
	// sweep (total shrinks when cells stop early), and which session made it.
	Progress func(done, total int, sess *bench.Session, smp record.Sample)
	// Warmed is called when a block's sessions are warm, before its first
	// timed call: the block's model is loaded with the block's options.
	Warmed func(ctx context.Context, block []*bench.Session) error
}

// Outcome is how one cell's run ended, for Session.Finish.
type Outcome struct {
	Status record.Status
	Err    error
	// Stopped says why early stopping ended the cell; "" when it did not.
	Stopped string
}

// Run runs begun sessions, one per cell, and says how each ended. Each host
// runs its cells in blocks (bench.Blocks): one model at a time, the loaded
// model unloaded before the next block, each (model, load-time options)
// loaded once and warmed, only sampling settings interleaved. Hosts run at the
// same time; a host that fails ends its own cells, not the others'.
func Run(ctx context.Context, m Machine, sessions []*bench.Session, opt Options) []Outcome {
	out := make([]Outcome, len(sessions))
	var stop *stopper
	if opt.EarlyStop != nil {
		stop = newStopper(*opt.EarlyStop, sessions)
	}
	var mu sync.Mutex
	total, done := 0, 0
	for _, s := range sessions {
		total += s.Total()
		done += s.Total() - len(s.Jobs())
	}
	progress := func(_, _ int, sess *bench.Session, smp record.Sample) {
		mu.Lock()
		done++
		if stop != nil {
			if skipped := stop.observe(sess, smp); skipped > 0 {
				total -= skipped
			}
		}
		d, t := done, total
		mu.Unlock()
		if opt.Progress != nil {
			opt.Progress(d, t, sess, smp)
		}
	}
	hosts, groups := byHost(sessions)
	var wg sync.WaitGroup
	for _, h := range hosts {
		idx := groups[h]
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					slog.Error("a sweep host's work panicked; its cells fail", "host", h, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					err := fmt.Errorf("host %s: internal error: %v; this is a bug in benchmcp: the stack is in the log, please report it", h, p)
					for _, i := range idx {
						out[i] = Outcome{Status: record.StatusFailed, Err: err}
					}
				}
			}()
			sub := make([]*bench.Session, len(idx))
			cfgs := make([]bench.Config, len(idx))
			for k, i := range idx {
				sub[k], cfgs[k] = sessions[i], sessions[i].Config()
			}
			loaded := ""
			hooks := bench.Hooks{
				Progress: progress,
				BlockStart: func(ctx context.Context, block []*bench.Session) error {
					c := block[0].Config()
					if loaded != "" {
						// An OpenAI-compatible server loads and frees its
						// models itself: there is nothing to unload.
						if err := m.Unload(ctx, c.Host, loaded); err != nil && !errors.Is(err, executor.ErrNotReported) {
							return fmt.Errorf("unload %s on host %s before the block of %s: %w", loaded, h, c.Label, err)
						}
					}
					loaded = c.Model
					return nil
				},
				Warmed: opt.Warmed,
			}
			if stop != nil {
				hooks.Skip = stop.stopped
			}
			status, err := bench.RunBlocks(ctx, sub, bench.Blocks(cfgs), hooks)
			for _, i := range idx {
				out[i] = Outcome{Status: status, Err: err}
			}
		})
	}
	wg.Wait()
	if stop != nil {
		for i, s := range sessions {
			if why := stop.reason(s); why != "" { // it ended as meant, whatever happened to its host later
				out[i] = Outcome{Status: record.StatusStopped, Stopped: why}
			}
		}
	}
	return out
}
