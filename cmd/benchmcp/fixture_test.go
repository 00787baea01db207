package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/shape"
)

func fixture(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), append([]string{"fixture"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestFixtureList(t *testing.T) {
	cache := t.TempDir()
	code, out, errs := fixture(t, "--list", "--cache", cache)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, s := range shape.Shapes {
		if !strings.Contains(out, s.Name) || !strings.Contains(out, shape.HumanBytes(s.FileSize())) {
			t.Errorf("--list lacks %s (%s):\n%s", s.Name, shape.HumanBytes(s.FileSize()), out)
		}
	}
	code, out, errs = fixture(t, "--list", "--json", "--cache", cache)
	var rows []shapeRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != len(shape.Shapes) {
		t.Fatalf("--list --json: exit %d, %s\n%s", code, out, errs)
	}
	if r := rows[0]; r.Name != "qwen2.5-0.5b-shape" || r.Layers != 24 || r.Embedding != 896 || r.KVHeads != 2 || r.Bytes != shape.Shapes[0].FileSize() || r.Cached != "" {
		t.Errorf("first row %+v", r)
	}
}

func TestFixtureErrors(t *testing.T) {
	cache := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "name a shape"},
		{[]string{"gpt-5-shape"}, 2, `no shape "gpt-5-shape"`},
		{[]string{"--list", "qwen2.5-0.5b-shape"}, 2, "--list takes no shapes"},
		{[]string{"--hosts", "local=http://127.0.0.1:1", "qwen2.5-0.5b-shape"}, 1, "no Ollama answers at http://127.0.0.1:1"},
		{[]string{"--hosts", "x=openai:http://127.0.0.1:1/v1", "qwen2.5-0.5b-shape"}, 2, "not Ollama"},
	} {
		code, _, errs := fixture(t, append([]string{"--cache", cache}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("fixture %v: exit %d, %q; want exit %d saying %q", c.args, code, errs, c.code, c.want)
		}
	}
	// Nothing was written for an Ollama that is not there.
	if left, _ := os.ReadDir(cache); len(left) > 0 {
		t.Errorf("the cache has %v", left)
	}
}

// TestFixtureCreate creates the 0.5B-class shape on the private Ollama the
// way a user would: the cached file (written if missing), uploaded through
// the API.
func TestFixtureCreate(t *testing.T) {
	srv := ollamatest.Get(t)
	hosts := "local=" + srv.URL.String()
	s := shape.Shapes[0]
	code, out, errs := fixture(t, "--hosts", hosts, s.Name)
	if code != 0 || strings.TrimSpace(out) != s.Name {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errs)
	}
	t.Log(errs)
	show, err := srv.Client.Show(context.Background(), &api.ShowRequest{Model: s.Name})
	if err != nil {
		t.Fatal(err)
	}
	if show.Details.QuantizationLevel != "Q8_0" || show.ModelInfo["llama.block_count"] != float64(s.Layers) {
		t.Errorf("created %+v, block_count %v", show.Details, show.ModelInfo["llama.block_count"])
	}
	if !strings.Contains(show.Template, "Q: {{ .Content }}") || !strings.Contains(show.Parameters, "num_ctx") {
		t.Errorf("template %q, parameters %q", show.Template, show.Parameters)
	}
	// Again: the file is cached and Ollama has the blob.
	code, out, errs = fixture(t, "--hosts", hosts, "--json", s.Name)
	var res []fixtureResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res) != 1 || !res[0].Cached || res[0].Model != s.Name {
		t.Fatalf("second run: exit %d, %s\n%s", code, out, errs)
	}
}
