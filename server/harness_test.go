package server_test

// The end-to-end tests drive the built benchmcp binary through mcp-go's
// client over a real transport, against a real private ollama serve with
// the fixture models, and a real bbolt file.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/ollamaproc"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/memory"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "benchmcp-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "benchmcp")
	root, err := ollamaproc.Root()
	if err != nil {
		panic(err)
	}
	build := exec.Command("go", "build", "-race", "-o", binary, "./cmd/benchmcp")
	build.Dir = root
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build benchmcp: " + err.Error())
	}
	ollamatest.Main(m)
}

// mcpClient is an initialized client of a benchmcp server process, with the
// notifications it received.
type mcpClient struct {
	*client.Client
	DB string

	mu    sync.Mutex
	notes []mcp.JSONRPCNotification
}

// startStdio starts `benchmcp serve` (stdio) on a store file and connects.
// A db of "" makes a new store in a temp dir.
func startStdio(t testing.TB, db string) *mcpClient {
	t.Helper()
	return startStdioOn(t, db, ollamatest.Get(t).URL.String())
}

// startStdioOn is startStdio with the host "local" at url (a chatGate's).
func startStdioOn(t testing.TB, db, url string) *mcpClient {
	t.Helper()
	if db == "" {
		db = filepath.Join(t.TempDir(), "bench.db")
	}
	env := append(os.Environ(), "BENCHMCP_HOSTS=local="+url, "BENCHMCP_DB="+db)
	c, err := client.NewStdioMCPClient(binary, env, "serve")
	if err != nil {
		t.Fatal(err)
	}
	mc := &mcpClient{Client: c, DB: db}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		mc.mu.Lock()
		mc.notes = append(mc.notes, n)
		mc.mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// NewStdioMCPClient starts the transport but not the client, whose Start
	// installs the notification handler.
	if err := c.Start(ctx); err != nil {
		c.Close()
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "benchmcp-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return mc
}

// call invokes a tool with a progress token and returns the result.
func (mc *mcpClient) call(ctx context.Context, t testing.TB, tool string, args map[string]any, token string) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	if token != "" {
		req.Params.Meta = &mcp.Meta{ProgressToken: token}
	}
	res, err := mc.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("call %s: %v", tool, err)
	}
	return res
}

// progress returns the progress notifications received for a token.
func (mc *mcpClient) progress(token string) []map[string]any {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	var out []map[string]any
	for _, n := range mc.notes {
		if n.Method != string(mcp.MethodNotificationProgress) {
			continue
		}
		p := n.Params.AdditionalFields
		if tok, _ := p["progressToken"].(string); tok == token {
			out = append(out, p)
		}
	}
	return out
}

// structured decodes a result's structuredContent into v.
func structured(t testing.TB, res *mcp.CallToolResult, v any) {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode structured content: %v\n%s", err, b)
	}
}

// wantErrorsStoreNothing calls tool with each case's arguments, expects an
// isError result mentioning want, then closes the server and checks that
// the store holds no run.
func (mc *mcpClient) wantErrorsStoreNothing(ctx context.Context, t *testing.T, tool string, cases []struct {
	args map[string]any
	want string
}) {
	t.Helper()
	mc.wantErrorsStoreNothingSince(ctx, t, tool, 0, cases)
}

// wantErrorsStoreNothingSince is wantErrorsStoreNothing on a store that
// held `before` runs already.
func (mc *mcpClient) wantErrorsStoreNothingSince(ctx context.Context, t *testing.T, tool string, before int, cases []struct {
	args map[string]any
	want string
}) {
	t.Helper()
	for _, c := range cases {
		res := mc.call(ctx, t, tool, c.args, "")
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s %v: isError %v, text %q (want it to mention %q)", tool, c.args, res.IsError, text(res), c.want)
		}
	}
	mc.Close()
	st, err := memory.Open(mc.DB, memory.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if runs, _ := st.ListRuns(memory.Filter{}); len(runs) != before {
		t.Errorf("bad arguments stored %d runs", len(runs)-before)
	}
}

// text is a result's first text content.
func text(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

// unloadAll unloads every model the shared Ollama server holds, and waits
// until it holds none: a test that counts reloads must not inherit models
// an earlier test left loaded (OLLAMA_MAX_LOADED_MODELS would evict one of
// its own).
func unloadAll(t testing.TB) {
	t.Helper()
	ex := ollamatest.Executor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		loaded, err := ex.Loaded(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(loaded) == 0 {
			return
		}
		for _, m := range loaded {
			if err := ex.Unload(ctx, "", m.Name); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("models still loaded after 30 s: %+v", loaded)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// secondOllama starts another private ollama serve, a second host, with
// the given fixture models; it is stopped when the test ends.
func secondOllama(t *testing.T, models ...string) *ollamaproc.Process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := ollamaproc.Start(ctx, ollamaproc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	dir, err := ollamatest.ModelsDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CreateModels(ctx, dir, models...); err != nil {
		t.Fatal(err)
	}
	return p
}
