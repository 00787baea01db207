package server

import (
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/benchmcp/benchmcp/tools"
)

// missingCapability is the JSON-RPC error -32021 (SEP-2575): the client did
// not declare a capability the request needs. required is a
// ClientCapabilities object naming it, e.g. {"sampling": {}} or
// {"extensions": {"io.modelcontextprotocol/tasks": {}}}; the error's data
// carries it as requiredCapabilities, which the 2026-07-28 schema requires.
type missingCapability struct {
	message  string
	required map[string]any
}

func (e missingCapability) Error() string { return e.message }

// JSONRPCError lets mcp-go answer a handler's error with this code and data
// (server.NewHandlerError).
func (e missingCapability) JSONRPCError() mcp.JSONRPCError {
	return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, Error: e.details()}
}

func (e missingCapability) details() mcp.JSONRPCErrorDetails {
	return mcp.JSONRPCErrorDetails{
		Code:    mcp.MISSING_REQUIRED_CLIENT_CAPABILITY,
		Message: e.message,
		Data:    map[string]any{"requiredCapabilities": e.required},
	}
}

// needTasksExtension is the -32021 error for a request that only works for
// a client that declared the Tasks extension on it.
func needTasksExtension(what string) missingCapability {
	return missingCapability{
		message:  what + " needs the client to declare the Tasks extension (" + tools.TasksExtension + ") in this request's capabilities (_meta io.modelcontextprotocol/clientCapabilities.extensions)",
		required: map[string]any{"extensions": map[string]any{tools.TasksExtension: map[string]any{}}},
	}
}

// handlerError returns e from a tool or prompt handler so that mcp-go sends
// it as the JSON-RPC error it is.
func handlerError(e mcpserver.JSONRPCErrorProvider) error { return mcpserver.NewHandlerError(e) }
