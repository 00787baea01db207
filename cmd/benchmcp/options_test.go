package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOptionsFlagRefused: run and compare refuse an unknown name in
// --options, saying which was meant, before the store is even opened; sweep
// refuses one in --option the same way (TestSweepCommand).
func TestOptionsFlagRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	for _, tc := range []struct {
		cmd  string
		args []string
		want string
	}{
		{"run",
			[]string{"--model", "tiny-m", "--options", `{"num_ctxx": 4096}`},
			"benchmcp run: --options.num_ctxx is not an Ollama option (Ollama would ignore it and use its default); did you mean num_ctx?"},
		{"run",
			[]string{"--model", "tiny-m", "--options", `{"temperature": "hot"}`},
			`--options.temperature must be a number, e.g. 0.7; got "hot" (a string)`},
		{"compare",
			[]string{"--model", "tiny-s", "--model", "tiny-m", "--options", `{"temprature": 0}`},
			"benchmcp compare: --options.temprature is not an Ollama option (Ollama would ignore it and use its default); did you mean temperature?"},
	} {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append(append([]string{tc.cmd}, tc.args...), "--db", db), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 saying %q", tc.args, code, errb.String(), tc.want)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a refused command opened the store: %v", err)
	}
}

// A --timeout out of range is refused with the range, before any run is
// stored: 1e10 seconds used to overflow into a negative time limit.
func TestTimeoutFlagBounded(t *testing.T) {
	for _, cmd := range []string{"run", "compare"} {
		db := filepath.Join(t.TempDir(), "bench.db")
		args := []string{cmd, "--db", db, "--timeout", "1e10"}
		if cmd == "run" {
			args = append(args, "--model", "tiny-m")
		} else {
			args = append(args, "--model", "tiny-s", "--model", "tiny-m")
		}
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), args, &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), "timeout_s 1e+10 is out of range") || !strings.Contains(errb.String(), "at most 86400") {
			t.Errorf("%s --timeout 1e10: exit %d, stderr %q; want a refusal that gives the range", cmd, code, errb.String())
		}
		if runs := storedRuns(t, db); runs != 0 {
			t.Errorf("%s --timeout 1e10 stored %d runs", cmd, runs)
		}
	}
}
