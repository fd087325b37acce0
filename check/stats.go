package check

import (
	"math"
	"sort"

	"github.com/aclements/go-moremath/stats"
)

// mean returns the arithmetic mean of xs.
func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// variance returns the unbiased sample variance of xs (0 for fewer than two values).
func variance(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := mean(xs)
	var s float64
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return s / float64(len(xs)-1)
}

func median(xs []float64) float64 {
	ys := append([]float64(nil), xs...)
	sort.Float64s(ys)
	n := len(ys)
	if n%2 == 1 {
		return ys[n/2]
	}
	return (ys[n/2-1] + ys[n/2]) / 2
}

// A noiseModel is the run-to-run noise of one metric across a suite, learned from the
// baseline history: the log of every run summary of config c is modelled as the config's
// level plus independent noise of variance σc². The configs of a suite share much of their
// noise scale, so σc² is moderated towards a pooled prior (as in empirical-Bayes "moderated t"
// tests) and never allowed below it: a quiet config that looks quieter than the suite by
// chance does not get a hair trigger, while a genuinely noisier config widens its own bound.
type noiseModel struct {
	// prior is the pooled variance of log run summaries, s0²; priorDF its weight in degrees of
	// freedom. ok is false when no config has enough history to estimate it.
	prior   float64
	priorDF float64
	ok      bool
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
func newNoiseModel(logs [][]float64, minRuns int) noiseModel {
	var vars []float64
	var df float64
	for _, xs := range logs {
		if len(xs) >= minRuns && len(xs) >= 2 {
			vars = append(vars, variance(xs))
			df += float64(len(xs) - 1)
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
	return noiseModel{prior: prior, priorDF: priorDF, ok: true}
}

// configNoise returns the variance to test config c with and its degrees of freedom, from the
// config's own log run summaries xs.
func (m noiseModel) configNoise(xs []float64) (v, df float64) {
	d := float64(len(xs) - 1)
	if d < 0 {
		d = 0
	}
	own := variance(xs)
	if d > 0 && own > m.prior*chi2Upper(d) {
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

// tTest returns the one-sided p-value that the difference diff of mean log run summaries
// (new minus baseline) is this large or larger, for n baseline and k new runs under noise
// variance v with df degrees of freedom. Pass -diff for the other direction.
func tTest(diff, v, df float64, n, k int) float64 {
	se := math.Sqrt(v * (1/float64(n) + 1/float64(k)))
	return 1 - stats.TDist{V: df}.CDF(diff/se)
}

// tQuantile returns the t value with upper tail probability q for df degrees of freedom.
func tQuantile(q, df float64) float64 {
	d := stats.TDist{V: df}
	lo, hi := 0.0, 1.0
	for 1-d.CDF(hi) > q && hi < 1e6 {
		hi *= 2
	}
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		if 1-d.CDF(mid) > q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// adjust corrects p-values for multiple comparisons in place: "holm" (Holm–Bonferroni,
// controls the family-wise error rate), "bh" (Benjamini–Hochberg, controls the false discovery
// rate) or "none".
func adjust(ps []float64, method string) {
	n := len(ps)
	if n == 0 || method == "none" {
		return
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	adj := make([]float64, n)
	switch method {
	case "bh":
		prev := 1.0
		for r := n - 1; r >= 0; r-- {
			v := ps[idx[r]] * float64(n) / float64(r+1)
			if v < prev {
				prev = v
			}
			adj[idx[r]] = math.Min(prev, 1)
		}
	default: // holm
		prev := 0.0
		for r := 0; r < n; r++ {
			v := ps[idx[r]] * float64(n-r)
			if v > prev {
				prev = v
			}
			adj[idx[r]] = math.Min(prev, 1)
		}
	}
	copy(ps, adj)
}
