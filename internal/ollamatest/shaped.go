package ollamatest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/ollamaproc"
	"github.com/benchmcp/benchmcp/internal/shape"
)

var (
	shapedMu sync.Mutex
	shaped   = map[string]error{} // shape name: how creating it went
)

// Shaped returns the name of a real-shaped model (a random-weight model of
// a real model's shape: internal/shape, e.g. "qwen2.5-0.5b-shape") on the
// shared server, creating it once per test binary. Its GGUF is generated
// into the shape cache (shape.CacheDir) the first time on a machine and
// reused after, and linked into the private server's blobs rather than
// uploaded when the file systems allow: so a second run is instant.
func Shaped(tb testing.TB, name string) string {
	tb.Helper()
	p := Get(tb)
	shapedMu.Lock()
	defer shapedMu.Unlock()
	err, done := shaped[name]
	if !done {
		err = createShaped(tb, p, name)
		shaped[name] = err
	}
	if err != nil {
		tb.Fatalf("real-shaped model %s: %v", name, err)
	}
	return name
}

// ShapedOn is Shaped on a server the caller started (another
// OLLAMA_NUM_PARALLEL, say): the model is created there on every call.
func ShapedOn(tb testing.TB, p *ollamaproc.Process, name string) string {
	tb.Helper()
	if err := createShaped(tb, p, name); err != nil {
		tb.Fatalf("real-shaped model %s on %s: %v", name, p.URL, err)
	}
	return name
}

func createShaped(tb testing.TB, p *ollamaproc.Process, name string) error {
	s, err := shape.Lookup(name)
	if err != nil {
		return err
	}
	dir, err := shape.CacheDir()
	if err != nil {
		return err
	}
	start := time.Now()
	f, err := s.Ensure(dir, nil)
	if err != nil {
		return err
	}
	if !f.Cached {
		tb.Logf("generated %s (%s) in %s: %s", name, shape.HumanBytes(f.Size), time.Since(start).Round(time.Millisecond), f.Path)
	}
	// The private server's blob directory is ours: a hard link there saves
	// copying the file through the API (Create then finds the blob).
	blob := p.BlobPath(f.Digest)
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err == nil {
		_ = os.Link(f.Path, blob)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return shape.Create(ctx, p.URL, s, f, nil)
}
