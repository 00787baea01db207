package check

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// runnerSource is the trusted Python runner of code_exec: it loads the
// answer as the __main__ module, runs the tests, and reports a pass on a
// channel of its own.
//
//go:embed harness.py
var runnerSource string

// harness is one code_exec run's channels to the runner.
//
// Exit status is not a verdict: the answer's code can call os._exit(0),
// sys.exit(0), raise SystemExit, register an atexit hook or a signal handler
// that exits 0, or print anything that looks like a pass. A pass is instead
// the line "pass <token>\n", alone, on the result pipe, where token is 128
// random bits made for this run. Why the answer cannot produce it:
//
//   - The token is never in the environment, argv or a file: it comes on the
//     job pipe, which the runner reads to the end and closes before the
//     answer's code runs, so there is nothing left to read there.
//   - The runner writes it with os.write and os._exit bound before the
//     answer runs, and only after the tests ran to their end (or ended
//     themselves with SystemExit(0) from the tests' own code), in the
//     runner's own process, with sys.exit not replaced and no trace
//     function set. Ending the process early, by any means, leaves the pipe
//     empty; anything else on it spoils the exact match.
//   - The tests run in their own namespace with the builtins as they were
//     before the answer ran, compiled without optimisation (asserts always
//     run; the interpreter runs with -I, so PYTHONOPTIMIZE cannot switch
//     them off), so the answer cannot swap print, AssertionError, exec or
//     the tests' helpers.
//
// What it does not stop: Python keeps no secret from code in the same
// process, so an answer written to attack the runner itself (walk up the
// stack to its frame, or read the interpreter's memory) could find the
// token; and an answer can return an object whose __eq__ is always true.
// Those are deliberate attacks, not a model ending a run early; the
// sandbox bounds what such code can do to the machine either way.
type harness struct {
	token  string
	tests  string
	job    *os.File // read end of the job pipe: the child's
	jobW   *os.File
	result *os.File // write end of the result pipe: the child's
	read   *os.File // read end of the result pipe
	mu     sync.Mutex
	got    []byte
	done   chan struct{} // closed when the reader has stopped
}

// resultMax is the most the runner's result channel is read: the pass line
// is far shorter, so anything longer is not a pass.
const resultMax = 4 << 10

// newHarness makes the token and the pipes of one run of tests; close
// releases them.
func newHarness(tests string) (*harness, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("could not make the run's token: %w", err)
	}
	h := &harness{token: hex.EncodeToString(b), tests: tests, done: make(chan struct{})}
	var err error
	if h.job, h.jobW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("could not make a pipe for the tests: %w", err)
	}
	resultR, resultW, err := os.Pipe()
	if err != nil {
		h.job.Close()
		h.jobW.Close()
		return nil, fmt.Errorf("could not make a pipe for the result: %w", err)
	}
	h.result, h.read = resultW, resultR
	go func() {
		defer close(h.done)
		buf := make([]byte, 512)
		for {
			n, err := resultR.Read(buf)
			h.mu.Lock()
			if len(h.got) < resultMax {
				h.got = append(h.got, buf[:n]...)
			}
			h.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		_, _ = io.WriteString(h.jobW, h.token+"\n"+h.tests) // fails only when the runner is gone early; its exit says why
		h.jobW.Close()
	}()
	return h, nil
}

// args are the interpreter's arguments that run the runner on solution,
// with the job and result pipes at fds first and first+1 of the child (the
// ExtraFiles positions first-3 and first-2).
func (h *harness) args(solution string, first int) []string {
	return []string{"-I", "-c", runnerSource, strconv.Itoa(first), strconv.Itoa(first + 1), solution}
}

// files are the child's ends of the pipes, in the order args numbers them.
func (h *harness) files() []*os.File { return []*os.File{h.job, h.result} }

// started closes the parent's copies of the child's ends, so that the
// result pipe ends when the child and whatever it started are gone.
func (h *harness) started() {
	h.job.Close()
	h.result.Close()
}

// passed waits for the result channel (at most grace after the child
// exited, in case a process the code left behind holds it open) and
// reports whether it holds exactly the pass line of this run.
func (h *harness) passed(grace time.Duration) bool {
	select {
	case <-h.done:
	case <-time.After(grace):
		h.read.Close() // stops the reader; what it read is the verdict
		<-h.done
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return bytes.Equal(h.got, []byte("pass "+h.token+"\n"))
}

// close releases what is left of the pipes.
func (h *harness) close() {
	h.job.Close()
	h.jobW.Close()
	h.result.Close()
	h.read.Close()
}

// run runs cmd (made with h's args and files) and reports whether
// the runner passed. The error is cmd.Run's.
func (h *harness) run(cmd *exec.Cmd) (bool, error) {
	cmd.ExtraFiles = append(cmd.ExtraFiles, h.files()...)
	if err := cmd.Start(); err != nil {
		h.started()
		return false, err
	}
	h.started()
	err := cmd.Wait()
	if cmd.Cancel != nil {
		_ = cmd.Cancel() // kill whatever the code left running in its group
	}
	return h.passed(2 * time.Second), err
}
