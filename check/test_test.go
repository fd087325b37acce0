package check

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// fakeTest is a statistical test registered by a test: it proves that a test plugs in with
// one type and one registry entry, sees what the seam promises, and that Compare keeps the
// correction, minimum effect and verdict outside it.
type fakeTest struct {
	learned *[]History // what Learn saw, for the assertions
}

// slowRun is a caveat a test may add that check does not know.
type slowRun struct{ Batch string }

func (slowRun) CaveatKind() string { return "slow-run" }

func (f fakeTest) Name() string { return "fake" }

func (f fakeTest) Learn(metric string, suite []History, opts Options) Learned {
	*f.learned = append(*f.learned, suite...)
	return fakeLearned{}
}

type fakeLearned struct{}

// Judge declines configs with one baseline run, and otherwise says "lower" with p = 0.01 and
// names the first baseline run as slow.
func (fakeLearned) Judge(base, cur []Point, opts Options) (Evidence, bool) {
	if len(base) < 2 {
		return Evidence{}, false
	}
	return Evidence{
		Diff: pointMean(cur) - pointMean(base), PHigher: 0.99, PLower: 0.01, NoisePct: 1.5,
		Bound:   func(level float64) float64 { return 10 * level }, // 0.05/2 → 0.25 → a 22.1% drop
		Caveats: []Caveat{slowRun{Batch: base[0].Batch}},
	}, true
}

func (fakeLearned) Noise(base []Point, opts Options) (float64, bool) { return 1.5, len(base) >= 2 }
func (fakeLearned) Pooled() Pool                                     { return Pool{NoisePct: 1.5, Configs: 2, MinRuns: 2} }

func TestFakeTestPlugsIn(t *testing.T) {
	var seen []History
	Tests = append(Tests, fakeTest{learned: &seen})
	t.Cleanup(func() { Tests = Tests[:len(Tests)-1] })

	base := concat(runs("tp=1", "nightly-", 100, 101, 99), runs("tp=2", "nightly-", 100, 100.5), runs("tp=3", "nightly-", 100))
	cur := concat(runs("tp=1", "p", 70), runs("tp=2", "p", 99), runs("tp=3", "p", 99))
	rep := Compare(base, cur, opts(func(o *Options) { o.Test = "fake" }))

	// Learn saw every config's baseline with the runs' identities.
	if len(seen) != 3 || seen[0].Key != "tp=1" || len(seen[0].Points) != 3 || seen[0].Points[2].Batch != "nightly-3" ||
		math.Abs(seen[0].Points[0].Log-math.Log(100)) > 1e-12 {
		t.Fatalf("Learn saw %+v", seen)
	}
	if rep.Method.Test != "fake" || rep.Method.Comparisons != 2 {
		t.Errorf("method test %q comparisons %d, want fake over 2", rep.Method.Test, rep.Method.Comparisons)
	}
	// tp=1: 30% worse, p 0.01 corrected by Holm over 2 → 0.02, threshold from the bound at
	// 0.05/2, the test's own caveat kept before the decision's.
	r := result(t, rep, "tp=1", tf)
	wantThreshold := 100 * (1 - math.Exp(-10*0.025)) // the drop that fails: TFLOPS/GPU is better higher
	if r.Status != Regression || r.Test != "fake" || r.PValue == nil || math.Abs(*r.PValue-0.02) > 1e-12 ||
		math.Abs(r.ThresholdPct-wantThreshold) > 1e-9 || r.Baseline.NoisePct != 1.5 {
		t.Errorf("tp=1: status %s test %q p %v threshold %v noise %v", r.Status, r.Test, r.PValue, r.ThresholdPct, r.Baseline.NoisePct)
	}
	if want := []Caveat{slowRun{Batch: "nightly-1"}, Material{MinEffectPct: 3}}; !reflect.DeepEqual(r.Caveats, want) {
		t.Errorf("tp=1 caveats %v, want %v", r.Caveats, want)
	}
	if e := r.Effect; e == nil || !(e.Lo < *r.DeltaPct && *r.DeltaPct < e.Hi) {
		t.Errorf("tp=1 effect %v around %v", r.Effect, *r.DeltaPct)
	}
	// tp=2: significant by the fake test, but 1% is below the minimum effect.
	if r := result(t, rep, "tp=2", tf); r.Status != Unchanged || r.Caveats[len(r.Caveats)-1] != (BelowMinEffect{MinEffectPct: 3}) {
		t.Errorf("tp=2: %s %v", r.Status, r.Caveats)
	}
	// tp=3: declined by the test, so the fixed tolerance decided.
	if r := result(t, rep, "tp=3", tf); r.Test != ToleranceTest || r.PValue != nil || r.Caveats[0] != (FixedTolerance{Runs: 1, Needed: 3, TolerancePct: 5}) {
		t.Errorf("tp=3: test %q p %v caveats %v", r.Test, r.PValue, r.Caveats)
	}
	if rep.Verdict != Fail {
		t.Errorf("verdict %s", rep.Verdict)
	}
	// Describe asks the same test.
	d := Describe(base, opts(func(o *Options) { o.Test = "fake" }))
	if d.Test != "fake" || d.Pooled[0].Configs != 2 || d.Pooled[0].NoisePct != 1.5 {
		t.Errorf("describe: test %q pooled %+v", d.Test, d.Pooled)
	}
	if i := slices.IndexFunc(d.Series, func(e SeriesSummary) bool { return bench.Config(e.Config).Key() == "tp=3" }); i < 0 || d.Series[i].Tested {
		t.Errorf("describe: tp=3 should be left to the tolerance: %+v", d.Series)
	}
}

func TestLookupTest(t *testing.T) {
	for _, name := range []string{"", DefaultTest} {
		if tt, err := LookupTest(name); err != nil || tt.Name() != DefaultTest {
			t.Errorf("LookupTest(%q) = %v, %v", name, tt, err)
		}
	}
	if _, err := LookupTest("welch"); err == nil {
		t.Errorf("LookupTest(welch): no error")
	}
	o := DefaultOptions
	o.Test = "welch"
	if err := o.Validate(); err == nil {
		t.Errorf("Validate accepted an unknown test")
	}
}
