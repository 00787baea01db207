// Package exchange moves runs between benchmcp and other tools: CSV tables
// of samples and summaries for pandas and spreadsheets, and imports of
// llama-bench and promptfoo results as runs, checked for impossible data
// before anything is stored.
package exchange

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Format is a kind of results file that `benchmcp runs import` reads.
type Format string

// The formats an import reads.
const (
	// Benchmcp is benchmcp's own JSON lines, as `benchmcp runs export` writes them.
	Benchmcp Format = "benchmcp"
	// LlamaBench is llama.cpp's llama-bench output, `-o json` (an array of
	// tests) or `-o jsonl` (a test per line).
	LlamaBench Format = "llama-bench"
	// Promptfoo is promptfoo's `promptfoo eval --output results.json`.
	Promptfoo Format = "promptfoo"
)

// Formats lists the formats an import reads, in the order messages name them.
var Formats = []Format{Benchmcp, LlamaBench, Promptfoo}

// ErrUnknownFormat means a format name, or a file's content, is none of Formats.
var ErrUnknownFormat = errors.New("unknown format")

// formatList is "benchmcp, llama-bench or promptfoo", for messages.
func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ParseFormat returns the format named s, or an error naming the formats there are.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w %q: runs import reads %s", ErrUnknownFormat, s, formatList())
}

// Detect tells a file's format from its beginning (as much of it as the
// caller has read; a megabyte is plenty): benchmcp's lines start with a
// "run" object, llama-bench's tests carry avg_ns and samples_ns, and
// promptfoo's output has evalId (or results and shareableUrl). Empty content
// is benchmcp's (no runs). The error names the formats it knows.
func Detect(head []byte) (Format, error) {
	head = bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if len(head) == 0 {
		return Benchmcp, nil
	}
	dec := json.NewDecoder(bytes.NewReader(head))
	tok, err := dec.Token()
	if err == nil && tok == json.Delim('[') {
		tok, err = dec.Token() // the first element
	}
	if err != nil || tok != json.Delim('{') {
		return "", fmt.Errorf("%w: the content is not a JSON object or array of objects; runs import reads %s", ErrUnknownFormat, formatList())
	}
	keys := map[string]bool{}
	for {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			break // the object's end, or the end of what was read: decide on the keys seen
		}
		keys[key] = true
		if skipValue(dec) != nil {
			break
		}
	}
	switch {
	case keys["run"] && (keys["samples"] || len(keys) == 1):
		return Benchmcp, nil
	case keys["avg_ns"] || keys["samples_ns"] || (keys["model_filename"] && keys["n_gen"]):
		return LlamaBench, nil
	case keys["evalId"] || (keys["results"] && keys["shareableUrl"]):
		return Promptfoo, nil
	}
	return "", fmt.Errorf("%w: the first record has none of the fields of the formats runs import reads (%s)", ErrUnknownFormat, formatList())
}

// skipValue reads one JSON value from dec, however deep.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// Run is one run converted from another tool's results, with its samples.
type Run struct {
	Run     record.Run
	Samples []record.Sample
}

// Imported is what a file converts to: its runs, and warnings about data
// that is suspicious but possible (stored, and shown to the user).
type Imported struct {
	Runs     []Run
	Warnings []string
}

// Parse converts another tool's results file to runs, refusing the whole
// file (an error wrapping ErrImpossible that names the first bad record) on
// data no measurement can produce. now stands in for missing timestamps.
// Benchmcp's own lines are streamed by the store, with Check on each; Parse
// does not read them.
func Parse(f Format, data []byte, now time.Time) (Imported, error) {
	switch f {
	case LlamaBench:
		return parseLlamaBench(data, now)
	case Promptfoo:
		return parsePromptfoo(data, now)
	}
	return Imported{}, fmt.Errorf("parse %s: not a foreign format; stream it with Check", f)
}

// importID is the ID of an imported run: "i", its start (UTC), and a hash
// of where it came from, so that IDs sort by time and importing the same
// file again is refused as runs that already exist.
func importID(start time.Time, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "i" + start.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(h.Sum(nil))[:8]
}

// jsonError explains a decoding error with the line and column it is at,
// and says so when the culprit is a NaN or an infinity, which JSON cannot
// carry and no measurement is.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset - 1
	case errors.As(err, &te):
		off = te.Offset - 1
	default:
		return err
	}
	off = max(0, min(off, int64(len(data))))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	rest := data[off:] // a syntax error's offset counts the bad byte
	for _, bad := range []string{"NaN", "nan", "Infinity", "inf"} {
		if bytes.HasPrefix(rest, []byte(bad)) {
			return fmt.Errorf("line %d, column %d: %w: %s is not a number (JSON has no NaN or infinity)", line, col, ErrImpossible, bad)
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}
