package check

import (
	"context"
	"errors"
	"sync"
)

// Sandbox is how code_exec confines the code it runs. The zero value is
// the default: bubblewrap from PATH, and no code runs when it cannot be used.
type Sandbox struct {
	// Unsafe runs the code unconfined, with the user's rights: the explicit
	// opt-out (--unsafe-code-exec, BENCHMCP_UNSAFE_CODE_EXEC=1).
	Unsafe bool
	// Bwrap is the bubblewrap executable; "" looks up bwrap on PATH.
	Bwrap string
}

// The limits of sandboxed code. The memory limit is per process, and the
// process limit counts threads too: at most SandboxProcs × SandboxMemory.
const (
	SandboxMemory   = 1 << 30  // address space of each process, bytes
	SandboxFileSize = 64 << 20 // largest file it may write, bytes; also the size of its /tmp and /dev/shm
	SandboxProcs    = 16       // processes and threads at once
	OutputMax       = 4 << 20  // bytes of stdout and stderr together; more stops the code
)

// sandboxHint tells a user how to make code_exec run without a working sandbox.
const sandboxHint = "install bubblewrap (Debian: apt-get install bubblewrap), or pass --unsafe-code-exec (BENCHMCP_UNSAFE_CODE_EXEC=1) to run code_exec unconfined, with your rights"

// sandboxDir is the code's working directory, HOME and /tmp in the
// sandbox: a private tmpfs that vanishes with it.
const sandboxDir = "/tmp"

// CheckSandbox says whether code_exec can run its code on this machine as
// configured: nil when sb is Unsafe, when there is no interpreter (the
// checks then skip and say why) or when a trial run in the sandbox
// succeeds; otherwise an error that says what to do. A run with code_exec
// checks calls it before anything runs.
func CheckSandbox(ctx context.Context, python string, sb Sandbox) error {
	if sb.Unsafe {
		return nil
	}
	py, _ := interpreter(python)
	if py == "" {
		return nil
	}
	_, err := sandboxFor(ctx, sb.Bwrap, py)
	return err
}

// errOutputLimit stops code that prints more than OutputMax.
var errOutputLimit = errors.New("output limit")

// outputBudget counts the bytes code writes to stdout and stderr together
// and calls over once, when they pass max.
type outputBudget struct {
	mu   sync.Mutex
	n    int64
	max  int64
	over func()
}

func (b *outputBudget) spend(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	before := b.n
	b.n += int64(n)
	if before <= b.max && b.n > b.max {
		b.over()
	}
}
