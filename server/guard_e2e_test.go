package server_test

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

func post(t *testing.T, url string, headers map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewBufferString(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestServeRefusesOtherOrigins is the finding: a loopback server
// answered a request from a web page at http://evil.example. Now it
// refuses it, and still answers a local client.
func TestServeRefusesOtherOrigins(t *testing.T) {
	base, _ := startServer(t, "http", filepath.Join(t.TempDir(), "bench.db"), "local="+ollamatest.Get(t).URL.String())
	if got := post(t, base+"/mcp", map[string]string{"Origin": "http://evil.example"}); got != http.StatusForbidden {
		t.Errorf("Origin http://evil.example: status %d, want 403", got)
	}
	if got := post(t, base+"/mcp", nil); got != http.StatusOK {
		t.Errorf("a local client without Origin: status %d, want 200", got)
	}
}

// TestServeNeedsATokenOffLoopback: listening where other machines reach it
// needs a token; with one, requests without it are refused.
func TestServeNeedsATokenOffLoopback(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	out, err := exec.Command(binary, "serve", "--transport", "http", "--addr", "0.0.0.0:0", "--db", db).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "set a bearer token with --token or BENCHMCP_TOKEN") {
		t.Fatalf("serve on 0.0.0.0 without a token: %v\n%s", err, out)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("the refused server created its store")
	}
	t.Setenv("BENCHMCP_TOKEN", "s3cret")
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	base := startServerAt(t, "http", "0.0.0.0:"+strconv.Itoa(port), db, "local="+ollamatest.Get(t).URL.String())
	url := strings.Replace(base, "0.0.0.0", "127.0.0.1", 1) + "/mcp"
	if got := post(t, url, nil); got != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", got)
	}
	if got := post(t, url, map[string]string{"Authorization": "Bearer wrong"}); got != http.StatusUnauthorized {
		t.Errorf("wrong token: status %d, want 401", got)
	}
	if got := post(t, url, map[string]string{"Authorization": "Bearer s3cret"}); got != http.StatusOK {
		t.Errorf("right token: status %d, want 200", got)
	}
}

// With --unsafe-code-exec, a loopback HTTP or SSE server needs a token too:
// any local user could otherwise run code as the server's user. With one,
// a request without it is refused.
func TestServeUnsafeCodeExecNeedsAToken(t *testing.T) {
	for _, transport := range []string{"http", "sse"} {
		db := filepath.Join(t.TempDir(), "bench.db")
		out, err := exec.Command(binary, "serve", "--transport", transport, "--addr", "127.0.0.1:0", "--db", db, "--unsafe-code-exec").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "--unsafe-code-exec over sse or http needs a bearer token") || !strings.Contains(string(out), "--token or BENCHMCP_TOKEN") {
			t.Fatalf("%s with --unsafe-code-exec and no token: %v\n%s", transport, err, out)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%s: the refused server created its store", transport)
		}
	}
	t.Setenv("BENCHMCP_UNSAFE_CODE_EXEC", "1")
	t.Setenv("BENCHMCP_TOKEN", "s3cret")
	base, _ := startServer(t, "http", filepath.Join(t.TempDir(), "bench.db"), "local="+ollamatest.Get(t).URL.String())
	if got := post(t, base+"/mcp", nil); got != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", got)
	}
	if got := post(t, base+"/mcp", map[string]string{"Authorization": "Bearer s3cret"}); got != http.StatusOK {
		t.Errorf("right token: status %d, want 200", got)
	}
}
