package bench

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Where a run's per-iteration seeds came from.
const (
	// SeedsGiven: the caller listed one seed per iteration.
	SeedsGiven = "given"
	// SeedsDerived: iteration i's seed is derived from a base seed.
	SeedsDerived = "derived"
	// SeedsDrawn: nothing was given, so fresh seeds were drawn and recorded.
	SeedsDrawn = "drawn"
	// SeedsPinned: options.seed pins every iteration to one seed, so the
	// iterations replay the same sample and add no information.
	SeedsPinned = "pinned"
)

// MaxSeed is the largest seed accepted. Ollama passes the seed to the
// sampler as a 32-bit value; keeping to 31 bits leaves no room for a
// sign or width surprise, and -1 (a fresh random seed per call, which
// cannot be replayed) is refused.
const MaxSeed = math.MaxInt32

// SeedPlan is the seed of every iteration of a run: iteration i (1-based)
// runs with Seeds[i-1]. Every variant of a comparison gets the same plan,
// so variants sample alike at the same iteration (paired sampling).
type SeedPlan struct {
	Mode  string `json:"mode" jsonschema:"given, derived (from a base seed), drawn (fresh, recorded) or pinned (options.seed: every iteration replays one seed)"`
	Base  *int   `json:"base,omitempty" jsonschema:"the base seed, for derived"`
	Seeds []int  `json:"seeds" jsonschema:"one seed per iteration, in order"`
}

// Replays reports whether the iterations repeat one seed: with a fixed seed
// Ollama replays the same sample, so such iterations are not new samples.
func (p SeedPlan) Replays() bool { return p.Mode == SeedsPinned && len(p.Seeds) > 1 }

// PlanSeeds resolves the seed arguments of a run into one seed per
// iteration: a list (its length must be iterations), a base seed from which
// each iteration derives its own, or neither, in which case fresh seeds are
// drawn. A seed in options pins every iteration; it cannot be combined with
// seed or seeds. Problems come back as *InputError saying what to give.
func PlanSeeds(iterations int, base *int, list []int, options map[string]any) (SeedPlan, error) {
	if iterations < 1 || iterations > MaxIterations {
		return SeedPlan{}, inputErrorf("iterations %d is out of range; use 1 to %d", iterations, MaxIterations)
	}
	pinned, hasPin, err := OptionSeed(options)
	if err != nil {
		return SeedPlan{}, &InputError{err}
	}
	switch {
	case base != nil && list != nil:
		return SeedPlan{}, inputErrorf("give either seed (a base from which each iteration derives its own) or seeds (one per iteration), not both")
	case hasPin && (base != nil || list != nil):
		return SeedPlan{}, inputErrorf("options.seed %d pins every iteration to one seed, which conflicts with seed/seeds; drop options.seed to give each iteration its own seed, or drop seed/seeds to replay one", pinned)
	case list != nil && len(list) != iterations:
		return SeedPlan{}, inputErrorf("seeds has %d values but iterations is %d; give one seed per iteration, or leave iterations out to run len(seeds) iterations", len(list), iterations)
	}
	for i, s := range list {
		if err := checkSeed(s); err != nil {
			return SeedPlan{}, inputErrorf("seeds[%d]: %v", i, err)
		}
	}
	if base != nil {
		if err := checkSeed(*base); err != nil {
			return SeedPlan{}, inputErrorf("seed: %v", err)
		}
	}
	plan := SeedPlan{Seeds: make([]int, iterations)}
	switch {
	case hasPin:
		plan.Mode = SeedsPinned
		for i := range plan.Seeds {
			plan.Seeds[i] = pinned
		}
	case list != nil:
		plan.Mode = SeedsGiven
		copy(plan.Seeds, list)
	case base != nil:
		plan.Mode, plan.Base = SeedsDerived, base
		for i := range plan.Seeds {
			plan.Seeds[i] = DeriveSeed(*base, i+1)
		}
	default:
		plan.Mode = SeedsDrawn
		for i := range plan.Seeds {
			plan.Seeds[i] = drawSeed()
		}
	}
	return plan, nil
}

func checkSeed(s int) error {
	if s < 0 || s > MaxSeed {
		return fmt.Errorf("%d is not a seed from 0 to %d (a negative seed makes Ollama draw a new one on every call, which cannot be replayed); give e.g. 42, or leave seeds out to have them drawn and recorded", s, MaxSeed)
	}
	return nil
}

// DeriveSeed is iteration i's seed (1-based) of a run with the given base:
// a SplitMix64 hash of (base, i) folded into 31 bits, so that two bases
// close together (42 and 43) do not share seeds at neighbouring iterations.
func DeriveSeed(base, iteration int) int {
	z := uint64(base)*0x9e3779b97f4a7c15 + uint64(iteration)*0xbf58476d1ce4e5b9
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z & MaxSeed)
}

// drawSeed is a fresh random seed in [1, MaxSeed].
func drawSeed() int {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("bench: read random seed: %v", err)) // crypto/rand does not fail on Linux
	}
	return int(binary.LittleEndian.Uint64(b[:])%MaxSeed) + 1
}

// OptionSeed reads options.seed: its value, whether it is set, and an error
// when it is not a whole number from 0 to MaxSeed.
func OptionSeed(options map[string]any) (seed int, ok bool, err error) {
	v, ok := options["seed"]
	if !ok {
		return 0, false, nil
	}
	s, err := seedValue(v)
	if err != nil {
		return 0, true, fmt.Errorf("options.seed: %w", err)
	}
	if err := checkSeed(s); err != nil {
		return 0, true, fmt.Errorf("options.seed: %w", err)
	}
	return s, true, nil
}

// seedValue reads a seed from a decoded JSON value.
func seedValue(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32*2.0 {
			return 0, fmt.Errorf("%v is not an integer; give a whole number such as 42", x)
		}
		return int(x), nil
	case json.Number:
		if n, err := strconv.Atoi(x.String()); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(x.String(), 64)
		if err != nil {
			return 0, fmt.Errorf("%s is not an integer; give a whole number such as 42", x)
		}
		return seedValue(f)
	}
	return 0, fmt.Errorf("%v (%T) is not an integer; give a whole number such as 42", v, v)
}

// Seed is a seed argument of a tool: it decodes any JSON number and says
// plainly when one is not a whole number, instead of a decoder's message.
type Seed int

// UnmarshalJSON accepts a whole number.
func (s *Seed) UnmarshalJSON(b []byte) error {
	text := strings.TrimSpace(string(b))
	var v any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("seed %s is not a number; give a whole number such as 42", text)
	}
	n, ok := v.(json.Number)
	if !ok {
		return fmt.Errorf("seed %s is not a number; give a whole number such as 42", text)
	}
	i, err := seedValue(n)
	if err != nil {
		return errors.New("seed " + err.Error())
	}
	*s = Seed(i)
	return nil
}

// Ints converts seed arguments to ints; nil stays nil.
func Ints(seeds []Seed) []int {
	if seeds == nil {
		return nil
	}
	out := make([]int, len(seeds))
	for i, s := range seeds {
		out[i] = int(s)
	}
	return out
}
