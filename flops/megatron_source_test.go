package flops

import "testing"

// TestMegatronSource reproduces Megatron-LM's num_floating_point_operations
// (megatron/training/training.py, github.com/NVIDIA/Megatron-LM) for three configs, under
// the two forms it has had:
//
//   - megatron: the form of commit 8873b55d6a (2025-03-06, "Fixes in number of
//     floating-point operation estimates for MoE and attention layer"). Its transformer_flops
//     at d98e8a64dd (2026-08) gives the same numbers for these configs: the terms it added
//     since (multi-token prediction, multi-latent attention, latent MoE, linear attention,
//     packed sequences) are all zero here.
//   - megatron-legacy: the form of ed7db1d2b3 (2025-02-27), the parent of 8873b55d6a.
//
// Each want is worked out by hand from the source, per token (b·s tokens per iteration),
// with q = kv_channels·heads and k = v = kv_channels·query_groups:
//
//	projections  3·2·(h·(q+2k) + q·h)                      both forms, per layer
//	core attn    3·2·q·s          (8873b55d6a: (s/h/2)·q/h·12h²)
//	             3·2·2·q·s        (ed7db1d2b3: (s/h)·q/h·12h², no causal halving)
//	MLP          3·2·h·ffn·(3 SwiGLU | 2)                   per dense layer
//	MoE          3·2·h·(moe_ffn·topk + shared)·(3|2)        per MoE layer (8873b55d6a);
//	             ed7db1d2b3 counts every layer as MoE, with moe_ffn_hidden_size (which
//	             arguments.py defaults to ffn_hidden_size) and the shared experts
//	logits       3·2·h·padded_vocab                         once
//
// The same values come out of running the two functions from the source at those commits
// with the configs below.
func TestMegatronSource(t *testing.T) {
	tests := []struct {
		name             string
		s                Shape
		gbs, seq         int
		megatron, legacy float64
	}{
		{
			// Llama-3 70B at tp=8 (128256 padded to 129024), s=4096, gbs=1024.
			// Per token: projections 6·(8192·10240 + 8192·8192) = 905969664 per layer;
			// core 6·8192·4096 = 201326592 per layer (legacy 402653184); MLP
			// 6·8192·28672·3 = 4227858432 per layer; logits 6·8192·129024 = 6341787648.
			// megatron: 80·(905969664+201326592+4227858432) + 6341787648 = 433154162688
			// per token, × 1024·4096 = 1816780237178929152.
			// legacy: 80·(905969664+402653184+4227858432) + 6341787648 = 449260290048,
			// × 4194304 = 1884334231589486592 (3.718% above megatron).
			name: "llama3-70b dense GQA SwiGLU",
			s: Shape{Layers: 80, Hidden: 8192, Heads: 64, QueryGroups: 8, KVChannels: 128,
				FFNHidden: 28672, SwiGLU: true, VocabSize: 128256, TP: 8},
			gbs: 1024, seq: 4096,
			megatron: 1816780237178929152, legacy: 1884334231589486592,
		},
		{
			// GPT-3 175B: MHA, GeLU MLP, 50257 padded to 51200 at tp=8, s=2048, gbs=512.
			// Per token: projections 6·(12288·36864 + 12288·12288) = 3623878656; core
			// 6·12288·2048 = 150994944 (legacy 301989888); MLP 6·12288·49152·2 =
			// 7247757312; logits 6·12288·51200 = 3774873600.
			// megatron: 96·(3623878656+150994944+7247757312) + 3774873600 = 1061947441152,
			// × 512·2048 = 1113532600053399552.
			// legacy: 96·(3623878656+301989888+7247757312) + 3774873600 = 1076442955776,
			// × 1048576 = 1128732248795774976.
			name: "gpt3-175b MHA GeLU",
			s: Shape{Layers: 96, Hidden: 12288, Heads: 96, FFNHidden: 49152,
				VocabSize: 50257, TP: 8},
			gbs: 512, seq: 2048,
			megatron: 1113532600053399552, legacy: 1128732248795774976,
		},
		{
			// A fine-grained MoE: 24 layers, the first dense (moe_layer_freq [0]+[1]*23),
			// h=2048, 16 heads of 128 in 4 groups, dense ffn 8192, 64 experts of 1408,
			// top-6, shared experts 2816, SwiGLU, padded vocabulary 151936; s=4096, gbs=512.
			// Per token: projections 6·(2048·3072 + 2048·2048) = 62914560; core
			// 6·2048·4096 = 50331648 (legacy 100663296); logits 6·2048·151936 = 1866989568.
			// megatron MLP: 6·2048·3·(8192·1 + (1408·6 + 2816)·23) = 9852420096;
			// 24·(62914560+50331648) + 9852420096 + 1866989568 = 14437318656 per token,
			// × 512·4096 = 30277251694067712.
			// legacy MLP: 6·2048·3·24·(1408·6 + 2816) = 9965666304;
			// 24·(62914560+100663296) + 9965666304 + 1866989568 = 15758524416,
			// × 2097152 = 33048020996063232.
			name: "moe shared experts, first layer dense",
			s: Shape{Layers: 24, Hidden: 2048, Heads: 16, QueryGroups: 4, KVChannels: 128,
				FFNHidden: 8192, SwiGLU: true, PaddedVocabSize: 151936,
				Experts: 64, TopK: 6, MoEFFNHidden: 1408, SharedExpertFFN: 2816, MoELayers: 23},
			gbs: 512, seq: 4096,
			megatron: 30277251694067712, legacy: 33048020996063232,
		},
	}
	for _, tc := range tests {
		for _, w := range []struct {
			f    Formula
			want float64
		}{{Megatron, tc.megatron}, {MegatronLegacy, tc.legacy}} {
			got, err := FLOPsPerIter(w.f, tc.s, tc.gbs, tc.seq)
			if err != nil {
				t.Errorf("%s %s: %v", tc.name, w.f, err)
				continue
			}
			if !near(got, w.want, 1e-12) {
				t.Errorf("%s %s: FLOPs/iter = %.16e, Megatron-LM gives %.16e (%+.3f%%)",
					tc.name, w.f, got, w.want, (got/w.want-1)*100)
			}
		}
	}
}
