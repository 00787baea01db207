package ollamaproc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// Runners lists the pids of the server's model runners: its child
// processes started as `ollama runner`, one per loaded model. Linux only
// (it reads /proc); elsewhere it lists none.
func (p *Process) Runners() []int {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	serve := p.cmd.Process.Pid
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		var state string
		var ppid int
		if _, err := fmt.Sscan(string(b[i+1:]), &state, &ppid); err != nil || ppid != serve {
			continue
		}
		dir := filepath.Dir(st)
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("runner")) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(dir)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// KillRunners kills the server's model runners with SIGKILL, as an out of
// memory killer or a crashed GPU driver would: a fault to test against. It
// returns how many it killed.
func (p *Process) KillRunners() int {
	n := 0
	for _, pid := range p.Runners() {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}
