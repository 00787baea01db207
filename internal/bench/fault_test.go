package bench_test

// Failures of the machine during a run: a real Ollama whose runner is killed
// mid-answer (through a proxy that only times the kill), and, for a fault a
// real server cannot be made to repeat on demand, a proxy that answers 503
// for one task.

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/ollamatest"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/memory"
)

// proxied is an executor whose host "local" is a proxy in front of the
// shared real server, with short retry waits.
func proxied(t *testing.T, h http.Handler) *executor.Executor {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	hosts, err := executor.ParseHosts("local=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ex := executor.New(hosts...)
	ex.Retry = executor.RetryPolicy{Retries: 3, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	return ex
}

// killer relays to the real server and, on the first chunk of a chat
// answer, kills the server's model runners (SIGKILL, as the OOM killer
// would) until one kill has landed mid-answer: Ollama then ends that stream
// with an error. A kill that comes after the answer is complete only makes
// the next call reload the model.
type killer struct {
	mu     sync.Mutex
	kills  int // kills made
	landed int // answers the kill cut
}

func (k *killer) handler(t *testing.T) http.Handler {
	p := ollamatest.Get(t)
	rp := httputil.NewSingleHostReverseProxy(p.URL)
	rp.FlushInterval = -1
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != "/api/chat" {
			return nil
		}
		pr, pw := io.Pipe()
		body := resp.Body
		resp.Body = pr
		go func() {
			defer body.Close()
			sc := bufio.NewScanner(body)
			sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
			first := true
			for sc.Scan() {
				line := sc.Bytes()
				if first {
					first = false
					k.mu.Lock()
					if k.landed == 0 && k.kills < 20 {
						if p.KillRunners() > 0 {
							k.kills++
						}
					}
					k.mu.Unlock()
				}
				if bytes.Contains(line, []byte(`"error"`)) {
					k.mu.Lock()
					k.landed++
					k.mu.Unlock()
				}
				if _, err := pw.Write(append(line, '\n')); err != nil {
					return
				}
			}
			pw.CloseWithError(sc.Err())
		}()
		return nil
	}
	return rp
}

func TestRunnerKilledMidRunIsRetriedNotScored(t *testing.T) {
	r, _ := newRunner(t)
	cfg := bench.Config{Model: "tiny-l", Suite: tinySuite(t), Iterations: 2, Seeds: mustSeeds(t, 2, 7)}
	calm := runSuite(t, r, cfg)

	k := &killer{}
	st, err := memory.Open(t.TempDir()+"/faults.db", memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hit := runSuite(t, &bench.Runner{Exec: proxied(t, k.handler(t)), Store: st}, cfg)
	t.Logf("kills %d, landed mid-answer %d, retried %v", k.kills, k.landed, hit.Summary.Retried)
	if k.landed == 0 {
		t.Fatalf("none of %d runner kills landed mid-answer; the test could not inject its fault", k.kills)
	}
	if hit.Status != record.StatusCompleted {
		t.Fatalf("run with a killed runner ended %s (%s); want completed, the failed call retried", hit.Status, hit.Error)
	}
	if hit.Summary.Samples != calm.Summary.Samples || hit.Summary.Passed != calm.Summary.Passed {
		t.Errorf("killed runner: %d of %d passed; undisturbed: %d of %d", hit.Summary.Passed, hit.Summary.Samples, calm.Summary.Passed, calm.Summary.Samples)
	}
	if n := hit.Summary.Retried[string(executor.FaultServer)]; n < 1 {
		t.Errorf("retried %v: want the cut answer counted as a server_error retry", hit.Summary.Retried)
	}
	if hit.Summary.Faults != 0 || hit.Summary.Errors != 0 {
		t.Errorf("faults %d, errors %d: a retried call must leave neither", hit.Summary.Faults, hit.Summary.Errors)
	}
	// The cut call may have been the warm-up's, a task's or a judge's: each
	// is counted in the summary; a task's or judge's also in its sample.
	smps, _ := st.Samples(hit.ID)
	for _, smp := range smps {
		for _, rt := range smp.Retries {
			if rt.Kind != string(executor.FaultServer) || rt.Error == "" {
				t.Errorf("sample %s/%d retry %+v: want server_error with its message", smp.TaskID, smp.Iteration, rt)
			}
		}
	}
}

// unavailable relays to the real server but answers 503 to every chat call
// whose messages hold prompt (an overloaded or restarting host, on demand).
func unavailable(t *testing.T, prompt string) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(ollamatest.Get(t).URL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.URL.Path == "/api/chat" && strings.Contains(string(body), prompt) {
			http.Error(w, `{"error":"server busy"}`, http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	})
}

func TestFaultedSampleIsNotScoredAndRunsAgainOnResume(t *testing.T) {
	r, st := newRunner(t)
	s := tinySuite(t)
	cfg := bench.Config{Model: "tiny-m", Suite: s, Seeds: mustSeeds(t, 1, 3)}
	calm := runSuite(t, r, cfg)

	bad := s.Tasks[1]
	down := &bench.Runner{Exec: proxied(t, unavailable(t, bad.Prompt)), Store: st}
	down.Exec.Retry.Retries = 1
	sess, err := down.Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Begin(nil, nil); err != nil {
		t.Fatal(err)
	}
	run, err := sess.Execute(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != record.StatusFailed || !strings.Contains(run.Error, "resume") {
		t.Fatalf("run with a faulted sample: status %s, error %q; want failed, saying to resume", run.Status, run.Error)
	}
	if sum := run.Summary; sum.Faults != 1 || sum.Samples != len(s.Tasks)-1 || sum.Retried[string(executor.FaultServer)] != 1 {
		t.Errorf("summary: faults %d, samples %d of %d tasks, retried %v; want 1 fault, the rest scored, 1 retry", sum.Faults, sum.Samples, len(s.Tasks), sum.Retried)
	}
	scored, _ := st.Samples(run.ID)
	for _, smp := range scored {
		if smp.TaskID == bad.ID {
			t.Errorf("the faulted sample is among the scored ones: %+v", smp)
		}
	}
	faulted, err := st.FaultedSamples(run.ID)
	if err != nil || len(faulted) != 1 || faulted[0].TaskID != bad.ID || faulted[0].Fault.Attempts != 2 || faulted[0].Fault.Kind != string(executor.FaultServer) {
		t.Fatalf("faulted samples %+v (err %v); want task %s, server_error after 2 attempts", faulted, err, bad.ID)
	}

	// The host is fixed: the resume runs the faulted sample again, and only it.
	again, err := r.Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := st.GetRun(run.ID)
	if err := again.Begin(&prev, scored); err != nil {
		t.Fatal(err)
	}
	if jobs := again.Jobs(); len(jobs) != 1 || jobs[0].Task != bad.ID {
		t.Fatalf("resume would run %v; want only %s", jobs, bad.ID)
	}
	done, err := again.Execute(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != record.StatusCompleted || done.Summary.Faults != 0 || done.Summary.Passed != calm.Summary.Passed || done.Summary.Samples != calm.Summary.Samples {
		t.Errorf("resumed: %s, faults %d, %d of %d passed; undisturbed %d of %d", done.Status, done.Summary.Faults, done.Summary.Passed, done.Summary.Samples, calm.Summary.Passed, calm.Summary.Samples)
	}
	if left, _ := st.FaultedSamples(run.ID); len(left) != 0 {
		t.Errorf("after the resume %d faulted samples are left", len(left))
	}
}

// A host that stays down stops the run at once with the host's error (every
// further call would fail), the sample stored as a fault for a resume.
func TestHostDownStopsTheRun(t *testing.T) {
	_, st := newRunner(t)
	// The host is a relay to the real server; once the run is prepared, it
	// goes away, and its address refuses connections.
	srv := httptest.NewServer(httputil.NewSingleHostReverseProxy(ollamatest.Get(t).URL))
	t.Cleanup(srv.Close)
	hosts, _ := executor.ParseHosts("local=" + srv.URL)
	ex := executor.New(hosts...)
	ex.Retry = executor.RetryPolicy{Retries: 2, Backoff: 10 * time.Millisecond}
	r := &bench.Runner{Exec: ex, Store: st}
	sess, err := r.Prepare(context.Background(), bench.Config{Model: "tiny-m", Suite: tinySuite(t), Warmup: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Begin(nil, nil); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	run, err := sess.Execute(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != record.StatusFailed || !strings.Contains(run.Error, "unreachable") || !strings.Contains(run.Error, "ollama serve") {
		t.Fatalf("status %s, error %q; want failed: host unreachable, with how to start it", run.Status, run.Error)
	}
	if run.Summary.Samples != 0 || run.Summary.Faults != 1 || run.Summary.Retried[string(executor.FaultUnreachable)] != 2 {
		t.Errorf("summary: %d scored, %d faults, retried %v; want 0, 1, unreachable 2", run.Summary.Samples, run.Summary.Faults, run.Summary.Retried)
	}
}
