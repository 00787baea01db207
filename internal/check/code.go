package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// DefaultCodeTimeout is the time limit of a code_exec check without timeout_s.
const DefaultCodeTimeout = 10 * time.Second

// MaxCodeTimeout is the longest time limit of a code_exec check: an hour.
// The code's CPU limit follows it, and longer only holds a run up.
const MaxCodeTimeout = time.Hour

// pythonHint tells a user how to make code_exec checks run.
const pythonHint = "install python3, or give benchmcp the interpreter's path (BENCHMCP_PYTHON)"

// codeExecCheck runs the answer's code, then the task's tests, in the
// runner of harness.
type codeExecCheck struct {
	tests   string
	timeout time.Duration
}

func compileCodeExec(s Spec) (Check, error) {
	if lang := strings.TrimSpace(s.Language); lang != "" && !strings.EqualFold(lang, "python") {
		return nil, specErr(s, "language", "%q is not supported; write \"python\" (or leave it out: python is the default)", s.Language)
	}
	if strings.TrimSpace(s.Tests) == "" {
		return nil, specErr(s, "tests", "missing; write Python test code that raises (or exits non-zero) when the answer is wrong, e.g. \"assert add(2, 3) == 5\"")
	}
	if s.TimeoutS < 0 || s.TimeoutS > MaxCodeTimeout.Seconds() || math.IsNaN(s.TimeoutS) || math.IsInf(s.TimeoutS, 0) {
		return nil, specErr(s, "timeout_s", "%g is not a valid time limit; write seconds > 0 and at most %g (%s), or leave it out for %s", s.TimeoutS, MaxCodeTimeout.Seconds(), MaxCodeTimeout, DefaultCodeTimeout)
	}
	timeout := DefaultCodeTimeout
	if s.TimeoutS > 0 {
		timeout = time.Duration(s.TimeoutS * float64(time.Second))
	}
	return codeExecCheck{tests: s.Tests, timeout: timeout}, nil
}

func (codeExecCheck) Type() string { return "code_exec" }

// Evaluate runs the answer's code as solution.py in a directory of its
// own that is also its HOME, with an environment of PATH, HOME and LANG
// only, under the time limit and the output limit, and then the tests, in
// the runner of harness. Only the runner's pass line, with this run's
// token, passes: exit status does not (see harness). The code runs in the
// sandbox (see command): without a working one the check skips and says
// what to do. With env.Sandbox.Unsafe it runs unconfined, through the
// same runner, in a fresh temporary directory, in its own process group.
func (c codeExecCheck) Evaluate(ctx context.Context, a Answer, env Env) record.CheckResult {
	py, why := interpreter(env.Python)
	if py == "" {
		return skipped("code_exec", "%s", why)
	}
	code := extractCode(a.Output)
	if strings.TrimSpace(code) == "" {
		return failedText("code_exec", a, "no code in the answer")
	}
	h, err := newHarness(c.tests)
	if err != nil {
		return failed("code_exec", "%v", err)
	}
	defer h.close()

	runCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	runCtx, stop := context.WithCancelCause(runCtx)
	defer stop(nil)
	var (
		cmd     *exec.Cmd
		cleanup func()
	)
	if env.Sandbox.Unsafe {
		if cmd, cleanup, err = unconfined(runCtx, py, code, h); err != nil {
			return failed("code_exec", "%v", err)
		}
	} else {
		j, err := sandboxFor(ctx, env.Sandbox.Bwrap, py)
		if err != nil {
			if ctx.Err() != nil {
				return failed("code_exec", "cancelled before the code ran: %v", context.Cause(ctx))
			}
			return skipped("code_exec", "%v", err)
		}
		if cmd, cleanup, err = j.command(runCtx, py, code, h, c.timeout); err != nil {
			return failed("code_exec", "%v", err)
		}
	}
	defer cleanup()
	budget := &outputBudget{max: OutputMax, over: func() { stop(errOutputLimit) }}
	stdout, stderr := tailBuffer{budget: budget}, tailBuffer{budget: budget}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ownProcessGroup(cmd)
	// Stop waiting for output soon after the interpreter exits, even if a
	// process it left behind holds the pipes open.
	cmd.WaitDelay = 500 * time.Millisecond
	pass, err := h.run(cmd)

	switch {
	case pass:
		return passed("code_exec")
	case ctx.Err() != nil:
		return failed("code_exec", "cancelled before the code finished: %v", context.Cause(ctx))
	case errors.Is(context.Cause(runCtx), errOutputLimit):
		return failed("code_exec", "stopped: the code wrote more than %d MiB to stdout and stderr (the output limit)%s", OutputMax>>20, outputTail(&stdout, &stderr))
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		return failed("code_exec", "timed out after %s (the time limit; raise timeout_s if the code is meant to be this slow)%s", c.timeout, outputTail(&stdout, &stderr))
	case cmd.ProcessState == nil:
		return failed("code_exec", "could not run %s: %v", py, err)
	case cmd.ProcessState.ExitCode() < 0:
		return failed("code_exec", "%s%s", cmd.ProcessState, outputTail(&stdout, &stderr))
	case !env.Sandbox.Unsafe && killedBy(cmd.ProcessState.ExitCode(), c.timeout) != "":
		return failed("code_exec", "%s%s", killedBy(cmd.ProcessState.ExitCode(), c.timeout), outputTail(&stdout, &stderr))
	case cmd.ProcessState.ExitCode() == 0:
		return failed("code_exec", "the tests did not finish: the code ended the run with exit code 0 before every test had passed (exit status is not a pass; the code must not exit, kill itself or take over the runner)%s", outputTail(&stdout, &stderr))
	default:
		return failed("code_exec", "tests failed: exit code %d%s", cmd.ProcessState.ExitCode(), outputTail(&stdout, &stderr))
	}
}

// unconfined is the interpreter running the runner of h on source, as
// solution.py in a fresh temporary directory, with the user's rights:
// --unsafe-code-exec. cleanup removes the directory.
func unconfined(ctx context.Context, py, source string, h *harness) (*exec.Cmd, func(), error) {
	dir, err := os.MkdirTemp("", "benchmcp-code-")
	if err != nil {
		return nil, nil, fmt.Errorf("could not make a directory to run the code in: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := os.WriteFile(filepath.Join(dir, "solution.py"), []byte(source), 0o600); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("could not write the code to run: %w", err)
	}
	cmd := exec.CommandContext(ctx, py, h.args(filepath.Join(dir, "solution.py"), 3)...)
	cmd.Dir = dir
	cmd.Env = childEnv(dir)
	return cmd, cleanup, nil
}

// interpreter finds the Python interpreter: python3, then python, on PATH
// when path is empty; otherwise path itself (a bare name is looked up on
// PATH). It returns "" and the reason to skip when there is none.
func interpreter(path string) (string, string) {
	if path == "" {
		for _, name := range []string{"python3", "python"} {
			if p, err := exec.LookPath(name); err == nil {
				return realInterpreter(p), ""
			}
		}
		return "", "no python3 interpreter found on PATH; " + pythonHint
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Sprintf("python interpreter %s not found or not executable; %s", path, pythonHint)
	}
	return realInterpreter(p), ""
}

// realInterpreters caches realInterpreter: path -> sys.executable.
var realInterpreters sync.Map

// realInterpreter is the executable behind a launcher such as a pyenv shim
// (a shell script that takes most of a second to start Python), as Python
// reports it in sys.executable, so that a time limit measures the code, not
// the launcher. It asks once per path, in the parent's environment, so that
// the launcher picks the version the user chose; on any doubt it keeps path.
func realInterpreter(path string) string {
	if v, ok := realInterpreters.Load(path); ok {
		return v.(string)
	}
	real := path
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-c", "import sys; print(sys.executable)").Output()
	if exe := strings.TrimSpace(string(out)); err == nil && filepath.IsAbs(exe) {
		if st, err := os.Stat(exe); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			real = exe
		}
	}
	realInterpreters.Store(path, real)
	return real
}

// childEnv is the whole environment of the code under test: nothing of the
// parent's but PATH and LANG, so that no secret leaks into it.
func childEnv(home string) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	lang := os.Getenv("LANG")
	if lang == "" {
		lang = "C.UTF-8"
	}
	return []string{"PATH=" + path, "HOME=" + home, "LANG=" + lang}
}

// extractCode is the code in an answer: the first ```python block, else the
// first fenced block of any kind, else the whole answer.
func extractCode(out string) string {
	if body, ok := fenced(out, "python", "py", "python3"); ok {
		return body
	}
	if body, ok := fenced(out, "*"); ok {
		return body
	}
	return out
}

// outputTail is the last lines of stderr (or of stdout when stderr is
// empty), for a failure reason.
func outputTail(stdout, stderr *tailBuffer) string {
	name, b := "stderr", stderr
	if strings.TrimSpace(b.String()) == "" {
		name, b = "stdout", stdout
	}
	s := strings.TrimSpace(b.String())
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	s = strings.Join(lines, "\n")
	if r := []rune(s); len(r) > 1200 {
		s = "…" + string(r[len(r)-1200:])
	}
	return "; " + name + ":\n" + s
}

// tailBuffer keeps the last tailMax bytes written to it, so that code that
// prints without end cannot fill the memory, and spends what is written
// from its budget, if any.
type tailBuffer struct {
	buf    []byte
	budget *outputBudget
}

const tailMax = 64 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if t.budget != nil {
		t.budget.spend(n)
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailMax {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailMax:]...)
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	b := t.buf
	if len(b) > tailMax {
		b = b[len(b)-tailMax:]
	}
	return string(b)
}
