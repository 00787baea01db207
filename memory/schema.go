package memory

// The store is one bbolt file. Its bucket tree, schema v5:
//
//	meta/
//	    version                      -> u64 BE (5)
//	runs/                            Sequence() hands out run keys
//	    <rk u64 BE>                  -> record.Run JSON
//	run_ids/
//	    <run ID string>              -> rk
//	idx_time/
//	    <ts u64 BE><rk u64 BE>       -> rk        every run, ordered by StartedAt
//	idx_model/      <model>/         <ts><rk> -> rk
//	idx_suite/      <suite>/         <ts><rk> -> rk
//	idx_tag/        <tag>/           <ts><rk> -> rk
//	idx_status/     <status>/        <ts><rk> -> rk
//	idx_comparison/ <comparison ID>/ <ts><rk> -> rk
//	samples/
//	    <rk>/
//	        seq/                     Sequence() is the run's sample count
//	            <n u64 BE>           -> record.Sample JSON, in insertion order
//	        key/
//	            <task len u16 BE><task><iteration u32 BE> -> n
//	baselines/
//	    <model>/
//	        <suite>                  -> run ID
//	suites/
//	    <content hash>               -> {"name":..., "content":...} JSON
//	routes/                          Sequence() hands out decision numbers
//	    <n u64 BE>                   -> record.RouteDecision JSON
//	jobs/                            Sequence() hands out job keys
//	    <jk u64 BE>                  -> record.Job JSON, in creation order
//	job_ids/
//	    <job ID string>              -> jk
//	policies/                        Sequence() hands out policy numbers
//	    <n u64 BE>                   -> record.RoutingPolicy JSON
//
// rk is a run's private key: it never changes for the life of the run in one
// file, and is not its ID (IDs are kept on import, rks are not). jk is the
// same for a job; jobs are only ever listed in key order, so they have no
// indexes. ts is the run's StartedAt in Unix nanoseconds with the sign bit
// flipped, so that the byte order of the keys is the time order; a zero
// StartedAt is 0.
//
// Schema v1, the first released layout (testdata/memory/v1.db), differed in
// two ways: samples/<rk>/ held the samples directly, keyed by
// <task len u16><task><iteration u32>, so neither their insertion order nor
// their count was kept; and there were no idx_tag, idx_status or
// idx_comparison buckets. migrate1to2 rebuilds both.
//
// Schema v2 (testdata/memory/v2.db) differed from v3 only in having no jobs
// or job_ids buckets: it kept no job queue. migrate2to3 creates both, empty.
//
// Schema v3 differed from v4 only in having no policies bucket: it kept no
// routing evaluations. migrate3to4 creates it, empty.
//
// Schema v4 (testdata/memory/v4.db) differed from v5 only in what a run's
// "config" held: the arguments of the tool call that started it (a
// run_benchmark call's, plan, background, priority and all), where v5 holds
// a record.RunConfig, the run settings alone with their version.
// migrate4to5 rewrites every run's config.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// schemaVersion is the layout this code reads and writes.
const schemaVersion = 5

var (
	bucketMeta       = []byte("meta")
	bucketRuns       = []byte("runs")
	bucketRunIDs     = []byte("run_ids")
	bucketTime       = []byte("idx_time")
	bucketModel      = []byte("idx_model")
	bucketSuite      = []byte("idx_suite")
	bucketTag        = []byte("idx_tag")
	bucketStatus     = []byte("idx_status")
	bucketComparison = []byte("idx_comparison")
	bucketSamples    = []byte("samples")
	bucketBaselines  = []byte("baselines")
	bucketSuites     = []byte("suites")
	bucketRoutes     = []byte("routes")
	bucketJobs       = []byte("jobs")
	bucketJobIDs     = []byte("job_ids")
	bucketPolicies   = []byte("policies")

	bucketSampleSeq = []byte("seq")
	bucketSampleKey = []byte("key")

	keyVersion = []byte("version")
)

// topBucketsV2 are the top-level buckets of schema v2.
var topBucketsV2 = [][]byte{
	bucketMeta, bucketRuns, bucketRunIDs, bucketTime, bucketModel, bucketSuite,
	bucketTag, bucketStatus, bucketComparison, bucketSamples, bucketBaselines,
	bucketSuites, bucketRoutes,
}

// bucketsNewInV3 are the top-level buckets schema v3 added to v2.
var bucketsNewInV3 = [][]byte{bucketJobs, bucketJobIDs}

// bucketsNewInV4 are the top-level buckets schema v4 added to v3.
var bucketsNewInV4 = [][]byte{bucketPolicies}

// topBuckets are the top-level buckets of schema v4 and v5, the current one.
var topBuckets = slices.Concat(topBucketsV2, bucketsNewInV3, bucketsNewInV4)

func u64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

// tsOf maps a time onto an unsigned key that sorts in time order.
func tsOf(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano()) ^ (1 << 63)
}

// timeKey is the key of a run in idx_time and the other indexes.
func timeKey(ts uint64, rk []byte) []byte {
	k := make([]byte, 0, 16)
	k = binary.BigEndian.AppendUint64(k, ts)
	return append(k, rk...)
}

// sampleKey is the (task, iteration) key of a sample.
func sampleKey(task string, iteration int) []byte {
	k := make([]byte, 0, 2+len(task)+4)
	k = binary.BigEndian.AppendUint16(k, uint16(len(task)))
	k = append(k, task...)
	return binary.BigEndian.AppendUint32(k, uint32(iteration))
}

// indexEntry is one secondary index a run appears in.
type indexEntry struct {
	bucket []byte
	value  string
}

// indexEntries lists the indexes a run belongs to (idx_time aside).
// Empty values are not indexed: bbolt bucket names cannot be empty.
func indexEntries(r *record.Run) []indexEntry {
	var es []indexEntry
	add := func(b []byte, v string) {
		if v != "" {
			es = append(es, indexEntry{b, v})
		}
	}
	add(bucketModel, r.Model)
	add(bucketSuite, r.Suite)
	add(bucketStatus, string(r.Status))
	add(bucketComparison, r.ComparisonID)
	for _, t := range uniq(r.Tags) {
		add(bucketTag, t)
	}
	return es
}

func uniq(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// putIndexes adds run rk to idx_time and every index in es.
func putIndexes(tx *bolt.Tx, rk []byte, ts uint64, es []indexEntry) error {
	tk := timeKey(ts, rk)
	if err := tx.Bucket(bucketTime).Put(tk, rk); err != nil {
		return err
	}
	for _, e := range es {
		b, err := tx.Bucket(e.bucket).CreateBucketIfNotExists([]byte(e.value))
		if err != nil {
			return fmt.Errorf("index %s %q: %w", e.bucket, e.value, err)
		}
		if err := b.Put(tk, rk); err != nil {
			return err
		}
	}
	return nil
}

// deleteIndexes removes run rk from idx_time and every index in es,
// dropping index buckets left empty.
func deleteIndexes(tx *bolt.Tx, rk []byte, ts uint64, es []indexEntry) error {
	tk := timeKey(ts, rk)
	if err := tx.Bucket(bucketTime).Delete(tk); err != nil {
		return err
	}
	for _, e := range es {
		parent := tx.Bucket(e.bucket)
		b := parent.Bucket([]byte(e.value))
		if b == nil {
			continue
		}
		if err := b.Delete(tk); err != nil {
			return err
		}
		if k, _ := b.Cursor().First(); k == nil {
			if err := parent.DeleteBucket([]byte(e.value)); err != nil {
				return err
			}
		}
	}
	return nil
}

// readVersion returns the schema version of an opened file; 0 means an empty
// file with no buckets at all.
func readVersion(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if empty {
			return 0, nil
		}
		return 0, fmt.Errorf("%w: no meta bucket; this is not a benchmcp store", ErrSchemaUnknown)
	}
	v := meta.Get(keyVersion)
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: meta/version is missing or malformed", ErrSchemaUnknown)
	}
	return binary.BigEndian.Uint64(v), nil
}

// initSchema creates the current layout in an empty file.
func initSchema(tx *bolt.Tx) error {
	if err := createBuckets(tx, topBuckets); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyVersion, u64(schemaVersion))
}

// migrations[v] turns schema v into v+1 inside one write transaction.
var migrations = map[uint64]func(*bolt.Tx) error{
	1: migrate1to2,
	2: migrate2to3,
	3: migrate3to4,
	4: migrate4to5,
}

// createBuckets creates the top-level buckets names that are missing.
func createBuckets(tx *bolt.Tx, names [][]byte) error {
	for _, name := range names {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// migrate4to5 turns each run's stored tool arguments into a
// record.RunConfig: the run settings are kept as they were (the names and
// values are the same), what only the call needed is dropped, and the
// version is set. A config that cannot be read as run settings is dropped:
// such a run could not be resumed before either, and now says so.
func migrate4to5(tx *bolt.Tx) error {
	runs := tx.Bucket(bucketRuns)
	type v4Run struct {
		record.Run
		Config json.RawMessage `json:"config,omitempty"` // shadows Run.Config
	}
	type put struct{ k, v []byte }
	var puts []put
	err := runs.ForEach(func(k, v []byte) error {
		var r v4Run
		if err := unmarshal(v, &r); err != nil {
			return fmt.Errorf("run key %x: %w", k, err)
		}
		r.Run.Config = nil
		if len(r.Config) > 0 && string(r.Config) != "null" {
			var c record.RunConfig
			if err := unmarshal(r.Config, &c); err == nil {
				c.Version = record.RunConfigVersion
				r.Run.Config = &c
			}
		}
		out, err := json.Marshal(r.Run)
		if err != nil {
			return fmt.Errorf("run %s: encode: %w", r.ID, err)
		}
		puts = append(puts, put{slices.Clone(k), out})
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range puts { // not inside ForEach: a Put may move the cursor's page
		if err := runs.Put(p.k, p.v); err != nil {
			return err
		}
	}
	return nil
}

// migrate3to4 adds the routing evaluations' bucket, empty.
func migrate3to4(tx *bolt.Tx) error {
	return createBuckets(tx, bucketsNewInV4)
}

// migrate2to3 adds the job queue: the jobs and job_ids buckets, empty.
func migrate2to3(tx *bolt.Tx) error {
	return createBuckets(tx, bucketsNewInV3)
}

// migrate1to2 moves each run's samples into insertion order (recovered from
// their StartedAt, since v1 did not keep it), which also records the sample
// count, and builds the tag, status and comparison indexes.
func migrate1to2(tx *bolt.Tx) error {
	if err := createBuckets(tx, topBucketsV2); err != nil {
		return err
	}
	runs := tx.Bucket(bucketRuns)
	samples := tx.Bucket(bucketSamples)
	type old struct {
		key []byte
		smp record.Sample
		raw []byte
	}
	return runs.ForEach(func(k, v []byte) error {
		rk := slices.Clone(k) // bbolt keeps Put keys until commit
		var r record.Run
		if err := unmarshal(v, &r); err != nil {
			return fmt.Errorf("run key %x: %w", rk, err)
		}
		// v1 indexed model and suite; add the rest.
		var es []indexEntry
		for _, e := range indexEntries(&r) {
			if !bytes.Equal(e.bucket, bucketModel) && !bytes.Equal(e.bucket, bucketSuite) {
				es = append(es, e)
			}
		}
		tk := timeKey(tsOf(r.StartedAt), rk)
		for _, e := range es {
			b, err := tx.Bucket(e.bucket).CreateBucketIfNotExists([]byte(e.value))
			if err != nil {
				return err
			}
			if err := b.Put(tk, rk); err != nil {
				return err
			}
		}

		ob := samples.Bucket(rk)
		if ob == nil {
			_, err := newSampleBucket(samples, rk)
			return err
		}
		var olds []old
		err := ob.ForEach(func(k, v []byte) error {
			o := old{key: slices.Clone(k), raw: slices.Clone(v)}
			if err := unmarshal(v, &o.smp); err != nil {
				return fmt.Errorf("run %s sample %x: %w", r.ID, k, err)
			}
			olds = append(olds, o)
			return nil
		})
		if err != nil {
			return err
		}
		slices.SortStableFunc(olds, func(a, b old) int {
			if c := a.smp.StartedAt.Compare(b.smp.StartedAt); c != 0 {
				return c
			}
			return bytes.Compare(a.key, b.key)
		})
		if err := samples.DeleteBucket(rk); err != nil {
			return err
		}
		sb, err := newSampleBucket(samples, rk)
		if err != nil {
			return err
		}
		for _, o := range olds {
			if err := sb.put(o.key, o.raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// sampleBucket is one run's samples: seq holds them in insertion order,
// key maps (task, iteration) to their place in seq.
type sampleBucket struct{ seq, key *bolt.Bucket }

func newSampleBucket(samples *bolt.Bucket, rk []byte) (sampleBucket, error) {
	b, err := samples.CreateBucketIfNotExists(rk)
	if err != nil {
		return sampleBucket{}, err
	}
	seq, err := b.CreateBucketIfNotExists(bucketSampleSeq)
	if err != nil {
		return sampleBucket{}, err
	}
	key, err := b.CreateBucketIfNotExists(bucketSampleKey)
	if err != nil {
		return sampleBucket{}, err
	}
	return sampleBucket{seq, key}, nil
}

func openSampleBucket(samples *bolt.Bucket, rk []byte) (sampleBucket, bool) {
	b := samples.Bucket(rk)
	if b == nil {
		return sampleBucket{}, false
	}
	return sampleBucket{b.Bucket(bucketSampleSeq), b.Bucket(bucketSampleKey)}, true
}

// put stores a sample under its (task, iteration) key, in place if that key
// is already there, else at the end.
func (sb sampleBucket) put(k, v []byte) error {
	n := sb.key.Get(k)
	if n == nil {
		next, err := sb.seq.NextSequence()
		if err != nil {
			return err
		}
		n = u64(next)
		if err := sb.key.Put(k, n); err != nil {
			return err
		}
	}
	return sb.seq.Put(n, v)
}

func (sb sampleBucket) count() int { return int(sb.seq.Sequence()) }
