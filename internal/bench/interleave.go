package bench

import (
	"context"
	"fmt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Rounds splits variants into rounds that can be interleaved without making
// Ollama reload a model: within a round each model (on its host) appears
// with one set of load-time options (LoadOptions). Variants of different
// models share a round; two variants of one model that differ in num_ctx,
// say, go to different rounds. Rounds, and the variants in each, keep the
// order the variants were given in.
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

// InterleaveProgress is told about every sample an interleaved comparison
// finishes: done of total, and which session made it.
type InterleaveProgress func(done, total int, sess *Session, smp record.Sample)

// Interleave runs the begun sessions' remaining jobs one call at a time,
// round by round (Rounds): it warms the round's sessions, then for each job
// runs every session of the round in turn, starting one later on each job
// so that none always goes first. Variants whose load-time options differ
// are thus never interleaved: interleaving them would measure a model
// reload on every call. It returns the state the runs end in and, for a
// failure, why; the caller finishes the sessions.
func Interleave(ctx context.Context, sessions []*Session, progress InterleaveProgress) (record.Status, error) {
	ended := func(err error) (record.Status, error) {
		if ctx.Err() != nil {
			return record.StatusCancelled, ctx.Err()
		}
		return record.StatusFailed, err
	}
	var cfgs []Config
	total, done := 0, 0
	for _, sess := range sessions {
		cfgs = append(cfgs, sess.Config())
		total += sess.Total()
		done += sess.Total() - len(sess.Jobs()) // a resumed comparison's finished samples
	}
	for _, round := range Rounds(cfgs) {
		for _, i := range round {
			if err := sessions[i].Warm(ctx); err != nil {
				return ended(fmt.Errorf("warm up %s: %w", sessions[i].Config().Label, err))
			}
		}
		jobs := sessions[round[0]].AllJobs()
		n := len(round)
		for j, job := range jobs {
			for k := range n {
				sess := sessions[round[(j+k)%n]]
				if sess.Finished(job) {
					continue
				}
				smp, err := sess.Do(ctx, job)
				if err != nil {
					return ended(fmt.Errorf("%s task %s: %w", sess.Config().Label, job.Task, err))
				}
				done++
				if progress != nil {
					progress(done, total, sess, smp)
				}
			}
		}
	}
	if ctx.Err() != nil {
		return record.StatusCancelled, ctx.Err()
	}
	return record.StatusCompleted, nil
}
