package check

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// withMetrics returns a run of cfg in batch measured as TFLOPS/GPU (work/secs), s/iter and
// memory, each a single sample.
func withMetrics(cfg, batch string, secs, mem float64) bench.Run {
	return bench.Run{
		Config: mustKey(cfg), Outcome: bench.OK, Batch: batch,
		Metrics: []bench.Metric{
			{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{secs}},
			{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{7000 / secs}},
			{Name: bench.MetricMaxAlloc, Unit: bench.MetricMaxAlloc, Better: bench.Lower, Values: []float64{mem}},
		},
	}
}

// TestOneDecisionPerMeasurement: s/iter and TFLOPS/GPU of one run are one measurement, so a
// config gets one speed decision (on TFLOPS/GPU), shown on s/iter, and the correction family
// counts configs; memory keeps a decision and family of its own.
func TestOneDecisionPerMeasurement(t *testing.T) {
	var base, cur []bench.Run
	cfgs := []string{"tp=1", "tp=2", "tp=4", "tp=8"}
	for i, c := range cfgs {
		for j, x := range noisy(40+float64(i), 0.004, 6) {
			base = append(base, withMetrics(c, "b"+string(rune('0'+j)), x, 1000))
		}
		secs, mem := 40+float64(i), 1000.0
		if c == "tp=2" {
			secs *= 1.10 // 10% slower: TFLOPS falls by 9.1%
		}
		if c == "tp=4" {
			mem = 1300
		}
		cur = append(cur, withMetrics(c, "p1", secs, mem))
	}
	rep := Compare(base, cur, opts(nil))
	if rep.Method.Comparisons != len(cfgs) {
		t.Errorf("comparisons per family = %d, want %d (one per config)", rep.Method.Comparisons, len(cfgs))
	}
	dc := decisionCounts(rep)
	if dc[Regression] != 2 || dc[Unchanged] != 2*len(cfgs)-2 {
		t.Errorf("decisions %v, want 2 regressions (tp=2 speed, tp=4 memory) of %d", dc, 2*len(cfgs))
	}
	tfl := result(t, rep, "tp=2", bench.MetricTFLOPS)
	sec := result(t, rep, "tp=2", bench.MetricTime)
	mem := result(t, rep, "tp=2", bench.MetricMaxAlloc)
	if !tfl.Decides() || tfl.Measurement != SpeedMeasurement || tfl.Status != Regression || !tfl.Fails {
		t.Errorf("TFLOPS/GPU: decides %v, measurement %q, %s, fails %v", tfl.Decides(), tfl.Measurement, tfl.Status, tfl.Fails)
	}
	if sec.DecidedBy != bench.MetricTFLOPS || sec.Measurement != SpeedMeasurement || sec.Status != Regression || !sec.Fails {
		t.Errorf("s/iter: decided by %q, measurement %q, %s, fails %v", sec.DecidedBy, sec.Measurement, sec.Status, sec.Fails)
	}
	if sec.Caveats[0] != (ShownWith{Metric: bench.MetricTFLOPS}) || sec.DeltaPct == nil || *sec.DeltaPct < 9.9 {
		t.Errorf("s/iter keeps its own change after the shown-with caveat: %v, delta %v", sec.Caveats, sec.DeltaPct)
	}
	// The shown metric is not tested again: it has no p-value of its own, and the decision's
	// threshold, noise and estimate of the change, in its own units (s/iter is 7000/TFLOPS).
	if sec.PValue != nil || tfl.PValue == nil {
		t.Errorf("p-values: s/iter %v (want none), TFLOPS/GPU %v", sec.PValue, tfl.PValue)
	}
	// The threshold is the decision's bound in s/iter's own worse direction: TFLOPS/GPU down
	// by t is s/iter up by t/(1−t).
	wantThreshold := 100 * (1/(1-tfl.ThresholdPct/100) - 1)
	if math.Abs(sec.ThresholdPct-wantThreshold) > 1e-9 || sec.Baseline.NoisePct != tfl.Baseline.NoisePct || sec.Test != tfl.Test {
		t.Errorf("s/iter threshold %g%%, noise %g%%, test %q; the decision's: %g%%, %g%%, %q",
			sec.ThresholdPct, sec.Baseline.NoisePct, sec.Test, tfl.ThresholdPct, tfl.Baseline.NoisePct, tfl.Test)
	}
	if got := (1 + *sec.DeltaPct/100) * (1 + *tfl.DeltaPct/100); math.Abs(got-1) > 1e-9 {
		t.Errorf("s/iter %+.4f%% is not the inverse of TFLOPS/GPU %+.4f%%", *sec.DeltaPct, *tfl.DeltaPct)
	}
	if got := sec.Baseline.Center * tfl.Baseline.Center; math.Abs(got/7000-1) > 1e-9 {
		t.Errorf("baseline centres s/iter %g × TFLOPS/GPU %g = %g, want 7000", sec.Baseline.Center, tfl.Baseline.Center, got)
	}
	if !mem.Decides() || mem.Measurement != bench.MetricMaxAlloc || mem.Status != Unchanged {
		t.Errorf("memory of tp=2: decides %v, measurement %q, %s", mem.Decides(), mem.Measurement, mem.Status)
	}
	if r := result(t, rep, "tp=4", bench.MetricMaxAlloc); !r.Decides() || r.Status != Regression {
		t.Errorf("memory of tp=4: decides %v, %s", r.Decides(), r.Status)
	}

	// Without TFLOPS/GPU, s/iter decides; the preference order is configurable.
	rep = Compare(base, cur, opts(func(o *Options) { o.SpeedMetrics = []string{bench.MetricTime, bench.MetricTFLOPS} }))
	if r := result(t, rep, "tp=2", bench.MetricTime); !r.Decides() || r.Status != Regression {
		t.Errorf("s/iter first: decides %v, %s", r.Decides(), r.Status)
	}
	if r := result(t, rep, "tp=2", bench.MetricTFLOPS); r.DecidedBy != bench.MetricTime {
		t.Errorf("s/iter first: TFLOPS decided by %q", r.DecidedBy)
	}
}

// TestDeciderNeedsData: a config whose new run lacks TFLOPS/GPU is decided on s/iter, and a
// failed config is one decision however many metrics it is listed under.
func TestDeciderNeedsData(t *testing.T) {
	base := []bench.Run{withMetrics("tp=1", "b1", 40, 1000), withMetrics("tp=2", "b1", 40, 1000)}
	only := withMetrics("tp=1", "p1", 48, 1000)
	only.Metrics = only.Metrics[:1] // s/iter only
	cur := []bench.Run{only, failed("tp=2", "p1", bench.OOM, "p.log:9: CUDA out of memory")}
	rep := Compare(base, cur, opts(nil))
	if r := result(t, rep, "tp=1", bench.MetricTime); !r.Decides() || r.Status != Regression {
		t.Errorf("tp=1 s/iter: decides %v, %s", r.Decides(), r.Status)
	}
	if r := result(t, rep, "tp=1", bench.MetricTFLOPS); r.DecidedBy != bench.MetricTime || r.Status != Regression {
		t.Errorf("tp=1 TFLOPS (not reported): decided by %q, %s", r.DecidedBy, r.Status)
	}
	n := 0
	for _, r := range rep.Results {
		if r.Key == mustKey("tp=2").Key() && r.Decides() && r.Measurement == SpeedMeasurement {
			n++
		}
	}
	if n != 1 || decisionCounts(rep)[NewlyFailing] != 2 { // speed and memory
		t.Errorf("tp=2 OOM: %d speed decision(s), decisions %v", n, decisionCounts(rep))
	}
}

// TestMemoryIsOfSpeed: the store's memory (NoisyMemory) is learned on the speed measurement,
// so it moderates speed only: a config whose speed lands in one of two modes 3% apart is
// remembered as noisy, yet its peak memory, steady to 0.1%, still fails a 4% rise (with the
// speed's noise it passed, p 0.06).
func TestMemoryIsOfSpeed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var older, base, cur []bench.Run
	for c := 1; c <= 16; c++ {
		cfg := fmt.Sprintf("tp=%d", c)
		for r := 1; r <= 21; r++ {
			secs := 40 * math.Exp(0.008*rng.NormFloat64())
			if c == 5 && rng.IntN(2) == 0 {
				secs *= 1.03
			}
			run := withMetrics(cfg, fmt.Sprintf("n%02d", r), secs, 1000*math.Exp(0.001*rng.NormFloat64()))
			older = append(older, run)
			if r > 14 {
				base = append(base, run)
			}
		}
		mem := 1000.0
		if c == 5 {
			mem = 1040
		}
		cur = append(cur, withMetrics(cfg, "pr", 40, mem))
	}
	o := mixOpts(func(o *Options) { o.ConfirmRuns = 0 })
	o.NoisyMemory = NoisyMemory(older, base, o)
	if o.NoisyMemory == nil || o.NoisyMemory.Noisy["tp=5"] < 0.5 {
		t.Fatalf("memory %+v: want tp=5 remembered as noisy", o.NoisyMemory)
	}
	if r := result(t, Compare(base, cur, o), "tp=5", bench.MetricMaxAlloc); r.Status != Regression {
		t.Errorf("tp=5 memory up 4%%: %s (noise %.2f%%), want a regression", r.Status, r.Baseline.NoisePct)
	}
}

// decisionCounts returns how many decisions of rep (results that decide, one per config and
// measurement) have each status.
func decisionCounts(rep *Report) map[Status]int {
	c := map[Status]int{}
	for i := range rep.Results {
		if rep.Results[i].Decides() {
			c[rep.Results[i].Status]++
		}
	}
	return c
}

// TestCheckFormulasNothingCheckable: a side with no run whose TFLOPS can be checked against a
// formula (no runs, or configs that do not name the model) gives no remark, and no drift.
func TestCheckFormulasNothingCheckable(t *testing.T) {
	some := []bench.Run{run("tp=8", "nightly-1", 150)}
	for _, tt := range []struct {
		name      string
		base, cur []bench.Run
	}{
		{"both empty", nil, nil},
		{"empty baseline", nil, some},
		{"empty new", some, nil},
		{"no model named", some, some},
	} {
		if got := CheckFormulas(tt.base, tt.cur, 8); len(got) != 0 {
			t.Errorf("%s: remarks %v, want none", tt.name, got)
		}
	}
}

// TestRecomputeTFLOPSNeedsTime: --recompute-tflops cannot pin the formula of a run that logs
// TFLOPS/GPU without s/iter; leaving its logged TFLOPS in place compared them, under the
// trainer's formula, with the other side's recomputed ones (a 3.7% convention gap hid a real
// slowdown) while the report said both sides were recomputed. It is an error naming the run.
func TestRecomputeTFLOPSNeedsTime(t *testing.T) {
	cfg := mustKey("model=llama3-70b/tp=8/pp=4/gbs=1024/sl=4096/nodes=32")
	timed := bench.Run{Config: cfg, Outcome: bench.OK, Source: "base.txt:2", Metrics: []bench.Metric{
		{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{15.8}}}}
	logged := bench.Run{Config: cfg, Outcome: bench.OK, Source: "pr.jsonl:1", Metrics: []bench.Metric{
		{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{440}}}}
	failed := bench.Run{Config: cfg, Outcome: bench.OOM, Source: "pr.jsonl:2"}
	if err := RecomputeTFLOPS([]bench.Run{timed, failed}, "megatron", 8, "add it with --set"); err != nil {
		t.Fatalf("timed and failed runs: %v", err)
	}
	err := RecomputeTFLOPS([]bench.Run{logged}, "megatron", 8, "add it with --set")
	if err == nil || !strings.Contains(err.Error(), "pr.jsonl:1") || !strings.Contains(err.Error(), "no s/iter") {
		t.Fatalf("a run with TFLOPS/GPU and no s/iter: err = %v, want an error naming pr.jsonl:1", err)
	}
}

// TestCheckFormulasMixedBaseline: a baseline window that spans a Megatron upgrade holds runs
// of one config on the legacy formula and runs on the current one, so no formula is common to
// the side and the suite-wide comparison found no drift; TFLOPS/GPU then decided on a history
// whose 3.7% convention gap read as noise, and a real 4% slowdown was only suspect. The
// config's runs on both sides match no one formula: that is drift, marked Mixed.
func TestCheckFormulasMixedBaseline(t *testing.T) {
	cfg := mustKey("model=llama3-70b/tp=8/pp=4/mbs=1/gbs=1024/sl=4096/nodes=32")
	at := func(batch string, sec, tflops float64) bench.Run {
		return bench.Run{Config: cfg, Outcome: bench.OK, Batch: batch, Metrics: []bench.Metric{
			{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{sec}},
			{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{tflops}}}}
	}
	legacy, current := at("old", 15.8, 465.9), at("new", 15.8, 449.2)
	base := []bench.Run{legacy, legacy, legacy, current, current}
	got := CheckFormulas(base, []bench.Run{current}, 8)
	want := []Remark{FormulaDrift{Baseline: []string{"megatron-legacy"}, New: []string{"megatron"}, Mixed: true}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("mixed baseline: remarks %v, want %v", got, want)
	}
	// One formula on both sides, or a mixed config the new runs do not have: no drift.
	other := at("new", 15.8, 449.2)
	other.Config = mustKey("model=llama3-70b/tp=8/pp=8/mbs=1/gbs=1024/sl=4096/nodes=32")
	for name, tt := range map[string][2][]bench.Run{
		"one formula":             {{current, current}, {current}},
		"mixed config not in new": {{legacy, current, other}, {other}},
	} {
		if got := CheckFormulas(tt[0], tt[1], 8); len(got) != 0 {
			t.Errorf("%s: remarks %v, want none", name, got)
		}
	}
}

// TestSpeedMetricsDisagree: a run whose TFLOPS/GPU holds while its s/iter slows by 10% (a
// FLOPs formula or unit that changed on one side) is decided on the worse, s/iter, with a
// SpeedDisagree caveat, rather than passing on TFLOPS/GPU; under a known formula drift
// TFLOPS/GPU never overrules the time; and metrics that agree leave TFLOPS/GPU deciding.
func TestSpeedMetricsDisagree(t *testing.T) {
	var base []bench.Run
	for j, x := range noisy(40, 0.004, 6) {
		base = append(base, withMetrics("tp=1", "b"+string(rune('0'+j)), x, 1000))
	}
	run := func(secs, tflops float64) []bench.Run {
		r := withMetrics("tp=1", "p1", secs, 1000)
		r.Metric(bench.MetricTFLOPS).Values = []float64{tflops}
		return []bench.Run{r}
	}
	for _, c := range []struct {
		name         string
		secs, tflops float64
		drift        bool
		decider      string
		status       Status
	}{
		{"time slower, TFLOPS held", 44, 7000 / 40.0, false, bench.MetricTime, Regression},
		{"TFLOPS lower, time held", 40, 0.9 * 7000 / 40, false, bench.MetricTFLOPS, Regression},
		{"agree within 1%", 40.2, 7000 / 40.0, false, bench.MetricTFLOPS, Unchanged},
		{"formula drift: time decides", 40, 0.9 * 7000 / 40, true, bench.MetricTime, Unchanged},
		{"formula drift, time slower", 44, 7000 / 40.0, true, bench.MetricTime, Regression},
	} {
		rep := Compare(base, run(c.secs, c.tflops), opts(func(o *Options) {
			if c.drift {
				o.SpeedMetrics, o.FormulaDrift = TimeFirst(o.SpeedMetrics), true
			}
		}))
		d := result(t, rep, "tp=1", c.decider)
		if !d.Decides() || d.Status != c.status {
			t.Errorf("%s: %s decides %v, status %s; want it deciding, %s", c.name, c.decider, d.Decides(), d.Status, c.status)
		}
		overruled := slices.ContainsFunc(d.Caveats, func(cv Caveat) bool { _, ok := cv.(SpeedDisagree); return ok })
		if want := c.name == "time slower, TFLOPS held"; overruled != want {
			t.Errorf("%s: SpeedDisagree caveat %v, want %v (%v)", c.name, overruled, want, d.Caveats)
		}
	}
}
