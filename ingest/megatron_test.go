package ingest

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/flops"
)

// realIterLine is a real Megatron-LM iteration line (NVIDIA/Megatron-LM issue #756).
const realIterLine = ` [2024-04-06 03:02:12] iteration       71/     100 | consumed samples:         9088 | elapsed time per iteration (ms): 5361.6 | throughput per GPU (TFLOP/s/GPU): 243.6 | learning rate: 1.420000E-05 | global batch size:   128 | lm loss: 1.818812E+00 | load_balancing_loss: 1.013377E+00 | loss scale: 1.0 | grad norm: 1.300 | num zeros: 0.0 | number of skipped iterations:   0 | number of nan iterations:   0 |`

// iterLine returns a Megatron-LM iteration line.
func iterLine(it, total int, ms, tflops float64) string {
	s := fmt.Sprintf(" [2025-06-02 10:00:00.123456] iteration %8d/%8d | consumed samples: %12d | elapsed time per iteration (ms): %.1f |", it, total, it*128, ms)
	if tflops > 0 {
		s += fmt.Sprintf(" throughput per GPU (TFLOP/s/GPU): %.1f |", tflops)
	}
	return s + " learning rate: 1.000000E-05 | global batch size:   128 | lm loss: 2.000000E+00 | loss scale: 1.0 | grad norm: 1.000 | number of skipped iterations:   0 | number of nan iterations:   0 |"
}

// argDump returns an argument dump with the given arguments over a small default set.
func argDump(over map[string]string) string {
	args := map[string]string{
		"tensor_model_parallel_size":           "8",
		"pipeline_model_parallel_size":         "4",
		"virtual_pipeline_model_parallel_size": "None",
		"context_parallel_size":                "1",
		"expert_model_parallel_size":           "1",
		"micro_batch_size":                     "1",
		"global_batch_size":                    "128",
		"seq_length":                           "4096",
		"world_size":                           "256",
		"use_distributed_optimizer":            "False",
		"overlap_grad_reduce":                  "False",
		"overlap_param_gather":                 "False",
		"recompute_granularity":                "None",
		"recompute_method":                     "None",
		"sequence_parallel":                    "False",
		"fp8":                                  "None",
		"wandb_project":                        "",
	}
	for k, v := range over {
		args[k] = v
	}
	var b strings.Builder
	b.WriteString("------------------------ arguments ------------------------\n")
	for _, k := range sortedKeys(bench.Config(args)) {
		fmt.Fprintf(&b, "  %s %s %s\n", k, strings.Repeat(".", max(0, 48-len(k))), args[k])
	}
	b.WriteString("-------------------- end of arguments ---------------------\n")
	return b.String()
}

// iterLines returns iteration lines from..to of total at a steady ms and TFLOPS.
func iterLines(from, to, total int, ms, tflops float64) string {
	var b strings.Builder
	for it := from; it <= to; it++ {
		b.WriteString(iterLine(it, total, ms, tflops) + "\n")
	}
	return b.String()
}

func readLog(t *testing.T, f *Format, log string, skip int) []bench.Run {
	t.Helper()
	runs, err := f.Read("train.log", strings.NewReader(log), &Options{SkipIters: skip})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return runs
}

func values(r bench.Run, name string) []float64 {
	if m := r.Metric(name); m != nil {
		return m.Values
	}
	return nil
}

func TestMegatronRealLine(t *testing.T) {
	log := strings.Replace(realIterLine, "71/", "70/", 1) + "\n" + realIterLine + "\n"
	runs := readLog(t, MegatronFormat, log, 0)
	if len(runs) != 1 || runs[0].Outcome != bench.OK {
		t.Fatalf("runs = %+v", runs)
	}
	if got := values(runs[0], bench.MetricTime); len(got) != 1 || math.Abs(got[0]-5.3616) > 1e-12 {
		t.Errorf("s/iter = %v, want [5.3616]", got)
	}
	if got := values(runs[0], bench.MetricTFLOPS); len(got) != 1 || got[0] != 243.6 {
		t.Errorf("TFLOPS/GPU = %v, want [243.6]", got)
	}
}

func TestMegatronLineNoise(t *testing.T) {
	plain := argDump(nil) + iterLines(1, 10, 10, 1000, 400) +
		"[Rank 0] (after 1 iterations) memory (MB) | allocated: 100.0 | max allocated: 2000.5 | reserved: 3000.0 | max reserved: 3000.0\n"
	want := readLog(t, MegatronFormat, plain, -1)
	prefix := func(p string) string {
		var b strings.Builder
		for _, l := range strings.SplitAfter(plain, "\n") {
			if l != "" {
				b.WriteString(p + l)
			}
		}
		return b.String()
	}
	ansi := strings.NewReplacer("iteration ", "\x1b[32miteration\x1b[0m ", "elapsed", "\x1b[1;33melapsed\x1b[m").Replace(plain)
	for name, log := range map[string]string{
		"srun":      prefix("0: "),
		"srun-wide": prefix("255: "),
		"rank":      prefix("[rank7]:"),
		"torchrun":  prefix("[default0]:"),
		"openmpi":   prefix("[1,0]<stdout>:"),
		"nested":    prefix("3: [rank3]:"),
		// srun -l pads rank numbers to the width of the largest (" 0: " among 16 tasks), and
		// pastes indent: a prefix after spaces or tabs is still a prefix. Before it was, the
		// dump's "  0:   name ..... value" lines failed as malformed arguments.
		"srun-padded":   prefix(" 0: "),
		"srun-padded-3": prefix("  7: "),
		"tab-rank":      prefix("\t[rank7]:"),
		"padded-nested": prefix(" 3: [rank3]:"),
		"crlf":          strings.ReplaceAll(plain, "\n", "\r\n"),
		"ansi":          ansi,
		"no-eol":        strings.TrimSuffix(plain, "\n"),
	} {
		t.Run(name, func(t *testing.T) {
			got := readLog(t, MegatronFormat, log, -1)
			if renderRuns(got) != renderRuns(want) {
				t.Errorf("got\n%s\nwant\n%s", renderRuns(got), renderRuns(want))
			}
		})
	}
	if want[0].Metric(bench.MetricMaxAlloc) == nil || len(values(want[0], bench.MetricTime)) != 8 {
		t.Errorf("plain log: %s", renderRuns(want))
	}
}

func TestMegatronOutcomes(t *testing.T) {
	dump := argDump(nil)
	tests := []struct {
		name    string
		log     string
		outcome bench.Outcome
		reason  string // substring
		notes   string // substring of the joined notes
	}{
		{"ok", dump + iterLines(1, 20, 20, 1000, 400), bench.OK, "", ""},
		{"oom after traceback", dump + iterLines(1, 2, 20, 1000, 400) +
			"[rank3]: Traceback (most recent call last):\n[rank3]:   File \"pretrain_gpt.py\", line 1\n" +
			"[rank3]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n",
			bench.OOM, "train.log:24: torch.OutOfMemoryError: CUDA out of memory", "2 iterations were logged before the failure"},
		{"cuda oom", dump + "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB\n", bench.OOM, "train.log:20: RuntimeError: CUDA out of memory", ""},
		{"cuda error oom", dump + "RuntimeError: CUDA error: out of memory\n", bench.OOM, "CUDA error: out of memory", ""},
		{"traceback", dump + iterLines(1, 5, 20, 1000, 400) + "Traceback (most recent call last):\nValueError: bad\n", bench.Error, "train.log:25: Traceback", ""},
		{"nccl", dump + "torch.distributed.DistBackendError: NCCL error in: ProcessGroupNCCL.cpp:1970, unhandled system error\n", bench.Error, "NCCL error", ""},
		{"segfault", dump + iterLines(1, 3, 20, 1000, 400) + "/bin/bash: line 1: 4242 Segmentation fault (core dumped) python pretrain_gpt.py\n", bench.Error, "Segmentation fault", ""},
		{"no iterations", dump + "> building GPT model ...\n", bench.Error, "train.log:1: no training iterations logged after the argument dump", ""},
		{"no iterations no dump", "> building GPT model ...\nsome text\n" + iterLine(1, 2, 5, 5)[:20] + "\n", bench.Error, "no training iterations", ""},
		{"warm-up only", dump + iterLines(1, 1, 20, 1000, 400), bench.Error, "only the warm-up iteration 1 was logged", ""},
		{"time limit", dump + iterLines(1, 12, 20, 1000, 400) + "slurmstepd: error: *** JOB 42 ON n1 CANCELLED AT 2025-06-02T10:00:00 DUE TO TIME LIMIT ***\n",
			bench.OK, "", "log cut off at iteration 12 of 20; 9 steady iterations used (train.log:32: slurmstepd"},
		{"cut off silently", dump + iterLines(1, 12, 20, 1000, 400), bench.OK, "", "log cut off at iteration 12 of 20; 9 steady iterations used"},
		// A job killed by the scheduler or the kernel is a failed run, not a log cut off: its
		// steady iterations must not pass it (audit: each of these passed as unchanged).
		{"srun killed", dump + iterLines(1, 12, 20, 1000, 400) + "srun: error: nid001234: task 17: Killed\n", bench.Error, "train.log:32: srun: error: nid001234: task 17: Killed", ""},
		{"srun exit code", dump + iterLines(1, 12, 20, 1000, 400) + "srun: error: nid001234: task 0: Exited with exit code 1\n", bench.Error, "Exited with exit code 1", ""},
		{"host oom_kill", dump + iterLines(1, 12, 20, 1000, 400) + "slurmstepd: error: Detected 1 oom_kill event in StepId=4242.0. Some of the step tasks have been OOM Killed.\n", bench.OOM, "oom_kill event", ""},
		{"srun out of memory", dump + iterLines(1, 12, 20, 1000, 400) + "srun: error: nid001234: task 0: Out Of Memory\n", bench.OOM, "train.log:32: srun: error: nid001234: task 0: Out Of Memory", ""},
		{"abort", dump + iterLines(1, 12, 20, 1000, 400) + "terminate called after throwing an instance of 'c10::Error'\nAborted (core dumped)\n", bench.Error, "terminate called after throwing", ""},
		{"bus error", dump + iterLines(1, 12, 20, 1000, 400) + "Bus error (core dumped)\n", bench.Error, "Bus error (core dumped)", ""},
		{"shell killed", dump + iterLines(1, 12, 20, 1000, 400) + "/var/spool/slurm/job42/slurm_script: line 12: 31337 Killed                  python pretrain_gpt.py\n", bench.Error, "31337 Killed", ""},
		{"bare killed", dump + iterLines(1, 12, 20, 1000, 400) + "Killed\n", bench.Error, "train.log:32: Killed", ""},
		// The tasks a time limit terminates or kills are the time limit's doing: cut off.
		{"time limit then terminated", dump + iterLines(1, 12, 20, 1000, 400) + "slurmstepd: error: *** STEP 42.0 ON n1 CANCELLED AT 2025-06-02T10:00:00 DUE TO TIME LIMIT ***\nsrun: error: n1: tasks 0-7: Terminated\nsrun: error: n1: task 3: Killed\n",
			bench.OK, "", "log cut off at iteration 12 of 20"},
		// A word that merely mentions killing is no failure.
		{"killed in text", dump + iterLines(1, 20, 20, 1000, 400) + " > Killed stragglers: 0\n", bench.OK, "", ""},
		{"time limit before training", dump + "slurmstepd: error: *** STEP 1.0 CANCELLED DUE TO TIME LIMIT ***\n", bench.Error, "train.log:20: slurmstepd", ""},
		{"duplicates", dump + iterLines(1, 10, 10, 1000, 400) + iterLines(9, 10, 10, 1000, 400), bench.OK, "", "2 iteration lines that did not advance"},
		{"few iterations", dump + iterLines(1, 3, 3, 1000, 400), bench.OK, "", ""},
		{"throughput zero", dump + iterLines(1, 5, 5, 1000, 0.04), bench.OK, "", "not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := readLog(t, MegatronFormat, tt.log, -1)
			if len(runs) != 1 {
				t.Fatalf("got %d runs, want 1:\n%s", len(runs), renderRuns(runs))
			}
			r := runs[0]
			if r.Outcome != tt.outcome || !strings.Contains(r.Reason, tt.reason) || !strings.Contains(strings.Join(r.Notes, "\n"), tt.notes) {
				t.Errorf("got\n%s\nwant outcome %s, reason containing %q, notes containing %q", renderRuns(runs), tt.outcome, tt.reason, tt.notes)
			}
			if r.Outcome != bench.OK && len(r.Metrics) > 0 {
				t.Errorf("failed run carries metrics: %s", renderRuns(runs))
			}
			if r.Outcome == bench.OK && r.Metric(bench.MetricTime) == nil {
				t.Errorf("ok run has no s/iter: %s", renderRuns(runs))
			}
		})
	}
}

func TestMegatronWarmup(t *testing.T) {
	log := argDump(nil) + iterLines(1, 100, 100, 1000, 400)
	for _, tt := range []struct {
		skip, n, first int
	}{
		{-1, 89, 12}, // default: 10% of 100 iterations after the first
		{0, 99, 2},
		{5, 94, 7},
		{1000, 99, 2}, // nothing would be left: only the first is dropped, with a note
	} {
		runs := readLog(t, MegatronFormat, log, tt.skip)
		m := runs[0].Metric(bench.MetricTime)
		if m == nil || len(m.Values) != tt.n {
			t.Errorf("SkipIters %d: got %s, want %d samples", tt.skip, renderRuns(runs), tt.n)
		}
	}
	// With a log interval of 10 the samples are iterations 1, 10, …, 100.
	var b strings.Builder
	b.WriteString(argDump(nil))
	b.WriteString(iterLine(1, 100, 3000, 100) + "\n")
	for it := 10; it <= 100; it += 10 {
		b.WriteString(iterLine(it, 100, 1000, 400) + "\n")
	}
	runs := readLog(t, MegatronFormat, b.String(), -1)
	if got := values(runs[0], bench.MetricTime); len(got) != 9 || got[0] != 1 {
		t.Errorf("interval 10: s/iter = %v, want 9 samples from iteration 20", got)
	}
}

// TestMegatronWarmupAsDocumented: README's "Warm-up" rule and skipOf agree on a run that is
// logged every 10 iterations. 10% is taken of the iterations from the first logged one to
// the run's last, both counted: 1000 iterations logged from iteration 10 count 991, so 99
// beyond iteration 10 are warm-up and iteration 110 is the first sample. README used to say
// 10% of the iterations the run was to do, which is 100 and would drop iteration 110.
func TestMegatronWarmupAsDocumented(t *testing.T) {
	var b strings.Builder
	b.WriteString(argDump(nil))
	for it := 10; it <= 1000; it += 10 {
		b.WriteString(iterLine(it, 1000, 1000, 400) + "\n")
	}
	runs := readLog(t, MegatronFormat, b.String(), -1)
	if got := values(runs[0], bench.MetricTime); len(got) != 90 {
		t.Errorf("interval 10 of 1000: %d samples, want 90 (iterations 110..1000)", len(got))
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	for _, want := range []string{
		"10% of the iterations from the first logged one to the last the run was to do, both counted",
		"keeps iterations 110–1000 (90 samples)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("README.md's warm-up rule does not say %q", want)
		}
	}
}

func TestMegatronConcatenated(t *testing.T) {
	log := argDump(nil) + iterLines(1, 10, 10, 1000, 400) + "[after training is done]\n" +
		argDump(map[string]string{"micro_batch_size": "2"}) + "Traceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory.\n" +
		argDump(map[string]string{"micro_batch_size": "4"}) + iterLines(1, 10, 10, 900, 444)
	runs := readLog(t, MegatronFormat, log, -1)
	if len(runs) != 3 {
		t.Fatalf("got %d runs, want 3:\n%s", len(runs), renderRuns(runs))
	}
	for i, want := range []struct {
		mbs     string
		outcome bench.Outcome
		source  string
	}{{"1", bench.OK, "train.log:1"}, {"2", bench.OOM, "train.log:31"}, {"4", bench.OK, "train.log:52"}} {
		r := runs[i]
		if r.Config["mbs"] != want.mbs || r.Outcome != want.outcome || r.Source != want.source {
			t.Errorf("run %d: got mbs=%s %s at %s, want mbs=%s %s at %s", i+1, r.Config["mbs"], r.Outcome, r.Source, want.mbs, want.outcome, want.source)
		}
	}
	if got := values(runs[2], bench.MetricTFLOPS); len(got) == 0 || got[0] != 444 {
		t.Errorf("third run TFLOPS = %v", got)
	}
}

func TestMegatronInterleavedRanks(t *testing.T) {
	// Memory reports of several ranks between iteration lines; the largest counts.
	log := argDump(nil) + "0: " + iterLine(1, 10, 3000, 100) + "\n" +
		"0: [Rank 0] (after 1 iterations) memory (MB) | allocated: 1 | max allocated: 61000.25 | reserved: 2 | max reserved: 2\n" +
		"56: [Rank 56] (after 1 iterations) memory (MB) | allocated: 1 | max allocated: 63000.75 | reserved: 2 | max reserved: 2\n" +
		"255: " + iterLine(2, 10, 1000, 400) + "\n" +
		"8: [Rank 8] (after 1 iterations) memory (MB) | allocated: 1 | max allocated: 62000 | reserved: 2 | max reserved: 2\n" +
		"3: UserWarning: something\n" + iterLines(3, 10, 10, 1000, 400)
	runs := readLog(t, MegatronFormat, log, -1)
	if got := values(runs[0], bench.MetricMaxAlloc); len(got) != 1 || got[0] != 63000.75 {
		t.Errorf("MB-max-allocated = %v, want [63000.75]", got)
	}
	if got := values(runs[0], bench.MetricTime); len(got) != 8 {
		t.Errorf("s/iter = %v, want 8 samples", got)
	}
}

func TestMegatronConfig(t *testing.T) {
	tests := []struct {
		name  string
		args  map[string]string
		pre   string // launcher output before the dump
		want  string
		notes string
	}{
		{"plain", nil, "", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=32", ""},
		{"flags", map[string]string{"use_distributed_optimizer": "True", "overlap_grad_reduce": "True", "overlap_param_gather": "True", "sequence_parallel": "True", "fp8": "hybrid"},
			"", "tp=8/pp=4/mbs=1/gbs=128/flags=dist-opt+fp8+overlap-grad+overlap-param/sl=4096/nodes=32", ""},
		{"selective", map[string]string{"recompute_granularity": "selective"}, "", "tp=8/pp=4/mbs=1/gbs=128/flags=recompute-selective/sl=4096/nodes=32", ""},
		{"full block", map[string]string{"recompute_granularity": "full", "recompute_method": "block"}, "", "tp=8/pp=4/mbs=1/gbs=128/flags=recompute-block/sl=4096/nodes=32", ""},
		{"full uniform", map[string]string{"recompute_granularity": "full", "recompute_method": "uniform"}, "", "tp=8/pp=4/mbs=1/gbs=128/flags=recompute-uniform/sl=4096/nodes=32", ""},
		{"vpp cp ep", map[string]string{"virtual_pipeline_model_parallel_size": "5", "context_parallel_size": "2", "expert_model_parallel_size": "8"},
			"", "tp=8/pp=4/vpp=5/cp=2/ep=8/mbs=1/gbs=128/flags=none/sl=4096/nodes=32", ""},
		{"small world", map[string]string{"world_size": "4", "tensor_model_parallel_size": "4", "pipeline_model_parallel_size": "1"}, "",
			"tp=4/pp=1/mbs=1/gbs=128/flags=none/sl=4096/gpus=4", "not a whole number of 8-GPU nodes"},
		// Nodes of other than 8 GPUs: nodes as before, and gpus=<world_size> beside it, so the
		// key differs from the same job's on 8-GPU nodes and recomputed TFLOPS use 256 GPUs.
		{"gpus per node arg", map[string]string{"gpus_per_node": "4"}, "", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=64/gpus=256", "world_size 256 is not nodes=64 × 8 GPUs"},
		{"gpus per node arg of 8", map[string]string{"gpus_per_node": "8"}, "", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=32", ""},
		{"launcher nodes", map[string]string{"world_size": "128"}, "+ export SLURM_NNODES=16\n", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=16", ""},
		{"launcher nodes not of 8 GPUs", nil, "+ export SLURM_NNODES=16\n", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=16/gpus=256", "world_size 256 is not nodes=16 × 8 GPUs"},
		{"launcher gpus per node", nil, "0: GPUS_PER_NODE=4\n", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=64/gpus=256", "gpus=256 beside nodes=64"},
		{"torchrun line", map[string]string{"world_size": "32"}, "torchrun --nproc_per_node 4 --nnodes 8 pretrain_gpt.py\n", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=8/gpus=32", ""},
		{"torchrun line of 8 GPUs", map[string]string{"world_size": "64"}, "torchrun --nproc_per_node 8 --nnodes 8 pretrain_gpt.py\n", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=8", ""},
		// The dump's world_size is the run's own; a launcher's WORLD_SIZE that disagrees is noted.
		{"launcher world size disagrees", nil, "WORLD_SIZE=128\n", "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=32", "launcher output gives WORLD_SIZE=128, the argument dump world_size 256; 256 is used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := readLog(t, MegatronFormat, tt.pre+argDump(tt.args)+iterLines(1, 5, 5, 1000, 400), -1)
			if got := runs[0].Config.Key(); got != tt.want {
				t.Errorf("config = %s, want %s", got, tt.want)
			}
			if !strings.Contains(strings.Join(runs[0].Notes, "\n"), tt.notes) {
				t.Errorf("notes = %q, want %q", runs[0].Notes, tt.notes)
			}
		})
	}
}

// TestMegatronGPUsKey: the same job on nodes of 4 and of 8 GPUs must be two configs, and the
// one on 4-GPU nodes must say its GPU count, or check compares the two as one config (a false
// −50% regression) and --recompute-tflops takes nodes × 8 GPUs.
func TestMegatronGPUsKey(t *testing.T) {
	// The real log: torchrun --nproc_per_node 4, world_size 4. On8 is the same job launched
	// with --nproc_per_node 8 (world_size 8, data_parallel_size 2).
	on4 := string(must(os.ReadFile(filepath.Join(logsDir, "megatron-lm-2024-tp4-sp.log"))))
	on8 := strings.Replace(on4, "--nproc_per_node 4 ", "--nproc_per_node 8 ", 1)
	on8 = regexp.MustCompile(`(?m)^(  world_size \.+ )4$`).ReplaceAllString(on8, "${1}8")
	on8 = regexp.MustCompile(`(?m)^(  data_parallel_size \.+ )1$`).ReplaceAllString(on8, "${1}2")
	if on8 == on4 || strings.Count(on8, "world_size ...................................... 8") != 1 {
		t.Fatal("fixture changed: cannot make the 8-GPU variant")
	}
	key := func(log string) bench.Run {
		t.Helper()
		runs := readLog(t, MegatronFormat, log, -1)
		if len(runs) != 1 {
			t.Fatalf("%d runs, want 1", len(runs))
		}
		return runs[0]
	}
	r4, r8 := key(on4), key(on8)
	if got, want := r4.Config.Key(), "tp=4/pp=1/mbs=4/gbs=16/flags=none/sl=1024/nodes=1/gpus=4"; got != want {
		t.Errorf("4-GPU node: config = %s, want %s", got, want)
	}
	if got, want := r8.Config.Key(), "tp=4/pp=1/mbs=4/gbs=16/flags=none/sl=1024/nodes=1"; got != want {
		t.Errorf("8-GPU node: config = %s, want %s (8-GPU nodes keep their key)", got, want)
	}
	if r4.Config.Key() == r8.Config.Key() {
		t.Errorf("4- and 8-GPU nodes share the config %s", r4.Config.Key())
	}
	if !slices.ContainsFunc(r4.Notes, func(n string) bool { return strings.Contains(n, "world_size 4 is not nodes=1 × 8 GPUs") }) {
		t.Errorf("4-GPU node: notes = %q, want one on gpus=4", r4.Notes)
	}
	for _, n := range r8.Notes {
		if strings.Contains(n, "gpus=") {
			t.Errorf("8-GPU node: note %q", n)
		}
	}

	// A log without an argument dump: its config comes from the file name, and the launcher's
	// WORLD_SIZE (ALCF's launcher prints "WORLD_SIZE: 24" for 2 nodes of 12 GPUs) gives gpus.
	iters := iterLines(1, 5, 5, 1000, 400)
	for _, tt := range []struct {
		name, pre, want, note string
	}{
		{"tp=1_nodes=2.log", "    │     • WORLD_SIZE: 24\n", "tp=1/nodes=2/gpus=24", "launcher output's WORLD_SIZE 24 is not nodes=2 × 8 GPUs; config has gpus=24 beside nodes=2"},
		{"tp=1_nodes=2.log", "    - WORLD_SIZE:16\n", "tp=1/nodes=2", ""},
		{"tp=1_nodes=2.log", "LOCAL_WORLD_SIZE=12\n", "tp=1/nodes=2", ""}, // a node's share, not the world
		// Every WORLD_SIZE on a line is read, not just the first match (here inside LOCAL_…).
		{"tp=1_nodes=2.log", "rank 0: LOCAL_WORLD_SIZE=4 WORLD_SIZE=24\n", "tp=1/nodes=2/gpus=24", "WORLD_SIZE 24 is not nodes=2 × 8 GPUs"},
		{"tp=1_nodes=2.log", "rank 0: WORLD_SIZE=24 LOCAL_WORLD_SIZE=4\n", "tp=1/nodes=2/gpus=24", "WORLD_SIZE 24 is not nodes=2 × 8 GPUs"},
		{"tp=1_nodes=2.log", "", "tp=1/nodes=2", ""},
		{"tp=1.log", "WORLD_SIZE=24\n", "tp=1", ""}, // no nodes: nothing to correct, and no key churn
		// PAI-DLC and some Kubeflow jobs set WORLD_SIZE to the number of nodes (NNODES=${WORLD_SIZE}):
		// a WORLD_SIZE that is not the launcher's nodes × GPUs per node, or that equals the node
		// count, is not taken for the GPU count.
		{"tp=1_nodes=2.log", "WORLD_SIZE=2\n+ NNODES=2\n+ GPUS_PER_NODE=8\n", "tp=1/nodes=2", "launcher output's WORLD_SIZE 2 is not its nodes=2 × its 8 GPUs per node"},
		// WORLD_SIZE equal to the node count, no GPUs per node printed: 2 GPUs or 2 nodes, 8×
		// apart in TFLOPS/GPU; refused at its line, unless the file name or sidecar says.
		{"tp=1_nodes=2.log", "WORLD_SIZE=2\n", "error: tp=1_nodes=2.log:1: launcher output's WORLD_SIZE 2 equals the node count, and the log prints no GPUs per node", ""},
		{"tp=1_nodes=1.log", "WORLD_SIZE=1\n", "error: tp=1_nodes=1.log:1: launcher output's WORLD_SIZE 1 equals the node count", ""},
		{"tp=1_nodes=1_gpus=1.log", "WORLD_SIZE=1\n", "tp=1/nodes=1/gpus=1", ""},
		{"tp=1_nodes=2.log", "torchrun --nnodes 2 --nproc_per_node 8\nWORLD_SIZE=2\n", "tp=1/nodes=2", "launcher output's WORLD_SIZE 2 is not its nodes=2 × its 8 GPUs per node"},
		{"tp=1_nodes=2.log", "GPUS_PER_NODE=4\nWORLD_SIZE=24\n", "tp=1/nodes=2", "launcher output's WORLD_SIZE 24 is not the config's nodes=2 × its 4 GPUs per node"},
		{"tp=1_gpus=16.log", "NNODES=2\nWORLD_SIZE=2\n", "tp=1/gpus=16", "the file name or sidecar gives gpus=16 where launcher output's WORLD_SIZE is 2; gpus=16 is used"},
		// Consistent launcher output still gives gpus: 2 nodes of 12, and 2 nodes of 1 GPU.
		{"tp=1_nodes=2.log", "NNODES=2 GPUS_PER_NODE=12 WORLD_SIZE=24\n", "tp=1/nodes=2/gpus=24", "WORLD_SIZE 24 is not nodes=2 × 8 GPUs"},
		{"tp=1_nodes=2.log", "NNODES=2\nGPUS_PER_NODE=1\nWORLD_SIZE=2\n", "tp=1/nodes=2/gpus=2", "WORLD_SIZE 2 is not nodes=2 × 8 GPUs"},
		{"tp=1_gpus=24.log", "WORLD_SIZE=24\n", "tp=1/gpus=24", ""},
		{"tp=1_gpus=16.log", "WORLD_SIZE=24\n", "tp=1/gpus=16", "the file name or sidecar gives gpus=16 where launcher output's WORLD_SIZE is 24; gpus=16 is used"}, // launcher output may be another step's
	} {
		runs, err := MegatronFormat.Read(tt.name, strings.NewReader(tt.pre+iters), &Options{SkipIters: -1})
		if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s %q: error %v, want %q", tt.name, tt.pre, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tt.name, tt.pre, err)
			continue
		}
		if got := runs[0].Config.Key(); got != tt.want {
			t.Errorf("%s %q: config = %s, want %s", tt.name, tt.pre, got, tt.want)
		}
		notes := strings.Join(runs[0].Notes, "\n")
		if tt.note == "" {
			// No expected note means none on gpus or the world size (Contains(notes, "")
			// would pass whatever the notes say).
			if strings.Contains(notes, "gpus") || strings.Contains(strings.ToLower(notes), "world_size") {
				t.Errorf("%s %q: notes = %q, want none on gpus or WORLD_SIZE", tt.name, tt.pre, notes)
			}
		} else if !strings.Contains(notes, tt.note) {
			t.Errorf("%s %q: notes = %q, want %q", tt.name, tt.pre, notes, tt.note)
		}
	}

	// A file name whose gpus contradicts the dump's world_size is refused; one whose nodes
	// is not the dump's world size in 8-GPU nodes gets gpus beside it.
	if _, err := MegatronFormat.Read("tp=4_gpus=8.log", strings.NewReader(on4), &Options{SkipIters: -1}); err == nil || !strings.Contains(err.Error(), "gives gpus=8, but the argument dump's world_size is 4") {
		t.Errorf("gpus=8 in the name of a world_size 4 log: err = %v", err)
	}
	// The argument dump's world_size stays authoritative over a launcher WORLD_SIZE that is
	// the node count.
	runs, err := MegatronFormat.Read("x.log", strings.NewReader("WORLD_SIZE=1\nNNODES=1\n"+on4), &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runs[0].Config.Key(), r4.Config.Key(); got != want {
		t.Errorf("launcher WORLD_SIZE=1 NNODES=1 before a world_size 4 dump: config = %s, want %s", got, want)
	}

	// The Megatron-DeepSpeed JUBE log (no argument dump, 96 nodes of 8) under a launcher that
	// sets WORLD_SIZE to the node count: nodes=96 (768 GPUs), not gpus=96.
	jub := string(must(os.ReadFile(filepath.Join(logsDir, "megatron-deepspeed-jubench_tp=8_pp=8_mbs=1_gbs=96_nodes=96.log"))))
	runs, err = MegatronFormat.Read("jub_tp=8_pp=8_mbs=1_gbs=96_nodes=96.log", strings.NewReader("WORLD_SIZE=96\n+ NNODES=96\n+ GPUS_PER_NODE=8\n"+jub), &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runs[0].Config.Key(), "tp=8/pp=8/mbs=1/gbs=96/nodes=96"; got != want {
		t.Errorf("JUBE log with WORLD_SIZE=96 NNODES=96: config = %s, want %s", got, want)
	}
	if g, err := flops.ConfigGPUs(runs[0].Config, 8); err != nil || g != 768 {
		t.Errorf("JUBE log with WORLD_SIZE=96 NNODES=96: %d GPUs (%v), want 768 (--recompute-tflops' count)", g, err)
	}

	runs, err = MegatronFormat.Read("tp=4_nodes=2.log", strings.NewReader(on8), &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runs[0].Config.Key(), "tp=4/pp=1/mbs=4/gbs=16/flags=none/sl=1024/nodes=2/gpus=8"; got != want {
		t.Errorf("nodes=2 in the name of a world_size 8 log: config = %s, want %s", got, want)
	}
}

func TestMegatronMalformed(t *testing.T) {
	dump := argDump(nil)
	lines := strings.Split(strings.TrimSuffix(dump, "\n"), "\n")
	withLine := func(i int, l string) string {
		ls := append([]string(nil), lines...)
		ls = append(ls[:i], append([]string{l}, ls[i:]...)...)
		return strings.Join(ls, "\n") + "\n"
	}
	tests := []struct {
		name, log, want string
	}{
		{"no end", strings.Join(lines[:5], "\n") + "\n", "train.log:1: argument dump has no end marker before the first iteration"},
		{"new dump inside", withLine(3, lines[0]), "train.log:4: new argument dump starts before the one at line 1 ended"},
		{"garbage arg", withLine(3, "  $$$ ..... 1"), "train.log:4: malformed argument line \"$$$ ..... 1\""},
		{"no dots", withLine(3, "  tensor_model_parallel_size 8"), "train.log:4: malformed argument line \"tensor_model_parallel_size 8\": no dots"},
		{"dots glued", withLine(3, "  seq_length ......4096"), "train.log:4: malformed argument line"},
		{"duplicate", withLine(3, "  micro_batch_size .... 7"), "train.log:7: argument micro_batch_size appears twice in the dump starting at line 1, as \"7\" and \"1\""},
		{"not a number", argDump(map[string]string{"tensor_model_parallel_size": "eight"}), "train.log:1: argument dump: tensor_model_parallel_size: \"eight\" is not a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MegatronFormat.Read("train.log", strings.NewReader(tt.log+iterLines(1, 3, 3, 1000, 400)), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if _, ok := err.(*bench.SyntaxError); err != nil && !ok {
				t.Errorf("err is %T, want *SyntaxError", err)
			}
		})
	}
	// Unindented lines inside the dump are other ranks' output and are skipped.
	runs := readLog(t, MegatronFormat, withLine(3, "[rank3]: UserWarning: TE")+iterLines(1, 3, 3, 1000, 400), -1)
	if runs[0].Outcome != bench.OK || runs[0].Config["tp"] != "8" {
		t.Errorf("interleaved dump: %s", renderRuns(runs))
	}
	// Names of 48 characters or more have no dots; empty values are allowed.
	long := strings.Repeat("x", 48)
	runs = readLog(t, MegatronFormat, withLine(3, "  "+long+"  True")+iterLines(1, 3, 3, 1000, 400), -1)
	if runs[0].Outcome != bench.OK {
		t.Errorf("long argument name: %s", renderRuns(runs))
	}
}

func TestMegatronComputedTFLOPS(t *testing.T) {
	// The 70B example of the research notes: 15.8 s/iter at 256 GPUs is 449.2 TFLOP/s/GPU
	// with the current formula.
	args := map[string]string{
		"num_layers": "80", "hidden_size": "8192", "num_attention_heads": "64", "group_query_attention": "True",
		"num_query_groups": "8", "kv_channels": "128", "ffn_hidden_size": "28672", "swiglu": "True",
		"padded_vocab_size": "129024", "global_batch_size": "1024",
	}
	lines := strings.ReplaceAll(iterLines(1, 10, 10, 15800, 0), "global batch size:   128", "global batch size:  1024")
	runs := readLog(t, MegatronFormat, argDump(args)+lines, -1)
	got := values(runs[0], bench.MetricTFLOPS)
	if len(got) == 0 || math.Abs(got[0]-449.2) > 0.1 {
		t.Errorf("computed TFLOPS/GPU = %v, want 449.2 (%q)", got, runs[0].Notes)
	}
	// Without a model shape there is no TFLOPS, and a note says why.
	runs = readLog(t, MegatronFormat, argDump(nil)+iterLines(1, 10, 10, 15800, 0), -1)
	if runs[0].Metric(bench.MetricTFLOPS) != nil || !strings.Contains(strings.Join(runs[0].Notes, " "), "no TFLOPS/GPU") {
		t.Errorf("no shape: %s", renderRuns(runs))
	}
}

func TestLongLine(t *testing.T) {
	log := argDump(nil) + strings.Repeat("x", 3*maxLogLine) + "\n" + iterLines(1, 5, 5, 1000, 400)
	runs := readLog(t, MegatronFormat, log, -1)
	if runs[0].Outcome != bench.OK || len(values(runs[0], bench.MetricTime)) != 4 {
		t.Errorf("after a long line: %s", renderRuns(runs))
	}
}

func sortedKeys(c bench.Config) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
