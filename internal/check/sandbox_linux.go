package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// jail is a working bubblewrap setup for one interpreter.
type jail struct {
	bwrap   string
	prlimit string
	setpriv string // root only: drops to an unused uid inside
	// disableUserns: bwrap knows --disable-userns (0.8.0 and later).
	disableUserns bool
	binds         []string // bwrap arguments that make the file system
}

// jails caches the setups that passed their trial run: bwrap path + "\x00" + interpreter -> *jail.
var jails sync.Map

// sandboxFor is the sandbox for interpreter py, tried once with a trivial
// program (and cached when it works); the error says what is missing.
func sandboxFor(ctx context.Context, bwrap, py string) (*jail, error) {
	key := bwrap + "\x00" + py
	if j, ok := jails.Load(key); ok {
		return j.(*jail), nil
	}
	j, err := newJail(bwrap, py)
	if err != nil {
		return nil, err
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := newHarness("assert ok\n")
	if err != nil {
		return nil, err
	}
	defer h.close()
	cmd, cleanup, err := j.command(tctx, py, "ok = True\n", h, 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if pass, err := h.run(cmd); !pass {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err == nil {
			err = errors.New("the runner did not report a pass")
		}
		return nil, fmt.Errorf("the code_exec sandbox does not work here: a trial run of %s in %s failed (%v): %s; %s",
			py, j.bwrap, err, strings.TrimSpace(out.String()), sandboxHint)
	}
	jails.Store(key, j)
	return j, nil
}

// newJail finds the programs the sandbox needs and the paths the
// interpreter needs to see.
func newJail(bwrap, py string) (*jail, error) {
	j := &jail{}
	name := bwrap
	if name == "" {
		name = "bwrap"
	}
	var err error
	if j.bwrap, err = exec.LookPath(name); err != nil {
		return nil, fmt.Errorf("code_exec runs code only in a sandbox, and bubblewrap (%s) is not found: %v; %s", name, err, sandboxHint)
	}
	tools := []*string{&j.prlimit}
	names := []string{"prlimit"}
	if os.Geteuid() == 0 {
		tools, names = append(tools, &j.setpriv), append(names, "setpriv")
	}
	for i, n := range names {
		if *tools[i], err = exec.LookPath(n); err != nil {
			return nil, fmt.Errorf("the code_exec sandbox needs %s (Debian: apt-get install util-linux): %v; or pass --unsafe-code-exec (BENCHMCP_UNSAFE_CODE_EXEC=1) to run code_exec unconfined", n, err)
		}
	}
	if help, err := exec.Command(j.bwrap, "--help").CombinedOutput(); err == nil {
		j.disableUserns = strings.Contains(string(help), "--disable-userns")
	}
	roots, err := pythonRoots(py)
	if err != nil {
		return nil, err
	}
	j.binds = fileSystem(roots, append([]string{py}, j.prlimit, j.setpriv))
	return j, nil
}

// systemDirs are shown read-only in the sandbox when they exist: the
// programs and libraries, nothing of /etc but the loader's cache, no home.
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// fileSystem is the bwrap arguments that build the sandbox's file system:
// the system directories and the interpreter's roots read-only, the files
// among extra that lie elsewhere, a fresh /proc and /dev, a private
// writable tmpfs at sandboxDir and /dev/shm, and everything else
// read-only.
func fileSystem(roots, extra []string) []string {
	var args, shown []string
	for _, d := range systemDirs {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			if target, err := os.Readlink(d); err == nil {
				args = append(args, "--symlink", target, d)
			}
		case fi.IsDir():
			args = append(args, "--ro-bind", d, d)
			shown = append(shown, d)
		}
	}
	args = append(args, "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache")
	made := map[string]bool{}
	for _, p := range append(roots, extra...) {
		if p == "" || under(p, shown) {
			continue
		}
		// Directories bwrap makes on the way are private to the sandbox;
		// make them readable to the code.
		for _, a := range ancestors(p) {
			if !made[a] && !under(a, shown) {
				made[a] = true
				args = append(args, "--perms", "0755", "--dir", a)
			}
		}
		args = append(args, "--ro-bind", p, p)
		shown = append(shown, p)
	}
	size := strconv.Itoa(SandboxFileSize)
	return append(args,
		"--proc", "/proc",
		"--dev", "/dev",
		"--perms", "1777", "--size", size, "--tmpfs", "/dev/shm",
		"--remount-ro", "/dev",
		"--perms", "1777", "--size", size, "--tmpfs", sandboxDir,
	)
}

// under reports whether path is one of dirs or inside one.
func under(path string, dirs []string) bool {
	return slices.ContainsFunc(dirs, func(d string) bool {
		return path == d || strings.HasPrefix(path, d+"/")
	})
}

// ancestors are the directories above an absolute path, outermost first,
// without "/".
func ancestors(p string) []string {
	var out []string
	for d := filepath.Dir(p); d != "/" && d != "."; d = filepath.Dir(d) {
		out = append(out, d)
	}
	slices.Reverse(out)
	return out
}

// pythonRootsCache caches pythonRoots: interpreter -> []string.
var pythonRootsCache sync.Map

// pythonRoots are the directories the interpreter needs (its prefixes as
// sys reports them, and the directory of the executable), each resolved
// past symlinks and outermost only. A prefix that is / or holds the home
// directory is refused: the sandbox never shows either.
func pythonRoots(py string) ([]string, error) {
	if v, ok := pythonRootsCache.Load(py); ok {
		return v.([]string), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c", "import sys; print(sys.prefix); print(sys.base_prefix); print(sys.exec_prefix); print(sys.base_exec_prefix)").Output()
	if err != nil {
		return nil, fmt.Errorf("could not ask %s for its prefix: %v", py, err)
	}
	cands := append(strings.Fields(string(out)), filepath.Dir(py))
	if real, err := filepath.EvalSymlinks(py); err == nil {
		cands = append(cands, filepath.Dir(real))
	}
	home, _ := os.UserHomeDir()
	var roots []string
	for _, c := range cands {
		if !filepath.IsAbs(c) {
			continue
		}
		paths := []string{filepath.Clean(c)}
		if real, err := filepath.EvalSymlinks(c); err == nil && real != paths[0] {
			paths = append(paths, real)
		}
		for _, p := range paths {
			if p == "/" || (home != "" && (p == home || strings.HasPrefix(home, p+"/"))) {
				return nil, fmt.Errorf("the interpreter %s lives in %s, which the code_exec sandbox will not show (it holds the home directory); use a python3 installed elsewhere (BENCHMCP_PYTHON), or pass --unsafe-code-exec (BENCHMCP_UNSAFE_CODE_EXEC=1) to run code_exec unconfined", py, p)
			}
			roots = append(roots, p)
		}
	}
	slices.Sort(roots)
	roots = slices.Compact(roots)
	var outer []string
	for _, r := range roots {
		if !under(r, outer) {
			outer = append(outer, r)
		}
	}
	pythonRootsCache.Store(py, outer)
	return outer, nil
}

// command is the interpreter running the runner of h on source, as
// solution.py in the sandbox:
// no network, its own pid, ipc and uts namespaces, the file system of
// fileSystem, a new session, killed with its parent, and the rlimits on CPU
// time (the time limit plus a second), address space, file size and
// processes. As root, the code runs as a uid no account uses, since the
// process limit does not bind root; otherwise in a user namespace of its
// own, where the process limit counts the sandbox's processes only. Either
// way the seccomp filter of noUserNamespaces (and, without root, bwrap's
// --disable-userns where bwrap has it) refuses nested user namespaces. The
// code and the filter go in through pipes; cleanup closes them.
func (j *jail) command(ctx context.Context, py, source string, h *harness, timeout time.Duration) (*exec.Cmd, func(), error) {
	filter, err := noUserNamespaces()
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("could not make a pipe for the code: %w", err)
	}
	fr, fw, err := os.Pipe()
	if err != nil {
		r.Close()
		w.Close()
		return nil, nil, fmt.Errorf("could not make a pipe for the seccomp filter: %w", err)
	}
	go func() {
		_, _ = w.WriteString(source) // fails only when bwrap is gone early; its exit says why
		w.Close()
	}()
	go func() {
		_, _ = fw.Write(filter) // likewise
		fw.Close()
	}()
	cleanup := func() { r.Close(); w.Close(); fr.Close(); fw.Close() }

	root := os.Geteuid() == 0
	args := []string{"--die-with-parent", "--new-session"}
	if root {
		args = append(args, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")
	} else {
		args = append(args, "--unshare-all", "--unshare-user")
		if j.disableUserns {
			args = append(args, "--disable-userns")
		}
	}
	args = append(args, "--seccomp", "4")
	args = append(args, j.binds...)
	args = append(args,
		"--perms", "0644", "--file", "3", sandboxDir+"/solution.py",
		"--remount-ro", "/",
		"--chdir", sandboxDir,
	)
	if root {
		args = append(args, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID")
	}
	cpu := int(math.Ceil(timeout.Seconds())) + 1
	args = append(args, "--", j.prlimit,
		"--cpu="+strconv.Itoa(cpu),
		"--as="+strconv.Itoa(SandboxMemory),
		"--fsize="+strconv.Itoa(SandboxFileSize),
		"--nproc="+strconv.Itoa(SandboxProcs),
		"--core=0",
		"--")
	if root {
		uid := strconv.Itoa(unusedUID())
		args = append(args, j.setpriv, "--reuid="+uid, "--regid="+uid, "--clear-groups",
			"--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--")
	}
	// fd 3 is the source (bwrap makes solution.py of it), fd 4 the seccomp
	// filter; the harness's pipes follow at 5 and 6.
	args = append(args, py)
	args = append(args, h.args(sandboxDir+"/solution.py", 5)...)

	cmd := exec.CommandContext(ctx, j.bwrap, args...)
	cmd.ExtraFiles = []*os.File{r, fr}
	cmd.Env = sandboxEnv(py)
	return cmd, cleanup, nil
}

// unusedUID is a uid for one sandboxed run as root: high in the range, away
// from accounts, system and container ranges, and random so that two runs
// at once do not share a process count.
func unusedUID() int {
	const base, span = 2_100_000_000, 1 << 24
	return base + rand.IntN(span)
}

// sandboxEnv is the whole environment of sandboxed code: a PATH of the
// interpreter's directory and the system's, HOME its directory, and LANG.
func sandboxEnv(py string) []string {
	env := childEnv(sandboxDir)
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
		}
	}
	return env
}

// killedBy is the reason for bwrap's exit code when a signal killed the
// code (bwrap exits 128+n for signal n), naming the limit it means; "" for
// any other exit code.
func killedBy(code int, timeout time.Duration) string {
	if code <= 128 || code >= 128+65 {
		return ""
	}
	sig := syscall.Signal(code - 128)
	why := fmt.Sprintf("killed by signal %d (%v)", int(sig), sig)
	switch sig {
	case syscall.SIGXCPU:
		why += fmt.Sprintf(": the code used more CPU time than the time limit (%s) allows", timeout)
	case syscall.SIGXFSZ:
		why += fmt.Sprintf(": the code wrote a file larger than %d MiB", SandboxFileSize>>20)
	}
	return why
}
