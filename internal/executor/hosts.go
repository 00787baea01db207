package executor

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"
)

// DefaultHost is the name of the host that OLLAMA_HOST points at.
const DefaultHost = "local"

// Host is one named Ollama server.
type Host struct {
	Name   string
	URL    *url.URL
	client *api.Client
}

// ParseHosts reads a host list such as "local=http://127.0.0.1:11434,gpu-box=http://10.0.0.5:11434".
// An empty spec gives one host, "local", at OLLAMA_HOST (Ollama's own default when unset).
// A bare URL without a name is taken as "local".
func ParseHosts(spec string) ([]Host, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return []Host{newHost(DefaultHost, envconfig.Host())}, nil
	}
	var hosts []Host
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, raw, ok := strings.Cut(part, "=")
		if !ok {
			name, raw = DefaultHost, part
		}
		name, raw = strings.TrimSpace(name), strings.TrimSpace(raw)
		if name == "" {
			return nil, fmt.Errorf("host %q has no name; write name=url, e.g. gpu-box=http://10.0.0.5:11434", part)
		}
		if seen[name] {
			return nil, fmt.Errorf("host %q is named twice in %q", name, spec)
		}
		seen[name] = true
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("host %s: %q is not a URL; write e.g. http://127.0.0.1:11434", name, raw)
		}
		if u.Port() == "" {
			u.Host += ":11434"
		}
		hosts = append(hosts, newHost(name, u))
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("no hosts in %q", spec)
	}
	return hosts, nil
}

func newHost(name string, u *url.URL) Host {
	// No client timeout: streams can be long; every call carries its own deadline.
	return Host{Name: name, URL: u, client: api.NewClient(u, &http.Client{Transport: http.DefaultTransport})}
}

// Client is the Ollama API client for this host.
func (h Host) Client() *api.Client { return h.client }

func hostNames(hosts map[string]Host) []string {
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
