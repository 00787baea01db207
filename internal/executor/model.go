package executor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
)

// Models lists the models installed on a host.
func (e *Executor) Models(ctx context.Context, host string) ([]string, error) {
	h, err := e.Host(host)
	if err != nil {
		return nil, err
	}
	list, err := h.client.List(ctx)
	if err != nil {
		return nil, e.hostErr(h, err)
	}
	names := make([]string, 0, len(list.Models))
	for _, m := range list.Models {
		names = append(names, m.Name)
	}
	return names, nil
}

// ModelInfo returns the facts kept with a run: digest, family, parameter
// size, quantization. A model that is not installed gives *ModelNotFoundError.
func (e *Executor) ModelInfo(ctx context.Context, host, model string) (record.ModelInfo, error) {
	h, err := e.Host(host)
	if err != nil {
		return record.ModelInfo{}, err
	}
	list, err := h.client.List(ctx)
	if err != nil {
		return record.ModelInfo{}, e.hostErr(h, err)
	}
	var found *api.ListModelResponse
	for i, m := range list.Models {
		if sameModel(m.Name, m.Model, model) {
			found = &list.Models[i]
			break
		}
	}
	if found == nil {
		return record.ModelInfo{}, e.notFound(ctx, h, model)
	}
	info := record.ModelInfo{
		Name:          found.Name,
		Digest:        found.Digest,
		Family:        found.Details.Family,
		ParameterSize: found.Details.ParameterSize,
		Quantization:  found.Details.QuantizationLevel,
		Format:        found.Details.Format,
		SizeBytes:     found.Size,
	}
	if show, err := h.client.Show(ctx, &api.ShowRequest{Model: model}); err == nil {
		info.ContextLength = parameterInt(show.Parameters, "num_ctx")
		for _, c := range show.Capabilities {
			info.Capabilities = append(info.Capabilities, string(c))
		}
		for k, v := range show.ModelInfo {
			if strings.HasSuffix(k, ".context_length") && info.ContextLength == 0 {
				if n, ok := toInt(v); ok {
					info.ContextLength = n
				}
			}
		}
	}
	return info, nil
}

// Version is the Ollama server version of a host.
func (e *Executor) Version(ctx context.Context, host string) (string, error) {
	h, err := e.Host(host)
	if err != nil {
		return "", err
	}
	v, err := h.client.Version(ctx)
	if err != nil {
		return "", e.hostErr(h, err)
	}
	return v, nil
}

// Loaded lists the models a host holds in memory (Ollama's /api/ps).
func (e *Executor) Loaded(ctx context.Context, host string) ([]record.LoadedModel, error) {
	h, err := e.Host(host)
	if err != nil {
		return nil, err
	}
	ps, err := h.client.ListRunning(ctx)
	if err != nil {
		return nil, e.hostErr(h, fmt.Errorf("list the loaded models (/api/ps): %w", err))
	}
	out := make([]record.LoadedModel, 0, len(ps.Models))
	for _, m := range ps.Models {
		out = append(out, record.LoadedModel{
			Name:          m.Name,
			Model:         m.Model,
			Digest:        m.Digest,
			SizeBytes:     m.Size,
			VRAMBytes:     m.SizeVRAM,
			ContextLength: m.ContextLength,
			ExpiresAt:     m.ExpiresAt,
		})
	}
	return out, nil
}

// Memory is what a model takes in a host's memory while it is loaded, and
// how much of it is on the GPU; nil when the model is not loaded.
func (e *Executor) Memory(ctx context.Context, host, model string) (*record.Memory, error) {
	loaded, err := e.Loaded(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, m := range loaded {
		if !sameModel(m.Name, m.Model, model) {
			continue
		}
		mem := &record.Memory{SizeBytes: m.SizeBytes, VRAMBytes: m.VRAMBytes}
		if m.SizeBytes > 0 {
			mem.GPUShare = float64(m.VRAMBytes) / float64(m.SizeBytes)
		}
		return mem, nil
	}
	return nil, nil
}

// sameModel reports whether a model Ollama lists by name and model is the
// one a reference names; a reference without a tag means :latest.
func sameModel(name, model, ref string) bool {
	return name == ref || model == ref || name == ref+":latest"
}

// Load loads a model without generating (warm-up of the weights) and returns
// how long the load took on the server. keepAlive nil keeps Ollama's default.
func (e *Executor) Load(ctx context.Context, host, model string, keepAlive *time.Duration) (time.Duration, error) {
	h, err := e.Host(host)
	if err != nil {
		return 0, err
	}
	req := &api.ChatRequest{Model: model}
	if keepAlive != nil {
		req.KeepAlive = &api.Duration{Duration: *keepAlive}
	}
	var load time.Duration
	err = h.client.Chat(ctx, req, func(r api.ChatResponse) error {
		if r.Done {
			load = r.LoadDuration
		}
		return nil
	})
	if err != nil {
		return 0, e.classify(ctx, ctx, h, Request{Model: model}, err, record.Measurement{})
	}
	return load, nil
}

// Unload asks the host to drop a model from memory (keep_alive 0), so that
// the next call is a cold start.
func (e *Executor) Unload(ctx context.Context, host, model string) error {
	zero := time.Duration(0)
	_, err := e.Load(ctx, host, model, &zero)
	return err
}

// Warmup makes n throwaway calls of req so that timed calls find the model
// loaded and its runner warm, each retried on a fault (ChatRetry, which
// tells retried, if not nil). It returns the first call's load time.
func (e *Executor) Warmup(ctx context.Context, req Request, n int, retried func(record.Retry)) (time.Duration, error) {
	var load time.Duration
	for i := 0; i < n; i++ {
		m, err := e.ChatRetry(ctx, req, retried)
		if err != nil {
			return load, fmt.Errorf("warm-up of %s: %w", req.Model, err)
		}
		if i == 0 {
			load = time.Duration(m.LoadMs * float64(time.Millisecond))
		}
	}
	return load, nil
}

func (e *Executor) hostErr(h Host, err error) error {
	if unreachable(err) {
		return &HostUnreachableError{Host: h.Name, URL: h.URL.String(), Err: err}
	}
	return fmt.Errorf("ollama host %s: %w", h.Name, err)
}
