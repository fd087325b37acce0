package check

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// TestStillFailingIsCompared: a config whose last baseline run OOMed and which OOMs again in
// one of its new runs is compared on the new runs that ran. It used to be still-failing with
// no delta, passing an 8% slowdown that the same runs without the OOM failed.
func TestStillFailingIsCompared(t *testing.T) {
	base := concat(steadyBase("tp=1", 100), steadyBase("tp=2", 100), steadyBase("tp=3", 100),
		[]bench.Run{failed("tp=1", "b9", bench.OOM, "t.txt:3: OOM")})
	withOOM := func(level float64) []bench.Run {
		return concat([]bench.Run{failed("tp=1", "p0", bench.OOM, "pr.txt:1: OOM")}, runs("tp=1", "p", level, level),
			runs("tp=2", "p", 100), runs("tp=3", "p", 100))
	}
	for _, short := range []bool{false, true} {
		o := opts(nil)
		if short {
			o.MinHistoryRuns = 100 // the fixed tolerance decides
		}
		rep := Compare(base, withOOM(92), o)
		r := result(t, rep, "tp=1", tf)
		if r.Status != Regression || !r.Fails || r.DeltaPct == nil || r.Outcome != "oom" || rep.Verdict != Fail {
			t.Errorf("short %v, 8%% slower: status %s fails %v delta %v outcome %s verdict %s, want a failing regression",
				short, r.Status, r.Fails, r.DeltaPct, r.Outcome, rep.Verdict)
		}
		if want := (RunFailed{Outcome: bench.OOM, Reason: "pr.txt:1: OOM", Ran: 2, Runs: 3}); len(r.Caveats) == 0 || r.Caveats[0] != want {
			t.Errorf("short %v: caveats %#v, want %#v first", short, r.Caveats, want)
		}
		rep = Compare(base, withOOM(100), o)
		if r := result(t, rep, "tp=1", tf); r.Status != StillFailing || r.Fails || r.DeltaPct == nil || rep.Verdict != Pass {
			t.Errorf("short %v, unchanged: status %s fails %v delta %v verdict %s, want a compared, passing still-failing",
				short, r.Status, r.Fails, r.DeltaPct, rep.Verdict)
		}
		rep = Compare(base, withOOM(120), o)
		if r := result(t, rep, "tp=1", tf); r.Status != StillFailing || r.Fails || len(rep.Remarks) > 0 && o.MinHistoryRuns < 100 {
			t.Errorf("short %v, faster: status %s fails %v remarks %v, want still-failing and no refresh", short, r.Status, r.Fails, rep.Remarks)
		}
	}
}

// TestMetricRuleKeepsOutcome: an ignore rule that names a metric quiets that metric's numbers
// (for a speed metric, the config's speed decision) but not an outcome of the whole config:
// an OOM, or a config missing under --require-all. It used to wave through an OOM when the
// rule named a speed metric and not when it named memory. A rule without a metric ignores
// both.
func TestMetricRuleKeepsOutcome(t *testing.T) {
	match, err := NewMatcher("/tp:8")
	if err != nil {
		t.Fatal(err)
	}
	base := concat(runs("tp=8/pp=4", "b", 100), runs("tp=4/pp=4", "b", 100))
	for _, tt := range []struct {
		name   string
		metric string
		ignore bool
	}{
		{"speed metric", bench.MetricTime, false},
		{"deciding metric", bench.MetricTFLOPS, false},
		{"whole config", "", true},
	} {
		o := opts(func(o *Options) {
			o.RequireAll = true
			o.Rules = []Rule{{Match: match, Metric: tt.metric, Ignore: true, Reason: "r"}}
		})
		rep := Compare(base, []bench.Run{failed("tp=8/pp=4", "p1", bench.OOM, ""), run("tp=4/pp=4", "p1", 100)}, o)
		if r := result(t, rep, "tp=8/pp=4", tf); r.Status != NewlyFailing || r.Ignored != tt.ignore || r.Fails == tt.ignore {
			t.Errorf("%s, OOM: status %s ignored %v fails %v, want ignored %v", tt.name, r.Status, r.Ignored, r.Fails, tt.ignore)
		}
		rep = Compare(base, runs("tp=4/pp=4", "p", 100), o)
		if r := result(t, rep, "tp=8/pp=4", tf); r.Status != Missing || r.Ignored != tt.ignore || r.Fails == tt.ignore {
			t.Errorf("%s, missing: status %s ignored %v fails %v, want ignored %v", tt.name, r.Status, r.Ignored, r.Fails, tt.ignore)
		}
		// The metric's own numbers stay ignorable.
		rep = Compare(base, concat(runs("tp=8/pp=4", "p", 80), runs("tp=4/pp=4", "p", 100)), o)
		if r := result(t, rep, "tp=8/pp=4", tf); r.Status != Regression || !r.Ignored || r.Fails {
			t.Errorf("%s, slower: status %s ignored %v fails %v, want an ignored regression", tt.name, r.Status, r.Ignored, r.Fails)
		}
	}
}

// agreesWithThreshold reports whether r's status says what its ThresholdPct says: a change
// worse than the threshold, in the metric's worse direction, is a regression, and one within
// it is not. Changes within 0.01 points of the threshold are left out (rounding).
func agreesWithThreshold(r *Result) bool {
	worse := *r.DeltaPct // s/iter: the rise
	if r.Better == bench.Higher.String() {
		worse = -worse // TFLOPS/GPU: the drop
	}
	if math.Abs(worse-r.ThresholdPct) < 0.01 {
		return true
	}
	return (worse > r.ThresholdPct) == (r.Status == Regression)
}

// TestThresholdIsTheWorseChange: threshold_pct is the change that fails in the metric's worse
// direction: for TFLOPS/GPU the drop, 100·(1−e^−bound). It used to be the rise
// 100·(e^bound−1), so a noisy config's −15% failed under a printed 17.5% and −13% read
// unchanged under it. On a grid of drops, every speed result's status agrees with its
// threshold, decided by a test or by the fixed tolerance, as a decision or shown with one.
func TestThresholdIsTheWorseChange(t *testing.T) {
	base := func(n int) []bench.Run {
		var out []bench.Run
		for i, secs := range noisy(10, 0.08, n) {
			out = append(out, withMetrics("tp=1", fmt.Sprintf("b%d", i+1), secs, 50))
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		runs   int
		decide []string
	}{
		{"test, TFLOPS/GPU decides", 7, nil},
		{"test, s/iter decides", 7, TimeFirst(DefaultSpeedMetrics)},
		{"tolerance, TFLOPS/GPU decides", 1, nil},
		{"tolerance, s/iter decides", 1, TimeFirst(DefaultSpeedMetrics)},
	} {
		o := opts(func(o *Options) {
			o.Metrics = []string{bench.MetricTFLOPS, bench.MetricTime}
			if tt.decide != nil {
				o.SpeedMetrics = tt.decide
			}
			if tt.runs == 1 {
				o.TolerancePct = 15
			}
		})
		var thresholds []float64
		for drop := 1.0; drop < 30; drop += 0.25 {
			cur := []bench.Run{withMetrics("tp=1", "p", 10/(1-drop/100), 50)}
			rep := Compare(base(tt.runs), cur, o)
			for _, m := range []string{bench.MetricTFLOPS, bench.MetricTime} {
				r := result(t, rep, "tp=1", m)
				if !agreesWithThreshold(r) {
					t.Errorf("%s: s/iter up %.2f%% from the baseline's level: %s %+.2f%% is %s under a threshold of %.2f%%", tt.name, 100/(1-drop/100)-100, m, *r.DeltaPct, r.Status, r.ThresholdPct)
				}
				if m == bench.MetricTFLOPS {
					thresholds = append(thresholds, r.ThresholdPct)
				}
			}
		}
		if slices.Min(thresholds) < 10 {
			t.Errorf("%s: thresholds %v: the grid does not reach them", tt.name, thresholds)
		}
	}
}

// TestToleranceIsAtLeastMinEffect: the minimum effect is the smallest change that can fail,
// also under the fixed tolerance: with --min-effect 10 a 7% drop on a one-run baseline passed
// the test but failed the ±5% tolerance.
func TestToleranceIsAtLeastMinEffect(t *testing.T) {
	o := opts(func(o *Options) { o.MinEffectPct = 10 })
	rep := Compare(runs("tp=1", "b", 100), concat(runs("tp=1", "p", 93)), o)
	r := result(t, rep, "tp=1", tf)
	if r.Status != Unchanged || r.Fails || r.ThresholdPct != 10 {
		t.Errorf("7%% drop under a 10%% minimum effect: %s fails %v threshold %v, want unchanged at 10%%", r.Status, r.Fails, r.ThresholdPct)
	}
	if want := (FixedTolerance{Runs: 1, Needed: 3, TolerancePct: 10, RaisedFrom: 5}); len(r.Caveats) == 0 || r.Caveats[0] != want {
		t.Errorf("caveats %#v, want %#v", r.Caveats, want)
	}
	if want := (ToleranceUsed{Count: 1, TolerancePct: 10, RaisedFrom: 5, MinHistoryRuns: 3}); !slices.Contains(rep.Remarks, Remark(want)) {
		t.Errorf("remarks %#v lack %#v", rep.Remarks, want)
	}
	rep = Compare(runs("tp=1", "b", 100), concat(runs("tp=1", "p", 89)), o)
	if r := result(t, rep, "tp=1", tf); r.Status != Regression || !r.Fails {
		t.Errorf("11%% drop under a 10%% minimum effect: %s fails %v, want a failing regression", r.Status, r.Fails)
	}
}

// TestIdenticalRunsAreOne: the same results file ingested under three run ids is one run, not
// three with a noise of 0: with the default test a 3.4% drop on it failed at p=4e-9 with
// "noise ±0.0%". Identical runs count as one (the fixed tolerance decides) and say so; runs of
// different files that happen to agree are still runs of their own.
func TestIdenticalRunsAreOne(t *testing.T) {
	ingest := func(cfg string, level float64, files ...string) []bench.Run {
		var out []bench.Run
		for i, f := range files {
			r := withMetrics(cfg, fmt.Sprintf("n%d", i+1), 10*100/level, 50)
			r.File = f
			out = append(out, r)
		}
		return out
	}
	same := []string{"b.txt", "b.txt", "b.txt"}
	base := concat(ingest("tp=1", 100, same...), ingest("tp=2", 102, same...), ingest("tp=3", 98, same...))
	cur := []bench.Run{withMetrics("tp=1", "p", 10/0.966, 50), withMetrics("tp=2", "p", 10*100/102, 50), withMetrics("tp=3", "p", 10*100/98, 50)}
	for _, test := range []string{"mixture", "moderated-t"} {
		o := DefaultOptions
		o.Now, o.Test = now, test
		rep := Compare(base, cur, o)
		r := result(t, rep, "tp=1", tf)
		if r.Status != Unchanged || r.Fails || r.Test != ToleranceTest || r.PValue != nil || r.Baseline.Runs != 1 {
			t.Errorf("%s: 3.4%% drop on three identical runs: %s fails %v test %q p %v runs %d, want unchanged by the tolerance on one run",
				test, r.Status, r.Fails, r.Test, r.PValue, r.Baseline.Runs)
		}
		if len(r.Caveats) == 0 || r.Caveats[0] != (IdenticalRuns{Runs: 3}) {
			t.Errorf("%s: caveats %#v, want IdenticalRuns{3} first", test, r.Caveats)
		}
		if s := result(t, rep, "tp=1", bench.MetricTime); s.Baseline.Runs != 1 || s.Caveats[1] != (IdenticalRuns{Runs: 3}) {
			t.Errorf("%s: s/iter runs %d caveats %#v, want one run and IdenticalRuns{3} after the shown-with", test, s.Baseline.Runs, s.Caveats)
		}
		// Memory is not speed: equal high-water marks are what memory does.
		if m := result(t, rep, "tp=1", bench.MetricMaxAlloc); m.Baseline.Runs != 3 {
			t.Errorf("%s: memory runs %d, want 3", test, m.Baseline.Runs)
		}
	}
	// Three different files that agree are three runs, and so are runs of no known file.
	for _, files := range [][]string{{"a.txt", "b.txt", "c.txt"}, {"", "", ""}} {
		apart := concat(ingest("tp=1", 100, files...), ingest("tp=2", 102, same...), ingest("tp=3", 98, same...))
		if r := result(t, Compare(apart, cur, opts(nil)), "tp=1", tf); r.Baseline.Runs != 3 || slices.Contains(r.Caveats, Caveat(IdenticalRuns{Runs: 3})) {
			t.Errorf("files %q: runs %d caveats %#v, want three runs", files, r.Baseline.Runs, r.Caveats)
		}
	}
}

// TestSlowRunThresholdAndWords: on a short baseline that probably holds a slow run, the
// mixture's posterior is skewed, and the threshold came from the tail on the wrong side: an
// 8% drop read "unchanged, threshold 5.6%, within run-to-run noise". The threshold is now the
// worse direction's (every status on a grid of drops agrees with it), and an unchanged result
// there says it rests on the doubtful run, not on noise.
func TestSlowRunThresholdAndWords(t *testing.T) {
	var base []bench.Run
	for i, k := range []string{"tp=1", "tp=2", "tp=3", "tp=4", "tp=5", "tp=6"} {
		base = append(base, runs(k, "n", noisy(100+float64(i), 0.006, 3)...)...)
	}
	base = append(base, runs("tp=9", "n", 92, 100.2, 99.8)...) // n1 is 8% slow
	o := DefaultOptions
	o.Now = now
	var slowWords int
	for drop := 2.0; drop < 16; drop += 0.25 {
		cur := runs("tp=9", "p", 100*(1-drop/100))
		for i, k := range []string{"tp=1", "tp=2", "tp=3", "tp=4", "tp=5", "tp=6"} {
			cur = append(cur, run(k, "p", 100+float64(i)))
		}
		rep := Compare(base, cur, o)
		r := result(t, rep, "tp=9", tf)
		if r.Test != "mixture" || !slices.ContainsFunc(r.Caveats, func(c Caveat) bool { _, ok := c.(SlowBaselineRun); return ok }) {
			t.Fatalf("drop %.2f%%: test %q caveats %v, want the mixture to see the slow run", drop, r.Test, r.Caveats)
		}
		if !agreesWithThreshold(r) {
			t.Errorf("drop %.2f%%: %s %+.2f%% (p=%.3g) under a threshold of %.2f%%", drop, r.Status, *r.DeltaPct, *r.PValue, r.ThresholdPct)
		}
		if slices.Contains(r.Caveats, Caveat(WithinNoise{})) {
			t.Errorf("drop %.2f%%: %v: not significant on a probably slow run is not within noise", drop, r.Caveats)
		}
		if slices.Contains(r.Caveats, Caveat(WithinNoise{SlowRun: true})) {
			slowWords++
		}
	}
	if slowWords == 0 {
		t.Errorf("no drop on the grid was unchanged on the slow run: the test does not reach the case")
	}
}
