package bench_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/check"
	"github.com/benchmcp/benchmcp/internal/suite"
)

// A run with code_exec checks is refused before anything runs (no model is
// asked: the runner has no executor) when the sandbox cannot be used, with
// what to do.
func TestPrepareRefusesCodeExecWithoutSandbox(t *testing.T) {
	code := suite.Suite{Name: "code", Tasks: []suite.Task{{ID: "add", Prompt: "Write a Python function add(a, b).",
		Checks: []check.Spec{{Type: "code_exec", Tests: "assert add(2, 3) == 5"}}}}}
	r := &bench.Runner{Sandbox: check.Sandbox{Bwrap: filepath.Join(t.TempDir(), "no", "bwrap")}}
	_, err := r.Prepare(context.Background(), bench.Config{Model: "tiny-m", Suite: code})
	var ie *bench.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("Prepare: %v, want an InputError", err)
	}
	for _, want := range []string{"suite code has code_exec checks", "apt-get install bubblewrap", "--unsafe-code-exec"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
