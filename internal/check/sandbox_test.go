package check

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// sandboxed is the default environment, after making sure the sandbox works
// here: these tests prove what it stops, so they need a real one.
func sandboxed(t *testing.T) Env {
	t.Helper()
	env := Env{Python: python(t)}
	if err := CheckSandbox(context.Background(), env.Python, env.Sandbox); err != nil {
		t.Fatalf("the sandbox tests need bubblewrap (Debian: apt-get install bubblewrap); `make test` checks for it: %v", err)
	}
	return env
}

// evalCode runs code as the answer of a code_exec check with no tests of its own.
func evalCode(t *testing.T, env Env, code string, timeoutS float64) record.CheckResult {
	t.Helper()
	c := mustCompile(t, Spec{Type: "code_exec", Tests: "pass", TimeoutS: timeoutS})
	return c.Evaluate(context.Background(), Answer{Output: code}, env)
}

// listener is a TCP listener on addr that counts the connections it accepts.
func listener(t *testing.T, addr string) (net.Listener, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return ln, &n
}

// connectCode is Python that connects to each address and fails when one
// answers.
func connectCode(addrs []string) string {
	return fmt.Sprintf(`import socket, sys
connected = []
for addr in %s:
    host, port = addr.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
        connected.append(addr)
    except OSError as e:
        print(addr, "refused:", e)
if connected:
    sys.exit("connected to %%s" %% connected)
`, pyList(addrs))
}

func pyList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func TestSandboxNoNetwork(t *testing.T) {
	env := sandboxed(t)
	// One listener on loopback, one on every address, reached through
	// each of the machine's own non-loopback addresses.
	lo, loConns := listener(t, "127.0.0.1:0")
	all, allConns := listener(t, "0.0.0.0:0")
	addrs := []string{lo.Addr().String()}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ifaddrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil && !ip.IP.IsLoopback() {
			addrs = append(addrs, net.JoinHostPort(ip.IP.String(), fmt.Sprint(all.Addr().(*net.TCPAddr).Port)))
		}
	}
	code := connectCode(addrs) + `
names = [n for _, n in socket.if_nameindex()]
assert names == ["lo"], names
`
	r := evalCode(t, env, code, 30)
	if !r.Pass {
		t.Errorf("the code reached the network (or failed otherwise): %s", r.Reason)
	}
	if n := loConns.Load() + allConns.Load(); n != 0 {
		t.Errorf("the host's listeners accepted %d connections from the sandbox", n)
	}
}

func TestSandboxFileSystem(t *testing.T) {
	env := sandboxed(t)
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside.txt")   // does not exist
	existing := filepath.Join(dir, "existing.txt") // the code must neither read nor change it
	if err := os.WriteFile(existing, []byte("the host's secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	inHome := filepath.Join(home, ".benchmcp-sandbox-probe-"+marker())
	t.Cleanup(func() { os.Remove(inHome) })
	code := fmt.Sprintf(`import os, sys
bad = []
def write(p, data="sandbox was here"):
    with open(p, "w") as f:
        f.write(data)
def must_fail(what, fn):
    try:
        fn()
    except OSError:
        return
    bad.append(what)
must_fail("read a file of the host", lambda: open(%[2]q).read())
must_fail("overwrite a file of the host", lambda: write(%[2]q))
must_fail("write into the home directory", lambda: write(%[3]q))
must_fail("write into the system", lambda: write("/usr/benchmcp-probe"))
must_fail("write into the interpreter's prefix", lambda: write(os.path.join(sys.prefix, "benchmcp-probe")))
must_fail("write into /", lambda: write("/benchmcp-probe"))
must_fail("write into /dev", lambda: write("/dev/benchmcp-probe"))
must_fail("write a file over the size limit", lambda: write("big", "x" * (%[4]d + (1 << 20))))
os.remove("big")
# Its own /tmp is private: the test's path can be made there, and the host never sees it.
os.makedirs(os.path.dirname(%[1]q))
write(%[1]q)
write("inside.txt")
assert open("inside.txt").read() == "sandbox was here"
if bad:
    sys.exit("did not fail: %%s" %% bad)
`, outside, existing, inHome, SandboxFileSize)
	r := evalCode(t, env, code, 60)
	if !r.Pass {
		t.Errorf("got %+v, want a pass: every write outside its directory fails, and writes inside work", r)
	}
	for _, p := range []string{outside, inHome, "/usr/benchmcp-probe", "/benchmcp-probe"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("the code wrote %s on the host", p)
		}
	}
	if b, err := os.ReadFile(existing); err != nil || string(b) != "the host's secret" {
		t.Errorf("the host file is now %q (%v)", b, err)
	}
}

func TestSandboxForkBomb(t *testing.T) {
	env := sandboxed(t)
	mark := marker()
	// Every process forks in each round: 2^8 processes if nothing stopped
	// them (a bound, so that a broken sandbox cannot take the machine down).
	code := fmt.Sprintf(`import os, sys, time
open("/proc/self/comm", "w").write(%q)
refused = None
for _ in range(8):
    try:
        os.fork()
    except OSError as e:
        refused = e
if refused:
    print("fork refused:", refused, file=sys.stderr, flush=True)
time.sleep(60)
`, mark)
	done := make(chan struct{})
	peak := make(chan int)
	go func() {
		most := 0
		for {
			most = max(most, countNamed(mark))
			select {
			case <-done:
				peak <- most
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	r := evalCode(t, env, code, 5)
	close(done)
	most := <-peak
	if r.Pass || !strings.Contains(r.Reason, "timed out") || !strings.Contains(r.Reason, "fork refused") {
		t.Errorf("got %+v, want a time-out with forks refused", r)
	}
	if most < 2 || most > SandboxProcs {
		t.Errorf("at most %d bomb processes ran at once; want between 2 and the limit %d", most, SandboxProcs)
	}
	waitNoneNamed(t, mark)
}

func TestSandboxEndlessLoop(t *testing.T) {
	env := sandboxed(t)
	mark := marker()
	r := evalCode(t, env, fmt.Sprintf("open('/proc/self/comm', 'w').write(%q)\nwhile True:\n    pass", mark), 1)
	if r.Pass || !strings.Contains(r.Reason, "timed out after 1s") {
		t.Errorf("got %+v, want a time-out", r)
	}
	waitNoneNamed(t, mark)
}

func TestSandboxMemoryHog(t *testing.T) {
	env := sandboxed(t)
	for name, code := range map[string]string{
		"4 GiB at once":  "x = bytearray(4 << 30)",
		"64 MiB at time": "chunks = []\nwhile True:\n    chunks.append(b'x' * (64 << 20))",
	} {
		t.Run(name, func(t *testing.T) {
			r := evalCode(t, env, code, 60)
			if r.Pass || !strings.Contains(r.Reason, "MemoryError") {
				t.Errorf("got %+v, want a MemoryError", r)
			}
		})
	}
	// And the machine goes on.
	if r := evalCode(t, env, "x = bytearray(64 << 20)", 60); !r.Pass {
		t.Errorf("64 MiB after the hogs: %+v", r)
	}
}

func TestSandboxEndlessOutput(t *testing.T) {
	env := sandboxed(t)
	for name, code := range map[string]string{
		"stdout": "while True:\n    print('spam' * 100)",
		"stderr": "import sys\nwhile True:\n    print('spam' * 100, file=sys.stderr)",
	} {
		t.Run(name, func(t *testing.T) {
			r := evalCode(t, env, code, 120)
			if r.Pass || !strings.Contains(r.Reason, "the output limit") || len(r.Reason) > 2000 {
				t.Errorf("got %q, want a short failure that names the output limit", r.Reason)
			}
		})
	}
}

// The opt-out really runs the code unconfined: it reaches a listener of the
// host and writes a file of the host.
func TestSandboxUnsafeOptOut(t *testing.T) {
	env := Env{Python: python(t), Sandbox: Sandbox{Unsafe: true, Bwrap: filepath.Join(t.TempDir(), "no-bwrap")}}
	if err := CheckSandbox(context.Background(), env.Python, env.Sandbox); err != nil {
		t.Errorf("CheckSandbox with Unsafe: %v, want nil", err)
	}
	lo, conns := listener(t, "127.0.0.1:0")
	host := filepath.Join(t.TempDir(), "written")
	code := fmt.Sprintf(`import socket
socket.create_connection(("127.0.0.1", %d), timeout=5).close()
open(%q, "w").write("unconfined")
`, lo.Addr().(*net.TCPAddr).Port, host)
	if r := evalCode(t, env, code, 30); !r.Pass {
		t.Fatalf("unconfined code failed: %s", r.Reason)
	}
	if b, err := os.ReadFile(host); err != nil || string(b) != "unconfined" {
		t.Errorf("the host file is %q (%v), want the code's write", b, err)
	}
	for deadline := time.Now().Add(5 * time.Second); conns.Load() == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if conns.Load() != 1 {
		t.Errorf("the listener accepted %d connections, want 1", conns.Load())
	}
}

// Without bubblewrap nothing runs: the check skips and says what to do,
// and CheckSandbox refuses with the same words.
func TestSandboxMissingBwrap(t *testing.T) {
	env := Env{Python: python(t), Sandbox: Sandbox{Bwrap: filepath.Join(t.TempDir(), "no", "bwrap")}}
	wants := []string{"bubblewrap", "apt-get install bubblewrap", "--unsafe-code-exec", "BENCHMCP_UNSAFE_CODE_EXEC=1"}
	r := mustCompile(t, Spec{Type: "code_exec", Tests: addTests}).Evaluate(context.Background(), Answer{Output: "def add(a, b):\n    return a + b"}, env)
	err := CheckSandbox(context.Background(), env.Python, env.Sandbox)
	if !r.Skipped || r.Pass || err == nil {
		t.Fatalf("got %+v and CheckSandbox %v; want skipped and an error", r, err)
	}
	for _, w := range wants {
		if !strings.Contains(r.Reason, w) || !strings.Contains(err.Error(), w) {
			t.Errorf("reason %q or error %q lacks %q", r.Reason, err, w)
		}
	}
}

// Code in the sandbox cannot make a user namespace of its own, where it
// would be root: not with unshare(1), not with the unshare or clone system
// calls.
func TestSandboxNoNestedUserNamespace(t *testing.T) {
	env := sandboxed(t)
	code := `import ctypes, os, shutil, subprocess, sys
CLONE_NEWUSER = 0x10000000
made = []
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(CLONE_NEWUSER) == 0:
    made.append("unshare(CLONE_NEWUSER)")
if hasattr(os, "unshare"):
    try:
        os.unshare(os.CLONE_NEWUSER)
        made.append("os.unshare")
    except OSError as e:
        print("os.unshare refused:", e)
tool = shutil.which("unshare")
assert tool, "no unshare(1) in the sandbox to try"
p = subprocess.run([tool, "-Urn", "id", "-u"], capture_output=True, text=True)
print("unshare -Urn:", p.returncode, p.stdout.strip(), p.stderr.strip())
if p.returncode == 0:
    made.append("unshare -Urn id: uid " + p.stdout.strip())
if made:
    sys.exit("made a user namespace: %s" % made)
# Threads and processes, which the C library now starts with clone, still work.
import threading
box = []
th = threading.Thread(target=lambda: box.append(1))
th.start()
th.join()
assert box == [1], box
assert subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True).stdout == "42\n"
`
	r := evalCode(t, env, code, 30)
	if !r.Pass {
		t.Errorf("got %+v, want every attempt refused", r)
	}
}
