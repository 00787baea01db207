package server

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// TestFixtureStateSigned: a requestState comes back only as it was issued,
// to the tool that issued it (input-required-result-tampered-state appends
// "-TAMPERED" and wants a JSON-RPC error).
func TestFixtureStateSigned(t *testing.T) {
	want := fixtureState{Tool: "a", Step: 2, Name: "Alice"}
	state := signState(want)
	got, ok, err := openState("a", state)
	if err != nil || !ok || got != want {
		t.Fatalf("openState(signState(%+v)) = %+v, %t, %v", want, got, ok, err)
	}
	if _, ok, err := openState("a", ""); ok || err != nil {
		t.Errorf("no state: ok %t, err %v; want neither", ok, err)
	}
	for name, bad := range map[string]struct{ tool, state string }{
		"tampered":   {"a", state + "-TAMPERED"},
		"payload":    {"a", "e30" + state[3:]},
		"no mac":     {"a", "e30"},
		"other tool": {"b", state},
	} {
		_, ok, err := openState(bad.tool, bad.state)
		var p mcpserver.JSONRPCErrorProvider
		if ok || !errors.As(err, &p) || p.JSONRPCError().Error.Code != mcp.INVALID_PARAMS {
			t.Errorf("%s: ok %t, err %v; want a -32602 handler error", name, ok, err)
		}
	}
}

// TestMissingCapabilities: a fixture needing a capability the request did
// not declare fails with -32021 naming it in data.requiredCapabilities (an
// object of capability objects, as the 2026-07-28 schema has it); the
// declaration is this request's own.
func TestMissingCapabilities(t *testing.T) {
	modern := func(caps *mcp.ClientCapabilities) context.Context {
		return mcpserver.WithRequestProtocolInfo(context.Background(), &mcpserver.RequestProtocolInfo{
			Modern: true, ProtocolVersion: "2026-07-28", ClientCapabilities: caps,
		})
	}
	err := missingCapabilities(modern(&mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}}), "t", capSampling, capElicitation)
	var p mcpserver.JSONRPCErrorProvider
	if !errors.As(err, &p) {
		t.Fatalf("err %v; want a handler error", err)
	}
	details := p.JSONRPCError().Error
	want := map[string]any{"requiredCapabilities": map[string]any{"sampling": map[string]any{}}}
	if details.Code != mcp.MISSING_REQUIRED_CLIENT_CAPABILITY || !reflect.DeepEqual(details.Data, want) {
		t.Errorf("error %d %v; want %d %v", details.Code, details.Data, mcp.MISSING_REQUIRED_CLIENT_CAPABILITY, want)
	}
	if err := missingCapabilities(modern(&mcp.ClientCapabilities{Sampling: &mcp.SamplingCapability{}}), "t", capSampling); err != nil {
		t.Errorf("sampling declared: %v", err)
	}
	if err := missingCapabilities(modern(nil), "t", capRoots); err == nil {
		t.Error("nothing declared: no error")
	}
}
