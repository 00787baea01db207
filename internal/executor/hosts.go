package executor

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"
)

// DefaultHost is the name of the host that OLLAMA_HOST points at.
const DefaultHost = "local"

// The engines a host can be: Ollama's native API, or a server that speaks
// the OpenAI chat completions API (vLLM, SGLang, TGI, llama.cpp's server,
// LM Studio, Ollama's own /v1, a cloud provider).
const (
	EngineOllama = "ollama"
	EngineOpenAI = "openai"
)

// Host is one named model server.
type Host struct {
	Name   string
	URL    *url.URL
	Engine string // EngineOllama or EngineOpenAI

	// KeyEnv names the environment variable the API key was read from;
	// the key itself is only in the engine, sent to this host alone.
	KeyEnv string
	// Limit bounds the requests sent to the host; zero is no bound.
	Limit Limit
	// Prices are what the user said a million tokens cost on this host:
	// "" for every model, else per model name. Empty without prices.
	Prices map[string]record.Price

	client *api.Client // Ollama hosts only
	engine engine
	gate   *gate
}

// Limit is a per-host bound on requests: at most RPM started a minute and
// Concurrency in flight at once.
type Limit struct {
	RPM         int
	Concurrency int
}

// Price is the price a run of model on this host is charged at, and
// whether the user gave one.
func (h Host) Price(model string) (record.Price, bool) {
	if p, ok := h.Prices[model]; ok {
		return p, true
	}
	p, ok := h.Prices[""]
	return p, ok
}

// ParseHosts reads a host list such as
// "local=http://127.0.0.1:11434,cloud=openai:https://api.example.com/v1;key_env=EXAMPLE_KEY;price=0.5/1.5".
// A host is NAME=URL or NAME=ollama:URL for Ollama's native API, and
// NAME=openai:URL for an OpenAI-compatible server whose base URL ends in
// /v1. Settings follow the URL after semicolons:
//
//	key_env=VAR          the API key is in $VAR (default BENCHMCP_<NAME>_API_KEY); openai hosts only
//	rpm=N                at most N requests started a minute
//	concurrency=N        at most N requests in flight
//	price=IN/OUT         USD per million input / output tokens, for every model
//	price.MODEL=IN/OUT   the same for one model
//
// An empty spec gives one host, "local", at OLLAMA_HOST (Ollama's own
// default when unset). A bare URL without a name is taken as "local".
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
		if !ok || strings.Contains(name, "://") || strings.Contains(name, ";") {
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
		h, err := parseHost(name, raw)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("no hosts in %q", spec)
	}
	return hosts, nil
}

// parseHost reads one host's [engine:]URL[;setting...].
func parseHost(name, raw string) (Host, error) {
	fields := strings.Split(raw, ";")
	raw = strings.TrimSpace(fields[0])
	kind := EngineOllama
	for _, k := range []string{EngineOllama, EngineOpenAI} {
		if rest, ok := strings.CutPrefix(raw, k+":"); ok && !strings.HasPrefix(rest, "//") {
			kind, raw = k, rest
		}
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Host{}, fmt.Errorf("%q is not a URL; write e.g. http://127.0.0.1:11434, or openai:http://127.0.0.1:8000/v1", raw)
	}
	if kind == EngineOllama && u.Port() == "" {
		u.Host += ":11434"
	}
	if kind == EngineOpenAI && !strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/v1") {
		return Host{}, fmt.Errorf("%s is an OpenAI-compatible host but its URL does not end in /v1; give the API's base, e.g. openai:http://127.0.0.1:8000/v1", u)
	}
	h := Host{Name: name, URL: u, Engine: kind, KeyEnv: keyEnv(name)}
	for _, f := range fields[1:] {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return Host{}, fmt.Errorf("setting %q is not key=value; the settings are key_env, rpm, concurrency, price and price.MODEL", f)
		}
		if err := h.set(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return Host{}, err
		}
	}
	if kind == EngineOllama && h.KeyEnv != keyEnv(name) {
		return Host{}, fmt.Errorf("key_env is for OpenAI-compatible hosts (NAME=openai:URL); Ollama's native API takes no key")
	}
	h.gate = newGate(h.Limit)
	switch kind {
	case EngineOpenAI:
		h.engine = newOpenAI(h, os.Getenv(h.KeyEnv))
	default:
		h.client = api.NewClient(u, &http.Client{Transport: http.DefaultTransport})
		h.engine = ollamaEngine{h.client}
	}
	return h, nil
}

func (h *Host) set(k, v string) error {
	positive := func() (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%s=%q: want a whole number of 1 or more", k, v)
		}
		return n, nil
	}
	var err error
	switch {
	case k == "key_env":
		if v == "" {
			return fmt.Errorf("key_env is empty; name the environment variable that holds the API key")
		}
		h.KeyEnv = v
	case k == "rpm":
		h.Limit.RPM, err = positive()
	case k == "concurrency":
		h.Limit.Concurrency, err = positive()
	case k == "price" || strings.HasPrefix(k, "price."):
		model := strings.TrimPrefix(strings.TrimPrefix(k, "price"), ".")
		if k != "price" && model == "" {
			return fmt.Errorf("%s: name the model after the dot, e.g. price.gpt-5=1.25/10", k)
		}
		p, perr := parsePrice(v)
		if perr != nil {
			return fmt.Errorf("%s=%q: %w", k, v, perr)
		}
		if h.Prices == nil {
			h.Prices = map[string]record.Price{}
		}
		h.Prices[model] = p
	default:
		return fmt.Errorf("unknown setting %q; the settings are key_env, rpm, concurrency, price and price.MODEL", k)
	}
	return err
}

// parsePrice reads IN/OUT, US dollars per million input and output tokens.
func parsePrice(v string) (record.Price, error) {
	in, out, ok := strings.Cut(v, "/")
	a, err1 := strconv.ParseFloat(strings.TrimSpace(in), 64)
	b, err2 := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if !ok || err1 != nil || err2 != nil || a < 0 || b < 0 {
		return record.Price{}, fmt.Errorf("want IN/OUT, US dollars per million input and output tokens, e.g. 0.15/0.6")
	}
	return record.Price{InputPerM: a, OutputPerM: b}, nil
}

// keyEnv is the default variable of a host's API key:
// BENCHMCP_<NAME>_API_KEY, the name upper-cased, other than letters and
// digits as _.
func keyEnv(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return "BENCHMCP_" + string(b) + "_API_KEY"
}

func newHost(name string, u *url.URL) Host {
	h, _ := parseHost(name, u.String()) // a parsed URL with a host parses
	return h
}

// Client is the Ollama API client for this host; nil for a host that is
// not Ollama's native API.
func (h Host) Client() *api.Client { return h.client }

// Reports says whether the host's engine reports a measurement only Ollama
// gives: load time, the prefill/decode split, digests, loaded models.
func (h Host) Ollama() bool { return h.Engine == EngineOllama }

func hostNames(hosts map[string]Host) []string {
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
