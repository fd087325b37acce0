package flops

import (
	"fmt"
	"strconv"
	"strings"
)

// maxDim bounds every integer read from arguments, so that products of them cannot
// overflow.
const maxDim = 1 << 30

// ShapeFromMegatronArgs builds a Shape from Megatron-LM arguments, keyed by the names its
// "arguments" block prints (num_layers, hidden_size, …; "--num-layers" and "num-layers" are
// accepted too). Values are as printed: "None" means unset, booleans are True or False.
//
// It reads num_layers, hidden_size and num_attention_heads (required); kv_channels,
// group_query_attention with num_query_groups, ffn_hidden_size, swiglu,
// attention_output_gate; padded_vocab_size, or vocab_size with make_vocab_size_divisible_by
// and tensor_model_parallel_size; num_experts, moe_router_topk, moe_ffn_hidden_size,
// moe_shared_expert_intermediate_size, moe_layer_freq; untie_embeddings_and_output_weights
// and seq_length. One of padded_vocab_size and vocab_size must be set: Megatron prints both
// as None when the tokenizer supplies the vocabulary, and the padded size is then in its
// " > padded vocab (size: V) with D dummy tokens (new size: P)" line.
//
// Architectures whose FLOPs the Megatron formulas here do not model (multi-latent
// attention, multi-token prediction, hybrid Mamba models, linear attention variants, latent
// MoE) are reported as errors rather than counted wrong.
func ShapeFromMegatronArgs(args map[string]string) (Shape, error) {
	r := argReader{m: make(map[string]string, len(args))}
	for k, v := range args {
		k = strings.ToLower(strings.TrimSpace(k))
		k = strings.ReplaceAll(strings.TrimLeft(k, "-"), "-", "_")
		v = strings.TrimSpace(v)
		if v == "" || v == "None" {
			continue
		}
		r.m[k] = v
	}

	for _, k := range []string{"multi_latent_attention", "hybrid_override_pattern", "hybrid_layer_pattern",
		"experimental_attention_variant", "moe_latent_size", "mtp_num_layers"} {
		v, ok := r.m[k]
		if !ok || v == "False" || v == "false" || v == "0" {
			continue
		}
		return Shape{}, fmt.Errorf("%s = %s: this architecture's FLOPs are not modelled", k, quoteArg(v))
	}

	var s Shape
	s.Layers = r.int("num_layers", true)
	s.Hidden = r.int("hidden_size", true)
	s.Heads = r.int("num_attention_heads", true)
	s.KVChannels = r.int("kv_channels", false)
	if gqa, ok := r.bool("group_query_attention"); gqa || !ok {
		// Without group_query_attention Megatron ignores num_query_groups; when the flag is
		// absent altogether (a hand-written map), take num_query_groups at its word.
		s.QueryGroups = r.int("num_query_groups", gqa)
	}
	s.FFNHidden = r.int("ffn_hidden_size", false)
	s.SwiGLU, _ = r.bool("swiglu")
	s.AttentionOutputGate, _ = r.bool("attention_output_gate")

	s.PaddedVocabSize = r.int("padded_vocab_size", false)
	s.VocabSize = r.int("vocab_size", false)
	s.VocabDivisibleBy = r.int("make_vocab_size_divisible_by", false)
	s.TP = r.int("tensor_model_parallel_size", false)
	if r.err == nil && s.PaddedVocabSize == 0 && s.VocabSize == 0 {
		r.err = fmt.Errorf("padded_vocab_size or vocab_size missing: take the padded size from Megatron's \"padded vocab (size: …)\" line")
	}

	s.Experts = r.int("num_experts", false)
	if s.Experts > 0 {
		s.TopK = r.int("moe_router_topk", false)
		if _, ok := r.m["moe_router_topk"]; !ok {
			s.TopK = 2 // Megatron's default
		}
		s.MoEFFNHidden = r.int("moe_ffn_hidden_size", false)
		s.SharedExpertFFN = r.int("moe_shared_expert_intermediate_size", false)
		if v, ok := r.m["moe_layer_freq"]; ok && r.err == nil && s.Layers > 0 {
			n, err := moeLayerCount(v, s.Layers)
			if err != nil {
				r.err = fmt.Errorf("moe_layer_freq: %v", err)
			}
			s.MoELayers = n
		}
	}
	if untie, ok := r.bool("untie_embeddings_and_output_weights"); ok {
		s.TiedEmbeddings = !untie
	}
	s.SeqLength = r.int("seq_length", false)

	if r.err != nil {
		return Shape{}, r.err
	}
	if err := s.Validate(); err != nil {
		return Shape{}, err
	}
	return s, nil
}

// moeLayerCount returns the number of MoE layers that moe_layer_freq selects among layers:
// an integer k means every k-th layer starting with the first, a list such as [1, 1, 0]
// marks each layer.
func moeLayerCount(v string, layers int) (int, error) {
	if k, err := strconv.Atoi(v); err == nil {
		if k <= 0 {
			return 0, fmt.Errorf("want a positive integer or a list, got %s", quoteArg(v))
		}
		return (layers + k - 1) / k, nil
	}
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return 0, fmt.Errorf("want an integer or a list such as [1, 0, 1], got %s", quoteArg(v))
	}
	body := strings.TrimSpace(v[1 : len(v)-1])
	if body == "" {
		return 0, fmt.Errorf("empty layer pattern")
	}
	fields := strings.Split(body, ",")
	if len(fields) != layers {
		return 0, fmt.Errorf("pattern has %d entries for %d layers", len(fields), layers)
	}
	n := 0
	for _, f := range fields {
		switch strings.TrimSpace(f) {
		case "1":
			n++
		case "0":
		default:
			return 0, fmt.Errorf("pattern entry %s is not 0 or 1", quoteArg(strings.TrimSpace(f)))
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("pattern has no MoE layer")
	}
	return n, nil
}

// An argReader reads typed values from normalized arguments, keeping the first error.
type argReader struct {
	m   map[string]string
	err error
}

// int returns the positive integer at key, or 0 if it is absent (an error if required).
func (r *argReader) int(key string, required bool) int {
	v, ok := r.m[key]
	if !ok {
		if required && r.err == nil {
			r.err = fmt.Errorf("%s missing", key)
		}
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > maxDim {
		if r.err == nil {
			r.err = fmt.Errorf("%s: want a positive integer up to %d, got %s", key, maxDim, quoteArg(v))
		}
		return 0
	}
	return n
}

// bool returns the boolean at key and whether it was present.
func (r *argReader) bool(key string) (value, ok bool) {
	v, ok := r.m[key]
	if !ok {
		return false, false
	}
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	if r.err == nil {
		r.err = fmt.Errorf("%s: want True or False, got %s", key, quoteArg(v))
	}
	return false, true
}

// quoteArg quotes an argument value for an error message, shortening long ones.
func quoteArg(v string) string {
	const max = 40
	if len(v) > max {
		v = v[:max] + "…"
	}
	return strconv.Quote(v)
}
