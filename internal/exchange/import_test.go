package exchange

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/memory"
)

// TestImport: a file goes into the store whole or not at all, with its
// format told from the content, and a refusal says why and what to try.
func TestImport(t *testing.T) {
	s, err := memory.Open(filepath.Join(t.TempDir(), "bench.db"), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	store := func(file string, format Format) (*Import, Stored, error) {
		t.Helper()
		im, err := StartImport(bytes.NewReader(fixture(t, file)), file, format)
		if err != nil {
			return nil, Stored{}, err
		}
		if err := im.Convert(importNow); err != nil {
			return im, Stored{}, err
		}
		st, err := im.Store(s)
		return im, st, err
	}

	im, st, err := store("llama-bench.json", "")
	if err != nil || !im.Detected || im.Format != LlamaBench || st.Runs != 3 || len(st.IDs) != 3 {
		t.Fatalf("llama-bench.json: %+v, %+v, %v; want 3 runs, format detected", im, st, err)
	}
	_, _, err = store("llama-bench.json", "")
	if !errors.Is(err, memory.ErrRunExists) || !strings.Contains(err.Error(), "refused llama-bench.json, nothing was stored") || !strings.Contains(err.Error(), "was this file imported before?") {
		t.Errorf("second import: %v", err)
	}
	_, _, err = store("bad-benchmcp-ttft.jsonl", "")
	if !errors.Is(err, ErrImpossible) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("impossible benchmcp lines: %v", err)
	}
	_, _, err = store("bad-benchmcp-ttft.jsonl", Promptfoo)
	if err == nil || !strings.Contains(err.Error(), "(the content looks like benchmcp: try --format benchmcp)") {
		t.Errorf("benchmcp lines read as promptfoo: %v", err)
	}
	_, _, err = store("unknown-lm-eval.json", "")
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "nothing was stored") {
		t.Errorf("unknown format: %v", err)
	}
	if runs, err := s.ListRuns(memory.Filter{}); err != nil || len(runs) != 3 {
		t.Errorf("%d runs stored (%v), want the 3 of the first import", len(runs), err)
	}
}
