package memory

import jsoniter "github.com/json-iterator/go"

// Values are written with encoding/json and read with json-iterator in its
// standard-library mode: the same JSON and the same decoding rules, about
// three times faster, which is what keeps a scan of 100,000 samples and a
// list of 1,000 runs within their budgets (see bench_test.go). Decoded
// strings and raw messages are copies, never views of the bbolt page.
var decoder = jsoniter.ConfigCompatibleWithStandardLibrary

func unmarshal(data []byte, v any) error { return decoder.Unmarshal(data, v) }
