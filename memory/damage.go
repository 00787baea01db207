package memory

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"runtime/debug"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// A damaged store (a file cut short by a full disk or a bad copy, a page
// overwritten by a faulty disk, a record zeroed) must give errors, never
// crash the process that reads it. bbolt maps the file into memory and
// trusts its pages: a page past the end of the file is a SIGBUS, a page
// whose header is garbage a panic. So:
//
//   - Open checks, before mapping the file, that it is as long as its
//     newest meta page says its pages reach (checkPages); a shorter file is
//     ErrDamaged, not a SIGBUS on the first read.
//   - Every read runs through Store.read (and the writes of this package,
//     but for runs.go's and jobs.go's, through Store.write), which turns
//     faults on mapped memory into panics (debug.SetPanicOnFault) and a
//     panic into ErrDamaged, naming the commands that check and salvage
//     the store.
//   - A record that is readable but cannot be decoded (zeroed, cut, bit
//     flips in its JSON), or that an index names but is not there, is
//     skipped by lists and scans and noted (Store.Damage), so that one bad
//     run does not hide all the others.
//
// Check (check.go) finds all of it; Salvage copies what is readable into a
// new store.

// ErrDamaged means the store file is damaged: cut short, or holding pages
// or records that cannot be read. `benchmcp runs check` says what is
// damaged and `benchmcp runs salvage OUT` copies what is readable.
var ErrDamaged = errors.New("store is damaged")

// Damage is one record a read skipped: it could not be decoded, or an
// index named a run that is not there.
type Damage struct {
	// What names the record: "run r20261123-143652-0001 (key 0000000000000003)",
	// "sample 5 of run r20261123-143652-0001".
	What string `json:"what"`
	// Err is why it could not be read.
	Err string `json:"error"`
}

func (d Damage) String() string { return d.What + ": " + d.Err }

// decodeError says briefly why a record could not be decoded: the JSON
// decoder's message up to its context (which quotes the bytes around the
// error, mostly zeros or garbage), with bytes that do not print as '?'.
func decodeError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ", error found in"); i >= 0 {
		msg = msg[:i]
	}
	return "cannot be decoded: " + strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, msg)
}

// Damage lists the records that reads through this store have skipped so
// far, each once, in the order they were met. A caller that lists or scans reports them after its results.
func (s *Store) Damage() []Damage {
	s.damageMu.Lock()
	defer s.damageMu.Unlock()
	return append([]Damage(nil), s.damage...)
}

// noteDamage records a skipped record, once: one that cannot be decoded
// (err from the decoder) or errNoRecord.
func (s *Store) noteDamage(what string, err error) {
	s.damageMu.Lock()
	defer s.damageMu.Unlock()
	for _, d := range s.damage {
		if d.What == what {
			return
		}
	}
	msg := err.Error()
	if !errors.Is(err, errNoRecord) {
		msg = decodeError(err)
	}
	s.damage = append(s.damage, Damage{What: what, Err: msg})
}

// skipRun returns the function listTx calls for a run record it cannot
// decode: it notes the run, by ID where run_ids still names its key.
func (s *Store) skipRun(tx *bolt.Tx) func(rk []byte, err error) {
	return func(rk []byte, err error) {
		s.noteDamage(runName(tx, rk), err)
	}
}

// skipSample returns the function samplesTx calls for a sample it cannot
// decode.
func (s *Store) skipSample(tx *bolt.Tx, rk []byte) func(n []byte, err error) {
	return func(n []byte, err error) {
		what := fmt.Sprintf("sample key %x of %s", n, runName(tx, rk))
		if len(n) == 8 {
			what = fmt.Sprintf("sample %d of %s", binary.BigEndian.Uint64(n), runName(tx, rk))
		}
		s.noteDamage(what, err)
	}
}

// runName names run key rk for a message: its ID, found by a scan of
// run_ids (damage is rare; the scan is only made then), and its key. A
// damaged run_ids leaves the key alone to name it.
func runName(tx *bolt.Tx, rk []byte) (name string) {
	defer func() {
		if recover() != nil {
			name = fmt.Sprintf("run key %x (run_ids is damaged)", rk)
		}
	}()
	id := ""
	if ids := tx.Bucket(bucketRunIDs); ids != nil {
		_ = ids.ForEach(func(k, v []byte) error {
			if bytes.Equal(v, rk) {
				id = string(k)
				return errStop
			}
			return nil
		})
	}
	if id == "" {
		return fmt.Sprintf("run key %x (its ID is not in run_ids)", rk)
	}
	return fmt.Sprintf("run %s (key %x)", id, rk)
}

// errNoRecord is a run an index names that the runs bucket lacks.
var errNoRecord = errors.New("an index names it, but the runs bucket holds no such run")

// errStop ends a ForEach early.
var errStop = errors.New("stop")

// read runs fn in a read transaction that cannot crash the process on a
// damaged file: a fault on the mapped file or a panic inside bbolt
// becomes an ErrDamaged error.
func (s *Store) read(fn func(*bolt.Tx) error) (err error) {
	defer guard(s.path, &err)()
	return s.db.View(fn)
}

// write is read for a write transaction: a damaged page met while writing
// is an ErrDamaged error, and bbolt rolls the transaction back (nothing of
// it is committed).
func (s *Store) write(fn func(*bolt.Tx) error) (err error) {
	defer guard(s.path, &err)()
	return s.db.Update(fn)
}

// guard makes the calling goroutine's faults on mapped memory panics, and
// returns the function to defer that recovers such a panic (or one of
// bbolt's on a bad page) into an ErrDamaged error in *err and restores the
// goroutine's fault setting. Use it as `defer guard(path, &err)()`.
func guard(path string, err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		r := recover()
		debug.SetPanicOnFault(old)
		if r != nil {
			*err = damaged(path, fmt.Sprint(r))
		}
	}
}

// damaged is the error for a store whose pages could not be read.
func damaged(path, why string) error { return &pageError{path, why} }

// pageError is a read that met a page it could not read: it is ErrDamaged.
type pageError struct {
	path string
	why  string // bbolt's panic, or the fault
}

func (e *pageError) Error() string {
	return fmt.Sprintf("%v: %s: reading its pages failed (%s); run `benchmcp runs check --db %s` to see what is damaged, and `benchmcp runs salvage --db %s OUT` to copy what is readable into a new store",
		ErrDamaged, e.path, e.why, e.path, e.path)
}

func (e *pageError) Unwrap() error { return ErrDamaged }

// why is err without the advice to check and salvage, for the reports of
// Check and Salvage, which are that advice.
func why(err error) string {
	if pe := (*pageError)(nil); errors.As(err, &pe) {
		return "a page cannot be read: " + pe.why
	}
	return err.Error()
}

// touch reads the first and last byte of v, a value in the mapped file,
// so that a value whose garbled length reaches past the end of the file
// faults here, in a guarded read, and not later in a goroutine that
// decodes it, where no guard can catch it. It is not inlined, so that the
// reads are made though the result is dropped.
//
//go:noinline
func touch(v []byte) byte {
	if len(v) == 0 {
		return 0
	}
	return v[0] ^ v[len(v)-1]
}

// metaPage is what a bbolt meta page says of the file.
type metaPage struct {
	pageSize uint32
	pgid     uint64 // the high-water page: the file's pages end at pgid*pageSize
	txid     uint64
}

// readMeta reads the newest valid meta page of a bbolt file (pages 0 and
// 1; a torn or stale one fails its checksum). bbolt's layout
// (go.etcd.io/bbolt/internal/common/meta.go): a page starts with a 16-byte
// header; the meta follows: magic, version, page size, flags (4 bytes
// each, little-endian), root bucket (16), freelist (8), high-water page
// (8), txid (8), then a FNV-64a checksum of all that.
func readMeta(f *os.File) (metaPage, error) {
	const header, metaLen, magic, version = 16, 64, 0xED0CDAED, 2
	le := binary.LittleEndian
	read := func(off int64) (metaPage, bool) {
		b := make([]byte, metaLen)
		if _, err := f.ReadAt(b, off+header); err != nil {
			return metaPage{}, false
		}
		h := fnv.New64a()
		h.Write(b[:56])
		ok := le.Uint32(b[0:]) == magic && le.Uint32(b[4:]) == version && le.Uint64(b[56:]) == h.Sum64()
		return metaPage{pageSize: le.Uint32(b[8:]), pgid: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}, ok
	}
	m0, ok0 := read(0)
	pageSize := int64(4096)
	if ok0 {
		pageSize = int64(m0.pageSize)
	}
	m1, ok1 := read(pageSize)
	switch {
	case ok1 && (!ok0 || m1.txid > m0.txid):
		return m1, nil
	case ok0:
		return m0, nil
	}
	return metaPage{}, errors.New("no valid bbolt meta page: the file is not a benchmcp store or is damaged")
}

// checkPages refuses a store file shorter than its newest meta page says
// its pages reach, before bbolt maps it: a read of a page past the end of
// a mapped file is a SIGBUS, which no recover catches. A missing or empty
// file passes (bbolt creates or fills it), and so does one with no valid
// meta page (bbolt refuses it with an error of its own).
func checkPages(path string) error {
	size, end := pagesEnd(path)
	if size < end {
		return fmt.Errorf("%w: %s is %d bytes but its pages end at %d: the file was cut short; run `benchmcp runs salvage --db %s OUT` to copy what is readable into a new store",
			ErrDamaged, path, size, end, path)
	}
	return nil
}

// pagesEnd returns the size of the file at path and where its newest valid
// meta page says its pages end (the high-water page times the page size);
// both 0 when it cannot tell (no file, no valid meta page).
func pagesEnd(path string) (size, end int64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return 0, 0
	}
	m, err := readMeta(f)
	if err != nil {
		return 0, 0
	}
	return fi.Size(), int64(m.pgid) * int64(m.pageSize)
}
