package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/tools"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// deliveryCalls is how many calls TestNotificationsDelivered makes. mcp-go
// v1.2.1 lost the notification of 42-57 of 60 calls here (43 and 60 under
// -race, with 2 and 1 Ps) unless the server waited for it to be written
// (the "settle" benchmcp had then); even a loss rate of 20% per call would
// show in all but one run in 600,000 (0.8^60).
const deliveryCalls = 60

// deliveryServer serves benchmcp's MCP server, with a tool that sends one
// progress notification just before it returns, over real Streamable HTTP
// on loopback, exactly as Serve builds it.
func deliveryServer(t *testing.T) *client.Client {
	t.Helper()
	s := New(&tools.Service{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.AddTool(mcp.NewTool("notify_then_return"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		// Some work first, as in the conformance fixtures (50 ms between
		// their notifications).
		time.Sleep(10 * time.Millisecond)
		err := s.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), map[string]any{
			"progressToken": req.Params.Meta.ProgressToken, "progress": 1, "total": 1,
		})
		if err != nil {
			return nil, err
		}
		return mcp.NewToolResultText("done"), nil
	})
	h := newStreamableHTTP(s)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		h.Shutdown(context.Background())
	})
	// No GET stream: a session's GET stream and its POSTs read one
	// notification channel, and the GET stream, which waits longest,
	// usually takes the notification and does not drop it. The loss
	// showed on the POST's own stream.
	tr, err := transport.NewStreamableHTTP(srv.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "delivery-test", Version: "1"}
	if _, err := c.Initialize(context.Background(), init); err != nil {
		t.Fatal(err)
	}
	return c
}

// lostNotifications calls notify_then_return n times, one call at a time,
// and counts the calls whose notification never reached the client (a
// dropped one never comes; a late one gets a second to arrive).
func lostNotifications(t *testing.T, c *client.Client, n int) int {
	t.Helper()
	var mu sync.Mutex
	got := map[string]bool{}
	c.OnNotification(func(note mcp.JSONRPCNotification) {
		if note.Method != string(mcp.MethodNotificationProgress) {
			return
		}
		tok, _ := note.Params.AdditionalFields["progressToken"].(string)
		mu.Lock()
		got[tok] = true
		mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range n {
		req := mcp.CallToolRequest{}
		req.Params.Name = "notify_then_return"
		req.Params.Meta = &mcp.Meta{ProgressToken: fmt.Sprint("call-", i)}
		if res, err := c.CallTool(ctx, req); err != nil || res.IsError {
			t.Fatalf("call %d: %v %v", i, err, res)
		}
	}
	lost := func() int {
		mu.Lock()
		defer mu.Unlock()
		return n - len(got)
	}
	for deadline := time.Now().Add(time.Second); lost() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	return lost()
}

// TestNotificationsDelivered: over Streamable HTTP a notification sent just
// before a tool returns reaches the client, with one P (the forwarder that
// holds it runs only when the call blocks) and with all. mcp-go v1.2.1 lost
// most of them (mark3labs/mcp-go#969), and benchmcp made such calls wait
// until their notifications were written; v1.6.0 awaits its forwarder and
// drains the queue before it answers, so the wait is gone and this test is
// what holds mcp-go to it.
func TestNotificationsDelivered(t *testing.T) {
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			lost := lostNotifications(t, deliveryServer(t), deliveryCalls)
			if lost != 0 {
				t.Errorf("%d of %d notifications sent just before the tool returned never reached the client; has mcp-go (go.mod) regressed on mark3labs/mcp-go#969?", lost, deliveryCalls)
			}
		})
	}
}
