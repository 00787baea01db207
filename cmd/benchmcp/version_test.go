package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/benchmcp/benchmcp/internal/buildinfo"
	"github.com/benchmcp/benchmcp/internal/ollamaproc"
)

// TestGoInstallVersion installs benchmcp with `go install` from this
// checkout into an empty GOBIN, as a user would, and asks the binary which
// build it is: `version --json`, `--version`, and the MCP server's
// serverInfo over stdio all say the same version, stamped from the
// checkout's commit.
func TestGoInstallVersion(t *testing.T) {
	root, err := ollamaproc.Root()
	if err != nil {
		t.Fatal(err)
	}
	gobin := t.TempDir()
	install := exec.Command("go", "install", "./cmd/benchmcp")
	install.Dir = root
	// A user's go has VCS stamping on where git can read the checkout
	// (-buildvcs=auto, the default; this machine's GOFLAGS turns it off).
	install.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-buildvcs=auto")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install ./cmd/benchmcp: %v\n%s", err, out)
	}
	bin := filepath.Join(gobin, "benchmcp")
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("benchmcp version --json: %v", err)
	}
	var in buildinfo.Info
	if err := json.Unmarshal(out, &in); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	if in.Version == "" || in.Go != runtime.Version() {
		t.Errorf("installed from a checkout: %+v; want a version, built by %s", in, runtime.Version())
	}
	// Go stamps a checkout's build with a pseudo-version of its commit
	// (v0.0.0-<time>-<commit>[+dirty]); without git it is "devel".
	if rev, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err == nil {
		if head := strings.TrimSpace(string(rev)); in.Commit != head || !strings.Contains(in.Version, head[:12]) {
			t.Errorf("commit %q, version %q; want the checkout's HEAD %s", in.Commit, in.Version, head)
		}
	} else if !strings.HasPrefix(in.Version, "devel") {
		t.Errorf("no git: version %q; want devel", in.Version)
	}
	line, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(line), "benchmcp "+in.Version+" (") {
		t.Errorf("--version: %q, %v", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.NewStdioMCPClient(bin, []string{"BENCHMCP_DB=" + filepath.Join(t.TempDir(), "v.db")}, "serve")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "version-test", Version: "1"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerInfo.Name != "benchmcp" || res.ServerInfo.Version != in.Version {
		t.Errorf("serverInfo %+v; want benchmcp %s", res.ServerInfo, in.Version)
	}
}

// `benchmcp version` in-process: the build's line, and --json parses.
func TestVersionCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"--version"}, &out, &errb); code != 0 || out.String() != buildinfo.Get().String()+"\n" {
		t.Fatalf("--version: exit %d, %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := dispatch(context.Background(), []string{"version", "--json"}, &out, &errb); code != 0 || !json.Valid(out.Bytes()) {
		t.Fatalf("version --json: exit %d, %q", code, out.String())
	}
}
