// Package confine answers whether a path stays inside a directory, with
// symlinks resolved: the one check behind the reports directory and the
// suite roots.
package confine

import (
	"os"
	"path/filepath"
	"strings"
)

// Within reports whether p is root or under it, lexically (both cleaned
// absolute paths).
func Within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Real is p made absolute with every symlink resolved. For a path that
// does not exist (yet), the deepest existing directory on the way is
// resolved and the rest appended: the parts below it do not exist, so they
// are no symlinks.
func Real(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	dir := abs
	for {
		if _, err := os.Lstat(dir); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(real, rest), nil
}
