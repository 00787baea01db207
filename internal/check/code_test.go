package check

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// python is the interpreter the code_exec tests run; they need a real one.
func python(t *testing.T) string {
	t.Helper()
	p, reason := interpreter("")
	if p == "" {
		t.Fatalf("%s: %s", reason, "the code_exec tests need python3 on PATH (Debian: apt-get install python3); `make test` checks for it")
	}
	return p
}

const addTests = "assert add(2, 3) == 5\nassert add(-1, 1) == 0\n"

func TestCodeExec(t *testing.T) {
	env := Env{Python: python(t)}
	add := Spec{Type: "code_exec", Tests: addTests}
	runEvalCases(t, []evalCase{
		{"bare code passes", add, Answer{Output: "def add(a, b):\n    return a + b"}, true, 1, ""},
		{"python fence", add, Answer{Output: "Sure!\n```python\ndef add(a, b):\n    return a + b\n```\nThis adds."}, true, 1, ""},
		{"python fence wins over an earlier fence", add, Answer{Output: "Run:\n```sh\npython3 add.py\n```\n```python\ndef add(a, b):\n    return a + b\n```"}, true, 1, ""},
		{"untagged fence", add, Answer{Output: "```\ndef add(a, b):\n    return a + b\n```"}, true, 1, ""},
		{"wrong answer fails with the assertion", add, Answer{Output: "def add(a, b):\n    return a - b"}, false, 0, "tests failed: exit code 1; stderr:"},
		{"syntax error", add, Answer{Output: "def add(a, b)\n    return a + b"}, false, 0, "SyntaxError"},
		{"stdout when stderr is empty", Spec{Type: "code_exec", Tests: "import sys\nprint('custom failure')\nsys.exit(3)"},
			Answer{Output: "x = 1"}, false, 0, "exit code 3; stdout:\ncustom failure"},
		{"no code", add, Answer{Output: "  "}, false, 0, "no code in the answer"},
		{"explicit language", Spec{Type: "code_exec", Language: "python", Tests: addTests}, Answer{Output: "add = lambda a, b: a + b"}, true, 1, ""},
		{"runs in its own temp dir with HOME there", Spec{Type: "code_exec", Tests: `import os
assert os.environ["HOME"] == os.getcwd(), (os.environ["HOME"], os.getcwd())
assert os.listdir(".") == ["solution.py"], os.listdir(".")
`}, Answer{Output: "pass"}, true, 1, ""},
	}, env)

	t.Run("stderr reason keeps the last lines", func(t *testing.T) {
		c := mustCompile(t, add)
		r := c.Evaluate(context.Background(), Answer{Output: "def add(a, b):\n    return a - b"}, env)
		if !strings.Contains(r.Reason, "AssertionError") || !strings.Contains(r.Reason, "Traceback") {
			t.Errorf("reason %q lacks the traceback", r.Reason)
		}
	})
}

func TestCodeExecHidesParentEnvironment(t *testing.T) {
	env := Env{Python: python(t)}
	t.Setenv("BENCHMCP_SECRET", "hunter2")
	t.Setenv("OLLAMA_API_KEY", "sk-secret")
	spec := Spec{Type: "code_exec", Tests: `import os, sys
leaked = [k for k, v in os.environ.items() if k in ("BENCHMCP_SECRET", "OLLAMA_API_KEY") or "hunter2" in v or "sk-secret" in v]
if leaked:
    print("leaked:", leaked, file=sys.stderr)
    sys.exit(1)
`}
	r := mustCompile(t, spec).Evaluate(context.Background(), Answer{Output: "x = 1"}, env)
	if !r.Pass {
		t.Fatalf("the child saw the parent's secrets: %s", r.Reason)
	}
	// And the check can see a variable that is set, so the test above can fail.
	spec.Tests = `import os, sys
sys.exit(0 if os.environ.get("LANG") else 1)
`
	if r := mustCompile(t, spec).Evaluate(context.Background(), Answer{Output: "x = 1"}, env); !r.Pass {
		t.Fatalf("LANG is not passed on: %s", r.Reason)
	}
}

func TestCodeExecTimeout(t *testing.T) {
	env := Env{Python: python(t)}
	mark := marker()
	for _, tc := range []struct {
		name, code, output string
	}{
		{"infinite loop", "while True:\n    pass", ""},
		// The grandchild would keep the output pipe open and live on if only
		// the interpreter were killed.
		{"child process", startChild(mark) + "print('child running', flush=True)\ntime.sleep(60)", "child running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCompile(t, Spec{Type: "code_exec", Tests: "pass", TimeoutS: 1})
			start := time.Now()
			r := c.Evaluate(context.Background(), Answer{Output: tc.code}, env)
			// A hang guard, not a speed claim: the code left alone runs
			// forever or sleeps 60 s.
			if took := time.Since(start); took > 45*time.Second {
				t.Errorf("took %s with a 1s time limit: the limit did not stop the code", took)
			}
			if r.Pass || r.Skipped || r.Score != 0 || !strings.Contains(r.Reason, "timed out after 1s") || !strings.Contains(r.Reason, tc.output) {
				t.Errorf("got %+v, want a failure that says it timed out after 1s (and shows %q)", r, tc.output)
			}
		})
	}
	t.Run("grandchild is killed", func(t *testing.T) {
		waitNoneNamed(t, mark)
	})
}

func TestCodeExecLeftoverProcessIsKilled(t *testing.T) {
	env := Env{Python: python(t)}
	mark := marker()
	c := mustCompile(t, Spec{Type: "code_exec", Tests: "pass", TimeoutS: 20})
	start := time.Now()
	r := c.Evaluate(context.Background(), Answer{Output: startChild(mark)}, env)
	// A hang guard: the leftover process sleeps 60 s.
	if took := time.Since(start); took > 45*time.Second {
		t.Errorf("took %s: waited for the leftover process", took)
	}
	if !r.Pass {
		t.Errorf("got %+v, want a pass (the interpreter exited 0 with its child running)", r)
	}
	waitNoneNamed(t, mark)
}

// marker is a process name (comm) no other process has, for finding the
// processes a test's code started.
func marker() string {
	return fmt.Sprintf("bmcp%08x", rand.Uint32())
}

// startChild is Python that starts a child process named mark, sleeping a
// minute, and returns once the child runs under that name.
func startChild(mark string) string {
	return fmt.Sprintf(`import subprocess, sys, time
p = subprocess.Popen([sys.executable, "-c", "open('/proc/self/comm', 'w').write('%[1]s'); import time; time.sleep(60)"])
while open('/proc/%%d/comm' %% p.pid).read().strip() != '%[1]s':
    time.sleep(0.01)
`, mark)
}

// countNamed is the number of live (not zombie) processes on the machine
// named name.
func countNamed(name string) int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	n := 0
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		// The state follows the parenthesised command name.
		if s[open+1:end] == name && !strings.HasPrefix(strings.TrimSpace(s[end+1:]), "Z") {
			n++
		}
	}
	return n
}

// waitNoneNamed waits up to 10 s for no process named name to be left.
func waitNoneNamed(t *testing.T, name string) {
	t.Helper()
	n := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n = countNamed(name); n == 0 {
			return
		}
	}
	t.Errorf("%d processes named %s still run", n, name)
}

func TestCodeExecCancelled(t *testing.T) {
	env := Env{Python: python(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c := mustCompile(t, Spec{Type: "code_exec", Tests: "pass", TimeoutS: 120})
	start := time.Now()
	r := c.Evaluate(ctx, Answer{Output: "while True:\n    pass"}, env)
	// A hang guard, not a speed claim: without the cancel it would run to
	// its 120 s time limit (and say it timed out, not that it was cancelled).
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("took %s after the context ended: the cancel did not stop the code", took)
	}
	if r.Pass || !strings.Contains(r.Reason, "cancelled") {
		t.Errorf("got %+v, want a failure that says it was cancelled", r)
	}
}

func TestCodeExecWithoutInterpreter(t *testing.T) {
	c := mustCompile(t, Spec{Type: "code_exec", Tests: addTests})
	a := Answer{Output: "def add(a, b):\n    return a + b"}

	t.Run("path that does not exist", func(t *testing.T) {
		r := c.Evaluate(context.Background(), a, Env{Python: filepath.Join(t.TempDir(), "no", "python3")})
		if !r.Skipped || r.Pass || r.Score != 0 || !strings.Contains(r.Reason, "not found") || !strings.Contains(r.Reason, "install python3") {
			t.Errorf("got %+v, want skipped with a reason that says what to do", r)
		}
	})
	t.Run("nothing on PATH", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		r := c.Evaluate(context.Background(), a, Env{})
		if !r.Skipped || r.Pass || !strings.HasPrefix(r.Reason, "no python3 interpreter found on PATH; install python3") {
			t.Errorf("got %+v, want skipped: no python3 on PATH", r)
		}
	})
	t.Run("skipped check does not decide the sample", func(t *testing.T) {
		checks := []Check{c, mustCompile(t, Spec{Type: "contains", Value: "return"})}
		_, pass, score := Evaluate(context.Background(), checks, a, Env{Python: "/nonexistent/python3"})
		if !pass || score != 1 {
			t.Errorf("pass, score = %v, %v; want true, 1", pass, score)
		}
	})
}

func TestExtractCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"x = 1", "x = 1"},
		{"```python\nx = 1\n```", "x = 1\n"},
		{"```Python3\nx = 1\n```", "x = 1\n"},
		{"```py\nx = 1\n```\n```python\ny = 2\n```", "x = 1\n"},
		{"```text\nout\n```", "out\n"},
		{"```python\nx = 1", "x = 1"},
	} {
		if got := extractCode(tc.in); got != tc.want {
			t.Errorf("extractCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The interpreter is python3 from PATH, resolved past launchers (pyenv shims)
// to the executable Python itself reports.
func TestInterpreterLookup(t *testing.T) {
	onPath, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("the code_exec tests need python3 on PATH (Debian: apt-get install python3); `make test` checks for it")
	}
	out, err := exec.Command(onPath, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(out))
	for _, path := range []string{"", "python3", onPath, want} {
		if got, reason := interpreter(path); got != want {
			t.Errorf("interpreter(%q) = %q (%s), want %q", path, got, reason, want)
		}
	}
}
