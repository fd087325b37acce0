package ingest

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/flops"
)

// This file decides what of a Megatron-LM launch is config identity and what is a fingerprint,
// and compares fingerprints.
//
// A sweep table's "addtl args" column is a delta over a standard launch script: it names the
// options the sweep varies (distributed optimizer, overlap of grad reduce and param gather,
// recomputation) and is silent on those every run has (sequence parallelism at tp > 1,
// Transformer Engine, bf16, flash attention). A log's config therefore holds, as flags, only
// the options of the flag vocabulary (bench.FlagVocabulary) plus any argument the repository
// names in Options.KeyArgs; every other argument goes to Run.Args, the run's fingerprint, so
// that a flipped launch argument shows up as args drift between baseline and PR rather than
// hiding as a new config or passing unnoticed.

// keyedArgs are the argument-dump entries that the config key already says (tp, pp, batch
// sizes, sequence length, GPU count) or that the flag vocabulary turns into flags.
var keyedArgs = map[string]bool{
	"tensor_model_parallel_size": true, "pipeline_model_parallel_size": true,
	"virtual_pipeline_model_parallel_size": true, "context_parallel_size": true,
	"expert_model_parallel_size": true, "micro_batch_size": true, "global_batch_size": true,
	"seq_length": true, "world_size": true, "data_parallel_size": true,
	"gpus_per_node": true, "num_gpus_per_node": true, "nproc_per_node": true,
	"use_distributed_optimizer": true, "overlap_grad_reduce": true, "overlap_param_gather": true,
	"recompute_granularity": true, "recompute_method": true, "recompute_activations": true,
	"fp8": true, "fp8_format": true, "tp_comm_overlap": true,
	"transformer_pipeline_model_parallel_size": true, "num_layers_per_virtual_pipeline_stage": true,
}

// noiseArgs are substrings of argument names that differ between runs without changing what
// was run: paths, names, seeds, ranks, ports, logging and checkpoint settings, run lengths,
// optimiser hyperparameters. They are left out of the fingerprint so args drift does not cry
// wolf on every nightly.
var noiseArgs = []string{
	"path", "dir", "file", "save", "load", "log", "tensorboard", "wandb", "seed", "rank", "port",
	"addr", "iters", "interval", "timeout", "profile", "name", "project", "data", "split",
	"num_workers", "exit", "timing", "straggler", "one_logger", "ckpt", "checkpoint", "consumed",
	"samples", "eval", "rerun", "s3_", "tokenizer", "lr", "adam", "weight_decay", "clip_grad",
	"init_method", "loss_scale", "hysteresis", "dropout", "warmup", "decay", "num_microbatches",
	"wgrad_deferral", "heterogeneous", "record_memory", "memory_snapshot", "nvtx",
}

// megatronFlags returns the flag tokens an argument dump enables: those of the flag
// vocabulary, and for each argument named in keyArgs its name ("sequence-parallel" for
// sequence_parallel True) or its name and value ("transformer-impl-local").
func megatronFlags(args map[string]string, keyArgs []string) []string {
	var flags []string
	on := func(name string) bool { return args[name] == "True" }
	set := func(name string) bool {
		v, ok := args[name]
		return ok && v != "None" && v != "False" && v != ""
	}
	if on("use_distributed_optimizer") {
		flags = append(flags, "dist-opt")
	}
	if on("overlap_grad_reduce") {
		flags = append(flags, "overlap-grad")
	}
	if on("overlap_param_gather") {
		flags = append(flags, "overlap-param")
	}
	switch args["recompute_granularity"] {
	case "selective":
		flags = append(flags, "recompute-selective")
	case "full":
		switch m := args["recompute_method"]; m {
		case "block", "uniform":
			flags = append(flags, "recompute-"+m)
		default:
			flags = append(flags, "recompute-full")
		}
	default:
		if on("recompute_activations") {
			flags = append(flags, "recompute-selective")
		}
	}
	if set("fp8") || set("fp8_format") {
		flags = append(flags, "fp8")
	}
	if on("tp_comm_overlap") {
		flags = append(flags, "tp-overlap")
	}
	for _, name := range keyArgs {
		if !set(name) {
			continue
		}
		v := args[name]
		tok := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if v != "True" {
			tok += "-" + strings.ToLower(strings.Join(strings.Fields(v), "-"))
		}
		flags = append(flags, tok)
	}
	return flags
}

// argsFingerprint returns the arguments of a dump that are neither part of the config key nor
// per-run noise.
func argsFingerprint(args map[string]string, keyArgs []string) map[string]string {
	skip := map[string]bool{}
	for _, k := range keyArgs {
		skip[k] = true
	}
	fp := map[string]string{}
	for k, v := range args {
		if keyedArgs[k] || skip[k] || isNoiseArg(k) {
			continue
		}
		fp[k] = v
	}
	return fp
}

func isNoiseArg(name string) bool {
	for _, s := range noiseArgs {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// formulaTolerance is how far logged TFLOPS may stray from a formula's value and still match
// it: the logged number is rounded to 0.1 TFLOP/s and computed from the same time.
const formulaTolerance = 0.005

// loggedFormula names the FLOPs formula whose value, for the dump's model shape and batch at
// the run's median time per iteration, matches the median logged TFLOP/s/GPU ("a/b" when
// several do). It returns "" when the shape is incomplete or no formula matches.
func loggedFormula(args map[string]string, secs, tflops []float64) string {
	world, err := strconv.Atoi(args["world_size"])
	if err != nil || world <= 0 {
		return ""
	}
	gbs, err1 := strconv.Atoi(args["global_batch_size"])
	seq, err2 := strconv.Atoi(args["seq_length"])
	if err1 != nil || err2 != nil {
		return ""
	}
	shape, err := flops.ShapeFromMegatronArgs(args)
	if err != nil {
		return ""
	}
	sec, logged := bench.Center(secs), bench.Center(tflops)
	var matches []string
	for _, f := range flops.Formulas {
		fl, err := flops.FLOPsPerIter(f, shape, gbs, seq)
		if err != nil {
			continue
		}
		if v := flops.TFLOPSPerGPU(fl, sec, world); math.Abs(logged/v-1) <= formulaTolerance {
			matches = append(matches, string(f))
		}
	}
	sort.Strings(matches)
	return strings.Join(matches, "/")
}
