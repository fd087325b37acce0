package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/check"
)

func TestLookupFormat(t *testing.T) {
	for _, name := range []string{"text", "markdown", "json"} {
		if f, err := LookupFormat(name); err != nil || f.Name != name || f.Render == nil {
			t.Errorf("LookupFormat(%q) = %v, %v", name, f, err)
		}
	}
	for _, bad := range []string{"", "md", "JSON", "html "} {
		if _, err := LookupFormat(bad); err == nil || !strings.Contains(err.Error(), "must be text, markdown or json") {
			t.Errorf("LookupFormat(%q): %v", bad, err)
		}
	}
	if _, err := LookupDescribeFormat("markdown"); err == nil || !strings.Contains(err.Error(), "must be text or json") {
		t.Errorf("LookupDescribeFormat(markdown): %v", err)
	}
	if f, err := LookupDescribeFormat("json"); err != nil || f.Describe == nil {
		t.Errorf("LookupDescribeFormat(json) = %v, %v", f, err)
	}
}

// TestFormatsRender renders the fixture with every registered format through the one
// renderer signature, and checks each output is what the format's own function writes.
func TestFormatsRender(t *testing.T) {
	rep := fixture(t)
	for _, f := range Formats {
		var b bytes.Buffer
		if err := f.Render(&b, rep, Options{}); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !strings.Contains(b.String(), "FAIL") && f.Name != "json" || f.Name == "json" && !strings.Contains(b.String(), `"verdict": "fail"`) {
			t.Errorf("%s: no verdict in %.200q", f.Name, b.String())
		}
	}
}

// TestMethodSummary checks that the method paragraph report writes names the correction.
func TestMethodSummary(t *testing.T) {
	for c, word := range map[check.Correction]string{check.Holm: "Holm–Bonferroni", check.BH: "Benjamini–Hochberg", check.NoCorrection: "no multiple-comparison correction"} {
		m := check.Method{Alpha: 0.05, Correction: c, Comparisons: 3, MinEffectPct: 3, TolerancePct: 5, MinHistoryRuns: 3}
		if s := MethodSummary(m); !strings.Contains(s, word) || !strings.Contains(s, "over the 3 comparison(s)") {
			t.Errorf("%s: %q", c, s)
		}
		m.Summary = "recorded"
		if s := MethodSummary(m); s != "recorded" {
			t.Errorf("recorded summary replaced by %q", s)
		}
	}
}

// TestReportMethodOutcomesOnly: a report where no config was compared on numbers (every
// config failed on both sides) does not claim that every config was judged against the
// tolerance; one where the tolerance decided says so.
func TestReportMethodOutcomesOnly(t *testing.T) {
	m := check.Method{Alpha: 0.014, Correction: check.Holm, MinEffectPct: 3, TolerancePct: 5, MinHistoryRuns: 3}
	rep := &check.Report{Method: m, Results: []check.Result{{Key: "tp=8", Status: check.StillFailing}}}
	if s := ReportMethod(rep); !strings.Contains(s, "decided by outcomes") || strings.Contains(s, "tolerance") {
		t.Errorf("outcomes only: %q", s)
	}
	rep.Results = append(rep.Results, check.Result{Key: "tp=4", Status: check.Unchanged, Test: "tolerance"})
	if s := ReportMethod(rep); !strings.Contains(s, "±5% tolerance") {
		t.Errorf("a tolerance decision: %q", s)
	}
}

// TestMixtureWords checks the words of the default test's caveats: a probably-slow baseline
// run is named with how far below it lies, a noisy class is said and a steady one is not, and
// a suspect says why and what to do.
func TestMixtureWords(t *testing.T) {
	d := -6.0
	r := &check.Result{Status: check.Suspect, DeltaPct: &d, Baseline: &check.Baseline{Runs: 3}, Caveats: []check.Caveat{
		check.NoiseClass{Noisy: false, PNoisy: 0.1, NoisePct: 0.8},
		check.SlowBaselineRun{Batch: "nightly-03", BelowPct: 7.1, Prob: 0.8},
		check.Unconfirmed{Contaminated: true, PValue: 0.004, Alpha: 0.02, NewRuns: 1, ConfirmRuns: 3},
	}}
	want := "nightly-03 is 7.1% below this config's other runs: likely a slow node (probability 0.80), weighed with and without it; " +
		"suspect: worse by 6.0% (p=0.004), but on a baseline that probably holds a slow run; re-run it to 3 runs and check again with all of them (1 so far)"
	if got := Reason(r); got != want {
		t.Errorf("reason\n got %q\nwant %q", got, want)
	}
	r.Caveats = []check.Caveat{check.NoiseClass{Noisy: true, PNoisy: 0.93, NoisePct: 2.5}}
	if got := Reason(r); got != "a noisy config (probability 0.93): ±2.5% run to run" {
		t.Errorf("noisy: %q", got)
	}
	// On a long, clean history the moderated t's noisier test decides the class, whatever the
	// mixture's probability: the words say what decided, not a probability that disagrees.
	r.Caveats = []check.Caveat{check.NoiseClass{Noisy: true, PNoisy: 0.3, NoisePct: 2.4, Own: true}}
	if got := Reason(r); got != "a noisy config: its runs spread more than the suite's (±2.4% run to run), so they alone give its noise" {
		t.Errorf("noisy by its own runs: %q", got)
	}
	r.Caveats = []check.Caveat{check.NoiseClass{Noisy: true, PNoisy: 0.99, NoisePct: 1.9, Remembered: true}}
	if got := Reason(r); got != "a noisy config, as the store's history remembers it: ±1.9% run to run" {
		t.Errorf("remembered noisy: %q", got)
	}
}
