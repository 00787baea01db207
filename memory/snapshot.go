package memory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A read-only open of a store that a writer (benchmcp serve, a running
// benchmcp run) holds cannot take bbolt's shared lock. Instead it reads a
// snapshot of what was committed, into a temporary file:
//
//  1. The writer serves one: every writable open listens on a Unix socket
//     next to the file (<path>.sock, mode 0600) and writes a bbolt read
//     transaction (tx.WriteTo, consistent by construction, beside its
//     writes) to whoever connects.
//  2. Without that socket (a writer of an older benchmcp), the reader
//     copies the file while no transaction commits. That copy is
//     consistent because bbolt never overwrites a page the newest commit
//     refers to until a later commit has replaced it (copy-on-write pages,
//     two alternating meta pages): a copy that starts and ends at the same
//     committed transaction id holds that transaction's complete state. A
//     copy during which a commit landed is taken again; a writer that
//     commits during every try makes the open fail, saying so.

// socketPath is where the writer of the store at path serves snapshots.
func socketPath(path string) string { return path + ".sock" }

// serveSnapshots listens on the store's socket and sends each connection
// a consistent copy of the store. It returns the listener to close, or nil
// when it cannot listen (a path too long for a socket, a read-only
// directory): readers then copy the file themselves.
func (s *Store) serveSnapshots() net.Listener {
	sock := socketPath(s.path)
	if len(sock) > 100 { // sun_path holds 108 bytes
		return nil
	}
	os.Remove(sock) // a crashed writer's; this process holds the lock now
	l, err := net.Listen("unix", sock)
	if err != nil {
		return nil
	}
	// Only the store's owner may connect (a socket needs write permission).
	if err := os.Chmod(sock, 0o600); err != nil {
		l.Close()
		return nil
	}
	l.(*net.UnixListener).SetUnlinkOnClose(true)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = s.db.View(func(tx *bolt.Tx) error {
					_, err := tx.WriteTo(c)
					return err
				})
			}()
		}
	}()
	return l
}

// fetchSnapshot asks the writer of the store at path for a snapshot and
// stores it in a new temporary file, whose path it returns.
func fetchSnapshot(path string) (string, error) {
	c, err := net.DialTimeout("unix", socketPath(path), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	dst, err := os.CreateTemp("", "benchmcp-snapshot-*.db")
	if err != nil {
		return "", fmt.Errorf("make a snapshot file: %w", err)
	}
	n, err := io.Copy(dst, c)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 {
		err = errors.New("the writer sent an empty snapshot")
	}
	if err != nil {
		os.Remove(dst.Name())
		return "", fmt.Errorf("receive a snapshot from the writer: %w", err)
	}
	return dst.Name(), nil
}

// readSnapshot is a snapshot of the store at path that a writer holds: the
// one the writer serves, else a copy of the file.
func readSnapshot(path string) (string, error) {
	if snap, err := fetchSnapshot(path); err == nil {
		return snap, nil
	}
	return copySnapshot(path)
}

// snapshotTries is how many copies are tried before giving up on a store
// that commits during every one of them.
const snapshotTries = 8

// copySnapshot copies the store at path into a new temporary file while no
// transaction commits and returns its path; the caller removes it.
func copySnapshot(path string) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	for range snapshotTries {
		before, err := committedTxid(src)
		if err != nil {
			return "", err
		}
		dst, err := os.CreateTemp("", "benchmcp-snapshot-*.db")
		if err != nil {
			return "", fmt.Errorf("make a snapshot file: %w", err)
		}
		_, err = io.Copy(dst, io.NewSectionReader(src, 0, 1<<62))
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst.Name())
			return "", fmt.Errorf("copy the store into a snapshot: %w", err)
		}
		after, err := committedTxid(src)
		if err == nil && after == before {
			return dst.Name(), nil
		}
		os.Remove(dst.Name())
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("the store committed during each of %d snapshot attempts; try again when the writer is less busy", snapshotTries)
}

// committedTxid is the transaction id of the newest valid meta page of a
// bbolt file (pages 0 and 1; a torn or stale one fails its checksum).
func committedTxid(f *os.File) (uint64, error) {
	// A page starts with a 16-byte header; the meta follows: magic,
	// version, page size, flags (4 bytes each), root bucket (16), freelist
	// (8), high-water page (8), txid (8), then a FNV-64a checksum of all
	// that.
	const header, metaLen, magic = 16, 64, 0xED0CDAED
	read := func(off int64) ([]byte, bool) {
		b := make([]byte, metaLen)
		if _, err := f.ReadAt(b, off+header); err != nil {
			return nil, false
		}
		h := fnv.New64a()
		h.Write(b[:56])
		le := binary.LittleEndian
		return b, le.Uint32(b[0:]) == magic && le.Uint64(b[56:]) == h.Sum64()
	}
	var best uint64
	found := false
	m0, ok0 := read(0)
	if ok0 {
		best, found = binary.LittleEndian.Uint64(m0[48:]), true
	}
	pageSize := int64(4096)
	if ok0 {
		pageSize = int64(binary.LittleEndian.Uint32(m0[8:]))
	}
	if m1, ok := read(pageSize); ok {
		if t := binary.LittleEndian.Uint64(m1[48:]); !found || t > best {
			best, found = t, true
		}
	}
	if !found {
		return 0, errors.New("no valid bbolt meta page: the file is not a benchmcp store or is damaged")
	}
	return best, nil
}
