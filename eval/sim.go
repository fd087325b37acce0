package eval

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/perfgate/perfgate/bench"
)

// A NoiseModel describes how simulated training runs scatter. All percentages are standard
// deviations of the log of seconds per iteration unless said otherwise.
type NoiseModel struct {
	// RunPct is the range of per-run noise of steady configs: each config draws its own
	// from [RunPct[0], RunPct[1]]. Iterations of one job share their node placement, so
	// this run-level effect dominates (often 1–3% on clusters).
	RunPct [2]float64
	// NoisyShare of each suite's configs (rounded) are noisier, with per-run noise NoisyPct.
	NoisyShare float64
	NoisyPct   float64
	// BimodalShare of each suite's configs (rounded, not noisy ones) are genuinely bimodal:
	// each run lands in one of two modes BimodalGapPct apart with equal chance (two kinds
	// of node, two NCCL algorithms), plus RunPct[0] of ordinary noise.
	BimodalShare  float64
	BimodalGapPct float64
	// SlowRate is the chance that a baseline run lands on a slow node, SlowPct[0]–[1]
	// percent slower (lower TFLOPS) than the config's level.
	SlowRate float64
	SlowPct  [2]float64
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

// DefaultNoise is the noise model of the standard scenario: steady configs at 0.5–1.2% run to
// run, a sixth of configs 2.5% (the measurement), no slow nodes, no bimodal configs.
var DefaultNoise = NoiseModel{
	RunPct:        [2]float64{0.6, 1.0},
	NoisyShare:    1.0 / 6,
	NoisyPct:      2.5,
	BimodalGapPct: 3,
	SlowPct:       [2]float64{4, 10},
	IterPct:       0.3,
	Iters:         40,
	WarmupIters:   3,
	WarmupFactor:  2.0,
	OutlierProb:   0.03,
	OutlierFactor: [2]float64{1.2, 2.0},
}

// A Class is the kind of a simulated config.
type Class int

// The classes of configs.
const (
	Steady Class = iota
	Noisy
	Bimodal
)

func (c Class) String() string { return [...]string{"steady", "noisy", "bimodal"}[c] }

// A Suite is a simulated sweep: its configs and their true levels and noise.
type Suite struct {
	Configs []bench.Config
	Class   []Class
	level   []float64 // true seconds per iteration
	runSD   []float64 // per-run noise, as a log SD
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
		s.Class = append(s.Class, Steady)
	}
	perm := rng.Perm(n)
	noisy := int(math.Round(m.NoisyShare * float64(n)))
	bimodal := int(math.Round(m.BimodalShare * float64(n)))
	for j, i := range perm {
		switch {
		case j < noisy:
			s.Class[i], s.runSD[i] = Noisy, m.NoisyPct/100
		case j < noisy+bimodal:
			s.Class[i], s.runSD[i] = Bimodal, m.RunPct[0]/100
		}
	}
	return s
}

// flopsPerIter is the work of one iteration, so that TFLOPS/GPU = flopsPerIter/time.
const flopsPerIter = 7000.0

// Run simulates one training run of the configs in only (nil: all). slow[i] multiplies config
// i's true time (1.05 is a 5% slower, i.e. about 4.8% lower TFLOPS, run). A baseline run may
// land on a slow node (NoiseModel.SlowRate). batch names the run.
func (s *Suite) Run(rng *rand.Rand, batch string, slow []float64, baseline bool, only []int) []bench.Run {
	m := s.model
	var runs []bench.Run
	if only == nil {
		only = make([]int, len(s.Configs))
		for i := range only {
			only[i] = i
		}
	}
	for _, i := range only {
		cfg := s.Configs[i]
		level := s.level[i] * math.Exp(rng.NormFloat64()*s.runSD[i])
		if s.Class[i] == Bimodal && rng.IntN(2) == 0 {
			level *= 1 + m.BimodalGapPct/100
		}
		if slow != nil {
			level *= slow[i]
		}
		if baseline && m.SlowRate > 0 && rng.Float64() < m.SlowRate {
			pct := m.SlowPct[0] + (m.SlowPct[1]-m.SlowPct[0])*rng.Float64()
			level /= 1 - pct/100 // TFLOPS pct% below the level
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
		runs = append(runs, bench.Run{
			Config: cfg, Outcome: bench.OK, Batch: batch, Source: batch,
			Metrics: []bench.Metric{
				{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: times},
				{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: tflops},
			},
		})
	}
	return runs
}

// Baseline simulates n nightly baseline runs of the suite.
func (s *Suite) Baseline(rng *rand.Rand, n int) []bench.Run {
	var runs []bench.Run
	for r := 0; r < n; r++ {
		runs = append(runs, s.Run(rng, fmt.Sprintf("nightly-%02d", r+1), nil, true, nil)...)
	}
	return runs
}
