package check

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

// TestSweepGroupsByJob checks that the fastest config is chosen per job: per model and every
// other key that is not a parallelism knob, so a 175B model is never ranked against an 8B one
// and a GPU type against another.
func TestSweepGroupsByJob(t *testing.T) {
	run := func(cfg string, tflops float64) bench.Run {
		c, err := bench.ParseKey(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return bench.Run{Config: c, Outcome: bench.OK, Metrics: []bench.Metric{{Name: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{tflops}}}}
	}
	runs := []bench.Run{
		run("model=gpt3-175b/tp=8/pp=8/mbs=1/gbs=1024/sl=4096/nodes=32", 150),
		run("model=gpt3-175b/tp=8/pp=4/mbs=1/gbs=1024/sl=4096/nodes=32", 160),
		run("model=llama3-8b/tp=1/pp=1/mbs=1/gbs=1024/sl=4096/nodes=32", 400),
		run("model=llama3-8b/tp=2/pp=1/mbs=1/gbs=1024/sl=4096/nodes=32", 380),
		run("model=llama3-8b/tp=2/pp=1/mbs=1/gbs=1024/sl=4096/nodes=32/gpu=h100", 500),
	}
	rep := Compare(runs, runs, DefaultOptions)
	var got []string
	for _, w := range rep.Sweep {
		got = append(got, bench.Config(w.Scale).String()+": "+w.New)
	}
	want := []string{
		"model=gpt3-175b gbs=1024 sl=4096 nodes=32: tp=8 pp=4 mbs=1",
		"model=llama3-8b gbs=1024 sl=4096 nodes=32: tp=1 pp=1 mbs=1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("winners (-want +got):\n%s", diff)
	}
}

// TestSweepRanksOnAMeasuredMetric: when the new runs of a job time their iterations but do
// not report TFLOPS/GPU, the job is ranked by s/iter. Ranking it by TFLOPS/GPU made the one
// config missing from the results (its baseline TFLOPS kept) the new fastest, and the
// report flagged "winner changed" on a sweep that measured no such thing.
func TestSweepRanksOnAMeasuredMetric(t *testing.T) {
	run := func(cfg string, secs, tflops float64) bench.Run {
		c, err := bench.ParseKey(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := bench.Run{Config: c, Outcome: bench.OK, Metrics: []bench.Metric{{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{secs}}}}
		if tflops > 0 {
			r.Metrics = append(r.Metrics, bench.Metric{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{tflops}})
		}
		return r
	}
	base := []bench.Run{
		run("tp=8/pp=4/nodes=32", 5.68, 75.7),
		run("tp=8/pp=8/nodes=32", 5.70, 75.4),
	}
	cur := []bench.Run{run("tp=8/pp=4/nodes=32", 5.66, 0)} // pp=8 is missing
	rep := Compare(base, cur, DefaultOptions)
	want := []Winner{{Scale: map[string]string{"nodes": "32"}, Metric: bench.MetricTime, Baseline: "tp=8 pp=4", New: "tp=8 pp=4"}}
	if diff := cmp.Diff(want, rep.Sweep); diff != "" {
		t.Errorf("sweep (-want +got):\n%s", diff)
	}
}

// TestSweepFailedNewRun: a config one of whose new runs failed is failing now (judge), so it
// is not the new fastest, whatever the order of its runs: ranking it by its last run made the
// winner depend on the order the result files were given in.
func TestSweepFailedNewRun(t *testing.T) {
	base := concat(runs("tp=8/nodes=32", "b", 150), runs("tp=4/nodes=32", "b", 140))
	oom := failed("tp=8/nodes=32", "p0", bench.OOM, "pr.txt:2: OOM")
	for name, cur := range map[string][]bench.Run{
		"failure first": concat([]bench.Run{oom}, runs("tp=8/nodes=32", "p", 150), runs("tp=4/nodes=32", "p", 140)),
		"failure last":  concat(runs("tp=8/nodes=32", "p", 150), []bench.Run{oom}, runs("tp=4/nodes=32", "p", 140)),
	} {
		rep := Compare(base, cur, DefaultOptions)
		if len(rep.Sweep) != 1 || rep.Sweep[0].New != "tp=4" || !rep.Sweep[0].Changed {
			t.Errorf("%s: sweep %+v, want tp=4 the new fastest (tp=8 fails now)", name, rep.Sweep)
		}
	}
}
