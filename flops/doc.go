// Package flops counts the model floating-point operations of a training iteration of a
// decoder-only transformer, and turns them into TFLOP/s per GPU and model FLOPs utilization
// (MFU).
//
// A TFLOPS figure is a time per iteration seen through a FLOPs convention. Trainers and sweep
// tables use different conventions, and one trainer changed its own, so perfgate names the
// convention (a Formula) wherever it computes TFLOPS, and compares numbers only under the
// same one. Three are implemented:
//
//   - SixND ("6nd"): 6·N·D, where N is the parameter count and D = gbs·sl the tokens of an
//     iteration: 2 FLOPs per multiply-add, times 3 for the forward pass and the two
//     backward GEMMs (data and weight gradients). Attention scores and logits are not
//     counted separately. It is the convention of perfgate's seed sweep table: with
//     N = 70e9 and 8 GPUs per node, 6·N·gbs·sl/(time·GPUs)/1e12 reproduces its TFLOPS
//     column from its time column within 0.25%. Presets therefore carry the nominal size
//     as N (70e9 for llama3-70b, whose matrices hold 70.55e9 weights; see
//     Shape.ActiveParams); for mixtral-8x7b N is the active count, 12.9e9, because a token
//     passes through two of eight experts. A shape without a preset uses ActiveParams.
//
//   - Megatron ("megatron"): Megatron-LM's num_floating_point_operations as changed by commit
//     8873b55d6a (2025-03-06, "Fixes in number of floating-point operation estimates for MoE
//     and attention layer") and what it logs as "throughput per GPU (TFLOP/s/GPU)" since.
//     Per token and layer, with q = kv_channels·heads and k = v = kv_channels·query_groups:
//     6·(h·(q+k+v) + q·h) for the projections, 6·q·s for the attention scores and their
//     product with V (12·q·s, halved because the causal mask zeroes half the matrix),
//     6·h·ffn·(3 with SwiGLU, else 2) for a dense MLP, and for an MoE layer the same with
//     moe_ffn_hidden_size·topk plus the shared experts; plus 6·h·V_pad per token for the
//     logits, V_pad being the vocabulary padded to a multiple of 128·tp.
//
//   - MegatronLegacy ("megatron-legacy"): the closed form Megatron-LM used before that
//     commit, as at its parent ed7db1d2b3 (2025-02-27):
//
//     12·B·s·L·h²·[(1 + g/n + s/h)·(kv·n/h) + (ffn/h)·topk·G + (shared/h)·G + V_pad/(2·L·h)]
//
//     with B the global batch, s the sequence length, L layers, n heads, g query groups,
//     G = 1.5 with SwiGLU and 1 without. The s/h term counts the full s×s attention matrix.
//     With experts, every layer's MLP counts as MoE (moe_layer_freq is ignored), ffn is
//     moe_ffn_hidden_size (defaulting to ffn_hidden_size) and topk is moe_router_topk;
//     without, topk is 1 and shared is 0. Earlier revisions differ for MoE only: no shared
//     term before 1fa9464e7c (2024-09-11), and ffn_hidden_size per routed expert before
//     0d389f5e99 (2025-02-25).
//
// TestMegatronSource reproduces both forms for three configs, worked out from the source.
// Multi-token prediction, multi-latent attention and the other additions Megatron-LM made
// to the current form since 8873b55d6a are not modelled: ShapeFromMegatronArgs rejects
// them.
//
// # Why the two Megatron forms differ
//
// The forms agree on the projections, the MLP and the logits. They differ in core attention:
// the legacy form charges 12·q·s per token and layer, the current one 6·q·s. For a 70B
// Llama-3 shape (h=8192, L=80, n=64, g=8, ffn=28672, SwiGLU, V_pad=129024 at tp=8) at
// s=4096 and gbs=1024 that is 1.8843e18 against 1.8168e18 FLOPs per iteration: the legacy
// form reads 3.7% higher, 465.9 against 449.2 TFLOP/s/GPU at 15.8 s/iter on 256 GPUs. The
// gap grows with s/h. A Megatron-LM upgrade across that commit therefore lowers logged
// TFLOPS by a few percent at unchanged speed. That is a change of convention, not a
// regression: compare time per iteration, or recompute TFLOPS from it under one pinned
// formula (RecomputeTFLOPS) for baseline and pull request alike. The same holds for 6nd
// against the Megatron forms: 6·N·D leaves out attention scores, so for the 70B shape at
// s=4096 it is about 3% below the current Megatron count, and it does not depend on tp.
//
// Model FLOPs never include activation recomputation: a run with full recompute does more
// work than it is credited with, by design, so that TFLOPS compare across recompute
// settings. MFU divides TFLOPS per GPU by the dense (non-sparse) tensor-core peak of the GPU
// for the training dtype (PeakTFLOPS).
package flops
