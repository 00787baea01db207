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

// ErrSuiteNotFound means no suite is stored under the given content hash.
var ErrSuiteNotFound = errors.New("suite not found")

type storedSuite struct {
	Name    string `json:"name"`
	Content []byte `json:"content"`
}

// PutSuite keeps the text of a suite under its content hash, so that a run's
// SuiteHash always leads back to exactly what was run.
func (s *Store) PutSuite(hash, name string, content []byte) error {
	if err := s.writable("put suite"); err != nil {
		return err
	}
	if hash == "" {
		return fmt.Errorf("put suite %s: empty hash", name)
	}
	v, err := json.Marshal(storedSuite{name, content})
	if err != nil {
		return err
	}
	err = s.write(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSuites).Put([]byte(hash), v)
	})
	if err != nil {
		return fmt.Errorf("put suite %s (%s): %w", name, hash, err)
	}
	return nil
}

// Suite returns the suite stored under hash, or ErrSuiteNotFound.
func (s *Store) Suite(hash string) (name string, content []byte, err error) {
	var st storedSuite
	err = s.read(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSuites).Get([]byte(hash))
		if v == nil {
			return ErrSuiteNotFound
		}
		return unmarshal(v, &st)
	})
	if err != nil {
		return "", nil, fmt.Errorf("suite %s: %w", hash, err)
	}
	return st.Name, st.Content, nil
}

// PutRouteDecision records a routing decision. A decision without an ID is
// added and given one ("d" and a counter, e.g. d42); one with an ID replaces
// the stored one, which is how its outcome is recorded later. A zero Time is
// set to now.
func (s *Store) PutRouteDecision(d *record.RouteDecision) error {
	if err := s.writable("put route decision"); err != nil {
		return err
	}
	if d.Time.IsZero() {
		d.Time = s.now()
	}
	err := s.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRoutes)
		var n uint64
		if d.ID == "" {
			var err error
			if n, err = b.NextSequence(); err != nil {
				return err
			}
			d.ID = "d" + strconv.FormatUint(n, 10)
		} else {
			var err error
			n, err = strconv.ParseUint(strings.TrimPrefix(d.ID, "d"), 10, 64)
			if err != nil || !strings.HasPrefix(d.ID, "d") || b.Get(u64(n)) == nil {
				return fmt.Errorf("no stored decision has ID %q; leave ID empty to add one", d.ID)
			}
		}
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return b.Put(u64(n), v)
	})
	if err != nil {
		return fmt.Errorf("put route decision: %w", err)
	}
	return nil
}

// RouteDecisions returns up to limit decisions, newest first; 0 means all.
func (s *Store) RouteDecisions(limit int) ([]record.RouteDecision, error) {
	var out []record.RouteDecision
	err := s.read(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRoutes).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var d record.RouteDecision
			if err := unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode decision %x: %w", k, err)
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("route decisions: %w", err)
	}
	return out, nil
}

// GetRouteDecision returns the stored decision with this ID.
func (s *Store) GetRouteDecision(id string) (record.RouteDecision, error) {
	var d record.RouteDecision
	n, err := strconv.ParseUint(strings.TrimPrefix(id, "d"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "d") {
		return d, fmt.Errorf("no stored decision has ID %q (ids look like d42; route_task returns one as decision_id)", id)
	}
	err = s.read(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRoutes).Get(u64(n))
		if v == nil {
			return fmt.Errorf("no stored decision has ID %q (route_task returns one as decision_id)", id)
		}
		return unmarshal(v, &d)
	})
	return d, err
}
