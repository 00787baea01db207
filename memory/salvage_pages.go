package memory

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"maps"
	"os"
	"slices"

	"github.com/benchmcp/benchmcp/internal/record"
	bolt "go.etcd.io/bbolt"
)

// When bbolt cannot open a store at all (a file cut short before its root
// pages, which copy-on-write puts at the end as often as not), Salvage
// reads its pages itself: every whole leaf page left in the file, and the
// inline pages of small buckets inside them, element by element, keeping
// each value that decodes as a run or a sample. The tree that said which
// pages were live is gone, so freed pages count too: a run can be found in
// several versions (the newest, by its life cycle, is kept) and a run
// deleted before the damage can come back. The report says so.

// bbolt's page layout (go.etcd.io/bbolt/internal/common/page.go): a 16-byte
// header (id u64, flags u16, count u16, overflow u32, little-endian), then
// count leaf elements of 16 bytes (flags, pos, ksize, vsize, u32 each;
// the key starts pos bytes after its element, the value follows it).
const (
	pageHeaderSize  = 16
	leafElementSize = 16
	leafPageFlag    = 0x02
	bucketLeafFlag  = 0x01
	bucketHeader    = 16 // an inline bucket's value: root u64 (0), sequence u64, then its page
)

// scanLeaves calls fn with the key and value of every element of every
// leaf page of a bbolt file's bytes, and of the inline bucket pages inside
// them; a page whose header does not name its own place is skipped.
func scanLeaves(data []byte, pageSize int, fn func(k, v []byte)) {
	for id := 2; (id+1)*pageSize <= len(data); id++ {
		p := data[id*pageSize:]
		if binary.LittleEndian.Uint64(p) != uint64(id) {
			continue
		}
		overflow := int(binary.LittleEndian.Uint32(p[12:]))
		end := min(len(p), (1+overflow)*pageSize)
		scanLeafPage(p[:end], fn, 0)
	}
}

// scanLeafPage reads one leaf page (or inline page) p, depth deep in
// inline buckets.
func scanLeafPage(p []byte, fn func(k, v []byte), depth int) {
	le := binary.LittleEndian
	if len(p) < pageHeaderSize || le.Uint16(p[8:])&leafPageFlag == 0 || depth > 8 {
		return
	}
	count := int(le.Uint16(p[10:]))
	for i := range count {
		e := pageHeaderSize + i*leafElementSize
		if e+leafElementSize > len(p) {
			return
		}
		flags, pos := le.Uint32(p[e:]), int(le.Uint32(p[e+4:]))
		ksize, vsize := int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
		k := e + pos
		if pos < 0 || ksize < 0 || vsize < 0 || k+ksize+vsize > len(p) || k+ksize+vsize < k {
			continue
		}
		key, val := p[k:k+ksize], p[k+ksize:k+ksize+vsize]
		if flags&bucketLeafFlag != 0 {
			if len(val) > bucketHeader && le.Uint64(val) == 0 {
				scanLeafPage(val[bucketHeader:], fn, depth+1)
			}
			continue
		}
		fn(key, val)
	}
}

// pageFinds are the runs and samples a scan of pages found.
type pageFinds struct {
	runs    map[string]record.Run
	samples map[string]map[string]foundSample // run ID -> task/iteration -> newest
}

type foundSample struct {
	n   uint64 // its place in the run's seq bucket
	smp record.Sample
}

// scanPages reads every run and sample left in the whole pages of the
// bbolt file at path.
func scanPages(path string) (*pageFinds, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := readMeta(f)
	f.Close()
	pageSize := int(m.pageSize)
	if err != nil {
		pageSize = guessPageSize(data)
	}
	finds := &pageFinds{runs: map[string]record.Run{}, samples: map[string]map[string]foundSample{}}
	scanLeaves(data, pageSize, func(k, v []byte) {
		var probe map[string]json.RawMessage
		if len(k) != 8 || len(v) == 0 || v[0] != '{' || unmarshal(v, &probe) != nil {
			return
		}
		has := func(keys ...string) bool {
			for _, key := range keys {
				if _, ok := probe[key]; !ok {
					return false
				}
			}
			return true
		}
		switch {
		case has("id", "status", "model", "suite", "started_at"):
			var r record.Run
			if unmarshal(v, &r) == nil && r.ID != "" {
				if old, ok := finds.runs[r.ID]; !ok || newerRun(r, old) {
					finds.runs[r.ID] = r
				}
			}
		case has("run_id", "task_id", "iteration", "started_at"):
			var smp record.Sample
			if unmarshal(v, &smp) == nil && smp.RunID != "" {
				byKey := finds.samples[smp.RunID]
				if byKey == nil {
					byKey = map[string]foundSample{}
					finds.samples[smp.RunID] = byKey
				}
				key := string(sampleKey(smp.TaskID, smp.Iteration))
				if old, ok := byKey[key]; !ok || smp.StartedAt.After(old.smp.StartedAt) {
					byKey[key] = foundSample{binary.BigEndian.Uint64(k), smp}
				}
			}
		}
	})
	return finds, nil
}

// guessPageSize is the page size of a bbolt file whose meta pages are
// gone: the power of two from 1 KiB to 64 KiB under which the most pages
// name their own place in their header.
func guessPageSize(data []byte) int {
	best, bestHits := 4096, 0
	for size := 1 << 10; size <= 1<<16; size <<= 1 {
		hits := 0
		for id := 2; (id+1)*size <= len(data); id++ {
			if binary.LittleEndian.Uint64(data[id*size:]) == uint64(id) {
				hits++
			}
		}
		if hits > bestHits {
			best, bestHits = size, hits
		}
	}
	return best
}

// newerRun reports whether a is a later version of a run than b: runs only
// move forward, from running to a final state, and a run's end is set
// when it finishes (a resumed run ends again later).
func newerRun(a, b record.Run) bool {
	if at, bt := a.Status.Terminal(), b.Status.Terminal(); at != bt {
		return at
	}
	if !a.EndedAt.Equal(b.EndedAt) {
		return a.EndedAt.After(b.EndedAt)
	}
	return bytes.Compare(mustJSON(a), mustJSON(b)) > 0 // any fixed choice
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// lines are the runs found with their samples in their stored order; the
// samples of runs not found are counted in lost.
func (pf *pageFinds) lines() (lines []Line, lost int) {
	for id, r := range pf.runs {
		found := slices.Collect(maps.Values(pf.samples[id]))
		slices.SortFunc(found, func(a, b foundSample) int { return cmp.Compare(a.n, b.n) })
		l := Line{Run: r}
		for _, f := range found {
			l.Samples = append(l.Samples, f.smp)
		}
		lines = append(lines, l)
	}
	for id, smps := range pf.samples {
		if _, ok := pf.runs[id]; !ok {
			lost += len(smps)
		}
	}
	slices.SortFunc(lines, func(a, b Line) int { return cmp.Compare(a.Run.ID, b.Run.ID) })
	return lines, lost
}

// salvagePages is Salvage for a file bbolt cannot open, or one part of
// whose run trees it cannot read: it copies the runs and samples a scan of
// its pages finds, and d does not hold yet, into d.
func salvagePages(src string, d *Store, rep *SalvageReport) error {
	finds, err := scanPages(src)
	if err != nil {
		return err
	}
	lines, lost := finds.lines()
	err = d.db.View(func(tx *bolt.Tx) error {
		lines = slices.DeleteFunc(lines, func(l Line) bool { return l.Run.ID != "" && getRK(tx, l.Run.ID) != nil })
		return nil // a run read through bbolt already is not copied again
	})
	if err != nil {
		return err
	}
	if lost > 0 {
		rep.skip("%d samples of runs whose records are lost", lost)
	}
	if !rep.runTreeLost {
		rep.skip("suites, jobs, baselines, routing policies and route decisions: a scan of pages copies only runs and samples")
	}
	rep.skip("found by scanning pages: a run deleted before the damage may be back, and a run's newest state may be older than its last")
	_, err = putSalvaged(d, lines, rep)
	return err
}
