package eval

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"

	"golang.org/x/perf/benchmath"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// Setup describes an evaluation.
type Setup struct {
	Seed         uint64
	Suites       int       // simulated suites per scenario
	Configs      int       // configs per suite
	BaselineRuns int       // baseline runs per config
	PRRuns       int       // PR runs per config
	Drops        []float64 // injected TFLOPS drops, in percent
	Noise        NoiseModel
	Check        check.Options
}

// DefaultSetup is the setup of the targets: 16-config suites, 7 baseline runs, 1 PR run.
func DefaultSetup() Setup {
	return Setup{
		Seed: 1, Suites: 1000, Configs: 16, BaselineRuns: 7, PRRuns: 1,
		Drops: []float64{2, 3, 4, 5, 7, 10}, Noise: DefaultNoise, Check: check.DefaultOptions,
	}
}

// Validate checks the setup: positive counts, and check options in the ranges the flags and
// the config file accept.
func (s Setup) Validate() error {
	if s.Suites < 1 || s.Configs < 1 || s.BaselineRuns < 1 || s.PRRuns < 1 {
		return errors.New("counts must be positive")
	}
	return s.Check.Validate()
}

// Figures are the measured gate accuracy.
type Figures struct {
	Suites int
	// FalseFail is the fraction of clean suites (no injected change) whose verdict is fail.
	FalseFail float64
	// Recall maps a drop size (percent) to the fraction of injected drops on a steady
	// config that the gate flagged as a regression on that config.
	Recall map[float64]float64
	// NoisyRecall is the same for drops injected on the noisy configs.
	NoisyRecall map[float64]float64
	// PooledFalseFail is the clean-suite fail rate of the benchstat way on the same data:
	// every iteration pooled into one Mann-Whitney U test per config at alpha 0.05.
	PooledFalseFail float64
}

// Run evaluates the gate.
func Run(s Setup) Figures {
	rng := rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15))
	f := Figures{Suites: s.Suites, Recall: map[float64]float64{}, NoisyRecall: map[float64]float64{}}
	var fails, pooledFails int
	hits := map[float64]int{}
	noisyHits := map[float64]int{}
	noisyTrials := map[float64]int{}
	for i := 0; i < s.Suites; i++ {
		suite := NewSuite(rng, s.Configs, s.Noise)
		base := suite.Baseline(rng, s.BaselineRuns)
		clean := prRuns(suite, rng, s.PRRuns, nil)
		if check.Compare(base, clean, s.Check).Verdict == check.Fail {
			fails++
		}
		if pooledFail(base, clean) {
			pooledFails++
		}
		for _, d := range s.Drops {
			victim := rng.IntN(s.Configs)
			slow := make([]float64, s.Configs)
			for j := range slow {
				slow[j] = 1
			}
			slow[victim] = 1 / (1 - d/100) // TFLOPS falls by d%
			rep := check.Compare(base, prRuns(suite, rng, s.PRRuns, slow), s.Check)
			hit := caught(rep, suite.Configs[victim].Key())
			if suite.Steady(victim) {
				if hit {
					hits[d]++
				}
			} else {
				noisyTrials[d]++
				if hit {
					noisyHits[d]++
				}
			}
		}
	}
	f.FalseFail = float64(fails) / float64(s.Suites)
	f.PooledFalseFail = float64(pooledFails) / float64(s.Suites)
	for _, d := range s.Drops {
		steady := s.Suites - noisyTrials[d]
		if steady > 0 {
			f.Recall[d] = float64(hits[d]) / float64(steady)
		}
		if noisyTrials[d] > 0 {
			f.NoisyRecall[d] = float64(noisyHits[d]) / float64(noisyTrials[d])
		}
	}
	return f
}

func prRuns(s *Suite, rng *rand.Rand, n int, slow []float64) []bench.Run {
	var runs []bench.Run
	for r := 0; r < n; r++ {
		runs = append(runs, s.Run(rng, fmt.Sprintf("pr-%d", r), slow)...)
	}
	return runs
}

// pooledFail applies what benchstat does with such data: all iterations of all runs of a
// config pooled into one Mann-Whitney U test, alpha 0.05, no correction. The suite fails if
// any config's TFLOPS is significantly lower.
func pooledFail(base, cur []bench.Run) bool {
	pool := func(runs []bench.Run) map[string][]float64 {
		m := map[string][]float64{}
		for _, r := range runs {
			if mm := r.Metric(bench.MetricTFLOPS); mm != nil {
				k := r.Config.Key()
				m[k] = append(m[k], mm.Values...)
			}
		}
		return m
	}
	b, n := pool(base), pool(cur)
	th := benchmath.DefaultThresholds
	for k, xs := range b {
		ys := n[k]
		if len(ys) == 0 {
			continue
		}
		s1 := benchmath.NewSample(append([]float64(nil), xs...), &th)
		s2 := benchmath.NewSample(append([]float64(nil), ys...), &th)
		c := benchmath.AssumeNothing.Compare(s1, s2)
		if c.P < th.CompareAlpha && bench.Center(ys) < bench.Center(xs) {
			return true
		}
	}
	return false
}

// Print writes the figures as a small table.
func (f Figures) Print(w io.Writer, s Setup) {
	fmt.Fprintf(w, "perfgate gate accuracy: %d suites × %d configs, %d baseline runs, %d PR run(s), seed %d\n",
		s.Suites, s.Configs, s.BaselineRuns, s.PRRuns, s.Seed)
	fmt.Fprintf(w, "noise: per-run %.1f–%.1f%% (steady), %d noisy configs at %.1f%%, iteration %.1f%%, %d warm-up iterations ×%.1f, %.0f%% slow outlier iterations ×%.1f–%.1f\n",
		s.Noise.RunPct[0], s.Noise.RunPct[1], s.Noise.NoisyConfigs, s.Noise.NoisyPct, s.Noise.IterPct,
		s.Noise.WarmupIters, s.Noise.WarmupFactor, 100*s.Noise.OutlierProb, s.Noise.OutlierFactor[0], s.Noise.OutlierFactor[1])
	fmt.Fprintf(w, "check: alpha %g (%s), min effect %g%%\n\n", s.Check.Alpha, s.Check.Correction, s.Check.MinEffectPct)
	fmt.Fprintf(w, "suite false-fail rate (clean suites that fail): %.1f%%\n", 100*f.FalseFail)
	fmt.Fprintf(w, "  benchstat-style pooled iterations, same data:  %.1f%%\n\n", 100*f.PooledFalseFail)
	fmt.Fprintf(w, "TFLOPS drop   recall (steady configs)   recall (noisy configs)\n")
	for _, d := range s.Drops {
		fmt.Fprintf(w, "%5.0f%%        %5.1f%%                    %5.1f%%\n", d, 100*f.Recall[d], 100*f.NoisyRecall[d])
	}
}
