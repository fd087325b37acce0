package check

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

// now is the fixed clock of every test, so ignore rules expire deterministically.
var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// mustKey parses a config key such as "tp=8/pp=4".
func mustKey(key string) bench.Config {
	c, err := bench.ParseKey(key)
	if err != nil {
		panic(err)
	}
	return c
}

// run returns one OK run of cfg in batch whose TFLOPS/GPU samples (iterations) are tflops.
func run(cfg, batch string, tflops ...float64) bench.Run {
	return bench.Run{
		Config: mustKey(cfg), Outcome: bench.OK, Batch: batch, Source: batch + ".txt:1",
		Metrics: []bench.Metric{{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: tflops}},
	}
}

// timed returns one OK run of cfg in batch with a single s/iter sample.
func timed(cfg, batch string, secs float64) bench.Run {
	return bench.Run{
		Config: mustKey(cfg), Outcome: bench.OK, Batch: batch,
		Metrics: []bench.Metric{{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{secs}}},
	}
}

// runs returns one single-sample run of cfg per centre, in batches prefix1, prefix2, ….
func runs(cfg, prefix string, centres ...float64) []bench.Run {
	var out []bench.Run
	for i, c := range centres {
		out = append(out, run(cfg, fmt.Sprintf("%s%d", prefix, i+1), c))
	}
	return out
}

// failed returns a failed run of cfg.
func failed(cfg, batch string, o bench.Outcome, reason string) bench.Run {
	return bench.Run{Config: mustKey(cfg), Outcome: o, Reason: reason, Batch: batch}
}

// noisy returns n centres around level with relative run-to-run noise sigma, from a fixed
// pattern whose mean is zero, so tests do not depend on a random seed.
func noisy(level, sigma float64, n int) []float64 {
	pattern := []float64{0.6, -0.4, 1.1, -1.0, 0.2, -0.5, 0.9, -0.9}
	out := make([]float64, n)
	for i := range out {
		out[i] = level * math.Exp(sigma*pattern[i%len(pattern)])
	}
	return out
}

func concat(rss ...[]bench.Run) []bench.Run {
	var out []bench.Run
	for _, rs := range rss {
		out = append(out, rs...)
	}
	return out
}

// opts returns the options of the tests of Compare's plumbing: the moderated t test at alpha
// 0.05 without the confirmation protocol, whose numbers these tests were written against.
// The default test and the protocol have tests of their own (mixture_test.go).
func opts(mod func(*Options)) Options {
	o := DefaultOptions
	o.Now = now
	o.Test, o.Alpha, o.ConfirmRuns = "moderated-t", 0.05, 0
	if mod != nil {
		mod(&o)
	}
	return o
}

// result returns the result for a config key and metric, failing the test if there is none.
func result(t *testing.T, rep *Report, key, metric string) *Result {
	t.Helper()
	want := mustKey(key).Key()
	for i := range rep.Results {
		if r := &rep.Results[i]; r.Key == want && r.Metric == metric {
			return r
		}
	}
	t.Fatalf("no result for %s %s; have %s", key, metric, summary(rep))
	return nil
}

func summary(rep *Report) string {
	var parts []string
	for _, r := range rep.Results {
		parts = append(parts, fmt.Sprintf("%s/%s=%s", r.Key, r.Metric, r.Status))
	}
	return strings.Join(parts, ", ")
}

func f64(v float64) *float64 { return &v }

const tf = bench.MetricTFLOPS

func TestCompareStatuses(t *testing.T) {
	base := concat(
		runs("tp=1", "b", 100), // regression
		runs("tp=2", "b", 100), // improvement
		runs("tp=3", "b", 100), // unchanged
		runs("tp=5", "b", 100), // missing
		runs("tp=6", "b", 100), // newly failing (OOM)
		runs("tp=7", "b", 100), // newly failing (error)
		[]bench.Run{
			failed("tp=8", "b1", bench.OOM, "t.txt:3: OOM in the time column"),    // fixed
			failed("tp=9", "b1", bench.OOM, "t.txt:4: OOM in the time column"),    // still failing
			failed("tp=10", "b1", bench.Error, "t.txt:5: Err in the time column"), // still failing
		},
	)
	cur := concat(
		runs("tp=1", "p", 90),
		runs("tp=2", "p", 110),
		runs("tp=3", "p", 101),
		runs("tp=4", "p", 100), // new
		[]bench.Run{
			failed("tp=6", "p1", bench.OOM, "pr.txt:6: OOM in the time column"),
			failed("tp=7", "p1", bench.Error, ""),
			run("tp=8", "p1", 100),
			failed("tp=9", "p1", bench.OOM, "pr.txt:9: OOM"),
			failed("tp=10", "p1", bench.OOM, "pr.txt:10: OOM"),
			failed("tp=11", "p1", bench.OOM, "pr.txt:11: OOM"), // new, and failed
		},
	)
	tests := []struct {
		key     string
		status  Status
		fails   bool
		outcome string
		caveat  Caveat // the only one
	}{
		{"tp=1", Regression, true, "ok", FixedTolerance{Runs: 1, Needed: 3, TolerancePct: 5}},
		{"tp=2", Improvement, false, "ok", FixedTolerance{Runs: 1, Needed: 3, TolerancePct: 5}},
		{"tp=3", Unchanged, false, "ok", FixedTolerance{Runs: 1, Needed: 3, TolerancePct: 5}},
		{"tp=4", New, false, "ok", NoBaseline{}},
		{"tp=5", Missing, false, "ok", NotInNew{}},
		{"tp=6", NewlyFailing, true, "oom", RunFailed{Outcome: bench.OOM, Reason: "pr.txt:6: OOM in the time column"}},
		{"tp=7", NewlyFailing, true, "error", RunFailed{Outcome: bench.Error}},
		{"tp=8", Fixed, false, "ok", BaselineFailed{Outcome: bench.OOM, Reason: "t.txt:3: OOM in the time column"}},
		{"tp=9", StillFailing, false, "oom", RunFailed{Outcome: bench.OOM, Reason: "pr.txt:9: OOM"}},
		{"tp=10", StillFailing, false, "oom", RunFailed{Outcome: bench.OOM, Reason: "pr.txt:10: OOM"}},
		{"tp=11", New, false, "oom", RunFailed{Outcome: bench.OOM, Reason: "pr.txt:11: OOM"}},
	}
	rep := Compare(base, cur, opts(nil))
	if len(rep.Results) != len(tests) {
		t.Errorf("got %d results, want %d: %s", len(rep.Results), len(tests), summary(rep))
	}
	for _, tt := range tests {
		r := result(t, rep, tt.key, tf)
		if r.Status != tt.status || r.Fails != tt.fails || r.Outcome != tt.outcome {
			t.Errorf("%s: status %s fails %v outcome %q, want %s %v %q", tt.key, r.Status, r.Fails, r.Outcome, tt.status, tt.fails, tt.outcome)
		}
		if !reflect.DeepEqual(r.Caveats, []Caveat{tt.caveat}) {
			t.Errorf("%s: caveats %#v, want %#v", tt.key, r.Caveats, tt.caveat)
		}
		if wantTest := map[bool]string{true: ToleranceTest}[r.DeltaPct != nil]; r.Test != wantTest || r.Reason != "" {
			t.Errorf("%s: test %q reason %q, want test %q and no words", tt.key, r.Test, r.Reason, wantTest)
		}
		if r.Fails != r.Status.Fails(false) {
			t.Errorf("%s: Fails %v disagrees with Status.Fails", tt.key, r.Fails)
		}
	}
	if rep.Verdict != Fail {
		t.Errorf("verdict %s, want fail", rep.Verdict)
	}
	if r := result(t, rep, "tp=1", tf); r.DeltaPct == nil || math.Abs(*r.DeltaPct-(-10)) > 1e-9 {
		t.Errorf("tp=1 delta %v, want -10%%", r.DeltaPct)
	}
	if r := result(t, rep, "tp=8", tf); r.Baseline == nil || r.Baseline.Failed != 1 || r.Baseline.Runs != 0 {
		t.Errorf("fixed config baseline = %+v, want 0 runs, 1 failed", r.Baseline)
	}
	if rep.Schema != Schema {
		t.Errorf("schema %d, want %d", rep.Schema, Schema)
	}
}

// TestVerdict checks that the verdict fails exactly when a regression or a newly failing
// config is present, and for a missing config only with RequireAll.
func TestVerdict(t *testing.T) {
	base := concat(runs("tp=1", "b", 100), runs("tp=2", "b", 100), []bench.Run{failed("tp=3", "b1", bench.OOM, "")})
	tests := []struct {
		name       string
		cur        []bench.Run
		requireAll bool
		want       Verdict
	}{
		{"all unchanged", concat(runs("tp=1", "p", 100), runs("tp=2", "p", 99), []bench.Run{failed("tp=3", "p1", bench.OOM, "")}), false, Pass},
		{"improvement only", concat(runs("tp=1", "p", 120), runs("tp=2", "p", 100), []bench.Run{run("tp=3", "p1", 50)}), false, Pass},
		{"regression", concat(runs("tp=1", "p", 80), runs("tp=2", "p", 100)), false, Fail},
		{"newly failing", concat(runs("tp=1", "p", 100), []bench.Run{failed("tp=2", "p1", bench.OOM, "")}), false, Fail},
		{"missing", runs("tp=1", "p", 100), false, Pass},
		{"missing, require all", runs("tp=1", "p", 100), true, Fail},
		{"missing failed config, require all", concat(runs("tp=1", "p", 100), runs("tp=2", "p", 100)), true, Fail},
		{"new only", runs("tp=9", "p", 100), false, Pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Compare(base, tt.cur, opts(func(o *Options) { o.RequireAll = tt.requireAll }))
			if rep.Verdict != tt.want {
				t.Errorf("verdict %s, want %s: %s", rep.Verdict, tt.want, summary(rep))
			}
			anyFails := false
			for _, r := range rep.Results {
				if r.Fails != r.Status.Fails(tt.requireAll) {
					t.Errorf("%s: status %s, Fails %v", r.Key, r.Status, r.Fails)
				}
				anyFails = anyFails || r.Fails
			}
			if anyFails != (rep.Verdict == Fail) {
				t.Errorf("verdict %s but some result fails = %v", rep.Verdict, anyFails)
			}
		})
	}
}

func TestStatusFails(t *testing.T) {
	for _, s := range Statuses {
		want := s == Regression || s == NewlyFailing
		if got := s.Fails(false); got != want {
			t.Errorf("%s.Fails(false) = %v, want %v", s, got, want)
		}
		if got := s.Fails(true); got != (want || s == Missing) {
			t.Errorf("%s.Fails(true) = %v", s, got)
		}
	}
}

func TestImprovementNote(t *testing.T) {
	count := func(rep *Report) int {
		n := 0
		for _, m := range rep.Remarks {
			if m == (RefreshBaseline{}) {
				n++
			}
		}
		return n
	}
	hasNote := func(rep *Report) bool { return count(rep) > 0 }
	base := concat(runs("tp=1", "b", 100), runs("tp=2", "b", 100))
	rep := Compare(base, concat(runs("tp=1", "p", 110), runs("tp=2", "p", 120)), opts(nil))
	if rep.Verdict != Pass || !hasNote(rep) {
		t.Errorf("improvements: verdict %s, remarks %v; want pass and a refresh remark", rep.Verdict, rep.Remarks)
	}
	if n := count(rep); n != 1 {
		t.Errorf("refresh note appears %d times, want once", n)
	}
	if rep := Compare(base, concat(runs("tp=1", "p", 100), runs("tp=2", "p", 100)), opts(nil)); hasNote(rep) {
		t.Errorf("no improvement, yet remarks %v", rep.Remarks)
	}
}

// TestSeveralRunsAreSamples checks that several new runs of one config are several samples
// of it (summarised by their geometric mean), and that the iterations of one run are
// summarised by their median.
func TestSeveralRunsAreSamples(t *testing.T) {
	base := runs("tp=1", "b", 100)
	cur := []bench.Run{run("tp=1", "p1", 95), run("tp=1", "p2", 97)}
	rep := Compare(base, cur, opts(nil))
	r := result(t, rep, "tp=1", tf)
	if r.New == nil || r.New.Runs != 2 {
		t.Fatalf("new = %+v, want 2 runs", r.New)
	}
	if want := math.Sqrt(95 * 97); math.Abs(r.New.Center-want) > 1e-9 {
		t.Errorf("new centre %v, want the geometric mean %v", r.New.Center, want)
	}
	// One run with a minority of slow iterations is summarised by its median.
	rep = Compare(base, []bench.Run{run("tp=1", "p1", 100, 101, 99, 100, 20, 30)}, opts(nil))
	if r := result(t, rep, "tp=1", tf); r.New.Runs != 1 || math.Abs(r.New.Center-99.5) > 1e-9 || r.Status != Unchanged {
		t.Errorf("slow iterations: new %+v status %s, want one run centred at 99.5, unchanged", r.New, r.Status)
	}
}

func TestToleranceMode(t *testing.T) {
	tests := []struct {
		name   string
		base   []bench.Run
		cur    bench.Run
		status Status
	}{
		{"1 run, 6% drop", runs("tp=8", "b", 100), run("tp=8", "p", 94), Regression},
		{"1 run, 4% drop", runs("tp=8", "b", 100), run("tp=8", "p", 96), Unchanged},
		{"2 runs, 6% drop", runs("tp=8", "b", 99.9, 100.1), run("tp=8", "p", 94), Regression}, // not identical: identical runs are one (TestIdenticalRunsAreOne)
		{"2 runs, 4% drop", runs("tp=8", "b", 99, 101), run("tp=8", "p", 96), Unchanged},
		{"1 run, 6% gain", runs("tp=8", "b", 100), run("tp=8", "p", 106), Improvement},
		{"1 run, 4% gain", runs("tp=8", "b", 100), run("tp=8", "p", 104), Unchanged},
		{"time: 6% slower", []bench.Run{timed("tp=8", "b", 10)}, timed("tp=8", "p", 10.6), Regression},
		{"time: 6% faster", []bench.Run{timed("tp=8", "b", 10)}, timed("tp=8", "p", 9.4), Improvement},
		{"time: 4% slower", []bench.Run{timed("tp=8", "b", 10)}, timed("tp=8", "p", 10.4), Unchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Compare(tt.base, []bench.Run{tt.cur}, opts(nil))
			if len(rep.Results) != 1 {
				t.Fatalf("got %d results", len(rep.Results))
			}
			r := rep.Results[0]
			if r.Status != tt.status {
				t.Errorf("status %s, want %s (%v)", r.Status, tt.status, r.Caveats)
			}
			if r.Fails != (tt.status == Regression) {
				t.Errorf("fails = %v", r.Fails)
			}
			if r.PValue != nil {
				t.Errorf("p_value = %v, want nil: no test with %d baseline runs", *r.PValue, r.Baseline.Runs)
			}
			if want := (FixedTolerance{Runs: len(tt.base), Needed: 3, TolerancePct: 5}); !reflect.DeepEqual(r.Caveats, []Caveat{want}) || r.Test != ToleranceTest {
				t.Errorf("test %q caveats %v, want the tolerance and the run count %v", r.Test, r.Caveats, want)
			}
			if r.ThresholdPct != 5 {
				t.Errorf("threshold %v, want 5", r.ThresholdPct)
			}
			// The band is symmetric on the log scale, 5% in the worse direction: TFLOPS/GPU
			// 95 to 100/0.95, s/iter 10/1.05 to 10.5.
			lo, hi := 0.95, 1/0.95
			if r.Better == "lower" {
				lo, hi = 1/1.05, 1.05
			}
			if c := r.Baseline.Center; math.Abs(r.Baseline.Lo-c*lo) > 1e-9 || math.Abs(r.Baseline.Hi-c*hi) > 1e-9 {
				t.Errorf("band [%v, %v] around %v, want [%v, %v]", r.Baseline.Lo, r.Baseline.Hi, c, c*lo, c*hi)
			}
			if want := []Remark{ToleranceUsed{Count: 1, TolerancePct: 5, MinHistoryRuns: 3}}; !slices.ContainsFunc(rep.Remarks, func(m Remark) bool { return m == want[0] }) {
				t.Errorf("remarks %v lack %v", rep.Remarks, want)
			}
		})
	}
	// A wider tolerance from the options lets the 6% drop pass.
	rep := Compare(runs("tp=8", "b", 100), runs("tp=8", "p", 94), opts(func(o *Options) { o.TolerancePct = 7 }))
	if r := rep.Results[0]; r.Status != Unchanged || r.Caveats[0] != (FixedTolerance{Runs: 1, Needed: 3, TolerancePct: 7}) {
		t.Errorf("tolerance 7%%: %s (%v), want unchanged", r.Status, r.Caveats)
	}
}

// steadyBase is five runs of cfg with 0.3% run-to-run noise around level.
func steadyBase(cfg string, level float64) []bench.Run {
	return runs(cfg, "b", noisy(level, 0.003, 5)...)
}

func TestStatisticalMode(t *testing.T) {
	tests := []struct {
		name      string
		cur       []float64
		minEffect float64
		status    Status
		caveat    Caveat
	}{
		{"10% drop", []float64{90, 90.2}, 3, Regression, Material{MinEffectPct: 3}},
		{"4% drop", []float64{96, 96.1}, 3, Regression, Material{MinEffectPct: 3}},
		{"2% drop is significant but below the minimum effect", []float64{98, 98.1}, 3, Unchanged, BelowMinEffect{MinEffectPct: 3}},
		{"4% drop below a 5% minimum effect", []float64{96, 96.1}, 5, Unchanged, BelowMinEffect{MinEffectPct: 5}},
		{"within noise", []float64{100.1, 99.9}, 3, Unchanged, WithinNoise{}},
		{"10% gain", []float64{110, 110.2}, 3, Improvement, Material{MinEffectPct: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Compare(steadyBase("tp=8", 100), runs("tp=8", "p", tt.cur...), opts(func(o *Options) { o.MinEffectPct = tt.minEffect }))
			r := result(t, rep, "tp=8", tf)
			if r.PValue == nil {
				t.Fatalf("p_value nil with %d baseline runs: %v", r.Baseline.Runs, r.Caveats)
			}
			if r.Status != tt.status || !reflect.DeepEqual(r.Caveats, []Caveat{tt.caveat}) || r.Test != "moderated-t" {
				t.Errorf("status %s (%v, test %q), want %s (%v, %s)", r.Status, r.Caveats, r.Test, tt.status, tt.caveat, "moderated-t")
			}
			// The effect interval holds the change, and its far edge is the threshold's side.
			if e := r.Effect; e == nil || !(e.Lo <= *r.DeltaPct && *r.DeltaPct <= e.Hi) {
				t.Errorf("effect interval %v does not hold the change %v", r.Effect, *r.DeltaPct)
			}
			if r.Fails != (tt.status == Regression) {
				t.Errorf("fails = %v", r.Fails)
			}
			if tt.status == Unchanged && tt.caveat != (WithinNoise{}) && *r.PValue >= 0.05 {
				t.Errorf("p = %v: the case is meant to be significant", *r.PValue)
			}
			if r.ThresholdPct < tt.minEffect {
				t.Errorf("threshold %v below the minimum effect %v", r.ThresholdPct, tt.minEffect)
			}
			if r.Baseline.NoisePct <= 0 {
				t.Errorf("noise_pct %v, want > 0", r.Baseline.NoisePct)
			}
			for _, c := range r.Caveats {
				if _, ok := c.(FixedTolerance); ok {
					t.Errorf("statistical result carries the tolerance caveat: %v", r.Caveats)
				}
			}
			if rep.Method.Comparisons != 1 {
				t.Errorf("method comparisons = %d, want 1", rep.Method.Comparisons)
			}
		})
	}
}

// TestMinHistoryRuns checks the switch between tolerance and test at MinHistoryRuns.
func TestMinHistoryRuns(t *testing.T) {
	base := concat(steadyBase("tp=8", 100), runs("tp=4", "b", 100, 100.2))
	cur := concat(runs("tp=8", "p", 98), runs("tp=4", "p", 98))
	rep := Compare(base, cur, opts(nil))
	if r := result(t, rep, "tp=8", tf); r.PValue == nil {
		t.Errorf("5 runs: no test")
	}
	if r := result(t, rep, "tp=4", tf); r.PValue != nil || r.Caveats[0] != (FixedTolerance{Runs: 2, Needed: 3, TolerancePct: 5}) {
		t.Errorf("2 runs: p %v, caveats %v; want the tolerance", r.PValue, r.Caveats)
	}
	rep = Compare(base, cur, opts(func(o *Options) { o.MinHistoryRuns = 6 }))
	if r := result(t, rep, "tp=8", tf); r.PValue != nil {
		t.Errorf("5 runs with MinHistoryRuns 6: got a test")
	}
}

func TestIgnoreRules(t *testing.T) {
	match := func(q string) func(bench.Config) bool {
		m, err := NewMatcher(q)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	base := concat(runs("tp=8/pp=4", "b", 100), runs("tp=4/pp=4", "b", 100))
	cur := concat(runs("tp=8/pp=4", "p", 80), runs("tp=4/pp=4", "p", 80))
	tests := []struct {
		name    string
		rule    Rule
		ignored bool
	}{
		{"forever", Rule{Match: match("/tp:8"), Ignore: true, Reason: "flaky, #12", Source: "perfgate.json:3"}, true},
		{"until later", Rule{Match: match("/tp:8"), Ignore: true, Until: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Reason: "r"}, true},
		{"until today is inclusive", Rule{Match: match("/tp:8"), Ignore: true, Until: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), Reason: "r"}, true},
		{"expired yesterday", Rule{Match: match("/tp:8"), Ignore: true, Until: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), Reason: "r"}, false},
		{"other metric", Rule{Match: match("/tp:8"), Metric: bench.MetricMaxAlloc, Ignore: true, Reason: "r"}, false},
		// The speed metrics are one measurement: a rule for s/iter covers the TFLOPS/GPU
		// decision (it used to do nothing while TFLOPS/GPU decided).
		{"another speed metric", Rule{Match: match("/tp:8"), Metric: bench.MetricTime, Ignore: true, Reason: "r"}, true},
		{"not an ignore rule", Rule{Match: match("/tp:8"), MinEffectPct: f64(1)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Compare(base, cur, opts(func(o *Options) { o.Rules = []Rule{tt.rule} }))
			r := result(t, rep, "tp=8/pp=4", tf)
			other := result(t, rep, "tp=4/pp=4", tf)
			if r.Status != Regression || other.Status != Regression {
				t.Fatalf("statuses %s, %s; an ignore rule must not change the status", r.Status, other.Status)
			}
			if r.Ignored != tt.ignored || r.Fails == tt.ignored {
				t.Errorf("ignored %v fails %v, want ignored %v", r.Ignored, r.Fails, tt.ignored)
			}
			want := Ignored{Until: tt.rule.Until, Reason: tt.rule.Reason, Source: tt.rule.Source}
			if got := len(r.Caveats) > 0 && r.Caveats[0] == want; got != tt.ignored {
				t.Errorf("caveats %v: leading %v = %v, want %v", r.Caveats, want, got, tt.ignored)
			}
			if other.Ignored || !other.Fails {
				t.Errorf("the rule leaked onto tp=4: ignored %v fails %v", other.Ignored, other.Fails)
			}
			if rep.Verdict != Fail {
				t.Errorf("verdict %s: tp=4 still regresses", rep.Verdict)
			}
		})
	}
	// With both configs ignored, the verdict passes, and an ignored improvement adds no note.
	rule := Rule{Match: match("*"), Ignore: true, Reason: "r"}
	rep := Compare(base, cur, opts(func(o *Options) { o.Rules = []Rule{rule} }))
	if rep.Verdict != Pass {
		t.Errorf("all ignored: verdict %s", rep.Verdict)
	}
	rep = Compare(base, concat(runs("tp=8/pp=4", "p", 120), runs("tp=4/pp=4", "p", 120)), opts(func(o *Options) { o.Rules = []Rule{rule} }))
	if slices.Contains(rep.Remarks, Remark(RefreshBaseline{})) {
		t.Errorf("ignored improvements added the refresh remark")
	}
	// Ignored newly-failing configs do not fail either.
	rep = Compare(base, []bench.Run{failed("tp=8/pp=4", "p1", bench.OOM, ""), run("tp=4/pp=4", "p1", 100)}, opts(func(o *Options) { o.Rules = []Rule{{Match: match("/tp:8"), Ignore: true, Reason: "r"}} }))
	if r := result(t, rep, "tp=8/pp=4", tf); r.Status != NewlyFailing || r.Fails || rep.Verdict != Pass {
		t.Errorf("ignored newly-failing: status %s fails %v verdict %s", r.Status, r.Fails, rep.Verdict)
	}
}

func TestRuleOverrides(t *testing.T) {
	match := func(q string) func(bench.Config) bool {
		m, err := NewMatcher(q)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("expired", func(t *testing.T) {
		// A threshold rule past its until no longer applies: a temporary loosening used to
		// stay for good, since only ignore rules expired.
		base := concat(runs("tp=8", "b", 100), runs("tp=4", "b", 100))
		cur := concat(runs("tp=8", "p", 90), runs("tp=4", "p", 90))
		loose := Rule{Match: match("*"), TolerancePct: f64(50), Until: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
		rep := Compare(base, cur, opts(func(o *Options) { o.Rules = []Rule{loose} }))
		if r := result(t, rep, "tp=4", tf); r.Status != Regression || r.ThresholdPct != 5 {
			t.Errorf("expired 50%% tolerance: %s, threshold %v; want a regression at 5%%", r.Status, r.ThresholdPct)
		}
		loose.Until = loose.Until.AddDate(0, 0, 1) // today: still applies
		rep = Compare(base, cur, opts(func(o *Options) { o.Rules = []Rule{loose} }))
		if r := result(t, rep, "tp=4", tf); r.Status != Unchanged || r.ThresholdPct != 50 {
			t.Errorf("50%% tolerance until today: %s, threshold %v; want unchanged at 50%%", r.Status, r.ThresholdPct)
		}
	})
	t.Run("tolerance", func(t *testing.T) {
		base := concat(runs("tp=8", "b", 100), runs("tp=4", "b", 100))
		cur := concat(runs("tp=8", "p", 94), runs("tp=4", "p", 94))
		rep := Compare(base, cur, opts(func(o *Options) { o.Rules = []Rule{{Match: match("/tp:4"), TolerancePct: f64(10)}} }))
		if r := result(t, rep, "tp=4", tf); r.Status != Unchanged || r.ThresholdPct != 10 || r.Caveats[0] != (FixedTolerance{Runs: 1, Needed: 3, TolerancePct: 10}) {
			t.Errorf("tp=4 with a 10%% tolerance: %s, threshold %v (%v)", r.Status, r.ThresholdPct, r.Caveats)
		}
		if r := result(t, rep, "tp=8", tf); r.Status != Regression || r.ThresholdPct != 5 {
			t.Errorf("tp=8 with the default tolerance: %s, threshold %v", r.Status, r.ThresholdPct)
		}
	})
	t.Run("min effect", func(t *testing.T) {
		base := concat(steadyBase("tp=8", 100), steadyBase("tp=4", 100))
		cur := concat(runs("tp=8", "p", 92, 92.1), runs("tp=4", "p", 92, 92.1))
		rep := Compare(base, cur, opts(func(o *Options) { o.Rules = []Rule{{Match: match("/tp:4"), MinEffectPct: f64(10)}} }))
		if r := result(t, rep, "tp=4", tf); r.Status != Unchanged || r.ThresholdPct < 10 || r.Caveats[0] != (BelowMinEffect{MinEffectPct: 10}) {
			t.Errorf("tp=4 with a 10%% minimum effect: %s, threshold %v (%v)", r.Status, r.ThresholdPct, r.Caveats)
		}
		if r := result(t, rep, "tp=8", tf); r.Status != Regression {
			t.Errorf("tp=8 with the default minimum effect: %s (%s)", r.Status, r.Caveats)
		}
	})
	t.Run("later rules win", func(t *testing.T) {
		base := runs("tp=4", "b", 100)
		cur := runs("tp=4", "p", 94)
		rules := []Rule{{Match: match("/tp:4"), TolerancePct: f64(10)}, {Match: match("*"), TolerancePct: f64(2)}}
		rep := Compare(base, cur, opts(func(o *Options) { o.Rules = rules }))
		// The later rule's 2% tolerance wins over the first's 10%, but the 3% minimum effect,
		// the smallest change that can fail, is larger.
		if r := rep.Results[0]; r.Status != Regression || r.ThresholdPct != 3 || r.Caveats[0] != (FixedTolerance{Runs: 1, Needed: 3, TolerancePct: 3, RaisedFrom: 2}) {
			t.Errorf("later rule: %s threshold %v (%v), want regression at 3%%, the minimum effect", r.Status, r.ThresholdPct, r.Caveats)
		}
	})
	t.Run("metric-limited", func(t *testing.T) {
		base := []bench.Run{run("tp=4", "b1", 100), timed("tp=4", "b1", 10)}
		base[0].Metrics = append(base[0].Metrics, base[1].Metrics...)
		base = base[:1]
		cur := []bench.Run{run("tp=4", "p1", 94)}
		cur[0].Metrics = append(cur[0].Metrics, bench.Metric{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{10.6}})
		rep := Compare(base, cur, opts(func(o *Options) {
			o.SpeedMetrics = nil // each metric decides on its own
			o.Rules = []Rule{{Match: match("*"), Metric: bench.MetricTime, TolerancePct: f64(10)}}
		}))
		if r := result(t, rep, "tp=4", tf); r.Status != Regression {
			t.Errorf("TFLOPS: %s, want the default tolerance to catch 6%%", r.Status)
		}
		if r := result(t, rep, "tp=4", bench.MetricTime); r.Status != Unchanged {
			t.Errorf("s/iter: %s, want the rule's 10%% tolerance", r.Status)
		}
	})
}

func TestMetricsFilter(t *testing.T) {
	both := func(cfg, batch string, tflops, secs float64) bench.Run {
		r := run(cfg, batch, tflops)
		r.Metrics = append(r.Metrics, bench.Metric{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{secs}})
		return r
	}
	base := []bench.Run{both("tp=8", "b", 100, 10)}
	cur := []bench.Run{both("tp=8", "p", 100, 12)} // time regresses, TFLOPS does not
	independent := func(o *Options) { o.SpeedMetrics = nil }
	rep := Compare(base, cur, opts(independent))
	if len(rep.Results) != 2 || rep.Verdict != Fail {
		t.Fatalf("no filter: %s, verdict %s", summary(rep), rep.Verdict)
	}
	rep = Compare(base, cur, opts(func(o *Options) { independent(o); o.Metrics = []string{bench.MetricTFLOPS} }))
	if len(rep.Results) != 1 || rep.Results[0].Metric != bench.MetricTFLOPS || rep.Verdict != Pass {
		t.Errorf("TFLOPS only: %s, verdict %s", summary(rep), rep.Verdict)
	}
	rep = Compare(base, cur, opts(func(o *Options) { o.Metrics = []string{"no-such-metric"} }))
	if len(rep.Results) != 0 {
		t.Errorf("unknown metric: %s", summary(rep))
	}
}

// TestNoisierConfigWidens builds a suite where one config's history is five times noisier
// than the others' and checks that it, and only it, gets a wider bound.
func TestNoisierConfigWidens(t *testing.T) {
	var base, cur []bench.Run
	cfgs := []string{"tp=1", "tp=2", "tp=3", "tp=4", "tp=5", "tp=6"}
	for _, c := range cfgs {
		sigma := 0.006
		if c == "tp=6" {
			sigma = 0.03
		}
		base = append(base, runs(c, "b", noisy(100, sigma, 6)...)...)
		cur = append(cur, runs(c, "p", 100)...)
	}
	rep := Compare(base, cur, opts(func(o *Options) { o.MinEffectPct = 0 }))
	noisyR := result(t, rep, "tp=6", tf)
	for _, c := range cfgs[:5] {
		r := result(t, rep, c, tf)
		if r.PValue == nil || noisyR.PValue == nil {
			t.Fatalf("no test: %s", summary(rep))
		}
		if noisyR.ThresholdPct < 2*r.ThresholdPct {
			t.Errorf("noisy config threshold %.2f%% not well above steady %s's %.2f%%", noisyR.ThresholdPct, c, r.ThresholdPct)
		}
		if noisyR.Baseline.NoisePct < 2*r.Baseline.NoisePct {
			t.Errorf("noisy config noise %.2f%% not well above steady %s's %.2f%%", noisyR.Baseline.NoisePct, c, r.Baseline.NoisePct)
		}
		if r.Status != Unchanged {
			t.Errorf("%s: %s", c, r.Status)
		}
	}
	// A 4% drop fails a steady config but not the noisy one.
	cur = nil
	for _, c := range cfgs {
		cur = append(cur, runs(c, "p", 96)...)
	}
	rep = Compare(base, cur, opts(nil))
	if r := result(t, rep, "tp=1", tf); r.Status != Regression {
		t.Errorf("steady config, 4%% drop: %s (%s)", r.Status, r.Caveats)
	}
	if r := result(t, rep, "tp=6", tf); r.Status != Unchanged {
		t.Errorf("noisy config, 4%% drop: %s (%s); its own noise should cover it", r.Status, r.Caveats)
	}
}

// TestDeterministicOrder checks that results come out sorted by config key, then metric in
// order of first appearance, whatever the input order.
func TestDeterministicOrder(t *testing.T) {
	var base, cur []bench.Run
	for _, c := range []string{"tp=8/pp=4", "tp=8/pp=8", "tp=4/pp=8", "tp=2/pp=2", "tp=1/pp=16"} {
		b := run(c, "b", 100)
		b.Metrics = append(b.Metrics, bench.Metric{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{10}})
		base = append(base, b)
		p := run(c, "p", 99)
		p.Metrics = append(p.Metrics, bench.Metric{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{10.1}})
		cur = append(cur, p)
	}
	cur = append(cur, run("tp=3/pp=1", "p", 100))
	want := Compare(base, cur, opts(nil))
	var keys []string
	for i, r := range want.Results {
		keys = append(keys, r.Key)
		if i > 0 && r.Key == want.Results[i-1].Key && r.Metric != bench.MetricTime {
			t.Errorf("metrics of %s out of order", r.Key)
		}
	}
	if !sort.StringsAreSorted(keys) {
		t.Errorf("results not sorted by key: %q", keys)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10; i++ {
		b := append([]bench.Run(nil), base...)
		c := append([]bench.Run(nil), cur...)
		rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
		rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		got := Compare(b, c, opts(nil))
		if summary(got) != summary(want) {
			t.Fatalf("shuffled input changed the results:\n got %s\nwant %s", summary(got), summary(want))
		}
	}
}

func TestEmptyInputs(t *testing.T) {
	rep := Compare(nil, nil, opts(nil))
	if rep.Verdict != Pass || rep.Results == nil || len(rep.Results) != 0 {
		t.Errorf("empty compare: verdict %s, results %v (want pass and a non-nil empty slice for JSON)", rep.Verdict, rep.Results)
	}
}

func TestMethod(t *testing.T) {
	base := concat(steadyBase("tp=8", 100), steadyBase("tp=4", 100))
	cur := concat(runs("tp=8", "p", 100), runs("tp=4", "p", 100))
	for _, corr := range Corrections {
		rep := Compare(base, cur, opts(func(o *Options) { o.Correction = corr }))
		m := rep.Method
		if m.Correction != corr || m.Comparisons != 2 || m.Alpha != 0.05 || m.MinEffectPct != 3 || m.TolerancePct != 5 || m.MinHistoryRuns != 3 {
			t.Errorf("%s: method %+v", corr, m)
		}
		if m.Test != "moderated-t" || m.Summary != "" {
			t.Errorf("%s: method test %q, summary %q; want %q and no words (package report writes them)", corr, m.Test, m.Summary, "moderated-t")
		}
	}
}

// TestIgnoredStatistical checks that a result an ignore rule covers is still judged in
// statistical mode (status, p-value and the rule's reason), fails nothing, and stays out of
// the family the other configs are corrected over.
func TestIgnoredStatistical(t *testing.T) {
	m, err := NewMatcher("/tp:8")
	if err != nil {
		t.Fatal(err)
	}
	base := concat(steadyBase("tp=8/pp=4", 100), steadyBase("tp=4/pp=4", 100), steadyBase("tp=2/pp=4", 100))
	cur := concat(runs("tp=8/pp=4", "p", 80), runs("tp=4/pp=4", "p", 100), runs("tp=2/pp=4", "p", 100))
	rep := Compare(base, cur, opts(func(o *Options) {
		o.Rules = []Rule{{Match: m, Ignore: true, Reason: "known, #7"}}
	}))
	r := result(t, rep, "tp=8/pp=4", tf)
	if r.Status != Regression || r.PValue == nil || r.Fails || !r.Ignored {
		t.Fatalf("ignored statistical result: status %q p %v fails %v ignored %v", r.Status, r.PValue, r.Fails, r.Ignored)
	}
	if want := []Caveat{Ignored{Reason: "known, #7"}, Material{MinEffectPct: 3}}; !reflect.DeepEqual(r.Caveats, want) {
		t.Errorf("caveats %v, want %v", r.Caveats, want)
	}
	if rep.Verdict != Pass {
		t.Errorf("verdict %s, want pass", rep.Verdict)
	}
	if rep.Method.Comparisons != 2 {
		t.Errorf("family of %d comparisons, want 2 (the ignored config is outside it)", rep.Method.Comparisons)
	}
}

// MinEffectFor is the rules' minimum effect as Compare applies it, for perfgate history: an
// expired rule does not apply, and a rule for one speed metric covers the others.
func TestMinEffectFor(t *testing.T) {
	all, err := NewMatcher("*")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	o := DefaultOptions
	o.Now = now
	cfg := bench.Config{"tp": "8"}
	o.Rules = []Rule{{Match: all, Metric: bench.MetricTime, MinEffectPct: f64(7)}}
	if got := MinEffectFor(cfg, bench.MetricTFLOPS, o); got != 7 {
		t.Errorf("an s/iter rule for TFLOPS/GPU: %v, want 7", got)
	}
	o.Rules[0].Until = now.AddDate(0, 0, -1)
	if got := MinEffectFor(cfg, bench.MetricTFLOPS, o); got != o.MinEffectPct {
		t.Errorf("an expired rule: %v, want the default %v", got, o.MinEffectPct)
	}
}

// TestOnlyFailedRuns: when every run on both sides failed there is no metric to compare, but
// the outcomes are still gated, one result per config under the deciding speed metric (or the
// first --metric): a report of no results would pass a suite it never looked at.
func TestOnlyFailedRuns(t *testing.T) {
	base := []bench.Run{
		failed("tp=8", "b1", bench.OOM, "t.txt:3: OOM"),
		failed("tp=4", "b1", bench.Error, "t.txt:4: NCCL timeout"),
	}
	cur := []bench.Run{
		failed("tp=8", "p1", bench.OOM, "pr.txt:3: OOM"),
		failed("tp=4", "p1", bench.OOM, "pr.txt:4: OOM"),
		failed("tp=2", "p1", bench.OOM, "pr.txt:5: OOM"),
	}
	for _, tt := range []struct {
		metrics []string
		want    string
	}{{nil, bench.MetricTFLOPS}, {[]string{bench.MetricTime}, bench.MetricTime}} {
		opts := DefaultOptions
		opts.Metrics = tt.metrics
		rep := Compare(base, cur, opts)
		got := map[string]Status{}
		for _, r := range rep.Results {
			if r.Metric != tt.want {
				t.Errorf("--metric %v: %s reported under %q, want %q", tt.metrics, r.Key, r.Metric, tt.want)
			}
			got[r.Key] = r.Status
		}
		want := map[string]Status{"tp=8": StillFailing, "tp=4": StillFailing, "tp=2": New}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("--metric %v: statuses (-want +got):\n%s", tt.metrics, diff)
		}
		if rep.Verdict != Pass {
			t.Errorf("--metric %v: verdict %s, want pass (nothing that ran before fails now)", tt.metrics, rep.Verdict)
		}
	}
	// And a config that ran nowhere but failed in the baseline, absent now, is missing.
	rep := Compare(base, cur[:1], DefaultOptions)
	if len(rep.Results) != 2 || rep.Results[0].Status == rep.Results[1].Status {
		t.Errorf("tp=4 absent from the results: %+v, want still-failing and missing", rep.Results)
	}
}

// TestMixedNewOutcomes: a config whose new runs include a failure among OK runs failed now,
// whatever the baseline did: the failure is not lost behind the runs that completed. A
// config that ran before is newly failing; one that failed in the baseline still fails (not
// fixed); one new to the suite is new, with the failure as its reason.
func TestMixedNewOutcomes(t *testing.T) {
	base := concat(
		runs("tp=1", "b", 100, 100, 100),
		[]bench.Run{failed("tp=2", "b1", bench.OOM, "t.txt:3: OOM"), failed("tp=2", "b2", bench.OOM, "t.txt:3: OOM")},
	)
	for _, order := range []string{"failure first", "failure last"} {
		t.Run(order, func(t *testing.T) {
			var cur []bench.Run
			for _, k := range []string{"tp=1", "tp=2", "tp=3"} {
				oom := failed(k, "p1", bench.OOM, "pr.txt:4: OOM")
				ok := runs(k, "p", 100, 100)
				if order == "failure first" {
					cur = append(append(cur, oom), ok...)
				} else {
					cur = append(append(cur, ok...), oom)
				}
			}
			rep := Compare(base, cur, opts(nil))
			for _, tt := range []struct {
				key    string
				status Status
			}{{"tp=1", NewlyFailing}, {"tp=2", StillFailing}, {"tp=3", New}} {
				r := result(t, rep, tt.key, tf)
				if r.Status != tt.status || r.Outcome != "oom" {
					t.Errorf("%s: status %s outcome %q, want %s and oom", tt.key, r.Status, r.Outcome, tt.status)
				}
				if !slices.ContainsFunc(r.Caveats, func(c Caveat) bool { _, ok := c.(RunFailed); return ok }) {
					t.Errorf("%s: caveats %#v lack the new run's failure", tt.key, r.Caveats)
				}
			}
			if len(rep.Results) != 3 {
				t.Errorf("got %s, want one result per config", summary(rep))
			}
		})
	}
}

// TestFixedIsCompared: a config whose last baseline run failed but whose earlier runs
// measured it is compared with those runs when it runs now. Reporting it fixed without a
// comparison passed a 30% slowdown because one nightly run had OOMed. A run now that matches
// its history is still fixed.
func TestFixedIsCompared(t *testing.T) {
	base := concat(steadyBase("tp=1", 100), steadyBase("tp=2", 100), steadyBase("tp=3", 100),
		[]bench.Run{failed("tp=1", "b9", bench.OOM, "t.txt:3: OOM"), failed("tp=2", "b9", bench.OOM, "t.txt:4: OOM")})
	cur := concat(runs("tp=1", "p", 70), runs("tp=2", "p", 100), runs("tp=3", "p", 100))
	for _, short := range []bool{false, true} {
		o := opts(nil)
		if short {
			o.MinHistoryRuns = 100 // the fixed tolerance decides
		}
		rep := Compare(base, cur, o)
		if r := result(t, rep, "tp=1", tf); r.Status != Regression || !r.Fails || r.DeltaPct == nil {
			t.Errorf("short %v: tp=1 status %s fails %v delta %v, want a failing regression: %#v", short, r.Status, r.Fails, r.DeltaPct, r.Caveats)
		} else if _, ok := r.Caveats[0].(BaselineFailed); !ok {
			t.Errorf("short %v: tp=1 caveats %#v, want the baseline's failure first", short, r.Caveats)
		}
		if r := result(t, rep, "tp=2", tf); r.Status != Fixed || r.Fails || r.DeltaPct == nil {
			t.Errorf("short %v: tp=2 status %s fails %v delta %v, want fixed and compared", short, r.Status, r.Fails, r.DeltaPct)
		}
		if rep.Verdict != Fail {
			t.Errorf("short %v: verdict %s, want fail", short, rep.Verdict)
		}
	}
}
