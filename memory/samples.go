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
	err = s.write(func(tx *bolt.Tx) error {
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
// (PartialSamples). A sample that cannot be decoded is left out too, and
// noted in Damage; a damaged page is an ErrDamaged error.
func (s *Store) Samples(runID string) ([]record.Sample, error) {
	return s.samples(runID, scoredSamples)
}

// sampleSet is which of a run's stored samples a read returns.
type sampleSet int

const (
	scoredSamples  sampleSet = iota // finished, with a verdict: what statistics count
	partialSamples                  // agentic samples in progress (record.Sample.Partial)
	faultedSamples                  // samples the machine failed (record.Sample.Fault)
)

func (set sampleSet) has(smp *record.Sample) bool {
	switch set {
	case partialSamples:
		return smp.Partial
	case faultedSamples:
		return smp.Fault != nil && !smp.Partial
	}
	return !smp.Partial && smp.Fault == nil
}

// samples reads one set of a run's samples.
func (s *Store) samples(runID string, set sampleSet) ([]record.Sample, error) {
	var out []record.Sample
	err := s.read(func(tx *bolt.Tx) error {
		rk := getRK(tx, runID)
		if rk == nil {
			return fmt.Errorf("run %s: %w", runID, ErrRunNotFound)
		}
		out = samplesTx(tx, rk, set, s.skipSample(tx, rk))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	return out, nil
}

// SampleCount returns how many samples a run has, without reading them.
func (s *Store) SampleCount(runID string) (int, error) {
	var n int
	err := s.read(func(tx *bolt.Tx) error {
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

// samplesTx reads one set of a run's samples: the scored ones, or those no
// statistic may count: multi-step samples still in progress, kept so that a
// resume continues them (record.Sample.Partial), and samples the machine
// failed, kept to show and run again (record.Sample.Fault). A sample it
// cannot decode is left out and given to skip with its key.
func samplesTx(tx *bolt.Tx, rk []byte, set sampleSet, skip func(n []byte, err error)) []record.Sample {
	sb, ok := openSampleBucket(tx.Bucket(bucketSamples), rk)
	if !ok {
		return nil
	}
	out := make([]record.Sample, 0, sb.count())
	_ = sb.seq.ForEach(func(k, v []byte) error {
		var smp record.Sample
		if err := unmarshal(v, &smp); err != nil {
			skip(k, err)
		} else if set.has(&smp) {
			out = append(out, smp)
		}
		return nil
	})
	return out
}

// PartialSamples returns a run's multi-step samples still in progress: the
// steps an interrupted agentic sample had made, for its resume to continue.
func (s *Store) PartialSamples(runID string) ([]record.Sample, error) {
	return s.samples(runID, partialSamples)
}

// FaultedSamples returns a run's samples that the machine failed after
// retries (record.Sample.Fault): no verdict, run again on resume.
func (s *Store) FaultedSamples(runID string) ([]record.Sample, error) {
	return s.samples(runID, faultedSamples)
}

// ScanSamples calls fn with every sample of every run that matches f (its
// Limit and Offset count runs), runs newest first and samples in insertion
// order. It reads one run at a time and calls fn outside any transaction,
// so fn may use the store. An error from fn stops the scan and is returned.
// Runs and samples that cannot be decoded are skipped and noted in Damage;
// a damaged page stops the scan with an ErrDamaged error.
func (s *Store) ScanSamples(f Filter, fn func(record.Run, record.Sample) error) error {
	type ref struct {
		rk  []byte
		run record.Run
	}
	var refs []ref
	err := s.read(func(tx *bolt.Tx) error {
		return listTx(tx, s.viewing(f), s.skipRun(tx), func(rk []byte, r record.Run) { refs = append(refs, ref{rk, r}) })
	})
	if err != nil {
		return fmt.Errorf("scan samples: %w", err)
	}
	for _, rf := range refs {
		var smps []record.Sample
		err := s.read(func(tx *bolt.Tx) error {
			smps = samplesTx(tx, rf.rk, scoredSamples, s.skipSample(tx, rf.rk))
			return nil
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
