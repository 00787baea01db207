//go:build !linux

package check

import (
	"context"
	"errors"
	"os/exec"
	"time"
)

// jail is the sandbox, which needs Linux.
type jail struct{}

func sandboxFor(context.Context, string, string) (*jail, error) {
	return nil, errors.New("code_exec runs code only in a sandbox, which needs Linux and bubblewrap; pass --unsafe-code-exec (BENCHMCP_UNSAFE_CODE_EXEC=1) to run code_exec unconfined, with your rights")
}

func (*jail) command(context.Context, string, string, *harness, time.Duration) (*exec.Cmd, func(), error) {
	return nil, nil, errors.New("no sandbox on this system")
}

func killedBy(int, time.Duration) string { return "" }
