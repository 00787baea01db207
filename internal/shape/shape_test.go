package shape

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ollama/ollama/fs/ggml"
)

// tiny is a custom shape small enough to write in a test.
var tiny = Shape{Name: "tiny-shape", Of: "nothing", Embedding: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 96, Context: 256, RopeBase: 1e4, NormEps: 1e-5}

// tinyDigest pins the generator's output: when it changes on purpose,
// bump GeneratorVersion and update it.
const tinyDigest = "sha256:392464bc034d6d8e5158b06f3b84e3e8a4b9cdc7c173cbe041c0dc7e707c1581"

func digest(t *testing.T, s Shape) (string, int64) {
	t.Helper()
	h := sha256.New()
	var n countWriter
	if err := s.Write(io.MultiWriter(h, &n), nil); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), int64(n)
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func TestDeterministic(t *testing.T) {
	d1, n1 := digest(t, tiny)
	d2, n2 := digest(t, tiny)
	if d1 != d2 || n1 != n2 {
		t.Fatalf("two writes differ: %s (%d bytes) and %s (%d bytes)", d1, n1, d2, n2)
	}
	if n1 != tiny.FileSize() {
		t.Errorf("wrote %d bytes, FileSize says %d", n1, tiny.FileSize())
	}
	if d1 != tinyDigest {
		t.Errorf("the tiny shape's digest is %s, pinned %s: if the generator changed on purpose, bump GeneratorVersion and the pin", d1, tinyDigest)
	}
	other := tiny
	other.Layers = 3
	if d3, _ := digest(t, other); d3 == d1 {
		t.Error("a different shape wrote the same bytes")
	}
	if other.Key() == tiny.Key() {
		t.Error("a different shape has the same cache key")
	}
}

func TestWellFormed(t *testing.T) {
	for _, s := range append([]Shape{tiny}, Shapes...) {
		t.Run(s.Name, func(t *testing.T) {
			var buf bytes.Buffer
			var rs io.ReadSeeker
			if s.Name == tiny.Name {
				if err := s.Write(&buf, nil); err != nil {
					t.Fatal(err)
				}
				rs = bytes.NewReader(buf.Bytes())
			} else {
				// A named shape: the header alone, in a sparse file of the right size.
				rs = headerOnly(t, s)
			}
			f, err := ggml.Decode(rs, -1)
			if err != nil {
				t.Fatalf("Ollama's GGUF decoder: %v", err)
			}
			kv := f.KV()
			checks := []struct {
				key       string
				got, want any
			}{
				{"architecture", kv.Architecture(), "llama"},
				{"name", kv.String("general.name"), s.Name},
				{"file_type", kv.FileType().String(), "Q8_0"},
				{"block_count", kv.BlockCount(), uint64(s.Layers)},
				{"embedding_length", kv.EmbeddingLength(), uint64(s.Embedding)},
				{"head_count", kv.HeadCountMax(), uint64(s.Heads)},
				{"head_count_kv", kv.HeadCountKVMax(), uint64(s.KVHeads)},
				{"feed_forward_length", kv.Uint("feed_forward_length"), uint32(s.FFN)},
				{"context_length", kv.ContextLength(), uint64(s.Context)},
				{"rope.dimension_count", kv.Uint("rope.dimension_count"), uint32(s.HeadDim())},
				{"rope.freq_base", kv.Float("rope.freq_base"), float32(s.RopeBase)},
				{"rms_epsilon", kv.Float("attention.layer_norm_rms_epsilon"), float32(s.NormEps)},
				{"vocab_size", kv.Uint("vocab_size"), uint32(354)},
				{"tokens", len(kv.Strings("tokenizer.ggml.tokens")), 354},
				{"token 259", kv.Strings("tokenizer.ggml.tokens")[259], "\u2581"},
				{"token_type", len(kv.Ints("tokenizer.ggml.token_type")), 354},
				{"eos", kv.Uint("tokenizer.ggml.eos_token_id"), uint32(2)},
				{"parameter_count", kv.ParameterCount(), uint64(s.Params())},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v (%T), want %v (%T)", c.key, c.got, c.got, c.want, c.want)
				}
			}
			ts := f.Tensors()
			if got, want := len(ts.Items()), 3+9*s.Layers; got != want {
				t.Fatalf("%d tensors, want %d", got, want)
			}
			end := uint64(0)
			for _, tn := range ts.Items() {
				if tn.Offset%alignment != 0 {
					t.Errorf("%s at offset %d, not aligned", tn.Name, tn.Offset)
				}
				if tn.Offset < end {
					t.Errorf("%s at %d overlaps the tensor before (ends at %d)", tn.Name, tn.Offset, end)
				}
				end = tn.Offset + tn.Size()
				if tn.Shape[0]%32 != 0 && tn.Kind == 8 {
					t.Errorf("%s: Q8_0 rows of %d", tn.Name, tn.Shape[0])
				}
			}
			if got := ts.Offset + uint64(pad(int64(end))); got != uint64(s.FileSize()) {
				t.Errorf("data ends at %d, the file is %d bytes", got, s.FileSize())
			}
			if q := ts.Items("blk.0.attn_k")[0]; q.Shape[1] != uint64(s.KVHeads*s.HeadDim()) {
				t.Errorf("attn_k shape %v", q.Shape)
			}
			if s.Name == tiny.Name {
				checkWeights(t, s, buf.Bytes(), ts)
			}
		})
	}
}

// checkWeights reads back a few values: norms are ones, Q8_0 scales are
// the weight scale, the first three output rows are zero.
func checkWeights(t *testing.T, s Shape, b []byte, ts ggml.Tensors) {
	at := func(name string) []byte {
		for _, tn := range ts.Items() {
			if tn.Name == name {
				o := ts.Offset + tn.Offset
				return b[o : o+tn.Size()]
			}
		}
		t.Fatalf("no tensor %s", name)
		return nil
	}
	norm := at("blk.1.ffn_norm.weight")
	for i := 0; i < len(norm); i += 4 {
		if v := math.Float32frombits(binary.LittleEndian.Uint32(norm[i:])); v != 1 {
			t.Fatalf("ffn_norm[%d] = %g", i/4, v)
		}
	}
	q := at("blk.0.attn_q.weight")
	if got := binary.LittleEndian.Uint16(q); got != f16(weightScale) {
		t.Errorf("attn_q scale %#x, want %#x", got, f16(weightScale))
	}
	out := at("output.weight")
	rowBytes := s.Embedding / 32 * q8BlockBytes
	if !bytes.Equal(out[:3*rowBytes], make([]byte, 3*rowBytes)) {
		t.Error("output rows of <unk> <s> </s> are not zero")
	}
	if got := binary.LittleEndian.Uint16(out[3*rowBytes:]); got != f16(outputScale(s.Embedding)) {
		t.Errorf("output scale %#x", got)
	}
}

// headerOnly is a sparse file of s's size holding only its header.
func headerOnly(t *testing.T, s Shape) io.ReadSeeker {
	f, err := os.Create(filepath.Join(t.TempDir(), "h.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(s.header()); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(s.FileSize()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNamedShapes(t *testing.T) {
	// The real models' non-embedding parameter counts (their model cards):
	// the byte vocabulary leaves only a few hundred thousand more.
	want := map[string]float64{"qwen2.5-0.5b-shape": 0.36e9, "qwen2.5-1.5b-shape": 1.31e9, "llama3-8b-shape": 6.98e9}
	for _, s := range Shapes {
		if err := s.Validate(); err != nil {
			t.Error(err)
		}
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("%s: no expected parameter count", s.Name)
			continue
		}
		if p := float64(s.Params()); math.Abs(p-w)/w > 0.01 {
			t.Errorf("%s: %s parameters, want about %s", s.Name, HumanCount(s.Params()), HumanCount(int64(w)))
		}
		// Q8_0 is 34 bytes per 32 weights.
		if r := float64(s.FileSize()) / float64(s.Params()); r < 1.0625 || r > 1.07 {
			t.Errorf("%s: %d bytes for %d parameters", s.Name, s.FileSize(), s.Params())
		}
		if got, err := Lookup(s.Name); err != nil || got != s {
			t.Errorf("Lookup(%s) = %v, %v", s.Name, got, err)
		}
		if !strings.HasPrefix(s.Key(), s.Name+"-g") {
			t.Errorf("key %s", s.Key())
		}
	}
	if _, err := Lookup("gpt-5-shape"); err == nil || !strings.Contains(err.Error(), "qwen2.5-0.5b-shape") {
		t.Errorf("Lookup of an unknown shape: %v", err)
	}
	bad := tiny
	bad.FFN = 100
	if bad.Validate() == nil {
		t.Error("an FFN size of 100 passed")
	}
}

func TestEnsureCaches(t *testing.T) {
	dir := t.TempDir()
	var last int64
	f, err := tiny.Ensure(dir, func(done, total int64) {
		if done < last || done > total {
			t.Fatalf("progress %d of %d after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Cached || last != tiny.FileSize() || f.Size != tiny.FileSize() {
		t.Errorf("first Ensure: %+v, progress ended at %d", f, last)
	}
	if d, _ := digest(t, tiny); f.Digest != d {
		t.Errorf("digest %s, the bytes hash to %s", f.Digest, d)
	}
	g, err := tiny.Ensure(dir, func(int64, int64) { t.Error("the second Ensure wrote") })
	if err != nil || !g.Cached || g.Digest != f.Digest || g.Path != f.Path {
		t.Errorf("second Ensure: %+v, %v", g, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// A truncated file is not trusted.
	if err := os.Truncate(f.Path, 100); err != nil {
		t.Fatal(err)
	}
	if _, ok := tiny.Cached(dir); ok {
		t.Error("a truncated file counted as cached")
	}
}

func TestEnsureNoRoom(t *testing.T) {
	defer func(f func(string) (int64, error)) { freeBytes = f }(freeBytes)
	freeBytes = func(string) (int64, error) { return 5 << 20, nil }
	dir := t.TempDir()
	_, err := Shapes[0].Ensure(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "needs 381 MB") || !strings.Contains(err.Error(), "only 5 MB is free") {
		t.Fatalf("Ensure on a full disk: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("it left %v", left)
	}
}

func TestF16(t *testing.T) {
	for x, want := range map[float32]uint16{1: 0x3c00, 0.5: 0x3800, 2.5e-4: 0x0c19, -2: 0xc000, 65504: 0x7bff, 0: 0} {
		if got := f16(x); got != want {
			t.Errorf("f16(%g) = %#x, want %#x", x, got, want)
		}
	}
}
