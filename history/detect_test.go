package history

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bestSplitTable is bestSplit as it was first written, with the full n×n table of partial
// sums: the reference the O(n)-space bestSplit must agree with exactly.
func bestSplitTable(xs []float64, minSeg int) (int, float64) {
	n := len(xs)
	pre := make([]float64, n*(n+1))
	within := make([]float64, n+1)
	for k := 0; k < n; k++ {
		row := pre[k*(n+1) : (k+1)*(n+1)]
		for j := 0; j < n; j++ {
			row[j+1] = row[j] + math.Abs(xs[k]-xs[j])
		}
	}
	for t := 1; t <= n; t++ {
		within[t] = within[t-1] + pre[(t-1)*(n+1)+t-1]
	}
	best, bestQ := -1, math.Inf(-1)
	for t := minSeg; t <= n-minSeg; t++ {
		m := float64(t)
		wl := 2 * within[t] / (m * (m - 1))
		between, wr := 0.0, 0.0
		for kappa := t + 1; kappa <= n; kappa++ {
			y := kappa - 1
			row := pre[y*(n+1) : (y+1)*(n+1)]
			between += row[t]
			wr += row[y] - row[t]
			if kappa-t < minSeg {
				continue
			}
			k := float64(kappa - t)
			e := 2*between/(m*k) - wl - 2*wr/(k*(k-1))
			if q := m * k / (m + k) * e; q > bestQ {
				best, bestQ = t, q
			}
		}
	}
	return best, bestQ
}

// TestBestSplitMatchesTable checks that bestSplit finds exactly the split and statistic of
// the full-table computation, on random segments with ties, of every length and minimum
// segment, reusing one scratch buffer as Build does.
func TestBestSplitMatchesTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var buf []float64
	for it := 0; it < 3000; it++ {
		n, minSeg := rng.IntN(60), 1+rng.IntN(4)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = rng.NormFloat64()
			if rng.IntN(5) == 0 {
				xs[i] = float64(rng.IntN(3)) // ties
			}
		}
		gt, gq := bestSplit(xs, minSeg, &buf)
		wt, wq := bestSplitTable(xs, minSeg)
		if gt != wt || gq != wq && !(math.IsInf(gq, -1) && math.IsInf(wq, -1)) {
			t.Fatalf("n=%d minSeg=%d: bestSplit gives τ=%d Q=%v, the table τ=%d Q=%v", n, minSeg, gt, gq, wt, wq)
		}
	}
}

// TestBestSplitLinearSpace guards the memory of a long history: a store refreshed nightly for
// years has thousands of points per series, and a table of n² sums would take 8·n² bytes
// (128 MB at 4000 nights, 800 MB at 10000) for every series with a step in it.
func TestBestSplitLinearSpace(t *testing.T) {
	n := 3000
	xs := make([]float64, n)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range xs {
		xs[i] = 0.01 * rng.NormFloat64()
		if i >= n/2 {
			xs[i] -= 0.05
		}
	}
	var buf []float64
	tau, _ := bestSplit(xs, 2, &buf)
	if tau != n/2 {
		t.Errorf("split at %d, want the step at %d", tau, n/2)
	}
	if cap(buf) > 4*n {
		t.Errorf("bestSplit of %d values kept %d floats of scratch (%.0f MB); want O(n)", n, cap(buf), float64(cap(buf))*8/1e6)
	}
}

// TestLevelChangesOneSlowNight: one night 10% slow (a slow node) at the newest or the
// second-newest night, the nights a nightly --fail-on looks at, is not a change point, in
// all but at most 1 of 400 seeded series at 0.8% noise (this seed: 1; 12 before a change had
// to be borne out by two runs on each side). Averaged with a normal night into a segment of
// two or three, it makes a step of 3–5%, above the minimum effect, and the permutation test
// at α 0.05 lets some through.
func TestLevelChangesOneSlowNight(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	opts := DefaultOptions()
	var sc scratch
	found := 0
	for s := 0; s < 400; s++ {
		n := 20 + s%8
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = 0.008 * rng.NormFloat64()
		}
		xs[n-1-s%2] += math.Log(0.9)
		if cs := levelChanges(xs, opts, rng, &sc); len(cs) > 0 {
			found++
			t.Logf("series %d (slow night %d of %d): change points %+v", s, n-1-s%2, n, cs)
		}
	}
	if found > 1 {
		t.Errorf("one slow night made change points in %d of 400 series, want at most 1", found)
	}
}

// TestLevelChangesTwoSlowNights: two slow nights in a row are a step, as the README says:
// the minimum segment is two runs.
func TestLevelChangesTwoSlowNights(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	xs := make([]float64, 24)
	for i := range xs {
		xs[i] = 0.008 * rng.NormFloat64()
	}
	xs[22] += math.Log(0.9)
	xs[23] += math.Log(0.9)
	if cs := levelChanges(xs, DefaultOptions(), rng, &scratch{}); len(cs) != 1 || cs[0].At != 22 {
		t.Errorf("change points %+v, want one at 22", cs)
	}
}
