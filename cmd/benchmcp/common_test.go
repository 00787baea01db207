package main

import (
	"flag"
	"io"
	"path/filepath"
	"testing"
)

// --unsafe-code-exec (or BENCHMCP_UNSAFE_CODE_EXEC set to a true value)
// reaches the service; anything else leaves code_exec sandboxed.
func TestUnsafeCodeExecFlag(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		args      []string
		want      bool
	}{
		{"default", "", nil, false},
		{"env 1", "1", nil, true},
		{"env true", "true", nil, true},
		{"env 0", "0", nil, false},
		{"env that is not a yes", "no-thanks", nil, false},
		{"flag", "", []string{"--unsafe-code-exec"}, true},
		{"flag wins over env", "1", []string{"--unsafe-code-exec=false"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BENCHMCP_UNSAFE_CODE_EXEC", tc.env)
			var c common
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.register(fs)
			if err := fs.Parse(append(tc.args, "--db", filepath.Join(t.TempDir(), "runs.db"))); err != nil {
				t.Fatal(err)
			}
			svc, closeFn, err := c.service(readWrite)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			if svc.Sandbox.Unsafe != tc.want {
				t.Errorf("Sandbox.Unsafe = %v, want %v", svc.Sandbox.Unsafe, tc.want)
			}
		})
	}
}
