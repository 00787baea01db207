package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/benchmcp/benchmcp/internal/executor"
	"github.com/benchmcp/benchmcp/internal/shape"
)

// fixtureCommand is `benchmcp fixture`: it writes random-weight models of
// real shapes (internal/shape) and creates them on an Ollama.
func fixtureCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fixture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: benchmcp fixture [flags] SHAPE...
       benchmcp fixture --list

Writes a random-weight model in the shape of a real one (layers, hidden size,
heads, KV heads, FFN size, context; Q8_0, the fixture models' byte tokenizer)
to the shape cache, and creates it under the shape's name on the Ollama at
--hosts through its API (blob upload, then create). Its answers are noise; its
load time, speed and memory are those of a model of that shape. The same shape
gives the same bytes every time, so a cached file is reused. The Ollama keeps
its own copy of the file: a local one needs the room twice.

Flags:`)
		fs.PrintDefaults()
	}
	var hosts, cache string
	var list, noCreate, asJSON bool
	fs.StringVar(&hosts, "hosts", os.Getenv("BENCHMCP_HOSTS"), "the Ollama to create the models on: its first host (env BENCHMCP_HOSTS; default OLLAMA_HOST)")
	fs.StringVar(&cache, "cache", "", "where the files are kept (env BENCHMCP_SHAPE_CACHE; default benchmcp/shapes in the user cache dir)")
	fs.BoolVar(&list, "list", false, "list the shapes, their sizes and whether they are cached")
	fs.BoolVar(&noCreate, "no-create", false, "only write the files and print their paths; no Ollama needed")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return errFlags
	}
	if cache == "" {
		var err error
		if cache, err = shape.CacheDir(); err != nil {
			return err
		}
	}
	if list {
		if fs.NArg() > 0 {
			return usagef("--list takes no shapes")
		}
		return listShapes(stdout, cache, asJSON)
	}
	if fs.NArg() == 0 {
		return usagef("name a shape (benchmcp fixture --list shows them)")
	}
	var shapes []shape.Shape
	for _, name := range fs.Args() {
		s, err := shape.Lookup(name)
		if err != nil {
			return usagef("%v", err)
		}
		shapes = append(shapes, s)
	}

	var host executor.Host
	if !noCreate {
		// Ask the Ollama first: no point writing gigabytes for one that is not there.
		hs, err := executor.ParseHosts(hosts)
		if err != nil {
			return usagef("--hosts: %v", err)
		}
		host = hs[0]
		if host.Engine != executor.EngineOllama {
			return usagef("host %s is %s, not Ollama: models are created on an Ollama", host.Name, host.Engine)
		}
		vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		version, err := host.Client().Version(vctx)
		cancel()
		if err != nil {
			return fmt.Errorf("no Ollama answers at %s (%v): start one (`ollama serve`), name one with --hosts or OLLAMA_HOST, or pass --no-create to only write the files", host.URL, err)
		}
		fmt.Fprintf(stderr, "Ollama %s at %s\n", version, host.URL)
	}

	var done []fixtureResult
	for _, s := range shapes {
		start := time.Now()
		bar := byteBar(stderr, s.FileSize(), "writing "+s.Name)
		f, err := s.Ensure(cache, bar)
		if err != nil {
			return err
		}
		r := fixtureResult{Shape: s.Name, Of: s.Of, Path: f.Path, Digest: f.Digest, Bytes: f.Size, Params: s.Params(), Cached: f.Cached}
		if f.Cached {
			fmt.Fprintf(stderr, "%s: cached %s (%s)\n", s.Name, f.Path, shape.HumanBytes(f.Size))
		} else {
			fmt.Fprintf(stderr, "%s: wrote %s (%s) in %s\n", s.Name, f.Path, shape.HumanBytes(f.Size), time.Since(start).Round(time.Millisecond))
		}
		if !noCreate {
			start = time.Now()
			bar := byteBar(stderr, f.Size, "uploading "+s.Name)
			if err := shape.Create(ctx, host.URL, s, f, bar); err != nil {
				return err
			}
			r.Model, r.Host = s.Name, host.URL.String()
			fmt.Fprintf(stderr, "%s: created on %s in %s\n", s.Name, host.URL, time.Since(start).Round(time.Millisecond))
		}
		done = append(done, r)
	}
	if asJSON {
		return writeJSON(stdout, done)
	}
	for _, r := range done {
		if r.Model != "" {
			fmt.Fprintln(stdout, r.Model)
		} else {
			fmt.Fprintln(stdout, r.Path)
		}
	}
	return nil
}

// fixtureResult is one shape written (and created).
type fixtureResult struct {
	Shape  string `json:"shape"`
	Of     string `json:"of"`
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Bytes  int64  `json:"bytes"`
	Params int64  `json:"params"`
	Cached bool   `json:"cached"`          // the file was there already
	Model  string `json:"model,omitempty"` // created on Host
	Host   string `json:"host,omitempty"`
}

type shapeRow struct {
	Name      string `json:"name"`
	Of        string `json:"of"`
	Layers    int    `json:"layers"`
	Embedding int    `json:"hidden"`
	Heads     int    `json:"heads"`
	KVHeads   int    `json:"kv_heads"`
	FFN       int    `json:"ffn"`
	Context   int    `json:"context"`
	Params    int64  `json:"params"`
	Bytes     int64  `json:"bytes"`
	Cached    string `json:"cached,omitempty"` // the file's path when it is in the cache
}

func listShapes(stdout io.Writer, cache string, asJSON bool) error {
	var rows []shapeRow
	for _, s := range shape.Shapes {
		r := shapeRow{Name: s.Name, Of: s.Of, Layers: s.Layers, Embedding: s.Embedding, Heads: s.Heads, KVHeads: s.KVHeads,
			FFN: s.FFN, Context: s.Context, Params: s.Params(), Bytes: s.FileSize()}
		if f, ok := s.Cached(cache); ok {
			r.Cached = f.Path
		}
		rows = append(rows, r)
	}
	if asJSON {
		return writeJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SHAPE\tOF\tLAYERS\tHIDDEN\tHEADS\tKV\tFFN\tCONTEXT\tPARAMS\tFILE\tCACHED")
	for _, r := range rows {
		cached := "no"
		if r.Cached != "" {
			cached = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Name, r.Of, r.Layers, r.Embedding, r.Heads, r.KVHeads, r.FFN, r.Context,
			shape.HumanCount(r.Params), shape.HumanBytes(r.Bytes), cached)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nQ8_0 weights, the fixture byte tokenizer (354 tokens, so PARAMS is the real model's\nnon-embedding count), random values. Cache: %s\n", cache)
	return nil
}

// byteBar is a progress callback drawing a bar on a terminal, nil elsewhere.
func byteBar(w io.Writer, total int64, desc string) func(done, total int64) {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	var pb *progressbar.ProgressBar
	return func(done, _ int64) {
		if pb == nil {
			pb = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
				progressbar.OptionShowBytes(true), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
		}
		_ = pb.Set64(done)
		if done >= total {
			_ = pb.Finish()
		}
	}
}
