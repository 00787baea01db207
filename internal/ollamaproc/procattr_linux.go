package ollamaproc

import "syscall"

// procAttr puts the server in its own process group (Close kills the
// group: its model runners too) and has the kernel kill it when benchmcp
// dies, so that no server outlives its owner.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
