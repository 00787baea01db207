package jobs

import "time"

// Quicken shortens the pauses of the job layer (retries of a job's end, the
// polls of a waiting job's host) for a test, until the returned func is
// called.
func Quicken() (restore func()) {
	end, first, most := endBackoff, hostPollFirst, hostPollMax
	endBackoff = []time.Duration{time.Millisecond, time.Millisecond}
	hostPollFirst, hostPollMax = 10*time.Millisecond, 50*time.Millisecond
	return func() { endBackoff, hostPollFirst, hostPollMax = end, first, most }
}
