package suite

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/benchmcp/benchmcp/internal/confine"
)

// Roots are the directories suite files may be read from. Nil allows any
// path: the CLI and stdio, where the caller is the user. The MCP server
// over HTTP or SSE sets them, so that a client cannot make it read files
// elsewhere on the machine.
type Roots []string

// Allow returns nil when ref is a built-in suite or a file inside one of
// the roots once symlinks are resolved; otherwise an error saying how to
// allow it. It is checked before the file is opened, so that a refusal
// does not tell whether a file outside exists.
func (r Roots) Allow(ref string) error {
	if r == nil {
		return nil
	}
	if _, ok := Builtin(ref); ok {
		return nil
	}
	p, err := confine.Real(ref)
	if err != nil {
		return fmt.Errorf("suite file %s: %w", ref, err)
	}
	var shown []string
	for _, root := range r {
		real, err := confine.Real(root)
		if err != nil {
			continue
		}
		if confine.Within(real, p) {
			return nil
		}
		shown = append(shown, filepath.Clean(root))
	}
	if len(shown) == 0 {
		return fmt.Errorf("suite file %s refused: this server reads suite files from no directory; start it with --suite-root DIR (env BENCHMCP_SUITE_ROOTS), or pass the tasks inline or a built-in suite (%s)", ref, strings.Join(BuiltinNames(), ", "))
	}
	return fmt.Errorf("suite file %s is outside the suite roots of this server (%s); put it there, start the server with --suite-root DIR (env BENCHMCP_SUITE_ROOTS) for its directory, or pass the tasks inline", ref, strings.Join(shown, ", "))
}
