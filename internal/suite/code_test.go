package suite

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/benchmcp/benchmcp/internal/check"
)

// TestCodeExecReferences runs every code_exec check of the built-in suites
// through check.Compile and Evaluate twice: a correct answer (the task's
// exact answer, or testdata/reference/<suite>/<task>.py) must pass, and a
// stub that returns None must fail, so the tests are right and do test.
func TestCodeExecReferences(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("the code_exec tests need python3 on PATH (Debian: apt-get install python3); `make test` checks for it")
	}
	fnName := regexp.MustCompile(`(?m)^def (\w+)\(`)
	for _, name := range BuiltinNames() {
		s, _ := Builtin(name)
		for _, task := range s.Tasks {
			for i, spec := range task.Checks {
				if spec.Type != "code_exec" {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/%d", name, task.ID, i+1), func(t *testing.T) {
					t.Parallel()
					c, err := check.Compile(spec)
					if err != nil {
						t.Fatal(err)
					}
					var ref string
					if exact := specsOf(task, "exact"); len(exact) > 0 {
						ref = exact[0].Value
					} else {
						b, err := os.ReadFile(filepath.Join("testdata", "reference", name, task.ID+".py"))
						if err != nil {
							t.Fatalf("no reference solution: %v", err)
						}
						ref = string(b)
					}
					// As a chat model would answer: prose around a fenced block.
					answer := "Here is the function:\n\n```python\n" + ref + "\n```\n\nIt handles the edge cases."
					ctx := context.Background()
					if r := c.Evaluate(ctx, check.Answer{Task: task.Prompt, Output: answer}, check.Env{}); !r.Pass || r.Skipped {
						t.Errorf("reference answer fails: %+v", r)
					}
					m := fnName.FindStringSubmatch(ref)
					if m == nil {
						t.Fatal("reference defines no function")
					}
					stub := fmt.Sprintf("def %s(*args, **kwargs):\n    return None\n", m[1])
					if r := c.Evaluate(ctx, check.Answer{Task: task.Prompt, Output: stub}, check.Env{}); r.Pass || r.Skipped {
						t.Errorf("a stub returning None passes the tests: %+v", r)
					}
				})
			}
		}
	}
}
