package bench

import (
	"encoding/json"

	"github.com/benchmcp/benchmcp/internal/option"
)

// LoadOptions are the options fixed when Ollama loads a model (api.Runner:
// num_ctx, num_batch, num_gpu, main_gpu, use_mmap, num_thread). A call with
// other values than the loaded runner's makes Ollama reload the model
// (needsReload in its server/sched.go compares exactly these), so variants
// that differ in them must not be interleaved.
var LoadOptions = option.LoadTime

// LoadKey is the load-time part of options in a canonical form: two
// option sets with the same key run on the same loaded model. A negative
// num_gpu is Ollama's default ("as many layers as fit"), which needsReload
// treats as "keep the loaded runner's", so it is left out, like no num_gpu.
func LoadKey(options map[string]any) string {
	m := map[string]any{}
	for _, k := range LoadOptions {
		if v, ok := options[k]; ok {
			if n, isNum := option.Number(v); isNum && k == "num_gpu" && n < 0 {
				continue
			}
			m[k] = v
		}
	}
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // keys sorted
	return string(b)
}
