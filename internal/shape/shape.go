// Package shape generates random-weight GGUF models in the shape of real
// ones (Qwen2.5-0.5B, Qwen2.5-1.5B, Llama-3-8B: layers, hidden size, heads,
// KV heads, FFN size, context), for measuring what a model of that size
// costs: load time, prefill and decode speed, memory. Speed is set by the
// shape, not by the weights, so the answers are noise while the timings are
// those of a real model of the shape.
//
// The file is a llama-architecture GGUF with Q8_0 weights and F32 norms and
// the fixture models' byte tokenizer (354 tokens: <unk> <s> </s>, 256 byte
// tokens, ▁ and printable ASCII), written deterministically (the same bytes
// every time for a shape and generator version) and streamed, so an
// 8B-class file (7.4 GB) never sits in memory.
//
// What differs from the real model:
//   - The vocabulary is 354 tokens instead of 151,936 (Qwen2.5) or 128,256
//     (Llama 3), so the embedding and output matrices are tiny: a real
//     Qwen2.5-0.5B spends 136 M of its 494 M parameters there (tied), and
//     reads them for every generated token. The shapes' parameter counts are
//     the real models' non-embedding counts; decode is faster than the real
//     model's by about the share of the output layer.
//   - Qwen2 has biases on Q, K and V; the llama architecture has none
//     (a negligible share of the work).
//   - Q8_0 everywhere, as a user might pull a q8_0 tag; Ollama's default
//     tags are mostly Q4_K_M, about half the bytes and faster to decode.
//
// The output rows of <unk>, <s> and </s> are zero and the other rows are
// scaled so the logits spread with a standard deviation of about 4: the
// end-of-sequence logit sits in the middle of the pack, outside the top 40
// that Ollama samples from by default and never the greedy pick, so a call
// generates until num_predict (or the context) ends it.
package shape

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
)

// GeneratorVersion changes whenever the bytes written for a shape change;
// caches are keyed by it.
const GeneratorVersion = 1

// Shape is a model's dimensions.
type Shape struct {
	Name      string  // the model's name in Ollama, e.g. "qwen2.5-0.5b-shape"
	Of        string  // the real model it has the shape of, e.g. "Qwen2.5-0.5B"
	Embedding int     // hidden size
	Layers    int     // transformer blocks
	Heads     int     // attention heads
	KVHeads   int     // key/value heads (grouped-query attention)
	FFN       int     // feed-forward (intermediate) size
	Context   int     // the context length the model declares
	RopeBase  float64 // RoPE frequency base
	NormEps   float64 // RMS norm epsilon
}

// Shapes are the named shapes, smallest first. The dimensions are the real
// models' (their config.json).
var Shapes = []Shape{
	{Name: "qwen2.5-0.5b-shape", Of: "Qwen2.5-0.5B", Embedding: 896, Layers: 24, Heads: 14, KVHeads: 2, FFN: 4864, Context: 32768, RopeBase: 1e6, NormEps: 1e-6},
	{Name: "qwen2.5-1.5b-shape", Of: "Qwen2.5-1.5B", Embedding: 1536, Layers: 28, Heads: 12, KVHeads: 2, FFN: 8960, Context: 32768, RopeBase: 1e6, NormEps: 1e-6},
	{Name: "llama3-8b-shape", Of: "Llama-3-8B", Embedding: 4096, Layers: 32, Heads: 32, KVHeads: 8, FFN: 14336, Context: 8192, RopeBase: 5e5, NormEps: 1e-5},
}

// Lookup returns the named shape.
func Lookup(name string) (Shape, error) {
	for _, s := range Shapes {
		if s.Name == name {
			return s, nil
		}
	}
	names := make([]string, len(Shapes))
	for i, s := range Shapes {
		names[i] = s.Name
	}
	return Shape{}, fmt.Errorf("no shape %q (there are %v)", name, names)
}

// Validate reports dimensions that cannot make a model: Q8_0 needs rows
// of a multiple of 32 values, and the heads must divide the hidden size
// and the KV heads the heads.
func (s Shape) Validate() error {
	switch {
	case s.Name == "":
		return errors.New("shape has no name")
	case s.Embedding <= 0 || s.Layers <= 0 || s.Heads <= 0 || s.KVHeads <= 0 || s.FFN <= 0 || s.Context <= 0:
		return fmt.Errorf("shape %s: dimensions must be positive", s.Name)
	case s.Embedding%32 != 0 || s.FFN%32 != 0:
		return fmt.Errorf("shape %s: hidden size %d and FFN size %d must be multiples of 32 (Q8_0 blocks)", s.Name, s.Embedding, s.FFN)
	case s.Embedding%s.Heads != 0 || (s.Embedding/s.Heads)%2 != 0:
		return fmt.Errorf("shape %s: %d heads must divide hidden size %d into an even head size", s.Name, s.Heads, s.Embedding)
	case s.Heads%s.KVHeads != 0:
		return fmt.Errorf("shape %s: %d KV heads must divide %d heads", s.Name, s.KVHeads, s.Heads)
	case s.KVHeads*(s.Embedding/s.Heads)%32 != 0:
		return fmt.Errorf("shape %s: the KV width %d must be a multiple of 32", s.Name, s.KVHeads*(s.Embedding/s.Heads))
	}
	return nil
}

// HeadDim is the size of one attention head.
func (s Shape) HeadDim() int { return s.Embedding / s.Heads }

// tensor is one tensor of the file: dims[0] is the row length.
type tensor struct {
	name string
	dims []int
	q8   bool // Q8_0, else F32
}

func (t tensor) elements() int64 {
	n := int64(1)
	for _, d := range t.dims {
		n *= int64(d)
	}
	return n
}

// bytes is the tensor's data size, unpadded.
func (t tensor) bytes() int64 {
	if t.q8 {
		return t.elements() / 32 * q8BlockBytes
	}
	return t.elements() * 4
}

func (s Shape) tensors() []tensor {
	d, kv := s.Embedding, s.KVHeads*s.HeadDim()
	ts := []tensor{
		{"token_embd.weight", []int{d, vocabSize}, true},
		{"output_norm.weight", []int{d}, false},
		{"output.weight", []int{d, vocabSize}, true},
	}
	for i := 0; i < s.Layers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		ts = append(ts,
			tensor{p + "attn_norm.weight", []int{d}, false},
			tensor{p + "attn_q.weight", []int{d, d}, true},
			tensor{p + "attn_k.weight", []int{d, kv}, true},
			tensor{p + "attn_v.weight", []int{d, kv}, true},
			tensor{p + "attn_output.weight", []int{d, d}, true},
			tensor{p + "ffn_norm.weight", []int{d}, false},
			tensor{p + "ffn_gate.weight", []int{d, s.FFN}, true},
			tensor{p + "ffn_up.weight", []int{d, s.FFN}, true},
			tensor{p + "ffn_down.weight", []int{s.FFN, d}, true},
		)
	}
	return ts
}

// Params is the number of weights in the file (Ollama's parameter count).
func (s Shape) Params() int64 {
	var n int64
	for _, t := range s.tensors() {
		n += t.elements()
	}
	return n
}

// FileSize is the exact size of the GGUF file in bytes.
func (s Shape) FileSize() int64 {
	h := s.header()
	n := int64(len(h))
	for _, t := range s.tensors() {
		n += pad(t.bytes())
	}
	return n
}

// Key names the file of this shape and generator version: the name, the
// version and a hash of the dimensions, so a changed shape is a new file.
func (s Shape) Key() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d %d %d %d %d %d %g %g", s.Embedding, s.Layers, s.Heads, s.KVHeads, s.FFN, s.Context, s.RopeBase, s.NormEps))
	return fmt.Sprintf("%s-g%d-%s", s.Name, GeneratorVersion, hex.EncodeToString(sum[:4]))
}

// outputScale is the Q8_0 scale of output.weight that spreads the logits
// with a standard deviation of about logitStd: after the final RMS norm the
// hidden state has norm sqrt(d), and uniform int8 values in [-127, 127]
// have a standard deviation of about 73.6.
func outputScale(d int) float32 {
	return float32(logitStd / (math.Sqrt(float64(d)) * 73.6))
}

const logitStd = 4

// HumanBytes is n as "380 MB" / "7.4 GB" (decimal units, as Ollama shows sizes).
func HumanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// HumanCount is n as "358M" / "1.31B".
func HumanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
