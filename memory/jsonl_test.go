package memory

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/record"
)

func TestImportCheckedRefusal(t *testing.T) {
	src := newTestStore(t)
	fillStore(t, src)
	var buf bytes.Buffer
	if _, err := src.Export(&buf, Filter{}); err != nil {
		t.Fatal(err)
	}
	dst := newTestStore(t)
	bad := errors.New("impossible")
	seen := 0
	_, err := dst.ImportChecked(strings.NewReader(buf.String()), func(lineNo int, l *Line) error {
		seen++
		if lineNo == 3 {
			return bad
		}
		return nil
	})
	if !errors.Is(err, bad) || !strings.Contains(err.Error(), "line 3") || seen != 3 {
		t.Fatalf("ImportChecked error = %v after %d lines; want the check's error at line 3", err, seen)
	}
	if runs, _ := dst.ListRuns(Filter{}); len(runs) != 0 {
		t.Errorf("a refused import left %d runs", len(runs))
	}
}

func TestPutLines(t *testing.T) {
	s := newTestStore(t)
	r := testRun("tiny-s", "arith", t0)
	r.ID, r.Status = "i20261123-140000-0badcafe", record.StatusCompleted
	smp := record.Sample{TaskID: "sum", Iteration: 1, Pass: true, Measurement: record.Measurement{WallMs: 10}}
	lines := []Line{{Run: *r, Samples: []record.Sample{smp}}}
	if n, err := s.PutLines(lines); err != nil || n != 1 {
		t.Fatalf("PutLines = %d, %v", n, err)
	}
	if got, err := s.Samples(r.ID); err != nil || len(got) != 1 || got[0].RunID != r.ID {
		t.Errorf("Samples = %+v, %v; want the one sample, given its run's ID", got, err)
	}
	other := *r
	other.ID = "i20261123-140000-00000001"
	if _, err := s.PutLines([]Line{{Run: other}, lines[0]}); !errors.Is(err, ErrRunExists) || !strings.Contains(err.Error(), "run 2 of 2") {
		t.Errorf("PutLines of a stored run: %v; want ErrRunExists naming run 2", err)
	}
	if _, err := s.GetRun(other.ID); !errors.Is(err, ErrRunNotFound) {
		t.Errorf("a refused PutLines stored run %s (err %v)", other.ID, err)
	}
}
