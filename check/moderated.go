package check

import "math"

// ModeratedT is perfgate's default test: one-sided t-tests on log run centres, with the noise
// learned from the baseline history. The log of every run summary of config c is modelled as
// the config's level plus independent noise of variance σc². The configs of a suite share
// much of their noise scale, so σc² is moderated towards a pooled prior (as in
// empirical-Bayes "moderated t" tests) and never allowed far below it: a quiet config that
// looks quieter than the suite by chance does not get a hair trigger, while a genuinely
// noisier config widens its own bound. Configs with fewer than Options.MinHistoryRuns runs
// are declined (the fixed tolerance decides them).
type ModeratedT struct{}

// Name implements Test.
func (ModeratedT) Name() string { return "moderated-t" }

// Learn implements Test: it pools the per-config noise of the metric.
func (ModeratedT) Learn(metric string, suite []History, opts Options) Learned {
	return newNoiseModel(suite, opts.MinHistoryRuns)
}

// A noiseModel is the run-to-run noise of one metric across a suite.
type noiseModel struct {
	// prior is the pooled variance of log run summaries, s0²; priorDF its weight in degrees of
	// freedom. ok is false when no config has enough history to estimate it.
	prior   float64
	priorDF float64
	ok      bool
	// configs is the number of configs pooled, each with at least minRuns runs.
	configs, minRuns int
}

// priorDF is the weight, in degrees of freedom, given to the pooled noise estimate.
const priorDF = 6

// minSigma is the smallest run-to-run noise assumed (as a log ratio, 0.05%), so that a metric
// with no measurable noise (memory high-water marks) is still judged by the minimum effect
// rather than by a division by zero.
const minSigma = 5e-4

// newNoiseModel pools the per-config variances of log run summaries. Configs with fewer than
// minRuns runs do not contribute. The pooled value is the median of the per-config variances,
// corrected for the median of a scaled chi-square, so that a noisy minority of configs does
// not inflate everyone's bound (and a quiet minority does not shrink it).
func newNoiseModel(suite []History, minRuns int) noiseModel {
	var vars []float64
	var df float64
	for _, h := range suite {
		if n := len(h.Points); n >= minRuns && n >= 2 {
			vars = append(vars, pointVariance(h.Points))
			df += float64(n - 1)
		}
	}
	if len(vars) == 0 {
		return noiseModel{}
	}
	// Median of chi²_d/d for the typical per-config d, by Wilson–Hilferty.
	d := df / float64(len(vars))
	medChi := math.Pow(1-2/(9*d), 3)
	prior := median(vars) / medChi
	if prior < minSigma*minSigma {
		prior = minSigma * minSigma
	}
	return noiseModel{prior: prior, priorDF: priorDF, ok: true, configs: len(vars), minRuns: max(minRuns, 2)}
}

// configNoise returns the variance to test a config with and its degrees of freedom, from the
// config's own log run summaries.
func (m noiseModel) configNoise(xs []Point) (v, df float64) { return m.noiseOf(xs, m.noisier(xs)) }

// noiseOf is configNoise with the "noisier" decision made by the caller: own variance alone
// when noisier, else moderated towards the pool.
func (m noiseModel) noiseOf(xs []Point, noisier bool) (v, df float64) {
	d := float64(len(xs) - 1)
	if d < 0 {
		d = 0
	}
	own := pointVariance(xs)
	if noisier {
		// Genuinely noisier than the suite: its own history decides, with its own (few)
		// degrees of freedom, so its bound widens.
		return own, d
	}
	v = (m.priorDF*m.prior + d*own) / (m.priorDF + d)
	if floor := m.prior * priorFloor; v < floor {
		v = floor
	}
	return v, m.priorDF + d
}

// noisier reports whether a config's own log run summaries are genuinely noisier than the
// pool: its variance lies above the upper 1% quantile of the pool's chi-square.
func (m noiseModel) noisier(xs []Point) bool {
	d := float64(len(xs) - 1)
	return d > 0 && pointVariance(xs) > m.prior*chi2Upper(d)
}

func (m noiseModel) usable(base []Point, opts Options) bool {
	return m.ok && len(base) >= opts.MinHistoryRuns
}

// Judge implements Learned.
func (m noiseModel) Judge(base, cur []Point, opts Options) (Evidence, bool) {
	if !m.usable(base, opts) {
		return Evidence{}, false
	}
	return m.evidence(base, cur, m.noisier(base)), true
}

// evidence is the moderated t test's evidence with the "noisier" decision made (noiseOf).
func (m noiseModel) evidence(base, cur []Point, noisier bool) Evidence {
	v, df := m.noiseOf(base, noisier)
	n, k := len(base), len(cur)
	diff := pointMean(cur) - pointMean(base)
	se := math.Sqrt(v * (1/float64(n) + 1/float64(k)))
	return Evidence{
		Diff:     diff,
		PHigher:  tTest(diff, v, df, n, k),
		PLower:   tTest(-diff, v, df, n, k),
		NoisePct: 100 * math.Sqrt(v),
		Bound:    func(level float64) float64 { return tQuantile(level, df) * se },
	}
}

// Noise implements Learned.
func (m noiseModel) Noise(base []Point, opts Options) (float64, bool) {
	if !m.usable(base, opts) {
		return 0, false
	}
	v, _ := m.configNoise(base)
	return 100 * math.Sqrt(v), true
}

// Pooled implements Learned.
func (m noiseModel) Pooled() Pool {
	if !m.ok {
		return Pool{}
	}
	return Pool{NoisePct: 100 * math.Sqrt(m.prior), Configs: m.configs, MinRuns: m.minRuns}
}

// noisierZ is the normal quantile above which a config's variance counts as genuinely larger
// than the pooled one (a one-sided chi-square test at 1%).
const noisierZ = 2.326

// chi2Upper returns the upper noisierZ quantile of chi²_d/d, by Wilson–Hilferty.
func chi2Upper(d float64) float64 {
	a := 2 / (9 * d)
	return math.Pow(1-a+noisierZ*math.Sqrt(a), 3)
}

// priorFloor bounds how far below the pooled noise a quiet config's noise may be taken to be,
// as a fraction of the pooled variance.
const priorFloor = 0.5
