package flops_test

import (
	"fmt"

	"github.com/perfgate/perfgate/flops"
)

// The same 70B run under each convention: 15.8 s per iteration on 256 GPUs.
func ExampleFLOPsPerIter() {
	s, _ := flops.Preset("llama3-70b")
	s.TP = 8 // pads the vocabulary from 128256 to 129024
	for _, f := range flops.Formulas {
		fl, err := flops.FLOPsPerIter(f, s, 1024, 4096)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-16s %.4e FLOPs/iter  %.1f TFLOPS/GPU\n", f, fl, flops.TFLOPSPerGPU(fl, 15.8, 256))
	}
	// Output:
	// 6nd              1.7616e+18 FLOPs/iter  435.5 TFLOPS/GPU
	// megatron         1.8168e+18 FLOPs/iter  449.2 TFLOPS/GPU
	// megatron-legacy  1.8843e+18 FLOPs/iter  465.9 TFLOPS/GPU
}

// A config row of the seed sweep table, recomputed under its own convention.
func ExampleRecomputeTFLOPS() {
	cfg := map[string]string{"model": "70b", "tp": "8", "pp": "4", "mbs": "2", "gbs": "1024", "sl": "4096", "nodes": "32"}
	tf, err := flops.RecomputeTFLOPS(flops.SixND, cfg, 44.6, 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f TFLOPS/GPU\n", tf)
	// Output:
	// 154.29 TFLOPS/GPU
}

func ExampleShapeFromMegatronArgs() {
	args := map[string]string{
		"num_layers": "32", "hidden_size": "4096", "num_attention_heads": "32",
		"group_query_attention": "True", "num_query_groups": "8", "ffn_hidden_size": "14336",
		"swiglu": "True", "vocab_size": "128256", "make_vocab_size_divisible_by": "128",
		"tensor_model_parallel_size": "2", "seq_length": "8192",
	}
	s, err := flops.ShapeFromMegatronArgs(args)
	if err != nil {
		fmt.Println(err)
		return
	}
	fl, _ := flops.FLOPsPerIter(flops.Megatron, s, 128, 0) // 0: the dump's seq_length
	fmt.Printf("padded vocab %d, %.4e FLOPs/iter, %.3gB parameters\n", s.PaddedVocab(), fl, s.ActiveParams()/1e9)
	// Output:
	// padded vocab 128256, 5.3971e+16 FLOPs/iter, 8.03B parameters
}

func ExamplePeakTFLOPS() {
	peak, _ := flops.PeakTFLOPS("h100", "bf16")
	fmt.Printf("MFU %.1f%%\n", 100*flops.MFU(449.2, peak))
	_, err := flops.PeakTFLOPS("a100", "fp8")
	fmt.Println(err)
	// Output:
	// MFU 45.4%
	// a100 has no fp8 tensor cores
}
