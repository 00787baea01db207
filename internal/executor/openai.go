package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/option"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/ollama/ollama/api"
	"github.com/openai/openai-go/v3"
	oaoption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// openaiEngine speaks the OpenAI chat completions API (vLLM, SGLang, TGI,
// llama.cpp's server, LM Studio, Ollama's /v1, cloud providers) through
// openai-go. It streams with usage, so token counts are the server's;
// times are the stream's (TTFT, inter-token, wall). Load time, the
// prefill/decode split and digests are not part of the API and stay zero.
type openaiEngine struct {
	c    openai.Client
	host string
}

// newOpenAI makes the engine of h; key is sent as a bearer token to this
// host only, and kept nowhere else.
func newOpenAI(h Host, key string) *openaiEngine {
	opts := []oaoption.RequestOption{
		oaoption.WithBaseURL(strings.TrimRight(h.URL.String(), "/") + "/"),
		oaoption.WithHTTPClient(&http.Client{Transport: http.DefaultTransport}), // each call carries its own deadline
		oaoption.WithMaxRetries(0), // ChatRetry retries, honouring Retry-After, and records each try
	}
	if key != "" {
		opts = append(opts, oaoption.WithAPIKey(key))
	} else {
		// openai-go falls back to $OPENAI_API_KEY, which may belong to
		// another host; a host without a key sends none.
		opts = append(opts, oaoption.WithAPIKey(""))
	}
	return &openaiEngine{c: openai.NewClient(opts...), host: h.Name}
}

// openaiOptions are the Ollama option names with an equivalent in the
// chat completions API.
var openaiOptions = []string{"frequency_penalty", "num_predict", "presence_penalty", "seed", "stop", "temperature", "top_p"}

func (o *openaiEngine) refused(req Request) error {
	var bad []string
	for _, k := range slices.Sorted(maps.Keys(req.Options)) {
		if !slices.Contains(openaiOptions, k) && req.Options[k] != nil {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("host %s speaks the OpenAI chat completions API, which has no equivalent of option %s; it takes only %s (num_predict is sent as max_tokens). Leave %s out, or run on an Ollama host",
			o.host, strings.Join(bad, ", "), strings.Join(openaiOptions, ", "), strings.Join(bad, ", "))
	}
	if req.Think != nil {
		if _, err := reasoningEffort(req.Think); err != nil {
			return fmt.Errorf("host %s: %w", o.host, err)
		}
	}
	return nil
}

// reasoningEffort maps Ollama's think to reasoning_effort.
func reasoningEffort(t *api.ThinkValue) (shared.ReasoningEffort, error) {
	switch v := t.Value.(type) {
	case bool:
		if !v {
			return "none", nil
		}
	case string:
		if slices.Contains([]string{"low", "medium", "high"}, v) {
			return shared.ReasoningEffort(v), nil
		}
	}
	return "", fmt.Errorf("think %v has no equivalent in the OpenAI API's reasoning_effort; give think as \"low\", \"medium\" or \"high\", or false", t.Value)
}

// params builds the request: options, tools and messages. History tool
// calls without IDs get IDs here, and each tool message after them the ID
// of the call it answers (by name, else in order), so that a server can
// pair them as the API requires.
func (o *openaiEngine) params(req Request) (openai.ChatCompletionNewParams, error) {
	p := openai.ChatCompletionNewParams{
		Model:         req.Model,
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
	if err := o.refused(req); err != nil {
		return p, err
	}
	for k, v := range req.Options {
		f, isNum := option.Number(v)
		switch k {
		case "temperature":
			p.Temperature = openai.Float(f)
		case "top_p":
			p.TopP = openai.Float(f)
		case "frequency_penalty":
			p.FrequencyPenalty = openai.Float(f)
		case "presence_penalty":
			p.PresencePenalty = openai.Float(f)
		case "seed":
			p.Seed = openai.Int(int64(f))
		case "num_predict":
			if f >= 0 { // Ollama's -1 (no limit) is the API's default
				p.MaxTokens = openai.Int(int64(f))
			}
		case "stop":
			p.Stop.OfStringArray = stopList(v)
		}
		if !isNum && k != "stop" && v != nil {
			return p, fmt.Errorf("option %s=%v is not a number", k, v)
		}
	}
	if req.Think != nil {
		p.ReasoningEffort, _ = reasoningEffort(req.Think)
	}
	if len(req.Format) > 0 {
		if string(req.Format) == `"json"` {
			p.ResponseFormat.OfJSONObject = &shared.ResponseFormatJSONObjectParam{}
		} else {
			var schema map[string]any
			if err := json.Unmarshal(req.Format, &schema); err != nil {
				return p, fmt.Errorf("format is neither \"json\" nor a JSON schema: %w", err)
			}
			p.ResponseFormat.OfJSONSchema = &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "answer", Schema: schema}}
		}
	}
	for _, t := range req.Tools {
		var params map[string]any
		if b, err := json.Marshal(t.Function.Parameters); err == nil {
			_ = json.Unmarshal(b, &params)
		}
		fd := shared.FunctionDefinitionParam{Name: t.Function.Name, Parameters: params}
		if t.Function.Description != "" {
			fd.Description = openai.String(t.Function.Description)
		}
		p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(fd))
	}
	p.Messages = openaiMessages(req.messages())
	return p, nil
}

func openaiMessages(msgs []api.Message) []openai.ChatCompletionMessageParamUnion {
	var out []openai.ChatCompletionMessageParamUnion
	type pending struct{ id, name string }
	var open []pending // tool calls not answered yet
	for i, m := range msgs {
		switch m.Role {
		case "system":
			out = append(out, openai.SystemMessage(m.Content))
		case "assistant":
			a := openai.ChatCompletionAssistantMessageParam{}
			if m.Content != "" || len(m.ToolCalls) == 0 {
				a.Content.OfString = openai.String(m.Content)
			}
			open = open[:0]
			for j, tc := range m.ToolCalls {
				id := cmpOr(tc.ID, fmt.Sprintf("call_%d_%d", i, j))
				args, _ := json.Marshal(tc.Function.Arguments)
				a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
					OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{ID: id,
						Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: tc.Function.Name, Arguments: string(args)}}})
				open = append(open, pending{id, tc.Function.Name})
			}
			out = append(out, openai.ChatCompletionMessageParamUnion{OfAssistant: &a})
		case "tool":
			id := m.ToolCallID
			if id == "" && len(open) > 0 {
				k := slices.IndexFunc(open, func(p pending) bool { return p.name == m.ToolName })
				k = max(k, 0)
				id = open[k].id
				open = slices.Delete(open, k, k+1)
			}
			out = append(out, openai.ToolMessage(m.Content, id))
		default:
			out = append(out, openai.UserMessage(m.Content))
		}
	}
	return out
}

func (o *openaiEngine) stream(ctx context.Context, req Request, fn func(delta) error) (*streamEnd, error) {
	params, err := o.params(req)
	if err != nil {
		return nil, &RefusedError{Host: o.host, Err: err}
	}
	s := o.c.Chat.Completions.NewStreaming(ctx, params)
	defer s.Close()
	type part struct {
		id, name string
		args     strings.Builder
	}
	var (
		parts    []*part
		end      streamEnd
		finished bool
	)
	for s.Next() {
		ch := s.Current()
		if ch.SystemFingerprint != "" {
			end.Fingerprint = ch.SystemFingerprint
		}
		if ch.JSON.Usage.Valid() {
			end.Counted = true
			end.PromptTokens, end.EvalTokens = int(ch.Usage.PromptTokens), int(ch.Usage.CompletionTokens)
		}
		for _, c := range ch.Choices {
			if c.Index != 0 {
				continue
			}
			d := delta{Content: c.Delta.Content, Thinking: reasoningText(c.Delta)}
			for _, tc := range c.Delta.ToolCalls {
				for int(tc.Index) >= len(parts) {
					parts = append(parts, &part{})
				}
				pt := parts[max(tc.Index, 0)]
				pt.id = cmpOr(pt.id, tc.ID)
				pt.name += tc.Function.Name
				pt.args.WriteString(tc.Function.Arguments)
				d.ToolCallPart = true
			}
			if d.Content != "" || d.Thinking != "" || d.ToolCallPart {
				if err := fn(d); err != nil {
					return nil, err
				}
			}
			if c.FinishReason != "" {
				finished = true
				end.DoneReason = c.FinishReason
			}
		}
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	if !finished {
		return nil, nil
	}
	for _, pt := range parts {
		tc := record.ToolCall{Name: pt.name}
		if a := strings.TrimSpace(pt.args.String()); a != "" {
			if json.Unmarshal([]byte(a), &tc.Arguments) != nil {
				tc.Arguments = map[string]any{"_unparsed": a} // what the model sent, for the checks to judge
			}
		}
		end.ToolCalls = append(end.ToolCalls, tc)
	}
	if end.DoneReason == "tool_calls" {
		end.DoneReason = "stop" // as Ollama says of an answer that called tools
	}
	return &end, nil
}

// reasoningText is a delta's reasoning: "reasoning" (Ollama, OpenRouter)
// or "reasoning_content" (vLLM, SGLang, DeepSeek).
func reasoningText(d openai.ChatCompletionChunkChoiceDelta) string {
	for _, k := range []string{"reasoning", "reasoning_content"} {
		if f, ok := d.JSON.ExtraFields[k]; ok && f.Valid() {
			var s string
			if json.Unmarshal([]byte(f.Raw()), &s) == nil && s != "" {
				return s
			}
		}
	}
	return ""
}

func (o *openaiEngine) models(ctx context.Context) ([]record.ModelInfo, error) {
	page, err := o.c.Models.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]record.ModelInfo, 0, len(page.Data))
	for _, m := range page.Data {
		info := record.ModelInfo{Name: m.ID, Family: m.OwnedBy}
		// vLLM and SGLang say more of a model than the API does.
		if f, ok := m.JSON.ExtraFields["max_model_len"]; ok {
			if n, err := strconv.Atoi(f.Raw()); err == nil {
				info.ContextLength = n
			}
		}
		if f, ok := m.JSON.ExtraFields["root"]; ok && f.Valid() {
			var root string
			if json.Unmarshal([]byte(f.Raw()), &root) == nil && root != m.ID {
				info.Format = root
			}
		}
		out = append(out, info)
	}
	return out, nil
}

func (o *openaiEngine) details(context.Context, *record.ModelInfo) {}

// version: the API has none; listing the models tells that the host
// answers and takes the key.
func (o *openaiEngine) version(ctx context.Context) (string, error) {
	_, err := o.c.Models.List(ctx)
	return "", err
}

func (o *openaiEngine) status(err error) (int, string, time.Duration, bool) {
	var ae *openai.Error
	if !errors.As(err, &ae) {
		return 0, "", 0, false
	}
	msg := ae.Message
	if msg == "" {
		msg = http.StatusText(ae.StatusCode)
	}
	var wait time.Duration
	if ae.Response != nil {
		wait = retryAfter(ae.Response.Header, time.Now())
	}
	return ae.StatusCode, msg, wait, true
}

// retryAfter reads how long a host asked us to wait: retry-after-ms
// (OpenAI), else Retry-After in seconds or as an HTTP date; 0 if neither.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Millisecond))
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func stopList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		var out []string
		for _, s := range x {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
