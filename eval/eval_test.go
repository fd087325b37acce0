package eval

import (
	"os"
	"strconv"
	"testing"
)

// TestGateAccuracy is a short, seeded run of the harness. It guards the targets with
// a margin for its small sample: a clean 16-config suite rarely fails, 5% drops on steady
// configs are nearly always caught, and the benchstat way of pooling iterations is shown to
// cry wolf on the same data. PERFGATE_EVAL_SUITES=2000 runs the full harness instead.
func TestGateAccuracy(t *testing.T) {
	s := DefaultSetup()
	s.Suites = 150
	s.Drops = []float64{5, 10}
	if n, err := strconv.Atoi(os.Getenv("PERFGATE_EVAL_SUITES")); err == nil && n > 0 {
		s.Suites = n
	}
	f := Run(s)
	t.Logf("false-fail %.1f%%, pooled-iterations false-fail %.1f%%, recall 5%%: %.1f%%, 10%%: %.1f%%",
		100*f.FalseFail, 100*f.PooledFalseFail, 100*f.Recall[5], 100*f.Recall[10])
	if f.FalseFail > 0.05 {
		t.Errorf("suite false-fail rate %.1f%% > 5%%", 100*f.FalseFail)
	}
	if f.Recall[5] < 0.85 {
		t.Errorf("recall of 5%% drops on steady configs %.1f%% < 85%%", 100*f.Recall[5])
	}
	if f.Recall[10] < 0.98 {
		t.Errorf("recall of 10%% drops on steady configs %.1f%% < 98%%", 100*f.Recall[10])
	}
	if f.PooledFalseFail < 0.5 {
		t.Errorf("pooled-iterations baseline failed only %.1f%% of clean suites; the noise model lost its run-level effects", 100*f.PooledFalseFail)
	}
}

// TestDeterministic checks that a seed reproduces its figures exactly.
func TestDeterministic(t *testing.T) {
	s := DefaultSetup()
	s.Suites, s.Drops = 20, []float64{5}
	a, b := Run(s), Run(s)
	if a.FalseFail != b.FalseFail || a.Recall[5] != b.Recall[5] {
		t.Errorf("same seed, different figures: %+v vs %+v", a, b)
	}
}

// TestSetupValidate checks that the harness refuses what the flags and config file refuse.
func TestSetupValidate(t *testing.T) {
	if err := DefaultSetup().Validate(); err != nil {
		t.Fatalf("default setup: %v", err)
	}
	for name, mod := range map[string]func(*Setup){
		"correction holmm": func(s *Setup) { s.Check.Correction = "holmm" },
		"alpha 0":          func(s *Setup) { s.Check.Alpha = 0 },
		"min effect < 0":   func(s *Setup) { s.Check.MinEffectPct = -1 },
		"no suites":        func(s *Setup) { s.Suites = 0 },
	} {
		s := DefaultSetup()
		mod(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
