package memory

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Report is what Check found in a store: how many records of each kind it
// read whole, and every problem, each naming the record or page and what
// is wrong with it.
type Report struct {
	Path     string   `json:"path"`
	Runs     int      `json:"runs"`
	Samples  int      `json:"samples"`
	Jobs     int      `json:"jobs"`
	Suites   int      `json:"suites"`
	Policies int      `json:"policies"`
	Routes   int      `json:"routes"`
	Problems []string `json:"problems"`
}

// OK reports whether Check found nothing wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) problem(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

// WriteText writes the report for a person: the counts, then each problem
// and what to do about them.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d runs, %d samples, %d jobs, %d suites, %d routing policies, %d route decisions read whole\n",
		r.Path, r.Runs, r.Samples, r.Jobs, r.Suites, r.Policies, r.Routes)
	if r.OK() {
		b.WriteString("no problems found\n")
	} else {
		fmt.Fprintf(&b, "%d %s:\n", len(r.Problems), plural(len(r.Problems), "problem", "problems"))
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
		fmt.Fprintf(&b, "copy what is readable into a new store with `benchmcp runs salvage --db %s OUT`, then use OUT with --db (or move it over %s while no benchmcp process runs)\n", r.Path, r.Path)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Check reads every record of the store at path and runs bbolt's own page
// check: it reports the file cut short, pages that cannot be read, records
// that cannot be decoded (runs, samples, jobs, suites, routing policies,
// route decisions), and indexes, run IDs, job IDs and baselines that point
// at runs or jobs that are not there. It opens the store read-only and
// never changes it. The error is for a store it could not read at all
// (no file); a store bbolt cannot open is a problem in the report.
func Check(path string) (*Report, error) {
	rep := &Report{Path: path, Problems: []string{}}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("check store %s: %w", path, err)
	}
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		rep.problem("the store cannot be opened: %v", err)
		return rep, nil
	}
	defer s.Close()
	pagesOK := s.checkRecords(rep)
	if !pagesOK {
		rep.problem("bbolt's page check was not run: pages are damaged, and its check could crash on them")
		return rep, nil
	}
	err = s.read(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			rep.problem("bbolt: %v", err)
		}
		return nil
	})
	if err != nil {
		rep.problem("bbolt's page check: %s", why(err))
	}
	return rep, nil
}

// checkRecords decodes every record and follows every reference, one
// bucket per guarded read so that a damaged page in one leaves the others
// checked. It returns false if any page could not be read.
func (s *Store) checkRecords(rep *Report) bool {
	pagesOK := true
	step := func(what string, fn func(tx *bolt.Tx) error) {
		if err := s.read(fn); err != nil {
			rep.problem("%s: %s", what, why(err))
			if errors.Is(err, ErrDamaged) {
				pagesOK = false
			}
		}
	}
	runs := map[string]string{} // rk -> run ID, of the runs that decode
	step("buckets", func(tx *bolt.Tx) error {
		for _, b := range topBuckets {
			if tx.Bucket(b) == nil {
				rep.problem("bucket %s is missing", b)
			}
		}
		return nil
	})
	step("runs", func(tx *bolt.Tx) error {
		return eachIn(tx, bucketRuns, func(k, v []byte) {
			var r record.Run
			if err := unmarshal(v, &r); err != nil {
				rep.problem("%s %s", runName(tx, k), decodeError(err))
				return
			}
			if rk := tx.Bucket(bucketRunIDs).Get([]byte(r.ID)); !bytes.Equal(rk, k) {
				rep.problem("run %s (key %x) is not under its ID in run_ids", r.ID, k)
			}
			runs[string(k)] = r.ID
			rep.Runs++
		})
	})
	step("run_ids", func(tx *bolt.Tx) error {
		return eachIn(tx, bucketRunIDs, func(k, v []byte) {
			if tx.Bucket(bucketRuns).Get(v) == nil {
				rep.problem("run_ids names run %s at key %x, which holds no run", k, v)
			}
		})
	})
	for _, idx := range [][]byte{bucketModel, bucketSuite, bucketTag, bucketStatus, bucketComparison} {
		step(string(idx), func(tx *bolt.Tx) error {
			b := tx.Bucket(idx)
			if b == nil {
				return nil
			}
			return b.ForEachBucket(func(name []byte) error {
				return checkIndex(tx, fmt.Sprintf("%s/%s", idx, name), b.Bucket(name), rep)
			})
		})
	}
	step(string(bucketTime), func(tx *bolt.Tx) error {
		return checkIndex(tx, string(bucketTime), tx.Bucket(bucketTime), rep)
	})
	step("samples", func(tx *bolt.Tx) error {
		samples := tx.Bucket(bucketSamples)
		if samples == nil {
			return nil
		}
		return samples.ForEachBucket(func(rk []byte) error {
			name := "run " + runs[string(rk)]
			if _, ok := runs[string(rk)]; !ok {
				name = runName(tx, rk)
				if tx.Bucket(bucketRuns).Get(rk) == nil {
					rep.problem("samples are kept for run key %x, which holds no run", rk)
				}
			}
			sb, _ := openSampleBucket(samples, rk)
			if sb.seq == nil || sb.key == nil {
				rep.problem("the samples of %s have no seq or key bucket", name)
				return nil
			}
			if err := sb.seq.ForEach(func(k, v []byte) error {
				var smp record.Sample
				if err := unmarshal(v, &smp); err != nil {
					rep.problem("sample %x of %s %s", k, name, decodeError(err))
				} else {
					rep.Samples++
				}
				return nil
			}); err != nil {
				return err
			}
			return sb.key.ForEach(func(k, n []byte) error {
				if sb.seq.Get(n) == nil {
					rep.problem("sample key %q of %s points at sample %x, which is not there", k, name, n)
				}
				return nil
			})
		})
	})
	step("baselines", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBaselines)
		if b == nil {
			return nil
		}
		return b.ForEachBucket(func(model []byte) error {
			return b.Bucket(model).ForEach(func(suite, id []byte) error {
				if tx.Bucket(bucketRunIDs).Get(id) == nil {
					rep.problem("the baseline of model %s, suite %s is run %s, which is not stored", model, suite, id)
				}
				return nil
			})
		})
	})
	records := []struct {
		bucket []byte
		what   string
		decode func(v []byte) error
		n      *int
	}{
		{bucketJobs, "job", func(v []byte) error { var j record.Job; return unmarshal(v, &j) }, &rep.Jobs},
		{bucketSuites, "suite", func(v []byte) error { var st storedSuite; return unmarshal(v, &st) }, &rep.Suites},
		{bucketPolicies, "routing policy", func(v []byte) error { var p record.RoutingPolicy; return unmarshal(v, &p) }, &rep.Policies},
		{bucketRoutes, "route decision", func(v []byte) error { var d record.RouteDecision; return unmarshal(v, &d) }, &rep.Routes},
	}
	for _, rc := range records {
		step(string(rc.bucket), func(tx *bolt.Tx) error {
			return eachIn(tx, rc.bucket, func(k, v []byte) {
				if err := rc.decode(v); err != nil {
					rep.problem("%s %x %s", rc.what, k, decodeError(err))
					return
				}
				*rc.n++
			})
		})
	}
	step("job_ids", func(tx *bolt.Tx) error {
		return eachIn(tx, bucketJobIDs, func(k, v []byte) {
			if tx.Bucket(bucketJobs).Get(v) == nil {
				rep.problem("job_ids names job %s at key %x, which holds no job", k, v)
			}
		})
	})
	return pagesOK
}

// eachIn calls fn with each key and value of top-level bucket name; a
// missing bucket has none (checkRecords reports it).
func eachIn(tx *bolt.Tx, name []byte, fn func(k, v []byte)) error {
	b := tx.Bucket(name)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		if v != nil { // nil: a nested bucket
			fn(k, v)
		}
		return nil
	})
}

// checkIndex checks that every <ts><rk> key of an index names a stored run.
func checkIndex(tx *bolt.Tx, name string, b *bolt.Bucket, rep *Report) error {
	if b == nil {
		return nil
	}
	runs := tx.Bucket(bucketRuns)
	return b.ForEach(func(k, v []byte) error {
		switch {
		case len(k) != 16:
			rep.problem("index %s: key %x is not 16 bytes", name, k)
		case runs.Get(k[8:]) == nil:
			rep.problem("index %s names run key %x (started %d), which holds no run", name, k[8:], binary.BigEndian.Uint64(k[:8]))
		case !bytes.Equal(v, k[8:]):
			rep.problem("index %s: key %x holds %x, not its run key", name, k, v)
		}
		return nil
	})
}

// plural is one or many, by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
