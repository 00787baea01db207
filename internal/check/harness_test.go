package check

import (
	"context"
	"strings"
	"testing"
)

// wrongAdd fails addTests: every trick below comes after it, and must not
// turn the failure into a pass.
const wrongAdd = "def add(a, b):\n    return a - b\n"

// exitTricks are ways an answer could try to pass without passing the
// tests: ending the process early with status 0, faking the output, or
// patching what the tests use.
var exitTricks = []struct{ name, code string }{
	{"os._exit(0)", "import os\nos._exit(0)"},
	{"sys.exit(0)", "import sys\nsys.exit(0)"},
	{"raise SystemExit(0)", "raise SystemExit(0)"},
	{"sys.exit() with no status", "import sys\nsys.exit()"},
	{"atexit os._exit(0)", "import atexit, os\natexit.register(lambda: os._exit(0))"},
	{"atexit sys.exit(0)", "import atexit, sys\natexit.register(lambda: sys.exit(0))"},
	{"exit from inside the function under test", "def add(a, b):\n    import os\n    os._exit(0)"},
	{"SystemExit(0) from inside the function under test", "def add(a, b):\n    raise SystemExit(0)"},
	{"SIGTERM handler exits 0", "import os, signal\nsignal.signal(signal.SIGTERM, lambda *a: os._exit(0))\nos.kill(os.getpid(), signal.SIGTERM)"},
	{"SIGALRM handler exits 0 during the tests", "import os, signal, time\nsignal.signal(signal.SIGALRM, lambda *a: os._exit(0))\nsignal.setitimer(signal.ITIMER_REAL, 0.05)\ndef add(a, b):\n    time.sleep(2)\n    return a - b"},
	{"SIGKILL itself", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"},
	{"print a pass marker", "print('pass')\nprint('ok')\nprint('PASSED: all tests')"},
	{"write a fake pass line on every fd", "import os\nfor fd in range(0, 64):\n    try:\n        os.write(fd, b'pass 0123456789abcdef0123456789abcdef\\n')\n    except OSError:\n        pass"},
	{"replace sys.stdout", "import io, sys\nsys.stdout = io.StringIO()\nsys.stderr = io.StringIO()"},
	{"write to fd 1 and close it", "import os\nos.write(1, b'pass\\n')\nos.close(1)\nos.close(2)"},
	{"close sys.stdout", "import sys\nsys.stdout.close()"},
	{"close every fd", "import os\nos.closerange(0, 1024)"},
	{"monkeypatch print and builtins", "import builtins\nbuiltins.print = lambda *a, **k: None\nbuiltins.AssertionError = type('AssertionError', (Exception,), {})\nbuiltins.exec = lambda *a, **k: None\nbuiltins.compile = lambda *a, **k: compile('pass', 'x', 'exec')"},
	{"switch off asserts by re-running under -O", "import os, sys\nos.execv(sys.executable, [sys.executable, '-O', '-c', 'pass'])"},
	// The tricks below define an add that is right only where the tests
	// check with the helper they attack.
	{"neutralise sys.exit before the tests", "import sys\nsys.exit = lambda *a: None\ndef add(a, b):\n    return a + b if (a, b) == (2, 3) else 9"},
	{"neutralise sys.exit during the tests", "import sys\ndef add(a, b):\n    sys.exit = lambda *a: None\n    return a + b if (a, b) == (2, 3) else 9"},
	{"redefine the tests' helper", "def check(*a):\n    pass\ndef add(a, b):\n    globals()['check'] = lambda *a: None\n    return a + b if (a, b) != (2, 3) else 9"},
}

// exitTests are addTests, ended the ways tests may end, through a helper
// the answer may try to redefine.
const exitTests = `import sys
def check(got, want):
    assert got == want, (got, want)
check(add(2, 3), 5)
if add(-1, 1) != 0:
    sys.exit(1)
`

// Tests that end themselves with a status the OS would truncate to 0
// still fail.
func TestCodeExecTestsExit256(t *testing.T) {
	c := mustCompile(t, Spec{Type: "code_exec", Tests: "import sys\nif add(2, 3) != 5:\n    sys.exit(256)\n"})
	if r := c.Evaluate(context.Background(), Answer{Output: wrongAdd}, sandboxed(t)); r.Pass {
		t.Errorf("sys.exit(256) in the tests: %+v, want a failure", r)
	}
}

// A wrong answer stays a failure whatever it does after, in the sandbox and
// unconfined (--unsafe-code-exec) alike; the right answer passes.
func TestCodeExecCannotPassByExiting(t *testing.T) {
	modes := map[string]Env{"sandbox": sandboxed(t), "unsafe": {Python: python(t), Sandbox: Sandbox{Unsafe: true}}}
	for mode, env := range modes {
		t.Run(mode, func(t *testing.T) {
			c := mustCompile(t, Spec{Type: "code_exec", Tests: exitTests, TimeoutS: 20})
			if r := c.Evaluate(context.Background(), Answer{Output: "def add(a, b):\n    return a + b\n"}, env); !r.Pass {
				t.Fatalf("the right answer: %+v, want a pass", r)
			}
			for _, trick := range exitTricks {
				t.Run(trick.name, func(t *testing.T) {
					r := c.Evaluate(context.Background(), Answer{Output: wrongAdd + trick.code + "\n"}, env)
					if r.Pass || r.Skipped || r.Score != 0 || r.Reason == "" {
						t.Errorf("a wrong answer then %q: %+v, want a failure", trick.name, r)
					}
				})
			}
		})
	}
}

// The right answer still passes when it does what answers ordinarily do:
// a main guard, printing, an atexit hook, a fork that exits.
func TestCodeExecOrdinaryAnswersPass(t *testing.T) {
	env := sandboxed(t)
	right := "import sys\ndef add(a, b):\n    return a + b\n"
	c := mustCompile(t, Spec{Type: "code_exec", Tests: exitTests, TimeoutS: 20})
	for name, code := range map[string]string{
		"main guard":            right + "if __name__ == '__main__':\n    print(add(1, 2))",
		"prints and stderr":     right + "print('hello')\nprint('warn', file=sys.stderr)",
		"atexit hook":           right + "import atexit\natexit.register(print, 'bye')",
		"argv as a script":      right + "assert sys.argv == ['solution.py'], sys.argv",
		"forked child exits":    right + "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)",
		"imports its directory": right + "import os\nopen('helper.py', 'w').write('X = 1')\nimport helper\nassert helper.X == 1",
	} {
		t.Run(name, func(t *testing.T) {
			if r := c.Evaluate(context.Background(), Answer{Output: code}, env); !r.Pass {
				t.Errorf("got %+v, want a pass", r)
			}
		})
	}
}

// The reason says the run ended early when the code exits 0 before the
// tests finished.
func TestCodeExecEarlyExitReason(t *testing.T) {
	env := sandboxed(t)
	c := mustCompile(t, Spec{Type: "code_exec", Tests: addTests})
	r := c.Evaluate(context.Background(), Answer{Output: wrongAdd + "import os\nos._exit(0)"}, env)
	if r.Pass || !strings.Contains(r.Reason, "the tests did not finish") || !strings.Contains(r.Reason, "exit code 0") {
		t.Errorf("got %+v, want a failure that says the run ended before the tests finished", r)
	}
	r = c.Evaluate(context.Background(), Answer{Output: wrongAdd + "import sys\nsys.exit(0)"}, env)
	if r.Pass || !strings.Contains(r.Reason, "exited (status 0) before the tests ran") {
		t.Errorf("got %+v, want a failure that says the answer exited before the tests ran", r)
	}
}

// The token is nowhere the answer can read it before the tests: not in the
// environment, argv, its directory, or any open file descriptor.
func TestCodeExecTokenHidden(t *testing.T) {
	probe := `import os, re, sys
hex32 = re.compile(rb"[0-9a-f]{32}")
found = []
def look(where, data):
    if hex32.search(data):
        found.append(where)
look("environ", open("/proc/self/environ", "rb").read())
look("cmdline", open("/proc/self/cmdline", "rb").read())
for name in os.listdir("."):
    look(name, open(name, "rb").read())
for fd in range(0, 256):
    try:
        os.set_blocking(fd, False)
        look("fd %d" % fd, os.read(fd, 1 << 16))
    except (OSError, BlockingIOError):
        pass
if found:
    sys.exit("token-like data in %s" % found)
`
	for mode, env := range map[string]Env{"sandbox": sandboxed(t), "unsafe": {Python: python(t), Sandbox: Sandbox{Unsafe: true}}} {
		t.Run(mode, func(t *testing.T) {
			if r := evalCode(t, env, probe, 20); !r.Pass {
				t.Errorf("got %+v, want a pass: nothing token-like readable", r)
			}
		})
	}
}
