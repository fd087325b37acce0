package history

import (
	"math"
	"slices"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/bench"
)

// drift returns the slide for the worse of s at its newest run, or nil. A slow slide of a
// fraction of a percent a night never steps by the minimum effect, so change points miss it
// and the gate's rolling window moves with it. drift compares two levels on log values:
//
//   - the newest: the median of the newest opts.DriftRuns OK runs;
//   - the reference: the median of the opts.Window OK runs ending opts.Window runs before the
//     newest (the runs the gate compared with a window ago);
//
// and reports a drift when the newest is worse by at least the minimum effect and by at least
// opts.DriftZ standard errors, the newest run is worse by half of that, and the range to
// bisect, the reference window's last run to the newest, holds the slide: that run is less
// than half of it worse than the reference, and the newest level is worse than that of the
// window's last k runs by half the minimum effect (a step inside the reference window is not
// in that range). The standard error comes from the series' own run-to-run
// noise, estimated robustly (the MAD of successive differences, which neither a slide nor an
// outlying night inflates) over all its runs, for
// medians (π/2 the variance of a mean). The newest run must be OK (an outcome change alerts
// otherwise), and the reference needs at least half a window of runs.
//
// The drift is returned even when level change points explain it (explainedBy): whether they
// do depends on which of them alert tonight, which Alerts decides. A change point split out
// of a slide weeks ago alerts on no night of the slide's end, so it cannot stand in for it.
func drift(s *Series, opts Options) *ChangePoint {
	k, w := opts.DriftRuns, max(opts.Window, 1)
	if k <= 0 || len(s.Points) == 0 || !s.Points[len(s.Points)-1].OK() {
		return nil
	}
	idx, xs := s.okLogs()
	n := len(xs)
	refEnd := n - 1 - w // index in xs of the reference window's last run
	refStart := max(refEnd-w+1, 0)
	if refEnd < 0 || refEnd-refStart+1 < max((w+1)/2, k) || n-k <= refEnd {
		return nil
	}
	newest := median(xs[n-k:])
	ref := median(xs[refStart : refEnd+1])
	d := newest - ref
	step := 100 * math.Expm1(d)
	worse := (s.Better == bench.Higher && step <= -opts.MinEffectPct) || (s.Better == bench.Lower && step >= opts.MinEffectPct)
	if !worse {
		return nil
	}
	// The slide must still hold tonight (the newest run is worse by half of it: a change
	// undone tonight is not sliding), and must have happened after the reference window's
	// last run, which starts the range to bisect: that run is on the reference's side of the
	// midpoint, and the newest level is worse than that of the window's last k runs by half
	// the minimum effect (else the change is inside the window).
	half := math.Log1p(opts.MinEffectPct/100) / 2
	endLevel := median(xs[refEnd-k+1 : refEnd+1])
	if (xs[n-1]-ref)/d < 0.5 || (xs[refEnd]-ref)/d >= 0.5 || math.Abs(newest-endLevel) < half || (newest-endLevel)*d < 0 {
		return nil
	}
	se := noise(xs) * math.Sqrt(math.Pi/2*(1/float64(k)+1/float64(refEnd-refStart+1)))
	z := math.Inf(1)
	if se > 0 {
		z = math.Abs(d) / se
	}
	if z < opts.DriftZ {
		return nil
	}
	// What explains it by steps: the level change points after the reference window's first
	// run that stepped, night over night (the median of the k runs after less that of the k
	// before is at least half the change point's step), with their jumps; explainedBy sums
	// those of the change points that alert. A step alerts as a change point; a slow slide
	// that E-divisive split somewhere has change points too, but no night there jumped by much.
	var jumps []cpJump
	for _, cp := range s.ChangePoints {
		if cp.Kind != Level || cp.Index <= idx[refStart] {
			continue
		}
		at, _ := slices.BinarySearch(idx, cp.Index)
		jump := median(xs[at:min(at+k, n)]) - median(xs[max(at-k, 0):at])
		if j := math.Log(*cp.After / *cp.Before); jump/j >= 0.5 {
			jumps = append(jumps, cpJump{index: cp.Index, jump: jump})
		}
	}
	// The range to bisect starts at the first of the reference window's last k runs: a
	// change inside those runs (with the last on the good side only by noise) is in it.
	p, g := s.Points[idx[n-1]], idx[refEnd-k+1]
	before, after := math.Exp(ref), math.Exp(newest)
	return &ChangePoint{Kind: Drift, Index: idx[n-1], Good: g, Batch: p.Batch, Commit: p.Commit, Date: p.Date,
		Before: &before, After: &after, DeltaPct: &step, Z: &z, Worse: true, jumps: jumps, slide: d}
}

// A cpJump is how far the level jumped, night over night (log), at the level change point
// whose first run is Points[index]: what it explains of a drift.
type cpJump struct {
	index int
	jump  float64
}

// explainedBy reports whether the level change points cps explain drift d: their jumps
// within its range make up half its slide or more. Only the change points that alert on the
// night the drift is measured may explain it (Alerts): one that no longer alerts says nothing
// about tonight, however much it once explained.
func (d *ChangePoint) explainedBy(cps []ChangePoint) bool {
	sum := 0.0
	for _, j := range d.jumps {
		if slices.ContainsFunc(cps, func(cp ChangePoint) bool { return cp.Kind == Level && cp.Index == j.index }) {
			sum += j.jump
		}
	}
	return d.slide != 0 && sum/d.slide >= 0.5
}

// noise returns the standard deviation of one run from the series' run-to-run noise: from
// every run (log values xs), so the more runs, the less a run of quiet nights shrinks the
// estimate (steps, slides and outliers barely move a MAD of successive differences).
func noise(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	diffs := make([]float64, 0, len(xs)-1)
	for i := 1; i < len(xs); i++ {
		diffs = append(diffs, xs[i]-xs[i-1])
	}
	return 1.4826 * mad(diffs) / math.Sqrt2
}

// median returns the median of xs without changing it (go-moremath sorts a copy).
func median(xs []float64) float64 { return stats.Sample{Xs: xs}.Quantile(0.5) }

// mad returns the median absolute deviation of xs from their median.
func mad(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	m := median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - m)
	}
	return median(dev)
}
