package ingest

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// This file generates the synthetic trainer logs under testdata/logs (go test ./ingest
// -run TestLogFixtures -updateLogs rewrites them) and the endless Megatron log that
// BenchmarkMegatron reads. The generators are deterministic.

// rng is a small deterministic generator (xorshift64*), so fixtures do not depend on the
// algorithms of math/rand.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = rng(x)
	return x * 2685821657736338717
}

// jitter returns a factor in [1-a, 1+a].
func (r *rng) jitter(a float64) float64 {
	u := float64(r.next()>>11) / (1 << 53)
	return 1 + a*(2*u-1)
}

// A megaSpec describes one generated Megatron-LM run.
type megaSpec struct {
	TP, PP, MBS, GBS, SL, Nodes int
	VPP                         int
	Flags                       []string // dist-opt, overlap-grad, overlap-param, sequence-parallel
	Recompute                   string   // "", "selective", "full-block"
	TrainIters, LogInterval     int
	SecPerIter, TFLOPS          float64 // steady medians; TFLOPS 0 means no --log-throughput
	Seed                        uint64
	Prefix                      string // "srun" (rank numbers), "torchrun" ([defaultN]:), "" none
	StopAt                      int    // cut off by the time limit after this iteration
	OOM                         bool   // out of memory in the first iteration
	Fail                        string // "nccl" or "segfault": crash after a few iterations
	CRLF                        bool
	Date                        string
}

// prefix returns the launcher prefix of a line printed by global rank rank.
func (s *megaSpec) prefix(rank int) string {
	switch s.Prefix {
	case "srun":
		return fmt.Sprintf("%d: ", rank)
	case "torchrun":
		return fmt.Sprintf("[default%d]:", rank%8)
	}
	return ""
}

func (s *megaSpec) world() int { return s.Nodes * 8 }

// args returns the argument dump of the run, as Megatron-LM prints it.
func (s *megaSpec) args() map[string]string {
	b := func(v bool) string {
		if v {
			return "True"
		}
		return "False"
	}
	has := func(f string) bool {
		for _, x := range s.Flags {
			if x == f {
				return true
			}
		}
		return false
	}
	dp := s.world() / (s.TP * s.PP)
	a := map[string]string{
		"accumulate_allreduce_grads_in_fp32":   "True",
		"adam_beta1":                           "0.9",
		"adam_beta2":                           "0.95",
		"apply_query_key_layer_scaling":        "False",
		"attention_dropout":                    "0.0",
		"bf16":                                 "True",
		"clip_grad":                            "1.0",
		"context_parallel_size":                "1",
		"data_parallel_size":                   fmt.Sprint(dp),
		"data_path":                            "['/data/slimpajama/llama3_text_document']",
		"distributed_backend":                  "nccl",
		"eval_interval":                        "1000",
		"eval_iters":                           "0",
		"expert_model_parallel_size":           "1",
		"ffn_hidden_size":                      "28672",
		"fp16":                                 "False",
		"fp8":                                  "None",
		"global_batch_size":                    fmt.Sprint(s.GBS),
		"group_query_attention":                "True",
		"hidden_dropout":                       "0.0",
		"hidden_size":                          "8192",
		"init_method_std":                      "0.008",
		"kv_channels":                          "128",
		"log_interval":                         fmt.Sprint(s.LogInterval),
		"log_throughput":                       b(s.TFLOPS > 0),
		"lr":                                   "0.00015",
		"lr_decay_style":                       "cosine",
		"make_vocab_size_divisible_by":         "128",
		"max_position_embeddings":              fmt.Sprint(s.SL),
		"micro_batch_size":                     fmt.Sprint(s.MBS),
		"min_lr":                               "1.5e-05",
		"normalization":                        "RMSNorm",
		"num_attention_heads":                  "64",
		"num_layers":                           "80",
		"num_query_groups":                     "8",
		"overlap_grad_reduce":                  b(has("overlap-grad")),
		"overlap_param_gather":                 b(has("overlap-param")),
		"padded_vocab_size":                    "128256",
		"params_dtype":                         "torch.bfloat16",
		"pipeline_model_parallel_size":         fmt.Sprint(s.PP),
		"position_embedding_type":              "rope",
		"rank":                                 "0",
		"recompute_granularity":                "None",
		"recompute_method":                     "None",
		"recompute_num_layers":                 "None",
		"save":                                 "None",
		"seed":                                 "1234",
		"seq_length":                           fmt.Sprint(s.SL),
		"sequence_parallel":                    b(has("sequence-parallel")),
		"swiglu":                               "True",
		"tensor_model_parallel_size":           fmt.Sprint(s.TP),
		"tokenizer_type":                       "HuggingFaceTokenizer",
		"train_iters":                          fmt.Sprint(s.TrainIters),
		"transformer_impl":                     "transformer_engine",
		"untie_embeddings_and_output_weights":  "True",
		"use_distributed_optimizer":            b(has("dist-opt")),
		"use_flash_attn":                       "True",
		"use_mcore_models":                     "True",
		"virtual_pipeline_model_parallel_size": "None",
		"vocab_size":                           "128256",
		"wandb_project":                        "",
		"weight_decay":                         "0.1",
		"world_size":                           fmt.Sprint(s.world()),
	}
	if s.VPP > 1 {
		a["virtual_pipeline_model_parallel_size"] = fmt.Sprint(s.VPP)
	}
	switch s.Recompute {
	case "selective":
		a["recompute_granularity"] = "selective"
	case "full-block":
		a["recompute_granularity"] = "full"
		a["recompute_method"] = "block"
		a["recompute_num_layers"] = "1"
	}
	return a
}

// write writes the run's log to w.
func (s *megaSpec) write(w io.Writer) {
	eol := "\n"
	if s.CRLF {
		eol = "\r\n"
	}
	last := s.world() - 1
	pr := func(rank int, format string, args ...any) {
		fmt.Fprintf(w, "%s"+format+"%s", append(append([]any{s.prefix(rank)}, args...), eol)...)
	}
	r := rng(s.Seed*0x9E3779B97F4A7C15 + 1)
	date := s.Date
	if date == "" {
		date = "2025-06-02"
	}
	clock := 10*3600 + 12*60
	ts := func() string {
		c := clock % 86400
		return fmt.Sprintf("%s %02d:%02d:%02d", date, c/3600, c/60%60, c%60)
	}
	dp := s.world() / (s.TP * s.PP)
	pr(0, "using world size: %d, data-parallel size: %d, context-parallel size: 1, hierarchical context-parallel sizes: None, tensor-model-parallel size: %d, encoder-tensor-model-parallel size: 0, pipeline-model-parallel size: %d, encoder-pipeline-model-parallel size: 0", s.world(), dp, s.TP, s.PP)
	pr(0, "Number of virtual stages per pipeline stage: None")
	pr(0, "using torch.bfloat16 for parameters ...")
	pr(0, "------------------------ arguments ------------------------")
	args := s.args()
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	for i, k := range names {
		pr(0, "  %s %s %s", k, strings.Repeat(".", max(0, 48-len(k))), args[k])
		if i == len(names)/2 && s.Prefix != "" {
			// Another rank's warning, interleaved with the dump.
			pr(3, "/usr/local/lib/python3.12/dist-packages/transformer_engine/pytorch/attention.py:4112: UserWarning: flash-attn v3 is not installed.")
		}
	}
	pr(0, "-------------------- end of arguments ---------------------")
	pr(0, "setting number of micro-batches to constant %d", s.GBS/(s.MBS*dp))
	pr(0, "> building HuggingFaceTokenizer tokenizer ...")
	pr(0, " > padded vocab (size: 128256) with 0 dummy tokens (new size: 128256)")
	pr(0, "> initializing torch distributed ...")
	pr(0, "> initialized tensor model parallel with size %d", s.TP)
	pr(0, "> initialized pipeline model parallel with size %d", s.PP)
	pr(0, "> setting random seeds to 1234 ...")
	pr(0, "time to initialize megatron (seconds): %.3f", 38.4*r.jitter(0.05))
	pr(0, "[after megatron is initialized] datetime: %s ", ts())
	pr(0, "building GPT model ...")
	for _, rank := range []int{0, s.TP * (s.PP - 1), last} {
		pr(rank, " > number of parameters on (tensor, pipeline) model parallel rank (%d, %d): %d", rank%s.TP, rank/s.TP%s.PP, 70_553_706_496/(s.TP*s.PP))
	}
	clock += 38
	pr(0, "[after model, optimizer, and learning rate scheduler are built] datetime: %s ", ts())
	pr(0, "> building train, validation, and test datasets ...")
	pr(0, "[after dataloaders are built] datetime: %s ", ts())
	pr(0, "done with setup ...")
	pr(0, "(min, max) time across ranks (ms):")
	pr(0, "    model-and-optimizer-setup ......................: (%.2f, %.2f)", 35210.12, 35688.90)
	pr(0, "    train/valid/test-data-iterators-setup ..........: (%.2f, %.2f)", 2210.45, 2391.02)
	pr(0, "training ...")
	pr(0, "[before the start of training step] datetime: %s ", ts())
	if s.OOM {
		for i, rank := range []int{5, 13, 2} {
			pr(rank, "Traceback (most recent call last):")
			pr(rank, "  File \"/workspace/megatron-lm/pretrain_gpt.py\", line 291, in <module>")
			pr(rank, "    pretrain(")
			pr(rank, "  File \"/workspace/megatron-lm/megatron/training/training.py\", line 386, in pretrain")
			if i == 0 {
				pr(rank, "    iteration, num_floating_point_operations_so_far = train(")
			}
			pr(rank, "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate %.2f GiB. GPU %d has a total capacity of 79.11 GiB of which %.2f GiB is free. Including non-PyTorch memory, this process has 77.02 GiB memory in use.", 3.5, rank%8, 1.2+float64(i)*0.3)
		}
		pr(0, "E0602 10:16:02.411000 3921 torch/distributed/elastic/multiprocessing/api.py:869] failed (exitcode: 1) local_rank: 5 (pid: 3926) of binary: /usr/bin/python")
		return
	}
	loss := 11.93
	lr := 0.0
	for it := 1; it <= s.TrainIters; it++ {
		if s.StopAt > 0 && it > s.StopAt {
			pr(0, "slurmstepd: error: *** STEP 4242.0 ON node-001 CANCELLED AT %sT%s DUE TO TIME LIMIT ***", date, ts()[len(date)+1:])
			pr(0, "srun: Job step aborted: Waiting up to 32 seconds for job step to finish.")
			return
		}
		sec := s.SecPerIter * r.jitter(0.006)
		switch it {
		case 1:
			sec = s.SecPerIter * 2.1
		case 2:
			sec = s.SecPerIter * 1.04
		}
		clock += int(sec)
		lr += 1.5e-7
		loss = 0.93*loss + 0.07*2.1*r.jitter(0.05)
		if it%s.LogInterval != 0 && it != 1 {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, " [%s] iteration %8d/%8d | consumed samples: %12d | elapsed time per iteration (ms): %.1f |", ts(), it, s.TrainIters, it*s.GBS, sec*1000)
		if s.TFLOPS > 0 {
			fmt.Fprintf(&b, " throughput per GPU (TFLOP/s/GPU): %.1f |", s.TFLOPS*s.SecPerIter/sec)
		}
		fmt.Fprintf(&b, " learning rate: %.6E | global batch size: %5d | lm loss: %.6E | loss scale: 1.0 | grad norm: %.3f | number of skipped iterations: %3d | number of nan iterations: %3d |", lr, s.GBS, loss, 1.2*r.jitter(0.3), 0, 0)
		pr(last, "%s", b.String())
		if it == 1 {
			for stage := 0; stage < s.PP; stage += max(1, s.PP/4) {
				rank := stage * s.TP
				alloc := 52118.37 * (1 - 0.04*float64(stage)) * (1 + 0.22*float64(s.MBS-1))
				pr(rank, "[Rank %d] (after %d iterations) memory (MB) | allocated: %.2f | max allocated: %.2f | reserved: %.2f | max reserved: %.2f", rank, it, alloc*0.36, alloc, alloc*1.08, alloc*1.08)
			}
		}
		if s.Fail != "" && it == 3 {
			switch s.Fail {
			case "nccl":
				pr(12, "[rank12]:[E602 10:31:17.512893 ProcessGroupNCCL.cpp:616] [Rank 12] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=4211, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for 600043 milliseconds before timing out.")
				pr(12, "[rank12]: Traceback (most recent call last):")
				pr(12, "[rank12]:   File \"/workspace/megatron-lm/pretrain_gpt.py\", line 291, in <module>")
				pr(12, "[rank12]: torch.distributed.DistBackendError: NCCL error in: /opt/pytorch/pytorch/torch/csrc/distributed/c10d/NCCLUtils.hpp:317, unhandled system error (run with NCCL_DEBUG=INFO for details), NCCL version 2.21.5")
			case "segfault":
				pr(7, "Fatal Python error: Segmentation fault")
				pr(7, "")
				pr(7, "Thread 0x00007f2b3d7fe640 (most recent call first):")
			}
			return
		}
	}
	pr(0, "[after training is done] datetime: %s ", ts())
}

// megaLog returns the log of the runs, concatenated.
func megaLog(specs ...megaSpec) string {
	var b strings.Builder
	for i := range specs {
		specs[i].write(&b)
	}
	return b.String()
}

// seedRow is one row of testdata/seed/sweep-70b-32nodes.txt.
type seedRow struct {
	tp, pp, mbs, gbs int
	flags            []string
	recompute        string
	time, tflops     float64 // 0, 0 for OOM and Err rows
	outcome          bench.Outcome
}

// seedRows are the seed table's rows, in order.
var seedRows = []seedRow{
	{8, 8, 1, 64, nil, "", 5.7, 75.4, bench.OK},
	{8, 4, 1, 64, nil, "", 5.68, 75.69, bench.OK},
	{8, 4, 1, 1024, nil, "", 49.9, 137.63, bench.OK},
	{8, 8, 1, 1024, nil, "", 48.7, 141.13, bench.OK},
	{8, 8, 2, 1024, nil, "", 46.7, 147.22, bench.OK},
	{8, 8, 4, 1024, nil, "", 0, 0, bench.OOM},
	{8, 4, 2, 1024, nil, "selective", 0, 0, bench.OOM},
	{8, 8, 2, 1024, nil, "full-block", 46.9, 146.69, bench.OK},
	{8, 8, 2, 1024, nil, "selective", 46.8, 146.83, bench.OK},
	{8, 8, 4, 1024, nil, "selective", 0, 0, bench.OOM},
	{4, 8, 1, 1024, nil, "", 0, 0, bench.Error},
	{8, 4, 1, 1024, nil, "", 46.3, 148.59, bench.OK},
	{8, 4, 1, 1024, []string{"dist-opt"}, "", 46.0, 149.31, bench.OK},
	{8, 4, 2, 1024, []string{"dist-opt"}, "", 44.6, 154.02, bench.OK},
	{8, 4, 2, 1024, []string{"dist-opt", "overlap-grad", "overlap-param"}, "", 44.1, 155.72, bench.OK},
	{8, 4, 2, 1024, []string{"dist-opt", "overlap-grad"}, "", 44.3, 155.26, bench.OK},
	{8, 4, 2, 1024, []string{"dist-opt", "overlap-param"}, "", 44.7, 153.93, bench.OK},
}

// rowName is a sweep log's file name stem for a seed row: no key=value parts, so the config
// comes from the argument dump alone.
func rowName(r seedRow) string {
	flags := append([]string(nil), r.flags...)
	switch r.recompute {
	case "selective":
		flags = append(flags, "recompute-selective")
	case "full-block":
		flags = append(flags, "recompute-block")
	}
	f := "none"
	if len(flags) > 0 {
		f = strings.Join(flags, "+")
	}
	return fmt.Sprintf("tp%d-pp%d-mbs%d-gbs%d-%s", r.tp, r.pp, r.mbs, r.gbs, f)
}

// sweepFixtures returns the logs of testdata/logs/megatron-sweep: for every config of the
// seed table two runs (the rows that list a config twice give its two runs' medians; other
// OK configs get a second run within 0.4% of the first), with variations: srun and torchrun
// launcher prefixes, a run cut off by the time limit, CRLF line ends, and the config listed
// twice concatenated into one file. As in real Megatron-LM runs at tp > 1, every run has
// sequence parallelism on; the table's "addtl args" do not say so.
func sweepFixtures() map[string]string {
	files := map[string]string{}
	done := map[string]bool{}
	for i, row := range seedRows {
		name := rowName(row)
		if done[name] {
			continue
		}
		done[name] = true
		base := megaSpec{
			TP: row.tp, PP: row.pp, MBS: row.mbs, GBS: row.gbs, SL: 4096, Nodes: 32,
			Flags: append(append([]string(nil), row.flags...), "sequence-parallel"), Recompute: row.recompute, TrainIters: 20, LogInterval: 1,
			SecPerIter: row.time, TFLOPS: row.tflops, Seed: uint64(i + 1),
		}
		switch row.outcome {
		case bench.OOM:
			a, b := base, base
			a.OOM, b.OOM = true, true
			a.Prefix, b.Seed = "srun", base.Seed+100
			files[name+".run1.log"] = megaLog(a)
			files[name+".run2.log"] = megaLog(b)
			continue
		case bench.Error:
			a, b := base, base
			a.Fail, b.Fail = "nccl", "segfault"
			a.Prefix, b.Seed = "srun", base.Seed+100
			files[name+".run1.log"] = megaLog(a)
			files[name+".run2.log"] = megaLog(b)
			continue
		}
		// A second row of the same config gives the second run.
		second := base
		second.Seed += 100
		second.SecPerIter *= 1.003
		second.TFLOPS /= 1.003
		twice := false
		for _, other := range seedRows[i+1:] {
			if rowName(other) == name {
				second.SecPerIter, second.TFLOPS, twice = other.time, other.tflops, true
			}
		}
		switch {
		case twice:
			// Both runs of this config in one file, as two jobs appending to one log.
			second.Date = "2025-06-03"
			files[name+".runs1-2.log"] = megaLog(base, second)
			continue
		case row.time < 10:
			base.Prefix = "srun"
			second.Prefix = "torchrun"
		case len(row.flags) == 1 && row.mbs == 2:
			second.StopAt = 14 // hit the time limit
		case row.recompute == "full-block":
			second.CRLF = true
		}
		files[name+".run1.log"] = megaLog(base)
		files[name+".run2.log"] = megaLog(second)
	}
	return files
}

// logFixtures returns every generated fixture under testdata/logs, by path relative to it.
func logFixtures() map[string]string {
	files := map[string]string{}
	for name, content := range sweepFixtures() {
		files["megatron-sweep/"+name] = content
	}
	// Without --log-throughput: TFLOPS computed from the argument dump; log interval 5.
	files["megatron-no-throughput.log"] = megaLog(megaSpec{
		TP: 8, PP: 4, MBS: 1, GBS: 1024, SL: 4096, Nodes: 32, Flags: []string{"dist-opt", "overlap-grad", "overlap-param", "sequence-parallel"},
		VPP: 5, TrainIters: 50, LogInterval: 5, SecPerIter: 15.8, Seed: 7,
	})
	files["bridge.log"] = bridgeLog(false)
	files["bridge.log.json"] = `{"model": "llama3-70b", "tp": 4, "pp": 4, "cp": 2, "mbs": 1, "gbs": 128, "sl": 8192, "nodes": 8, "flags": ["fp8", "dist-opt"]}` + "\n"
	files["bridge-old_tp=8_pp=8_mbs=1_gbs=512_sl=4096_nodes=16.log"] = bridgeLog(true)
	files["nemo_tp=2_pp=1_mbs=4_gbs=32_sl=2048_nodes=1_flags=dist-opt.log"] = nemoLog()
	files["torchtitan.log"] = titanLog()
	files["torchtitan.json"] = `{"model": "llama3-8b", "tp": 1, "pp": 1, "nodes": 1, "flags": "fsdp+compile"}` + "\n"
	files["megatron-golden-values/gpt3_7b_tp1_pp4_memory_speed/golden_values_dev_dgx_h100.json"] = goldenJSON()
	return files
}

// bridgeLog returns a Megatron-Bridge log: the current format (Step Time line followed by
// a Megatron-style iteration line, MODEL_TFLOP/s/GPU) or, if old, only the PR #388 format.
func bridgeLog(old bool) string {
	var b strings.Builder
	r := rng(42)
	if old {
		b.WriteString("[NeMo I 2025-01-14 08:01:12 nemo_logging:393] Setting up training\n")
		for it := 1; it <= 30; it++ {
			sec := 12.78 * r.jitter(0.004)
			if it == 1 {
				sec *= 3.2
			}
			fmt.Fprintf(&b, "Step Time : %.2fs GPU utilization: %.1f TFLOP/s/GPU\n", sec, 528.1*12.78/sec)
		}
		return b.String()
	}
	b.WriteString("2025-09-30 11:02:41 - INFO - megatron.bridge.training.setup - Setting up training\n")
	for it := 1; it <= 40; it++ {
		sec := 3.41 * r.jitter(0.005)
		if it == 1 {
			sec *= 4.1
		}
		fmt.Fprintf(&b, "Step Time : %.2fs GPU utilization: %.1fMODEL_TFLOP/s/GPU\n", sec, 402.7*3.41/sec)
		fmt.Fprintf(&b, " [2025-09-30 11:%02d:%02d] iteration %8d/%8d | consumed samples: %12d | elapsed time per iteration (ms): %.1f | learning rate: %.6E | global batch size:   128 | lm loss: %.6E | loss scale: 1.0 | grad norm: 1.021 | number of skipped iterations:   0 | number of nan iterations:   0 |\n",
			3+it*3/60, it*3%60, it, 40, it*128, sec*1000, 1e-6*float64(it), 10.5-0.1*float64(it))
		if it == 1 {
			b.WriteString("[Rank 0] (after 1 iterations) memory (GB) | mem-allocated-gigabytes: 31.442 | mem-max-allocated-gigabytes: 58.913 | mem-reserved-gigabytes: 62.1 | mem-max-reserved-gigabytes: 62.1 | alloc-retries: 0\n")
			b.WriteString("[Rank 4] (after 1 iterations) memory (GB) | mem-allocated-gigabytes: 30.118 | mem-max-allocated-gigabytes: 60.004 | mem-reserved-gigabytes: 63.5 | mem-max-reserved-gigabytes: 63.5 | alloc-retries: 0\n")
		}
	}
	return b.String()
}

// nemoLog returns a NeMo 2.0 log with the FLOPs callback on every fifth step.
func nemoLog() string {
	var b strings.Builder
	r := rng(9)
	b.WriteString("[NeMo I 2025-03-11 14:22:05 nemo_logging:393] Experiments will be logged at /results/llama3-8b\n")
	b.WriteString("GPU available: True (cuda), used: True\n")
	for it := 0; it < 60; it++ {
		sec := 0.8312 * r.jitter(0.01)
		if it == 0 {
			sec = 6.103
		}
		fmt.Fprintf(&b, "Training epoch 0, iteration %d/59 | lr: %.4g | global_batch_size: 32 | global_step: %d | reduced_train_loss: %.4g | train_step_timing in s: %.4g", it, 3e-4*float64(it+1)/60, it, 11.2-0.05*float64(it), sec)
		if it%5 == 4 {
			fmt.Fprintf(&b, " | TFLOPS_per_GPU: %.4g", 401.2*0.8312/sec)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// titanLog returns a torchtitan log: two ranks, ANSI colours, thousands separators,
// "mfu: N/A" (FP8).
func titanLog() string {
	var b strings.Builder
	r := rng(5)
	const (
		red, green, orange, turquoise, blue, cyan, magenta, reset = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[34m", "\x1b[36m", "\x1b[35m", "\x1b[39m"
	)
	for rank := 0; rank < 2; rank++ {
		fmt.Fprintf(&b, "[rank%d]:[titan] 2025-07-21 15:57:31,101 - root - INFO - Starting job: Llama 3 8B training\n", rank)
	}
	for rank := 0; rank < 2; rank++ {
		fmt.Fprintf(&b, "[rank%d]:[titan] 2025-07-21 15:57:40,002 - root - INFO - Training starts at step 1, with local batch size 1, global batch size 8, gradient accumulation steps 1, sequence length 8192, total steps 100 (warmup 10)\n", rank)
	}
	for step := 1; step <= 100; step++ {
		tps := 9120.0 * r.jitter(0.004)
		if step == 1 {
			tps = 1310
		}
		if step != 1 && step%10 != 0 {
			continue
		}
		for rank := 1; rank >= 0; rank-- { // ranks print in any order
			t := tps * r.jitter(0.001)
			fmt.Fprintf(&b, "[rank%d]:[titan] 2025-07-21 15:58:%02d,%03d - root - INFO - %sstep: %2d  %sloss: %8.5f  %sgrad_norm: %7.4f  %smemory: %5.2fGiB(%.2f%%)  %stps: %s  %stflops: %s  %smfu: N/A%s\n",
				rank, step%60, step*7%1000, red, step, green, 7.6-0.02*float64(step), orange, 2.6422, turquoise, 66.91+0.01*float64(rank), 37.51, blue, thousands(t), cyan, thousands2(t*0.0345), magenta, reset)
		}
	}
	return b.String()
}

// thousands formats v rounded with thousands separators, like Python's f"{v:,}".
func thousands(v float64) string {
	s := fmt.Sprint(int64(math.Round(v)))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// thousands2 formats v like Python's f"{v:,.2f}".
func thousands2(v float64) string {
	whole := math.Floor(v)
	frac := fmt.Sprintf("%.2f", v-whole)
	if frac == "1.00" {
		whole++
		frac = "0.00"
	}
	return thousands(whole) + frac[1:]
}

// goldenJSON returns golden values in the legacy style of Megatron-LM's
// gpt3_7b_tp1_pp4_memory_speed test: iteration-time only on even steps ("nan" on odd
// ones), step 2 including warm-up.
func goldenJSON() string {
	r := rng(3)
	var loss, mem, itime []string
	for step := 1; step <= 25; step++ {
		loss = append(loss, fmt.Sprintf("%q: %.5f", fmt.Sprint(step), 12.58579-0.01*float64(step)*r.jitter(0.1)))
		mem = append(mem, fmt.Sprintf("%q: %.1f", fmt.Sprint(step), 60720852992.0+float64(min(step, 3))*1048576))
		switch {
		case step%2 == 1:
			itime = append(itime, fmt.Sprintf("%q: \"nan\"", fmt.Sprint(step)))
		case step == 2:
			itime = append(itime, fmt.Sprintf("%q: 7.90648", fmt.Sprint(step)))
		default:
			itime = append(itime, fmt.Sprintf("%q: %.5f", fmt.Sprint(step), 1.1495*r.jitter(0.005)))
		}
	}
	series := func(name string, vals []string) string {
		return fmt.Sprintf("  %q: {\n    \"start_step\": 1,\n    \"end_step\": 25,\n    \"step_interval\": 1,\n    \"values\": {\n      %s\n    }\n  }", name, strings.Join(vals, ",\n      "))
	}
	return "{\n" + strings.Join([]string{series("lm loss", loss), series("mem-max-allocated-bytes", mem), series("iteration-time", itime)}, ",\n") + "\n}\n"
}
