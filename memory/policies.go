package memory

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// ErrPolicyNotFound is returned for a routing evaluation ID that is not stored.
var ErrPolicyNotFound = errors.New("routing policy not found")

// PutRoutingPolicy stores a routing evaluation and gives it an ID ("p" and
// a counter, e.g. p3). A zero Time is set to now.
func (s *Store) PutRoutingPolicy(p *record.RoutingPolicy) error {
	if err := s.writable("put routing policy"); err != nil {
		return err
	}
	if p.Time.IsZero() {
		p.Time = s.now()
	}
	err := s.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPolicies)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		p.ID = "p" + strconv.FormatUint(n, 10)
		v, err := json.Marshal(p)
		if err != nil {
			return err
		}
		return b.Put(u64(n), v)
	})
	if err != nil {
		p.ID = ""
		return fmt.Errorf("put routing policy: %w", err)
	}
	return nil
}

// GetRoutingPolicy returns the stored evaluation with this ID.
func (s *Store) GetRoutingPolicy(id string) (record.RoutingPolicy, error) {
	var p record.RoutingPolicy
	n, err := strconv.ParseUint(strings.TrimPrefix(id, "p"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "p") {
		return p, fmt.Errorf("routing policy %q: %w (ids look like p3)", id, ErrPolicyNotFound)
	}
	err = s.read(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPolicies).Get(u64(n))
		if v == nil {
			return ErrPolicyNotFound
		}
		return unmarshal(v, &p)
	})
	if err != nil {
		return p, fmt.Errorf("routing policy %s: %w", id, err)
	}
	return p, nil
}

// RoutingPolicies returns the stored evaluations, newest first, those for
// which keep returns true (all with a nil keep), up to limit (0: all).
func (s *Store) RoutingPolicies(limit int, keep func(record.RoutingPolicy) bool) ([]record.RoutingPolicy, error) {
	var out []record.RoutingPolicy
	err := s.read(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketPolicies).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var p record.RoutingPolicy
			if err := unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode routing policy %x: %w", k, err)
			}
			if keep == nil || keep(p) {
				out = append(out, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("routing policies: %w", err)
	}
	return out, nil
}
