package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/flops"
	"github.com/perfgate/perfgate/ingest"
)

func init() {
	// exitcode N CMD ARGS... runs CMD like exec and fails unless it exits with status N.
	// Its stdout and stderr are kept for the stdout and stderr commands that follow.
	scriptCommands["exitcode"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg {
			ts.Fatalf("unsupported: ! exitcode")
		}
		if len(args) < 2 {
			ts.Fatalf("usage: exitcode N command [args...]")
		}
		want, err := strconv.Atoi(args[0])
		if err != nil {
			ts.Fatalf("exitcode: bad status %q", args[0])
		}
		err = ts.Exec(args[1], args[2:]...)
		got := 0
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				ts.Fatalf("exitcode: %v", err)
			}
			got = ee.ExitCode()
		}
		if got != want {
			ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
		}
	}
}

// runMain runs perfgate in-process and returns its exit code, stdout and stderr.
func runMain(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(args, &Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

// TestCalcGolden compares calc's output with the golden files in testdata/golden. Run with
// -update to rewrite them.
func TestCalcGolden(t *testing.T) {
	llama := []string{"calc", "--model", "llama3-70b", "--tp", "8", "--pp", "4", "--gbs", "1024", "--sl", "4096", "--nodes", "32"}
	tests := []struct {
		name string
		args []string
	}{
		// The worked example of research note prior-art.md §4.2 under both Megatron forms.
		{"calc_llama3_70b", append(llama, "--time", "15.8", "--gpu", "h100")},
		{"calc_llama3_70b_legacy", append(llama, "--time", "15.8", "--gpu", "h100", "--formula", "megatron-legacy")},
		{"calc_llama3_70b_json", append(llama, "--time", "15.8", "--gpu", "h100", "--format", "json")},
		// A seed table row: 8|4|2|1024|dist-opt|4096|32|44.6|154.02.
		{"calc_seed_6nd", []string{"calc", "--model", "70b", "--tp", "8", "--pp", "4", "--mbs", "2", "--gbs", "1024", "--sl", "4096", "--nodes", "32", "--time", "44.6"}},
		{"calc_target", append(llama, "--target-tflops", "450", "--gpu", "b200", "--dtype", "fp8")},
		{"calc_target_json", append(llama, "--target-tflops", "450", "--peak", "1000", "--format", "json")},
		{"calc_mixtral_6nd", []string{"calc", "--model", "mixtral-8x7b", "--tp", "2", "--pp", "4", "--gbs", "256", "--sl", "4096", "--nodes", "2", "--time", "25", "--formula", "6nd"}},
		{"calc_custom_shape", []string{"calc", "--layers", "30", "--hidden", "4096", "--heads", "32", "--query-groups", "8", "--ffn-hidden", "14336", "--swiglu", "--vocab", "128256",
			"--tp", "4", "--pp", "4", "--mbs", "1", "--gbs", "64", "--sl", "8192", "--nodes", "2", "--time", "12.7", "--gpu", "a100"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runMain(tc.args...)
			if code != ExitPass || errOut != "" {
				t.Fatalf("perfgate %s: exit %d, stderr:\n%s", strings.Join(tc.args, " "), code, errOut)
			}
			file := filepath.Join("testdata", "golden", tc.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o777); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(out), 0o666); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("perfgate %s: output differs from %s (run with -update to accept)\ngot:\n%s\nwant:\n%s",
					strings.Join(tc.args, " "), file, out, want)
			}
		})
	}
}

// TestCalcValues checks the numbers calc reports through its JSON output, independently of
// the golden files.
func TestCalcValues(t *testing.T) {
	base := []string{"calc", "--tp", "8", "--pp", "4", "--gbs", "1024", "--sl", "4096", "--nodes", "32", "--format", "json"}
	tests := []struct {
		name    string
		args    []string
		formula string
		tflops  float64 // rounded to 0.1
		sec     float64 // rounded to 0.001
		dp, ga  int
		mfu     float64 // rounded to 0.001; 0 = absent
	}{
		{"megatron", []string{"--model", "llama3-70b", "--time", "15.8", "--gpu", "h100"}, "megatron", 449.2, 15.8, 8, 128, 0.454},
		{"legacy", []string{"--model", "llama3-70b", "--time", "15.8", "--formula", "legacy"}, "megatron-legacy", 465.9, 15.8, 8, 128, 0},
		{"6nd default for a size", []string{"--model", "70b", "--time", "46.3"}, "6nd", 148.6, 46.3, 8, 128, 0},
		{"6nd default for params", []string{"--params", "7e10", "--time", "46.3", "--peak", "312"}, "6nd", 148.6, 46.3, 8, 128, 0.476},
		{"inverse", []string{"--model", "70b", "--target-tflops", "148.59"}, "6nd", 148.6, 46.311, 8, 128, 0},
		{"cp and mbs", []string{"--model", "llama3-70b", "--cp", "2", "--mbs", "2", "--time", "15.8"}, "megatron", 449.2, 15.8, 4, 128, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runMain(append(append([]string{}, base...), tc.args...)...)
			if code != ExitPass {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var r calcResult
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			round := func(v, unit float64) float64 { return float64(int64(v/unit+0.5)) * unit }
			if r.Formula != tc.formula || round(r.TFLOPSPerGPU, 0.1) != round(tc.tflops, 0.1) ||
				round(r.SecPerIter, 0.001) != round(tc.sec, 0.001) || r.DP != tc.dp || r.GradAccum != tc.ga {
				t.Errorf("got formula %s, %.3f TFLOPS, %.4f s, dp %d, ga %d; want %s, %.1f, %.3f, %d, %d",
					r.Formula, r.TFLOPSPerGPU, r.SecPerIter, r.DP, r.GradAccum, tc.formula, tc.tflops, tc.sec, tc.dp, tc.ga)
			}
			switch {
			case tc.mfu == 0 && r.MFU != nil:
				t.Errorf("MFU = %g, want none", *r.MFU)
			case tc.mfu != 0 && (r.MFU == nil || round(*r.MFU, 0.001) != round(tc.mfu, 0.001)):
				t.Errorf("MFU = %v, want %.3f", r.MFU, tc.mfu)
			}
			if want := float64(r.TokensPerIter) / (r.SecPerIter * float64(r.GPUs)); round(r.TokensPerSecPerGPU, 0.01) != round(want, 0.01) {
				t.Errorf("tokens/s/GPU = %g, want %g", r.TokensPerSecPerGPU, want)
			}
		})
	}
}

// calc70b runs perfgate calc on the seed's 70B layout (tp 8, pp 4, gbs 1024, sl 4096, 32
// nodes, 15.8 s/iter) with args, as JSON.
func calc70b(t *testing.T, args ...string) calcResult {
	t.Helper()
	args = append([]string{"calc", "--tp", "8", "--pp", "4", "--gbs", "1024", "--sl", "4096", "--nodes", "32",
		"--time", "15.8", "--format", "json"}, args...)
	code, out, errOut := runMain(args...)
	if code != ExitPass {
		t.Fatalf("perfgate %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	var r calcResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	return r
}

// TestCalcModifiedPreset: shape flags on a preset change the model, so 6nd's N is the count
// of the modified shape, not the preset's nominal size ("llama3-70b (modified)" with 40
// layers at hidden 4096 was counted as 70B, 4× its size, 435.5 TFLOPS/GPU against megatron's
// 105.6). --params still gives N outright.
func TestCalcModifiedPreset(t *testing.T) {
	run := func(args ...string) calcResult { return calc70b(t, args...) }
	shape := []string{"--model", "llama3-70b", "--layers", "40", "--hidden", "4096", "--heads", "32"}
	want, _ := flops.Preset("llama3-70b")
	want.Layers, want.Hidden, want.Heads, want.Params = 40, 4096, 32, 0
	r := run(append(shape, "--formula", "6nd")...)
	if r.Model != "llama3-70b (modified)" || roundSig(r.Params, 6) != roundSig(want.ActiveParams(), 6) {
		t.Errorf("modified preset: model %q, N = %g; want llama3-70b (modified), %g", r.Model, r.Params, want.ActiveParams())
	}
	if math.Abs(r.TFLOPSPerGPU-104.7) > 0.05 {
		t.Errorf("modified preset: %.2f TFLOPS/GPU under 6nd, want 104.7", r.TFLOPSPerGPU)
	}
	if m := run(shape...); m.Formula != "megatron" || math.Abs(r.TFLOPSPerGPU/m.TFLOPSPerGPU-1) > 0.02 {
		t.Errorf("modified preset: 6nd %.1f and %s %.1f TFLOPS/GPU differ by more than attention and logits", r.TFLOPSPerGPU, m.Formula, m.TFLOPSPerGPU)
	}
	if r := run(append(shape, "--formula", "6nd", "--params", "20b")...); r.Params != 20e9 {
		t.Errorf("modified preset with --params 20b: N = %g", r.Params)
	}
	if r := run("--model", "llama3-70b", "--formula", "6nd"); r.Params != 70e9 {
		t.Errorf("preset: N = %g, want its nominal 70e9", r.Params)
	}
	if r := run("--model", "70b", "--swiglu"); r.Params != 70e9 {
		t.Errorf("--model 70b --swiglu: N = %g, want 70e9 (a size is a parameter count, as --params is)", r.Params)
	}
	// A mixture of experts with more experts per token has more active parameters.
	moe := run("--model", "mixtral-8x7b", "--experts", "16", "--topk", "4", "--formula", "6nd", "--tp", "1", "--pp", "1")
	if len(moe.Notes) != 1 || !strings.Contains(moe.Notes[0], "6nd counts the 24.16B active parameters per token, not all 91.8B") {
		t.Errorf("mixtral with 16 experts, top-4: notes %q", moe.Notes)
	}
}

// TestCalcPresetFlagsRepeatingItsValues: a shape flag that repeats what the preset already
// has (--layers 80 on llama3-70b, or --kv-channels 128, its hidden/heads) changes nothing, so
// the preset keeps its name and its nominal N. Any flag used to mark it modified, and
// --layers 80 moved 6nd from 435.5 to 439.0 TFLOPS/GPU (N 70e9 to 70.55e9).
func TestCalcPresetFlagsRepeatingItsValues(t *testing.T) {
	run := func(args ...string) calcResult { return calc70b(t, args...) }
	for _, tc := range []struct {
		model string
		flags []string
	}{
		{"llama3-70b", []string{"--layers", "80"}},
		{"llama3-70b", []string{"--layers", "80", "--hidden", "8192", "--heads", "64", "--query-groups", "8",
			"--ffn-hidden", "28672", "--vocab", "128256", "--swiglu"}},
		{"llama3-70b", []string{"--kv-channels", "128"}},                  // the preset's 0: hidden / heads
		{"llama3-70b", []string{"--padded-vocab", "129024"}},              // the preset's 0: 128256 padded for tp 8
		{"gpt3-175b", []string{"--query-groups", "96", "--swiglu=false"}}, // the preset's 0: heads
		{"mixtral-8x7b", []string{"--experts", "8", "--topk", "2"}},
	} {
		for _, formula := range []string{"6nd", "megatron"} {
			want := run("--model", tc.model, "--formula", formula)
			got := run(append([]string{"--model", tc.model, "--formula", formula}, tc.flags...)...)
			if got.Model != tc.model || got.Params != want.Params || got.TFLOPSPerGPU != want.TFLOPSPerGPU {
				t.Errorf("--model %s %s --formula %s: model %q, N = %g, %.2f TFLOPS/GPU; want %q, %g, %.2f",
					tc.model, strings.Join(tc.flags, " "), formula, got.Model, got.Params, got.TFLOPSPerGPU,
					want.Model, want.Params, want.TFLOPSPerGPU)
			}
		}
	}
	// A flag that changes a field still modifies the preset, one at a time.
	for _, flags := range [][]string{{"--layers", "79"}, {"--kv-channels", "64"}, {"--padded-vocab", "128256"}, {"--swiglu=false"}} {
		r := run(append([]string{"--model", "llama3-70b", "--formula", "6nd"}, flags...)...)
		if r.Model != "llama3-70b (modified)" {
			t.Errorf("--model llama3-70b %s: model %q, want llama3-70b (modified)", strings.Join(flags, " "), r.Model)
		}
	}
}

// TestCalcSeedTable runs perfgate calc on every timed row of the seed sweep table, a real
// 70B sweep on 32 nodes (testdata/seed/sweep-70b-32nodes.txt, pinned by checksum in the
// flops package's TestSeedConvention), with each row's tp, pp, mbs, gbs, sl, nodes and time.
// Under 6nd with N = 70e9 calc must give the table's TFLOPS column: the 13 rows deviate
// between +0.01% and +0.20% (largest: 44.1 s, 156.04 against 155.72), so 0.25% is the bound.
func TestCalcSeedTable(t *testing.T) {
	file := filepath.Join("..", "..", "testdata", "seed", "sweep-70b-32nodes.txt")
	in, err := ingest.ReadAll([]string{file}, &ingest.Options{SkipIters: -1}) // the table reader perfgate reads it with
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, run := range in.Runs {
		timed, tflops := run.Metric(bench.MetricTime), run.Metric(bench.MetricTFLOPS)
		if run.Outcome != bench.OK || timed == nil {
			continue // OOM or Err
		}
		if tflops == nil {
			t.Errorf("%s: a time without TFLOPS", run.Source)
			continue
		}
		c := run.Config
		args := []string{"calc", "--model", "70b", "--formula", "6nd", "--tp", c["tp"], "--pp", c["pp"], "--mbs", c["mbs"],
			"--gbs", c["gbs"], "--sl", c["sl"], "--nodes", c["nodes"], "--time", strconv.FormatFloat(timed.Values[0], 'g', -1, 64), "--format", "json"}
		code, out, errOut := runMain(args...)
		if code != ExitPass {
			t.Errorf("%s: perfgate %s: exit %d: %s", run.Source, strings.Join(args, " "), code, errOut)
			continue
		}
		var r calcResult
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		if want := tflops.Values[0]; math.Abs(r.TFLOPSPerGPU/want-1) > 0.0025 {
			t.Errorf("%s: calc gives %.2f TFLOPS/GPU, the table %.2f (%+.3f%%)", run.Source, r.TFLOPSPerGPU, want, (r.TFLOPSPerGPU/want-1)*100)
		}
		rows++
	}
	if rows != 13 {
		t.Errorf("checked %d timed rows of %s, the seed table has 13", rows, file)
	}
}

// TestCalcNotes checks the caveats calc reports without failing.
func TestCalcNotes(t *testing.T) {
	code, out, errOut := runMain("calc", "--model", "llama3-8b", "--tp", "1", "--pp", "3", "--gbs", "12", "--sl", "8192",
		"--nodes", "3", "--gpus-per-node", "1", "--time", "0.1", "--gpu", "a100", "--format", "json")
	if code != ExitPass {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r calcResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"32 layers do not split evenly into 3 pipeline stages",
		"MFU above 100%",
	}
	if len(r.Notes) != len(want) {
		t.Fatalf("notes = %q, want %d", r.Notes, len(want))
	}
	for i, w := range want {
		if !strings.Contains(r.Notes[i], w) {
			t.Errorf("note %d = %q, want it to contain %q", i, r.Notes[i], w)
		}
	}
}

// TestCalcSmallValues: a result within what a run can measure but below the text output's
// decimals is printed with significant digits, not as 0.0.
func TestCalcSmallValues(t *testing.T) {
	base := []string{"calc", "--params", "70b", "--gbs", "1024", "--sl", "4096", "--nodes", "32"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--time", "1e5"}, `(?m)^TFLOPS/GPU +0\.0688$`},
		{[]string{"--time", "46.3"}, `(?m)^TFLOPS/GPU +148\.6$`},
		{[]string{"--target-tflops", "4e4"}, `(?m)^s/iter +0\.172 \(solved for 40000\.0 TFLOPS/GPU\)$`},
		{[]string{"--params", "1b", "--gbs", "256", "--target-tflops", "1e4"}, `(?m)^s/iter +0\.00246 \(solved for 10000\.0 TFLOPS/GPU\)$`},
	} {
		code, out, errOut := runMain(append(append([]string{}, base...), tc.args...)...)
		if code != ExitPass || !regexp.MustCompile(tc.want).MatchString(out) {
			t.Errorf("calc %s: exit %d, stdout does not match %q:\n%s%s", strings.Join(tc.args, " "), code, tc.want, out, errOut)
		}
	}
}

// TestCalcErrors checks that calc rejects impossible configs and bad usage with exit code 2
// and a message that names the problem.
func TestCalcErrors(t *testing.T) {
	ok := []string{"calc", "--model", "llama3-70b", "--tp", "8", "--pp", "4", "--gbs", "1024", "--sl", "4096", "--nodes", "32", "--time", "15.8"}
	with := func(extra ...string) []string { return append(append([]string{}, ok...), extra...) }
	tests := []struct {
		name      string
		args      []string
		wantError string
	}{
		{"gpus not divisible", with("--pp", "3"), "impossible config: 256 GPUs (32 nodes × 8) are not divisible by tp × pp × cp = 8 × 3 × 1 = 24"},
		{"model parallel exceeds gpus", with("--nodes", "1", "--cp", "2"), "are not divisible by tp × pp × cp = 8 × 4 × 2 = 64"},
		{"gbs not divisible", with("--mbs", "3"), "impossible config: gbs 1024 is not divisible by mbs × dp = 3 × 8 = 24"},
		{"heads not divisible", with("--model", "llama3-8b", "--tp", "64"), "32 attention heads are not divisible by tp 64"},
		{"groups not divisible", with("--tp", "4", "--query-groups", "2"), "2 query groups are not divisible by tp 4"},
		{"no gbs", with("--gbs", "0"), "--gbs (global batch size) is required"},
		{"no sl", with("--sl", "0"), "--sl (sequence length) is required"},
		{"negative tp", with("--tp", "-8"), "--tp must be between 1 and"},
		{"huge nodes", with("--nodes", "9999999999"), "--nodes must be between 1 and"},
		{"time and target", with("--target-tflops", "400"), "exactly one of --time"},
		{"neither time nor target", with("--time", "0"), "exactly one of --time"},
		{"negative time", with("--time", "-1"), "exactly one of --time"},
		{"no model", []string{"calc", "--gbs", "8", "--sl", "8", "--time", "1"}, "no model: give --model"},
		{"unknown model", with("--model", "llama9"), `--model: model "llama9" is neither a preset`},
		{"bad params", with("--params", "many"), "--params: parameter count"},
		{"megatron without shape", with("--model", "70b", "--formula", "megatron"), "formula megatron needs the model's shape"},
		{"unknown formula", with("--formula", "7nd"), `--formula: unknown FLOPs formula "7nd"`},
		{"a100 fp8", with("--gpu", "a100", "--dtype", "fp8"), "--gpu: a100 has no fp8 tensor cores"},
		{"unknown gpu", with("--gpu", "v100"), `--gpu: unknown GPU "v100"`},
		{"negative peak", with("--peak", "-1"), "--peak must be a positive"},
		{"bad format", with("--format", "yaml"), `--format must be text or json, got "yaml"`},
		{"bad shape", with("--heads", "60"), "model shape: hidden_size 8192 is not divisible by num_attention_heads 60"},
		{"negative shape", with("--layers", "-1"), "--layers must be positive"},
		{"tiny time", with("--time", "1e-300"), "out of range"},
		{"tiny time json", with("--time", "1e-300", "--format", "json"), "out of range"},
		{"huge target json", with("--time", "0", "--target-tflops", "1e308", "--format", "json"), "out of range"},
		{"huge time", with("--time", "1e308"), "out of range"},
		{"huge params", with("--model", "1e305"), "out of range"},
		// Results beyond what a run can measure printed "TFLOPS/GPU 0.0" and "s/iter 0.000".
		{"time beyond a run", with("--time", "1e7"), "value 1e+07 s/iter is beyond what a run can measure"},
		{"target beyond a run", with("--time", "0", "--target-tflops", "1e30"), "value 1e+30 TFLOPS/GPU is beyond what a run can measure"},
		{"solved time beyond a run", with("--time", "0", "--target-tflops", "1e-3"), "s/iter is beyond what a run can measure"},
		{"time too short for a run", with("--time", "1e-9"), "TFLOPS/GPU is beyond what a run can measure"},
		// --dtype only picks a column of --gpu's peaks: alone it was silently ignored.
		{"dtype without gpu", with("--dtype", "fp8"), "--dtype picks the --gpu peak's column"},
		{"dtype with peak", with("--gpu", "h100", "--dtype", "fp8", "--peak", "900"), "--peak overrides --gpu and --dtype"},
		{"positional argument", with("extra"), `unknown command "extra"`},
		{"unknown flag", with("--bogus"), "unknown flag: --bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runMain(tc.args...)
			if code != ExitInput {
				t.Errorf("exit %d, want %d (stderr %q)", code, ExitInput, errOut)
			}
			if out != "" {
				t.Errorf("stdout not empty on error:\n%s", out)
			}
			if !strings.Contains(errOut, tc.wantError) {
				t.Errorf("stderr %q does not contain %q", errOut, tc.wantError)
			}
		})
	}
}
