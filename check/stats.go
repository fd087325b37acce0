package check

import (
	"math"
	"sort"
	"sync"

	"github.com/aclements/go-moremath/stats"
)

// mean returns the arithmetic mean of xs (go-moremath).
func mean(xs []float64) float64 { return stats.Mean(xs) }

// variance returns the unbiased sample variance of xs (0 for fewer than two values).
func variance(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	return stats.Variance(xs)
}

// median returns the median of xs.
func median(xs []float64) float64 { return stats.Sample{Xs: xs}.Quantile(0.5) }

// tTest returns the one-sided p-value that the difference diff of mean log run summaries
// (new minus baseline) is this large or larger, for n baseline and k new runs under noise
// variance v with df degrees of freedom. Pass -diff for the other direction.
func tTest(diff, v, df float64, n, k int) float64 {
	se := math.Sqrt(v * (1/float64(n) + 1/float64(k)))
	return 1 - stats.TDist{V: df}.CDF(diff/se)
}

// tQuantile returns the t value with upper tail probability q for df degrees of freedom.
// A check asks for the same few (q, df) pairs thousands of times, so quantiles are cached.
func tQuantile(q, df float64) float64 {
	k := quantileKey{q, df}
	if v, ok := quantiles.Load(k); ok {
		return v.(float64)
	}
	v := stats.InvCDF(stats.TDist{V: df})(1 - q)
	quantiles.Store(k, v)
	return v
}

type quantileKey struct{ q, df float64 }

// quantiles caches tQuantile; Compare may run concurrently (the evaluation harness).
var quantiles sync.Map

// logs returns the log centres of ps.
func logs(ps []Point) []float64 {
	xs := make([]float64, len(ps))
	for i, p := range ps {
		xs[i] = p.Log
	}
	return xs
}

// pointMean returns the mean of the log centres of ps.
func pointMean(ps []Point) float64 { return mean(logs(ps)) }

// pointVariance returns the unbiased sample variance of the log centres of ps (0 for fewer
// than two).
func pointVariance(ps []Point) float64 { return variance(logs(ps)) }

// adjust corrects p-values for multiple comparisons in place: "holm" (Holm–Bonferroni,
// controls the family-wise error rate), "bh" (Benjamini–Hochberg, controls the false discovery
// rate) or "none".
func adjust(ps []float64, method Correction) {
	n := len(ps)
	if n == 0 || method == NoCorrection {
		return
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	adj := make([]float64, n)
	switch method {
	case BH:
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
