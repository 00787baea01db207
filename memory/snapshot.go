package memory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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
//     writes) to whoever connects, framed so that the reader can tell a
//     whole snapshot from a cut or garbled one: a header (the
//     16-byte magic "benchmcp-snap-v1", then the length, 8 bytes
//     big-endian), the snapshot, and its CRC-32C (4 bytes big-endian). The
//     reader checks the magic, the length and the checksum before bbolt
//     maps the file; a snapshot that fails any of them is an error, never
//     a file to open. A writer that dies mid-send leaves a short one.
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
				_ = s.read(func(tx *bolt.Tx) error { return writeSnapshot(c, tx) })
			}()
		}
	}()
	return l
}

// snapshotMagic opens every snapshot a writer serves; a stream without it
// comes from a writer of an older benchmcp, which sent the bare file.
const snapshotMagic = "benchmcp-snap-v1"

// snapshotIdle is how long a reader waits for the next bytes of a
// snapshot before giving up on the writer.
var snapshotIdle = 10 * time.Second

// writeSnapshot sends tx's consistent copy of the store, framed: the
// magic, the length, the copy, its CRC-32C.
func writeSnapshot(w io.Writer, tx *bolt.Tx) error {
	size := tx.Size()
	hdr := binary.BigEndian.AppendUint64([]byte(snapshotMagic), uint64(size))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	sum := crc32.New(castagnoli)
	n, err := tx.WriteTo(io.MultiWriter(w, sum))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("wrote %d bytes of a %d-byte snapshot", n, size)
	}
	_, err = w.Write(binary.BigEndian.AppendUint32(nil, sum.Sum32()))
	return err
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errNoWriter means no process serves snapshots of the store: the reader
// copies the file itself.
var errNoWriter = errors.New("no process serves snapshots of the store")

// fetchSnapshot asks the writer of the store at path for a snapshot and
// stores it in a new temporary file, whose path it returns, after checking
// its length and checksum. It fails with errNoWriter when nothing listens
// on the store's socket.
func fetchSnapshot(path string) (string, error) {
	c, err := net.DialTimeout("unix", socketPath(path), 2*time.Second)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoWriter, err)
	}
	defer c.Close()
	dst, err := os.CreateTemp("", "benchmcp-snapshot-*.db")
	if err != nil {
		return "", fmt.Errorf("make a snapshot file: %w", err)
	}
	err = receiveSnapshot(dst, idleReader{c})
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst.Name())
		return "", err
	}
	return dst.Name(), nil
}

// receiveSnapshot reads a framed snapshot from r into dst and checks it.
func receiveSnapshot(dst io.Writer, r io.Reader) error {
	hdr := make([]byte, len(snapshotMagic)+8)
	if n, err := io.ReadFull(r, hdr); err != nil {
		if n == 0 {
			return fmt.Errorf("the process holding the store sent no snapshot (%v); retry, or stop that process", err)
		}
		return fmt.Errorf("the process holding the store sent %d bytes, not a snapshot header (%v); retry", n, err)
	}
	if string(hdr[:len(snapshotMagic)]) != snapshotMagic {
		return errors.New("the process holding the store sent a snapshot without a header: it runs an older benchmcp; stop it or upgrade it to this version, then retry")
	}
	want := binary.BigEndian.Uint64(hdr[len(snapshotMagic):])
	sum := crc32.New(castagnoli)
	n, err := io.Copy(io.MultiWriter(dst, sum), io.LimitReader(r, int64(want)))
	if err != nil {
		return fmt.Errorf("receive a snapshot from the process holding the store (%d of %d bytes): %w; retry", n, want, err)
	}
	if uint64(n) < want {
		return fmt.Errorf("the snapshot from the process holding the store was cut short (%d of %d bytes); retry", n, want)
	}
	trailer := make([]byte, 4)
	if _, err := io.ReadFull(r, trailer); err != nil {
		return fmt.Errorf("the snapshot from the process holding the store came without its checksum (%d bytes, then %v); retry", n, err)
	}
	if got, sent := sum.Sum32(), binary.BigEndian.Uint32(trailer); got != sent {
		return fmt.Errorf("the snapshot from the process holding the store is corrupt: its %d bytes have CRC-32C %08x, the sender said %08x; retry", n, got, sent)
	}
	return nil
}

// idleReader reads from a connection, failing when no byte comes for
// snapshotIdle: a writer that hangs mid-send does not hang its reader.
type idleReader struct{ c net.Conn }

func (r idleReader) Read(p []byte) (int, error) {
	r.c.SetReadDeadline(time.Now().Add(snapshotIdle))
	return r.c.Read(p)
}

// readSnapshot is a snapshot of the store at path that a writer holds: the
// one the writer serves, else a copy of the file.
func readSnapshot(path string) (string, error) {
	snap, err := fetchSnapshot(path)
	if errors.Is(err, errNoWriter) {
		return copySnapshot(path)
	}
	return snap, err
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
	m, err := readMeta(f)
	return m.txid, err
}
