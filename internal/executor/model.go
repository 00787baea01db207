package executor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
)

// Models lists the models a host serves.
func (e *Executor) Models(ctx context.Context, host string) ([]string, error) {
	h, err := e.Host(host)
	if err != nil {
		return nil, err
	}
	list, err := h.engine.models(ctx)
	if err != nil {
		return nil, e.hostErr(h, err)
	}
	names := make([]string, 0, len(list))
	for _, m := range list {
		names = append(names, m.Name)
	}
	return names, nil
}

// ModelInfo returns the facts kept with a run: on Ollama its digest,
// family, parameter size, quantization; on an OpenAI-compatible server the
// model id and what /v1/models says of it. A model the host does not list
// gives *ModelNotFoundError.
func (e *Executor) ModelInfo(ctx context.Context, host, model string) (record.ModelInfo, error) {
	h, err := e.Host(host)
	if err != nil {
		return record.ModelInfo{}, err
	}
	list, err := h.engine.models(ctx)
	if err != nil {
		return record.ModelInfo{}, e.hostErr(h, err)
	}
	i := slices.IndexFunc(list, func(m record.ModelInfo) bool { return sameModel(m.Name, m.Name, model) })
	if i < 0 {
		return record.ModelInfo{}, e.notFound(ctx, h, model)
	}
	info := list[i]
	h.engine.details(ctx, &info)
	return info, nil
}

// Engine is the API a host speaks (EngineOllama or EngineOpenAI).
func (e *Executor) Engine(host string) string {
	h, err := e.Host(host)
	if err != nil {
		return ""
	}
	return h.Engine
}

// Price is what the user said a million tokens of model cost on host, if
// they did (--hosts price=).
func (e *Executor) Price(host, model string) (record.Price, bool) {
	h, err := e.Host(host)
	if err != nil {
		return record.Price{}, false
	}
	return h.Price(model)
}

// Refused says why req cannot be sent to its host's engine (an option with
// no equivalent there), before any call: a *RefusedError, or nil.
func (e *Executor) Refused(req Request) error {
	h, err := e.Host(req.Host)
	if err != nil {
		return err
	}
	if err := h.engine.refused(req); err != nil {
		return &RefusedError{Host: h.Name, Err: err}
	}
	return nil
}

// Version is the server version of a host: Ollama's, or "" for an
// OpenAI-compatible server (the API has none). Its error says the host
// cannot be reached, or refused the key.
func (e *Executor) Version(ctx context.Context, host string) (string, error) {
	h, err := e.Host(host)
	if err != nil {
		return "", err
	}
	v, err := h.engine.version(ctx)
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
	if !h.Ollama() {
		return nil, fmt.Errorf("host %s is an OpenAI-compatible server: the API does not say which models are loaded: %w", h.Name, ErrNotReported)
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
	if errors.Is(err, ErrNotReported) {
		return nil, nil // absent, never guessed
	}
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
	if !h.Ollama() {
		return 0, fmt.Errorf("host %s is an OpenAI-compatible server: benchmcp cannot load or unload its models, so cold starts and load times cannot be measured there; run this on an Ollama host: %w", h.Name, ErrNotReported)
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
	if code, msg, _, ok := h.engine.status(err); ok && (code == http.StatusUnauthorized || code == http.StatusForbidden) {
		return &AuthError{Host: h.Name, KeyEnv: h.KeyEnv, Code: code, Msg: msg}
	}
	if unreachable(err) {
		return &HostUnreachableError{Engine: h.Engine, Host: h.Name, URL: h.URL.String(), Err: err}
	}
	return fmt.Errorf("%s host %s: %w", h.Engine, h.Name, err)
}
