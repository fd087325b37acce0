package flops

import (
	"fmt"
	"sort"
	"strings"
)

// A Peak is a GPU's dense (no structured sparsity) tensor-core throughput in TFLOP/s.
// Zero means the GPU has no such mode.
type Peak struct {
	BF16, FP8 float64
}

// peaks are dense tensor-core peaks from NVIDIA's datasheets: A100 SXM (312 BF16, no FP8),
// H100 SXM (989 BF16, 1979 FP8), H200 SXM (same tensor cores as H100 SXM) and HGX B200
// (36 and 72 PFLOPS per 8 GPUs with sparsity: 2250 BF16, 4500 FP8 dense per GPU). The same
// values are used by torchtitan's get_peak_flops for BF16.
var peaks = map[string]Peak{
	"a100": {BF16: 312},
	"h100": {BF16: 989, FP8: 1979},
	"h200": {BF16: 989, FP8: 1979},
	"b200": {BF16: 2250, FP8: 4500},
}

// GPUNames returns the GPUs PeakTFLOPS knows, sorted.
func GPUNames() []string {
	names := make([]string, 0, len(peaks))
	for n := range peaks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PeakTFLOPS returns the dense peak TFLOP/s of one gpu ("a100", "h100", "h200", "b200"; any
// case, an "-sxm" suffix allowed) for dtype "bf16" (or "fp16") or "fp8".
func PeakTFLOPS(gpu, dtype string) (float64, error) {
	g := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(gpu)), "-sxm")
	p, ok := peaks[g]
	if !ok {
		return 0, fmt.Errorf("unknown GPU %q (known: %s; or give the peak TFLOPS)", gpu, strings.Join(GPUNames(), ", "))
	}
	var v float64
	switch d := strings.ToLower(strings.TrimSpace(dtype)); d {
	case "bf16", "fp16":
		v = p.BF16
	case "fp8":
		v = p.FP8
	default:
		return 0, fmt.Errorf("unknown dtype %q (want bf16 or fp8)", dtype)
	}
	if v == 0 {
		return 0, fmt.Errorf("%s has no %s tensor cores", g, strings.ToLower(dtype))
	}
	return v, nil
}

// MFU returns model FLOPs utilization: achieved TFLOP/s per GPU as a fraction of peak. It
// returns 0 if peak is not positive.
func MFU(tflopsPerGPU, peak float64) float64 {
	if !(peak > 0) {
		return 0
	}
	return tflopsPerGPU / peak
}
