package main

import (
	"testing"

	"github.com/benchmcp/benchmcp/tools"
	"github.com/google/go-cmp/cmp"
)

func TestParseVariant(t *testing.T) {
	cases := []struct {
		spec    string
		want    tools.CompareVariant
		wantErr bool
	}{
		{"model=tiny-m", tools.CompareVariant{Model: "tiny-m"}, false},
		{"label=m-concise,model=tiny-m,preamble=concise", tools.CompareVariant{Label: "m-concise", Model: "tiny-m", Preamble: "concise"}, false},
		{"model=tiny-m,preamble=Be brief, exact, and plain.,label=x", tools.CompareVariant{Label: "x", Model: "tiny-m", Preamble: "Be brief, exact, and plain."}, false},
		{"label=x", tools.CompareVariant{}, true},
		{"tiny-m", tools.CompareVariant{}, true},
		{"model=tiny-m,colour=red", tools.CompareVariant{}, true},
	}
	for _, c := range cases {
		got, err := parseVariant(c.spec)
		if c.wantErr {
			if err == nil {
				t.Errorf("%q: no error", c.spec)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
		} else if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%q (-want +got)\n%s", c.spec, diff)
		}
	}
}
