package shape

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/ollama/ollama/api"
)

// Template is the fixture models' chat layout (testdata/models), so the
// byte tokenizer sees what it was made for.
const Template = `{{- if .System }}S: {{ .System }}
{{ end }}
{{- range .Messages }}
{{- if eq .Role "user" }}Q: {{ .Content }}
A: {{ else if eq .Role "assistant" }}{{ .Content }}
{{ end }}
{{- end }}`

// NumCtx is the context the models are created with: Ollama's own default
// depends on the machine's VRAM (4k to 256k in 0.17), and the KV cache with it.
const NumCtx = 4096

// Create creates the model s.Name from f on the Ollama at base through its
// API: the blob upload (skipped when Ollama has the blob already), then
// the create. It replaces a model of that name. progress, if not nil, is
// told how much of the upload is done now and then.
func Create(ctx context.Context, base *url.URL, s Shape, f File, progress func(done, total int64)) error {
	client := api.NewClient(base, http.DefaultClient)
	has, err := HasBlob(ctx, base, f.Digest)
	if err != nil {
		return err
	}
	if !has {
		r, err := os.Open(f.Path)
		if err != nil {
			return err
		}
		var body io.Reader = r
		if progress != nil {
			body = &progressReader{r: r, total: f.Size, progress: progress}
		}
		err = client.CreateBlob(ctx, f.Digest, body)
		r.Close()
		if err != nil {
			return fmt.Errorf("upload %s (%s) to Ollama at %s: %w", f.Path, HumanBytes(f.Size), base, err)
		}
	}
	req := &api.CreateRequest{
		Model:    s.Name,
		Files:    map[string]string{s.Key() + ".gguf": f.Digest},
		Template: Template,
		Parameters: map[string]any{
			"num_ctx": NumCtx,
			"stop":    []string{"</s>"},
		},
	}
	if err := client.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
		return fmt.Errorf("create %s on Ollama at %s: %w", s.Name, base, err)
	}
	return nil
}

// HasBlob reports whether the Ollama at base has the blob digest.
func HasBlob(ctx context.Context, base *url.URL, digest string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, base.JoinPath("api", "blobs", digest).String(), nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("no Ollama answers at %s: %w", base, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("ask Ollama at %s for blob %s: %s", base, digest, resp.Status)
}

type progressReader struct {
	r        io.Reader
	done     int64
	total    int64
	progress func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.progress(p.done, p.total)
	return n, err
}
