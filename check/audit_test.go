package check

import (
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
