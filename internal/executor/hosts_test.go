package executor

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

func TestParseHosts(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "127.0.0.1:9999")
	tests := []struct {
		spec    string
		want    map[string]string
		wantErr bool
	}{
		{"", map[string]string{"local": "http://127.0.0.1:9999"}, false},
		{"http://10.1.1.1:11434", map[string]string{"local": "http://10.1.1.1:11434"}, false},
		{"local=127.0.0.1:1, gpu-box=http://10.0.0.5", map[string]string{"local": "http://127.0.0.1:1", "gpu-box": "http://10.0.0.5:11434"}, false},
		{"a=http://x:1,a=http://y:2", nil, true},
		{"=http://x:1", nil, true},
	}
	for _, tt := range tests {
		hosts, err := ParseHosts(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%q: err %v", tt.spec, err)
		}
		if tt.wantErr {
			continue
		}
		got := map[string]string{}
		for _, h := range hosts {
			got[h.Name] = h.URL.String()
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%q: got %v want %v", tt.spec, got, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%q: host %s = %s, want %s", tt.spec, k, got[k], v)
			}
		}
	}
}

// TestParseHostsEngines: hosts of both engines, their settings, and the
// mistakes a user makes, each refused saying what to write.
func TestParseHostsEngines(t *testing.T) {
	t.Setenv("BENCHMCP_GPU_BOX_API_KEY", "k1")
	hosts, err := ParseHosts("local=ollama:127.0.0.1:1,gpu-box=openai:http://10.0.0.5:8000/v1;rpm=120;concurrency=4;price=0.5/1.5;price.big:7b=2/8,cloud=openai:https://api.example.com/v1;key_env=EXAMPLE_KEY")
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 3 {
		t.Fatalf("%d hosts", len(hosts))
	}
	local, gpu, cloud := hosts[0], hosts[1], hosts[2]
	if local.Engine != EngineOllama || local.URL.String() != "http://127.0.0.1:1" || local.Client() == nil {
		t.Errorf("local: %+v", local)
	}
	if gpu.Engine != EngineOpenAI || gpu.URL.String() != "http://10.0.0.5:8000/v1" || gpu.Limit != (Limit{RPM: 120, Concurrency: 4}) || gpu.KeyEnv != "BENCHMCP_GPU_BOX_API_KEY" || gpu.Client() != nil {
		t.Errorf("gpu-box: %+v", gpu)
	}
	if p, ok := gpu.Price("small"); !ok || p != (record.Price{InputPerM: 0.5, OutputPerM: 1.5}) {
		t.Errorf("gpu-box price of small: %+v %v", p, ok)
	}
	if p, ok := gpu.Price("big:7b"); !ok || p != (record.Price{InputPerM: 2, OutputPerM: 8}) {
		t.Errorf("gpu-box price of big:7b: %+v %v", p, ok)
	}
	if _, ok := cloud.Price("x"); ok || cloud.KeyEnv != "EXAMPLE_KEY" {
		t.Errorf("cloud: %+v", cloud)
	}
	for spec, want := range map[string]string{
		"a=openai:http://x:8000":               "does not end in /v1",
		"a=http://x:1;key_env=K":               "key_env is for OpenAI-compatible hosts",
		"a=openai:http://x/v1;rpm=0":           "rpm=",
		"a=openai:http://x/v1;price=3":         "IN/OUT",
		"a=openai:http://x/v1;price.=1/2":      "name the model",
		"a=openai:http://x/v1;colour=blue":     "unknown setting",
		"a=openai:http://x/v1;concurrency":     "not key=value",
		"a=openai:http://x/v1;price=-1/2":      "IN/OUT",
		"a=openai:http://x/v1;concurrency=two": "whole number",
	} {
		if _, err := ParseHosts(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error saying %q", spec, err, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{http.Header{"Retry-After": {now.Add(20 * time.Second).Format(http.TimeFormat)}}, 20 * time.Second},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"9"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{}, 0},
	} {
		if got := retryAfter(c.h, now); got != c.want {
			t.Errorf("retryAfter(%v) = %v, want %v", c.h, got, c.want)
		}
	}
}

func TestLooping(t *testing.T) {
	b := Breaker{Repetition: true}
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"short", "abcabc", false},
		{"loop of a phrase", "Once upon a time " + repeat("the sea is blue. ", 20), true},
		{"single char run", repeat("a", 200), true},
		{"prose", "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump! Sphinx of black quartz, judge my vow. The five boxing wizards jump quickly.", false},
		{"code", "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n\ndef mul(a, b):\n    return a * b\n\ndef div(a, b):\n    return a / b\n\nprint(add(1, 2), sub(3, 1), mul(2, 2), div(4, 2))\n", false},
	}
	for _, tt := range tests {
		if got := b.Looping(tt.text); got != tt.want {
			t.Errorf("%s: Looping = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}
