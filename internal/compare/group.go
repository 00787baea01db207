package compare

import (
	"fmt"
	"slices"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/suite"
	"github.com/benchmcp/benchmcp/memory"
)

// A group of runs is the variants of a comparison or the cells of a sweep:
// runs that share a comparison id, run together and resume together.

// NewGroupID is a time-based id, with prefix (c: comparison, s: sweep),
// that no stored run has as its comparison_id: the id of a new group.
func NewGroupID(st *memory.Store, prefix string) (string, error) {
	for t := time.Now().UTC(); ; t = t.Add(time.Millisecond) {
		id := prefix + t.Format("20060102-150405.000")
		runs, err := st.ListRuns(memory.Filter{ComparisonID: id, Limit: 1})
		if err != nil {
			return "", fmt.Errorf("list runs of %s: %w", id, err)
		}
		if len(runs) == 0 {
			return id, nil
		}
	}
}

// GroupRuns are the stored runs of group id by label, to resume it; what
// names the group in errors (comparison, sweep).
func GroupRuns(st *memory.Store, id, what string) (map[string]record.Run, error) {
	runs, err := st.ListRuns(memory.Filter{ComparisonID: id})
	if err != nil {
		return nil, fmt.Errorf("list runs of %s %s: %w", what, id, err)
	}
	out := make(map[string]record.Run, len(runs))
	for _, r := range runs {
		out[r.Label] = r
	}
	return out, nil
}

// GroupRunIDs are the ids of group id's stored runs in the order they were
// made (ids sort so): its variants' order; none when it is not stored.
func GroupRunIDs(st *memory.Store, id string) ([]string, error) {
	runs, err := st.ListRuns(memory.Filter{ComparisonID: id})
	if err != nil {
		return nil, fmt.Errorf("list runs of comparison %s: %w", id, err)
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	slices.Sort(ids)
	return ids, nil
}

// BeginSessions records prepared sessions as running: each resumes its
// label's run in prevs when there is one that did not end as meant (its
// finished samples kept), and starts a new run otherwise. began, if set,
// is told the run ids and id, the comparison or sweep they belong to.
func BeginSessions(st *memory.Store, sessions []*bench.Session, prevs map[string]record.Run, id string, began func([]string, string)) error {
	var ids []string
	for _, sess := range sessions {
		label := sess.Config().Label
		var prev *record.Run
		var done []record.Sample
		if r, ok := prevs[label]; ok && !r.Status.Final() && r.Status != record.StatusRunning {
			prev = &r
			var err error
			if done, err = st.Samples(r.ID); err != nil {
				return fmt.Errorf("read samples of run %s: %w", r.ID, err)
			}
		} else if ok {
			return fmt.Errorf("run %s (%s) of %s is %s; it cannot be resumed", r.ID, label, id, r.Status)
		}
		if err := sess.Begin(prev, done); err != nil {
			return err
		}
		ids = append(ids, sess.Run().ID)
	}
	if began != nil {
		began(ids, id)
	}
	return nil
}

// Prompts is each task's prompt of the stored suite with this hash; empty
// when the suite is not stored.
func Prompts(st *memory.Store, hash string) map[string]string {
	out := map[string]string{}
	name, content, err := st.Suite(hash)
	if err != nil {
		return out
	}
	s, err := suite.Parse(content, name)
	if err != nil {
		return out
	}
	for _, t := range s.Tasks {
		out[t.ID] = t.Prompt
	}
	return out
}

// SampleMessage is a progress message about one sample of a group's run:
// "tiny-m task add-03 iteration 2/3: pass, 41 ms".
func SampleMessage(sess *bench.Session, smp record.Sample) string {
	return fmt.Sprintf("%s task %s iteration %d/%d: %s, %.0f ms",
		sess.Config().Label, smp.TaskID, smp.Iteration, sess.Config().Iterations, bench.Verdict(smp), smp.WallMs)
}

// Recent lists up to n group ids (comparisons and sweeps) of stored runs,
// newest first.
func Recent(st *memory.Store, n int) ([]string, error) {
	const page = 200
	var ids []string
	for off := 0; len(ids) < n; off += page {
		runs, err := st.ListRuns(memory.Filter{Limit: page, Offset: off})
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		for _, r := range runs {
			if r.ComparisonID != "" && !slices.Contains(ids, r.ComparisonID) && len(ids) < n {
				ids = append(ids, r.ComparisonID)
			}
		}
		if len(runs) < page {
			break
		}
	}
	return ids, nil
}
