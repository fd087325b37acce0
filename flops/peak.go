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

// peaks are dense tensor-core peaks from the vendors' datasheets. NVIDIA's quote most figures
// with 2:4 structured sparsity, twice the dense rate:
//
//   - A100 SXM: 312 BF16 dense (624 sparse), no FP8 — nvidia.com/en-us/data-center/a100/.
//   - H100 SXM: 1979 BF16 and 3958 FP8 sparse, "one-half lower without sparsity": 989 and
//     1979 — nvidia.com/en-us/data-center/h100/. H100 PCIe (756) and NVL (835) are slower
//     and not in the table.
//   - H200 SXM: the same GH100 tensor cores and figures as H100 SXM —
//     nvidia.com/en-us/data-center/h200/. H200 NVL is slower and not in the table.
//   - HGX B200 (1000 W): 36 PFLOPS BF16 and 72 PFLOPS FP8 sparse per 8 GPUs, so 2250 and 4500
//     dense per GPU — the Blackwell datasheet, nvdam.widen.net/s/wwnsxrhm2w. GB200 runs its
//     B200s at 2500 BF16 and is not in the table.
//
// AMD quotes dense figures and sparsity separately:
//
//   - MI300X: 1307.4 BF16 and 2614.9 FP8 dense matrix TFLOPS (2614.9 and 5229.8 with
//     sparsity) — the peak table of ROCm's "MI300 microarchitecture" page
//     (rocm.docs.amd.com, conceptual/gpu-arch/mi300) and amd.com's MI300X page, which rounds
//     them to 1.3 and 2.6 PFLOPS.
//   - MI325X: the same CDNA 3 compute die and clocks as MI300X, with more and faster HBM:
//     the same figures (amd.com's MI325X page).
//
// MI355X (CDNA 4) is not in the table: its figures could not be checked against AMD's own
// pages here; give --peak.
//
// torchtitan's get_peak_flops (pytorch/torchtitan torchtitan/tools/utils.py at b5bcd76c66)
// uses the same BF16 values, citing the same pages (rounding MI300X and MI325X to 1300).
var peaks = map[string]Peak{
	"a100":   {BF16: 312},
	"h100":   {BF16: 989, FP8: 1979},
	"h200":   {BF16: 989, FP8: 1979},
	"b200":   {BF16: 2250, FP8: 4500},
	"mi300x": {BF16: 1307.4, FP8: 2614.9},
	"mi325x": {BF16: 1307.4, FP8: 2614.9},
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

// PeakTFLOPS returns the dense peak TFLOP/s of one gpu ("a100", "h100", "h200", "b200",
// "mi300x", "mi325x"; any
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
