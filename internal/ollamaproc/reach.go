package ollamaproc

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/benchmcp/benchmcp/internal/executor"
)

// FixturePrompts are prompts the fixture models were trained on, one per model.
var FixturePrompts = map[string]string{
	"tiny-s":     "What is 47+385?",
	"tiny-m":     "What is 47+385?",
	"tiny-l":     "What is 47+385?",
	"tiny-judge": "Task: What is 47+385?\nAnswer: 432\nGrade the answer from 0 to 10.",
	"tiny-agent": "Reverse the word planet.",
}

// Reached is an Ollama that answers: the first host of a hosts spec, or a
// private server started because that host did not answer.
type Reached struct {
	Hosts   string // the hosts spec that names it (executor.ParseHosts)
	Host    executor.Host
	Exec    *executor.Executor
	Version string
	private *Process
}

// Close stops the private server, if one was started.
func (r *Reached) Close() {
	if r.private != nil {
		r.private.Close()
	}
}

// Reach returns the first host of hosts if an Ollama answers there within
// 3 s, else a private `ollama serve` started from the binary EnsureBinary
// finds, which Close stops. It tells log what it does.
func Reach(ctx context.Context, hosts string, log io.Writer) (*Reached, error) {
	hs, err := executor.ParseHosts(hosts)
	if err != nil {
		return nil, fmt.Errorf("--hosts: %w", err)
	}
	r := &Reached{Hosts: hosts, Host: hs[0], Exec: executor.New(hs...)}
	vctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	r.Version, err = r.Exec.Version(vctx, r.Host.Name)
	cancel()
	if err == nil {
		fmt.Fprintf(log, "using Ollama %s at %s (host %s)\n", r.Version, r.Host.URL, r.Host.Name)
		return r, nil
	}
	bin, err := EnsureBinary(ctx, log)
	if err != nil {
		return nil, fmt.Errorf("no Ollama answers at %s, and none can be started: %w", r.Host.URL, err)
	}
	fmt.Fprintf(log, "no Ollama answers at %s; starting a private one (%s)\n", r.Host.URL, bin)
	if r.private, err = Start(ctx, Config{Binary: bin}); err != nil {
		return nil, fmt.Errorf("start a private Ollama: %w", err)
	}
	r.Hosts = executor.DefaultHost + "=" + r.private.URL.String()
	if hs, err = executor.ParseHosts(r.Hosts); err != nil {
		r.Close()
		return nil, fmt.Errorf("the private Ollama's host: %w", err)
	}
	r.Host, r.Exec = hs[0], executor.New(hs...)
	if r.Version, err = r.Exec.Version(ctx, r.Host.Name); err != nil {
		r.Close()
		return nil, fmt.Errorf("ask the private Ollama its version: %w", err)
	}
	fmt.Fprintf(log, "private Ollama %s at %s; it stops when the demo ends\n", r.Version, r.private.URL)
	return r, nil
}

// EnsureFixtures creates the fixture models that the host lacks from the
// Modelfiles in the directory dir finds (testdata/models, which only a
// source checkout has), telling log which.
func (r *Reached) EnsureFixtures(ctx context.Context, dir func() (string, error), log io.Writer) error {
	have, err := r.Exec.Models(ctx, r.Host.Name)
	if err != nil {
		return fmt.Errorf("list the models on %s: %w", r.Host.URL, err)
	}
	var missing []string
	for _, m := range FixtureModels {
		if !slices.Contains(have, m) && !slices.Contains(have, m+":latest") {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	d, err := dir()
	if err != nil {
		return fmt.Errorf("%s missing on %s, and they cannot be created: %w", strings.Join(missing, ", "), r.Host.URL, err)
	}
	fmt.Fprintf(log, "creating %s on %s from %s\n", strings.Join(missing, ", "), r.Host.URL, d)
	return CreateModels(ctx, r.Host.Client(), d, missing...)
}
