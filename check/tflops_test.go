package check

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// timedRun is an OK run of cfg at secs s/iter, read from source.
func timedRun(t *testing.T, cfg, source string, secs ...float64) bench.Run {
	t.Helper()
	return bench.Run{Config: mustKey(cfg), Outcome: bench.OK, Source: source, Metrics: []bench.Metric{
		{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: secs}}}
}

// TestRecomputeTFLOPSRange: a recomputed TFLOPS/GPU beyond what a run can measure (1e17
// FLOP/s per GPU, the limit every TFLOPS/GPU read is held to) is an error naming the run's
// input. 1e-9 s/iter gave 7.1e12 TFLOPS/GPU, which check passed as an improvement.
func TestRecomputeTFLOPSRange(t *testing.T) {
	const cfg = "model=llama3-70b/tp=8/pp=4/mbs=1/gbs=1024/sl=4096/nodes=32"
	ok := timedRun(t, cfg, "ok.jsonl:1", 15.8, 16.0)
	runs := []bench.Run{ok}
	if err := RecomputeTFLOPS(runs, "megatron", 8, "add it with --set"); err != nil {
		t.Fatalf("15.8 s/iter: %v", err)
	}
	if got := runs[0].Metric(bench.MetricTFLOPS); got == nil || len(got.Values) != 2 || int(got.Values[0]*10+0.5) != 4492 {
		t.Fatalf("15.8 s/iter: TFLOPS/GPU = %+v, want 449.2 first", got)
	}
	// 1.8168e18 FLOPs on 256 GPUs pass 1e17 FLOP/s per GPU below 0.071 s/iter; 1e-300
	// overflows to +Inf.
	for _, sec := range []float64{1e-9, 0.070, 1e-300} {
		tiny := timedRun(t, cfg, "tiny.jsonl:3", 15.8, sec)
		err := RecomputeTFLOPS([]bench.Run{ok, tiny}, "megatron", 8, "add it with --set")
		if err == nil || !strings.HasPrefix(err.Error(), "tiny.jsonl:3: ") || !strings.Contains(err.Error(), "TFLOPS/GPU") {
			t.Errorf("%g s/iter: err = %v, want an error naming tiny.jsonl:3", sec, err)
		}
	}
	if err := RecomputeTFLOPS([]bench.Run{timedRun(t, cfg, "x:1", 0.072)}, "megatron", 8, "add it with --set"); err != nil {
		t.Errorf("0.072 s/iter, just under the limit: %v", err)
	}
}

// TestRecomputeTFLOPSLayout: an impossible layout is an error naming the run, and the advice
// is about the layout (or --gpus-per-node), not about adding a key with --set.
func TestRecomputeTFLOPSLayout(t *testing.T) {
	r := timedRun(t, "model=llama3-70b/tp=3/pp=5/mbs=1/gbs=1024/sl=4096/nodes=32", "bad.txt:3", 46.3)
	runs := []bench.Run{r}
	err := RecomputeTFLOPS(runs, "megatron", 8, "add it with --set")
	if err == nil || !strings.HasPrefix(err.Error(), "bad.txt:3: ") ||
		!strings.Contains(err.Error(), "not divisible by tp × pp = 3 × 5") ||
		!strings.Contains(err.Error(), "--gpus-per-node") || strings.Contains(err.Error(), "add it with --set") {
		t.Fatalf("tp 3 × pp 5 on 256 GPUs: err = %v", err)
	}
	if m := runs[0].Metric(bench.MetricTFLOPS); m != nil {
		t.Errorf("an impossible layout got TFLOPS/GPU %v", m.Values)
	}
}

// TestRecomputeTFLOPSScaledUnits: a run that holds its time or its TFLOPS in a scaling of
// the unit (a store kept in ms/iter, results in GFLOPS/GPU) is recomputed in that unit. The
// ms/iter store was refused for having "no s/iter" (audit), and GFLOPS/GPU results gained a
// TFLOPS/GPU beside it, one metric in two units.
func TestRecomputeTFLOPSScaledUnits(t *testing.T) {
	const cfg = "model=llama3-70b/tp=8/pp=4/mbs=1/gbs=1024/sl=4096/nodes=32"
	ms := bench.Run{Config: mustKey(cfg), Outcome: bench.OK, Source: "ms.jsonl:1", Metrics: []bench.Metric{
		{Name: "ms/iter", Unit: "ms/iter", Better: bench.Lower, Values: []float64{15800}}}}
	gf := timedRun(t, cfg, "g.jsonl:1", 15.8)
	gf.Metrics = append(gf.Metrics, bench.Metric{Name: "GFLOPS/GPU", Unit: "GFLOPS/GPU", Better: bench.Higher, Values: []float64{1}})
	runs := []bench.Run{ms, gf}
	if err := RecomputeTFLOPS(runs, "megatron", 8, "add it with --set"); err != nil {
		t.Fatalf("RecomputeTFLOPS: %v", err)
	}
	if got := runs[0].Metric(bench.MetricTFLOPS); got == nil || int(got.Values[0]*10+0.5) != 4492 {
		t.Errorf("15800 ms/iter: TFLOPS/GPU = %+v, want 449.2", got)
	}
	if got := runs[1].Metric(bench.MetricTFLOPS); got != nil {
		t.Errorf("GFLOPS/GPU results gained a TFLOPS/GPU metric: %+v", got)
	}
	if got := runs[1].Metric("GFLOPS/GPU"); got == nil || int(got.Values[0]/100+0.5) != 4492 {
		t.Errorf("GFLOPS/GPU = %+v, want 449200 (449.2 TFLOPS/GPU)", got)
	}
}
