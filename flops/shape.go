package flops

import (
	"fmt"
	"math"
	"sort"
)

// A Shape is the architecture of a decoder-only transformer, as far as counting its
// floating-point operations needs it. Field names follow Megatron-LM's arguments (given in
// each comment); zero values mean the Megatron default where one exists.
type Shape struct {
	// Name is the preset name, or "" for a shape given field by field.
	Name string

	Layers int // num_layers
	Hidden int // hidden_size
	Heads  int // num_attention_heads
	// QueryGroups is the number of key/value heads (num_query_groups with
	// group_query_attention). Zero means Heads: multi-head attention.
	QueryGroups int
	// KVChannels is the size of one attention head (kv_channels). Zero means Hidden/Heads.
	KVChannels int
	// FFNHidden is the MLP's inner size (ffn_hidden_size). Zero means Megatron's default:
	// 4·Hidden, or ⌊8·Hidden/3/64⌋·64 with SwiGLU.
	FFNHidden int
	// SwiGLU reports a gated MLP (swiglu): three GEMMs of size Hidden×FFNHidden, not two.
	SwiGLU bool
	// AttentionOutputGate adds a gate projection of the query's size (attention_output_gate).
	AttentionOutputGate bool

	// VocabSize is the tokenizer's vocabulary (vocab_size).
	VocabSize int
	// PaddedVocabSize, when positive, is the logit layer's width as Megatron padded it
	// (padded_vocab_size) and is used as is. Otherwise PaddedVocab computes it.
	PaddedVocabSize int
	// VocabDivisibleBy is make_vocab_size_divisible_by. Zero means 128.
	VocabDivisibleBy int
	// TP is the tensor-parallel size the vocabulary is padded for
	// (tensor_model_parallel_size). Zero means 1. It changes nothing else.
	TP int

	// Experts is the number of routed experts (num_experts); zero for a dense model.
	Experts int
	// TopK is the number of experts each token is routed to (moe_router_topk).
	TopK int
	// MoEFFNHidden is one routed expert's inner size (moe_ffn_hidden_size). Zero means
	// FFNHidden.
	MoEFFNHidden int
	// SharedExpertFFN is the shared experts' total inner size
	// (moe_shared_expert_intermediate_size); zero for none.
	SharedExpertFFN int
	// MoELayers is how many layers have an MoE MLP (from moe_layer_freq). Zero with
	// Experts > 0 means every layer.
	MoELayers int

	// TiedEmbeddings reports that the output layer shares the input embedding's weights
	// (not untie_embeddings_and_output_weights). It only changes the parameter count.
	TiedEmbeddings bool

	// Params is N for the 6·N·D convention. Zero means ActiveParams. Presets set the
	// nominal size in the model's name (70e9 for llama3-70b), because that is the N sweep
	// tables are computed with; see the package documentation.
	Params float64

	// SeqLength is the training sequence length (seq_length) when the source of the shape
	// knows it, for example a Megatron argument dump; zero otherwise. FLOPsPerIter uses it
	// when it is given no sequence length.
	SeqLength int
}

// HeadSize returns the attention head size: KVChannels, else Hidden / Heads.
func (s Shape) HeadSize() int {
	if s.KVChannels > 0 {
		return s.KVChannels
	}
	if s.Heads > 0 {
		return s.Hidden / s.Heads
	}
	return 0
}

// KVHeads returns the number of key/value heads: QueryGroups, else Heads.
func (s Shape) KVHeads() int {
	if s.QueryGroups > 0 {
		return s.QueryGroups
	}
	return s.Heads
}

// ffnHidden returns the dense MLP's inner size.
func (s Shape) ffnHidden() int {
	if s.FFNHidden > 0 {
		return s.FFNHidden
	}
	return defaultFFN(s.Hidden, s.SwiGLU)
}

// defaultFFN is Megatron's ffn_hidden_size when none is given (arguments.py).
func defaultFFN(hidden int, swiglu bool) int {
	if swiglu {
		return (8 * hidden / 3) / 64 * 64
	}
	return 4 * hidden
}

func (s Shape) moeFFNHidden() int {
	if s.MoEFFNHidden > 0 {
		return s.MoEFFNHidden
	}
	return s.ffnHidden()
}

// moeLayers returns the number of MoE layers.
func (s Shape) moeLayers() int {
	if s.Experts <= 0 {
		return 0
	}
	if s.MoELayers > 0 {
		return s.MoELayers
	}
	return s.Layers
}

// PaddedVocab returns the width of the logit layer: PaddedVocabSize if set, else VocabSize
// rounded up to a multiple of VocabDivisibleBy·TP, as Megatron's _vocab_size_with_padding
// does. So llama3's 128256 stays 128256 at TP=1 and becomes 129024 at TP=8.
func (s Shape) PaddedVocab() int {
	if s.PaddedVocabSize > 0 {
		return s.PaddedVocabSize
	}
	div := s.VocabDivisibleBy
	if div <= 0 {
		div = 128
	}
	tp := s.TP
	if tp <= 0 {
		tp = 1
	}
	m := div * tp
	if s.VocabSize <= 0 || m <= 0 {
		return s.VocabSize
	}
	return (s.VocabSize + m - 1) / m * m
}

// vocabForParams is the vocabulary used for parameter counts: the tokenizer's, since that is
// what published sizes count.
func (s Shape) vocabForParams() int {
	if s.VocabSize > 0 {
		return s.VocabSize
	}
	return s.PaddedVocab()
}

// params counts the weights of s with experts routed-to experts per MoE layer.
// It counts matrices and norm scales; biases and learned position embeddings are left out
// (under 0.3% for every preset).
func (s Shape) params(experts int) float64 {
	h := float64(s.Hidden)
	kv := float64(s.HeadSize())
	q := kv * float64(s.Heads)
	k := kv * float64(s.KVHeads())
	gate := 0.0
	if s.AttentionOutputGate {
		gate = q
	}
	attn := h*(q+2*k+gate) + q*h
	mul := 2.0
	if s.SwiGLU {
		mul = 3
	}
	dense := mul * h * float64(s.ffnHidden())
	moe := mul*h*float64(s.moeFFNHidden())*float64(experts) + mul*h*float64(s.SharedExpertFFN) + h*float64(s.Experts)
	nMoE := float64(s.moeLayers())
	nDense := float64(s.Layers) - nMoE
	layers := float64(s.Layers)*(attn+2*h) + nDense*dense + nMoE*moe
	emb := float64(s.vocabForParams()) * h
	out := emb
	if s.TiedEmbeddings {
		out = 0
	}
	return layers + emb + out + h // + final norm
}

// TotalParams returns the number of weights of s, every expert included. See ActiveParams
// for what is counted.
func (s Shape) TotalParams() float64 { return s.params(s.Experts) }

// ActiveParams returns the number of weights a token passes through: for a mixture of
// experts, only TopK routed experts per MoE layer. It counts the weight matrices, embeddings
// and norm scales computed from the shape; biases and learned position embeddings are left
// out. For llama3-70b it is 70.55e9.
func (s Shape) ActiveParams() float64 {
	k := 0
	if s.Experts > 0 {
		k = s.TopK
	}
	return s.params(k)
}

// N returns the parameter count used by the 6·N·D convention: Params if set, else
// ActiveParams.
func (s Shape) N() float64 {
	if s.Params > 0 {
		return s.Params
	}
	if s.Layers <= 0 || s.Hidden <= 0 || s.Heads <= 0 {
		return 0
	}
	return s.ActiveParams()
}

// hasArchitecture reports whether s describes layers, not only a parameter count.
func (s Shape) hasArchitecture() bool {
	return s.Layers > 0 || s.Hidden > 0 || s.Heads > 0
}

// Validate reports the first field of s that makes it unusable for the Megatron formulas.
func (s Shape) Validate() error {
	pos := func(name string, v int) error {
		if v <= 0 {
			return fmt.Errorf("%s must be positive, got %d", name, v)
		}
		return nil
	}
	nonneg := func(name string, v int) error {
		if v < 0 {
			return fmt.Errorf("%s must not be negative, got %d", name, v)
		}
		return nil
	}
	for _, err := range []error{
		pos("num_layers", s.Layers),
		pos("hidden_size", s.Hidden),
		pos("num_attention_heads", s.Heads),
		nonneg("num_query_groups", s.QueryGroups),
		nonneg("kv_channels", s.KVChannels),
		nonneg("ffn_hidden_size", s.FFNHidden),
		nonneg("vocab_size", s.VocabSize),
		nonneg("padded_vocab_size", s.PaddedVocabSize),
		nonneg("make_vocab_size_divisible_by", s.VocabDivisibleBy),
		nonneg("tensor_model_parallel_size", s.TP),
		nonneg("num_experts", s.Experts),
		nonneg("moe_router_topk", s.TopK),
		nonneg("moe_ffn_hidden_size", s.MoEFFNHidden),
		nonneg("moe_shared_expert_intermediate_size", s.SharedExpertFFN),
		nonneg("moe_layers", s.MoELayers),
		nonneg("seq_length", s.SeqLength),
	} {
		if err != nil {
			return err
		}
	}
	if s.KVChannels == 0 && s.Hidden%s.Heads != 0 {
		return fmt.Errorf("hidden_size %d is not divisible by num_attention_heads %d; give kv_channels", s.Hidden, s.Heads)
	}
	if g := s.KVHeads(); g > s.Heads || s.Heads%g != 0 {
		return fmt.Errorf("num_attention_heads %d is not a multiple of num_query_groups %d", s.Heads, g)
	}
	if s.ffnHidden() <= 0 {
		return fmt.Errorf("ffn_hidden_size is zero for hidden_size %d", s.Hidden)
	}
	if s.PaddedVocab() <= 0 {
		return fmt.Errorf("vocabulary size missing: give vocab_size or padded_vocab_size")
	}
	if s.Experts > 0 {
		if s.TopK <= 0 || s.TopK > s.Experts {
			return fmt.Errorf("moe_router_topk %d must be between 1 and num_experts %d", s.TopK, s.Experts)
		}
		if s.MoELayers > s.Layers {
			return fmt.Errorf("%d MoE layers exceed num_layers %d", s.MoELayers, s.Layers)
		}
	}
	if s.Params < 0 || math.IsNaN(s.Params) || math.IsInf(s.Params, 0) {
		return fmt.Errorf("parameter count must be positive, got %g", s.Params)
	}
	return nil
}

// presets are the published shapes. Sources: the models' Hugging Face config.json
// (huggingface.co/meta-llama/Llama-2-{7b,13b,70b}-hf, meta-llama/Meta-Llama-3-{8B,70B},
// meta-llama/Llama-3.1-405B, mistralai/Mixtral-8x7B-v0.1); NVIDIA/NeMo at 8cfedd7203,
// nemo/collections/llm/gpt/model/llama.py (Llama2Config7B/13B/70B, Llama3Config8B/70B,
// Llama31Config405B), mixtral.py (MixtralConfig8x7B) and base.py (GPTConfig175B); and the
// GPT-3 paper (Brown et al. 2020, table 2.1; GPT-2 BPE vocabulary of 50257, tied embeddings).
// TestPresetSources checks each field, TestParams the published parameter counts.
var presets = map[string]Shape{
	"llama2-7b": {
		Layers: 32, Hidden: 4096, Heads: 32, FFNHidden: 11008, SwiGLU: true,
		VocabSize: 32000, Params: 7e9,
	},
	"llama2-13b": {
		Layers: 40, Hidden: 5120, Heads: 40, FFNHidden: 13824, SwiGLU: true,
		VocabSize: 32000, Params: 13e9,
	},
	"llama2-70b": {
		Layers: 80, Hidden: 8192, Heads: 64, QueryGroups: 8, FFNHidden: 28672, SwiGLU: true,
		VocabSize: 32000, Params: 70e9,
	},
	"llama3-8b": {
		Layers: 32, Hidden: 4096, Heads: 32, QueryGroups: 8, FFNHidden: 14336, SwiGLU: true,
		VocabSize: 128256, Params: 8e9,
	},
	"llama3-70b": {
		Layers: 80, Hidden: 8192, Heads: 64, QueryGroups: 8, FFNHidden: 28672, SwiGLU: true,
		VocabSize: 128256, Params: 70e9,
	},
	"llama3-405b": {
		Layers: 126, Hidden: 16384, Heads: 128, QueryGroups: 8, FFNHidden: 53248, SwiGLU: true,
		VocabSize: 128256, Params: 405e9,
	},
	"gpt3-175b": {
		Layers: 96, Hidden: 12288, Heads: 96, FFNHidden: 49152,
		VocabSize: 50257, TiedEmbeddings: true, Params: 175e9,
	},
	// Mixtral's N is its active parameter count (12.9e9 of 46.7e9), the one that
	// 6·N·D means for a mixture of experts.
	"mixtral-8x7b": {
		Layers: 32, Hidden: 4096, Heads: 32, QueryGroups: 8, FFNHidden: 14336, SwiGLU: true,
		VocabSize: 32000, Experts: 8, TopK: 2, Params: 12.9e9,
	},
}

// Preset returns the shape of a well-known model by name (see PresetNames), with Name set.
func Preset(name string) (Shape, bool) {
	s, ok := presets[name]
	if ok {
		s.Name = name
	}
	return s, ok
}

// PresetNames returns the names Preset knows, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
