package memory

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// SalvageReport is what Salvage copied into the new store and what it left
// behind.
type SalvageReport struct {
	Src       string `json:"src"`
	Dst       string `json:"dst"`
	Runs      int    `json:"runs"`
	Samples   int    `json:"samples"`
	Baselines int    `json:"baselines"`
	Jobs      int    `json:"jobs"`
	Suites    int    `json:"suites"`
	Policies  int    `json:"policies"`
	Routes    int    `json:"routes"`
	// CutShort says the source file ended before its pages did: what lay
	// past its end was read as empty pages, and is lost.
	CutShort string `json:"cut_short,omitempty"`
	// Scanned says bbolt could not open the source, or could not read
	// part of the trees that list its runs, so its pages were scanned for
	// runs and samples (salvage_pages.go).
	Scanned string `json:"scanned,omitempty"`
	// Skipped names each record or page that could not be read.
	Skipped []string `json:"skipped"`

	runTreeLost bool // part of runs, run_ids or idx_time could not be read
}

func (r *SalvageReport) skip(format string, a ...any) {
	r.Skipped = append(r.Skipped, fmt.Sprintf(format, a...))
}

// WriteText writes the report for a person.
func (r *SalvageReport) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, note := range []string{r.CutShort, r.Scanned} {
		if note != "" {
			fmt.Fprintf(&b, "%s\n", note)
		}
	}
	fmt.Fprintf(&b, "salvaged %d runs, %d samples, %d baselines, %d jobs, %d suites, %d routing policies, %d route decisions from %s into %s\n",
		r.Runs, r.Samples, r.Baselines, r.Jobs, r.Suites, r.Policies, r.Routes, r.Src, r.Dst)
	if len(r.Skipped) == 0 {
		b.WriteString("nothing was skipped\n")
	} else {
		fmt.Fprintf(&b, "skipped %d:\n", len(r.Skipped))
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	fmt.Fprintf(&b, "%s is unchanged; check the copy with `benchmcp runs check --db %s`, then use it with --db (or move it over the damaged file while no benchmcp process runs)\n", r.Src, r.Dst)
	_, err := io.WriteString(w, b.String())
	return err
}

// Salvage copies every record of the store at src that can still be read
// into a new store at dst (which must not exist): runs with their IDs and
// their readable samples, baselines of copied runs, jobs, suites, routing
// policies and route decisions. It reads each run in its own guarded
// transaction, so that a damaged page loses only what is on it, and finds
// runs through the runs bucket, run_ids and idx_time, so that a damaged
// index or a damaged part of the runs bucket hides no run another still
// names. A file cut short is read from a copy padded to the length its meta
// page says, the missing pages empty; one bbolt cannot open even so has
// its pages scanned for runs and samples (salvage_pages.go). src is never
// changed. The error is for a store nothing can be copied from or a dst
// that cannot be written; dst is then removed.
func Salvage(src, dst string) (*SalvageReport, error) {
	rep := &SalvageReport{Src: src, Dst: dst, Skipped: []string{}}
	if _, err := os.Stat(dst); err == nil {
		return nil, fmt.Errorf("salvage into %s: %w; pick a new file", dst, os.ErrExist)
	}
	from := src
	if size, end := pagesEnd(src); size < end {
		padded, err := paddedCopy(src, end)
		if err != nil {
			return nil, fmt.Errorf("salvage %s: it was cut short (%d of %d bytes), and padding a copy of it failed: %w", src, size, end, err)
		}
		defer os.Remove(padded)
		from = padded
		rep.CutShort = fmt.Sprintf("%s was cut short: it is %d bytes but its pages end at %d; whatever was in the missing %d bytes is lost", src, size, end, end-size)
	}
	s, openErr := Open(from, Options{ReadOnly: true})
	openWhy := ""
	switch {
	case openErr == nil:
		defer s.Close()
	case from != src:
		openWhy = ", even padded to the length its meta page says: the pages it lost held part of its tree"
	default:
		openWhy = fmt.Sprintf(" (%v)", openErr)
	}
	d, err := Open(dst, Options{})
	if err != nil {
		return nil, fmt.Errorf("salvage into %s: %w", dst, err)
	}
	if openErr == nil {
		err = s.salvageInto(d, rep)
		if err == nil && rep.runTreeLost {
			// The pages a tree lost may be gone, but runs it led to can
			// still lie in leaf pages nothing reachable points at.
			rep.Scanned = fmt.Sprintf("bbolt cannot read part of the trees that list the runs of %s; its pages were scanned for the runs it could not reach", src)
			err = salvagePages(src, d, rep)
		}
	} else {
		rep.Scanned = fmt.Sprintf("bbolt cannot open %s%s; its pages were scanned for runs and samples instead", src, openWhy)
		err = salvagePages(src, d, rep)
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err == nil && openErr != nil && rep.Runs == 0 {
		err = fmt.Errorf("bbolt cannot open it%s, and a scan of its pages found no run", openWhy)
	}
	if err != nil {
		os.Remove(dst)
		return nil, fmt.Errorf("salvage %s into %s: %w", src, dst, err)
	}
	return rep, nil
}

// paddedCopy copies the file at path into a temporary file of size bytes,
// the bytes past the end of path zero, and returns its name.
func paddedCopy(path string, size int64) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp("", "benchmcp-salvage-*.db")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Truncate(size)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// salvageInto copies what it can read of s into d, noting the rest in rep.
func (s *Store) salvageInto(d *Store, rep *SalvageReport) error {
	var lines []Line
	for _, rk := range s.salvageRunKeys(rep) {
		if l, ok := s.salvageRun(rk, rep); ok {
			lines = append(lines, l)
		}
	}
	kept, err := putSalvaged(d, lines, rep)
	if err != nil {
		return err
	}
	if err := s.salvageBaselines(d, kept, rep); err != nil {
		return err
	}
	for _, rc := range []struct {
		bucket []byte
		what   string
		n      *int
		decode func(v []byte) (id string, err error)
	}{
		{bucketJobs, "job", &rep.Jobs, func(v []byte) (string, error) { var j record.Job; err := unmarshal(v, &j); return j.ID, err }},
		{bucketSuites, "suite", &rep.Suites, func(v []byte) (string, error) { var st storedSuite; return "", unmarshal(v, &st) }},
		{bucketPolicies, "routing policy", &rep.Policies, func(v []byte) (string, error) { var p record.RoutingPolicy; return "", unmarshal(v, &p) }},
		{bucketRoutes, "route decision", &rep.Routes, func(v []byte) (string, error) { var r record.RouteDecision; return "", unmarshal(v, &r) }},
	} {
		if err := s.salvageBucket(d, rc.bucket, rc.what, rc.n, rc.decode, rep); err != nil {
			return err
		}
	}
	return nil
}

// putSalvaged stores lines in d, each run under its ID with its samples,
// and returns the IDs it stored; a run with no ID, or one already stored,
// is skipped.
func putSalvaged(d *Store, lines []Line, rep *SalvageReport) (map[string]bool, error) {
	kept := map[string]bool{}
	err := d.db.Update(func(tx *bolt.Tx) error {
		for i := range lines {
			l := &lines[i]
			if l.Run.ID == "" || getRK(tx, l.Run.ID) != nil {
				rep.skip("run %q: no ID, or the same ID as another run; its %d samples are not copied", l.Run.ID, len(l.Samples))
				continue
			}
			if err := putLineTx(tx, l); err != nil {
				return err
			}
			kept[l.Run.ID] = true
			rep.Runs++
			rep.Samples += len(l.Samples)
		}
		return nil
	})
	return kept, err
}

// salvageRunKeys returns the key of every run that the runs bucket,
// run_ids or idx_time names, each read in its own guarded transaction.
func (s *Store) salvageRunKeys(rep *SalvageReport) [][]byte {
	var rks [][]byte
	for _, src := range []struct {
		bucket []byte
		key    func(k, v []byte) []byte
	}{
		{bucketRuns, func(k, _ []byte) []byte { return k }},
		{bucketRunIDs, func(_, v []byte) []byte { return v }},
		{bucketTime, func(_, v []byte) []byte { return v }},
	} {
		err := s.read(func(tx *bolt.Tx) error {
			return eachIn(tx, src.bucket, func(k, v []byte) {
				rks = append(rks, bytes.Clone(src.key(k, v)))
			})
		})
		if err != nil {
			rep.skip("part of bucket %s: %s", src.bucket, why(err))
			rep.runTreeLost = true
		}
	}
	slices.SortFunc(rks, bytes.Compare)
	return slices.CompactFunc(rks, bytes.Equal)
}

// salvageRun reads run rk and its samples that decode; ok is false if the
// run itself cannot be read.
func (s *Store) salvageRun(rk []byte, rep *SalvageReport) (l Line, ok bool) {
	var raw []byte
	name := fmt.Sprintf("run key %x", rk)
	_ = s.read(func(tx *bolt.Tx) error { name = runName(tx, rk); return nil }) // else its key names it
	err := s.read(func(tx *bolt.Tx) error {
		raw = bytes.Clone(tx.Bucket(bucketRuns).Get(rk))
		return nil
	})
	switch {
	case err != nil:
		rep.skip("%s: %s", name, why(err))
		return l, false
	case raw == nil:
		rep.skip("%s: named by an index, but the runs bucket holds no such run", name)
		return l, false
	}
	if err := unmarshal(raw, &l.Run); err != nil {
		n := 0
		_ = s.read(func(tx *bolt.Tx) error {
			if sb, ok := openSampleBucket(tx.Bucket(bucketSamples), rk); ok && sb.seq != nil {
				n = sb.count()
			}
			return nil
		})
		rep.skip("%s %s; its %d samples are not copied (without their run they say nothing)", name, decodeError(err), n)
		return l, false
	}
	name = "run " + l.Run.ID
	err = s.read(func(tx *bolt.Tx) error {
		sb, ok := openSampleBucket(tx.Bucket(bucketSamples), rk)
		if !ok || sb.seq == nil {
			return nil
		}
		return sb.seq.ForEach(func(k, v []byte) error {
			var smp record.Sample
			if err := unmarshal(v, &smp); err != nil {
				rep.skip("sample %x of %s %s", k, name, decodeError(err))
			} else {
				l.Samples = append(l.Samples, smp)
			}
			return nil
		})
	})
	if err != nil {
		rep.skip("the samples of %s after the first %d: %s", name, len(l.Samples), why(err))
	}
	return l, true
}

// salvageBaselines copies the baselines whose runs were copied.
func (s *Store) salvageBaselines(d *Store, kept map[string]bool, rep *SalvageReport) error {
	type baseline struct{ model, suite, id []byte }
	var bs []baseline
	err := s.read(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBaselines)
		if b == nil {
			return nil
		}
		return b.ForEachBucket(func(model []byte) error {
			return b.Bucket(model).ForEach(func(suite, id []byte) error {
				bs = append(bs, baseline{bytes.Clone(model), bytes.Clone(suite), bytes.Clone(id)})
				return nil
			})
		})
	})
	if err != nil {
		rep.skip("part of bucket baselines: %s", why(err))
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		for _, bl := range bs {
			if !kept[string(bl.id)] {
				rep.skip("the baseline of model %s, suite %s: its run %s was not copied", bl.model, bl.suite, bl.id)
				continue
			}
			b, err := tx.Bucket(bucketBaselines).CreateBucketIfNotExists(bl.model)
			if err != nil {
				return err
			}
			if err := b.Put(bl.suite, bl.id); err != nil {
				return err
			}
			rep.Baselines++
		}
		return nil
	})
}

// salvageBucket copies the records of a top-level bucket that decode, under
// their keys, and its sequence; a job is also put under its ID in job_ids.
func (s *Store) salvageBucket(d *Store, bucket []byte, what string, n *int, decode func([]byte) (string, error), rep *SalvageReport) error {
	type kv struct{ k, v []byte }
	var kvs []kv
	var seq uint64
	err := s.read(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			seq = b.Sequence()
		}
		return eachIn(tx, bucket, func(k, v []byte) {
			kvs = append(kvs, kv{bytes.Clone(k), bytes.Clone(v)})
		})
	})
	if err != nil {
		rep.skip("part of bucket %s: %s", bucket, why(err))
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if err := b.SetSequence(seq); err != nil {
			return err
		}
		for _, r := range kvs {
			id, err := decode(r.v)
			if err != nil {
				rep.skip("%s %x %s", what, r.k, decodeError(err))
				continue
			}
			if bytes.Equal(bucket, bucketJobs) {
				if id == "" || tx.Bucket(bucketJobIDs).Get([]byte(id)) != nil {
					rep.skip("job %x: no ID, or the same ID as another job", r.k)
					continue
				}
				if err := tx.Bucket(bucketJobIDs).Put([]byte(id), r.k); err != nil {
					return err
				}
			}
			if err := b.Put(r.k, r.v); err != nil {
				return err
			}
			*n++
		}
		return nil
	})
}
