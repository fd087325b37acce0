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
//     probability ρ, 3–15% (uniformly, slowLo–slowHi) on the slow side of the config's level.
//
// The class scales, π and ρ are fitted over the whole store by EM (empirical Bayes), starting
// from the robust pooled noise (robustPool); when the store's longer history knows the noisy
// class (Options.NoisyMemory), it is kept instead of refitted (rememberedNoisy). A store of more than fitCap (400) configs fits
// them on fitCap configs evenly spread in sorted key order (fitSample): deterministic, and
// honest because at that size their standard errors are already far below what moves a
// decision (with 7 runs a config, the steady scale rests on ~2000 degrees of freedom, ±3% on
// the variance; the noisy share is known to ±0.02, the slow-run rate to ±0.003); every config
// is still judged on its own runs with the fitted values. Stores up to fitCap configs are fitted
// on all of them. The fit works on each config's sufficient statistics, computed once
// (mixture_fast.go). For one config, every combination of class and
// slow run is weighed by its marginal likelihood, and the change new-over-baseline gets a
// posterior that is a mixture of Student t distributions (flat priors on the config's level
// and on the change). The probability that the new runs are worse is that posterior's mass on
// the worse side: a posterior-predictive probability that Compare corrects like a p-value. A
// short history keeps every plausible hypothesis in play, so a config that merely looked quiet
// in three runs is not given a hair trigger, and one slow run neither widens the bound to
// uselessness nor drags the centre down. A long, clean history (shortRuns or more runs, no
// probable slow run) is judged by a moderated t test on the robust pool instead (longJudge,
// which says why).
type Mixture struct{}

// Name implements Test.
func (Mixture) Name() string { return "mixture" }

// The fixed parts of the model: the slow-node shift range (as log ratios: 3–15% below the
// level, wider than the 4–10% measured on slow nodes, so that it says "clearly slower" rather
// than "as slow as in our simulation") and the prior weights of the two class priors.
const (
	slowLo, slowHi = 0.03, 0.15
	steadyDF       = 10.0
	// noisyRatio is the least variance of the noisy class, as a multiple of the steady one:
	// a config is noisy when its run-to-run noise is at least twice the steady noise.
	noisyRatio = 4.0
	noisyDF    = 12.0
	// emRounds is the number of EM iterations; the fit converges in far fewer on real suites.
	emRounds = 40
	// shortRuns: a baseline of fewer runs is short (a regression on it waits for confirmation).
	shortRuns = 5
	// contaminatedP: a config whose baseline holds a slow run with at least this posterior
	// probability is contaminated (a regression on it waits for confirmation).
	contaminatedP = 0.2
	// longPriorDF is the prior weight, in degrees of freedom, of the pooled noise for a long,
	// clean history (longJudge), chosen on the evaluation: 6 to 12 trade 0.3 points of clean
	// suites failing for 1 point of recall of 5% drops, all at about 2% and 95%.
	longPriorDF = 10
	// longNoisyP is the least posterior probability of the noisy class for which longJudge
	// lets a config's own runs alone give its noise (longTest), chosen on the evaluation.
	longNoisyP = 0.3
)

// mixFit is what Mixture learned from one metric's baseline.
type mixFit struct {
	ok       bool
	sign     float64 // +1 when higher is better: slow runs lie below the level of sign·log
	classes  [2]classPrior
	share    float64 // π, the prior probability that a config is noisy
	slowRate float64 // ρ, the prior probability that a baseline run is slow
	pooled   float64 // the robust pooled variance
	memory   *Memory
	// info is, per class, the degrees of freedom its scale was estimated from (the
	// responsibility-weighted residual degrees of freedom of its configs): a class prior may
	// weigh no more than that, or a class of two or three configs would pass its estimate off
	// as known.
	info [2]float64
	// poolConfigs is the number of configs pooled (those with 2 runs or more).
	poolConfigs int
	// lg caches, read-only, the lgamma values Judge and Noise need under the fitted priors.
	lg *lgCache
}

// classPrior is an inverse-chi-square prior on a config's run-to-run variance.
type classPrior struct {
	s2, df float64
}

const (
	steadyClass = 0
	noisyClass  = 1
)

// Learn implements Test: it fits the mixture over every config's history.
func (Mixture) Learn(_ string, suite []History, opts Options) Learned {
	f := &mixFit{sign: 1, memory: opts.NoisyMemory}
	var hs [][]float64
	var keys []string
	for _, h := range suite {
		if h.Better == bench.Lower {
			f.sign = -1
		}
	}
	for _, h := range suite {
		if len(h.Points) >= 2 {
			hs = append(hs, signed(h.Points, f.sign))
			keys = append(keys, h.Key)
		}
	}
	pool, ok := robustPool(hs)
	if !ok {
		return f
	}
	f.ok, f.pooled, f.poolConfigs = true, pool, len(hs)
	f.classes = [2]classPrior{{pool, steadyDF}, {6 * pool, noisyDF}}
	f.share, f.slowRate = 0.15, 0.03
	// The hyperparameters are fitted on at most fitCap configs, and on each config's
	// sufficient statistics, computed once.
	sample := fitSample(keys)
	sts := make([]cfgStats, len(sample))
	var loo []looStats
	var kept []float64
	ends := make([]int, len(sample))
	for j, i := range sample {
		sts[j], loo, kept = statsOf(hs[i], loo, kept)
		ends[j] = len(loo)
	}
	for j := range sts { // loo may have moved while it grew
		start := ends[j] - len(sts[j].loo)
		sts[j].loo = loo[start:ends[j]:ends[j]]
	}
	sc := &mixScratch{}
	// EM for the scales, the noisy share and the slow-run rate at fixed prior weights, then
	// the prior weights (how alike the configs of a class are) by maximum marginal likelihood
	// over a grid, and EM again.
	for pass := 0; pass < 3; pass++ {
		f.em(sts, sc)
		if pass == 2 {
			break
		}
		f.classes[steadyClass].df, f.classes[noisyClass].df = f.bestDF(sts, sc)
	}
	for c := range f.classes {
		f.classes[c].df = math.Min(f.classes[c].df, math.Max(f.info[c], dfGrid[0]))
	}
	if rem, ok := f.rememberedNoisy(); ok {
		f.classes[noisyClass] = rem // its weight is what the longer history's data gave
	}
	f.lg = freeze(f.classes, 64)
	return f
}

// mixScratch is Learn's working memory, reused across configs, EM rounds and the grid.
type mixScratch struct {
	hyps []hypothesis
	lg   lgCache
	// per config and grid weight: the largest log weight of the class's hypotheses and the
	// sum of their weights relative to it
	top, sum [2][]float64
	ll       []float64
}

// bestDF returns the prior weights of the grid, per class, under which the configs' data is
// most likely. A config's marginal likelihood is the sum of its steady and its noisy
// hypotheses' weights, so each class's sum is computed once per grid weight and the pairs
// are combined from them.
func (f *mixFit) bestDF(sts []cfgStats, sc *mixScratch) (float64, float64) {
	grids := f.dfGrids()
	for c, grid := range grids {
		ng := len(grid)
		if cap(sc.top[c]) < ng {
			sc.top[c], sc.sum[c] = make([]float64, ng), make([]float64, ng)
		}
		sc.top[c], sc.sum[c] = sc.top[c][:ng], sc.sum[c][:ng]
	}
	nn := len(grids[noisyClass])
	if cap(sc.ll) < len(grids[steadyClass])*nn {
		sc.ll = make([]float64, len(grids[steadyClass])*nn)
	}
	ll := sc.ll[:len(grids[steadyClass])*nn]
	clear(ll)
	saved := f.classes
	for j := range sts {
		for c := range f.classes {
			pc := f.share
			if c == steadyClass {
				pc = 1 - f.share
			}
			for g, df := range grids[c] {
				f.classes[c].df = df
				cc := f.constsOf(c, pc, &sc.lg)
				sc.hyps = f.classHypotheses(sc.hyps[:0], &sts[j], c, &cc, 0, 0, 0, &sc.lg)
				top := math.Inf(-1)
				for _, h := range sc.hyps {
					top = math.Max(top, h.w)
				}
				var sum float64
				for _, h := range sc.hyps {
					sum += math.Exp(h.w - top)
				}
				sc.top[c][g], sc.sum[c][g] = top, sum
			}
			f.classes[c] = saved[c]
		}
		for a := range grids[steadyClass] {
			for b := range grids[noisyClass] {
				ts, tn := sc.top[steadyClass][a], sc.top[noisyClass][b]
				top := math.Max(ts, tn)
				ll[a*nn+b] += top + math.Log(sc.sum[steadyClass][a]*math.Exp(ts-top)+sc.sum[noisyClass][b]*math.Exp(tn-top))
			}
		}
	}
	best, bestDF := math.Inf(-1), [2]float64{}
	for a, ds := range grids[steadyClass] {
		for b, dn := range grids[noisyClass] {
			if ll[a*nn+b] > best {
				best, bestDF = ll[a*nn+b], [2]float64{ds, dn}
			}
		}
	}
	return bestDF[0], bestDF[1]
}

// dfGrids returns, per class, the prior weights bestDF chooses among: those of dfGrid that
// the class's data can give (f.info), or the remembered noisy class's own weight.
func (f *mixFit) dfGrids() [2][]float64 {
	var grids [2][]float64
	for c := range grids {
		for _, df := range dfGrid {
			if df <= math.Max(f.info[c], dfGrid[0]) {
				grids[c] = append(grids[c], df)
			}
		}
	}
	if rem, ok := f.rememberedNoisy(); ok {
		grids[noisyClass] = []float64{rem.df}
	}
	return grids
}

// rememberedNoisy returns the noisy class as the store's longer history knows it
// (Options.NoisyMemory), if it does. That history is the runs beyond the current window
// (NoisyMemory leaves the window's out, so they count once, here as data), a month of nightly
// runs whose noisy class rests on several times a window's degrees of freedom: Learn keeps it
// rather than refit it on a window that may hold two or three noisy configs, or none. Its
// weight (NoisyDF) is no more than the older runs' noisy configs can tell. A window's own fit of
// the noisy class is what held recall back on short histories: on the evaluation's
// short+contaminated suites, the same check with the simulation's true noisy class caught
// 95.5% of 10% drops on steady configs against 83.5% with the window's fit (README).
func (f *mixFit) rememberedNoisy() (classPrior, bool) {
	m := f.memory
	if m == nil || m.NoisyPct <= 0 {
		return classPrior{}, false
	}
	s := m.NoisyPct / 100
	return classPrior{s2: s * s, df: math.Max(m.NoisyDF, dfGrid[0])}, true
}

// em fits the class scales, the noisy share and the slow-run rate to the configs' statistics.
func (f *mixFit) em(sts []cfgStats, sc *mixScratch) {
	for round := 0; round < emRounds; round++ {
		prev, prevShare, prevRate := f.classes[steadyClass].s2, f.share, f.slowRate
		var noisy, slow, runs, configs float64
		var resp [2]float64   // Σ responsibilities per class
		var invVar [2]float64 // Σ responsibility × E[1/σ²] per class
		f.info = [2]float64{}
		cc := f.classConstsOf(f.share, &sc.lg)
		for j := range sts { // the E step, accumulating the M step's sums
			sc.hyps = f.weigh(sc.hyps, &sts[j], 0, 0, 0, f.share, &cc, &sc.lg)
			for _, hp := range sc.hyps {
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
			runs += float64(sts[j].n)
			configs++
		}
		// The M step, with weak priors that keep a small store's fit regular: π near 1/6,
		// ρ near 2%, the noisy class at least twice the steady standard deviation.
		f.share = clamp((noisy+1)/(configs+6), 0.02, 0.5)
		f.slowRate = clamp((slow+0.5)/(runs+25), 0.002, 0.2)
		for c := range f.classes {
			if resp[c] > 0.5 {
				f.classes[c].s2 = resp[c] / invVar[c]
			}
		}
		f.classes[steadyClass].s2 = math.Max(f.classes[steadyClass].s2, minSigma*minSigma)
		f.classes[noisyClass].s2 = math.Max(f.classes[noisyClass].s2, noisyRatio*f.classes[steadyClass].s2)
		if rem, ok := f.rememberedNoisy(); ok {
			f.classes[noisyClass] = rem
		}
		if math.Abs(f.classes[steadyClass].s2/prev-1) < 1e-4 && math.Abs(f.share-prevShare) < 1e-4 && math.Abs(f.slowRate-prevRate) < 1e-5 {
			break // converged
		}
	}
}

// dfGrid are the prior weights, in degrees of freedom, the fit chooses among for each class.
var dfGrid = []float64{4, 7, 12, 20, 35, 60}

// signed returns sign·log of the points, so that slow runs lie low.
func signed(ps []Point, sign float64) []float64 {
	g := make([]float64, len(ps))
	for i, p := range ps {
		g[i] = sign * p.Log
	}
	return g
}

// A hypothesis about one config: its class and which baseline run, if any, was slow.
type hypothesis struct {
	class int
	slow  int // index of the slow baseline run, -1 for none
	prior classPrior
	w     float64 // posterior weight (normalised over the config's hypotheses)
	m     float64 // residual degrees of freedom of the data kept
	ss    float64 // residual sum of squares of the data kept
	loc   float64 // posterior location of the change (new minus kept baseline, signed)
	n     int     // baseline runs kept
}

// hypotheses weighs every hypothesis for baseline g and new runs y (signed logs; y may be
// empty while fitting) with prior noisy-class probability share.
func (f *mixFit) hypotheses(g, y []float64, share float64) []hypothesis {
	k := len(y)
	var ssY, meanY float64
	if k > 0 {
		meanY = mean(y)
		ssY = variance(y) * float64(k-1)
	}
	var buf [16]looStats
	st, _, _ := statsOf(g, buf[:0], nil)
	return f.weigh(nil, &st, k, meanY, ssY, share, nil, f.lg)
}

// posterior is the mixture of Student t posteriors of the signed change.
type posterior struct {
	w, loc, scale, df []float64
	// lgRatio holds lgamma((df+1)/2) - lgamma(df/2) per component (for quantile).
	lgRatio []float64
}

// CDF implements stats.DistCommon.
func (p posterior) CDF(x float64) float64 {
	var c float64
	for i := range p.w {
		c += p.w[i] * stats.TDist{V: p.df[i]}.CDF((x-p.loc[i])/p.scale[i])
	}
	return c
}

// Bounds implements stats.DistCommon.
func (p posterior) Bounds() (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range p.w {
		lo = math.Min(lo, p.loc[i]-8*p.scale[i])
		hi = math.Max(hi, p.loc[i]+8*p.scale[i])
	}
	return lo, hi
}

// Judge implements Learned.
func (f *mixFit) Judge(base, cur []Point, opts Options) (Evidence, bool) {
	if !f.usable(base, opts) {
		return Evidence{}, false
	}
	g, y := signed(base, f.sign), signed(cur, f.sign)
	hs := f.ofConfig(base).hypotheses(g, y, f.shareOf(base))
	var pNoisy, pSlow float64
	slowW := make([]float64, len(g))
	for _, h := range hs {
		if h.w < 1e-6 {
			continue // too light to move a tail probability the gate could use
		}
		if h.class == noisyClass {
			pNoisy += h.w
		}
		if h.slow >= 0 {
			pSlow += h.w
			slowW[h.slow] += h.w
		}
	}
	if f.settled(base, pSlow) {
		return f.longJudge(base, cur, pNoisy), true
	}
	var post posterior
	var avg, noise float64
	// One allocation for the posterior's components (at most one per hypothesis) and the
	// centred locations.
	buf := make([]float64, 6*len(hs))
	for i, c := range []*[]float64{&post.w, &post.loc, &post.scale, &post.df, &post.lgRatio} {
		*c = buf[i*len(hs) : i*len(hs) : (i+1)*len(hs)]
	}
	for _, h := range hs {
		if h.w < 1e-6 {
			continue // too light to move a tail probability the gate could use
		}
		v := (h.prior.df*h.prior.s2 + h.ss) / (h.prior.df + h.m)
		post.w = append(post.w, h.w)
		post.loc = append(post.loc, h.loc)
		post.scale = append(post.scale, math.Sqrt(v*(1/float64(h.n)+1/float64(len(y)))))
		post.df = append(post.df, h.prior.df+h.m)
		post.lgRatio = append(post.lgRatio, f.lg.post(h.prior.df, h.m+1)-f.lg.post(h.prior.df, h.m))
		avg += h.w * h.loc
		noise += h.w * v
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
	centred := posterior{w: post.w, loc: buf[5*len(hs) : 5*len(hs)+len(post.loc)], scale: post.scale, df: post.df, lgRatio: post.lgRatio}
	for i := range post.loc {
		centred.loc[i] = post.loc[i] - avg
	}
	// The bound is the worse direction's, as ThresholdPct is: a worsening is significant at
	// level when the posterior's mass on the side of no worsening, its upper tail, is below
	// level. With a probable slow run the posterior is skewed, and the lower tail it used to
	// take gave a threshold below a drop that did not fail (5.8% for a −7.9% unchanged).
	ev.Bound = func(level float64) float64 { return centred.quantile(1 - level) }
	ev.Caveats = append(ev.Caveats, NoiseClass{Noisy: pNoisy >= 0.5, PNoisy: pNoisy, NoisePct: ev.NoisePct})
	for i, w := range slowW {
		if w >= 0.5 {
			rest := make([]float64, 0, len(g)-1)
			rest = append(append(rest, g[:i]...), g[i+1:]...)
			below := 100 * (1 - math.Exp(g[i]-mean(rest)))
			ev.Caveats = append(ev.Caveats, SlowBaselineRun{Batch: base[i].Batch, Source: base[i].Source, BelowPct: below, Prob: w})
		}
	}
	ev.Contaminated = pSlow >= contaminatedP
	return ev, true
}

// settled reports whether a config with these baseline points, of which one is slow with
// posterior probability pSlow, has a long, clean history: one that the moderated t test
// (longJudge) judges better than the mixture of hypotheses.
func (f *mixFit) settled(base []Point, pSlow float64) bool {
	return len(base) >= shortRuns && pSlow < contaminatedP
}

// longJudge judges a config with a long, clean history by a moderated t test on the robust
// pooled noise (or the remembered noisy class's, longModelOf) with longPriorDF degrees of
// freedom of prior weight, and the "noisier" decision of longTest: ModeratedT's rule, on a
// pool that outliers cannot move.
//
// Why not the mixture there too: on the evaluation's standard scenario (7 runs, a sixth of
// configs 2.5% noisy) the mixture puts a 1–50% noisy share on steady configs that merely
// looked a little noisy, and its tail probability then misses 5% drops on them (90% caught
// at alpha 0.02, with 1.9% of clean suites failing), while this rule, whose prior weight and
// noisier decision were chosen by sweeping the same evaluation, catches 95% at alpha 0.014
// with about 2% failing. On short or contaminated histories the mixture is far ahead (eval/,
// README), so it keeps those.
func (f *mixFit) longJudge(base, cur []Point, pNoisy float64) Evidence {
	m, own, remembered := f.longTest(base, pNoisy)
	ev := m.evidence(base, cur, own)
	ev.Caveats = append(ev.Caveats, NoiseClass{Noisy: own || remembered, PNoisy: pNoisy, NoisePct: ev.NoisePct, Own: own, Remembered: remembered})
	return ev
}

// longTest returns what longJudge and Noise judge a config with a long, clean history by: the
// moderated t test (longModelOf), whether the store's history remembers the config as noisy,
// and the "noisier" decision (own): the config's own runs alone give its noise when their
// spread lies above the pool's 1% chi-square quantile and the store-wide fit gives the
// config at least a longNoisyP chance of being noisy. The pool of a 16-config suite is
// itself uncertain (it comes out anywhere from about 0.6% to 1.0% for configs of 0.6–1.0%),
// and a steady config near 1% whose runs exceed the quantile of a pool that came out low is
// not a noisy config: judged on its own six degrees of freedom it missed nearly every 5%
// drop (about half of the standard scenario's misses).
//
// A config the store's history remembers as noisy is moderated towards the remembered noisy
// class rather than the pool (longModelOf), and its own runs alone decide when they spread
// even more than that class.
func (f *mixFit) longTest(base []Point, pNoisy float64) (m noiseModel, own, remembered bool) {
	m, remembered = f.longModelOf(base)
	return m, m.noisier(base) && (remembered || pNoisy >= longNoisyP), remembered
}

// longModelOf is the moderated t test for a config with a long, clean history. What the
// config's noise is pooled with, by what the store's history remembers of it
// (Options.NoisyMemory):
//   - a config remembered as noisy (probability at least one half): the remembered noisy
//     class's noise, at longPriorDF. A noisy config whose current window happens to look quiet
//     is then not judged by the steady pool: on the evaluation's standard suites with 14 older
//     runs in memory, 1.3% of clean suites failed without this and 0.3% with it (measured
//     while the memory held the window's runs too).
//   - another config with at least minOwnDF degrees of freedom of remembered noise: its own
//     noise over the longer history, slow runs left out (Memory.Own), at those degrees of
//     freedom. A config that is neither steady nor noisy, such as a bimodal one that lands in
//     one of two modes 3% apart, has the noise it has; and a steady config's own long history
//     knows its noise better than the pool of a 16-config suite (steady configs differ from
//     0.6% to 1.0%). On the evaluation's suites with memory (4000 per seed, seeds 1 and 2),
//     with the remembered class alone bimodal configs failed 0.12% and 0.09% of clean PRs
//     (steady configs 0.01% and 0.03%), with this 0.03% and 0.03%; on standard suites 0.6%
//     and 0.8% of clean suites failed, 96.9% and 96.4% of 5% drops and 38.8% and 38.9% of 3%
//     drops were caught, with this 0.5% and 0.5%, 97.1% and 96.0%, 41.2% and 41.1% (all
//     while the memory held the window's runs too). With the memory of the older runs
//     alone, as now: bimodal configs 0.01% and 0.01% (steady 0.01% and 0.02%); standard
//     suites 0.4% and 0.4%, 96.4% and 95.2%, 38.9% and 39.2%.
//   - else the robust pool, at longPriorDF.
//
// The remembered noise is the older runs' alone (NoisyMemory leaves out the runs the window
// holds), an independent prior: the window's runs count once, as the data the moderated t
// adds to it.
func (f *mixFit) longModelOf(base []Point) (m noiseModel, remembered bool) {
	if mem := f.memory; mem != nil && mem.NoisyPct > 0 {
		key := base[0].Key
		if p, ok := mem.Noisy[key]; ok && p >= 0.5 {
			s := mem.NoisyPct / 100
			return noiseModel{prior: s * s, priorDF: longPriorDF, ok: true}, true
		}
		if o, ok := mem.Own[key]; ok && o.DF >= minOwnDF {
			return noiseModel{prior: math.Max(o.Var, minSigma*minSigma), priorDF: o.DF, ok: true}, false
		}
	}
	return f.longModel(), false
}

// minOwnDF is the fewest degrees of freedom of a config's remembered noise that longModelOf
// pools with: the weight of the suite's pool (longPriorDF), which a config's own longer
// history should not undercut.
const minOwnDF = longPriorDF

// longModel is the moderated t test on the robust pool.
func (f *mixFit) longModel() noiseModel {
	return noiseModel{prior: f.pooled, priorDF: longPriorDF, ok: true}
}

// shareOf returns the prior probability that the config of these points is noisy: what the
// store's older runs showed of it (NoisyMemory, which leaves the window's runs out, so that
// the window's evidence, weighed by the hypotheses, counts once), else the fitted share.
func (f *mixFit) shareOf(base []Point) float64 {
	if f.memory == nil {
		return f.share
	}
	if p, ok := f.memory.Noisy[base[0].Key]; ok {
		return clamp(p, memoryDoubt, 1-memoryDoubt)
	}
	return f.share
}

// ofConfig returns the fit the hypotheses of the config of these points are weighed under:
// f, or, for a config the store's history remembers as steady (Options.NoisyMemory) with at
// least minOwnDF degrees of freedom of its own remembered noise (Memory.Own), f with that
// noise as the steady class's prior, at those degrees of freedom, as longModelOf does for a
// long history. The steady class of a short window is the suite's, fitted on a few runs per
// config, and steady configs differ (0.6% to 1.0% on the evaluation's suites): a config whose
// older runs have shown its own noise is weighed on it.
func (f *mixFit) ofConfig(base []Point) *mixFit {
	mem := f.memory
	if mem == nil {
		return f
	}
	key := base[0].Key
	o, ok := mem.Own[key]
	if p, known := mem.Noisy[key]; !known || p >= 0.5 || !ok || o.DF < minOwnDF {
		return f
	}
	g := *f
	g.classes[steadyClass] = classPrior{s2: math.Max(o.Var, minSigma*minSigma), df: o.DF}
	return &g
}

// memoryDoubt is how far the memory of a config's class is trusted: to 1 in 500, because a
// config can change class (new hardware, new software). A window that plainly shows the other
// class still outweighs it: three runs at 2.5% against a steady class of 0.8% have a
// likelihood ratio in the hundreds. At 1 in 100, a steady config remembered as such kept
// enough noisy weight for one slow run in a 3-run window to hide a 10% drop (evaluation,
// short+contaminated+memory, seed 1: 92.8% of 10% drops caught, against 95.1% at 1 in 500,
// for 0.5% and 0.6% of clean suites failing, while the memory held the window's runs too).
const memoryDoubt = 0.002

func (f *mixFit) usable(base []Point, opts Options) bool {
	return f.ok && len(base) >= opts.MinHistoryRuns && len(base) >= 2
}

// Noise implements Learned: the noise the test expects for the config, weighing its classes.
func (f *mixFit) Noise(base []Point, opts Options) (float64, bool) {
	if !f.usable(base, opts) {
		return 0, false
	}
	var v, pSlow, pNoisy float64
	hs := f.ofConfig(base).hypotheses(signed(base, f.sign), nil, f.shareOf(base))
	for _, h := range hs {
		v += h.w * (h.prior.df*h.prior.s2 + h.ss) / (h.prior.df + h.m)
		if h.slow >= 0 {
			pSlow += h.w
		}
		if h.class == noisyClass {
			pNoisy += h.w
		}
	}
	if f.settled(base, pSlow) {
		m, own, _ := f.longTest(base, pNoisy)
		v, _ = m.noiseOf(base, own)
	}
	return 100 * math.Sqrt(v), true
}

// Pooled implements Learned: the robust pooled noise.
func (f *mixFit) Pooled() Pool {
	if !f.ok {
		return Pool{}
	}
	return Pool{NoisePct: 100 * math.Sqrt(f.pooled), Configs: f.poolConfigs, MinRuns: 2}
}

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }
