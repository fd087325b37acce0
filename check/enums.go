package check

import (
	"fmt"
	"math"
)

// A Correction is a multiple-comparison correction over the tests of one metric.
type Correction string

// The corrections. ParseCorrection is the one place that reads them.
const (
	Holm           Correction = "holm" // Holm–Bonferroni: controls the family-wise error rate
	BH             Correction = "bh"   // Benjamini–Hochberg: controls the false discovery rate
	NoCorrection   Correction = "none"
	correctionList            = "holm, bh or none"
)

// Corrections lists every correction.
var Corrections = []Correction{Holm, BH, NoCorrection}

// ParseCorrection parses "holm", "bh" or "none".
func ParseCorrection(s string) (Correction, error) {
	for _, c := range Corrections {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("correction %q: want %s", s, correctionList)
}

// String returns the correction's name.
func (c Correction) String() string { return string(c) }

// Set parses s into c, so that a Correction is a flag.Value and a pflag.Value.
func (c *Correction) Set(s string) error {
	v, err := ParseCorrection(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Type names the flag's value for help output.
func (c *Correction) Type() string { return "correction" }

// A Verdict is the outcome of a whole check.
type Verdict string

// The verdicts. ParseVerdict is the one place that reads them.
const (
	Pass Verdict = "pass"
	Fail Verdict = "fail"
)

// ParseVerdict parses "pass" or "fail".
func ParseVerdict(s string) (Verdict, error) {
	switch v := Verdict(s); v {
	case Pass, Fail:
		return v, nil
	}
	return "", fmt.Errorf("verdict %q: want %q or %q", s, Pass, Fail)
}

// String returns the verdict's name.
func (v Verdict) String() string { return string(v) }

// CheckAlpha reports whether alpha is a usable significance level: finite, in (0, 1). Flags,
// the config file and the evaluation harness all validate with it.
func CheckAlpha(alpha float64) error {
	if math.IsNaN(alpha) || alpha <= 0 || alpha >= 1 {
		return fmt.Errorf("must be in (0, 1), not %v", alpha)
	}
	if alpha < MinAlpha {
		return fmt.Errorf("must be at least %g, not %v: a test at that level can never be passed by a few runs, so the gate could never fail (a 10%% drop at 0.5%% noise read as within the noise)", MinAlpha, alpha)
	}
	return nil
}

// MinAlpha is the smallest suite-wide alpha a gate may use. Below it, the tail probabilities a
// few runs can reach (a handful of baseline runs against one or three new ones) never reach
// the level, so every drop passes: a gate that cannot fail.
const MinAlpha = 1e-4

// CheckPercent reports whether pct is a usable minimum effect or tolerance: in [0, 100). A
// change is compared with it in percent of the deciding metric, and a higher-is-better one
// (TFLOPS/GPU, which decides a config's speed) cannot fall by 100%: at 100 or more a 3×
// slowdown passed where s/iter decided it failed. Muting a config is an ignore rule's job,
// which is reported and expires.
func CheckPercent(pct float64) error {
	if math.IsNaN(pct) || math.IsInf(pct, 0) || pct < 0 {
		return fmt.Errorf("must be a finite percentage ≥ 0, not %v", pct)
	}
	if pct >= 100 {
		return fmt.Errorf("must be below 100, not %v: TFLOPS/GPU cannot drop by 100%%, so no slowdown could fail (to stop gating a config, use an ignore rule with a reason)", pct)
	}
	return nil
}

// CheckMinHistory reports whether n baseline runs can be enough for a statistical test.
func CheckMinHistory(n int) error {
	if n < 2 {
		return fmt.Errorf("must be at least 2, not %d", n)
	}
	return nil
}

// CheckConfirmRuns reports whether n is a usable Options.ConfirmRuns: 0 (off) or more.
func CheckConfirmRuns(n int) error {
	if n < 0 {
		return fmt.Errorf("must be 0 (off) or more, not %d", n)
	}
	return nil
}

// Validate checks every setting of opts with the same ranges the flags and the config file
// use. Errors name the option as the config file spells it.
func (o Options) Validate() error {
	if err := CheckAlpha(o.Alpha); err != nil {
		return fmt.Errorf("alpha %w", err)
	}
	if _, err := ParseCorrection(string(o.Correction)); err != nil {
		return err
	}
	if err := CheckPercent(o.MinEffectPct); err != nil {
		return fmt.Errorf("min_effect_pct %w", err)
	}
	if err := CheckPercent(o.TolerancePct); err != nil {
		return fmt.Errorf("tolerance_pct %w", err)
	}
	if err := CheckMinHistory(o.MinHistoryRuns); err != nil {
		return fmt.Errorf("min_history_runs %w", err)
	}
	if err := CheckConfirmRuns(o.ConfirmRuns); err != nil {
		return fmt.Errorf("confirm_runs %w", err)
	}
	if _, err := LookupTest(o.Test); err != nil {
		return err
	}
	return nil
}
