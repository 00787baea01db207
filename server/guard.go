package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// DefaultMaxBody is the largest request body the HTTP transports read: a
// tool call with inline tasks fits many times over.
const DefaultMaxBody = 4 << 20

// Guard is what the HTTP and SSE transports check on every request before
// the MCP server sees it: a web page in the user's browser must not drive
// the server (Origin), other machines must not reach it without a token,
// and a request must not be unbounded.
type Guard struct {
	// Token, when set, must come as "Authorization: Bearer <token>".
	Token string
	// Origins are the allowed Origin values besides loopback ones, such as
	// "https://inspector.example".
	Origins []string
	// MaxBody bounds a request body; 0 is DefaultMaxBody.
	MaxBody int64
	// UnsafeCodeExec says code_exec checks run unconfined
	// (--unsafe-code-exec): then a token is needed even on loopback.
	UnsafeCodeExec bool
}

// CheckListen refuses a listen address other machines can reach when no
// token is set, and any address when code_exec runs unconfined and no
// token is set: every local user can reach a loopback port, and would run
// code as the server's user.
func (g Guard) CheckListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %v; give host:port, e.g. 127.0.0.1:8080", addr, err)
	}
	if g.UnsafeCodeExec && g.Token == "" {
		return fmt.Errorf("--unsafe-code-exec over sse or http needs a bearer token: code_exec checks would run unconfined, with your rights, for anyone who reaches %s, and every user of this machine can reach a loopback port; set a token with --token or BENCHMCP_TOKEN (clients send Authorization: Bearer <token>), serve over stdio, or leave out --unsafe-code-exec so that code runs in the sandbox", addr)
	}
	if loopbackHost(host) || g.Token != "" {
		return nil
	}
	return fmt.Errorf("listen address %s is reachable from other machines, and anyone reaching it could run models, write reports and execute code checks: set a bearer token with --token or BENCHMCP_TOKEN (clients send Authorization: Bearer <token>), or listen on 127.0.0.1", addr)
}

// loopbackHost reports whether a host name or address is the local machine only.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Handler wraps h with the checks.
func (g Guard) Handler(h http.Handler) http.Handler {
	max := g.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !g.originAllowed(o) {
			http.Error(w, fmt.Sprintf("origin %s is not allowed: benchmcp answers only loopback origins and those given with --allow-origin", o), http.StatusForbidden)
			return
		}
		if g.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(g.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="benchmcp"`)
				http.Error(w, "missing or wrong bearer token: send Authorization: Bearer <the token given to serve with --token or BENCHMCP_TOKEN>", http.StatusUnauthorized)
				return
			}
		}
		if r.ContentLength > max {
			http.Error(w, fmt.Sprintf("request body of %d bytes is over the limit of %d", r.ContentLength, max), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		h.ServeHTTP(w, r)
	})
}

// originAllowed: a loopback origin (any port), or one given exactly.
func (g Guard) originAllowed(origin string) bool {
	if slices.Contains(g.Origins, strings.TrimSuffix(origin, "/")) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return loopbackHost(u.Hostname())
}

// subject names the client of an HTTP request when no MCP session does
// (2026-07-28 has none): the bearer token's subject, a hash of the token
// (one token, one subject); "http" when the server takes no token.
func (g Guard) subject(*http.Request) string {
	if g.Token == "" {
		return "http"
	}
	sum := sha256.Sum256([]byte(g.Token))
	return "token-" + hex.EncodeToString(sum[:8])
}
