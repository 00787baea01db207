// Package artifact places the report files benchmcp writes: it turns a
// report path into its targets (markdown, HTML or both), keeps them inside
// the reports directory (with package confine), and overwrites only files
// that carry its marker.
package artifact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/benchmcp/benchmcp/internal/confine"
)

// Report formats, by file extension.
const (
	Markdown = "md"
	HTML     = "html"
)

// Marker is in every report benchmcp writes (an HTML meta tag, a markdown
// comment on the first line), so that a report may be overwritten and any
// other file never is.
const Marker = "benchmcp-report"

// MarkdownHeader starts every markdown report.
const MarkdownHeader = "<!-- " + Marker + " -->\n"

// HTMLMeta goes in the head of every HTML report.
const HTMLMeta = `<meta name="generator" content="` + Marker + `">`

// Dir is where reports go. With Confined, every path resolves inside Root
// (a bare name or a relative path is taken relative to it, an absolute path
// must lie under it, and no path may climb out through .. or a symlink):
// that is the MCP server, whose clients must not write elsewhere. Without
// it (the CLI, whose user names the file), relative paths are relative to
// the working directory.
type Dir struct {
	Root     string
	Confined bool
}

// Target is one file a report is written to.
type Target struct {
	Path   string `json:"path"`
	Format string `json:"format" jsonschema:"md or html"`
}

// Resolve turns a report path into its targets: one for a .md or .html
// path, both (name.md and name.html) for a path without an extension.
func (d Dir) Resolve(path string) ([]Target, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return nil, errors.New("report path is empty; give a file name such as report.md, report.html, or report for both")
	}
	ext := strings.ToLower(filepath.Ext(path))
	var formats []string
	switch ext {
	case ".md":
		formats = []string{Markdown}
	case ".html", ".htm":
		formats = []string{HTML}
	case "":
		formats = []string{Markdown, HTML}
	default:
		return nil, fmt.Errorf("report path %s has extension %s; use .md (markdown), .html (HTML), or no extension for both", path, ext)
	}
	abs, err := d.place(path)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(abs, filepath.Ext(abs))
	var out []Target
	for _, f := range formats {
		p := abs
		if ext == "" {
			p = base + "." + f
		}
		if err := overwritable(p); err != nil {
			return nil, err
		}
		out = append(out, Target{Path: p, Format: f})
	}
	return out, nil
}

// overwritable says why a report may not be written at path: a directory,
// or a file benchmcp did not write. A path with nothing there is fine.
func overwritable(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return nil
	case fi.IsDir():
		return fmt.Errorf("report path %s is a directory; give a file name such as %s", path, filepath.Join(path, "report.md"))
	case !fi.Mode().IsRegular() || !isReport(path):
		return fmt.Errorf("report path %s is a file benchmcp did not write; it is not overwritten: give another name or remove it", path)
	}
	return nil
}

// place is the absolute path a report path names, checked against the root.
func (d Dir) place(path string) (string, error) {
	if !d.Confined {
		return filepath.Abs(path)
	}
	if d.Root == "" {
		return "", errors.New("no reports directory is configured; set --reports-dir or BENCHMCP_REPORTS")
	}
	root, err := filepath.Abs(d.Root)
	if err != nil {
		return "", fmt.Errorf("reports directory %s: %w", d.Root, err)
	}
	p := path
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	p = filepath.Clean(p)
	if !confine.Within(root, p) {
		return "", fmt.Errorf("report path %s is outside the reports directory %s; give a file name (it is written there) or a path under it", path, root)
	}
	// A symlink on the way (a directory or the file) could point out: the
	// deepest directory that exists must resolve inside the root; the ones
	// below it do not exist yet, so they are no symlinks.
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("reports directory %s: %w", root, err)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("reports directory %s: %w", root, err)
	}
	realDir, err := confine.Real(filepath.Dir(p))
	if err != nil {
		return "", fmt.Errorf("report path %s: %w", path, err)
	}
	if !confine.Within(realRoot, realDir) {
		return "", fmt.Errorf("report path %s leads outside the reports directory %s through a symlink", path, root)
	}
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return "", fmt.Errorf("report path %s is a symlink; reports are written to plain files only", path)
	}
	return p, nil
}

// Write writes a report to its target, creating the directory. A file that
// is already there is replaced only when it is a benchmcp report itself.
func Write(t Target, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(t.Path), 0o755); err != nil {
		return fmt.Errorf("write report %s: create its directory: %w", t.Path, err)
	}
	if err := overwritable(t.Path); err != nil {
		return err
	}
	if err := os.WriteFile(t.Path, content, 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", t.Path, err)
	}
	return nil
}

// isReport reports whether the file starts with a benchmcp report marker.
func isReport(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(Marker))
}
