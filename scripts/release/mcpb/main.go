// Command mcpb turns a goreleaser dist/ into MCP bundles and the MCP
// registry entry of the release:
//
//	cd scripts/release && go run ./mcpb -dist ../../dist
//
// For every benchmcp binary goreleaser built it writes
// dist/benchmcp_<version>_<os>_<arch>.mcpb (an MCP bundle: a zip of
// manifest.json, server/benchmcp and the README; Claude Desktop installs
// it in one click) and adds its SHA-256 to dist/checksums.txt. It then
// writes dist/server.json: the repository's server.json with this
// release's version and one mcpb package per bundle (its download URL on
// the release and its fileSha256, which the registry requires), and
// validates it against the registry's schema (testdata/registry).
//
// Publishing: upload dist/*.mcpb and dist/checksums.txt to the release
// (`gh release upload v<version> dist/*.mcpb dist/checksums.txt --clobber`),
// then `mcp-publisher publish dist/server.json`.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func main() {
	dist := flag.String("dist", "dist", "goreleaser's dist directory")
	root := flag.String("root", "../..", "the benchmcp checkout (server.json, README.md, testdata/registry)")
	flag.Parse()
	if err := run(*dist, *root); err != nil {
		fmt.Fprintln(os.Stderr, "mcpb:", err)
		os.Exit(1)
	}
}

// artifact is an entry of goreleaser's dist/artifacts.json.
type artifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Goos   string `json:"goos"`
	Goarch string `json:"goarch"`
	Type   string `json:"type"`
}

// metadata is goreleaser's dist/metadata.json.
type metadata struct {
	Tag     string `json:"tag"`
	Version string `json:"version"`
}

func run(dist, root string) error {
	var meta metadata
	if err := readJSON(filepath.Join(dist, "metadata.json"), &meta); err != nil {
		return fmt.Errorf("%w (run goreleaser first: make release-snapshot)", err)
	}
	var arts []artifact
	if err := readJSON(filepath.Join(dist, "artifacts.json"), &arts); err != nil {
		return err
	}
	var entry map[string]any
	if err := readJSON(filepath.Join(root, "server.json"), &entry); err != nil {
		return err
	}
	pkgs, _ := entry["packages"].([]any)
	tmpl, ok := firstOf(pkgs)
	if !ok {
		return errors.New("server.json has no package to copy the transport and environment variables from")
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return err
	}
	repo := strings.TrimSuffix(fmt.Sprint(entry["websiteUrl"]), "/")
	tag := meta.Tag
	if tag == "" || tag == "v0.0.0" {
		tag = "v" + meta.Version
	}

	var packages []any
	var sums []string
	for _, a := range arts {
		if a.Type != "Binary" || a.Name != "benchmcp" {
			continue
		}
		name := fmt.Sprintf("benchmcp_%s_%s_%s.mcpb", meta.Version, a.Goos, a.Goarch)
		bin, err := os.ReadFile(filepath.Join(root, a.Path)) // relative to the checkout
		if err != nil {
			return fmt.Errorf("read the %s/%s binary: %w", a.Goos, a.Goarch, err)
		}
		bundle, err := bundleZip(manifest(meta.Version, a.Goos), bin, readme)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dist, name), bundle, 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(bundle)
		hexSum := hex.EncodeToString(sum[:])
		sums = append(sums, hexSum+"  "+name)
		p := maps.Clone(tmpl) // its transport and environment variables; the rest is this bundle's
		p["identifier"] = repo + "/releases/download/" + tag + "/" + name
		p["version"] = meta.Version
		p["fileSha256"] = hexSum
		packages = append(packages, p)
		fmt.Printf("%s  %s (%d bytes)\n", hexSum, name, len(bundle))
	}
	if len(packages) == 0 {
		return errors.New("dist/artifacts.json lists no benchmcp binary: did goreleaser build?")
	}
	slices.Sort(sums)
	f, err := os.OpenFile(filepath.Join(dist, "checksums.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("%w (goreleaser writes it)", err)
	}
	_, err = io.WriteString(f, strings.Join(sums, "\n")+"\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}

	entry["version"] = meta.Version
	entry["packages"] = packages
	out, err := json.MarshalIndent(entry, "", "  ")
	if err != nil {
		return err
	}
	if err := validate(filepath.Join(root, "testdata/registry/server.schema.json"), out); err != nil {
		return fmt.Errorf("the registry entry does not validate: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dist, "server.json"), append(out, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d mcpb packages, version %s, valid against the registry's schema\n", filepath.Join(dist, "server.json"), len(packages), meta.Version)
	return nil
}

// firstOf is the first package of the repository's entry, as an object.
func firstOf(pkgs []any) (map[string]any, bool) {
	if len(pkgs) == 0 {
		return nil, false
	}
	p, ok := pkgs[0].(map[string]any)
	return p, ok
}

// manifest is the bundle's manifest.json (MCPB manifest 0.3): a binary
// server started as `benchmcp serve` over stdio, with the Ollama host as
// its one setting.
func manifest(version, goos string) map[string]any {
	return map[string]any{
		"manifest_version": "0.3",
		"name":             "benchmcp",
		"display_name":     "benchmcp",
		"version":          version,
		"description":      "Benchmark local language models (Ollama, OpenAI-compatible): runs, comparisons, sweeps.",
		"author":           map[string]any{"name": "benchmcp", "url": "https://github.com/benchmcp/benchmcp"},
		"repository":       map[string]any{"type": "git", "url": "https://github.com/benchmcp/benchmcp"},
		"homepage":         "https://github.com/benchmcp/benchmcp",
		"server": map[string]any{
			"type":        "binary",
			"entry_point": "server/benchmcp",
			"mcp_config": map[string]any{
				"command": "${__dirname}/server/benchmcp",
				"args":    []string{"serve"},
				"env":     map[string]string{"OLLAMA_HOST": "${user_config.ollama_host}"},
			},
		},
		"user_config": map[string]any{
			"ollama_host": map[string]any{
				"type":        "string",
				"title":       "Ollama host",
				"description": "The Ollama server to benchmark.",
				"default":     "http://127.0.0.1:11434",
				"required":    false,
			},
		},
		"tools_generated": true,
		"compatibility":   map[string]any{"platforms": []string{goos}},
	}
}

// bundleZip is an MCP bundle: manifest.json, the server binary (mode
// 0755) and the README.
func bundleZip(man map[string]any, bin, readme []byte) ([]byte, error) {
	m, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode os.FileMode
		data []byte
	}{{"manifest.json", 0o644, m}, {"server/benchmcp", 0o755, bin}, {"README.md", 0o644, readme}} {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		h.SetMode(f.mode)
		w, err := z.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func validate(schemaPath string, doc []byte) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	id, _ := s.(map[string]any)["$id"].(string)
	if id == "" {
		return fmt.Errorf("%s has no $id", schemaPath)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(id, s); err != nil {
		return err
	}
	sch, err := c.Compile(id)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
