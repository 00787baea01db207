package suite

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// builtinFS holds the built-in suites, one YAML file each, named after the suite.
//
//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtin returns the built-in suite with the given name. Each call parses
// a fresh copy, so callers may change what they get.
func Builtin(name string) (Suite, bool) {
	if name == "" || strings.ContainsAny(name, `/\.`) {
		return Suite{}, false
	}
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return Suite{}, false
	}
	s, err := Parse(data, name)
	if err != nil {
		// The built-in suites are tested; this is a bug in the binary.
		panic(fmt.Sprintf("built-in suite %s: %v", name, err))
	}
	return s, true
}

// BuiltinNames returns the names of the built-in suites, sorted.
func BuiltinNames() []string {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		panic(err) // embedded at build time
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, path.Base(name))
		}
	}
	slices.Sort(names)
	return names
}
