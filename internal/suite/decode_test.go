package suite

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type spec struct {
		Models []string `json:"models"`
		Seeds  []int    `json:"seeds"`
	}
	for _, tc := range []struct {
		name, doc string
		want      string // in the error; "" for none
	}{
		{"yaml", "models: [tiny-s, tiny-m]\nseeds: [1, 2]\n", ""},
		{"json", `{"models": ["tiny-s"], "seeds": [3]}`, ""},
		{"unknown field", "models: [tiny-s]\ncolour: red\n", `unknown field "colour"`},
		{"two documents", "models: [a]\n---\nmodels: [b]\n", "a second YAML document"},
		{"alias bomb", bomb(), "expands to more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s spec
			err := Decode([]byte(tc.doc), &s)
			if tc.want == "" {
				if err != nil || len(s.Models) == 0 || len(s.Seeds) == 0 {
					t.Errorf("Decode = %+v, %v", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode: %v; want an error saying %q", err, tc.want)
			}
		})
	}
}

// bomb is a "billion laughs" document: each alias repeats the last ten times.
func bomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [\"" + strings.Repeat("x", 64) + "\"]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("models: [x]\n")
	return b.String()
}
