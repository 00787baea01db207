package memory

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/google/go-cmp/cmp"
)

// TestReadWhileWriterHoldsStore: while another process holds the store
// and commits a sample after another, read-only opens work (they read a
// snapshot), each sees a consistent store (bbolt's check passes, every
// sample is whole and in order, counts never go back), writes through them
// fail, and the snapshot file is gone after Close.
func TestReadWhileWriterHoldsStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	_, sc, _ := startChild(t, "crash", path)
	id := expectLine(t, sc, "run")
	expectLine(t, sc, "committed")
	go func() { // keep the writer writing
		for sc.Scan() {
		}
	}()

	last := 0
	for i := range 15 {
		ro, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("read-only open %d while the writer commits: %v", i, err)
		}
		if err := ro.db.View(checkTx); err != nil {
			t.Errorf("snapshot %d is not a consistent bbolt file: %v", i, err)
		}
		r, err := ro.GetRun(id)
		if err != nil || r.Status != record.StatusRunning {
			t.Errorf("snapshot %d: run %+v, %v; want it running (its owner is alive)", i, r.Status, err)
		}
		smps, err := ro.Samples(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(smps) < last {
			t.Errorf("snapshot %d has %d samples, an earlier one had %d", i, len(smps), last)
		}
		last = len(smps)
		for j, got := range smps {
			if d := cmp.Diff(crashSample(id, j+1), got); d != "" {
				t.Fatalf("snapshot %d sample %d (-want +got):\n%s", i, j+1, d)
			}
		}
		if err := ro.PutRun(testRun("tiny-s", "arith", t0)); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("write through a snapshot: %v, want a read-only error", err)
		}
		snap := ro.snapshot
		if snap == "" {
			t.Fatalf("open %d did not read a snapshot though the writer holds the file", i)
		}
		ro.Close()
		if _, err := os.Stat(snap); !os.IsNotExist(err) {
			t.Errorf("snapshot %s left behind after Close: %v", snap, err)
		}
	}
	t.Logf("15 snapshots, the last with %d samples", last)
}

// TestCommittedTxid reads the txid bbolt itself reports.
func TestCommittedTxid(t *testing.T) {
	s := newTestStore(t)
	for i := range 3 {
		if err := s.PutRun(testRun("tiny-s", fmt.Sprint("s", i), t0)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := s.db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	want := uint64(tx.ID())
	tx.Rollback()
	f, err := os.Open(s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := committedTxid(f); err != nil || got != want {
		t.Errorf("committedTxid = %d, %v; bbolt says %d", got, err, want)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a store", 1000)), 0o644)
	j, _ := os.Open(junk)
	defer j.Close()
	if _, err := committedTxid(j); err == nil {
		t.Error("committedTxid of a junk file succeeded")
	}
}

// TestWriterServesSnapshots: a writable open serves snapshots on a socket
// only its owner may use, gone after Close; without the socket (a writer
// of an older version) a reader copies the file.
func TestWriterServesSnapshots(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	cmd, sc, stdin := startChild(t, "lock", path)
	expectLine(t, sc, "opened")
	fi, err := os.Stat(socketPath(path))
	if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the writer's snapshot socket: %v, %v; want a socket of mode 0600", fi, err)
	}
	if snap, err := fetchSnapshot(path); err != nil {
		t.Errorf("fetch a snapshot from the writer: %v", err)
	} else {
		os.Remove(snap)
	}
	// As if the writer served none: the reader copies the quiet file.
	if err := os.Remove(socketPath(path)); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open by copying the file: %v", err)
	}
	if err := ro.db.View(checkTx); err != nil {
		t.Errorf("copied snapshot: %v", err)
	}
	ro.Close()
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, path, Options{})
	if _, err := os.Stat(socketPath(path)); err != nil {
		t.Errorf("a writable open serves no socket: %v", err)
	}
	s.Close()
	if _, err := os.Stat(socketPath(path)); !os.IsNotExist(err) {
		t.Errorf("the socket outlives Close: %v", err)
	}
}

// TestSnapshotFraming: a read-only open of a store another process holds
// reads the snapshot that process serves, and refuses, with an error that
// says what happened, every snapshot that is not whole: cut short by a
// writer dying mid-send, corrupt in transit, without its checksum, from a
// writer that stalls, or from an older writer that sends no header. No
// snapshot file is left behind and none is opened.
func TestSnapshotFraming(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // where snapshots are received
	defer func(d time.Duration) { snapshotIdle = d }(snapshotIdle)
	snapshotIdle = 300 * time.Millisecond

	// The snapshot served: a real one, of a store with three runs.
	src := newTestStore(t)
	for i := range 3 {
		mustPut(t, src, testRun("tiny-s", fmt.Sprint("suite-", i), t0))
	}
	var framed, bare bytes.Buffer
	if err := src.db.View(func(tx *bolt.Tx) error {
		if err := writeSnapshot(&framed, tx); err != nil {
			return err
		}
		_, err := tx.WriteTo(&bare)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	whole := framed.Bytes()
	size := len(whole) - len(snapshotMagic) - 8 - 4
	corrupt := bytes.Clone(whole)
	corrupt[len(whole)/2] ^= 0x10

	path := filepath.Join(t.TempDir(), "bench.db")
	_, sc, _ := startChild(t, "lock", path)
	expectLine(t, sc, "opened")

	for _, tc := range []struct {
		name  string
		send  []byte
		stall bool   // keep the connection open after sending
		want  string // "" : the open succeeds
	}{
		{"whole", whole, false, ""},
		{"cut short mid-send", whole[:len(whole)/2], false, fmt.Sprintf("was cut short (%d of %d bytes); retry", len(whole)/2-len(snapshotMagic)-8, size)},
		{"cut in the header", whole[:10], false, "sent 10 bytes, not a snapshot header"},
		{"nothing sent", nil, false, "sent no snapshot"},
		{"corrupt", corrupt, false, "is corrupt: its " + fmt.Sprint(size) + " bytes have CRC-32C"},
		{"no checksum", whole[:len(whole)-4], false, "came without its checksum"},
		{"stalls mid-send", whole[:len(whole)/2], true, "i/o timeout"},
		{"older writer, no header", bare.Bytes(), false, "without a header: it runs an older benchmcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(socketPath(path)) // the child's, or the last case's
			l, err := net.Listen("unix", socketPath(path))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			done := make(chan struct{})
			defer close(done)
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				c.Write(tc.send)
				if tc.stall {
					<-done
				}
			}()
			s, err := Open(path, Options{ReadOnly: true})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("read-only open with a whole snapshot: %v", err)
				}
				defer s.Close()
				if runs, err := s.ListRuns(Filter{}); err != nil || len(runs) != 3 {
					t.Errorf("the snapshot read has %d runs (%v); the one served has 3", len(runs), err)
				}
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("read-only open with a bad snapshot succeeded; want an error saying %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "while another process writes it") {
				t.Errorf("error = %v\nwant it to say %q", err, tc.want)
			}
			if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "benchmcp-snapshot-*")); len(left) != 0 {
				t.Errorf("a refused snapshot was left behind: %v", left)
			}
		})
	}
}
