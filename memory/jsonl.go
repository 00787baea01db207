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
	n := 0
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	var refs [][]byte
	var runs []record.Run
	err := s.db.View(func(tx *bolt.Tx) error {
		return listTx(tx, f, func(rk []byte, r record.Run) {
			refs = append(refs, rk)
			runs = append(runs, r)
		})
	})
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	for i, r := range runs {
		var smps []record.Sample
		if err := s.db.View(func(tx *bolt.Tx) (err error) {
			smps, err = samplesTx(tx, refs[i], false)
			return err
		}); err != nil {
			return n, fmt.Errorf("export run %s: %w", r.ID, err)
		}
		if smps == nil {
			smps = []record.Sample{}
		}
		if err := enc.Encode(Line{Run: r, Samples: smps}); err != nil {
			return n, fmt.Errorf("export run %s: %w", r.ID, err)
		}
		n++
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// Import reads JSON lines as written by Export and stores their runs with
// their IDs and samples, all in one transaction: if any line is malformed or
// names a run ID the store already has (ErrRunExists), nothing is imported.
// Blank lines are skipped. It returns how many runs it imported.
func (s *Store) Import(r io.Reader) (int, error) {
	if err := s.writable("import"); err != nil {
		return 0, err
	}
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		br := bufio.NewReaderSize(r, 1<<20)
		for lineNo := 1; ; lineNo++ {
			line, err := br.ReadBytes('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read line %d: %w", lineNo, err)
			}
			if len(bytes.TrimSpace(line)) > 0 {
				if err := importLine(tx, lineNo, line); err != nil {
					return err
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

func importLine(tx *bolt.Tx, lineNo int, line []byte) error {
	var l Line
	if err := json.Unmarshal(line, &l); err != nil {
		return fmt.Errorf("line %d: %w", lineNo, err)
	}
	if l.Run.ID == "" {
		return fmt.Errorf("line %d: run has no id", lineNo)
	}
	if getRK(tx, l.Run.ID) != nil {
		return fmt.Errorf("line %d: %w: %s; delete it first or import into another --db", lineNo, ErrRunExists, l.Run.ID)
	}
	if err := putRunTx(tx, &l.Run); err != nil {
		return fmt.Errorf("line %d: run %s: %w", lineNo, l.Run.ID, err)
	}
	sb, err := newSampleBucket(tx.Bucket(bucketSamples), getRK(tx, l.Run.ID))
	if err != nil {
		return err
	}
	for _, smp := range l.Samples {
		smp.RunID = l.Run.ID
		v, err := json.Marshal(smp)
		if err != nil {
			return fmt.Errorf("line %d: sample %s#%d: %w", lineNo, smp.TaskID, smp.Iteration, err)
		}
		if err := sb.put(sampleKey(smp.TaskID, smp.Iteration), v); err != nil {
			return err
		}
	}
	return nil
}
