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

// A private server's runners outlive a killed owner; the next Start kills
// their process group.
func TestReapOrphans(t *testing.T) {
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		t.Fatal(err)
	}
	orphan := exec.Command("sleep", "60")
	orphan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { orphan.Wait(); close(done) }()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	owner := fmt.Sprintf("%d %d\n", dead.Process.Pid, orphan.Process.Pid)
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
		t.Fatal(err)
	}
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
