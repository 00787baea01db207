package sweep

import (
	"fmt"
	"math"
	"sync"

	"github.com/benchmcp/benchmcp/internal/bench"
	"github.com/benchmcp/benchmcp/internal/record"
)

// EarlyStop stops cells that are clearly worse than another cell before
// they finish, by a sequential test with a stated error rate.
//
// A cell is looked at every Every samples it makes. At a look it is paired
// with every other cell on the (task, iteration) jobs both have done; per
// task the difference of their pass rates on those jobs gives a sign: worse,
// better or tied. The cell stops when, against some other cell, the
// one-sided exact sign test of "worse on more tasks than better" gives
// p <= Alpha / (looks x (cells - 1)), where looks is the most looks a cell
// can have. That Bonferroni bound over every look and every comparison
// keeps the chance that any cell which is in truth no worse than all the
// others gets stopped at or below Alpha: conservative, and needing no
// assumption about how the looks depend on each other. Tasks are the unit;
// iterations of a task are averaged, never counted as evidence of their own.
// Only pass rates decide: a stopped cell is out of the running for the best
// cell on every objective, speed included.
type EarlyStop struct {
	Every int     `json:"every,omitempty" jsonschema:"check every N samples (default 10)"`
	Alpha float64 `json:"alpha,omitempty" jsonschema:"false-stop rate (default 0.05)"`
}

// Defaults of EarlyStop.
const (
	DefaultStopEvery = 10
	DefaultStopAlpha = 0.05
)

// Check fills the defaults and refuses what cannot work.
func (e *EarlyStop) Check() error {
	if e.Every == 0 {
		e.Every = DefaultStopEvery
	}
	if e.Alpha == 0 {
		e.Alpha = DefaultStopAlpha
	}
	if e.Every < 2 {
		return fmt.Errorf("early_stop.every %d is too small; look after 2 or more samples (default %d)", e.Every, DefaultStopEvery)
	}
	if e.Alpha <= 0 || e.Alpha >= 0.5 {
		return fmt.Errorf("early_stop.alpha %g is out of range; use a small error rate such as 0.05", e.Alpha)
	}
	return nil
}

type jobKey struct {
	task string
	it   int
}

type stopper struct {
	cfg      EarlyStop
	looks    int // the most looks any cell can have
	mu       sync.Mutex
	sessions []*bench.Session
	pass     map[*bench.Session]map[jobKey]bool
	why      map[*bench.Session]string
}

func newStopper(cfg EarlyStop, sessions []*bench.Session) *stopper {
	s := &stopper{cfg: cfg, sessions: sessions, pass: map[*bench.Session]map[jobKey]bool{}, why: map[*bench.Session]string{}}
	for _, sess := range sessions {
		s.looks = max(s.looks, (sess.Total()+cfg.Every-1)/cfg.Every)
		m := map[jobKey]bool{}
		for _, smp := range sess.Samples() { // a resumed cell's earlier samples count
			m[jobKey{smp.TaskID, smp.Iteration}] = smp.Pass
		}
		s.pass[sess] = m
	}
	return s
}

// observe records a sample and, at a look, tests its cell; it returns how
// many jobs the cell will now not make (0 unless it stopped).
func (s *stopper) observe(sess *bench.Session, smp record.Sample) int {
	if smp.Fault != nil { // no verdict: the machine failed it
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := s.pass[sess]
	mine[jobKey{smp.TaskID, smp.Iteration}] = smp.Pass
	if len(mine)%s.cfg.Every != 0 || s.why[sess] != "" || len(s.sessions) < 2 {
		return 0
	}
	threshold := s.cfg.Alpha / float64(s.looks*(len(s.sessions)-1))
	for _, other := range s.sessions {
		if other == sess {
			continue
		}
		worse, better := signs(mine, s.pass[other])
		if p := signTestUpper(worse, worse+better); p <= threshold {
			s.why[sess] = fmt.Sprintf("after %d samples: worse than %s on %d tasks, better on %d (one-sided sign test p = %.2g <= %.2g = alpha %.2g / (%d looks x %d comparisons))",
				len(mine), other.Config().Label, worse, better, p, threshold, s.cfg.Alpha, s.looks, len(s.sessions)-1)
			return len(sess.Jobs())
		}
	}
	return 0
}

// signs counts the tasks on which a's pass rate, over the jobs both did, is
// below b's and above it.
func signs(a, b map[jobKey]bool) (worse, better int) {
	type acc struct{ a, b, n float64 }
	per := map[string]*acc{}
	for k, pa := range a {
		pb, ok := b[k]
		if !ok {
			continue
		}
		t := per[k.task]
		if t == nil {
			t = &acc{}
			per[k.task] = t
		}
		t.a += b2f(pa)
		t.b += b2f(pb)
		t.n++
	}
	for _, t := range per {
		switch {
		case t.a < t.b:
			worse++
		case t.a > t.b:
			better++
		}
	}
	return worse, better
}

// signTestUpper is P(X >= k) for X ~ Binomial(n, 1/2): the one-sided p of
// seeing k or more "worse" signs among n untied tasks if the two cells
// were in truth alike.
func signTestUpper(k, n int) float64 {
	if n == 0 || k == 0 {
		return 1
	}
	p := 0.0
	for i := k; i <= n; i++ {
		lc, _ := math.Lgamma(float64(n + 1))
		l1, _ := math.Lgamma(float64(i + 1))
		l2, _ := math.Lgamma(float64(n - i + 1))
		p += math.Exp(lc - l1 - l2 - float64(n)*math.Ln2)
	}
	return min(p, 1)
}

func (s *stopper) stopped(sess *bench.Session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.why[sess] != ""
}

func (s *stopper) reason(sess *bench.Session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.why[sess]
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
