//go:build !linux

package ollamaproc

import "syscall"

// procAttr puts the server in its own process group (Close kills the
// group: its model runners too). Outside Linux there is no parent-death
// signal: a server whose owner was killed lives on until the next Start
// cleans up after it (the owner file).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
