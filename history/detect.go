package history

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/perfgate/perfgate/bench"
)

// detect returns the change points of s, in order: level changes of its OK values and the
// nights its outcome changed.
func detect(s *Series, opts Options, scratch *scratch) []ChangePoint {
	out := []ChangePoint{} // empty, not null, in the JSON
	// Outcome changes: consecutive points whose outcome differs.
	outcome := func(p *Point) bench.Outcome {
		if p.OK() {
			return bench.OK
		}
		return p.Outcome
	}
	for i := 1; i < len(s.Points); i++ {
		from, to := outcome(&s.Points[i-1]), outcome(&s.Points[i])
		if from == to {
			continue
		}
		p := s.Points[i]
		out = append(out, ChangePoint{Kind: Outcome, Index: i, Good: i - 1, Batch: p.Batch, Commit: p.Commit, Date: p.Date,
			From: from, To: to, Worse: to != bench.OK && (from == bench.OK || rank(to) > rank(from))})
	}

	// Level changes, on the log of the OK values.
	idx, xs := s.okLogs()
	h := fnv.New64a()
	h.Write([]byte(s.Key + "\x00" + s.Metric))
	rng := rand.New(rand.NewPCG(opts.Seed, h.Sum64()))
	for _, c := range levelChanges(xs, opts, rng, scratch) {
		p := s.Points[idx[c.At]]
		before, after := math.Exp(c.Before), math.Exp(c.After)
		delta := 100 * (after/before - 1)
		pv := c.P
		worse := (s.Better == bench.Higher && after < before) || (s.Better == bench.Lower && after > before)
		out = append(out, ChangePoint{Kind: Level, Index: idx[c.At], Good: idx[c.At-1], Batch: p.Batch, Commit: p.Commit, Date: p.Date,
			Before: &before, After: &after, DeltaPct: &delta, PValue: &pv, Worse: worse})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// rank orders failures by severity: an error is worse than running out of memory.
func rank(o bench.Outcome) int {
	switch o {
	case bench.OOM:
		return 1
	case bench.Error:
		return 2
	}
	return 0
}

// A Change is a level change point in a series of log values.
type Change struct {
	// At is the index of the first value after the change.
	At int
	// Before and After are the mean log values of the segments either side.
	Before, After float64
	// P is the permutation test's p-value for the split that found it.
	P float64
}

// scratch is memory reused across the series of a history.
type scratch struct {
	buf, split []float64
}

// levelChanges finds the change points of xs (log values, in time order) by E-divisive means
// with a permutation test, keeping those whose step between their final neighbouring segments
// is at least opts.MinEffectPct:
//
//  1. In a segment, the split τ maximising the energy statistic
//     Q(τ, κ) = m·k/(m+k) · (2/(m·k)·Σ|xi−yj| − 2/(m(m−1))·Σ|xi−xi'| − 2/(k(k−1))·Σ|yj−yj'|)
//     over the left part x = the segment up to τ (length m) and a right part y from τ to
//     some κ (length k), both at least opts.MinSegment long, is the candidate.
//  2. Its p-value is the share of opts.Permutations random orders of the segment whose best
//     split scores at least as high (plus one, over permutations plus one). The test stops as
//     soon as the p-value cannot reach opts.Alpha any more.
//  3. Significant splits are accepted and both halves are searched again.
//  4. Change points are then judged between their final neighbours: while the smallest step
//     is below the minimum effect, it is removed and its neighbours merge. A change point
//     with fewer than opts.MinSegment runs on either side that lie on that side of the
//     midpoint between the two levels counts as no step: one slow night averaged with a
//     normal one into a short segment is not a change of level.
//
// A segment in which no two adjacent stretches of opts.MinSegment or more values differ in
// mean by the minimum effect is not searched: nothing found in it could be kept. This makes
// the search cheap for the many steady series of a sweep. sc's buffers are reused.
func levelChanges(xs []float64, opts Options, rng *rand.Rand, sc *scratch) []Change {
	minSeg := max(opts.MinSegment, 2)
	// The smallest log step of a kept change: a rise of the minimum effect (a fall of it is
	// a larger log step), so pruning with it never drops a change that could be kept.
	thresh := math.Log1p(opts.MinEffectPct / 100)
	d := &divider{xs: xs, minSeg: minSeg, rng: rng, alpha: opts.Alpha, perms: opts.Permutations, sc: sc}
	type seg struct{ a, b int }
	stack := []seg{{0, len(xs)}}
	found := map[int]float64{}
	for len(stack) > 0 {
		sg := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if sg.b-sg.a < 2*minSeg || stepBound(xs[sg.a:sg.b], minSeg) < thresh {
			continue
		}
		tau, p, ok := d.split(sg.a, sg.b)
		if !ok {
			continue
		}
		found[tau] = p
		stack = append(stack, seg{sg.a, tau}, seg{tau, sg.b})
	}
	cps := make([]int, 0, len(found))
	for t := range found {
		cps = append(cps, t)
	}
	sort.Ints(cps)
	prefix := make([]float64, len(xs)+1)
	for i, x := range xs {
		prefix[i+1] = prefix[i] + x
	}
	segMean := func(a, b int) float64 { return (prefix[b] - prefix[a]) / float64(b-a) }
	// neighbours returns the ends of the segments either side of the i-th change point.
	neighbours := func(i int) (a, b int) {
		a, b = 0, len(xs)
		if i > 0 {
			a = cps[i-1]
		}
		if i+1 < len(cps) {
			b = cps[i+1]
		}
		return a, b
	}
	// sided reports whether at least minSeg runs of each side of a change at t lie on their
	// own side of the midpoint between the levels: otherwise the step is one outlying run
	// averaged into a short segment (a slow night and a normal one, −10% and 0%, make a
	// segment 5% down), not a change of level.
	sided := func(a, t, b int) bool {
		lo, hi := segMean(a, t), segMean(t, b)
		mid := (lo + hi) / 2
		before, after := 0, 0
		for _, x := range xs[a:t] {
			if (x < mid) == (lo < hi) {
				before++
			}
		}
		for _, x := range xs[t:b] {
			if (x > mid) == (lo < hi) {
				after++
			}
		}
		return before >= minSeg && after >= minSeg
	}
	for {
		weakest, weakStep := -1, math.Inf(1)
		for i, t := range cps {
			a, b := neighbours(i)
			// The step in percent, as the gate measures a change: a 3% minimum effect
			// keeps −3% and +3%, not the log-symmetric −2.9%. A change not borne out by
			// minSeg runs on each side is dropped first.
			step := 100 * math.Abs(math.Expm1(segMean(t, b)-segMean(a, t)))
			if !sided(a, t, b) {
				step = -1 // dropped even at a minimum effect of 0
			}
			if step < weakStep {
				weakest, weakStep = i, step
			}
		}
		if weakest < 0 || weakStep >= opts.MinEffectPct {
			break
		}
		cps = append(cps[:weakest], cps[weakest+1:]...)
	}
	out := make([]Change, len(cps))
	for i, t := range cps {
		a, b := neighbours(i)
		out[i] = Change{At: t, Before: segMean(a, t), After: segMean(t, b), P: found[t]}
	}
	return out
}

// stepBound returns the largest difference between the means of two adjacent stretches of
// at least minSeg values of xs: an upper bound on the step of any change point that can be
// kept inside xs, since a kept change point's neighbouring segments are such stretches.
func stepBound(xs []float64, minSeg int) float64 {
	n := len(xs)
	if n < 2*minSeg {
		return 0
	}
	prefix := make([]float64, n+1)
	for i, x := range xs {
		prefix[i+1] = prefix[i] + x
	}
	bound := 0.0
	for t := minSeg; t <= n-minSeg; t++ {
		loL, hiL := math.Inf(1), math.Inf(-1)
		for a := t - minSeg; a >= 0; a-- {
			m := (prefix[t] - prefix[a]) / float64(t-a)
			loL, hiL = math.Min(loL, m), math.Max(hiL, m)
		}
		loR, hiR := math.Inf(1), math.Inf(-1)
		for b := t + minSeg; b <= n; b++ {
			m := (prefix[b] - prefix[t]) / float64(b-t)
			loR, hiR = math.Min(loR, m), math.Max(hiR, m)
		}
		bound = math.Max(bound, math.Max(hiL-loR, hiR-loL))
	}
	return bound
}

// A divider finds and tests the best split of segments of xs.
type divider struct {
	xs     []float64
	minSeg int
	rng    *rand.Rand
	alpha  float64
	perms  int
	sc     *scratch
}

// split returns the best split of xs[a:b], its p-value, and whether it is significant.
func (d *divider) split(a, b int) (tau int, p float64, ok bool) {
	seg := d.xs[a:b]
	best, q := bestSplit(seg, d.minSeg, &d.sc.split)
	if best < 0 || q <= 0 {
		return 0, 1, false
	}
	d.sc.buf = append(d.sc.buf[:0], seg...)
	// Permutations whose best split scores at least q; stop once p > alpha is certain.
	limit := int(math.Floor(d.alpha*float64(d.perms+1))) - 1
	hits := 0
	for i := 0; i < d.perms; i++ {
		buf := d.sc.buf
		d.rng.Shuffle(len(buf), func(i, j int) { buf[i], buf[j] = buf[j], buf[i] })
		if _, qp := bestSplit(d.sc.buf, d.minSeg, &d.sc.split); qp >= q {
			hits++
			if hits > limit {
				return a + best, float64(hits+1) / float64(i+2), false
			}
		}
	}
	p = float64(hits+1) / float64(d.perms+1)
	return a + best, p, p <= d.alpha
}

// bestSplit returns the split τ of xs maximising the energy statistic Q(τ, κ) between the
// left part xs[:τ] and a right part xs[τ:κ] (both at least minSeg long; κ ≤ len(xs) is free,
// as in Matteson and James's E-divisive, so that a change that is undone later in the segment
// still stands out), and Q there. It takes O(n²) time and O(n) space, with buf as scratch
// space: a history of thousands of nights needs kilobytes, not n² sums.
func bestSplit(xs []float64, minSeg int, buf *[]float64) (int, float64) {
	n := len(xs)
	need := 3*n + 1
	if cap(*buf) < need {
		*buf = make([]float64, need)
	}
	b := (*buf)[:need]
	// diag[y] is Σ|xy−xj| over j<y; col[y] is Σ|xy−xj| over j<τ for the current τ, kept up
	// to date as τ grows; within[τ] is Σ|xi−xj| over i<j<τ. Each sum adds its terms in
	// the order of j, so the statistic does not depend on how the sums are stored.
	diag, col, within := b[:n], b[n:2*n], b[2*n:need]
	for y := 0; y < n; y++ {
		x, d := xs[y], 0.0
		for j := 0; j < y; j++ {
			d += math.Abs(x - xs[j])
		}
		diag[y] = d
		col[y] = 0
	}
	within[0] = 0
	for t := 1; t <= n; t++ {
		within[t] = within[t-1] + diag[t-1]
	}
	best, bestQ := -1, math.Inf(-1)
	for t := 1; t <= n-minSeg; t++ {
		xt := xs[t-1]
		for y := t; y < n; y++ { // only col[y ≥ τ] is read
			col[y] += math.Abs(xs[y] - xt)
		}
		if t < minSeg {
			continue
		}
		m := float64(t)
		wl := 2 * within[t] / (m * (m - 1))
		between, wr := 0.0, 0.0
		for kappa := t + 1; kappa <= n; kappa++ {
			y := kappa - 1
			between += col[y]
			wr += diag[y] - col[y]
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

// okLogs returns the indexes in s.Points of its OK runs and the logs of their values.
func (s *Series) okLogs() (idx []int, xs []float64) {
	for i := range s.Points {
		if s.Points[i].OK() {
			idx = append(idx, i)
			xs = append(xs, math.Log(*s.Points[i].Value))
		}
	}
	return idx, xs
}
