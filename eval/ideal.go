package eval

import (
	"fmt"
	"math"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// Ideal is a bound, not a gate: the test that knows the simulation's noise model exactly
// (each class's noise, the noisy share, the slow-run rate and range) and judges each config
// from its window alone, as any rule must when the store has no older runs. For every
// hypothesis about a config — steady at one of the noises steady configs draw (a grid over
// NoiseModel.RunPct) or noisy, and no slow baseline run or one at one of the shifts slow runs
// draw (a grid over NoiseModel.SlowPct) — it weighs the baseline's spread and the PR runs'
// own spread by their exact likelihood (flat prior on the config's level), and gives the
// posterior-predictive probability that an unchanged config's PR mean lies as low as the one
// observed. Under the simulation's model that probability is a calibrated p-value, so Compare
// corrects it as any test's; what the gate does with it (Holm, the minimum effect, the
// protocol) is unchanged. It leaves out windows with two slow runs (3 in 400 of 3-run windows
// at a 5% rate) and bimodal configs, so it is a bound for the scenarios without them.
//
// Its tests are registered in check.Tests (IdealTestName) for the harness alone.
type Ideal struct {
	Model    NoiseModel
	SlowRate float64
}

// IdealTestName returns the name of the ideal test for slow-run rate rate, as registered.
func IdealTestName(rate float64) string { return fmt.Sprintf("ideal-slow%g", rate) }

func init() {
	// The scenarios' slow-run rates, under the default noise model (Setup.Validate refuses
	// -ideal with another model).
	for _, rate := range []float64{0, 0.05} {
		check.Tests = append(check.Tests, Ideal{Model: DefaultNoise, SlowRate: rate})
	}
}

// Name implements check.Test.
func (t Ideal) Name() string { return IdealTestName(t.SlowRate) }

// idealGrid is the number of points of each grid (steady noise, slow shift).
const idealGrid = 12

// Learn implements check.Test: the ideal test learns nothing from the suite but its size
// (the noisy share is the simulation's count of noisy configs over the suite's configs) and
// the metric's direction.
func (t Ideal) Learn(_ string, suite []check.History, _ check.Options) check.Learned {
	fit := &idealFit{Ideal: t, sign: 1, configs: len(suite)}
	for _, h := range suite {
		if h.Better == bench.Lower {
			fit.sign = -1
		}
	}
	m := t.Model
	// The run's centre is the median of its iterations: its own noise adds to the run's.
	it := 1.2533 * m.IterPct / 100 / math.Sqrt(float64(m.Iters))
	noisy := math.Round(m.NoisyShare*float64(len(suite))) / math.Max(float64(len(suite)), 1)
	for i := 0; i < idealGrid; i++ {
		sd := (m.RunPct[0] + (m.RunPct[1]-m.RunPct[0])*(float64(i)+0.5)/idealGrid) / 100
		fit.classes = append(fit.classes, idealClass{sd: math.Hypot(sd, it), prior: (1 - noisy) / idealGrid})
	}
	fit.classes = append(fit.classes, idealClass{sd: math.Hypot(m.NoisyPct/100, it), prior: noisy, noisy: true})
	for i := 0; i < idealGrid; i++ {
		pct := m.SlowPct[0] + (m.SlowPct[1]-m.SlowPct[0])*(float64(i)+0.5)/idealGrid
		fit.shifts = append(fit.shifts, -math.Log(1-pct/100))
	}
	return fit
}

type idealClass struct {
	sd, prior float64
	noisy     bool
}

type idealFit struct {
	Ideal
	sign    float64
	configs int
	classes []idealClass
	shifts  []float64 // slow runs' shifts below the level, as log ratios
}

// idealHyp is one hypothesis's weight and what the PR mean is compared with under it.
type idealHyp struct {
	logw, centre float64
	sd           float64 // the run-to-run noise
	noisy        bool
	slow         int
}

func (f *idealFit) hypotheses(g, y []float64) []idealHyp {
	n, k := len(g), len(y)
	var ssY float64
	if k > 1 {
		my := stats.Mean(y)
		for _, v := range y {
			ssY += (v - my) * (v - my)
		}
	}
	// the baseline's level and sum of squares with run s corrected by shift d (s = -1: none)
	moments := func(s int, d float64) (float64, float64) {
		var sum float64
		for i, v := range g {
			if i == s {
				v += d
			}
			sum += v
		}
		c := sum / float64(n)
		var ss float64
		for i, v := range g {
			if i == s {
				v += d
			}
			ss += (v - c) * (v - c)
		}
		return c, ss
	}
	var hs []idealHyp
	add := func(c idealClass, prior float64, s int, d float64) {
		centre, ss := moments(s, d)
		v := c.sd * c.sd
		// flat prior on the level: the baseline gives n-1 degrees of freedom, the PR runs k-1
		logw := math.Log(prior) - float64(n-1+max(k-1, 0))*math.Log(c.sd) - (ss+ssY)/(2*v)
		hs = append(hs, idealHyp{logw: logw, centre: centre, sd: c.sd, noisy: c.noisy, slow: s})
	}
	rate := f.SlowRate
	for _, c := range f.classes {
		add(c, c.prior*math.Pow(1-rate, float64(n)), -1, 0)
		if rate == 0 {
			continue
		}
		each := c.prior * rate * math.Pow(1-rate, float64(n-1)) / float64(len(f.shifts))
		for s := range g {
			for _, d := range f.shifts {
				add(c, each, s, d)
			}
		}
	}
	top := math.Inf(-1)
	for _, h := range hs {
		top = math.Max(top, h.logw)
	}
	var sum float64
	for i := range hs {
		hs[i].logw = math.Exp(hs[i].logw - top)
		sum += hs[i].logw
	}
	for i := range hs {
		hs[i].logw /= sum // now a normalised weight
	}
	return hs
}

// Judge implements check.Learned.
func (f *idealFit) Judge(base, cur []check.Point, opts check.Options) (check.Evidence, bool) {
	if !f.usable(base, opts) {
		return check.Evidence{}, false
	}
	g, y := f.signed(base), f.signed(cur)
	hs := f.hypotheses(g, y)
	my := stats.Mean(y)
	scale := math.Sqrt(1/float64(len(g)) + 1/float64(len(y)))
	var pLow, centre, noise, pNoisy, pSlow float64
	slowW := make([]float64, len(g))
	for _, h := range hs {
		pLow += h.logw * stats.NormalDist{Mu: h.centre, Sigma: h.sd * scale}.CDF(my)
		centre += h.logw * h.centre
		noise += h.logw * h.sd * h.sd
		if h.noisy {
			pNoisy += h.logw
		}
		if h.slow >= 0 {
			pSlow += h.logw
			slowW[h.slow] += h.logw
		}
	}
	ev := check.Evidence{
		Diff:         f.sign * (my - centre),
		NoisePct:     100 * math.Sqrt(noise),
		Short:        len(base) < 5,
		Contaminated: pSlow >= 0.2,
	}
	// pLow is the p-value of "the signed PR mean is lower", i.e. worse.
	if f.sign > 0 {
		ev.PLower, ev.PHigher = pLow, 1-pLow
	} else {
		ev.PLower, ev.PHigher = 1-pLow, pLow
	}
	ev.Caveats = append(ev.Caveats, check.NoiseClass{Noisy: pNoisy >= 0.5, PNoisy: pNoisy, NoisePct: ev.NoisePct})
	for i, w := range slowW {
		if w >= 0.5 {
			ev.Caveats = append(ev.Caveats, check.SlowBaselineRun{Batch: base[i].Batch, Source: base[i].Source, Prob: w})
		}
	}
	return ev, true
}

func (f *idealFit) signed(ps []check.Point) []float64 {
	g := make([]float64, len(ps))
	for i, p := range ps {
		g[i] = f.sign * p.Log
	}
	return g
}

func (f *idealFit) usable(base []check.Point, opts check.Options) bool {
	return len(base) >= 2 && len(base) >= opts.MinHistoryRuns
}

// Noise implements check.Learned.
func (f *idealFit) Noise(base []check.Point, opts check.Options) (float64, bool) {
	if !f.usable(base, opts) {
		return 0, false
	}
	var v float64
	for _, h := range f.hypotheses(f.signed(base), nil) {
		v += h.logw * h.sd * h.sd
	}
	return 100 * math.Sqrt(v), true
}

// Pooled implements check.Learned: the steady configs' mean noise.
func (f *idealFit) Pooled() check.Pool {
	m := f.Model
	return check.Pool{NoisePct: (m.RunPct[0] + m.RunPct[1]) / 2, Configs: f.configs, MinRuns: 2}
}

// IdealModels reports whether the ideal test models scenario sc: one without bimodal configs
// or older runs in memory (the ideal judges from the window alone), whose slow-run rate has a
// registered ideal test.
func IdealModels(sc Scenario) bool {
	if sc.BimodalShare > 0 || sc.MemoryRuns > 0 {
		return false
	}
	_, err := check.LookupTest(IdealTestName(sc.SlowRate))
	return err == nil
}
