package eval

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"

	"github.com/perfgate/perfgate/check"
)

// A Diagnosis counts, for one scenario, where the gate's errors come from: per clean PR, the
// configs that fail; per PR with a drop on one steady config, the drops that pass. Each error
// is filed by the config's true class and by what the test said of it: judged noisy (the
// mixture's noisy-class weight from 50%, or, on a long clean history, the moderated t's
// "noisier" test), else by the mixture's noisy-class weight (settled steady below 1%, steady
// with a noisy share of 1–50%), whether it named a slow baseline run, on how many PR runs it
// was decided (more than one: the confirmation protocol re-ran it), and, for a missed drop,
// whether the measured drop fell short of the minimum effect.
type Diagnosis struct {
	Scenario Scenario
	Drop     float64 // percent; 0 diagnoses false fails
	Trials   int     // drops injected, or clean configs gated
	Errors   map[string]int
}

// Diagnose gates s.Suites suites of scenario sc, drawn as Run draws them but from a seed of
// their own (scenarioSeed salted "diagnose"), and files the errors at drop size drop (0: the
// false fails of clean PRs).
func Diagnose(s Setup, sc Scenario, drop float64) Diagnosis {
	seed := scenarioSeed(s.Seed, sc, "diagnose")
	d := Diagnosis{Scenario: sc, Drop: drop, Errors: map[string]int{}}
	for i := 0; i < s.Suites; i++ {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		suite, base, mem := scenarioSuite(s, sc, rng)
		var steady []int
		for j, c := range suite.Class {
			if c == Steady {
				steady = append(steady, j)
			}
		}
		var slow []float64
		victim := -1
		if drop > 0 && len(steady) > 0 {
			slow = unchanged(s.Configs)
			victim = steady[rng.IntN(len(steady))]
			slow[victim] = 1 / (1 - drop/100)
		}
		rep, _, _ := gate(s, sc, suite, rng, base, mem, slow)
		for j, cfg := range suite.Configs {
			if drop > 0 && j != victim {
				continue
			}
			key := cfg.Key()
			for _, r := range rep.Results {
				if r.Key != key || !r.Decides() {
					continue
				}
				d.Trials++
				if (drop > 0) == r.Fails {
					continue // caught, or a clean config that passed
				}
				d.Errors[errorKind(suite.Class[j], r, drop, s.Check.MinEffectPct)]++
			}
		}
	}
	return d
}

func errorKind(c Class, r check.Result, drop, minEffect float64) string {
	var pNoisy float64
	noisy, slowRun := false, false
	for _, cv := range r.Caveats {
		switch cv := cv.(type) {
		case check.NoiseClass:
			pNoisy, noisy = cv.PNoisy, cv.Noisy
		case check.SlowBaselineRun:
			slowRun = true
		}
	}
	k := c.String() + " config, "
	switch {
	case noisy:
		k += "judged noisy"
	case pNoisy >= 0.01:
		k += "judged steady with a 1–50% noisy share"
	default:
		k += "judged steady, settled (noisy share < 1%)"
	}
	if slowRun {
		k += ", a slow baseline run named"
	}
	if r.New != nil && r.New.Runs > 1 {
		k += fmt.Sprintf(", on %d PR runs", r.New.Runs)
	}
	if drop > 0 && r.DeltaPct != nil && -*r.DeltaPct < minEffect {
		k += ", measured drop under the minimum effect"
	}
	return k
}

// Print writes the diagnosis.
func (d Diagnosis) Print(w io.Writer) {
	what := "clean configs that fail"
	if d.Drop > 0 {
		what = fmt.Sprintf("%g%% drops on steady configs that pass", d.Drop)
	}
	total := 0
	for _, n := range d.Errors {
		total += n
	}
	fmt.Fprintf(w, "\n%s: %s: %d of %d\n", d.Scenario.Name, what, total, d.Trials)
	kinds := make([]string, 0, len(d.Errors))
	for k := range d.Errors {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return d.Errors[b] - d.Errors[a] })
	for _, k := range kinds {
		fmt.Fprintf(w, "  %5d  %s\n", d.Errors[k], k)
	}
}
