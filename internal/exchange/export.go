package exchange

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/benchmcp/benchmcp/memory"
)

// CSVExport is what ExportCSV wrote: the two tables' files, and how many
// runs and samples went in them.
type CSVExport struct {
	SamplesPath, SummariesPath string
	Runs, Samples              int
}

// ExportCSV writes the runs of s that match f as two tables, samples.csv
// and summaries.csv: inside out when it is a directory (or ends with a
// separator, and is then made), else with out as a prefix of their names.
// On failure it removes both, so that no half table is left.
func ExportCSV(s *memory.Store, f memory.Filter, out string) (CSVExport, error) {
	var ex CSVExport
	var err error
	if ex.SamplesPath, ex.SummariesPath, err = csvPaths(out); err != nil {
		return ex, fmt.Errorf("export CSV to %s: %w", out, err)
	}
	var files []*os.File
	for _, p := range []string{ex.SamplesPath, ex.SummariesPath} {
		file, err := os.Create(p)
		if err != nil {
			for _, f := range files {
				f.Close()
				os.Remove(f.Name())
			}
			return ex, fmt.Errorf("export CSV: %w", err)
		}
		files = append(files, file)
	}
	sw, mw := bufio.NewWriter(files[0]), bufio.NewWriter(files[1])
	c := NewCSV(sw, mw)
	ex.Runs, err = s.EachRun(f, c.Write)
	for _, step := range []func() error{c.Flush, sw.Flush, mw.Flush, files[0].Close, files[1].Close} {
		if serr := step(); err == nil {
			err = serr
		}
	}
	if err != nil {
		os.Remove(ex.SamplesPath)
		os.Remove(ex.SummariesPath)
		return ex, fmt.Errorf("export CSV to %s and %s: %w", ex.SamplesPath, ex.SummariesPath, err)
	}
	ex.Samples = c.Samples
	return ex, nil
}

// csvPaths are the two tables' files for out: inside it when it is a
// directory (or ends with a separator, and is then made), else with it as
// a prefix of their names.
func csvPaths(out string) (samples, summaries string, err error) {
	if strings.HasSuffix(out, string(filepath.Separator)) || strings.HasSuffix(out, "/") {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", "", err
		}
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return filepath.Join(out, "samples.csv"), filepath.Join(out, "summaries.csv"), nil
	}
	return out + "samples.csv", out + "summaries.csv", nil
}
