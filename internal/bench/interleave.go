package bench

import (
	"context"
	"fmt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// A schedule is a list of blocks, each a list of indexes into the
// sessions (or configs) it was made from. RunBlocks runs the blocks one
// after the other; within a block it interleaves the sessions call by call
// (those with concurrency above 1 run after them, pipelined).
// Which sessions may share a block is the whole method: sessions of one
// model that differ in load-time options (LoadOptions) must not, or every
// call pays a model reload and the reload is what gets measured.

// Rounds is the schedule of a comparison: it splits variants into rounds
// that can be interleaved without making Ollama reload a model. Within a
// round each model (on its host) appears with one set of load-time options;
// variants of different models share a round, so that drift of the machine
// (another process taking the cores) hits all models alike. Two variants of
// one model that differ in num_ctx, say, go to different rounds. Rounds, and
// the variants in each, keep the order the variants were given in.
func Rounds(cfgs []Config) [][]int {
	keys := map[string][]string{} // host/model -> its distinct load keys, in order
	var rounds [][]int
	for i, c := range cfgs {
		model := c.Host + "/" + c.Model
		k := LoadKey(c.Options)
		r := -1
		for j, seen := range keys[model] {
			if seen == k {
				r = j
			}
		}
		if r < 0 {
			keys[model] = append(keys[model], k)
			r = len(keys[model]) - 1
		}
		for len(rounds) <= r {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], i)
	}
	return rounds
}

// Blocks is the schedule of a sweep on one host: the configs that share a
// model and its load-time options form one block, and a model's blocks
// follow each other, so the host holds one model at a time and loads each
// (model, load options) once. Only sampling options (temperature, top_p,
// seed, ...), preambles, thinking and prompt depth vary inside a block.
// Models keep the order of their first config, and so do a model's blocks.
func Blocks(cfgs []Config) [][]int {
	type key struct{ model, load string }
	var models []string
	loads := map[string][]string{}
	members := map[key][]int{}
	for i, c := range cfgs {
		model := c.Host + "/" + c.Model
		if _, ok := loads[model]; !ok {
			models = append(models, model)
		}
		k := key{model, LoadKey(c.Options)}
		if _, ok := members[k]; !ok {
			loads[model] = append(loads[model], k.load)
		}
		members[k] = append(members[k], i)
	}
	var blocks [][]int
	for _, m := range models {
		for _, l := range loads[m] {
			blocks = append(blocks, members[key{m, l}])
		}
	}
	return blocks
}

// InterleaveProgress is told about every sample an interleaved schedule
// finishes: done of total, and which session made it.
type InterleaveProgress func(done, total int, sess *Session, smp record.Sample)

// Hooks are what RunBlocks tells, and asks, as it goes. Every field may be nil.
type Hooks struct {
	Progress InterleaveProgress
	// BlockStart is called before a block's warm-up, with its sessions.
	BlockStart func(ctx context.Context, block []*Session) error
	// Warmed is called once the block's sessions are warm, before the
	// first timed call: the model is loaded with the block's options.
	Warmed func(ctx context.Context, block []*Session) error
	// Skip reports whether a session is to make no further calls (early
	// stopping). It is asked before every call.
	Skip func(*Session) bool
}

// Interleave runs the sessions' remaining jobs in the rounds of a
// comparison (Rounds). It returns the state the runs end in and, for a
// failure, why; the caller finishes the sessions.
func Interleave(ctx context.Context, sessions []*Session, progress InterleaveProgress) (record.Status, error) {
	var cfgs []Config
	for _, sess := range sessions {
		cfgs = append(cfgs, sess.Config())
	}
	return RunBlocks(ctx, sessions, Rounds(cfgs), Hooks{Progress: progress})
}

// RunBlocks runs the begun sessions' remaining jobs block by block: it
// warms the block's sessions, then for each job runs every session of the
// block in turn, starting one later on each job so that none always goes
// first. The sessions of a block must have the same tasks and iterations.
// It returns the state the runs end in and, for a failure, why; the caller
// finishes the sessions.
func RunBlocks(ctx context.Context, sessions []*Session, blocks [][]int, h Hooks) (record.Status, error) {
	ended := func(err error) (record.Status, error) {
		if ctx.Err() != nil {
			return record.StatusCancelled, ctx.Err()
		}
		return record.StatusFailed, err
	}
	total, done := 0, 0
	for _, sess := range sessions {
		total += sess.Total()
		done += sess.Total() - len(sess.Jobs()) // a resumed schedule's finished samples
	}
	for _, b := range blocks {
		block := make([]*Session, len(b))
		for k, i := range b {
			block[k] = sessions[i]
		}
		if !pending(block) {
			continue
		}
		if h.BlockStart != nil {
			if err := h.BlockStart(ctx, block); err != nil {
				return ended(err)
			}
		}
		for _, sess := range block {
			if err := sess.Warm(ctx); err != nil {
				return ended(fmt.Errorf("warm up %s: %w", sess.Config().Label, err))
			}
		}
		if h.Warmed != nil {
			if err := h.Warmed(ctx, block); err != nil {
				return ended(err)
			}
		}
		// Sessions that make one call at a time are interleaved call by
		// call. A session with concurrency above 1 runs on its own after
		// them, its calls pipelined: interleaving it would cut its
		// pipeline at every turn and understate what concurrency buys.
		var serial, parallel []*Session
		for _, sess := range block {
			if sess.cfg.Concurrency > 1 {
				parallel = append(parallel, sess)
			} else {
				serial = append(serial, sess)
			}
		}
		n := len(serial)
		var jobs []Job
		if n > 0 {
			jobs = serial[0].AllJobs()
		}
		for j, job := range jobs {
			for k := range n {
				sess := serial[(j+k)%n]
				if sess.Finished(job) || (h.Skip != nil && h.Skip(sess)) {
					continue
				}
				smp, err := sess.Do(ctx, job)
				if err != nil {
					return ended(fmt.Errorf("%s task %s: %w", sess.Config().Label, job.Task, err))
				}
				done++
				if h.Progress != nil {
					h.Progress(done, total, sess, smp)
				}
			}
		}
		for _, sess := range parallel {
			skip := func() bool { return h.Skip != nil && h.Skip(sess) }
			if skip() {
				continue
			}
			err := sess.pool(ctx, sess.Jobs(), skip, func(smp record.Sample) {
				done++
				if h.Progress != nil {
					h.Progress(done, total, sess, smp)
				}
			})
			if err != nil {
				return ended(fmt.Errorf("%s: %w", sess.Config().Label, err))
			}
			if ctx.Err() != nil {
				break
			}
		}
	}
	if ctx.Err() != nil {
		return record.StatusCancelled, ctx.Err()
	}
	return record.StatusCompleted, nil
}

// pending reports whether any session of a block has jobs left.
func pending(block []*Session) bool {
	for _, s := range block {
		if len(s.Jobs()) > 0 {
			return true
		}
	}
	return false
}
