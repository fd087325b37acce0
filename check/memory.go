package check

import (
	"cmp"
	"math"
	"slices"

	"github.com/perfgate/perfgate/bench"
)

// A Memory is what the store's older runs, beyond the current window, showed of the configs'
// noise classes (NoisyMemory): a prior the check weighs the window's runs under.
type Memory struct {
	// Noisy maps config keys to the probability that the config is noisy.
	Noisy map[string]float64 `json:"noisy"`
	// NoisyPct is the run-to-run noise of the noisy class, in percent (0: unknown).
	NoisyPct float64 `json:"noisy_pct"`
	// NoisyDF is how alike the noisy configs' noise is, as the prior weight in degrees of
	// freedom of the noisy class (as Mixture fits it, no more than the longer history's
	// noisy configs can tell).
	NoisyDF float64 `json:"noisy_df"`
	// Own maps config keys to each config's own run-to-run noise over the older runs.
	Own map[string]OwnNoise `json:"own"`
}

// OwnNoise is one config's run-to-run variance (of log run summaries) over a longer history,
// its slow runs left out (ownNoise), and the degrees of freedom it rests on.
type OwnNoise struct {
	Var float64 `json:"var"`
	DF  float64 `json:"df"`
}

// NoisyMemory learns, from older runs than the current window's (the store as committed at
// older git refs), the probability that each config is noisy, for Options.NoisyMemory: a
// config whose longer history showed it noisy keeps that knowledge when its current window
// happens to look quiet. The runs of older that window holds (its batch for its config, as
// history.Older tells them apart; an older version of the store given by --memory-ref may
// hold the window's runs) are left out, and runs seen in several versions of the store count
// once: the check weighs the window's runs as data under this memory (Mixture: the
// remembered class as the prior noisy share, the remembered noise as the moderated t's
// prior), so a memory that held them too would count the window twice, as a prior that knew
// more than it did. The memory is that of the older runs alone, an independent prior: a
// config the older runs do not hold (a new config), or hold fewer than
// opts.MinHistoryRuns (or 2) runs of, is left out of it and judged as without memory, and
// when no config has enough older runs there is no memory (nil). The classes are learned by the
// Mixture test on the speed metric that decides (the first of opts.SpeedMetrics the runs
// have), with no more weight than the older runs give them.
//
// A long history is weighed in windows of about memoryWindow consecutive runs, and the
// windows' evidence is combined (their likelihood ratios, each bounded, multiply, as
// independent looks at one config; a history of one window is weighed as before): the
// Mixture allows one slow run per history, and over 14 runs at a 5% slow-node rate 15% of
// the configs have two or more, which on the whole history would read as a
// noisy config (the evaluation's short+contaminated+memory scenario showed steady configs
// remembered as noisy and their 10% drops missed). And the windows are weighed without the
// runs ownNoise finds slow under the config's own noise: a window with two slow runs, one
// more than the Mixture allows, read as a noisy config too, and outvoted the other window of
// 14 runs only to the prior (on the evaluation's short, contaminated suites with the
// protocol, 9 in 27 of the missed 5% drops were steady configs remembered as noisy with
// probability 0.2–0.98, seed 1; README, Gate accuracy).
func NoisyMemory(older, window []bench.Run, opts Options) *Memory {
	adds := BeyondWindow(window)
	uniq := make([]bench.Run, 0, len(older))
	for i := range older {
		if adds(&older[i]) {
			uniq = append(uniq, older[i])
		}
	}
	metrics := suiteMetrics(nil, uniq)
	speed := decidingSpeed(metrics, opts)
	if speed < 0 {
		return nil
	}
	mi := metrics[speed]
	bs, order := group(uniq)
	sign := 1.0
	if mi.better == bench.Lower {
		sign = -1
	}
	var hs []History // one per window, its slow runs left out
	var keys []string
	own := map[string]OwnNoise{}
	for _, k := range order {
		xs := bs[k].logPoints(mi.name)
		if len(xs) < MemoryRuns(opts) {
			continue
		}
		ws := windows(xs, memoryWindow)
		gs := make([][]float64, len(ws))
		for i, w := range ws {
			gs[i] = signed(w, sign)
		}
		v, df := ownNoise(gs)
		if df > 0 {
			own[k] = OwnNoise{Var: v, DF: df}
		}
		for i, w := range ws {
			if df > 0 {
				w = withoutSlowPoints(w, gs[i], v)
			}
			hs = append(hs, History{Key: k, Config: bs[k].cfg, Better: mi.better, Points: w})
		}
		keys = append(keys, k)
	}
	noMemory := opts
	noMemory.NoisyMemory = nil
	fit, ok := Mixture{}.Learn(mi.name, hs, noMemory).(*mixFit)
	if !ok || !fit.ok {
		return nil
	}
	mem := &Memory{Noisy: map[string]float64{}, Own: own, NoisyPct: 100 * math.Sqrt(fit.classes[noisyClass].s2), NoisyDF: fit.classes[noisyClass].df}
	priorOdds := math.Log(fit.share / (1 - fit.share))
	logLR := map[string][]float64{} // per config, each window's log likelihood ratio
	for _, h := range hs {
		g := signed(h.Points, fit.sign)
		var p float64
		for _, hp := range fit.hypotheses(g, nil, fit.share) {
			if hp.class == noisyClass {
				p += hp.w
			}
		}
		p = clamp(p, 1e-12, 1-1e-12)
		logLR[h.Key] = append(logLR[h.Key], math.Log(p/(1-p))-priorOdds)
	}
	for _, k := range keys {
		lrs, sum := logLR[k], 0.0
		for _, l := range lrs {
			if len(lrs) > 1 {
				// Bounded when there are others to outvote: one window whose two slow runs
				// read as noise must not decide alone.
				l = clamp(l, -maxWindowLR, maxWindowLR)
			}
			sum += l
		}
		mem.Noisy[k] = 1 / (1 + math.Exp(-(priorOdds + sum)))
	}
	return mem
}

// BeyondWindow returns the rule by which NoisyMemory takes older runs: a run adds to the
// memory unless the window holds its config in its batch, or a run of the same config, batch,
// date and commit was taken before (several versions of the store hold it). The function
// remembers what it took.
func BeyondWindow(window []bench.Run) func(*bench.Run) bool {
	held := make(map[string]bool, len(window)) // the window's config and batch pairs
	for _, r := range window {
		held[r.ConfigKey()+"\x00"+r.Batch] = true
	}
	seen := map[string]bool{}
	return func(r *bench.Run) bool {
		key := r.ConfigKey() + "\x00" + r.Batch
		id := key + "\x00" + r.Date + "\x00" + r.Commit
		if held[key] || seen[id] {
			return false
		}
		seen[id] = true
		return true
	}
}

// MemoryRuns is how many older runs of a config, beyond the window, NoisyMemory needs to
// remember its class and noise.
func MemoryRuns(opts Options) int { return max(opts.MinHistoryRuns, 2) }

// ownNoise returns the run-to-run variance of one config over its windows ws (signed logs, so
// that slow runs lie low) and the degrees of freedom it rests on, without its slow runs: in
// each window, the lowest run is left out while it lies below the mean of the window's other
// runs by more than slowZ standard deviations of the config's noise and by more than the
// least slow-node shift the Mixture models (slowLo), down to two runs per window. The noise
// starts as the median absolute deviation of all runs from their window's median, which slow
// runs do not move while they are fewer than half (a window with one slow run is common: 30%
// of windows of 7 at a 5% rate; a median of the windows' variances without each one's lowest
// run, as before, is the mean of two windows, one of which may hold two slow runs), and the
// windows are pooled again without the slow runs until it settles. Two slow runs in one
// window of 7 (4% of windows at a 5% rate) would otherwise more than double a steady
// config's noise, and without the least shift a noise that started low would call ordinary
// low runs slow and settle lower still. A bimodal config's low mode is not slow: it
// lies within the config's own noise.
func ownNoise(ws [][]float64) (v, df float64) {
	var dev []float64
	for _, g := range ws {
		if len(g) >= 3 {
			m := median(g)
			for _, x := range g {
				dev = append(dev, math.Abs(x-m))
			}
		}
	}
	if len(dev) == 0 {
		return 0, 0
	}
	v = math.Max(math.Pow(madScale*median(dev), 2), minSigma*minSigma)
	for iter := 0; iter < 20; iter++ {
		var ss float64
		df = 0
		for _, g := range ws {
			if len(g) < 2 {
				continue
			}
			kept := withoutSlow(g, v)
			ss += variance(kept) * float64(len(kept)-1)
			df += float64(len(kept) - 1)
		}
		next := math.Max(ss/df, minSigma*minSigma)
		done := math.Abs(next-v) < 1e-4*v
		v = next
		if done {
			break
		}
	}
	return v, df
}

// madScale turns a median absolute deviation into a normal standard deviation.
const madScale = 1.4826

// withoutLowest appends g without its lowest value to dst, and returns it and that value.
func withoutLowest(dst, g []float64) (rest []float64, low float64) {
	lo := 0
	for i := range g {
		if g[i] < g[lo] {
			lo = i
		}
	}
	return append(append(dst, g[:lo]...), g[lo+1:]...), g[lo]
}

// withoutSlow returns g without its slow runs under noise variance v (see ownNoise).
func withoutSlow(g []float64, v float64) []float64 {
	kept := g
	for len(kept) >= 3 {
		rest, low := withoutLowest(nil, kept)
		below := mean(rest) - low
		if below <= slowLo || below <= slowZ*math.Sqrt(v*(1+1/float64(len(rest)))) {
			break
		}
		kept = rest
	}
	return kept
}

// withoutSlowPoints returns the points of a window without those withoutSlow leaves out of
// their signed logs g under noise variance v: the lowest of g.
func withoutSlowPoints(w []Point, g []float64, v float64) []Point {
	drop := len(g) - len(withoutSlow(g, v))
	if drop == 0 {
		return w
	}
	idx := make([]int, len(g))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(g[a], g[b]) })
	slow := make(map[int]bool, drop)
	for _, i := range idx[:drop] {
		slow[i] = true
	}
	kept := make([]Point, 0, len(w)-drop)
	for i, p := range w {
		if !slow[i] {
			kept = append(kept, p)
		}
	}
	return kept
}

// maxWindowLR bounds the log likelihood ratio one of several windows contributes (a factor
// of 20).
var maxWindowLR = math.Log(20)

// memoryWindow is about how many consecutive runs NoisyMemory weighs at a time: few enough
// that two slow runs in one window are rare (7 runs at a 5% rate: 4%), enough to tell the
// classes apart.
const memoryWindow = 7

// windows splits xs into the fewest consecutive windows of at most size points, as even as
// they can be.
func windows(xs []Point, size int) [][]Point {
	k := (len(xs) + size - 1) / size
	out := make([][]Point, 0, k)
	for i := 0; i < k; i++ {
		out = append(out, xs[i*len(xs)/k:(i+1)*len(xs)/k])
	}
	return out
}

// MemoryUsed: the configs' noise classes were also learned from Runs older runs, from the
// last Commits commits of the store's git history (Options.NoisyMemory); Recorded when the
// memory was read as the nightly update recorded it rather than learned by this command.
// Skipped names the Damaged older versions of the store that were left out, each as
// file@commit:line and what is wrong, joined by "; " (a string, so that remarks compare).
// RefRuns more older runs came from the store's versions at the git refs Refs (--memory-ref,
// joined by ", "); EmptyRefs names the refs whose versions held no run that the window or
// the other versions read did not, so that the memory learned nothing from them.
type MemoryUsed struct {
	Runs, Commits int
	Recorded      bool
	Damaged       int
	Skipped       string
	RefRuns       int
	Refs          string
	EmptyRefs     string
}

// MemoryUnavailable: the store's git history could not give the check its memory, and the
// noise classes were learned from the current window alone: the clone is Shallow (it holds
// no older version of the store), reading the history failed with Err, or the older versions
// that held older runs were damaged and left out (Skipped, as in MemoryUsed; AllSkipped when
// no older version could be read at all). FromRefs: the history gave nothing, but the
// store's versions at the --memory-ref refs did (a MemoryUsed says what). EmptyRefs names
// the --memory-ref refs whose versions held no run that the window or the other versions
// read did not (as in MemoryUsed); with no other reason, it is why the window decided alone.
// TooFew: the history (and the refs) held OlderRuns older runs, but no config had the NeedRuns
// of them beyond the window that a memory needs (NoisyMemory), so it learned nothing.
type MemoryUnavailable struct {
	Shallow    bool
	Err        string
	Damaged    int
	Skipped    string
	AllSkipped bool
	FromRefs   bool
	EmptyRefs  string
	TooFew     bool
	OlderRuns  int
	NeedRuns   int
}

// MemoryRecordIgnored: the baseline holds a recorded memory (memory.json) that this command
// did not use, because it was learned for OtherRuns than the store's, with other options
// (OtherOptions), was recorded by an older perfgate in a form this one does not use
// (OlderSchema: the next update records it anew), or cannot be read (none of them: a merge
// conflict in it, or a newer perfgate's).
type MemoryRecordIgnored struct {
	OtherRuns, OtherOptions bool
	OlderSchema             bool
}

func (MemoryUsed) RemarkKind() string          { return "memory-used" }
func (MemoryUnavailable) RemarkKind() string   { return "memory-unavailable" }
func (MemoryRecordIgnored) RemarkKind() string { return "memory-record-ignored" }
