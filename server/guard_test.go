package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(Guard{Token: "s3cret", Origins: []string{"https://inspector.example"}, MaxBody: 1024}.Handler(echo))
	defer srv.Close()
	open := httptest.NewServer(Guard{}.Handler(echo))
	defer open.Close()
	for _, c := range []struct {
		name   string
		url    string
		origin string
		auth   string
		body   string
		want   int
	}{
		{"token", srv.URL, "", "Bearer s3cret", "{}", 200},
		{"no token", srv.URL, "", "", "{}", 401},
		{"wrong token", srv.URL, "", "Bearer s3cre", "{}", 401},
		{"not bearer", srv.URL, "", "Basic s3cret", "{}", 401},
		{"loopback origin", srv.URL, "http://localhost:6274", "Bearer s3cret", "{}", 200},
		{"allowed origin", srv.URL, "https://inspector.example", "Bearer s3cret", "{}", 200},
		{"evil origin", open.URL, "http://evil.example", "", "{}", 403},
		{"evil origin with token", srv.URL, "http://evil.example", "Bearer s3cret", "{}", 403},
		{"look-alike origin", open.URL, "http://127.0.0.1.evil.example", "", "{}", 403},
		{"null origin", open.URL, "null", "", "{}", 403},
		{"too big", srv.URL, "", "Bearer s3cret", strings.Repeat("x", 2048), 413},
		{"no token needed on loopback", open.URL, "", "", "{}", 200},
	} {
		req, _ := http.NewRequest("POST", c.url, strings.NewReader(c.body))
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, res.StatusCode, c.want)
		}
	}
}

// With code_exec unconfined, even a loopback address needs a token.
func TestCheckListenUnsafeCodeExec(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", false}, {"localhost:8080", "", false}, {"[::1]:8080", "", false}, {"0.0.0.0:8080", "", false},
		{"127.0.0.1:8080", "t", true}, {"0.0.0.0:8080", "t", true},
	} {
		err := Guard{Token: c.token, UnsafeCodeExec: true}.CheckListen(c.addr)
		if (err == nil) != c.ok {
			t.Errorf("%s token %q: %v, want ok %v", c.addr, c.token, err, c.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "--token or BENCHMCP_TOKEN") || !strings.Contains(err.Error(), "--unsafe-code-exec")) {
			t.Errorf("%s: the error does not say what to do: %v", c.addr, err)
		}
	}
}

func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true}, {"localhost:8080", "", true}, {"[::1]:8080", "", true},
		{"0.0.0.0:8080", "", false}, {":8080", "", false}, {"192.168.1.5:8080", "", false},
		{"0.0.0.0:8080", "t", true},
	} {
		err := Guard{Token: c.token}.CheckListen(c.addr)
		if (err == nil) != c.ok {
			t.Errorf("%s token %q: %v, want ok %v", c.addr, c.token, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--token or BENCHMCP_TOKEN") {
			t.Errorf("%s: the error does not say what to do: %v", c.addr, err)
		}
	}
}
