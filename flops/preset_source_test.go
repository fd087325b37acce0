package flops

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPresetSources checks every preset's shape field by field against the model's published
// configuration. Sources:
//
//   - nemo: NVIDIA/NeMo nemo/collections/llm/gpt/model/ at 8cfedd7203 — llama.py
//     (Llama2Config7B/13B/70B, Llama3Config8B/70B, Llama31Config405B; Llama3Config sets
//     num_query_groups 8, LlamaConfig gated_linear_unit with silu = SwiGLU), mixtral.py
//     (MixtralConfig, MixtralConfig8x7B: 8 experts, moe_router_topk 2) and base.py
//     (GPTConfig175B).
//   - hf: the Hugging Face config.json of meta-llama/Llama-2-{7b,13b,70b}-hf,
//     meta-llama/Meta-Llama-3-{8B,70B}, meta-llama/Llama-3.1-405B and
//     mistralai/Mixtral-8x7B-v0.1 (num_hidden_layers, hidden_size, num_attention_heads,
//     num_key_value_heads, intermediate_size, vocab_size, tie_word_embeddings false).
//     The vocabularies are the tokenizers' (NeMo takes them from the tokenizer): 32000 for
//     Llama 2 and Mixtral, 128256 for Llama 3 (also Megatron-Bridge
//     src/megatron/bridge/perf_recipes/llama/b200/llama3.py at 067f987df0).
//   - GPT-3: Brown et al. 2020, "Language Models are Few-Shot Learners", table 2.1
//     (96 layers, d_model 12288, 96 heads of 128, ffn 4·d_model); the GPT-2 BPE
//     vocabulary of 50257 with tied input and output embeddings.
//
// TestParams cross-checks the same shapes against the published parameter counts of the
// Llama and Mixtral checkpoints, which they reproduce exactly.
func TestPresetSources(t *testing.T) {
	type fields struct {
		Layers, Hidden, Heads, KVHeads, FFN, Vocab int
		SwiGLU, Tied                               bool
		Experts, TopK                              int
	}
	want := map[string]fields{
		"llama2-7b":    {32, 4096, 32, 32, 11008, 32000, true, false, 0, 0},
		"llama2-13b":   {40, 5120, 40, 40, 13824, 32000, true, false, 0, 0},
		"llama2-70b":   {80, 8192, 64, 8, 28672, 32000, true, false, 0, 0},
		"llama3-8b":    {32, 4096, 32, 8, 14336, 128256, true, false, 0, 0},
		"llama3-70b":   {80, 8192, 64, 8, 28672, 128256, true, false, 0, 0},
		"llama3-405b":  {126, 16384, 128, 8, 53248, 128256, true, false, 0, 0},
		"gpt3-175b":    {96, 12288, 96, 96, 49152, 50257, false, true, 0, 0},
		"mixtral-8x7b": {32, 4096, 32, 8, 14336, 32000, true, false, 8, 2},
	}
	for _, name := range PresetNames() {
		w, ok := want[name]
		if !ok {
			t.Errorf("preset %s has no published configuration to check against", name)
			continue
		}
		s, _ := Preset(name)
		got := fields{s.Layers, s.Hidden, s.Heads, s.KVHeads(), s.ffnHidden(), s.VocabSize,
			s.SwiGLU, s.TiedEmbeddings, s.Experts, s.TopK}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("preset %s differs from its published config (-published +preset):\n%s", name, diff)
		}
		if s.HeadSize() != 128 { // every preset has heads of 128
			t.Errorf("preset %s: head size %d, published 128", name, s.HeadSize())
		}
		if s.moeFFNHidden() != s.ffnHidden() || s.SharedExpertFFN != 0 || s.MoELayers != 0 {
			t.Errorf("preset %s: unexpected MoE sizes", name)
		}
	}
}
