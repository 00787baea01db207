package memory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// A read-only open of a store that a writer (benchmcp serve, a running
// benchmcp run) holds cannot take bbolt's shared lock. Instead it reads a
// snapshot: a copy of the file taken while no transaction committed, which
// is consistent because bbolt never overwrites a page the newest commit
// refers to until a later commit has replaced it (copy-on-write pages, two
// alternating meta pages). So a copy that starts and ends at the same
// committed transaction id holds that transaction's complete state; a copy
// during which a commit landed is taken again.

// snapshotTries is how many copies are tried before giving up on a store
// that commits during every one of them.
const snapshotTries = 8

// snapshot copies the store at path into a new temporary file and returns
// its path; the caller removes it.
func snapshot(path string) (string, error) {
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
