package executor

import (
	"context"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// engine is how the executor talks to one kind of server. The executor
// does the measuring (the stream's clock, the breaker, flags, retries);
// an engine only sends and reads. What an engine cannot report it leaves
// zero, never guessed.
type engine interface {
	// stream sends req and calls fn with each chunk of its answer, in
	// order. It returns how the stream ended, or nil (and no error) when
	// the stream ended without its final chunk. fn's error stops the
	// stream and comes back as stream's.
	stream(ctx context.Context, req Request, fn func(delta) error) (*streamEnd, error)
	// models lists the models the host serves.
	models(ctx context.Context) ([]record.ModelInfo, error)
	// details fills in what the host says of a model beyond its listing
	// (capabilities, context length); the listing's fields are kept.
	details(ctx context.Context, info *record.ModelInfo)
	// version is the server's version, or "" for a server that has none;
	// its error says the host cannot be reached.
	version(ctx context.Context) (string, error)
	// status reads an error the host answered with: its HTTP status, its
	// message, and how long it asked us to wait (Retry-After).
	status(err error) (code int, msg string, retryAfter time.Duration, ok bool)
	// refused says why req cannot be sent to this engine (an option it has
	// no equivalent for), or nil.
	refused(req Request) error
}

// delta is one chunk of an answer.
type delta struct {
	Content, Thinking string
	ToolCalls         []record.ToolCall // whole calls (Ollama sends them whole)
	ToolCallPart      bool              // a piece of a tool call that streamEnd completes (OpenAI)
}

// streamEnd is how an answer ended and what the server counted. Durations
// are the server's own; zero where it does not report them.
type streamEnd struct {
	DoneReason                    string
	PromptTokens, EvalTokens      int
	Counted                       bool // the server reported token counts (Ollama's final chunk, OpenAI's usage)
	Load, Total, PromptEval, Eval time.Duration
	ToolCalls                     []record.ToolCall // calls assembled from pieces (OpenAI)
	Fingerprint                   string            // the server's system_fingerprint (OpenAI)
}
