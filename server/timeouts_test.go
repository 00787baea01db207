package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveTest runs serveHTTP with h behind wholeRequest and the timeouts to
// on a free loopback port until the test ends; it returns the address.
func serveTest(t *testing.T, h http.Handler, to HTTPTimeouts) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = serveHTTP(ctx, addr, wholeRequest(h, to), to, func(context.Context) error { return nil }, slog.New(slog.DiscardHandler), "")
	}()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not listen on %s: %v", addr, err)
		}
	}
}

// trickle writes lines to c one every gap until the server closes the
// connection or until total has passed; it reports whether the server
// closed it (or answered) first.
func trickle(c net.Conn, line string, gap, total time.Duration) bool {
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, c) // ends when the server closes
		close(closed)
	}()
	end := time.After(total)
	for {
		select {
		case <-closed:
			return true
		case <-end:
			return false
		case <-time.After(gap):
			if _, err := io.WriteString(c, line); err != nil {
				return true
			}
		}
	}
}

// A client that sends its headers a little at a time is cut off after the
// header timeout, and one that sends its body a little at a time after the
// read timeout.
func TestHTTPSlowClientsDisconnected(t *testing.T) {
	to := HTTPTimeouts{ReadHeader: 300 * time.Millisecond, Read: 600 * time.Millisecond, Idle: time.Second}
	addr := serveTest(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprintln(w, "ok")
	}), to)
	t.Run("headers", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: x\r\n")
		// Far longer than the timeout: a generous bound, not a speed claim.
		if !trickle(c, "X-Slow: y\r\n", 50*time.Millisecond, 20*time.Second) {
			t.Error("the server still reads headers sent slowly after 20s with a 300ms header timeout")
		}
	})
	t.Run("body", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
		if !trickle(c, "x", 50*time.Millisecond, 20*time.Second) {
			t.Error("the server still reads a body sent slowly after 20s with a 600ms read timeout")
		}
	})
	t.Run("a prompt client is served", func(t *testing.T) {
		res, err := http.Post("http://"+addr+"/mcp", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if b, _ := io.ReadAll(res.Body); res.StatusCode != 200 || string(b) != "ok\n" {
			t.Errorf("status %d body %q, want 200 ok", res.StatusCode, b)
		}
	})
}

// A response that streams for longer than the read timeout (an SSE stream,
// a tool call with progress) runs to its end: the timeouts bound reading
// the request only.
func TestHTTPLongStreamOutlivesReadTimeout(t *testing.T) {
	const events = 20
	to := HTTPTimeouts{ReadHeader: 100 * time.Millisecond, Read: 200 * time.Millisecond, Idle: 200 * time.Millisecond}
	addr := serveTest(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for i := range events {
			select {
			case <-r.Context().Done():
				return // as mcp-go's streams do when the request's context ends
			case <-time.After(50 * time.Millisecond):
			}
			fmt.Fprintf(w, "data: %d\n\n", i)
			rc.Flush()
		}
	}), to)
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			var body io.Reader
			if method == "POST" {
				body = strings.NewReader(`{"jsonrpc":"2.0"}`)
			}
			req, _ := http.NewRequest(method, "http://"+addr+"/sse", body)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			n := 0
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "data: ") {
					n++
				}
			}
			if n != events {
				t.Errorf("got %d of %d events: the stream was cut (%v)", n, events, sc.Err())
			}
		})
	}
}
