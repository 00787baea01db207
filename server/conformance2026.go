package server

// The fixtures the scenarios of protocol revision 2026-07-28 call
// (@modelcontextprotocol/conformance 0.2.0-alpha.12, --requirements
// 2026-07-28; scripts/conformance.sh): the stateless-core probes of
// server-stateless (SEP-2575) and the tools and prompt of the 14
// input-required-result-* scenarios (multi round-trip requests, SEP-2322).
// Like those of conformance.go they are registered only with
// `benchmcp serve --conformance-fixtures`.
//
// The input-required fixtures answer a client of either era: on the
// 2026-07-28 wire the client gets the input_required result and retries,
// before it mcp-go sends the elicitation, sampling or roots request itself
// and calls the handler again with the answers.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

func addFixtures2026(s *mcpserver.MCPServer) {
	// The subscription checks of server-stateless mutate the tool and prompt
	// lists (test_trigger_*_change) and expect notifications/*/list_changed
	// on the subscriptions/listen streams that asked for them; mcp-go sends
	// those only when listChanged is advertised.
	mcpserver.WithToolCapabilities(true)(s)
	mcpserver.WithPromptCapabilities(true)(s)
	addStatelessFixtures(s)
	addInputRequiredFixtures(s)
	addHeaderFixture(s)
}

// declaredCapabilities is what the client declared it can do: on the
// 2026-07-28 wire in this request's _meta (never an earlier request's),
// before it at initialize.
func declaredCapabilities(ctx context.Context) mcp.ClientCapabilities {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		if info.ClientCapabilities != nil {
			return *info.ClientCapabilities
		}
		return mcp.ClientCapabilities{}
	}
	if s, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithClientInfo); ok {
		return s.GetClientCapabilities()
	}
	return mcp.ClientCapabilities{}
}

// The client capabilities an input request needs, by its method.
const (
	capElicitation = "elicitation"
	capSampling    = "sampling"
	capRoots       = "roots"
)

// missingCapabilities is the -32021 error for a fixture that needs caps
// (capElicitation, capSampling, capRoots) when the client declared none of
// them, or nil when it declared them all.
func missingCapabilities(ctx context.Context, what string, caps ...string) error {
	declared := declaredCapabilities(ctx)
	required := map[string]any{}
	for _, c := range caps {
		if !hasCapability(declared, c) {
			required[c] = map[string]any{}
		}
	}
	if len(required) == 0 {
		return nil
	}
	names := make([]string, 0, len(required))
	for _, c := range caps {
		if _, ok := required[c]; ok {
			names = append(names, c)
		}
	}
	return handlerError(missingCapability{
		message:  what + " needs the client capabilities " + strings.Join(names, ", ") + ", which this request did not declare",
		required: required,
	})
}

func hasCapability(c mcp.ClientCapabilities, name string) bool {
	switch name {
	case capElicitation:
		return c.Elicitation != nil
	case capSampling:
		return c.Sampling != nil
	case capRoots:
		return c.Roots != nil
	}
	return false
}

func addStatelessFixtures(s *mcpserver.MCPServer) {
	// server-stateless calls it without sampling and wants -32021 naming
	// sampling in data.requiredCapabilities (HTTP 400, which mcp-go sets
	// for the code).
	s.AddTool(fixtureTool("test_missing_capability", "Needs the client's sampling capability; rejects a request that did not declare it with -32021"),
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, "test_missing_capability", capSampling); err != nil {
				return nil, err
			}
			return mcp.NewToolResultText("Success"), nil
		})
	// Asks for the user's input while its response streams. From 2026-07-28
	// a server may not send elicitation/create on the response stream, so
	// the question goes back as an input_required result (mcp-go asks
	// older clients itself); a progress notification comes first when the
	// client gave a progress token.
	s.AddTool(fixtureTool("test_streaming_elicitation", "Streams progress, then asks the user a question through an input_required result"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, "test_streaming_elicitation", capElicitation); err != nil {
				return nil, err
			}
			if req.Params.Meta != nil && req.Params.Meta.ProgressToken != nil {
				if err := s.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), map[string]any{
					"progressToken": req.Params.Meta.ProgressToken, "progress": 1, "total": 2, "message": "Streaming",
				}); err != nil {
					return nil, fmt.Errorf("progress notification: %w", err)
				}
			}
			if answer := elicitedString(req.Params.InputResponses, "confirm", "ok"); answer != nil {
				return mcp.NewToolResultText("Streaming complete"), nil
			}
			return mcpserver.NewInputRequestBuilder("").
				Elicit("confirm", elicitation("Continue streaming?", "ok", "boolean")).
				ToolResult(), nil
		})
	// Logs only at the level the request asked for: on the 2026-07-28 wire
	// one that set no _meta logLevel gets no notifications/message
	// (SendLogMessageToClient drops them).
	s.AddTool(fixtureTool("test_logging_tool", "Logs a message, only when the request asked for a log level"),
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			err := s.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(mcp.LoggingLevelInfo, "conformance-test-server", "Logging evaluated"))
			if err != nil && !errors.Is(err, mcpserver.ErrSessionDoesNotSupportLogging) && !errors.Is(err, mcpserver.ErrNotificationNotInitialized) {
				return nil, fmt.Errorf("log notification: %w", err)
			}
			return mcp.NewToolResultText("Logging evaluated"), nil
		})
	// Each call adds a tool or prompt, or takes away the one the last call
	// added; mcp-go then sends notifications/tools/list_changed (or
	// prompts/list_changed) to every client that may have it.
	var mu sync.Mutex
	var toolAdded, promptAdded bool
	s.AddTool(fixtureTool("test_trigger_tool_change", "Changes the tool list (adds or removes test_dynamic_tool)"),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if toolAdded {
				s.DeleteTools("test_dynamic_tool")
			} else {
				s.AddTool(fixtureTool("test_dynamic_tool", "Added by test_trigger_tool_change"),
					func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
						return mcp.NewToolResultText("dynamic"), nil
					})
			}
			toolAdded = !toolAdded
			return mcp.NewToolResultText(fmt.Sprintf("tool list changed (test_dynamic_tool listed: %t)", toolAdded)), nil
		})
	s.AddTool(fixtureTool("test_trigger_prompt_change", "Changes the prompt list (adds or removes test_dynamic_prompt)"),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if promptAdded {
				s.DeletePrompts("test_dynamic_prompt")
			} else {
				s.AddPrompt(mcp.NewPrompt("test_dynamic_prompt", mcp.WithPromptDescription("Added by test_trigger_prompt_change")),
					func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
						return &mcp.GetPromptResult{Messages: []mcp.PromptMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("dynamic")}}}, nil
					})
			}
			promptAdded = !promptAdded
			return mcp.NewToolResultText(fmt.Sprintf("prompt list changed (test_dynamic_prompt listed: %t)", promptAdded)), nil
		})
}

// elicitation is a form elicitation of one required property.
func elicitation(message, property, typ string) mcp.ElicitationParams {
	return mcp.ElicitationParams{Message: message, RequestedSchema: map[string]any{
		"type":       "object",
		"properties": map[string]any{property: map[string]any{"type": typ}},
		"required":   []string{property},
	}}
}

func sampling(text string, maxTokens int) mcp.CreateMessageParams {
	return mcp.CreateMessageParams{
		Messages:  []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent(text)}},
		MaxTokens: maxTokens,
	}
}

// elicitedString is the value of property in the accepted elicitation
// answered under id, formatted as text, or nil when there is none: no
// answer, one that is no elicitation result (a number, say), declined,
// or without the property.
func elicitedString(responses mcp.InputResponses, id, property string) *string {
	res := mcpserver.ElicitationResponse(responses, id)
	if res == nil || res.Action != mcp.ElicitationResponseActionAccept {
		return nil
	}
	content, ok := res.Content.(map[string]any)
	if !ok {
		return nil
	}
	v, ok := content[property]
	if !ok || v == nil {
		return nil
	}
	text := fmt.Sprint(v)
	return &text
}

// sampledText is the text of the sampling result answered under id, or nil.
func sampledText(responses mcp.InputResponses, id string) *string {
	res := mcpserver.SamplingResponse(responses, id)
	if res == nil {
		return nil
	}
	var text string
	switch c := res.Content.(type) {
	case mcp.TextContent:
		text = c.Text
	case map[string]any:
		text, _ = c["text"].(string)
	}
	return &text
}

// rootURIs are the roots answered under id; ok is false when there is no
// roots answer.
func rootURIs(responses mcp.InputResponses, id string) (uris []string, ok bool) {
	res := mcpserver.RootsResponse(responses, id)
	if res == nil || res.Roots == nil {
		return nil, false
	}
	for _, r := range res.Roots {
		uris = append(uris, r.URI)
	}
	return uris, true
}

// fixtureState is what an input-required fixture keeps between rounds, in
// the requestState the client echoes back. The client may not change it:
// the state is signed (HMAC-SHA256 with a key of this process), so a
// changed or foreign one fails with -32602 (SEP-2322 wants servers to
// reject state that fails an integrity check).
type fixtureState struct {
	Tool string `json:"tool"`
	Step int    `json:"step"`
	Name string `json:"name,omitempty"`
}

var stateKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("conformance fixtures: no random state key: " + err.Error())
	}
	return k
}()

func stateMAC(payload string) string {
	m := hmac.New(sha256.New, stateKey)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signState encodes st as payload.mac, both base64url.
func signState(st fixtureState) string {
	b, _ := json.Marshal(st)
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + stateMAC(payload)
}

// openState checks and decodes a requestState that tool issued. An empty
// one is no state (ok false, no error).
func openState(tool, state string) (st fixtureState, ok bool, err error) {
	if state == "" {
		return st, false, nil
	}
	payload, mac, found := strings.Cut(state, ".")
	if !found || !hmac.Equal([]byte(mac), []byte(stateMAC(payload))) {
		return st, false, handlerError(rejectedState{tool: tool, why: "it failed its integrity check"})
	}
	b, derr := base64.RawURLEncoding.DecodeString(payload)
	if derr != nil || json.Unmarshal(b, &st) != nil {
		return st, false, handlerError(rejectedState{tool: tool, why: "it does not decode"})
	}
	if st.Tool != tool {
		return st, false, handlerError(rejectedState{tool: tool, why: "it was issued by " + st.Tool})
	}
	return st, true, nil
}

// rejectedState is the JSON-RPC error -32602 (invalid params) for a
// requestState the server did not issue, or not for this request.
type rejectedState struct{ tool, why string }

func (e rejectedState) Error() string {
	return e.tool + ": requestState rejected: " + e.why
}

func (e rejectedState) JSONRPCError() mcp.JSONRPCError {
	return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, Error: mcp.JSONRPCErrorDetails{
		Code: mcp.INVALID_PARAMS, Message: e.Error(), Data: map[string]any{"reason": e.why},
	}}
}

func addInputRequiredFixtures(s *mcpserver.MCPServer) {
	const elicitTool = "test_input_required_result_elicitation"
	// No requestState: a retry that answers user_name completes, whatever
	// else it carries; one that does not is asked again.
	s.AddTool(fixtureTool(elicitTool, "Asks the user's name through an input_required result, then greets them"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, elicitTool, capElicitation); err != nil {
				return nil, err
			}
			if name := elicitedString(req.Params.InputResponses, "user_name", "name"); name != nil {
				return mcp.NewToolResultText("Hello, " + *name + "!"), nil
			}
			return mcpserver.NewInputRequestBuilder("").
				Elicit("user_name", elicitation("What is your name?", "name", "string")).
				ToolResult(), nil
		})

	const samplingTool = "test_input_required_result_sampling"
	s.AddTool(fixtureTool(samplingTool, "Asks the client's LLM a question through an input_required result"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, samplingTool, capSampling); err != nil {
				return nil, err
			}
			if text := sampledText(req.Params.InputResponses, "capital_question"); text != nil {
				return mcp.NewToolResultText("The model answered: " + *text), nil
			}
			return mcpserver.NewInputRequestBuilder("").
				Sample("capital_question", sampling("What is the capital of France?", 100)).
				ToolResult(), nil
		})

	const rootsTool = "test_input_required_result_list_roots"
	s.AddTool(fixtureTool(rootsTool, "Asks the client's roots through an input_required result"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, rootsTool, capRoots); err != nil {
				return nil, err
			}
			if uris, ok := rootURIs(req.Params.InputResponses, "client_roots"); ok {
				return mcp.NewToolResultText(fmt.Sprintf("The client has %d root(s): %s", len(uris), strings.Join(uris, ", "))), nil
			}
			return mcpserver.NewInputRequestBuilder("").Roots("client_roots").ToolResult(), nil
		})

	const stateTool = "test_input_required_result_request_state"
	s.AddTool(fixtureTool(stateTool, "Asks for a confirmation, keeping its place in a signed requestState"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, stateTool, capElicitation); err != nil {
				return nil, err
			}
			_, ok, err := openState(stateTool, req.Params.RequestState)
			if err != nil {
				return nil, err
			}
			if answer := elicitedString(req.Params.InputResponses, "confirm", "ok"); ok && answer != nil {
				return mcp.NewToolResultText("state-ok: requestState verified, confirmed=" + *answer), nil
			}
			return mcpserver.NewInputRequestBuilder(signState(fixtureState{Tool: stateTool, Step: 1})).
				Elicit("confirm", elicitation("Please confirm", "ok", "boolean")).
				ToolResult(), nil
		})

	const multiTool = "test_input_required_result_multiple_inputs"
	// Asks for all three answers at once, then again for those still missing.
	s.AddTool(fixtureTool(multiTool, "Asks for an elicitation, a sampling and the roots in one input_required result"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, multiTool, capElicitation, capSampling, capRoots); err != nil {
				return nil, err
			}
			if _, _, err := openState(multiTool, req.Params.RequestState); err != nil {
				return nil, err
			}
			in := req.Params.InputResponses
			name := elicitedString(in, "user_name", "name")
			greeting := sampledText(in, "greeting")
			roots, haveRoots := rootURIs(in, "client_roots")
			if name != nil && greeting != nil && haveRoots {
				return mcp.NewToolResultText(fmt.Sprintf("name %s, greeting %q, %d root(s)", *name, *greeting, len(roots))), nil
			}
			b := mcpserver.NewInputRequestBuilder(signState(fixtureState{Tool: multiTool, Step: 1}))
			if name == nil {
				b.Elicit("user_name", elicitation("What is your name?", "name", "string"))
			}
			if greeting == nil {
				b.Sample("greeting", sampling("Generate a greeting", 50))
			}
			if !haveRoots {
				b.Roots("client_roots")
			}
			return b.ToolResult(), nil
		})

	const roundsTool = "test_input_required_result_multi_round"
	// Round 1 asks the name, round 2 (state step 1 and the name) the colour,
	// round 3 (state step 2 and the colour) completes. The name travels in
	// the state.
	s.AddTool(fixtureTool(roundsTool, "Asks two questions in two rounds, carrying the first answer in the requestState"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, roundsTool, capElicitation); err != nil {
				return nil, err
			}
			st, ok, err := openState(roundsTool, req.Params.RequestState)
			if err != nil {
				return nil, err
			}
			in := req.Params.InputResponses
			if ok && st.Step == 2 {
				if color := elicitedString(in, "step2", "color"); color != nil {
					return mcp.NewToolResultText(fmt.Sprintf("%s likes %s", st.Name, *color)), nil
				}
			}
			name := st.Name
			if ok && st.Step == 1 {
				if n := elicitedString(in, "step1", "name"); n != nil {
					name = *n
				}
			}
			if name != "" {
				return mcpserver.NewInputRequestBuilder(signState(fixtureState{Tool: roundsTool, Step: 2, Name: name})).
					Elicit("step2", elicitation("Step 2: What is your favorite color?", "color", "string")).
					ToolResult(), nil
			}
			return mcpserver.NewInputRequestBuilder(signState(fixtureState{Tool: roundsTool, Step: 1})).
				Elicit("step1", elicitation("Step 1: What is your name?", "name", "string")).
				ToolResult(), nil
		})

	const tamperTool = "test_input_required_result_tampered_state"
	s.AddTool(fixtureTool(tamperTool, "Asks for a confirmation with a signed requestState and rejects a changed one with -32602"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := missingCapabilities(ctx, tamperTool, capElicitation); err != nil {
				return nil, err
			}
			_, ok, err := openState(tamperTool, req.Params.RequestState)
			if err != nil {
				return nil, err
			}
			if answer := elicitedString(req.Params.InputResponses, "confirm", "ok"); ok && answer != nil {
				return mcp.NewToolResultText("requestState intact, confirmed=" + *answer), nil
			}
			return mcpserver.NewInputRequestBuilder(signState(fixtureState{Tool: tamperTool, Step: 1})).
				Elicit("confirm", elicitation("Please confirm", "ok", "boolean")).
				ToolResult(), nil
		})

	const capsTool = "test_input_required_result_capabilities"
	// Asks only what the client declared it can answer: an elicitation, a
	// sampling, the roots, as declared.
	s.AddTool(fixtureTool(capsTool, "Asks for input only through the capabilities the client declared"),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			declared := declaredCapabilities(ctx)
			if declared.Elicitation == nil && declared.Sampling == nil && declared.Roots == nil {
				return nil, missingCapabilities(ctx, capsTool, capSampling)
			}
			if _, _, err := openState(capsTool, req.Params.RequestState); err != nil {
				return nil, err
			}
			in := req.Params.InputResponses
			var got []string
			b := mcpserver.NewInputRequestBuilder(signState(fixtureState{Tool: capsTool, Step: 1}))
			missing := false
			if declared.Sampling != nil {
				if text := sampledText(in, "sample_input"); text != nil {
					got = append(got, "sampling: "+*text)
				} else {
					b.Sample("sample_input", sampling("Say hello", 20))
					missing = true
				}
			}
			if declared.Elicitation != nil {
				if name := elicitedString(in, "user_name", "name"); name != nil {
					got = append(got, "elicitation: "+*name)
				} else {
					b.Elicit("user_name", elicitation("What is your name?", "name", "string"))
					missing = true
				}
			}
			if declared.Roots != nil {
				if uris, ok := rootURIs(in, "client_roots"); ok {
					got = append(got, fmt.Sprintf("roots: %d", len(uris)))
				} else {
					b.Roots("client_roots")
					missing = true
				}
			}
			if missing {
				return b.ToolResult(), nil
			}
			return mcp.NewToolResultText("answers by declared capability: " + strings.Join(got, "; ")), nil
		})

	const promptName = "test_input_required_result_prompt"
	// input-required-result-non-tool-request: prompts/get may ask for input
	// too.
	s.AddPrompt(mcp.NewPrompt(promptName,
		mcp.WithPromptTitle("Prompt Needing Input"), mcp.WithPromptDescription("Asks the user for context through an input_required result, then renders")),
		func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			if err := missingCapabilities(ctx, promptName, capElicitation); err != nil {
				return nil, err
			}
			if c := elicitedString(req.Params.InputResponses, "user_context", "context"); c != nil {
				return &mcp.GetPromptResult{Messages: []mcp.PromptMessage{{
					Role: mcp.RoleUser, Content: mcp.NewTextContent("Answer with this context in mind: " + *c),
				}}}, nil
			}
			return mcpserver.NewInputRequestBuilder("").
				Elicit("user_context", elicitation("What context should the prompt use?", "context", "string")).
				PromptResult(), nil
		})
}

// addHeaderFixture adds a tool with a parameter that also travels in a
// header (x-mcp-header, SEP-2243), for the pending scenario
// http-custom-header-server-validation: mcp-go checks the Mcp-Param-Region
// header against arguments.region (Base64 =?base64?...?= values included)
// before the handler runs.
func addHeaderFixture(s *mcpserver.MCPServer) {
	s.AddTool(mcp.NewToolWithRawSchema("test_param_header", "Echoes region, which the client also sends in the Mcp-Param-Region header", json.RawMessage(`{
		"type": "object",
		"properties": {"region": {"type": "string", "description": "a region name", "x-mcp-header": "Region"}},
		"required": ["region"]
	}`)), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("region " + req.GetString("region", "")), nil
	})
}
