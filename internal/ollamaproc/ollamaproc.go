// Package ollamaproc starts a private `ollama serve` on a free loopback port
// with its own model directory, and creates models in it from Modelfiles. The
// demo uses it when no Ollama is running; the tests use it always.
package ollamaproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/parser"
)

// FixtureModels are the tiny models vendored in testdata/models.
var FixtureModels = []string{"tiny-s", "tiny-m", "tiny-l", "tiny-judge", "tiny-agent"}

// Config says how to start the server.
type Config struct {
	Binary      string            // ollama binary; "" = Binary()
	Dir         string            // working dir for OLLAMA_MODELS and HOME; "" = a new temp dir removed on Close
	Env         map[string]string // extra environment, e.g. OLLAMA_NUM_PARALLEL=2
	StartupWait time.Duration     // how long to wait for the server to answer (default 60 s)
	// Addr is the host:port to listen on ("" = a free 127.0.0.1 port): a
	// server started again where one stopped, for a client that waits for it.
	Addr string
}

// Process is a running private ollama server.
type Process struct {
	URL     *url.URL
	Client  *api.Client
	Binary  string
	dir     string
	ownDir  bool
	cmd     *exec.Cmd
	logs    *syncBuffer
	done    chan struct{}
	waitErr error
}

// Root finds the project root (the directory holding go.mod) from the working directory up.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}

// FixtureDir is testdata/models of the source tree around the working
// directory: the Modelfiles of FixtureModels.
func FixtureDir() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "testdata", "models")
	if _, err := os.Stat(filepath.Join(dir, "Modelfile.tiny-m")); err != nil {
		return "", fmt.Errorf("fixture models missing in %s: %w", dir, err)
	}
	return dir, nil
}

// Binary finds an ollama binary: $BENCHMCP_OLLAMA_BIN, then `ollama` on PATH,
// then the one `make ollama` builds into <root>/.tools/bin.
func Binary() (string, error) {
	if b := os.Getenv("BENCHMCP_OLLAMA_BIN"); b != "" {
		// A relative path is taken from the project root when it is not
		// found from here (go test runs each package in its own directory).
		if _, err := os.Stat(b); err != nil && !filepath.IsAbs(b) {
			if root, rerr := Root(); rerr == nil {
				if _, err := os.Stat(filepath.Join(root, b)); err == nil {
					return filepath.Join(root, b), nil
				}
			}
		}
		return b, nil
	}
	if b, err := exec.LookPath("ollama"); err == nil {
		return b, nil
	}
	if root, err := Root(); err == nil {
		b := filepath.Join(root, ".tools", "bin", "ollama")
		if _, err := os.Stat(b); err == nil {
			return b, nil
		}
	}
	return "", errors.New("no ollama binary: none on PATH, no BENCHMCP_OLLAMA_BIN, and none built in .tools/bin; run `make ollama` to build one from the Go module proxy")
}

// EnsureBinary is Binary, except that when there is none and this is a
// source checkout it builds one with scripts/ollama.sh (from the Go module
// proxy; minutes the first time), telling w.
func EnsureBinary(ctx context.Context, w io.Writer) (string, error) {
	if bin, err := Binary(); err == nil {
		return bin, nil
	}
	root, err := Root()
	script := filepath.Join(root, "scripts", "ollama.sh")
	if err != nil {
		return "", errors.New("no ollama binary on PATH and no benchmcp checkout to build one in; install Ollama or set BENCHMCP_OLLAMA_BIN")
	}
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("no ollama binary on PATH, and %s is missing to build one", script)
	}
	fmt.Fprintln(w, "no ollama binary: building Ollama from the Go module proxy with scripts/ollama.sh (a few minutes the first time)")
	cmd := exec.CommandContext(ctx, script)
	cmd.Dir = root
	cmd.Stderr = w
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("build ollama with %s: %w", script, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Start runs `ollama serve` on cfg.Addr, else a free 127.0.0.1 port, and
// waits until it answers.
func Start(ctx context.Context, cfg Config) (*Process, error) {
	bin := cfg.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	p := &Process{Binary: bin, dir: cfg.Dir, logs: &syncBuffer{}, done: make(chan struct{})}
	reapOrphans()
	if p.dir == "" {
		d, err := os.MkdirTemp("", tempPrefix)
		if err != nil {
			return nil, fmt.Errorf("ollama working dir: %w", err)
		}
		p.dir, p.ownDir = d, true
	}
	addr := cfg.Addr
	if addr == "" {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr = "127.0.0.1:" + strconv.Itoa(port)
	}
	p.URL = &url.URL{Scheme: "http", Host: addr}
	p.Client = api.NewClient(p.URL, http.DefaultClient)

	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + p.dir,
		"OLLAMA_HOST=" + addr,
		"OLLAMA_MODELS=" + filepath.Join(p.dir, "models"),
		"OLLAMA_NOHISTORY=1",
	}
	// Room for the four fixture models at once: with Ollama's default of
	// three, a comparison of three models judged by a fourth reloads a model
	// on nearly every call. cfg.Env may override it.
	if _, ok := cfg.Env["OLLAMA_MAX_LOADED_MODELS"]; !ok {
		env = append(env, "OLLAMA_MAX_LOADED_MODELS=4")
	}
	for k, v := range cfg.Env {
		env = append(env, k+"="+v)
	}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = env
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	p.cmd.SysProcAttr = procAttr()
	if err := p.cmd.Start(); err != nil {
		p.cleanup()
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.done) }()
	if p.ownDir {
		// Note who owns this server, so that a later Start can clean up after
		// a process that died without Close (a test timeout, a SIGKILL): the
		// server dies with its parent, but its model runners would live on.
		owner := fmt.Sprintf("%d %d\n", os.Getpid(), p.cmd.Process.Pid)
		_ = os.WriteFile(filepath.Join(p.dir, ownerFile), []byte(owner), 0o644)
	}

	wait := cfg.StartupWait
	if wait == 0 {
		wait = 60 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		vctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := p.Client.Version(vctx)
		cancel()
		if err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			p.cleanup()
			return nil, fmt.Errorf("ollama serve exited at start (%v); its log:\n%s", p.waitErr, p.Logs())
		case <-ctx.Done():
			p.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Close()
			return nil, fmt.Errorf("ollama serve did not answer on %s within %s; its log:\n%s", addr, wait, p.Logs())
		}
	}
}

// CreateModels creates models from Modelfile.NAME files in dir for each
// name that the server does not have yet.
func (p *Process) CreateModels(ctx context.Context, dir string, names ...string) error {
	return CreateModels(ctx, p.Client, dir, names...)
}

// CreateModels creates models from Modelfile.NAME files in dir on the Ollama
// behind client, skipping those already there. It speaks the API (blob
// upload, then create), so it needs no ollama binary and works on any host.
func CreateModels(ctx context.Context, client *api.Client, dir string, names ...string) error {
	list, err := client.List(ctx)
	if err != nil {
		return fmt.Errorf("list models: %w", err)
	}
	have := map[string]bool{}
	for _, m := range list.Models {
		have[m.Name] = true
	}
	for _, name := range names {
		if have[name] || have[name+":latest"] {
			continue
		}
		if err := createModel(ctx, client, dir, name); err != nil {
			return fmt.Errorf("create %s from %s: %w", name, filepath.Join(dir, "Modelfile."+name), err)
		}
	}
	return nil
}

func createModel(ctx context.Context, client *api.Client, dir, name string) error {
	f, err := os.Open(filepath.Join(dir, "Modelfile."+name))
	if err != nil {
		return err
	}
	defer f.Close()
	mf, err := parser.ParseFile(f)
	if err != nil {
		return err
	}
	req, err := mf.CreateRequest(dir)
	if err != nil {
		return err
	}
	files := map[string]string{}
	for path, digest := range req.Files {
		blob, err := os.Open(path)
		if err != nil {
			return err
		}
		err = client.CreateBlob(ctx, digest, blob)
		blob.Close()
		if err != nil {
			return fmt.Errorf("upload %s: %w", path, err)
		}
		files[filepath.Base(path)] = digest
	}
	req.Files = files
	req.Model = name
	return client.Create(ctx, req, func(api.ProgressResponse) error { return nil })
}

// BlobPath is where the server keeps the blob digest ("sha256:<hex>"):
// a test may link a file there instead of uploading it.
func (p *Process) BlobPath(digest string) string {
	return filepath.Join(p.dir, "models", "blobs", strings.Replace(digest, ":", "-", 1))
}

// Logs is what the server printed so far (the last few MiB of it).
func (p *Process) Logs() string { return p.logs.String() }

// LogMark is the position of the end of the server's log, for LogsSince.
func (p *Process) LogMark() int64 { return p.logs.mark() }

// LogsSince is what the server printed after mark (all of it that is
// still kept: the log drops its oldest MiBs as it grows).
func (p *Process) LogsSince(mark int64) string { return p.logs.since(mark) }

// ModelLoadsSince counts, per model file, the runners the server started
// after mark: each is one model load. (A runner started without a model
// is GPU discovery, not a load.)
func (p *Process) ModelLoadsSince(mark int64) map[string]int {
	n := map[string]int{}
	for _, line := range strings.Split(p.LogsSince(mark), "\n") {
		if !strings.Contains(line, `msg="starting runner"`) {
			continue
		}
		if _, rest, ok := strings.Cut(line, "--model "); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n[f[0]]++
			}
		}
	}
	return n
}

// LoadsSince is the number of model loads after mark.
func (p *Process) LoadsSince(mark int64) int {
	total := 0
	for _, c := range p.ModelLoadsSince(mark) {
		total += c
	}
	return total
}

// Close stops the server (SIGTERM, then SIGKILL after 5 s) and removes its temp dir.
func (p *Process) Close() error {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	p.cleanup()
	return nil
}

func (p *Process) cleanup() {
	if p.ownDir {
		_ = os.RemoveAll(p.dir)
	}
}

const (
	tempPrefix = "benchmcp-ollama-"
	ownerFile  = "owner"
)

// reapOrphans kills the process groups of private servers whose owner
// process is gone, and removes their directories: only directories this
// user made as Start makes them (see ours), since anyone can put a
// directory with an owner file naming any process group in /tmp.
func reapOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		if !ours(dir) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		var owner, pgid int
		if _, err := fmt.Sscan(string(b), &owner, &pgid); err != nil || owner <= 0 || pgid <= 1 {
			continue
		}
		if syscall.Kill(owner, 0) == nil {
			continue // owner alive
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = os.RemoveAll(dir)
	}
}

// ours reports whether dir is a private server's directory of this user:
// a directory, not a symlink, owned by this uid with mode 0700 (as
// os.MkdirTemp makes it), holding an owner file that is a regular file of
// this uid that no one else can write.
func ours(dir string) bool {
	uid := os.Getuid()
	owned := func(fi os.FileInfo) bool {
		st, ok := fi.Sys().(*syscall.Stat_t)
		return ok && int(st.Uid) == uid
	}
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || !owned(fi) {
		return false
	}
	fi, err = os.Lstat(filepath.Join(dir, ownerFile))
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o022 == 0 && owned(fi)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type syncBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	base int64 // bytes dropped before b
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 4<<20 { // keep the log bounded
		s.base += int64(s.b.Len())
		s.b.Reset()
	}
	return s.b.Write(p)
}

// mark is the position of the log's end: every byte ever written.
func (s *syncBuffer) mark() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base + int64(s.b.Len())
}

// since is what was written after mark (of it, what is still kept).
func (s *syncBuffer) since(mark int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mark < s.base {
		return s.b.String()
	}
	return string(s.b.Bytes()[mark-s.base:])
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
