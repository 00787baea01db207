package shape

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// CacheDir is where generated files are kept: $BENCHMCP_SHAPE_CACHE, else
// benchmcp/shapes under the user cache dir (~/.cache on Linux).
func CacheDir() (string, error) {
	if d := os.Getenv("BENCHMCP_SHAPE_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the shape files (set BENCHMCP_SHAPE_CACHE): %w", err)
	}
	return filepath.Join(d, "benchmcp", "shapes"), nil
}

// File is a generated GGUF on disk.
type File struct {
	Path   string
	Digest string // "sha256:<hex>", as Ollama names blobs
	Size   int64
	Cached bool // it was there already
}

// Path is where the shape's file is (or would be) in dir.
func (s Shape) Path(dir string) string { return filepath.Join(dir, s.Key()+".gguf") }

// Cached returns the shape's file in dir if it is there, complete (its
// size right and its digest, written after it, beside it).
func (s Shape) Cached(dir string) (File, bool) {
	path := s.Path(dir)
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != s.FileSize() {
		return File{}, false
	}
	d, err := os.ReadFile(path + ".sha256")
	digest := strings.TrimSpace(string(d))
	if err != nil || !strings.HasPrefix(digest, "sha256:") || len(digest) != 7+64 {
		return File{}, false
	}
	return File{Path: path, Digest: digest, Size: fi.Size(), Cached: true}, true
}

// Ensure returns the shape's file in dir, writing it first if it is not
// there (to a temporary file renamed into place, so a reader never sees a
// partial one). It refuses when the disk has not room for it.
func (s Shape) Ensure(dir string, progress func(done, total int64)) (File, error) {
	if err := s.Validate(); err != nil {
		return File{}, err
	}
	if f, ok := s.Cached(dir); ok {
		return f, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return File{}, fmt.Errorf("shape cache: %w", err)
	}
	size := s.FileSize()
	if free, err := freeBytes(dir); err == nil && free < size+64<<20 {
		return File{}, fmt.Errorf("%s needs %s in %s and only %s is free; free some space or set BENCHMCP_SHAPE_CACHE to a disk that has it",
			s.Name, HumanBytes(size), dir, HumanBytes(free))
	}
	path := s.Path(dir)
	tmp, err := os.CreateTemp(dir, s.Key()+".*.tmp")
	if err != nil {
		return File{}, fmt.Errorf("shape cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	h := sha256.New()
	if err := s.Write(io.MultiWriter(tmp, h), progress); err != nil {
		tmp.Close()
		if errors.Is(err, unix.ENOSPC) {
			return File{}, fmt.Errorf("write %s: the disk filled up (%s needs %s): %w", tmp.Name(), s.Name, HumanBytes(size), err)
		}
		return File{}, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp's 0600: an Ollama of another user may read it
		tmp.Close()
		return File{}, fmt.Errorf("shape cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return File{}, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	// The digest goes beside the file first, the file into place last:
	// Cached trusts a digest only beside a complete file.
	if err := os.WriteFile(path+".sha256", []byte(digest+"\n"), 0o644); err != nil {
		return File{}, fmt.Errorf("shape cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return File{}, fmt.Errorf("shape cache: %w", err)
	}
	return File{Path: path, Digest: digest, Size: size}, nil
}

// freeBytes is FreeBytes; tests replace it.
var freeBytes = FreeBytes

// FreeBytes is the space an unprivileged user may still fill on dir's file system.
func FreeBytes(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
