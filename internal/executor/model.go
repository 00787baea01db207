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
		if m.Name == model || m.Model == model || m.Name == model+":latest" {
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
		return 0, e.classify(ctx, ctx, h, Request{Model: model}, err, "")
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
// loaded and its runner warm. It returns the first call's load time.
func (e *Executor) Warmup(ctx context.Context, req Request, n int) (time.Duration, error) {
	var load time.Duration
	for i := 0; i < n; i++ {
		m, err := e.Chat(ctx, req)
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
