package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRootsAllow(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "suites")
	outside := filepath.Join(base, "elsewhere")
	for _, d := range []string{root, outside, filepath.Join(root, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	in := filepath.Join(root, "sub", "a.yaml")
	out := filepath.Join(outside, "b.yaml")
	for _, f := range []string{in, out} {
		if err := os.WriteFile(f, []byte("name: x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink inside the root that points out, and one outside pointing in.
	if err := os.Symlink(out, filepath.Join(root, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "sub"), filepath.Join(outside, "in")); err != nil {
		t.Fatal(err)
	}
	r := Roots{root}
	for _, ok := range []string{"tiny", in, filepath.Join(root, "missing.yaml"), filepath.Join(outside, "in", "a.yaml"), filepath.Join(root, "..", "suites", "sub", "a.yaml")} {
		if err := r.Allow(ok); err != nil {
			t.Errorf("Allow(%s) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{out, filepath.Join(root, "link.yaml"), filepath.Join(root, "..", "elsewhere", "b.yaml"), "/etc/passwd.yaml", filepath.Join(outside, "missing.yaml")} {
		err := r.Allow(bad)
		if err == nil || !strings.Contains(err.Error(), "outside the suite roots") || !strings.Contains(err.Error(), "--suite-root") {
			t.Errorf("Allow(%s) = %v, want an error naming the roots and --suite-root", bad, err)
		}
	}
	if err := (Roots{}).Allow(in); err == nil || !strings.Contains(err.Error(), "from no directory") {
		t.Errorf("empty roots: %v", err)
	}
	if err := (Roots(nil)).Allow(out); err != nil {
		t.Errorf("nil roots allow any path, got %v", err)
	}
}
