// Package check scores one model answer against the checks a task declares:
// exact, contains, regex, numeric, json_schema, word_count, tool_call,
// no_tool_call, code_exec and llm_judge.
package check

// Spec is one check as written in a suite file (JSON or YAML; YAML is decoded
// through JSON, so the json tags are the file format).
type Spec struct {
	// Type is one of exact, contains, regex, numeric, json_schema, word_count,
	// tool_call, no_tool_call, code_exec, llm_judge.
	Type string `json:"type" jsonschema:"check type: exact, contains, regex, numeric, json_schema, word_count, tool_call, no_tool_call, code_exec or llm_judge"`

	// Advisory checks are scored and reported but do not decide the sample's
	// pass/fail or score, e.g. an llm_judge run beside an exact check to
	// measure how often the judge agrees with it.
	Advisory bool `json:"advisory,omitempty" jsonschema:"report this check but leave it out of the sample's verdict and score"`

	// exact, contains: the expected text. numeric: may hold the number as text.
	Value string `json:"value,omitempty" jsonschema:"exact/contains: expected text"`
	// IgnoreCase makes exact, contains and regex case-insensitive.
	IgnoreCase bool `json:"ignore_case,omitempty" jsonschema:"exact/contains/regex: compare case-insensitively"`

	// regex: a Go (RE2) regular expression the answer must match.
	Pattern string `json:"pattern,omitempty" jsonschema:"regex: RE2 pattern the answer must match"`

	// numeric: the expected number and the absolute tolerance.
	Number    *float64 `json:"number,omitempty" jsonschema:"numeric: expected number"`
	Tolerance float64  `json:"tolerance,omitempty" jsonschema:"numeric: absolute tolerance (default 0)"`

	// json_schema: the JSON schema the answer (parsed as JSON) must satisfy.
	Schema map[string]any `json:"schema,omitempty" jsonschema:"json_schema: schema the answer must validate against"`

	// word_count: inclusive range of words; 0 means unbounded.
	MinWords int `json:"min_words,omitempty" jsonschema:"word_count: minimum words"`
	MaxWords int `json:"max_words,omitempty" jsonschema:"word_count: maximum words (0 = no maximum)"`

	// tool_call: the expected tool name and arguments (compared by value;
	// arguments not listed are not checked).
	Name      string         `json:"name,omitempty" jsonschema:"tool_call: expected tool name"`
	Arguments map[string]any `json:"arguments,omitempty" jsonschema:"tool_call: expected arguments, compared by value"`

	// code_exec: the answer's code is run, then Tests, in the runner of
	// harness, in a subprocess.
	Language string  `json:"language,omitempty" jsonschema:"code_exec: language of the answer (python)"`
	Tests    string  `json:"tests,omitempty" jsonschema:"code_exec: Python test code run after the answer's code, with its names; it fails by raising (assert) or by sys.exit with a non-zero status"`
	TimeoutS float64 `json:"timeout_s,omitempty" jsonschema:"code_exec: time limit in seconds, at most 3600 (default 10)"`

	// llm_judge: a judge model on Ollama scores the answer.
	Judge *JudgeSpec `json:"judge,omitempty" jsonschema:"llm_judge: judge model, prompt and rubric"`
}

// JudgeSpec configures an llm_judge check.
type JudgeSpec struct {
	// Model is the judge model on Ollama (e.g. tiny-judge, qwen2.5:14b).
	Model string `json:"model" jsonschema:"judge model on Ollama"`
	// Host is the named Ollama host the judge runs on, so that a big judge
	// can sit on its own machine; empty: the run's host.
	Host string `json:"host,omitempty" jsonschema:"named host of the judge (default: the run's host)"`
	// System is an optional system prompt for the judge.
	System string `json:"system,omitempty" jsonschema:"judge system prompt"`
	// Prompt is a Go text/template for the judge's user message, with
	// {{.Task}}, {{.Answer}}, {{.Rubric}} and {{.Reference}}. Empty: a default
	// that asks for JSON scores per rubric criterion, or, without a rubric,
	// "Task: ...\nAnswer: ...\nGrade the answer from 0 to 10."
	Prompt string `json:"prompt,omitempty" jsonschema:"Go text/template for the judge message; fields .Task .Answer .Rubric .Reference"`
	// Rubric lists weighted criteria; the score is their weighted mean.
	Rubric []Criterion `json:"rubric,omitempty" jsonschema:"weighted criteria"`
	// Reference is an optional reference answer shown to the judge.
	Reference string `json:"reference,omitempty" jsonschema:"reference answer shown to the judge"`
	// MaxScore is the top of the judge's scale (default 10).
	MaxScore float64 `json:"max_score,omitempty" jsonschema:"top of the judge's scale (default 10)"`
	// PassScore is the normalised score in [0,1] needed to pass (default 0.5).
	PassScore float64 `json:"pass_score,omitempty" jsonschema:"normalised score needed to pass (default 0.5)"`
}

// Criterion is one weighted rubric line, e.g. {"name": "completeness", "weight": 30}.
type Criterion struct {
	Name        string  `json:"name" jsonschema:"criterion name"`
	Weight      float64 `json:"weight" jsonschema:"relative weight"`
	Description string  `json:"description,omitempty" jsonschema:"what the judge should look for"`
}
