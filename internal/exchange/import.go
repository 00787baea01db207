package exchange

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/memory"
)

// An Import is a results file on its way into a store: StartImport tells
// its format, Convert converts and checks another tool's results, and
// Store stores the runs, all of them or, on impossible data or a run the
// store already has, none. The store is opened only for a file that converted.
type Import struct {
	// Name names the file in messages: its path, or stdin.
	Name string
	// Format is the file's format, as given or told from the content.
	Format Format
	// Detected says that Format was told from the content.
	Detected bool
	in       *bufio.Reader
	hint     string // a detected format unlike the one given, for refusals
	imported Imported
}

// StartImport begins an import of the results in r, named name in
// messages. An empty format is told from the content (Detect), and the
// error then names the formats an import reads.
func StartImport(r io.Reader, name string, format Format) (*Import, error) {
	im := &Import{Name: name, Format: format, in: bufio.NewReaderSize(r, 1<<20)}
	head, _ := im.in.Peek(1 << 20) // less at the end of the input: what there is
	detected, err := Detect(head)
	switch {
	case format == "" && err != nil:
		return nil, fmt.Errorf("%s: %w; nothing was stored", name, err)
	case format == "":
		im.Format, im.Detected = detected, true
	case err == nil && detected != format:
		im.hint = fmt.Sprintf(" (the content looks like %s: try --format %s)", detected, detected)
	}
	return im, nil
}

// Convert reads and converts another tool's results, refusing the whole
// file on impossible data. Benchmcp's own lines are read and checked as
// Store stores them.
func (im *Import) Convert(now time.Time) error {
	if im.Format == Benchmcp {
		return nil
	}
	data, err := io.ReadAll(im.in)
	if err != nil {
		return fmt.Errorf("read %s: %w", im.Name, err)
	}
	if im.imported, err = Parse(im.Format, data, now); err != nil {
		return im.refuse(err)
	}
	return nil
}

// Stored is what an import put in the store.
type Stored struct {
	// Runs counts the runs stored.
	Runs int
	// IDs are the runs converted from another tool's results, in the
	// file's order; benchmcp's own lines keep their IDs and are not listed.
	IDs []string
	// Warnings are about data that is suspicious but possible, stored as it is.
	Warnings []string
}

// Store stores the file's runs in s in one transaction: all of them, or
// none when a run is impossible (Check) or already in the store. Convert
// must have been called.
func (im *Import) Store(s *memory.Store) (Stored, error) {
	var st Stored
	var err error
	if im.Format == Benchmcp {
		st.Runs, err = s.ImportChecked(im.in, func(lineNo int, l *memory.Line) error {
			ws, err := Check(l.Run, l.Samples)
			for _, w := range ws {
				st.Warnings = append(st.Warnings, fmt.Sprintf("line %d, run %s: %s", lineNo, l.Run.ID, w))
			}
			if err != nil {
				return fmt.Errorf("run %s: %w", l.Run.ID, err)
			}
			return nil
		})
		if err != nil {
			return Stored{}, im.refuse(err)
		}
		return st, nil
	}
	lines := make([]memory.Line, len(im.imported.Runs))
	for i, r := range im.imported.Runs {
		lines[i] = memory.Line{Run: r.Run, Samples: r.Samples}
		st.IDs = append(st.IDs, r.Run.ID)
	}
	if st.Runs, err = s.PutLines(lines); err != nil {
		return Stored{}, im.refuse(err)
	}
	st.Warnings = im.imported.Warnings
	return st, nil
}

// refuse says that the file was refused and why, with a hint at the
// format when the content looks like another, and at a second import of
// another tool's file (whose run IDs come from its content).
func (im *Import) refuse(err error) error {
	msg := strings.TrimPrefix(err.Error(), "import (nothing was imported): ")
	if errors.Is(err, memory.ErrRunExists) && im.Format != Benchmcp {
		msg += "; was this file imported before?"
	}
	return &refusal{fmt.Sprintf("refused %s, nothing was stored: %s%s", im.Name, msg, im.hint), err}
}

// refusal is an import's refusal: its message, wrapping the cause.
type refusal struct {
	msg string
	err error
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.err }
