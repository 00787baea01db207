// Package buildinfo says which build of benchmcp is running: the module
// version `go install ...@version` stamps, or, for a build from a checkout,
// the commit it was built from (with "+dirty" for uncommitted changes),
// read from the binary's own build information (runtime/debug).
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
)

// Info is a build of benchmcp.
type Info struct {
	// Version is the module version: v1.2.3 from `go install ...@v1.2.3`,
	// or the pseudo-version Go stamps on a build from a git checkout
	// (v0.0.0-<commit time>-<commit>, "+dirty" with uncommitted changes);
	// "devel" (with "+<commit>" when known) where Go stamped none.
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`     // the full VCS revision, when built from a checkout
	Date    string `json:"build_date,omitempty"` // the commit's time (RFC 3339), when built from a checkout
	Dirty   bool   `json:"dirty,omitempty"`      // built with uncommitted changes
	Go      string `json:"go"`                   // the Go toolchain that built it
}

var (
	once sync.Once
	info Info
)

// Get is the running binary's build.
func Get() Info {
	once.Do(func() {
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			info = Info{Version: "devel", Go: "unknown"}
			return
		}
		info = From(bi)
	})
	return info
}

// From reads a build's Info from its build information.
func From(bi *debug.BuildInfo) Info {
	in := Info{Go: bi.GoVersion}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Commit = s.Value
		case "vcs.time":
			in.Date = s.Value
		case "vcs.modified":
			in.Dirty = s.Value == "true"
		}
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
		if in.Commit != "" {
			v += "+" + short(in.Commit)
		}
	}
	if in.Dirty && !strings.HasSuffix(v, "+dirty") {
		v += "+dirty"
	}
	in.Version = v
	return in
}

// String is the build in one line: "benchmcp v1.2.3 (commit 0123abc,
// 2026-12-07T10:00:00Z, go1.26.0)".
func (i Info) String() string {
	var parts []string
	if i.Commit != "" {
		parts = append(parts, "commit "+short(i.Commit))
	}
	if i.Date != "" {
		parts = append(parts, i.Date)
	}
	parts = append(parts, i.Go)
	return fmt.Sprintf("benchmcp %s (%s)", i.Version, strings.Join(parts, ", "))
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
