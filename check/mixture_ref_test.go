//go:build equiv

// The mixture test as it was before mixture_fast.go (commit c378859), kept to check that the
// fast path computes the same: go test -tags equiv ./check -run Equiv.
package check

import (
	"math"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/bench"
)

// Mixture is a test for histories as they are, short and sometimes contaminated. It weighs
// explicit hypotheses about each config's baseline instead of switching between them:
//
//   - the config's noise class, steady or noisy: each class has an inverse-chi-square prior
//     on the config's run-to-run variance (scale s², weight d degrees of freedom), and a
//     config is noisy with prior probability π (or what the store's git history showed of it,
//     Options.NoisyMemory);
//   - whether one of its baseline runs landed on a slow node: each run independently with
//     probability ρ, 2–20% (uniformly) on the slow side of the config's level.
//
// The class scales, π and ρ are fitted over the whole store by EM (empirical Bayes), starting
// from the robust pooled noise (robustPool). For one config, every combination of class and
// slow run is weighed by its marginal likelihood, and the change new-over-baseline gets a
// refPosterior that is a mixture of Student t distributions (flat priors on the config's level
// and on the change). The probability that the new runs are worse is that refPosterior's mass on
// the worse side: a refPosterior-predictive probability that Compare corrects like a p-value. A
// long steady history leaves one refHyp standing and the test becomes a moderated t test
// whose prior weight and "noisier" decision are fitted rather than fixed; a short one keeps
// every plausible refHyp in play, so a config that merely looked quiet in three runs is
// not given a hair trigger, and one slow run neither widens the bound to uselessness nor drags
// the centre down.
type refMixture struct{}

// Name implements Test.
func (refMixture) Name() string { return "mixture" }

// The fixed parts of the model: the slow-node shift range (as log ratios: 3–15% below the
// level, wider than the 4–10% measured on slow nodes, so that it says "clearly slower" rather
// than "as slow as in our simulation") and the prior weights of the two class priors.

// refFit is what Mixture learned from one metric's baseline.
type refFit struct {
	ok       bool
	sign     float64 // +1 when higher is better: slow runs lie below the level of sign·log
	classes  [2]classPrior
	share    float64 // π, the prior probability that a config is noisy
	slowRate float64 // ρ, the prior probability that a baseline run is slow
	pooled   float64 // the robust pooled variance
	// poolConfigs is the number of configs pooled (those with 2 runs or more).
	poolConfigs int
	memory      *Memory
	// info is, per class, the degrees of freedom its scale was estimated from (the
	// responsibility-weighted residual degrees of freedom of its configs): a class prior may
	// weigh no more than that, or a class of two or three configs would pass its estimate off
	// as known.
	info [2]float64
}

// Learn implements Test: it fits the mixture over every config's history.
func (refMixture) Learn(_ string, suite []History, opts Options) Learned {
	f := &refFit{sign: 1, memory: opts.NoisyMemory}
	var hs [][]float64
	for _, h := range suite {
		if h.Better == bench.Lower {
			f.sign = -1
		}
	}
	for _, h := range suite {
		if len(h.Points) >= 2 {
			hs = append(hs, refSigned(h.Points, f.sign))
		}
	}
	pool, ok := robustPool(hs)
	if !ok {
		return f
	}
	f.ok, f.pooled, f.poolConfigs = true, pool, len(hs)
	f.classes = [2]classPrior{{pool, steadyDF}, {6 * pool, noisyDF}}
	f.share, f.slowRate = 0.15, 0.03
	// EM for the scales, the noisy share and the slow-run rate at fixed prior weights, then
	// the prior weights (how alike the configs of a class are) by maximum marginal likelihood
	// over a grid, and EM again.
	for pass := 0; pass < 3; pass++ {
		f.em(hs)
		if pass == 2 {
			break
		}
		best, bestDF := math.Inf(-1), [2]float64{}
		noisyGrid, remembered := refDfGrid, false
		if m := f.memory; m != nil && m.NoisyPct > 0 {
			// the remembered noisy class keeps its own weight
			noisyGrid, remembered = []float64{math.Max(m.NoisyDF, refDfGrid[0])}, true
		}
		for _, ds := range refDfGrid {
			for _, dn := range noisyGrid {
				if ds > math.Max(f.info[steadyClass], refDfGrid[0]) || !remembered && dn > math.Max(f.info[noisyClass], refDfGrid[0]) {
					continue // more weight than the class's data can give
				}
				f.classes[steadyClass].df, f.classes[noisyClass].df = ds, dn
				var ll float64
				for _, g := range hs {
					_, le := f.hypotheses(g, nil, f.share)
					ll += le
				}
				if ll > best {
					best, bestDF = ll, [2]float64{ds, dn}
				}
			}
		}
		f.classes[steadyClass].df, f.classes[noisyClass].df = bestDF[0], bestDF[1]
	}
	for c := range f.classes {
		f.classes[c].df = math.Min(f.classes[c].df, math.Max(f.info[c], refDfGrid[0]))
	}
	if m := f.memory; m != nil && m.NoisyPct > 0 {
		f.classes[noisyClass] = classPrior{(m.NoisyPct / 100) * (m.NoisyPct / 100), math.Max(m.NoisyDF, refDfGrid[0])}
	}
	return f
}

// em fits the class scales, the noisy share and the slow-run rate to the histories hs.
func (f *refFit) em(hs [][]float64) {
	for round := 0; round < emRounds; round++ {
		prev, prevShare, prevRate := f.classes[steadyClass].s2, f.share, f.slowRate
		var noisy, slow, runs, configs float64
		var resp [2]float64   // Σ responsibilities per class
		var invVar [2]float64 // Σ responsibility × E[1/σ²] per class
		f.info = [2]float64{}
		for _, g := range hs { // the E step, accumulating the M step's sums
			hyps, _ := f.hypotheses(g, nil, f.share)
			for _, hp := range hyps {
				resp[hp.class] += hp.w
				f.info[hp.class] += hp.w * hp.m
				invVar[hp.class] += hp.w * (hp.prior.df + hp.m) / (hp.prior.df*hp.prior.s2 + hp.ss)
				if hp.class == noisyClass {
					noisy += hp.w
				}
				if hp.slow >= 0 {
					slow += hp.w
				}
			}
			runs += float64(len(g))
			configs++
		}
		// The M step, with weak priors that keep a small store's fit regular: π near 1/6,
		// ρ near 2%, the noisy class at least twice the steady standard deviation.
		f.share = refClamp((noisy+1)/(configs+6), 0.02, 0.5)
		f.slowRate = refClamp((slow+0.5)/(runs+25), 0.002, 0.2)
		for c := range f.classes {
			if resp[c] > 0.5 {
				f.classes[c].s2 = resp[c] / invVar[c]
			}
		}
		f.classes[steadyClass].s2 = math.Max(f.classes[steadyClass].s2, minSigma*minSigma)
		f.classes[noisyClass].s2 = math.Max(f.classes[noisyClass].s2, noisyRatio*f.classes[steadyClass].s2)
		if m := f.memory; m != nil && m.NoisyPct > 0 {
			// The longer history knows the noisy class better than the window.
			f.classes[noisyClass] = classPrior{(m.NoisyPct / 100) * (m.NoisyPct / 100), math.Max(m.NoisyDF, refDfGrid[0])}
		}
		if math.Abs(f.classes[steadyClass].s2/prev-1) < 1e-4 && math.Abs(f.share-prevShare) < 1e-4 && math.Abs(f.slowRate-prevRate) < 1e-5 {
			break // converged
		}
	}
}

// refDfGrid are the prior weights, in degrees of freedom, the fit chooses among for each class.
var refDfGrid = []float64{4, 7, 12, 20, 35, 60}

// signed returns sign·log of the points, so that slow runs lie low.
func refSigned(ps []Point, sign float64) []float64 {
	g := make([]float64, len(ps))
	for i, p := range ps {
		g[i] = sign * p.Log
	}
	return g
}

// A refHyp about one config: its class and which baseline run, if any, was slow.
type refHyp struct {
	class int
	slow  int // index of the slow baseline run, -1 for none
	prior classPrior
	w     float64 // refPosterior weight (normalised over the config's hypotheses)
	m     float64 // residual degrees of freedom of the data kept
	ss    float64 // residual sum of squares of the data kept
	loc   float64 // refPosterior location of the change (new minus kept baseline, signed)
	n     int     // baseline runs kept
	drop  float64 // the slow run's signed distance from the other runs' mean
}

// hypotheses weighs every refHyp for baseline g and new runs y (signed logs; y may be
// empty while fitting) with prior noisy-class probability share. It also returns the log
// marginal likelihood of the data (the log of the weights' sum before normalising).
func (f *refFit) hypotheses(g, y []float64, share float64) ([]refHyp, float64) {
	n, k := len(g), len(y)
	var ssY, meanY float64
	if k > 0 {
		meanY = mean(y)
		ssY = variance(y) * float64(k-1)
	}
	var hs []refHyp
	logRest := math.Log1p(-f.slowRate)
	for class := range f.classes {
		pc := share
		if class == steadyClass {
			pc = 1 - share
		}
		prior := f.classes[class]
		add := func(slow int, kept []float64, extra float64) {
			nk := len(kept)
			m := float64(nk-1) + float64(max(k-1, 0))
			ss := variance(kept)*float64(nk-1) + ssY
			lw := math.Log(pc) + extra + refLogMarginal(prior, ss, m, nk, k)
			h := refHyp{class: class, slow: slow, prior: prior, w: lw, m: m, ss: ss, n: nk}
			if k > 0 {
				h.loc = meanY - mean(kept)
			}
			if slow >= 0 {
				h.drop = g[slow] - mean(kept)
			}
			hs = append(hs, h)
		}
		add(-1, g, float64(n)*logRest)
		if n < 3 {
			continue
		}
		kept := make([]float64, 0, n-1)
		for i := range g {
			kept = append(kept[:0], g[:i]...)
			kept = append(kept, g[i+1:]...)
			d := g[i] - mean(kept)
			if d >= 0 {
				continue // a slow run lies below the others
			}
			// The slow run's density: a uniform shift convolved with the run noise.
			tau := math.Sqrt(prior.s2 * (1 + 1/float64(n-1)))
			norm := stats.NormalDist{Mu: 0, Sigma: tau}
			p := (norm.CDF(d+slowHi) - norm.CDF(d+slowLo)) / (slowHi - slowLo)
			if p <= 0 {
				continue
			}
			add(i, kept, math.Log(f.slowRate)+float64(n-1)*logRest+math.Log(p))
		}
	}
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
	return hs, top + math.Log(sum)
}

// refLogMarginal is the log marginal likelihood of residual sum of squares ss on m degrees of
// freedom (n baseline and k new runs, their levels integrated out under flat priors) when
// the variance has an inverse-chi-square prior.
func refLogMarginal(p classPrior, ss, m float64, n, k int) float64 {
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	l := -0.5*math.Log(float64(n)) - m/2*math.Log(2*math.Pi) +
		p.df/2*math.Log(p.df*p.s2/2) - lg(p.df/2) + lg((p.df+m)/2) - (p.df+m)/2*math.Log((p.df*p.s2+ss)/2)
	if k > 0 {
		l -= 0.5 * math.Log(float64(k))
	}
	return l
}

// refPosterior is the mixture of Student t refPosteriors of the signed change.
type refPosterior struct {
	w, loc, scale, df []float64
}

// CDF implements stats.DistCommon.
func (p refPosterior) CDF(x float64) float64 {
	var c float64
	for i := range p.w {
		c += p.w[i] * stats.TDist{V: p.df[i]}.CDF((x-p.loc[i])/p.scale[i])
	}
	return c
}

// Bounds implements stats.DistCommon.
func (p refPosterior) Bounds() (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range p.w {
		lo = math.Min(lo, p.loc[i]-8*p.scale[i])
		hi = math.Max(hi, p.loc[i]+8*p.scale[i])
	}
	return lo, hi
}

// Judge implements Learned.
func (f *refFit) Judge(base, cur []Point, opts Options) (Evidence, bool) {
	if !f.usable(base, opts) {
		return Evidence{}, false
	}
	g, y := refSigned(base, f.sign), refSigned(cur, f.sign)
	hs, _ := f.hypotheses(g, y, f.shareOf(base))
	var post refPosterior
	var avg, noise, pNoisy, pSlow float64
	slowW := make([]float64, len(g))
	for _, h := range hs {
		if h.w < 1e-6 {
			continue // too light to move a tail probability the gate could use
		}
		v := (h.prior.df*h.prior.s2 + h.ss) / (h.prior.df + h.m)
		post.w = append(post.w, h.w)
		post.loc = append(post.loc, h.loc)
		post.scale = append(post.scale, math.Sqrt(v*(1/float64(h.n)+1/float64(len(y)))))
		post.df = append(post.df, h.prior.df+h.m)
		avg += h.w * h.loc
		noise += h.w * v
		if h.class == noisyClass {
			pNoisy += h.w
		}
		if h.slow >= 0 {
			pSlow += h.w
			slowW[h.slow] += h.w
		}
	}
	// The signed change is the change in the better direction: P(worse) = P(signed < 0).
	pWorse := post.CDF(0)
	ev := Evidence{
		Diff:     f.sign * avg,
		NoisePct: 100 * math.Sqrt(noise),
		Short:    len(base) < shortRuns,
	}
	if f.sign > 0 {
		ev.PLower, ev.PHigher = 1-pWorse, pWorse
	} else {
		ev.PLower, ev.PHigher = pWorse, 1-pWorse
	}
	centred := refPosterior{w: post.w, loc: make([]float64, len(post.loc)), scale: post.scale, df: post.df}
	for i := range post.loc {
		centred.loc[i] = post.loc[i] - avg
	}
	inv := stats.InvCDF(centred)
	ev.Bound = func(level float64) float64 { return inv(1 - level) } // the worse direction's
	ev.Caveats = append(ev.Caveats, NoiseClass{Noisy: pNoisy >= 0.5, PNoisy: pNoisy, NoisePct: ev.NoisePct})
	for i, w := range slowW {
		if w >= 0.5 {
			rest := make([]float64, 0, len(g)-1)
			rest = append(append(rest, g[:i]...), g[i+1:]...)
			below := 100 * (1 - math.Exp(g[i]-mean(rest)))
			ev.Caveats = append(ev.Caveats, SlowBaselineRun{Batch: base[i].Batch, Source: base[i].Source, BelowPct: below, Prob: w})
		}
	}
	ev.Contaminated = pSlow >= 0.2
	return ev, true
}

// shareOf returns the prior probability that the config of these points is noisy: what the
// store's history remembers of it, else the fitted share.
func (f *refFit) shareOf(base []Point) float64 {
	if f.memory == nil {
		return f.share
	}
	if p, ok := f.memory.Noisy[base[0].Key]; ok {
		return refClamp(p, memoryDoubt, 1-memoryDoubt)
	}
	return f.share
}

func (f *refFit) usable(base []Point, opts Options) bool {
	return f.ok && len(base) >= opts.MinHistoryRuns && len(base) >= 2
}

// Noise implements Learned: the noise the test expects for the config, weighing its classes.
func (f *refFit) Noise(base []Point, opts Options) (float64, bool) {
	if !f.usable(base, opts) {
		return 0, false
	}
	var v float64
	hs, _ := f.hypotheses(refSigned(base, f.sign), nil, f.shareOf(base))
	for _, h := range hs {
		v += h.w * (h.prior.df*h.prior.s2 + h.ss) / (h.prior.df + h.m)
	}
	return 100 * math.Sqrt(v), true
}

// Pooled implements Learned: the robust pooled noise.
func (f *refFit) Pooled() Pool {
	if !f.ok {
		return Pool{}
	}
	return Pool{NoisePct: 100 * math.Sqrt(f.pooled), Configs: f.poolConfigs, MinRuns: 2}
}

func refClamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }
