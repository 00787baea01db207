package memory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Line is one line of an export: a run and its samples in insertion order.
type Line struct {
	Run     record.Run      `json:"run"`
	Samples []record.Sample `json:"samples"`
}

// Export writes the runs that match f as JSON lines, newest first, one run
// with its samples per line, and returns how many it wrote.
func (s *Store) Export(w io.Writer, f Filter) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	n, err := s.EachRun(f, func(r record.Run, smps []record.Sample) error {
		if smps == nil {
			smps = []record.Sample{}
		}
		return enc.Encode(Line{Run: r, Samples: smps})
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// EachRun calls fn with each run that matches f, newest first, and its
// finished samples in insertion order, reading one run's samples at a time
// in a short read transaction. It stops at fn's first error and returns
// how many runs fn accepted. Runs and samples that cannot be decoded are
// skipped and noted in Damage.
func (s *Store) EachRun(f Filter, fn func(r record.Run, samples []record.Sample) error) (int, error) {
	var refs [][]byte
	var runs []record.Run
	err := s.read(func(tx *bolt.Tx) error {
		return listTx(tx, s.viewing(f), s.skipRun(tx), func(rk []byte, r record.Run) {
			refs = append(refs, rk)
			runs = append(runs, r)
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for i, r := range runs {
		var smps []record.Sample
		if err := s.read(func(tx *bolt.Tx) error {
			smps = samplesTx(tx, refs[i], scoredSamples, s.skipSample(tx, refs[i]))
			return nil
		}); err != nil {
			return n, fmt.Errorf("run %s: %w", r.ID, err)
		}
		if err := fn(r, smps); err != nil {
			return n, fmt.Errorf("run %s: %w", r.ID, err)
		}
		n++
	}
	return n, nil
}

// Import reads JSON lines as written by Export and stores their runs with
// their IDs and samples, all in one transaction: if any line is malformed or
// names a run ID the store already has (ErrRunExists), nothing is imported.
// Blank lines are skipped. It returns how many runs it imported.
func (s *Store) Import(r io.Reader) (int, error) {
	return s.ImportChecked(r, nil)
}

// ImportChecked is Import with check called on every line before it is
// stored: an error from check refuses the whole import, so that a file with
// impossible data leaves the store as it was. A nil check accepts every line.
func (s *Store) ImportChecked(r io.Reader, check func(lineNo int, l *Line) error) (int, error) {
	if err := s.writable("import"); err != nil {
		return 0, err
	}
	n := 0
	err := s.write(func(tx *bolt.Tx) error {
		br := bufio.NewReaderSize(r, 1<<20)
		for lineNo := 1; ; lineNo++ {
			line, err := br.ReadBytes('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read line %d: %w", lineNo, err)
			}
			if len(bytes.TrimSpace(line)) > 0 {
				var l Line
				if err := json.Unmarshal(line, &l); err != nil {
					return fmt.Errorf("line %d: %w", lineNo, err)
				}
				if check != nil {
					if err := check(lineNo, &l); err != nil {
						return fmt.Errorf("line %d: %w", lineNo, err)
					}
				}
				if err := putLineTx(tx, &l); err != nil {
					return fmt.Errorf("line %d: %w", lineNo, err)
				}
				n++
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
		}
	})
	if err != nil {
		return 0, fmt.Errorf("import (nothing was imported): %w", err)
	}
	return n, nil
}

// PutLines stores runs with their IDs and samples, as Import does, from
// lines already read (another tool's results converted to runs): all of
// them in one transaction, or none if a run ID is empty or already stored
// (ErrRunExists).
func (s *Store) PutLines(lines []Line) (int, error) {
	if err := s.writable("import"); err != nil {
		return 0, err
	}
	err := s.write(func(tx *bolt.Tx) error {
		for i := range lines {
			if err := putLineTx(tx, &lines[i]); err != nil {
				return fmt.Errorf("run %d of %d: %w", i+1, len(lines), err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import (nothing was imported): %w", err)
	}
	return len(lines), nil
}

// putLineTx stores one imported run under its own ID and its samples.
func putLineTx(tx *bolt.Tx, l *Line) error {
	if l.Run.ID == "" {
		return errors.New("run has no id")
	}
	if getRK(tx, l.Run.ID) != nil {
		return fmt.Errorf("%w: %s; delete it first or import into another --db", ErrRunExists, l.Run.ID)
	}
	if err := putRunTx(tx, &l.Run); err != nil {
		return fmt.Errorf("run %s: %w", l.Run.ID, err)
	}
	sb, err := newSampleBucket(tx.Bucket(bucketSamples), getRK(tx, l.Run.ID))
	if err != nil {
		return err
	}
	for _, smp := range l.Samples {
		smp.RunID = l.Run.ID
		v, err := json.Marshal(smp)
		if err != nil {
			return fmt.Errorf("sample %s#%d: %w", smp.TaskID, smp.Iteration, err)
		}
		if err := sb.put(sampleKey(smp.TaskID, smp.Iteration), v); err != nil {
			return err
		}
	}
	return nil
}
