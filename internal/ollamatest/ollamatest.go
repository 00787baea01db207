// Package ollamatest gives a test package one real, private `ollama serve`
// with the fixture models (tiny-s, tiny-m, tiny-l, tiny-judge, tiny-agent) created from
// testdata/models, shared by all the package's tests.
//
//	func TestMain(m *testing.M) { ollamatest.Main(m) }
//	func TestX(t *testing.T) { srv := ollamatest.Get(t); ... srv.URL ... }
//
// There is no silent skip: when no ollama binary can be found the tests fail
// and say to run `make ollama`.
package ollamatest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamaproc"
)

var (
	once    sync.Once
	shared  *ollamaproc.Process
	starErr error
	envs    map[string]string
)

// Main runs a package's tests and stops the shared server afterwards. Extra
// server environment (e.g. OLLAMA_NUM_PARALLEL) may be passed as key, value pairs.
func Main(m *testing.M, env ...string) {
	envs = map[string]string{}
	for i := 0; i+1 < len(env); i += 2 {
		envs[env[i]] = env[i+1]
	}
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

// Get returns the shared server, starting it and creating the fixture models
// on first use. It fails the test when that is impossible.
func Get(tb testing.TB) *ollamaproc.Process {
	tb.Helper()
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		shared, starErr = ollamaproc.Start(ctx, ollamaproc.Config{Env: envs})
		if starErr != nil {
			return
		}
		dir, err := ModelsDir()
		if err == nil {
			err = shared.CreateModels(ctx, dir, ollamaproc.FixtureModels...)
		}
		if err != nil {
			shared.Close()
			shared, starErr = nil, err
		}
	})
	if starErr != nil {
		tb.Fatalf("real ollama for tests: %v", starErr)
	}
	return shared
}

// Executor returns an executor whose default host ("local") is the shared server.
func Executor(tb testing.TB) *executor.Executor {
	p := Get(tb)
	hosts, err := executor.ParseHosts("local=" + p.URL.String())
	if err != nil {
		tb.Fatal(err)
	}
	return executor.New(hosts...)
}

// ModelsDir is the vendored fixture models directory.
func ModelsDir() (string, error) { return ollamaproc.FixtureDir() }
