package check

import (
	"flag"
	"io"
	"math"
	"testing"
)

func TestParseCorrection(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Correction
		ok   bool
	}{
		{"holm", Holm, true}, {"bh", BH, true}, {"none", NoCorrection, true},
		{"holmm", "", false}, {"Holm", "", false}, {"", "", false}, {"bonferroni", "", false}, {" holm", "", false},
	} {
		got, err := ParseCorrection(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseCorrection(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	// As a flag.Value (gateeval) it refuses what Parse refuses.
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := Holm
	fs.Var(&c, "correction", "")
	if err := fs.Parse([]string{"-correction", "holmm"}); err == nil || c != Holm {
		t.Errorf("-correction holmm: err %v, value %q", err, c)
	}
	if err := fs.Parse([]string{"-correction", "bh"}); err != nil || c != BH {
		t.Errorf("-correction bh: err %v, value %q", err, c)
	}
}

func TestParseVerdict(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Verdict
		ok   bool
	}{{"pass", Pass, true}, {"fail", Fail, true}, {"PASS", "", false}, {"", "", false}, {"error", "", false}} {
		got, err := ParseVerdict(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseVerdict(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestRanges(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tt := range []struct {
		v       float64
		alphaOK bool
		pctOK   bool
	}{
		{0.05, true, true}, {0.5, true, true}, {0, false, true}, {1, false, true}, {-0.1, false, false},
		{1.5, false, true}, {99.9, false, true}, {100, false, false}, {150, false, false}, {nan, false, false}, {inf, false, false}, {-inf, false, false},
	} {
		if ok := CheckAlpha(tt.v) == nil; ok != tt.alphaOK {
			t.Errorf("CheckAlpha(%v) ok = %v, want %v", tt.v, ok, tt.alphaOK)
		}
		if ok := CheckPercent(tt.v) == nil; ok != tt.pctOK {
			t.Errorf("CheckPercent(%v) ok = %v, want %v", tt.v, ok, tt.pctOK)
		}
	}
	for n, ok := range map[int]bool{-1: false, 0: false, 1: false, 2: true, 7: true} {
		if got := CheckMinHistory(n) == nil; got != ok {
			t.Errorf("CheckMinHistory(%d) ok = %v", n, got)
		}
	}
	if err := DefaultOptions.Validate(); err != nil {
		t.Errorf("DefaultOptions: %v", err)
	}
	for name, mod := range map[string]func(*Options){
		"alpha NaN":      func(o *Options) { o.Alpha = nan },
		"correction":     func(o *Options) { o.Correction = "holmm" },
		"min effect inf": func(o *Options) { o.MinEffectPct = inf },
		"tolerance < 0":  func(o *Options) { o.TolerancePct = -1 },
		"min history 1":  func(o *Options) { o.MinHistoryRuns = 1 },
	} {
		o := DefaultOptions
		mod(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}
