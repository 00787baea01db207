package shape

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// The fixture models' byte tokenizer (testdata/models): <unk> <s> </s>, the
// 256 byte tokens, ▁, and printable ASCII.
var vocab, tokenTypes = func() ([]string, []int32) {
	toks := []string{"<unk>", "<s>", "</s>"}
	types := []int32{2, 3, 3} // unknown, control, control
	for i := 0; i < 256; i++ {
		toks = append(toks, fmt.Sprintf("<0x%02X>", i))
		types = append(types, 6) // byte
	}
	toks = append(toks, "\u2581")
	types = append(types, 1)
	for c := 0x21; c < 0x7f; c++ {
		toks = append(toks, string(rune(c)))
		types = append(types, 1) // normal
	}
	return toks, types
}()

var vocabSize = len(vocab)

const (
	q8BlockBytes = 34 // f16 scale + 32 int8
	alignment    = 32
	poolBlocks   = 1 << 16
	weightScale  = 2.5e-4                           // every Q8_0 weight but output.weight: |w| <= 0.032
	seed1, seed2 = 0x62656e63686d6370, 0x7368617065 // "benchmcp", "shape"
	// GGUF value types
	ggufU32, ggufI32, ggufF32, ggufBool, ggufString, ggufArray = 4, 5, 6, 7, 8, 9
	// GGML tensor types
	typeF32, typeQ8_0 = 0, 8
	fileTypeQ8_0      = 7 // general.file_type: mostly Q8_0
)

func pad(n int64) int64 { return (n + alignment - 1) / alignment * alignment }

// header is the file up to the tensor data: magic, KV metadata, tensor
// infos, and padding to the alignment.
func (s Shape) header() []byte {
	var b []byte // the KV metadata, then the tensor infos
	nkv := 0
	str := func(v string) {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(v)))
		b = append(b, v...)
	}
	u32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	key := func(k string, t uint32) { str(k); u32(t); nkv++ }
	kvU32 := func(k string, v int) { key(k, ggufU32); u32(uint32(v)) }
	kvF32 := func(k string, v float64) { key(k, ggufF32); u32(math.Float32bits(float32(v))) }
	kvStr := func(k, v string) { key(k, ggufString); str(v) }
	kvBool := func(k string, v bool) {
		key(k, ggufBool)
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	array := func(k string, t uint32, n int) {
		key(k, ggufArray)
		u32(t)
		b = binary.LittleEndian.AppendUint64(b, uint64(n))
	}

	kvStr("general.architecture", "llama")
	kvStr("general.name", s.Name)
	kvU32("general.file_type", fileTypeQ8_0)
	kvU32("general.quantization_version", 2)
	kvU32("llama.block_count", s.Layers)
	kvU32("llama.context_length", s.Context)
	kvU32("llama.embedding_length", s.Embedding)
	kvU32("llama.feed_forward_length", s.FFN)
	kvU32("llama.attention.head_count", s.Heads)
	kvU32("llama.attention.head_count_kv", s.KVHeads)
	kvF32("llama.attention.layer_norm_rms_epsilon", s.NormEps)
	kvU32("llama.rope.dimension_count", s.HeadDim())
	kvF32("llama.rope.freq_base", s.RopeBase)
	kvU32("llama.vocab_size", vocabSize)
	kvStr("tokenizer.ggml.model", "llama")
	array("tokenizer.ggml.tokens", ggufString, vocabSize)
	for _, t := range vocab {
		str(t)
	}
	array("tokenizer.ggml.scores", ggufF32, vocabSize)
	for range vocab {
		u32(0)
	}
	array("tokenizer.ggml.token_type", ggufI32, vocabSize)
	for _, t := range tokenTypes {
		u32(uint32(t))
	}
	kvU32("tokenizer.ggml.bos_token_id", 1)
	kvU32("tokenizer.ggml.eos_token_id", 2)
	kvU32("tokenizer.ggml.unknown_token_id", 0)
	kvBool("tokenizer.ggml.add_bos_token", true)
	kvBool("tokenizer.ggml.add_space_prefix", false)

	ts := s.tensors()
	var off int64
	for _, t := range ts {
		str(t.name)
		u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			b = binary.LittleEndian.AppendUint64(b, uint64(d))
		}
		if t.q8 {
			u32(typeQ8_0)
		} else {
			u32(typeF32)
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(off))
		off += pad(t.bytes())
	}
	head := append([]byte("GGUF"), 3, 0, 0, 0) // version 3
	head = binary.LittleEndian.AppendUint64(head, uint64(len(ts)))
	head = binary.LittleEndian.AppendUint64(head, uint64(nkv))
	head = append(head, b...)
	for len(head)%alignment != 0 {
		head = append(head, 0)
	}
	return head
}

// pool is the random int8 quants every Q8_0 tensor draws from, in turn
// from a different start: 2 MiB from a seeded ChaCha8, the same on every
// machine and Go version (math/rand/v2 fixes ChaCha8's output).
var pool = func() []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[0:], seed1)
	binary.LittleEndian.PutUint64(key[8:], seed2)
	b := make([]byte, poolBlocks*32)
	_, _ = rand.NewChaCha8(key).Read(b)
	for i, v := range b {
		if v == 0x80 { // -128: keep the quants in [-127, 127]
			b[i] = 0x81
		}
	}
	return b
}()

// Write writes the shape's GGUF to w, streaming: it holds about 3 MiB
// (the pool and its buffers) whatever the shape's size. progress, if not nil, is told the bytes
// written so far and the total now and then.
func (s Shape) Write(w io.Writer, progress func(done, total int64)) error {
	if err := s.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	total := s.FileSize()
	var done int64
	report := func(n int64) {
		done += n
		if progress != nil {
			progress(done, total)
		}
	}
	h := s.header()
	if _, err := bw.Write(h); err != nil {
		return err
	}
	report(int64(len(h)))

	scale := f16(weightScale)
	outScale := f16(outputScale(s.Embedding))
	zeros := make([]byte, alignment)
	chunk := make([]byte, 0, 4096*q8BlockBytes)
	for i, t := range s.tensors() {
		if !t.q8 { // norms: ones
			one := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1))
			for j := 0; j < t.dims[0]; j++ {
				if _, err := bw.Write(one); err != nil {
					return err
				}
			}
		} else {
			sc, zeroBlocks := scale, 0
			if t.name == "output.weight" { // rows 0-2 (<unk> <s> </s>) zero
				sc, zeroBlocks = outScale, 3*t.dims[0]/32
			}
			blocks := int(t.elements() / 32)
			next := (i * 7919) % poolBlocks // where this tensor starts in the pool
			for b := 0; b < blocks; {
				chunk = chunk[:0]
				for ; b < blocks && len(chunk) < cap(chunk); b++ {
					if b < zeroBlocks {
						chunk = append(chunk, make([]byte, q8BlockBytes)...)
						continue
					}
					chunk = binary.LittleEndian.AppendUint16(chunk, sc)
					chunk = append(chunk, pool[next*32:next*32+32]...)
					if next++; next == poolBlocks {
						next = 0
					}
				}
				if _, err := bw.Write(chunk); err != nil {
					return err
				}
				report(int64(len(chunk)))
			}
		}
		if _, err := bw.Write(zeros[:pad(t.bytes())-t.bytes()]); err != nil {
			return err
		}
		if !t.q8 {
			report(pad(t.bytes()))
		} else {
			report(pad(t.bytes()) - t.bytes())
		}
	}
	return bw.Flush()
}

// f16 is x as an IEEE half-precision float, rounded to nearest, for the
// normal range (the scales written here).
func f16(x float32) uint16 {
	bits := math.Float32bits(x)
	sign := uint16(bits>>16) & 0x8000
	exp := int((bits>>23)&0xff) - 127 + 15
	mant := bits & 0x7fffff
	if x == 0 {
		return sign
	}
	if exp <= 0 || exp >= 31 {
		panic(fmt.Sprintf("f16: %g outside the normal half range", x))
	}
	h := uint32(exp)<<10 | mant>>13
	if rem := mant & 0x1fff; rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // round to nearest even; a carry into the exponent is right
	}
	return sign | uint16(h)
}
