package check

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/bench"
)

func gateRun(key string, metrics ...string) bench.Run {
	cfg, err := bench.ParseKey(key)
	if err != nil {
		panic(err)
	}
	r := bench.Run{Config: cfg, Outcome: bench.OK}
	for _, m := range metrics {
		r.Metrics = append(r.Metrics, bench.Metric{Name: m, Unit: m, Better: bench.DirectionOf(m), Values: []float64{1}})
	}
	return r
}

func TestGateable(t *testing.T) {
	base := []bench.Run{
		gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS, bench.MetricTime),
		gateRun("tp=8/pp=8/nodes=32", bench.MetricTFLOPS, bench.MetricTime),
	}
	for _, c := range []struct {
		name string
		cur  []bench.Run
		opts Options
		want string // "" for gateable
	}{
		{"one config matches", []bench.Run{gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS), gateRun("tp=2/pp=1/nodes=1", bench.MetricTFLOPS)}, Options{}, ""},
		{"wrong --set", []bench.Run{gateRun("tp=8/pp=4/nodes=64", bench.MetricTFLOPS)}, Options{},
			"nothing was gated: the results hold 1 config(s) and the baseline 2, none in both.\nNearest: tp=8 pp=4 nodes=64\n    vs baseline tp=8 pp=4 nodes=32\ndiffering in nodes (64 here, 32 in the baseline)"},
		{"missing column", []bench.Run{gateRun("tp=8/pp=8", bench.MetricTFLOPS)}, Options{}, "differing in nodes (missing here, 32 in the baseline)"},
		{"extra key", []bench.Run{gateRun("tp=8/pp=8/nodes=32/model=x", bench.MetricTFLOPS)}, Options{}, "differing in model (x here, missing in the baseline)"},
		{"metric typo", []bench.Run{gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS)}, Options{Metrics: []string{"TFLOPs/GPU"}},
			`metric "TFLOPs/GPU" (--metric, or "metrics" in the config file) matches nothing (did you mean "TFLOPS/GPU"?), so nothing would be gated; the results and the baseline hold: TFLOPS/GPU, s/iter`},
		// A filter metric on one side only is no typo: the failed run's outcome is still gated.
		{"metric of one side", []bench.Run{gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS), {Config: bench.Config{"tp": "8", "pp": "8", "nodes": "32"}, Outcome: bench.OOM}}, Options{Metrics: []string{bench.MetricTime}}, ""},
		{"metric of one side, nothing else", []bench.Run{gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS)}, Options{Metrics: []string{bench.MetricTime}},
			`share configs but no metric (kept by --metric, or "metrics" in the config file: s/iter), so nothing was compared: on those configs the results report none of them (only TFLOPS/GPU) and the baseline s/iter`},
		{"no metric in common", []bench.Run{gateRun("tp=8/pp=4/nodes=32", "tokens/s/GPU"), gateRun("tp=2/pp=1/nodes=1", bench.MetricTFLOPS)}, Options{},
			"share configs but no metric, so nothing was compared: on those configs the results report tokens/s/GPU and the baseline TFLOPS/GPU, s/iter"},
		{"one metric in common", []bench.Run{gateRun("tp=8/pp=4/nodes=32", "tokens/s/GPU"), gateRun("tp=8/pp=8/nodes=32", bench.MetricTime)}, Options{}, ""},
		{"only failed runs", []bench.Run{{Config: bench.Config{"tp": "8", "pp": "4", "nodes": "32"}, Outcome: bench.OOM}}, Options{}, ""},
	} {
		err := Gateable(base, c.cur, c.opts)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
	if err := Gateable(nil, []bench.Run{gateRun("tp=1", bench.MetricTFLOPS)}, Options{}); err == nil || !strings.Contains(err.Error(), "the baseline holds no runs") {
		t.Errorf("empty baseline: %v, want an error: every result would be new, nothing compared", err)
	}
	if err := Gateable(nil, nil, Options{}); err != nil {
		t.Errorf("nothing on either side: %v (no results is the ingest's error)", err)
	}
}

// TestIdleRules: a rule whose match selects no config, whose metric neither side reports, or
// that is an ignore rule past its date applies to nothing, and IdleRules names it; a rule that
// applies is not named.
func TestIdleRules(t *testing.T) {
	base := []bench.Run{gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS, bench.MetricTime)}
	cur := []bench.Run{gateRun("tp=4/pp=4/nodes=32", bench.MetricTFLOPS, bench.MetricTime)}
	cf := &ConfigFile{Rules: []RuleSpec{
		{Match: "/tp:16", MinEffectPct: ptr(1)},                                // no config
		{Match: "*", Metric: "tflops", Ignore: true, Reason: "typo"},           // no such metric
		{Match: "/tp:8", Ignore: true, Reason: "old", Until: "2026-01-31"},     // expired
		{Match: "/tp:4", Metric: bench.MetricTime, MinEffectPct: ptr(2)},       // applies (new side)
		{Match: "/tp:8", Ignore: true, Reason: "current", Until: "2026-02-01"}, // applies until tonight
	}}
	opts := DefaultOptions
	if _, err := cf.Apply(&opts, "perfgate.json"); err != nil {
		t.Fatal(err)
	}
	opts.Now = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	idle := IdleRules(base, cur, opts)
	var got []string
	for _, ir := range idle {
		got = append(got, fmt.Sprintf("%d %v %v %v", ir.Rule.Index, ir.NoConfig, ir.Metrics, ir.Expired))
	}
	want := []string{"1 true [] false", "2 false [TFLOPS/GPU s/iter] false", "3 false [] true"}
	if !slices.Equal(got, want) {
		t.Errorf("idle rules:\n got %q\nwant %q", got, want)
	}
	if idle := IdleRules(base, cur, Options{}); idle != nil {
		t.Errorf("no rules: %v", idle)
	}
}

// TestIdleRulesSpeedMetric: a rule for one speed metric covers every speed metric (settings
// applies it to whichever decides), so a rule for tokens/s/GPU on runs that report TFLOPS/GPU
// and s/iter applies, and IdleRules must not call it idle; and Compare does apply it.
func TestIdleRulesSpeedMetric(t *testing.T) {
	base := []bench.Run{gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS, bench.MetricTime)}
	cur := []bench.Run{gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS, bench.MetricTime)}
	cf := &ConfigFile{Rules: []RuleSpec{{Match: "*", Metric: "tokens/s/GPU", MinEffectPct: ptr(7)}}}
	opts := DefaultOptions
	if _, err := cf.Apply(&opts, "perfgate.json"); err != nil {
		t.Fatal(err)
	}
	if got := MinEffectFor(base[0].Config, bench.MetricTFLOPS, opts); got != 7 {
		t.Fatalf("MinEffectFor TFLOPS/GPU = %v, want the rule's 7", got)
	}
	if idle := IdleRules(base, cur, opts); idle != nil {
		t.Errorf("a speed-metric rule that applies was called idle: %+v", idle[0])
	}
}

// TestGateableOldBaselineFailure: a failure in the baseline gates an outcome only when it is
// the config's last run (fixed, still-failing); an older one, followed by runs that measured
// the config, decides nothing. Counting it let results that share no metric with the baseline
// pass having compared nothing.
func TestGateableOldBaselineFailure(t *testing.T) {
	oom := bench.Run{Config: bench.Config{"tp": "8", "pp": "4", "nodes": "32"}, Outcome: bench.OOM}
	ok := gateRun("tp=8/pp=4/nodes=32", bench.MetricTFLOPS, bench.MetricTime)
	cur := []bench.Run{gateRun("tp=8/pp=4/nodes=32", "tokens/s/GPU")}
	if err := Gateable([]bench.Run{oom, ok, ok}, cur, Options{}); err == nil || !strings.Contains(err.Error(), "nothing was compared") {
		t.Errorf("old failure: %v, want nothing compared", err)
	}
	if err := Gateable([]bench.Run{ok, ok, oom}, cur, Options{}); err != nil {
		t.Errorf("last run failed (fixed is gated): %v", err)
	}
	rep := Compare([]bench.Run{oom, ok, ok}, cur, DefaultOptions)
	for _, r := range rep.Results {
		if r.Status != Missing && r.Status != New {
			t.Errorf("%s: %s, want missing or new: Gateable and Compare disagree", r.Metric, r.Status)
		}
	}
}

// TestMetricTypos: a config file's metric name that nothing reports while a reported metric is
// a near miss of it is a typo, an error with the name meant; a name with no near miss (a
// metric of another job's results) is left alone.
func TestMetricTypos(t *testing.T) {
	base := []bench.Run{gateRun("tp=8", "s/iter", "TFLOPS/GPU", "time_to_first_token", "MB-max-allocated")}
	for _, tt := range []struct {
		names []string
		want  string
	}{
		{[]string{"TFLOPS/GPU", "s/itr"}, `metric "s/itr" (speed_metrics in the config file) matches no metric of the results or the baseline; did you mean "s/iter"?`},
		{[]string{"time-to-first-token"}, `did you mean "time_to_first_token"?`},
		{[]string{"Time_To_First_Token"}, `did you mean "time_to_first_token"?`},
		{[]string{"TFLOPS/GPU", "tokens/s/GPU", "samples/s", "s/iter"}, ""},
		{[]string{"MB-max-allocated"}, ""},
		// Other jobs' metrics, told apart by a unit's prefix or their last word (review).
		{[]string{"ms/iter", "GB-max-allocated", "TFLOPS/GCD", "GFLOPS/GPU", "KB-max-allocated"}, ""},
		// A letter left out or added in the first word, past a unit's prefix, is a typo.
		{[]string{"TFLOP/GPU"}, `did you mean "TFLOPS/GPU"?`},
		{[]string{"TFLOPSS/GPU"}, `did you mean "TFLOPS/GPU"?`},
	} {
		err := MetricTypos(base, nil, tt.names, "speed_metrics")
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("MetricTypos(%q) = %v, want %q", tt.names, err, tt.want)
		}
	}
}

// TestCompared: a check whose every config failed again as in the baseline, or is missing or
// new, compared nothing, and its pass is refused; a config compared on numbers (even a
// still-failing one whose new runs partly ran), a changed outcome (newly-failing, fixed) or a
// failing verdict (missing under --require-all) is a verdict.
func TestCompared(t *testing.T) {
	base := concat(steadyBase("tp=1", 100), []bench.Run{failed("tp=1", "b9", bench.OOM, "")},
		steadyBase("tp=2", 100), []bench.Run{failed("tp=3", "b1", bench.OOM, "")})
	oom := func(cfg string) bench.Run { return failed(cfg, "p9", bench.OOM, "") }
	for _, tt := range []struct {
		name       string
		base, cur  []bench.Run // base: the one above when nil
		requireAll bool
		want       string // "" for no error
	}{
		{"still failing and missing", nil, []bench.Run{oom("tp=1"), oom("tp=3")}, false,
			"nothing was compared: 2 config(s) still fail as in the baseline, with no run that ran on both sides; 1 config(s) of the baseline are missing from the results"},
		{"still failing, new", nil, []bench.Run{oom("tp=1"), oom("tp=3"), run("tp=4", "p1", 100)}, false, "1 config(s) are new to it"},
		{"still failing, some missing, --require-all", nil, []bench.Run{oom("tp=3")}, true, ""}, // tp=1, tp=2 missing: fails
		{"still failing, none missing, --require-all", concat(steadyBase("tp=1", 100), []bench.Run{failed("tp=1", "b9", bench.OOM, ""), failed("tp=3", "b1", bench.OOM, "")}),
			[]bench.Run{oom("tp=1"), oom("tp=3")}, true, "nothing was compared: 2 config(s) still fail"},
		{"one unchanged", nil, []bench.Run{oom("tp=1"), oom("tp=3"), run("tp=2", "p1", 100)}, false, ""},
		{"still failing, compared on the runs that ran", nil, concat([]bench.Run{oom("tp=1")}, runs("tp=1", "p", 100, 100)), false, ""},
		{"fixed", nil, []bench.Run{run("tp=3", "p1", 100)}, false, ""},
	} {
		b := tt.base
		if b == nil {
			b = base
		}
		rep := Compare(b, tt.cur, opts(func(o *Options) { o.RequireAll = tt.requireAll }))
		err := Compared(rep)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v (verdict %s)", tt.name, err, rep.Verdict)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v\nwant %q", tt.name, err, tt.want)
		}
		// Failures to fix are named only when some config still fails (review).
		if fails := strings.Contains(err.Error(), "still fail"); strings.Contains(err.Error(), "fix the failures") != fails {
			t.Errorf("%s: the advice to fix failures is given %v, want %v: %v", tt.name, !fails, fails, err)
		}
	}
	// Results of new configs only, none failing: nothing to fix.
	err := Compared(Compare(base, []bench.Run{run("tp=4", "p1", 100)}, opts(nil)))
	if err == nil || !strings.Contains(err.Error(), "1 config(s) are new to it") || strings.Contains(err.Error(), "fix the failures") {
		t.Errorf("new configs only: %v; want nothing compared, with no failures to fix", err)
	}
}
