package memory

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/benchmcp/benchmcp/internal/record"
)

func TestRoutingPolicies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s := openTest(t, path, Options{})
	th := 0.8
	for _, target := range []string{"tiny-s@local", "tiny-m@local"} {
		p := record.RoutingPolicy{Suite: "tiny", SuiteHash: "h", Within: 0.02,
			Candidates:  []record.RoutingCandidate{{Model: "tiny-s", Host: "local"}, {Model: "tiny-m", Host: "local"}},
			Recommended: record.RoutingSpec{Policy: "evidence", Threshold: &th, Categories: map[string]string{"sort": target}}}
		if err := s.PutRoutingPolicy(&p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetRoutingPolicy("p1")
	if err != nil || got.Recommended.Categories["sort"] != "tiny-s@local" || got.Time.IsZero() {
		t.Fatalf("GetRoutingPolicy(p1) = %+v, %v", got, err)
	}
	if _, err := s.GetRoutingPolicy("p9"); !errors.Is(err, ErrPolicyNotFound) {
		t.Errorf("GetRoutingPolicy(p9) error %v, want ErrPolicyNotFound", err)
	}
	if _, err := s.GetRoutingPolicy("r1"); !errors.Is(err, ErrPolicyNotFound) {
		t.Errorf("GetRoutingPolicy(r1) error %v, want ErrPolicyNotFound", err)
	}
	all, err := s.RoutingPolicies(0, func(p record.RoutingPolicy) bool { return p.Suite == "tiny" })
	if err != nil || len(all) != 2 || all[0].ID != "p2" {
		t.Fatalf("RoutingPolicies = %+v, %v; want p2 then p1", all, err)
	}
	s.Close()
	ro := openTest(t, path, Options{ReadOnly: true})
	if ps, err := ro.RoutingPolicies(1, nil); err != nil || len(ps) != 1 || ps[0].ID != "p2" {
		t.Errorf("read-only RoutingPolicies(1) = %+v, %v", ps, err)
	}
	if err := ro.PutRoutingPolicy(&record.RoutingPolicy{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only put: %v, want ErrReadOnly", err)
	}
}
