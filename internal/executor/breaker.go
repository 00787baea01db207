package executor

// Breaker stops runaway generation: a cap on output tokens and a detector of
// repetition loops on the streamed text.
type Breaker struct {
	// MaxTokens caps the streamed output tokens (0 = no cap).
	MaxTokens int
	// Repetition enables the loop detector.
	Repetition bool
	// MinSpan is how many trailing characters a repeated unit must cover to
	// count as a loop (default 160). MaxPeriod is the longest unit looked for
	// (default 80 characters). MinRepeats is the fewest repeats (default 4).
	MinSpan, MaxPeriod, MinRepeats int
}

// DefaultBreaker trips on loops only; the token cap is set per call.
var DefaultBreaker = Breaker{Repetition: true}

func (b Breaker) limits() (span, period, repeats int) {
	span, period, repeats = b.MinSpan, b.MaxPeriod, b.MinRepeats
	if span <= 0 {
		span = 160
	}
	if period <= 0 {
		period = 80
	}
	if repeats <= 0 {
		repeats = 4
	}
	return span, period, repeats
}

// Looping reports whether text ends in a unit repeated back to back at least
// MinRepeats times over at least MinSpan characters.
func (b Breaker) Looping(text string) bool {
	span, maxPeriod, minRepeats := b.limits()
	n := len(text)
	if n < span {
		return false
	}
	for p := 1; p <= maxPeriod && p*minRepeats <= n; p++ {
		need := max(span, p*minRepeats)
		if need > n {
			continue
		}
		// The last `need` bytes are periodic with period p when every byte
		// equals the one p bytes before it.
		periodic := true
		for i := n - need + p; i < n; i++ {
			if text[i] != text[i-p] {
				periodic = false
				break
			}
		}
		if periodic {
			return true
		}
	}
	return false
}
