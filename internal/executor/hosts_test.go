package executor

import (
	"testing"
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
