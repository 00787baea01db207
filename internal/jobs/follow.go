package jobs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/benchmcp/benchmcp/internal/record"
)

// Follow relays job id's progress to send until the job leaves this
// process (it ended, or was interrupted) or ctx ends. After heartbeat
// without progress it sends the job's state again ("still running: ..."; a
// queued job says its place in the queue, a waiting one which host it
// waits for), so that a client whose host
// resets its timeout on progress keeps waiting. It returns nil when the job
// left, ctx's error when ctx ended first (the job goes on).
func (m *Manager) Follow(ctx context.Context, id string, heartbeat time.Duration, send func(done, total int, msg string)) error {
	var mu sync.Mutex
	last, lastTotal, lastMsg, lastSent := 0, 0, "", time.Now()
	relay := func(done, total int, msg string) {
		mu.Lock()
		last, lastTotal, lastMsg, lastSent = done, total, msg, time.Now()
		mu.Unlock()
		send(done, total, msg)
	}
	unsubscribe := m.Subscribe(id, relay)
	defer unsubscribe()
	ended := m.Ended(id)
	if ended == nil {
		return nil
	}
	tick := time.NewTicker(heartbeat / 2)
	defer tick.Stop()
	for {
		select {
		case <-ended:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			mu.Lock()
			quiet := time.Since(lastSent) >= heartbeat
			d, t, msg := last, lastTotal, lastMsg
			mu.Unlock()
			if !quiet {
				continue
			}
			text := ""
			if st, err := m.Get(id); err == nil {
				d, t = st.Done, st.Total
				switch st.Status {
				case record.JobQueued:
					msg = fmt.Sprintf("job %s queued (position %d on host %s)", id, st.QueuePosition, st.Host)
				case record.JobWaiting:
					text = "waiting: " + st.Message // which host is down, since when
				}
			}
			if text == "" {
				text = strings.TrimSpace("still running: " + msg)
			}
			relay(d, max(t, d+1), text)
		}
	}
}

// Idle waits until this process has no live job (queued or running) left,
// or ctx ends (then it returns ctx's error and the jobs go on until
// Shutdown).
func (m *Manager) Idle(ctx context.Context) error {
	for {
		live := m.Live()
		if len(live) == 0 {
			return nil
		}
		ended := m.Ended(live[0].ID)
		if ended == nil { // it ended in between
			continue
		}
		select {
		case <-ended:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
