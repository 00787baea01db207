package ollamaproc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// orphanDir is a private server's directory whose owner is dead and whose
// process group (a sleep) lives on; done closes when the sleep ends.
func orphanDir(t *testing.T) (dir string, orphan *exec.Cmd, done chan struct{}) {
	t.Helper()
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	orphan = exec.Command("sleep", "60")
	orphan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan struct{})
	go func() { orphan.Wait(); close(done) }()
	t.Cleanup(func() { orphan.Process.Kill(); <-done })
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	owner := fmt.Sprintf("%d %d\n", dead.Process.Pid, orphan.Process.Pid)
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, orphan, done
}

// A directory that this user did not make as Start makes it is left
// alone, and so is the process group its owner file names.
func TestReapOrphansOnlyOurs(t *testing.T) {
	const other = 54321 // a uid no account here uses
	for _, tc := range []struct {
		name   string
		root   bool                                  // needs root to set up
		tamper func(t *testing.T, dir string) string // returns the path the glob sees
	}{
		{"directory of another user", true, func(t *testing.T, dir string) string {
			must(t, os.Chown(dir, other, other))
			return dir
		}},
		{"owner file of another user", true, func(t *testing.T, dir string) string {
			must(t, os.Chown(filepath.Join(dir, ownerFile), other, other))
			return dir
		}},
		{"directory open to others", false, func(t *testing.T, dir string) string {
			must(t, os.Chmod(dir, 0o777))
			return dir
		}},
		{"owner file writable by others", false, func(t *testing.T, dir string) string {
			must(t, os.Chmod(filepath.Join(dir, ownerFile), 0o666))
			return dir
		}},
		{"symlink to our directory", false, func(t *testing.T, dir string) string {
			real := filepath.Join(t.TempDir(), "real")
			must(t, os.Rename(dir, real))
			must(t, os.Symlink(real, dir))
			return dir
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("needs root to give a directory to another uid")
			}
			dir, _, done := orphanDir(t)
			path := tc.tamper(t, dir)
			reapOrphans()
			select {
			case <-done:
				t.Fatal("reapOrphans killed the process group of a directory that is not ours")
			case <-time.After(300 * time.Millisecond):
			}
			if _, err := os.Lstat(path); err != nil {
				t.Errorf("reapOrphans removed %s: %v", path, err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A private server's runners outlive a killed owner; the next Start kills
// their process group.
func TestReapOrphans(t *testing.T) {
	dir, orphan, done := orphanDir(t)
	reapOrphans()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		orphan.Process.Kill()
		t.Fatal("orphaned process group not killed")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("orphan dir %s not removed", dir)
	}
}
