package ingest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/flops"
)

// A sweep launches every run with sequence parallelism; the table's "None" row must meet the
// log, so sequence_parallel stays out of the key and goes to the fingerprint.
func TestSequenceParallelIsFingerprintNotKey(t *testing.T) {
	log := argDump(map[string]string{"sequence_parallel": "True", "transformer_impl": "transformer_engine", "bf16": "True",
		"seed": "1234", "save": "/ckpt/run7", "lr": "0.00015"}) + iterLines(1, 5, 5, 1000, 400)
	runs := readLog(t, MegatronFormat, log, -1)
	if got, want := runs[0].Config.Key(), "tp=8/pp=4/mbs=1/gbs=128/flags=none/sl=4096/nodes=32"; got != want {
		t.Errorf("config = %s, want %s", got, want)
	}
	args := runs[0].Args
	for k, want := range map[string]string{"sequence_parallel": "True", "transformer_impl": "transformer_engine", "bf16": "True"} {
		if args[k] != want {
			t.Errorf("Args[%s] = %q, want %q", k, args[k], want)
		}
	}
	// Keyed arguments and per-run noise are not part of the fingerprint.
	for _, k := range []string{"tensor_model_parallel_size", "use_distributed_optimizer", "seed", "save", "lr", "wandb_project", "world_size"} {
		if _, ok := args[k]; ok {
			t.Errorf("Args holds %s = %q; want it left out", k, args[k])
		}
	}
}

// A repository that does vary an always-on argument puts it in the key with KeyArgs.
func TestKeyArgs(t *testing.T) {
	log := argDump(map[string]string{"sequence_parallel": "True", "transformer_impl": "local"}) + iterLines(1, 5, 5, 1000, 400)
	runs, err := MegatronFormat.Read("train.log", strings.NewReader(log), &Options{SkipIters: -1, KeyArgs: []string{"sequence_parallel", "transformer_impl", "absent_arg"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runs[0].Config["flags"], "sequence-parallel+transformer-impl-local"; got != want {
		t.Errorf("flags = %s, want %s", got, want)
	}
	if _, ok := runs[0].Args["sequence_parallel"]; ok {
		t.Error("a key argument is also in the fingerprint")
	}
	// A key argument the dump does not name (a typo) is said, once, not passed over.
	var said []string
	for _, n := range runs[0].Notes {
		if strings.HasPrefix(n, "--key-arg ") {
			said = append(said, n)
		}
	}
	if len(said) != 1 || !strings.Contains(said[0], `--key-arg absent_arg: the argument dump has no argument "absent_arg"`) {
		t.Errorf("notes on key arguments = %q, want one on absent_arg", said)
	}
}

// The logged TFLOPS of a Megatron log whose dump gives the model shape are matched to the
// formula that produced them: a ROCm fork logs the legacy formula's 9% higher number.
func TestLoggedFormula(t *testing.T) {
	spec := megaSpec{TP: 8, PP: 4, MBS: 1, GBS: 1024, SL: 4096, Nodes: 32, TFLOPS: 1}
	args := spec.args()
	shape, err := flops.ShapeFromMegatronArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []flops.Formula{flops.Megatron, flops.MegatronLegacy} {
		fl, err := flops.FLOPsPerIter(f, shape, 1024, 4096)
		if err != nil {
			t.Fatal(err)
		}
		tf := math.Round(flops.TFLOPSPerGPU(fl, 46, 256)*10) / 10
		runs := readLog(t, MegatronFormat, argDump(args)+iterLines(1, 10, 10, 46000, tf), -1)
		if runs[0].Formula != string(f) {
			t.Errorf("TFLOPS %v from %s: Formula = %q, notes %q", tf, f, runs[0].Formula, runs[0].Notes)
		}
	}
	// Logged numbers no formula gives (the generated sweep copies a table's) name none.
	runs := readLog(t, MegatronFormat, argDump(args)+iterLines(1, 10, 10, 46000, 148.6), -1)
	if runs[0].Formula != "" {
		t.Errorf("Formula = %q for TFLOPS no formula gives", runs[0].Formula)
	}
}

// Milliseconds are converted in decimal, so 12137.8 ms is 12.1378 s, not 12.137799999999999.
func TestMillisecondsAreShortest(t *testing.T) {
	for _, tt := range []struct {
		in    string
		shift int
		want  float64
	}{
		{"12137.8", 3, 12.1378}, {"5361.6", 3, 5.3616}, {"1.5e3", 3, 1.5}, {"215.82", 0, 215.82}, {"0.4", 3, 0.0004},
	} {
		v, _, ok := numberAtScaled([]byte(tt.in), tt.shift)
		if !ok || v != tt.want {
			t.Errorf("numberAtScaled(%q, %d) = %v, %v; want %v", tt.in, tt.shift, v, ok, tt.want)
		}
	}
}

// The start line of current torchtitan (pytorch/torchtitan@b5bcd76c, torchtitan/trainer.py)
// counts tokens: sl is the maximum context length and gbs the tokens per train step over it.
func TestTitanTokensPerStep(t *testing.T) {
	line := func(perStep int) string {
		return fmt.Sprintf("[rank0]:[titan] 2026-08-21 10:00:00,000 - root - INFO - Trainer is initialized with 16384 tokens per DP rank, %d tokens per train step, gradient accumulation steps 1, maximum context length 8192, total steps 20 (warmup 2)\n", perStep)
	}
	var steps strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&steps, "[rank0]:[titan] 2026-08-21 10:00:%02d,000 - root - INFO - step: %2d  loss:  4.0000  grad_norm:  1.0000  memory: 10.00GiB(10.00%%)  tps: 7,000  tflops: 300.00  mfu: 30.00%%\n", i, i)
	}
	for _, tt := range []struct {
		perStep int
		want    string
	}{{131072, "gbs=16/sl=8192"}, {100000, "sl=8192/tokens-per-step=100000"}} {
		runs, err := TorchtitanFormat.Read("t.log", strings.NewReader(line(tt.perStep)+steps.String()), &Options{SkipIters: -1})
		if err != nil {
			t.Fatal(err)
		}
		if got := runs[0].Config.Key(); got != tt.want {
			t.Errorf("%d tokens per step: config %s, want %s", tt.perStep, got, tt.want)
		}
		if m := runs[0].Metric(MetricTokens); m == nil || len(m.Values) != 17 {
			t.Errorf("tokens/s/GPU = %v, want 17 steady samples (the first step and 10%% of 20 more are warm-up)", m)
		}
	}
}

// FuzzNumberAtScaled: milliseconds read as seconds are the float64 strconv gives for the same
// decimal with the point moved three places, on every input.
func FuzzNumberAtScaled(f *testing.F) {
	for _, s := range []string{"5361.6 |", "12137.8", "1,314.71", "1.5e3", "-3", "123456789012345.678", "0.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, n, ok := numberAtScaled([]byte(s), 3)
		if !ok {
			return
		}
		if n <= 0 || n > len(s) {
			t.Fatalf("numberAtScaled(%q) used %d bytes", s, n)
		}
		tok := strings.ReplaceAll(strings.TrimLeft(s[:n], " \t"), ",", "")
		u, _, ok := numberAt([]byte(s))
		if !ok {
			t.Fatalf("numberAtScaled(%q) reads a number numberAt does not", s)
		}
		if want, err := parseFloatRef(tok + "e-3"); err == nil && !strings.ContainsAny(tok, "eE") && want != v && !(v != v && want != want) {
			t.Fatalf("numberAtScaled(%q, 3) = %v, strconv says %v (unscaled %v)", s, v, want, u)
		}
	})
}

// torchtitan's 2025-03 start line gives the planned steps: warm-up is 10% of them, and a log
// that stops early says so.
func TestTitanInitializedCutOff(t *testing.T) {
	var b strings.Builder
	b.WriteString("[rank0]:[titan] 2025-11-25 19:44:58,838 - root - INFO - Trainer is initialized with local batch size 8, global batch size 64, gradient accumulation steps 1, sequence length 2048, total steps 100 (warmup 2)\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "[rank0]:[titan] 2025-11-25 19:45:01,441 - root - INFO - step: %2d  loss:  8.0277  grad_norm:  1.4604  memory:  1.21GiB(0.86%%)  tps: 5,756  tflops: 0.41  mfu: 0.04%%\n", i)
		if i%20 == 0 { // torchtitan's validation line (components/metrics.py log_validation)
			fmt.Fprintf(&b, "[rank0]:[titan] 2025-11-25 19:45:02,000 - root - INFO - validate step: %2d  loss:  7.9000  memory:  1.30GiB(0.90%%)  tps: 99,999\n", i)
		}
	}
	runs, err := TorchtitanFormat.Read("t.log", strings.NewReader(b.String()), &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if m := runs[0].Metric(bench.MetricTFLOPS); m == nil || len(m.Values) != 29 {
		t.Errorf("TFLOPS/GPU = %v, want 29 steady samples (steps 12–40: the first and 10 of 100 more are warm-up)", m)
	}
	if notes := strings.Join(runs[0].Notes, "\n"); !strings.Contains(notes, "log cut off at iteration 40 of 100") || strings.Contains(notes, "ignored") {
		t.Errorf("notes = %q, want a cut-off note and no ignored lines", notes)
	}
	if m := runs[0].Metric(MetricTokens); m == nil || slices.Contains(m.Values, 99999) {
		t.Errorf("tokens/s/GPU = %v: validation throughput read as training", m)
	}
	if got := runs[0].Config.Key(); got != "gbs=64/sl=2048" {
		t.Errorf("config = %s, want gbs=64/sl=2048", got)
	}
}

// microsoft/Megatron-DeepSpeed (f4157bea, megatron/training.py) logs milliseconds, TFLOPs: and
// tokens per GPU per second.
func TestMegatronDeepSpeedLine(t *testing.T) {
	var b strings.Builder
	for it := 1; it <= 10; it++ {
		fmt.Fprintf(&b, "[default7]: iteration %8d/%8d | consumed samples: %12d | consumed tokens: %12d | elapsed time per iteration (ms): 2137.5 | learning rate: 1.000E-04 | global batch size:    64 | lm loss: 2.000000E+00 | loss scale: 1.0 | actual seqlen:  2048 | number of skipped iterations:   0 | number of nan iterations:   0 | samples per second: 29.942 | tokens per gpu per second (tgs): 7664.941 | TFLOPs: 181.27 |\n", it, 10, it*64, it*64*2048)
	}
	runs := readLog(t, MegatronFormat, b.String(), -1)
	for _, c := range []struct {
		metric string
		want   float64
	}{{bench.MetricTime, 2.1375}, {bench.MetricTFLOPS, 181.27}, {MetricTokens, 7664.941}} {
		if m := runs[0].Metric(c.metric); m == nil || len(m.Values) != 8 || m.Values[0] != c.want {
			t.Errorf("%s = %v, want 8 samples of %v", c.metric, m, c.want)
		}
	}
}
