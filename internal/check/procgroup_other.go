//go:build !unix

package check

import "os/exec"

// ownProcessGroup is a no-op where process groups do not exist: cancelling
// cmd kills the interpreter only.
func ownProcessGroup(*exec.Cmd) {}
