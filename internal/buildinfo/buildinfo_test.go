package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-07T10:00:00Z"}}
	for _, c := range []struct {
		name     string
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"installed at a version", "v1.2.3", nil, "v1.2.3"},
		{"a checkout", "(devel)", vcs, "devel+0123456789ab"},
		{"a dirty checkout", "(devel)", append(vcs, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "devel+0123456789ab+dirty"},
		{"no VCS", "", nil, "devel"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := From(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/benchmcp/benchmcp", Version: c.main}, Settings: c.settings})
			if in.Version != c.want || in.Go != "go1.26.0" {
				t.Fatalf("%+v; want version %s", in, c.want)
			}
		})
	}
	in := From(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: vcs})
	if s := in.String(); s != "benchmcp devel+0123456789ab (commit 0123456789ab, 2026-12-07T10:00:00Z, go1.26.0)" {
		t.Errorf("String() = %q", s)
	}
	if g := Get(); g.Version == "" || !strings.HasPrefix(g.Go, "go") {
		t.Errorf("the test binary's own build: %+v", g)
	}
}
