// Package memory keeps every benchmark run, every sample, suites, baselines
// and routing decisions in one embedded bbolt file, so that results survive
// the process that produced them and can be compared, resumed and exported.
package memory

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Errors callers branch on.
var (
	// ErrRunNotFound means no run has the given ID (or no baseline is set).
	ErrRunNotFound = errors.New("run not found")
	// ErrLocked means another process holds the store file open for writing.
	ErrLocked = errors.New("store is locked")
	// ErrSchemaUnknown means the file has a schema this code does not know.
	ErrSchemaUnknown = errors.New("unknown store schema")
	// ErrReadOnly means a write was attempted on a store opened read-only.
	ErrReadOnly = errors.New("store is read-only")
	// ErrRunExists means Import met a run ID that the store already holds.
	ErrRunExists = errors.New("run already exists")
)

// Options tune Open.
type Options struct {
	// ReadOnly opens the file for analysis: it shares the lock with other
	// readers (or reads a snapshot while a writer holds it), writes fail
	// with ErrReadOnly and nothing is migrated or swept.
	ReadOnly bool
	// LockTimeout is how long Open waits for another process to let go of
	// the file before failing with ErrLocked (or, read-only, reading a
	// snapshot); 0 means 2s (read-only: 100ms).
	LockTimeout time.Duration
}

// Store is an open memory file. Its methods are safe for concurrent use.
type Store struct {
	db       *bolt.DB
	path     string
	readOnly bool
	snapshot string       // the copy a read-only open reads while a writer holds path; removed on Close
	serving  net.Listener // a writable open serves snapshots to readers here (nil: none)
	now      func() time.Time
	pid      int
	host     string

	damageMu sync.Mutex
	damage   []Damage // records reads skipped (Damage)
	unstored sync.Map // run id -> why its end could not be stored (see final.go)
}

// DefaultPath is where the store lives unless --db or BENCHMCP_DB say
// otherwise: $XDG_DATA_HOME/benchmcp/bench.db, else ~/.local/share/benchmcp/bench.db.
func DefaultPath() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "benchmcp", "bench.db")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "benchmcp", "bench.db")
	}
	return "bench.db"
}

// Open opens the store at path, creating the file and its directory unless
// opt.ReadOnly. A store of an older schema is migrated in one transaction,
// after a copy of it is saved next to it as <path>.v<N>.bak. On a writable
// open, runs left running by a process that no longer exists are marked
// interrupted. A read-only open of a store another process holds for
// writing reads a consistent snapshot of it (see snapshot.go): what was
// committed when it opened.
func Open(path string, opt Options) (*Store, error) {
	timeout := opt.LockTimeout
	switch {
	case timeout > 0:
	case opt.ReadOnly:
		timeout = 100 * time.Millisecond // then read a snapshot
	default:
		timeout = 2 * time.Second
	}
	if opt.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open store %s read-only: %w", path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	boltOpt := &bolt.Options{
		Timeout:      timeout,
		ReadOnly:     opt.ReadOnly,
		FreelistType: bolt.FreelistMapType,
	}
	db, err := openBolt(path, path, boltOpt)
	snap := ""
	if errors.Is(err, bolt.ErrTimeout) && opt.ReadOnly {
		// A writer holds the store: read a consistent copy instead.
		if snap, err = readSnapshot(path); err != nil {
			return nil, fmt.Errorf("open store %s read-only while another process writes it: %w", path, err)
		}
		if db, err = openBolt(snap, path, boltOpt); err != nil {
			os.Remove(snap)
			return nil, fmt.Errorf("open a snapshot of store %s: %w", path, err)
		}
	}
	if errors.Is(err, bolt.ErrTimeout) {
		holder := "another benchmcp process"
		switch pid := lockHolder(path); {
		case pid == os.Getpid():
			holder = fmt.Sprintf("this process (pid %d), opened twice", pid)
		case pid > 0:
			holder = fmt.Sprintf("another benchmcp process (pid %d)", pid)
		}
		return nil, fmt.Errorf("%w: store %s is locked by %s; waited %s; close it or use --db to pick another file",
			ErrLocked, path, holder, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	host, _ := os.Hostname()
	s := &Store{db: db, path: path, readOnly: opt.ReadOnly, snapshot: snap, now: time.Now, pid: os.Getpid(), host: host}
	if err := s.guarded(s.prepare); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if !opt.ReadOnly {
		s.serving = s.serveSnapshots()
	}
	return s, nil
}

// openBolt opens the bbolt file at file (the store at path, or a snapshot
// of it) after checking that it is not cut short (checkPages), turning a
// panic or fault of bbolt's on a damaged page into an error.
func openBolt(file, path string, opt *bolt.Options) (db *bolt.DB, err error) {
	if err := checkPages(file); err != nil {
		if file != path {
			return nil, fmt.Errorf("a snapshot of it: %w", err)
		}
		return nil, err
	}
	defer guard(path, &err)()
	return bolt.Open(file, 0o600, opt)
}

// guarded calls fn, turning a panic or fault of bbolt's on a damaged page
// into an ErrDamaged error.
func (s *Store) guarded(fn func() error) (err error) {
	defer guard(s.path, &err)()
	return fn()
}

// prepare checks the schema, creates or migrates it and sweeps dead runs.
func (s *Store) prepare() error {
	var v uint64
	if err := s.db.View(func(tx *bolt.Tx) (err error) {
		v, err = readVersion(tx)
		return err
	}); err != nil {
		return err
	}
	switch {
	case v > schemaVersion:
		return fmt.Errorf("%w: schema v%d was written by a newer benchmcp (this one knows up to v%d); upgrade benchmcp",
			ErrSchemaUnknown, v, schemaVersion)
	case v == schemaVersion:
	case s.readOnly && v == 0:
		return fmt.Errorf("%w: the file is empty, not a benchmcp store", ErrSchemaUnknown)
	case s.readOnly:
		return s.readMigrated(v)
	case v == 0:
		if err := s.db.Update(initSchema); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	default:
		if err := s.migrate(v); err != nil {
			return err
		}
	}
	if s.readOnly {
		return nil
	}
	if err := s.sweepInterrupted(); err != nil {
		return fmt.Errorf("mark interrupted runs: %w", err)
	}
	return nil
}

// migrate backs the file up, then brings it from schema v to the current one
// in one transaction.
func (s *Store) migrate(v uint64) error {
	for w := v; w < schemaVersion; w++ {
		if migrations[w] == nil {
			return fmt.Errorf("%w: no migration from schema v%d", ErrSchemaUnknown, w)
		}
	}
	backup := fmt.Sprintf("%s.v%d.bak", s.path, v)
	if _, err := os.Stat(backup); err == nil {
		backup = fmt.Sprintf("%s.v%d.%s.bak", s.path, v, s.now().UTC().Format("20060102-150405"))
	}
	if err := s.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(backup, 0o600) }); err != nil {
		return fmt.Errorf("back up before migrating schema v%d: %w", v, err)
	}
	if err := s.applyMigrations(v); err != nil {
		return fmt.Errorf("%w (the file is unchanged; a copy is at %s)", err, backup)
	}
	return nil
}

// applyMigrations brings the open file from schema v to the current one in
// one transaction.
func (s *Store) applyMigrations(v uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for ; v < schemaVersion; v++ {
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("migrate schema v%d to v%d: %w", v, v+1, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, u64(schemaVersion))
	})
}

// readMigrated lets a read-only open read a store of an older schema
// without changing the file: it migrates a private copy (a temporary file,
// removed on Close, like a snapshot) and reads that.
func (s *Store) readMigrated(v uint64) error {
	for w := v; w < schemaVersion; w++ {
		if migrations[w] == nil {
			return fmt.Errorf("%w: no migration from schema v%d", ErrSchemaUnknown, w)
		}
	}
	f, err := os.CreateTemp("", "benchmcp-migrated-*.db")
	if err != nil {
		return fmt.Errorf("read schema v%d: make a copy to migrate: %w", v, err)
	}
	f.Close()
	tmp := f.Name()
	if err := s.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(tmp, 0o600) }); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("read schema v%d: copy it to migrate: %w", v, err)
	}
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("read schema v%d: open its copy: %w", v, err)
	}
	s.db.Close()
	if s.snapshot != "" {
		os.Remove(s.snapshot)
	}
	s.db, s.snapshot = db, tmp
	if err := s.applyMigrations(v); err != nil {
		return fmt.Errorf("read schema v%d: migrate a copy: %w", v, err)
	}
	return nil
}

// Close releases the file.
func (s *Store) Close() error {
	if s.serving != nil {
		s.serving.Close() // removes the socket
	}
	err := s.db.Close()
	if s.snapshot != "" {
		os.Remove(s.snapshot)
	}
	return err
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Compact writes a compacted copy of the store to dst, which must not exist
// yet. A damaged page is an ErrDamaged error (Salvage copies around it).
func (s *Store) Compact(dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("compact store %s into %s: %w", s.path, dst, os.ErrExist)
	}
	out, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("compact store %s into %s: %w", s.path, dst, err)
	}
	if err := s.guarded(func() error { return bolt.Compact(out, s.db, 64<<20) }); err != nil {
		out.Close()
		os.Remove(dst)
		return fmt.Errorf("compact store %s into %s: %w", s.path, dst, err)
	}
	return out.Close()
}

func (s *Store) writable(op string) error {
	if s.readOnly {
		return fmt.Errorf("%s: %w (%s)", op, ErrReadOnly, s.path)
	}
	return nil
}
