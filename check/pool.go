package check

import (
	"math"

	"github.com/aclements/go-moremath/mathx"
	"github.com/aclements/go-moremath/stats"
)

// chiSquare is the chi-square distribution with K degrees of freedom, as a go-moremath
// distribution (its quantiles come from stats.InvCDF).
type chiSquare struct{ K float64 }

// CDF implements stats.DistCommon.
func (c chiSquare) CDF(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return mathx.GammaInc(c.K/2, x/2)
}

// Bounds implements stats.DistCommon.
func (c chiSquare) Bounds() (float64, float64) { return 0, c.K + 20*math.Sqrt(2*c.K) + 20 }

// The robust pool's cut-offs: a run this many standard deviations below the rest of its config
// is a slow-side run left out of its config's variance, and a config whose variance exceeds
// the upper poolTrim quantile of the pool's chi-square is left out of the pool.
const (
	slowZ    = 3.0
	poolTrim = 0.99
)

// robustPool returns the pooled run-to-run variance of a suite whose configs' histories are
// hs (signed logs, so that slow runs lie low; configs with fewer than two runs are ignored),
// such that neither slow-node runs nor a noisy minority of configs can move it:
//
//  1. start from the lower quartile of the per-config variances, corrected for the lower
//     quartile of a scaled chi-square (the median is where the diagnosis started, but
//     with a third of the configs noisy the iteration then settles on a contaminated pool:
//     the quartile is moved by neither a noisy minority of up to half nor slow runs);
//  2. leave out of each config the run lying more than slowZ standard deviations (of the
//     current pool) below the mean of its other runs, if any;
//  3. leave out configs whose variance lies above the poolTrim quantile of the pool's
//     chi-square (the noisy ones);
//  4. take the degrees-of-freedom-weighted mean of the variances kept, divided by the mean a
//     chi-square truncated at that quantile has (F_{d+2}(q)/F_d(q) of its untruncated mean),
//     so that trimming the upper tail does not bias the pool low;
//  5. repeat 2–4 from the new pool until it settles.
//
// ok is false when no config has two runs.
func robustPool(hs [][]float64) (float64, bool) {
	var vars []float64
	var dsum float64
	for _, g := range hs {
		if len(g) >= 2 {
			vars = append(vars, variance(g))
			dsum += float64(len(g) - 1)
		}
	}
	if len(vars) == 0 {
		return 0, false
	}
	d := dsum / float64(len(vars))
	s2 := stats.Sample{Xs: vars}.Quantile(0.25) / (stats.InvCDF(chiSquare{d})(0.25) / d)
	s2 = math.Max(s2, minSigma*minSigma)
	rest := make([]float64, 0, 16)
	// The trim quantile and the truncated chi-square's CDFs depend only on a config's
	// degrees of freedom, of which a suite has a few.
	type trim struct{ q, upper, lower float64 }
	trims := map[float64]trim{}
	for iter := 0; iter < 20; iter++ {
		var sumV, sumE float64
		for _, g := range hs {
			n := len(g)
			if n < 2 {
				continue
			}
			v, df := variance(g), float64(n-1)
			if n >= 3 {
				var low float64
				rest, low = withoutLowest(rest[:0], g)
				// Slow only if far below on the scale of the pool and of the other runs: a
				// noisy config's lowest run is not a slow node.
				vr := variance(rest)
				if low-mean(rest) < -slowZ*math.Sqrt(math.Max(s2, vr)*(1+1/float64(n-1))) {
					v, df = vr, float64(n-2)
				}
			}
			tr, ok := trims[df]
			if !ok {
				q := stats.InvCDF(chiSquare{df})(poolTrim)
				tr = trim{q, chiSquare{df + 2}.CDF(q), chiSquare{df}.CDF(q)}
				trims[df] = tr
			}
			if v > s2*tr.q/df {
				continue // a noisy config
			}
			sumV += df * v
			sumE += df * tr.upper / tr.lower
		}
		if sumE == 0 {
			break
		}
		next := math.Max(sumV/sumE, minSigma*minSigma)
		done := math.Abs(next-s2) < 1e-4*s2
		s2 = next
		if done {
			break
		}
	}
	return s2, true
}
