package eval

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// A NoiseModel describes how simulated training runs scatter. All percentages are standard
// deviations of the log of seconds per iteration.
type NoiseModel struct {
	// RunPct is the range of per-run noise of steady configs: each config draws its own
	// from [RunPct[0], RunPct[1]]. Iterations of one job share their node placement, so
	// this run-level effect dominates (often 1–3% on clusters).
	RunPct [2]float64
	// NoisyConfigs of each suite are noisier, with per-run noise NoisyPct.
	NoisyConfigs int
	NoisyPct     float64
	// IterPct is the iteration-to-iteration noise within a run (about 0.3%).
	IterPct float64
	// Iters is the number of logged iterations per run.
	Iters int
	// WarmupIters slow iterations open every run, WarmupFactor times slower.
	WarmupIters  int
	WarmupFactor float64
	// OutlierProb is the chance that an iteration is a slow outlier (checkpoint save,
	// straggler), OutlierFactor[0]–[1] times slower.
	OutlierProb   float64
	OutlierFactor [2]float64
}

// DefaultNoise is the noise model the README's figures use.
var DefaultNoise = NoiseModel{
	RunPct:        [2]float64{0.5, 1.2},
	NoisyConfigs:  2,
	NoisyPct:      3.0,
	IterPct:       0.3,
	Iters:         40,
	WarmupIters:   3,
	WarmupFactor:  2.0,
	OutlierProb:   0.03,
	OutlierFactor: [2]float64{1.2, 2.0},
}

// A Suite is a simulated sweep: its configs and their true levels and noise.
type Suite struct {
	Configs []bench.Config
	level   []float64 // true seconds per iteration
	runSD   []float64 // per-run noise, as a log SD
	noisy   []bool
	model   NoiseModel
}

// NewSuite draws a suite of n configs.
func NewSuite(rng *rand.Rand, n int, m NoiseModel) *Suite {
	s := &Suite{model: m}
	for i := 0; i < n; i++ {
		s.Configs = append(s.Configs, bench.Config{
			"tp": fmt.Sprint([]int{2, 4, 8}[i%3]), "pp": fmt.Sprint(1 + i/3%4), "mbs": fmt.Sprint(1 + i%2),
			"gbs": "1024", "sl": "4096", "nodes": "32", "flags": fmt.Sprintf("cfg%02d", i),
		})
		s.level = append(s.level, 40+20*rng.Float64())
		s.runSD = append(s.runSD, (m.RunPct[0]+(m.RunPct[1]-m.RunPct[0])*rng.Float64())/100)
		s.noisy = append(s.noisy, false)
	}
	for _, i := range rng.Perm(n)[:min(m.NoisyConfigs, n)] {
		s.noisy[i] = true
		s.runSD[i] = m.NoisyPct / 100
	}
	return s
}

// Steady reports whether config i is one of the steady (not noisy) configs.
func (s *Suite) Steady(i int) bool { return !s.noisy[i] }

// flopsPerIter is the work of one iteration, so that TFLOPS/GPU = flopsPerIter/time.
const flopsPerIter = 7000.0

// Run simulates one training run of every config. slow[i] multiplies config i's true time
// (1.05 is a 5% slower, i.e. about 4.8% lower TFLOPS, run). batch names the run.
func (s *Suite) Run(rng *rand.Rand, batch string, slow []float64) []bench.Run {
	m := s.model
	runs := make([]bench.Run, len(s.Configs))
	for i, cfg := range s.Configs {
		level := s.level[i] * math.Exp(rng.NormFloat64()*s.runSD[i])
		if slow != nil {
			level *= slow[i]
		}
		times := make([]float64, m.Iters)
		tflops := make([]float64, m.Iters)
		for it := range times {
			t := level * math.Exp(rng.NormFloat64()*m.IterPct/100)
			if it < m.WarmupIters {
				t *= m.WarmupFactor
			} else if rng.Float64() < m.OutlierProb {
				t *= m.OutlierFactor[0] + (m.OutlierFactor[1]-m.OutlierFactor[0])*rng.Float64()
			}
			times[it] = t
			tflops[it] = flopsPerIter / t
		}
		runs[i] = bench.Run{
			Config: cfg, Outcome: bench.OK, Batch: batch, Source: batch,
			Metrics: []bench.Metric{
				{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: times},
				{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: tflops},
			},
		}
	}
	return runs
}

// Baseline simulates n baseline runs of the suite.
func (s *Suite) Baseline(rng *rand.Rand, n int) []bench.Run {
	var runs []bench.Run
	for r := 0; r < n; r++ {
		runs = append(runs, s.Run(rng, fmt.Sprintf("base-%d", r), nil)...)
	}
	return runs
}

// caught reports whether the report flags config key as a regression in any metric.
func caught(rep *check.Report, key string) bool {
	for _, r := range rep.Results {
		if r.Key == key && r.Status == check.Regression {
			return true
		}
	}
	return false
}
