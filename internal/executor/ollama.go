package executor

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
)

// ollamaEngine speaks Ollama's native API (/api/chat and friends), which
// reports load time, the prefill/decode split and model digests.
type ollamaEngine struct{ c *api.Client }

func (o ollamaEngine) stream(ctx context.Context, req Request, fn func(delta) error) (*streamEnd, error) {
	var end *streamEnd
	err := o.c.Chat(ctx, req.ChatRequest(), func(r api.ChatResponse) error {
		d := delta{Content: r.Message.Content, Thinking: r.Message.Thinking}
		for _, tc := range r.Message.ToolCalls {
			d.ToolCalls = append(d.ToolCalls, record.ToolCall{Name: tc.Function.Name, Arguments: tc.Function.Arguments.ToMap()})
		}
		if err := fn(d); err != nil {
			return err
		}
		if r.Done {
			mt := r.Metrics
			end = &streamEnd{DoneReason: r.DoneReason, Counted: true,
				PromptTokens: mt.PromptEvalCount, EvalTokens: mt.EvalCount,
				Load: mt.LoadDuration, Total: mt.TotalDuration, PromptEval: mt.PromptEvalDuration, Eval: mt.EvalDuration}
		}
		return nil
	})
	return end, err
}

func (o ollamaEngine) models(ctx context.Context) ([]record.ModelInfo, error) {
	list, err := o.c.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]record.ModelInfo, 0, len(list.Models))
	for _, m := range list.Models {
		name := m.Name
		if name == "" {
			name = m.Model
		}
		out = append(out, record.ModelInfo{
			Name:          name,
			Digest:        m.Digest,
			Family:        m.Details.Family,
			ParameterSize: m.Details.ParameterSize,
			Quantization:  m.Details.QuantizationLevel,
			Format:        m.Details.Format,
			SizeBytes:     m.Size,
		})
	}
	return out, nil
}

func (o ollamaEngine) details(ctx context.Context, info *record.ModelInfo) {
	show, err := o.c.Show(ctx, &api.ShowRequest{Model: info.Name})
	if err != nil {
		return
	}
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

func (o ollamaEngine) version(ctx context.Context) (string, error) { return o.c.Version(ctx) }

func (o ollamaEngine) status(err error) (int, string, time.Duration, bool) {
	var se api.StatusError
	if errors.As(err, &se) {
		return se.StatusCode, se.ErrorMessage, 0, true
	}
	return 0, "", 0, false
}

func (o ollamaEngine) refused(Request) error { return nil } // option.Check has checked the options
