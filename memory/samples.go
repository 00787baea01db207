package memory

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// AppendSample stores one finished sample of run smp.RunID in its own
// transaction, so that a crash loses only samples not yet appended. A sample
// for a (task, iteration) the run already has replaces it in place.
func (s *Store) AppendSample(smp record.Sample) error {
	if err := s.writable("append sample"); err != nil {
		return err
	}
	v, err := json.Marshal(smp)
	if err != nil {
		return fmt.Errorf("append sample %s/%s#%d: %w", smp.RunID, smp.TaskID, smp.Iteration, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		rk := getRK(tx, smp.RunID)
		if rk == nil {
			return fmt.Errorf("run %s: %w", smp.RunID, ErrRunNotFound)
		}
		sb, err := newSampleBucket(tx.Bucket(bucketSamples), rk)
		if err != nil {
			return err
		}
		return sb.put(sampleKey(smp.TaskID, smp.Iteration), v)
	})
	if err != nil {
		return fmt.Errorf("append sample %s/%s#%d: %w", smp.RunID, smp.TaskID, smp.Iteration, err)
	}
	return nil
}

// Samples returns a run's finished samples in the order they were first
// appended (a replaced sample keeps its place); partial ones are left out
// (PartialSamples).
func (s *Store) Samples(runID string) ([]record.Sample, error) {
	return s.samples(runID, false)
}

// samples reads a run's finished samples, or its partial ones.
func (s *Store) samples(runID string, partial bool) ([]record.Sample, error) {
	var out []record.Sample
	err := s.db.View(func(tx *bolt.Tx) error {
		rk := getRK(tx, runID)
		if rk == nil {
			return fmt.Errorf("run %s: %w", runID, ErrRunNotFound)
		}
		var err error
		out, err = samplesTx(tx, rk, partial)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	return out, nil
}

// SampleCount returns how many samples a run has, without reading them.
func (s *Store) SampleCount(runID string) (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		rk := getRK(tx, runID)
		if rk == nil {
			return fmt.Errorf("run %s: %w", runID, ErrRunNotFound)
		}
		if sb, ok := openSampleBucket(tx.Bucket(bucketSamples), rk); ok {
			n = sb.count()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sample count: %w", err)
	}
	return n, nil
}

// samplesTx reads a run's finished samples, or with partial its partial
// ones: multi-step samples still in progress, kept so that a resume
// continues them (record.Sample.Partial), which no statistic may count.
func samplesTx(tx *bolt.Tx, rk []byte, partial bool) ([]record.Sample, error) {
	sb, ok := openSampleBucket(tx.Bucket(bucketSamples), rk)
	if !ok {
		return nil, nil
	}
	out := make([]record.Sample, 0, sb.count())
	err := sb.seq.ForEach(func(k, v []byte) error {
		var smp record.Sample
		if err := unmarshal(v, &smp); err != nil {
			return fmt.Errorf("decode sample %x of run key %x: %w", k, rk, err)
		}
		if smp.Partial == partial {
			out = append(out, smp)
		}
		return nil
	})
	return out, err
}

// PartialSamples returns a run's multi-step samples still in progress: the
// steps an interrupted agentic sample had made, for its resume to continue.
func (s *Store) PartialSamples(runID string) ([]record.Sample, error) {
	return s.samples(runID, true)
}

// ScanSamples calls fn with every sample of every run that matches f (its
// Limit and Offset count runs), runs newest first and samples in insertion
// order. It reads one run at a time and calls fn outside any transaction,
// so fn may use the store. An error from fn stops the scan and is returned.
func (s *Store) ScanSamples(f Filter, fn func(record.Run, record.Sample) error) error {
	type ref struct {
		rk  []byte
		run record.Run
	}
	var refs []ref
	err := s.db.View(func(tx *bolt.Tx) error {
		return listTx(tx, s.viewing(f), func(rk []byte, r record.Run) { refs = append(refs, ref{rk, r}) })
	})
	if err != nil {
		return fmt.Errorf("scan samples: %w", err)
	}
	for _, rf := range refs {
		var smps []record.Sample
		err := s.db.View(func(tx *bolt.Tx) (err error) {
			smps, err = samplesTx(tx, rf.rk, false)
			return err
		})
		if err != nil {
			return fmt.Errorf("scan samples of run %s: %w", rf.run.ID, err)
		}
		for _, smp := range smps {
			if err := fn(rf.run, smp); err != nil {
				return err
			}
		}
	}
	return nil
}
