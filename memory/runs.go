package memory

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Filter selects runs. Zero fields do not filter. Since is inclusive and
// Until exclusive, both on StartedAt. Limit 0 means no limit.
type Filter struct {
	Model, Suite, Tag, ComparisonID string
	Status                          record.Status
	Since, Until                    time.Time
	Limit, Offset                   int

	viewer *Store // shows each run as readers see it before it is matched (Store.viewing)
}

func (f Filter) match(r *record.Run) bool {
	if f.viewer != nil {
		f.viewer.view(r)
	}
	return (f.Model == "" || r.Model == f.Model) &&
		(f.Suite == "" || r.Suite == f.Suite) &&
		(f.Status == "" || r.Status == f.Status) &&
		(f.ComparisonID == "" || r.ComparisonID == f.ComparisonID) &&
		(f.Tag == "" || slices.Contains(r.Tags, f.Tag))
}

// PutRun inserts or replaces a run. An empty r.ID is given a new one, of the
// form r20261123-143652-0001 (UTC creation time, then a counter), so that IDs
// sort in creation order. A zero r.StartedAt is set to now and an empty
// r.Status to running. A running run is
// given to this process (OwnerPID, OwnerHost), so that a later Open can tell
// whether it is still alive. Samples of a replaced run are kept.
func (s *Store) PutRun(r *record.Run) error {
	if err := s.writable("put run"); err != nil {
		return err
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = s.now()
	}
	if r.Status == "" {
		r.Status = record.StatusRunning
	}
	if r.Status == record.StatusRunning {
		s.ownRun(r)
	}
	err := s.write(func(tx *bolt.Tx) error {
		if r.ID == "" {
			r.ID = s.newID(tx.Bucket(bucketRunIDs), "r")
		}
		return putRunTx(tx, r)
	})
	if err != nil {
		return fmt.Errorf("put run %s: %w", r.ID, err)
	}
	s.unstored.Delete(r.ID)
	return nil
}

// newID returns an ID unused in ids (run_ids or job_ids) for the current
// second: prefix, the UTC time, then a counter, as in r20261123-143652-0001.
func (s *Store) newID(ids *bolt.Bucket, prefix string) string {
	base := prefix + s.now().UTC().Format("20060102-150405") + "-"
	n := 1
	c := ids.Cursor()
	// The last ID of this second, if any, is just before the next second's prefix.
	k, _ := c.Seek([]byte(base + "~"))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if rest, ok := strings.CutPrefix(string(k), base); ok {
		if last, err := strconv.Atoi(rest); err == nil {
			n = last + 1
		}
	}
	return fmt.Sprintf("%s%04d", base, n)
}

// putRunTx writes r under its existing key, or a new one, and re-indexes it.
func putRunTx(tx *bolt.Tx, r *record.Run) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	rk := getRK(tx, r.ID)
	if rk != nil {
		old, err := loadRun(tx, rk)
		if err != nil {
			return err
		}
		if err := deleteIndexes(tx, rk, tsOf(old.StartedAt), indexEntries(&old)); err != nil {
			return err
		}
	} else {
		runs := tx.Bucket(bucketRuns)
		n, err := runs.NextSequence()
		if err != nil {
			return err
		}
		rk = u64(n)
		if err := tx.Bucket(bucketRunIDs).Put([]byte(r.ID), rk); err != nil {
			return err
		}
		if _, err := newSampleBucket(tx.Bucket(bucketSamples), rk); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketRuns).Put(rk, v); err != nil {
		return err
	}
	return putIndexes(tx, rk, tsOf(r.StartedAt), indexEntries(r))
}

// getRK returns a copy of the key of run id, or nil.
func getRK(tx *bolt.Tx, id string) []byte {
	if id == "" {
		return nil
	}
	return bytes.Clone(tx.Bucket(bucketRunIDs).Get([]byte(id)))
}

func loadRun(tx *bolt.Tx, rk []byte) (record.Run, error) {
	var r record.Run
	v := tx.Bucket(bucketRuns).Get(rk)
	if v == nil {
		return r, fmt.Errorf("run key %x: %w", rk, ErrRunNotFound)
	}
	if err := unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("decode run key %x: %w", rk, err)
	}
	return r, nil
}

func loadRunByID(tx *bolt.Tx, id string) (record.Run, []byte, error) {
	rk := getRK(tx, id)
	if rk == nil {
		return record.Run{}, nil, fmt.Errorf("run %s: %w", id, ErrRunNotFound)
	}
	r, err := loadRun(tx, rk)
	return r, rk, err
}

// FinishRun ends a run: it sets its terminal status, its summary (unless
// summary is nil), its error message and EndedAt. A write that fails is
// tried again a few times (finalBackoff); if it still fails, the failure is
// logged and the run reads as interrupted, resumable, from then on, and
// the error is returned.
func (s *Store) FinishRun(id string, status record.Status, summary *record.Summary, errMsg string) error {
	if err := s.writable("finish run"); err != nil {
		return err
	}
	if !status.Terminal() || status == "" {
		return fmt.Errorf("finish run %s: status %q is not a terminal status", id, status)
	}
	missing := false
	err := retryFinal("the end of run "+id, func() error {
		return s.write(func(tx *bolt.Tx) error {
			r, _, err := loadRunByID(tx, id)
			if err != nil {
				missing = true
				return nil
			}
			r.Status = status
			if summary != nil {
				r.Summary = summary
			}
			r.Error = errMsg
			r.EndedAt = s.now()
			return putRunTx(tx, &r)
		})
	})
	switch {
	case missing:
		return fmt.Errorf("finish run %s: %w", id, ErrRunNotFound)
	case err != nil:
		s.gaveUpRun(id, status, err)
		return fmt.Errorf("finish run %s: %w", id, err)
	}
	s.unstored.Delete(id)
	return nil
}

// GetRun returns one run without its samples (see Samples).
func (s *Store) GetRun(id string) (record.Run, error) {
	var r record.Run
	err := s.read(func(tx *bolt.Tx) (err error) {
		r, _, err = loadRunByID(tx, id)
		return err
	})
	if err != nil {
		return record.Run{}, fmt.Errorf("get run: %w", err)
	}
	s.view(&r)
	return r, nil
}

// ListRuns returns the runs that match f, newest StartedAt first. A run
// that cannot be decoded is left out and noted in Damage.
func (s *Store) ListRuns(f Filter) ([]record.Run, error) {
	var runs []record.Run
	err := s.read(func(tx *bolt.Tx) error {
		return listTx(tx, s.viewing(f), s.skipRun(tx), func(_ []byte, r record.Run) {
			runs = append(runs, r)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// listTx calls fn for each run matching f, newest first. It walks the most
// selective index that f names and checks the others on their own indexes
// (the same <ts><rk> keys), so that only matching runs are decoded:
// decoding, mostly of a summary's per-task rows, is most of a list's cost.
// A run it cannot decode is given to skip, not to fn.
func listTx(tx *bolt.Tx, f Filter, skip func(rk []byte, err error), fn func(rk []byte, r record.Run)) error {
	var idx *bolt.Bucket
	var also []*bolt.Bucket
	for _, by := range []struct {
		bucket []byte
		value  string
	}{ // most selective first
		{bucketComparison, f.ComparisonID}, {bucketTag, f.Tag}, {bucketModel, f.Model},
		{bucketSuite, f.Suite}, {bucketStatus, f.statusIndex()},
	} {
		if by.value == "" {
			continue
		}
		b := tx.Bucket(by.bucket).Bucket([]byte(by.value))
		switch {
		case b == nil:
			return nil // no run has it
		case idx == nil:
			idx = b
		default:
			also = append(also, b)
		}
	}
	if idx == nil {
		idx = tx.Bucket(bucketTime)
	}
	var lo uint64
	if !f.Since.IsZero() {
		lo = tsOf(f.Since)
	}
	c := idx.Cursor()
	var k []byte
	if f.Until.IsZero() {
		k, _ = c.Last()
	} else if k, _ = c.Seek(u64(tsOf(f.Until))); k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	// Runs are decoded a chunk at a time, the chunk spread over the CPUs:
	// decoding is most of the cost of a long list.
	chunk := 128
	if f.Limit > 0 {
		chunk = min(chunk, f.Limit+f.Offset)
	}
	runs := tx.Bucket(bucketRuns)
	var rks, vals [][]byte
	skipped, taken := 0, 0
	flush := func() (done bool, err error) {
		decoded := make([]record.Run, len(vals))
		errs := make([]error, len(vals))
		parallel(len(vals), func(i int) { errs[i] = unmarshal(vals[i], &decoded[i]) })
		for i := range decoded {
			if errs[i] != nil {
				skip(rks[i], errs[i])
				continue
			}
			if !f.match(&decoded[i]) {
				continue
			}
			if skipped < f.Offset {
				skipped++
				continue
			}
			fn(bytes.Clone(rks[i]), decoded[i])
			if taken++; f.Limit > 0 && taken >= f.Limit {
				return true, nil
			}
		}
		rks, vals = rks[:0], vals[:0]
		return false, nil
	}
	for ; k != nil; k, _ = c.Prev() {
		if len(k) != 16 {
			return fmt.Errorf("index key %x: want 16 bytes", k)
		}
		if binary.BigEndian.Uint64(k[:8]) < lo {
			break
		}
		if !inAll(also, k) || !f.maybeStatus(tx, k) {
			continue
		}
		v := runs.Get(k[8:])
		if v == nil {
			skip(k[8:], errNoRecord)
			continue
		}
		touch(v)
		rks, vals = append(rks, k[8:]), append(vals, v)
		if len(vals) == chunk {
			if done, err := flush(); done || err != nil {
				return err
			}
			chunk = 128
		}
	}
	_, err := flush()
	return err
}

// inAll reports whether every index in idxs holds key k.
func inAll(idxs []*bolt.Bucket, k []byte) bool {
	for _, b := range idxs {
		if b.Get(k) == nil {
			return false
		}
	}
	return true
}

// parallel calls fn(0..n-1) spread over the CPUs, and returns when all are done.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/32)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// DeleteRun removes a run, its samples, its index entries and any baseline
// that points at it.
func (s *Store) DeleteRun(id string) error {
	if err := s.writable("delete run"); err != nil {
		return err
	}
	err := s.write(func(tx *bolt.Tx) error {
		r, rk, err := loadRunByID(tx, id)
		if err != nil {
			return err
		}
		if err := deleteIndexes(tx, rk, tsOf(r.StartedAt), indexEntries(&r)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketRuns).Delete(rk); err != nil {
			return err
		}
		if err := tx.Bucket(bucketRunIDs).Delete([]byte(id)); err != nil {
			return err
		}
		if samples := tx.Bucket(bucketSamples); samples.Bucket(rk) != nil {
			if err := samples.DeleteBucket(rk); err != nil {
				return err
			}
		}
		if b := tx.Bucket(bucketBaselines).Bucket([]byte(r.Model)); b != nil && r.Suite != "" {
			if string(b.Get([]byte(r.Suite))) == id {
				return b.Delete([]byte(r.Suite))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
	return nil
}

// SetBaseline makes a run the reference for its (model, suite) pair,
// replacing any earlier one.
func (s *Store) SetBaseline(runID string) error {
	if err := s.writable("set baseline"); err != nil {
		return err
	}
	err := s.write(func(tx *bolt.Tx) error {
		r, _, err := loadRunByID(tx, runID)
		if err != nil {
			return err
		}
		if r.Model == "" || r.Suite == "" {
			return fmt.Errorf("run has no model or no suite to be a baseline for")
		}
		b, err := tx.Bucket(bucketBaselines).CreateBucketIfNotExists([]byte(r.Model))
		if err != nil {
			return err
		}
		return b.Put([]byte(r.Suite), []byte(runID))
	})
	if err != nil {
		return fmt.Errorf("set baseline %s: %w", runID, err)
	}
	return nil
}

// Baseline returns the reference run for (model, suite), or ErrRunNotFound.
func (s *Store) Baseline(model, suite string) (record.Run, error) {
	var r record.Run
	err := s.read(func(tx *bolt.Tx) error {
		var id []byte
		if b := tx.Bucket(bucketBaselines).Bucket([]byte(model)); b != nil {
			id = b.Get([]byte(suite))
		}
		if id == nil {
			return ErrRunNotFound
		}
		var err error
		r, _, err = loadRunByID(tx, string(id))
		return err
	})
	if err != nil {
		return record.Run{}, fmt.Errorf("baseline for model %s, suite %s: %w", model, suite, err)
	}
	return r, nil
}

// sweepInterrupted marks as interrupted every running run whose owner
// process is gone. Its EndedAt becomes the end of its last committed sample
// (or its start, if it has none).
func (s *Store) sweepInterrupted() error {
	return s.write(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketStatus).Bucket([]byte(record.StatusRunning))
		if idx == nil {
			return nil
		}
		var rks [][]byte
		if err := idx.ForEach(func(k, _ []byte) error {
			rks = append(rks, bytes.Clone(k[8:]))
			return nil
		}); err != nil {
			return err
		}
		skip := s.skipRun(tx)
		for _, rk := range rks {
			r, err := loadRun(tx, rk)
			if err != nil { // damaged: noted for runs check, and the store still opens
				skip(rk, err)
				continue
			}
			if s.runLive(&r) {
				continue
			}
			r.Status = record.StatusInterrupted
			r.EndedAt = lastSampleEnd(tx, rk, r.StartedAt)
			r.Error = fmt.Sprintf("interrupted: its process (pid %d on %s) ended while the run was going; found by pid %d at %s",
				r.OwnerPID, r.OwnerHost, s.pid, s.now().UTC().Format(time.RFC3339))
			if err := putRunTx(tx, &r); err != nil {
				return err
			}
		}
		return nil
	})
}

func lastSampleEnd(tx *bolt.Tx, rk []byte, start time.Time) time.Time {
	end := start
	sb, ok := openSampleBucket(tx.Bucket(bucketSamples), rk)
	if !ok {
		return end
	}
	_ = sb.seq.ForEach(func(_, v []byte) error {
		var smp record.Sample
		if unmarshal(v, &smp) == nil {
			if e := smp.StartedAt.Add(time.Duration(smp.WallMs * float64(time.Millisecond))); e.After(end) {
				end = e
			}
		}
		return nil
	})
	return end
}
