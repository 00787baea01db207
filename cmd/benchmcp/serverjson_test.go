package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/benchmcp/benchmcp/internal/ollamaproc"
)

// TestServerJSON validates the repository's MCP registry entry
// (server.json) against the registry's published schema, vendored in
// testdata/registry, and checks what the schema cannot: a package for each
// platform .goreleaser.yaml builds, at the entry's version, and
// environment variables that benchmcp really reads (named in its flags'
// help), each with a description. The release's own entry
// (scripts/release/mcpb: the same with each bundle's SHA-256) is checked by
// make release-snapshot.
func TestServerJSON(t *testing.T) {
	root, err := ollamaproc.Root()
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(read("testdata/registry/server.schema.json")))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := schemaDoc.(map[string]any)["$id"].(string)
	c := jsonschema.NewCompiler()
	if err := c.AddResource(id, schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(read("server.json")))
	if err != nil {
		t.Fatalf("server.json: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("server.json does not validate against the registry's schema:\n%v", err)
	}
	entry := doc.(map[string]any)
	if entry["$schema"] != id {
		t.Errorf("server.json names schema %v; the vendored one is %s", entry["$schema"], id)
	}

	// Every variable is one benchmcp reads: named in a flag's help in
	// cmd/benchmcp ("env NAME", or OLLAMA_HOST as the hosts' default).
	var help strings.Builder
	files, _ := filepath.Glob(filepath.Join(root, "cmd/benchmcp/*.go"))
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			help.Write(read(strings.TrimPrefix(f, root+"/")))
		}
	}
	version := entry["version"].(string)
	var platforms []string
	for _, p := range entry["packages"].([]any) {
		pkg := p.(map[string]any)
		ident, _ := pkg["identifier"].(string)
		if pkg["version"] != version || !strings.Contains(ident, "/v"+version+"/") {
			t.Errorf("package %s is not at the entry's version %s", ident, version)
		}
		for _, os := range []string{"linux", "darwin"} {
			for _, arch := range []string{"amd64", "arm64"} {
				if strings.HasSuffix(ident, "_"+os+"_"+arch+".mcpb") {
					platforms = append(platforms, os+"/"+arch)
				}
			}
		}
		for _, e := range pkg["environmentVariables"].([]any) {
			v := e.(map[string]any)
			name := v["name"].(string)
			if d, _ := v["description"].(string); d == "" {
				t.Errorf("environment variable %s has no description", name)
			}
			if !strings.Contains(help.String(), "env "+name) && !strings.Contains(help.String(), "default "+name) && !strings.Contains(help.String(), "at "+name) {
				t.Errorf("server.json lists %s, which no flag of cmd/benchmcp names", name)
			}
		}
	}
	slices.Sort(platforms)
	if want := []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
		t.Errorf("server.json has packages for %v; .goreleaser.yaml builds %v", platforms, want)
	}
}
