package check

import (
	"math"
	"sort"

	"github.com/aclements/go-moremath/stats"
)

// This file holds what makes Mixture fast without changing what it computes: the per-config
// sufficient statistics (they do not depend on the fitted parameters, so Learn computes them
// once), a cache of the log-gamma values the marginal likelihood needs, the subsample a large
// store's hyperparameters are fitted on, and the root finder behind Judge's bound.

// cfgStats are the sufficient statistics of one config's baseline history g (signed logs):
// everything hypotheses needs of g.
type cfgStats struct {
	n           int
	logN, logN1 float64 // log n, log(n-1)
	mean, v     float64 // mean and variance of all runs
	// loo are the leave-one-out sets whose left-out run lies below the mean of the others
	// (the candidates for a slow run), in run order.
	loo []looStats
}

// looStats are the statistics of g without run i.
type looStats struct {
	i       int
	mean, v float64 // mean and variance of the runs kept
	d       float64 // the left-out run's signed distance from the kept runs' mean (< 0)
}

// statsOf returns g's statistics, appending its leave-one-out sets to loo (whose new tail
// the result's loo aliases) and using kept as scratch.
func statsOf(g []float64, loo []looStats, kept []float64) (cfgStats, []looStats, []float64) {
	st := cfgStats{n: len(g), logN: math.Log(float64(len(g))), logN1: math.Log(float64(len(g) - 1)), mean: mean(g), v: variance(g)}
	if len(g) < 3 {
		return st, loo, kept
	}
	start := len(loo)
	for i := range g {
		kept = append(append(kept[:0], g[:i]...), g[i+1:]...)
		mk := mean(kept)
		d := g[i] - mk
		if d >= 0 {
			continue // a slow run lies below the others
		}
		loo = append(loo, looStats{i: i, mean: mk, v: variance(kept), d: d})
	}
	st.loo = loo[start:len(loo):len(loo)]
	return st, loo, kept
}

// lgCache caches lgamma(df/2) and lgamma((df+m)/2) per prior weight df and residual degrees
// of freedom m: a fit asks for the same few thousands of times. A nil cache computes.
type lgCache struct {
	entries []lgEntry
	// frozen caches are only read (Judge may run concurrently): what they miss is computed.
	frozen bool
}

type lgEntry struct {
	df   float64
	half float64   // lgamma(df/2)
	byM  []float64 // lgamma((df+m)/2) by integer m, NaN where not yet computed
}

func lgamma(x float64) float64 { v, _ := math.Lgamma(x); return v }

func (c *lgCache) entry(df float64) *lgEntry {
	for i := range c.entries {
		if c.entries[i].df == df {
			return &c.entries[i]
		}
	}
	if c.frozen {
		return nil
	}
	c.entries = append(c.entries, lgEntry{df: df, half: lgamma(df / 2)})
	return &c.entries[len(c.entries)-1]
}

// half returns lgamma(df/2).
func (c *lgCache) half(df float64) float64 {
	if c == nil {
		return lgamma(df / 2)
	}
	e := c.entry(df)
	if e == nil {
		return lgamma(df / 2)
	}
	return e.half
}

// post returns lgamma((df+m)/2).
func (c *lgCache) post(df, m float64) float64 {
	im := int(m)
	if c == nil || float64(im) != m || im < 0 || im > 4096 {
		return lgamma((df + m) / 2)
	}
	e := c.entry(df)
	if e == nil || c.frozen && (im >= len(e.byM) || math.IsNaN(e.byM[im])) {
		return lgamma((df + m) / 2)
	}
	for len(e.byM) <= im {
		e.byM = append(e.byM, math.NaN())
	}
	if v := e.byM[im]; !math.IsNaN(v) {
		return v
	}
	v := lgamma((df + m) / 2)
	e.byM[im] = v
	return v
}

// freeze returns a read-only cache of the lgamma values a config of up to maxM residual
// degrees of freedom needs under priors.
func freeze(priors [2]classPrior, maxM int) *lgCache {
	c := &lgCache{}
	for _, p := range priors {
		c.half(p.df)
		for m := 0; m <= maxM; m++ {
			c.post(p.df, float64(m))
		}
	}
	c.frozen = true
	return c
}

var log2Pi = math.Log(2 * math.Pi)

// classConsts are the parts of a class's hypotheses' weights that depend only on the fitted
// parameters (and on the config's prior probability of the class), not on its runs.
type classConsts struct {
	prior                    classPrior
	logPc, priorTerm, lgHalf float64 // log of the class probability; logMarginal's prior parts
	logRest, logSlow         float64 // log(1-ρ), log ρ
}

// constsOf returns class's constants when its prior probability is pc.
func (f *mixFit) constsOf(class int, pc float64, lc *lgCache) classConsts {
	prior := f.classes[class]
	return classConsts{
		prior:     prior,
		logPc:     math.Log(pc),
		priorTerm: prior.df / 2 * math.Log(prior.df*prior.s2/2),
		lgHalf:    lc.half(prior.df),
		logRest:   math.Log1p(-f.slowRate),
		logSlow:   math.Log(f.slowRate),
	}
}

// classConstsOf returns both classes' constants under noisy-class probability share.
func (f *mixFit) classConstsOf(share float64, lc *lgCache) [2]classConsts {
	return [2]classConsts{f.constsOf(steadyClass, 1-share, lc), f.constsOf(noisyClass, share, lc)}
}

// classHypotheses appends to hs the hypotheses of one class, of constants cc, for a config
// with statistics st and k new runs of mean meanY and residual sum of squares ssY; their w
// holds the log weight, unnormalised.
func (f *mixFit) classHypotheses(hs []hypothesis, st *cfgStats, class int, cc *classConsts, k int, meanY, ssY float64, lc *lgCache) []hypothesis {
	n := st.n
	prior := cc.prior
	km := float64(max(k-1, 0))
	var logK float64
	if k > 0 {
		logK = math.Log(float64(k))
	}
	add := func(slow, nk int, logNk, mk, vk, extra float64) {
		m := float64(nk-1) + km
		ss := vk*float64(nk-1) + ssY
		lm := -0.5*logNk - m/2*log2Pi + cc.priorTerm - cc.lgHalf + lc.post(prior.df, m) - (prior.df+m)/2*math.Log((prior.df*prior.s2+ss)/2)
		if k > 0 {
			lm -= 0.5 * logK
		}
		h := hypothesis{class: class, slow: slow, prior: prior, w: cc.logPc + extra + lm, m: m, ss: ss, n: nk}
		if k > 0 {
			h.loc = meanY - mk
		}
		hs = append(hs, h)
	}
	add(-1, n, st.logN, st.mean, st.v, float64(n)*cc.logRest)
	if n < 3 || len(st.loo) == 0 {
		return hs
	}
	// The slow run's density: a uniform shift convolved with the run noise.
	tau := math.Sqrt(prior.s2 * (1 + 1/float64(n-1)))
	norm := stats.NormalDist{Mu: 0, Sigma: tau}
	for _, o := range st.loo {
		p := (norm.CDF(o.d+slowHi) - norm.CDF(o.d+slowLo)) / (slowHi - slowLo)
		if p <= 0 {
			continue
		}
		add(o.i, n-1, st.logN1, o.mean, o.v, cc.logSlow+float64(n-1)*cc.logRest+math.Log(p))
	}
	return hs
}

// weigh is hypotheses on a config's statistics: it appends the config's hypotheses to hs[:0]
// and normalises their weights. cc are the classes' constants under share (nil: computed here).
func (f *mixFit) weigh(hs []hypothesis, st *cfgStats, k int, meanY, ssY, share float64, cc *[2]classConsts, lc *lgCache) []hypothesis {
	if cc == nil {
		c := f.classConstsOf(share, lc)
		cc = &c
	}
	hs = hs[:0]
	for class := range f.classes {
		hs = f.classHypotheses(hs, st, class, &cc[class], k, meanY, ssY, lc)
	}
	normalise(hs)
	return hs
}

// normalise turns the log weights of hs into weights summing to 1.
func normalise(hs []hypothesis) {
	top := math.Inf(-1)
	for _, h := range hs {
		top = math.Max(top, h.w)
	}
	var sum float64
	for i := range hs {
		hs[i].w = math.Exp(hs[i].w - top)
		sum += hs[i].w
	}
	for i := range hs {
		hs[i].w /= sum
	}
}

// fitCap is the most configs the store-wide hyperparameters are fitted on: a larger store is
// fitted on an evenly spread subsample (see Mixture).
const fitCap = 400

// fitSample returns the indexes of the configs, of keys, to fit on: all of them when there
// are at most fitCap, else fitCap of them evenly spread over the sorted keys.
func fitSample(keys []string) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	if len(keys) <= fitCap {
		return idx
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	out := make([]int, fitCap)
	for i := range out {
		out[i] = idx[i*len(idx)/fitCap]
	}
	sort.Ints(out)
	return out
}

// boundTol is the accuracy of Judge's bound, in log units: far below the 0.01% it is shown to.
const boundTol = 1e-12

// newtonStop is the Newton step below which the next step would be smaller than boundTol: the
// error after a step is about the square of the step over the curve's scale.
const newtonStop = 1e-7

// onStack returns n values in buf when they fit (a posterior has a few components), else on
// the heap.
func onStack(buf *[16]float64, n int) []float64 {
	if n <= len(buf) {
		return buf[:n]
	}
	return make([]float64, n)
}

// quantile returns the x at which the mixture's CDF is y (0 < y < 1), by Newton's method
// (on log F in the lower tail) from the dominant component's quantile, kept inside a bracket that bisection shrinks when
// a Newton step would leave it.
func (p posterior) quantile(y float64) float64 {
	if !(y > 0 && y < 1) || len(p.w) == 0 {
		return stats.InvCDF(p)(y)
	}
	dom := 0
	for i := range p.w {
		if p.w[i] > p.w[dom] {
			dom = i
		}
	}
	// Normalising constants of the components' densities.
	var cst [16]float64
	norm := onStack(&cst, len(p.w))
	for i := range p.w {
		v := p.df[i]
		norm[i] = p.w[i] / p.scale[i] * math.Exp(p.lgRatio[i]) / math.Sqrt(v*math.Pi)
	}
	pdf := func(x float64) float64 { // only guides the steps: its rounding does not matter
		var d float64
		for i := range p.w {
			t := (x - p.loc[i]) / p.scale[i]
			v := p.df[i]
			d += norm[i] * math.Exp(-(v+1)/2*math.Log1p(t*t/v))
		}
		return d
	}
	// The CDF as posterior.CDF computes it, bit for bit, with each component's Beta
	// function constant computed once rather than at every step.
	var lbs [16]float64
	lb := onStack(&lbs, len(p.w))
	for i := range p.w {
		lb[i] = tBetaConst(p.df[i])
	}
	cdf := func(x float64) float64 {
		var c float64
		for i := range p.w {
			c += p.w[i] * tCDF((x-p.loc[i])/p.scale[i], p.df[i], lb[i])
		}
		return c
	}
	x := p.loc[dom] - p.scale[dom]*tQuantile(y, p.df[dom])
	if y > 0.5 {
		x = p.loc[dom] + p.scale[dom]*tQuantile(1-y, p.df[dom])
	}
	// Bracket the root: lo below, hi above.
	lo, hi := math.Inf(-1), math.Inf(1)
	step := p.scale[dom]
	fx := cdf(x) - y
	for iter := 0; iter < 200 && fx != 0; iter++ {
		if fx < 0 {
			lo = x
		} else {
			hi = x
		}
		next := x - fx/pdf(x)
		if y < 0.5 && fx+y > 0 { // Newton on log F: the lower tail is nearly log-linear
			next = x - math.Log1p(fx/y)*(fx+y)/pdf(x)
		}
		newton := !(math.IsNaN(next) || next <= lo || next >= hi)
		if newton && math.Abs(next-x) < newtonStop {
			return next // converging quadratically: next is within boundTol
		}
		if !newton {
			switch { // Newton would leave the bracket: widen it or bisect
			case math.IsInf(lo, -1):
				next, step = x-step, 2*step
			case math.IsInf(hi, 1):
				next, step = x+step, 2*step
			default:
				next = lo + (hi-lo)/2
			}
		}
		if math.Abs(next-x) < boundTol || hi-lo < boundTol {
			return next
		}
		x = next
		fx = cdf(x) - y
	}
	return x
}

// tBetaConst returns the log of 1/B(v/2, 1/2) as mathx.BetaInc computes it for the Student t
// CDF of v degrees of freedom.
func tBetaConst(v float64) float64 {
	a, b := v/2, 0.5
	return lgamma(a+b) - lgamma(a) - lgamma(b)
}

// tCDF is stats.TDist{V: v}.CDF(x), bit for bit, given lb = tBetaConst(v): the same
// operations in the same order (go-moremath's TDist.CDF, mathx.BetaInc and betacf), without
// recomputing three log-gammas per call.
func tCDF(x, v, lb float64) float64 {
	switch {
	case x == 0:
		return 0.5
	case x > 0:
		return 1 - 0.5*betaIncT(v/(v+x*x), v/2, 0.5, lb)
	case x < 0:
		return 1 - tCDF(-x, v, lb)
	}
	return math.NaN()
}

// betaIncT is mathx.BetaInc(x, a, b) given lb = lgamma(a+b) - lgamma(a) - lgamma(b).
func betaIncT(x, a, b, lb float64) float64 {
	if x < 0 || x > 1 {
		return math.NaN()
	}
	bt := 0.0
	if 0 < x && x < 1 {
		bt = math.Exp(lb +
			a*math.Log(x) + b*math.Log(1-x))
	}
	if x < (a+1)/(a+b+2) {
		return bt * betacf(x, a, b) / a
	}
	return 1 - bt*betacf(1-x, b, a)/b
}

// betacf is mathx's continued fraction for the incomplete beta function, verbatim.
func betacf(x, a, b float64) float64 {
	const maxIterations = 200
	const epsilon = 3e-14

	raiseZero := func(z float64) float64 {
		if math.Abs(z) < math.SmallestNonzeroFloat64 {
			return math.SmallestNonzeroFloat64
		}
		return z
	}

	c := 1.0
	d := 1 / raiseZero(1-(a+b)*x/(a+1))
	h := d
	for m := 1; m <= maxIterations; m++ {
		mf := float64(m)

		numer := mf * (b - mf) * x / ((a + 2*mf - 1) * (a + 2*mf))
		d = 1 / raiseZero(1+numer*d)
		c = raiseZero(1 + numer/c)
		h *= d * c

		numer = -(a + mf) * (a + b + mf) * x / ((a + 2*mf) * (a + 2*mf + 1))
		d = 1 / raiseZero(1+numer*d)
		c = raiseZero(1 + numer/c)
		hfac := d * c
		h *= hfac

		if math.Abs(hfac-1) < epsilon {
			return h
		}
	}
	panic("betainc: a or b too big; failed to converge")
}
