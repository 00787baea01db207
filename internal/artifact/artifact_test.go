package artifact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDirResolve(t *testing.T) {
	root := filepath.Join(t.TempDir(), "reports")
	outside := t.TempDir()
	d := Dir{Root: root, Confined: true}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want []string // target paths relative to root, or the error's words
		err  bool
	}{
		{"cmp.md", []string{"cmp.md"}, false},
		{"cmp.html", []string{"cmp.html"}, false},
		{"cmp", []string{"cmp.md", "cmp.html"}, false},
		{"week/cmp.md", []string{"week/cmp.md"}, false},
		{filepath.Join(root, "abs.md"), []string{"abs.md"}, false},
		{"../escape.md", []string{"outside the reports directory"}, true},
		{"week/../../escape.md", []string{"outside the reports directory"}, true},
		{filepath.Join(outside, "x.md"), []string{"outside the reports directory"}, true},
		{"/etc/passwd.md", []string{"outside the reports directory"}, true},
		{"out/x.md", []string{"through a symlink"}, true},
		{"out/deeper/x.md", []string{"through a symlink"}, true},
		{"cmp.txt", []string{"extension .txt", "use .md"}, true},
		{"cmp.sh", []string{"extension .sh"}, true},
		{" ", []string{"report path is empty"}, true},
	} {
		ts, err := d.Resolve(c.path)
		if c.err {
			if err == nil {
				t.Errorf("%q: resolved to %+v, want an error", c.path, ts)
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q: error %q lacks %q", c.path, err, w)
				}
			}
			continue
		}
		if err != nil || len(ts) != len(c.want) {
			t.Errorf("%q: %+v, %v; want %v", c.path, ts, err, c.want)
			continue
		}
		for i, w := range c.want {
			if ts[i].Path != filepath.Join(root, w) {
				t.Errorf("%q: target %s, want %s", c.path, ts[i].Path, filepath.Join(root, w))
			}
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("resolving created %d entries outside the root", len(entries))
	}
	// Unconfined (the CLI): relative to the working directory.
	t.Chdir(outside)
	ts, err := Dir{}.Resolve("here.html")
	if err != nil || ts[0].Path != filepath.Join(outside, "here.html") {
		t.Errorf("unconfined: %+v, %v", ts, err)
	}
}

func TestWriteNeverOverwritesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	mine := Target{Path: filepath.Join(dir, "r.md"), Format: Markdown}
	if err := Write(mine, []byte(MarkdownHeader+"# one\n")); err != nil {
		t.Fatal(err)
	}
	if err := Write(mine, []byte(MarkdownHeader+"# two\n")); err != nil {
		t.Errorf("overwriting a report: %v", err)
	}
	notes := filepath.Join(dir, "notes.md")
	if err := os.WriteFile(notes, []byte("my own notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(Target{Path: notes, Format: Markdown}, []byte(MarkdownHeader))
	if err == nil || !strings.Contains(err.Error(), "did not write; it is not overwritten") {
		t.Errorf("overwriting a user's file: %v", err)
	}
	if b, _ := os.ReadFile(notes); string(b) != "my own notes\n" {
		t.Errorf("the user's file changed: %q", b)
	}
	if err := Write(Target{Path: dir, Format: HTML}, []byte(HTMLMeta)); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("writing over a directory: %v", err)
	}
	link := filepath.Join(dir, "link.md")
	if err := os.Symlink(filepath.Join(dir, "r.md"), link); err != nil {
		t.Fatal(err)
	}
	if err := Write(Target{Path: link, Format: Markdown}, []byte(MarkdownHeader)); err == nil {
		t.Error("wrote through a symlink")
	}
}
