package flops

import (
	"fmt"
	"math"
	"strings"
)

// A Formula is a convention for counting the model FLOPs of one training iteration.
type Formula string

// The formulas. See the package documentation for what each counts.
const (
	// Megatron is Megatron-LM's num_floating_point_operations since commit 8873b55d6a
	// (2025-03-06): per-token linear terms, causal core attention counted at half, GQA,
	// SwiGLU, logits over the padded vocabulary, routed and shared MoE experts.
	Megatron Formula = "megatron"
	// MegatronLegacy is Megatron-LM's closed form before that commit (as at its parent
	// ed7db1d2b3, 2025-02-27): 12·B·s·L·h²·[(1+g/n+s/h)·(kv·n/h) +
	// (ffn/h)·topk·(1.5 with SwiGLU) + (shared/h)·(1.5 with SwiGLU) + V/(2·L·h)], with
	// moe_ffn_hidden_size for ffn when there are experts. It counts the full s×s attention
	// matrix, so it reads 3.7% higher for a 70B model at sequence length 4096.
	MegatronLegacy Formula = "megatron-legacy"
	// SixND is 6·N·D: six FLOPs per parameter per token, D = gbs·sl tokens per iteration.
	// It is the convention of the seed sweep table (N = 70e9).
	SixND Formula = "6nd"
)

// Formulas lists every formula, in the order help text shows them.
var Formulas = []Formula{SixND, Megatron, MegatronLegacy}

// ParseFormula parses a formula name: "6nd", "megatron" or "megatron-legacy" (any case;
// "6ND", "megatron_legacy" and "legacy" are accepted too).
func ParseFormula(s string) (Formula, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "6nd", "6n", "6*n*d", "6·n·d":
		return SixND, nil
	case "megatron", "megatron-lm":
		return Megatron, nil
	case "megatron-legacy", "megatron_legacy", "legacy":
		return MegatronLegacy, nil
	}
	return "", fmt.Errorf("unknown FLOPs formula %q (want 6nd, megatron or megatron-legacy)", s)
}

// String returns the formula's name.
func (f Formula) String() string { return string(f) }

// NeedsShape reports whether f needs the architecture of a model, not only its parameter
// count.
func (f Formula) NeedsShape() bool { return f == Megatron || f == MegatronLegacy }

// FLOPsPerIter returns the model FLOPs of one training iteration of gbs sequences of seqLen
// tokens under formula f: forward and backward passes, without activation recomputation.
// A seqLen of zero means s.SeqLength.
func FLOPsPerIter(f Formula, s Shape, gbs, seqLen int) (float64, error) {
	if seqLen == 0 {
		seqLen = s.SeqLength
	}
	if gbs <= 0 {
		return 0, fmt.Errorf("global batch size must be positive, got %d", gbs)
	}
	if seqLen <= 0 {
		return 0, fmt.Errorf("sequence length must be positive, got %d", seqLen)
	}
	var v float64
	switch f {
	case SixND:
		n := s.N()
		if !(n > 0) || math.IsInf(n, 0) {
			return 0, fmt.Errorf("formula 6nd needs a parameter count: give a model or params")
		}
		v = 6 * n * float64(gbs) * float64(seqLen)
	case Megatron, MegatronLegacy:
		if !s.hasArchitecture() {
			return 0, fmt.Errorf("formula %s needs the model's shape (layers, hidden size, heads…), not only a parameter count", f)
		}
		if err := s.Validate(); err != nil {
			return 0, fmt.Errorf("formula %s: %w", f, err)
		}
		if f == Megatron {
			v = megatronFLOPs(s, float64(gbs), float64(seqLen))
		} else {
			v = megatronLegacyFLOPs(s, float64(gbs), float64(seqLen))
		}
	default:
		return 0, fmt.Errorf("unknown FLOPs formula %q", string(f))
	}
	if math.IsInf(v, 0) || math.IsNaN(v) || v <= 0 {
		return 0, fmt.Errorf("FLOPs per iteration out of range (%g)", v)
	}
	return v, nil
}

// megatronFLOPs is transformer_flops from Megatron-LM's training.py (since 8873b55d6a),
// restricted to standard attention without multi-token prediction.
func megatronFLOPs(s Shape, b, seq float64) float64 {
	const fwdBwd, fma = 3, 2 // forward, wgrad, dgrad; multiply-add
	h := float64(s.Hidden)
	kv := float64(s.HeadSize())
	q := kv * float64(s.Heads)
	k := kv * float64(s.KVHeads())
	gate := 0.0
	if s.AttentionOutputGate {
		gate = q
	}
	attn := fwdBwd * fma * (h*(q+2*k+gate) + // QKV (and gate) projection
		q*seq/2*2 + // core attention: QKᵀ and ·V, half of it under the causal mask
		q*h) // output projection
	ffnMul := 2.0
	if s.SwiGLU {
		ffnMul = 3
	}
	nMoE := float64(s.moeLayers())
	nDense := float64(s.Layers) - nMoE
	topk := 0.0
	if s.Experts > 0 {
		topk = float64(s.TopK)
	}
	mlp := fwdBwd * fma * h * (float64(s.ffnHidden())*ffnMul*nDense +
		float64(s.moeFFNHidden())*topk*ffnMul*nMoE +
		float64(s.SharedExpertFFN)*ffnMul*nMoE)
	logits := fwdBwd * fma * h * float64(s.PaddedVocab())
	return b * seq * (mlp + attn*float64(s.Layers) + logits)
}

// megatronLegacyFLOPs is num_floating_point_operations from Megatron-LM's training.py at
// ed7db1d2b3, the parent of 8873b55d6a. With experts, every layer counts as MoE (the old
// code ignored moe_layer_freq), each routed expert of moe_ffn_hidden_size (which Megatron's
// arguments.py defaults to ffn_hidden_size), plus the shared experts. Before 0d389f5e99
// (2025-02-25) the routed term used ffn_hidden_size instead; the two differ only for MoE
// models whose moe_ffn_hidden_size differs from ffn_hidden_size.
func megatronLegacyFLOPs(s Shape, b, seq float64) float64 {
	const expansion = 3 * 2 * 2
	h := float64(s.Hidden)
	l := float64(s.Layers)
	n := float64(s.Heads)
	g := float64(s.KVHeads())
	qRatio := float64(s.HeadSize()) * n / h
	ffn, routed := float64(s.ffnHidden()), 1.0
	if s.Experts > 0 {
		ffn, routed = float64(s.moeFFNHidden()), float64(s.TopK)
	}
	gated := 1.0
	if s.SwiGLU {
		gated = 1.5
	}
	return expansion * b * seq * l * h * h * ((1+g/n+seq/h)*qRatio +
		ffn/h*routed*gated +
		float64(s.SharedExpertFFN)/h*gated +
		float64(s.PaddedVocab())/(2*l*h))
}

// TFLOPSPerGPU returns the throughput in TFLOP/s per GPU of an iteration of flopsPerIter
// FLOPs that took secPerIter seconds on gpus GPUs. It returns 0 if secPerIter or gpus is not
// positive.
func TFLOPSPerGPU(flopsPerIter, secPerIter float64, gpus int) float64 {
	if !(secPerIter > 0) || gpus <= 0 {
		return 0
	}
	return flopsPerIter / (secPerIter * float64(gpus)) / 1e12
}

// SecPerIter is the inverse of TFLOPSPerGPU: the time per iteration at which flopsPerIter
// FLOPs on gpus GPUs run at tflops TFLOP/s per GPU. It returns 0 for non-positive inputs.
func SecPerIter(flopsPerIter, tflops float64, gpus int) float64 {
	if !(tflops > 0) || gpus <= 0 {
		return 0
	}
	return flopsPerIter / (tflops * 1e12 * float64(gpus))
}
