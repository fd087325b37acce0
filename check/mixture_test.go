package check

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/bench"
)

// mixOpts are the default options (the mixture test, the confirmation protocol) on the tests'
// clock.
func mixOpts(mod func(*Options)) Options {
	o := DefaultOptions
	o.Now = now
	if mod != nil {
		mod(&o)
	}
	return o
}

// suiteRuns returns a suite of steady configs tp=1…tp=n with the given baseline runs per
// config, 0.8% run-to-run noise from a fixed seed, at level 100.
func suiteRuns(n, runs int, seed uint64) []bench.Run { return noisySuite(n, runs, seed, 0.008) }

// noisySuite is suiteRuns with run-to-run noise sd (a log standard deviation).
func noisySuite(n, runs int, seed uint64, sd float64) []bench.Run {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []bench.Run
	for c := 1; c <= n; c++ {
		for r := 1; r <= runs; r++ {
			out = append(out, run(fmt.Sprintf("tp=%d", c), fmt.Sprintf("nightly-%02d", r), 100*math.Exp(sd*rng.NormFloat64())))
		}
	}
	return out
}

// prRuns returns one new run, of batch, per config tp=1…tp=n, all at level 100 but config
// tp=changed, at level.
func prRuns(n int, batch string, changed int, level float64) []bench.Run {
	var out []bench.Run
	for c := 1; c <= n; c++ {
		l := 100.0
		if c == changed {
			l = level
		}
		out = append(out, run(fmt.Sprintf("tp=%d", c), batch, l))
	}
	return out
}

// TestRobustPool: a noisy sixth of the configs and slow-node runs hardly move the robust pool
// on 7-run histories, where the mixture's steady class fits the steady noise too; on 4-run
// histories with a noisy third it is still nearer the steady noise than the median of
// per-config variances (3 degrees of freedom cannot tell the classes apart well).
func TestRobustPool(t *testing.T) {
	for _, tt := range []struct {
		runs, noisyEvery int
		tol              float64
	}{{7, 6, 0.15}, {4, 3, 0.45}} {
		rng := rand.New(rand.NewPCG(1, 1))
		var hs [][]float64
		var suite []History
		var vars []float64
		for c := 0; c < 60; c++ {
			sd := 0.008
			if c%tt.noisyEvery == 0 {
				sd = 0.025
			}
			g := make([]float64, tt.runs)
			var ps []Point
			for i := range g {
				g[i] = sd * rng.NormFloat64()
				if rng.Float64() < 0.05 {
					g[i] -= 0.04 + 0.06*rng.Float64() // a slow node
				}
				ps = append(ps, Point{Log: g[i], Key: fmt.Sprint(c)})
			}
			hs = append(hs, g)
			suite = append(suite, History{Key: fmt.Sprint(c), Better: bench.Higher, Points: ps})
			vars = append(vars, variance(g))
		}
		pool, ok := robustPool(hs)
		naive := median(vars) / (stats.InvCDF(chiSquare{float64(tt.runs - 1)})(0.5) / float64(tt.runs-1))
		fit := Mixture{}.Learn("x", suite, DefaultOptions).(*mixFit)
		steady := math.Sqrt(fit.classes[steadyClass].s2 * steadyDF / (steadyDF - 2)) // the prior's mean variance
		t.Logf("%d runs: robust pool %.3f%%, naive median %.3f%%, fitted steady class %.3f%%", tt.runs, 100*math.Sqrt(pool), 100*math.Sqrt(naive), 100*steady)
		if !ok || math.Abs(math.Sqrt(pool)/0.008-1) > tt.tol {
			t.Errorf("%d runs: robust pool %.3f%%, want 0.8%% ± %.0f%%", tt.runs, 100*math.Sqrt(pool), 100*tt.tol)
		}
		if naive <= pool {
			t.Errorf("%d runs: the naive median %.3f%% should be more contaminated than the robust pool %.3f%%", tt.runs, 100*math.Sqrt(naive), 100*math.Sqrt(pool))
		}
		if tt.runs == 7 && math.Abs(steady/0.008-1) > 0.2 {
			t.Errorf("%d runs: fitted steady class %.3f%%, want 0.8%% ± 20%%", tt.runs, 100*steady)
		}
	}
	if _, ok := robustPool([][]float64{{1}}); ok {
		t.Errorf("a pool from one run")
	}
}

// TestSlowBaselineRun: a baseline run 7% below its config's others is named as a probable
// slow node, it does not drag the centre down, and a 10% drop still reads as 10% and fails.
func TestSlowBaselineRun(t *testing.T) {
	base := suiteRuns(12, 5, 2)
	for i := range base {
		if base[i].Config["tp"] == "3" && base[i].Batch == "nightly-03" {
			base[i].Metrics[0].Values[0] *= 0.93
		}
	}
	cur := prRuns(12, "pr", 3, 90)
	rep := Compare(base, cur, mixOpts(nil))
	r := result(t, rep, "tp=3", tf)
	var slow *SlowBaselineRun
	for _, c := range r.Caveats {
		if s, ok := c.(SlowBaselineRun); ok {
			slow = &s
		}
	}
	if slow == nil || slow.Batch != "nightly-03" || math.Abs(slow.BelowPct-7) > 1.5 || slow.Prob < 0.5 {
		t.Fatalf("tp=3 caveats %v, want nightly-03 named as ~7%% below", r.Caveats)
	}
	if r.Status != Regression || math.Abs(*r.DeltaPct+10) > 1.5 {
		t.Errorf("tp=3: %s, delta %.2f%% (want a regression of about -10%%)", r.Status, *r.DeltaPct)
	}
	if rep.Method.Test != "mixture" || rep.Method.Alpha != 0.014 {
		t.Errorf("method %+v: want the mixture test at alpha 0.014 by default", rep.Method)
	}
	// Clean configs stay unchanged and steady.
	if r := result(t, rep, "tp=1", tf); r.Status != Unchanged {
		t.Errorf("tp=1: %s %v", r.Status, r.Caveats)
	}
}

// TestNoisyMemory: three quiet runs make a config look steady, so a drop on one new run
// (5%) is flagged; when the store's history remembers the config as noisy, the same drop is within
// its noise.
func TestNoisyMemory(t *testing.T) {
	base := suiteRuns(12, 3, 3)
	cur := prRuns(12, "pr", 5, 95)
	forgetful := Compare(base, cur, mixOpts(nil))
	if r := result(t, forgetful, "tp=5", tf); r.Status != Regression && r.Status != Suspect {
		t.Fatalf("without memory: tp=5 %s %v, want it flagged", r.Status, r.Caveats)
	}
	remember := Compare(base, cur, mixOpts(func(o *Options) { o.NoisyMemory = &Memory{Noisy: map[string]float64{"tp=5": 0.99}, NoisyPct: 2.5} }))
	r := result(t, remember, "tp=5", tf)
	if r.Fails || *r.PValue < 0.1 {
		t.Errorf("with memory: tp=5 %s (p=%.3g) %v, want it far from significant", r.Status, *r.PValue, r.Caveats)
	}
	if nc, ok := r.Caveats[0].(NoiseClass); !ok || !nc.Noisy {
		t.Errorf("with memory: caveats %v, want a noisy class first", r.Caveats)
	}
}

// TestConfirmationProtocol: with the protocol opted into (ConfirmRuns 3), a drop just short
// of significance on one new run is Suspect (not a failure, listed in Suspects); checked again
// with three new runs it is decided. By default (ConfirmRuns 0) one run decides.
func TestConfirmationProtocol(t *testing.T) {
	if DefaultOptions.ConfirmRuns != 0 {
		t.Errorf("default ConfirmRuns %d: a workflow that never re-runs would pass every suspect", DefaultOptions.ConfirmRuns)
	}
	mixOpts := func(mod func(*Options)) Options {
		return mixOpts(func(o *Options) {
			o.ConfirmRuns = 3
			if mod != nil {
				mod(o)
			}
		})
	}
	base := noisySuite(16, 3, 4, 0.015)
	pr := func(batch string, drop float64) []bench.Run { return prRuns(16, batch, 7, 100-drop) }
	var suspect *Result
	var one *Report
	var drop float64
	for d := 3.0; d <= 8; d += 0.1 {
		drop = d
		one = Compare(base, pr("pr-1", d), mixOpts(nil))
		r := result(t, one, "tp=7", tf)
		if r.Status == Suspect {
			suspect = r
			break
		}
	}
	if suspect == nil {
		t.Fatalf("no drop between 3%% and 8%% was suspect on one run")
	}
	if one.Verdict != Pass || len(one.Suspects) != 1 || one.Suspects[0] != "tp=7" || suspect.Fails {
		t.Errorf("one run: verdict %s, suspects %v, fails %v; want pass with tp=7 suspect", one.Verdict, one.Suspects, suspect.Fails)
	}
	if _, ok := suspect.Caveats[len(suspect.Caveats)-1].(Unconfirmed); !ok {
		t.Errorf("suspect caveats %v end without Unconfirmed", suspect.Caveats)
	}
	// The workflow re-runs tp=7 twice and checks again with all its new runs.
	all := append(pr("pr-1", drop), run("tp=7", "pr-2", 100-drop), run("tp=7", "pr-3", 100-drop))
	three := Compare(base, all, mixOpts(nil))
	r := result(t, three, "tp=7", tf)
	if r.Status != Regression || three.Verdict != Fail || len(three.Suspects) != 0 || r.New.Runs != 3 {
		t.Errorf("three runs: %s (%v), verdict %s, suspects %v, new runs %d; want a confirmed regression", r.Status, r.Caveats, three.Verdict, three.Suspects, r.New.Runs)
	}
	// If the re-runs come back at the level, the suspicion is dropped.
	all = append(pr("pr-1", drop), run("tp=7", "pr-2", 100), run("tp=7", "pr-3", 100.2))
	if r := result(t, Compare(base, all, mixOpts(nil)), "tp=7", tf); r.Status != Unchanged {
		t.Errorf("re-runs at the level: %s (%v), want unchanged", r.Status, r.Caveats)
	}
	// The protocol can be turned off: then one run decides.
	off := Compare(base, pr("pr-1", drop), mixOpts(func(o *Options) { o.ConfirmRuns = 0 }))
	if r := result(t, off, "tp=7", tf); r.Status == Suspect {
		t.Errorf("protocol off: still suspect")
	}
}

// TestLongCleanHistory: a config with a long history and no probable slow run is judged by
// the moderated t test on the robust pool (longJudge), so a steady config whose seven runs
// merely look a little noisy (1.3% against a 0.8% pool) still fails on a 5% drop, where the
// mixture's noisy share would hold it back; a slow run or a short history keeps the mixture.
func TestLongCleanHistory(t *testing.T) {
	dev := []float64{1.45, -1.2, 1.1, -1.55, 1.3, -0.95, 0} // percent; sample SD 1.28%
	base := suiteRuns(16, 7, 3)
	for i := range base {
		if base[i].Config["tp"] == "3" {
			var r int
			fmt.Sscanf(base[i].Batch, "nightly-%d", &r)
			base[i].Metrics[0].Values[0] = 100 * (1 + dev[r-1]/100)
		}
	}
	rep := Compare(base, prRuns(16, "pr", 3, 95), mixOpts(func(o *Options) { o.ConfirmRuns = 0 }))
	r := result(t, rep, "tp=3", tf)
	if r.Status != Regression {
		t.Errorf("tp=3, 5%% drop on a long clean history: %s (p %.3g, threshold %.2f%%), want a regression", r.Status, *r.PValue, r.ThresholdPct)
	}

	// The same evidence as the moderated t test with longPriorDF on the robust pool.
	byKey, order := group(base)
	hist := histories(byKey, order, metricInfo{name: tf, better: bench.Higher}, DefaultOptions)
	fit := Mixture{}.Learn(tf, hist, DefaultOptions).(*mixFit)
	xs := byKey["tp=3"].logPoints(tf)
	cur := []Point{{Log: math.Log(95), Key: "tp=3"}}
	got, _ := fit.Judge(xs, cur, DefaultOptions)
	want, _ := noiseModel{prior: fit.pooled, priorDF: longPriorDF, ok: true}.Judge(xs, cur, DefaultOptions) // not noisier: 1.3% against the pool's 1% quantile
	if got.PLower != want.PLower || got.NoisePct != want.NoisePct || got.Short || got.Contaminated {
		t.Errorf("long clean history: evidence %+v, want the moderated t's %+v", got, want)
	}

	// A slow run (7% below) in the same history: the mixture weighs it.
	slow := append([]Point(nil), xs...)
	slow[2].Log += math.Log(0.93)
	if ev, _ := fit.Judge(slow, cur, DefaultOptions); !ev.Contaminated {
		t.Errorf("long history with a slow run: not judged contaminated by the mixture: %+v", ev)
	}
	// A short history: the mixture, and short.
	if ev, _ := fit.Judge(xs[:4], cur, DefaultOptions); !ev.Short {
		t.Errorf("4-run history: not judged short by the mixture: %+v", ev)
	}
}

// TestNoisyMemoryWindows: over a 17-run history, a steady config with two slow-node runs is
// remembered as steady (a whole-history fit allows one slow run, and would call it noisy),
// and a noisy config as noisy.
func TestNoisyMemoryWindows(t *testing.T) {
	runs := suiteRuns(16, 17, 5)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range runs {
		v := &runs[i].Metrics[0].Values[0]
		switch {
		case runs[i].Config["tp"] == "2" && (runs[i].Batch == "nightly-03" || runs[i].Batch == "nightly-12"):
			*v *= 0.93 // two slow nodes
		case runs[i].Config["tp"] == "5":
			*v = 100 * math.Exp(0.025*rng.NormFloat64()) // a noisy config
		}
	}
	mem := NoisyMemory(runs, nil, DefaultOptions)
	if mem == nil {
		t.Fatal("no memory")
	}
	if p := mem.Noisy["tp=2"]; p > 0.1 {
		t.Errorf("steady config with two slow runs remembered noisy with probability %.3f", p)
	}
	if p := mem.Noisy["tp=5"]; p < 0.9 {
		t.Errorf("noisy config remembered noisy with probability only %.3f", p)
	}
	if p := mem.Noisy["tp=1"]; p > 0.05 {
		t.Errorf("steady config remembered noisy with probability %.3f", p)
	}
	// Runs seen in several versions of the store count once.
	if twice := NoisyMemory(append(append([]bench.Run(nil), runs...), runs[:40]...), nil, DefaultOptions); fmt.Sprint(twice) != fmt.Sprint(mem) {
		t.Errorf("memory of the runs with 40 of them repeated differs:\n%v\nwant\n%v", twice, mem)
	}
	// Each config's own noise, as its windows' pooled variance with the two slow runs left
	// out (tp=2's would more than double its variance).
	bs, _ := group(runs)
	for _, key := range []string{"tp=1", "tp=2", "tp=5"} {
		var ss, df float64
		for _, w := range windows(bs[key].logPoints(tf), memoryWindow) {
			var kept []float64
			for _, p := range w {
				if key != "tp=2" || (p.Batch != "nightly-03" && p.Batch != "nightly-12") {
					kept = append(kept, p.Log)
				}
			}
			ss += variance(kept) * float64(len(kept)-1)
			df += float64(len(kept) - 1)
		}
		o := mem.Own[key]
		if math.Abs(o.Var/(ss/df)-1) > 0.15 || math.Abs(o.DF-df) > 1 {
			t.Errorf("%s: remembered noise %.2f%% on %.1f df, want %.2f%% on %.0f", key, 100*math.Sqrt(o.Var), o.DF, 100*math.Sqrt(ss/df), df)
		}
	}
}

// TestNoisyMemoryTwoSlowInOneWindow: 14 older runs are two windows of 7, and a steady config
// with two slow-node runs in one window (4% of windows at a 5% rate) and one in the other is
// remembered as steady, on its own noise without them: the Mixture allows one slow run per
// window, and the median of two windows' variances is their mean. On the evaluation's short, contaminated
// suites with memory such configs were remembered as noisy (probability 0.2–0.98, noise
// 1.5–3.8% for a true 0.7–1.0%) and their 5% drops missed.
func TestNoisyMemoryTwoSlowInOneWindow(t *testing.T) {
	runs := suiteRuns(16, 14, 11)
	for i := range runs {
		if runs[i].Config["tp"] == "2" && (runs[i].Batch == "nightly-02" || runs[i].Batch == "nightly-05" || runs[i].Batch == "nightly-12") {
			runs[i].Metrics[0].Values[0] *= 0.92 // slow nodes, two in the first window
		}
	}
	mem := NoisyMemory(runs, nil, DefaultOptions)
	if mem == nil {
		t.Fatal("no memory")
	}
	if p := mem.Noisy["tp=2"]; p > 0.05 {
		t.Errorf("steady config with two slow runs in one window remembered noisy with probability %.3f", p)
	}
	o := mem.Own["tp=2"]
	if pct := 100 * math.Sqrt(o.Var); pct > 1.2 || o.DF != 9 {
		t.Errorf("remembered noise %.2f%% on %g df, want about 0.8%% on 9 (the slow runs left out)", pct, o.DF)
	}
}

// TestLongNoisier: on a long, clean history the config's own runs alone give its noise only
// when they spread above the pool's 1% quantile and the store-wide fit gives the config at
// least a longNoisyP chance of being noisy; otherwise its noise is moderated towards the pool.
func TestLongNoisier(t *testing.T) {
	fit := &mixFit{ok: true, sign: 1, pooled: 0.008 * 0.008}
	var xs []Point
	for _, d := range []float64{1.6, -1.5, 1.3, -1.7, 1.4, -1.2, 0.1} { // percent; SD 1.45%
		xs = append(xs, Point{Log: math.Log(1 + 1.2*d/100), Key: "tp=3"})
	}
	own := 100 * math.Sqrt(pointVariance(xs))
	if !fit.longModel().noisier(xs) {
		t.Fatalf("runs of SD %.2f%% not above the quantile of a 0.8%% pool", own)
	}
	cur := []Point{{Log: math.Log(0.95), Key: "tp=3"}}
	for _, tt := range []struct {
		pNoisy float64
		own    bool
	}{{longNoisyP - 0.1, false}, {longNoisyP, true}, {0.9, true}} {
		ev := fit.longJudge(xs, cur, tt.pNoisy)
		nc := ev.Caveats[0].(NoiseClass)
		_, longOwn, _ := fit.longTest(xs, tt.pNoisy)
		if nc.Own != tt.own || nc.Noisy != tt.own || longOwn != tt.own {
			t.Errorf("P(noisy) %.2f: own runs decide %v, want %v", tt.pNoisy, nc.Own, tt.own)
		}
		if tt.own && math.Abs(ev.NoisePct-own) > 1e-9 {
			t.Errorf("P(noisy) %.2f: noise %.3f%%, want its own %.3f%%", tt.pNoisy, ev.NoisePct, own)
		}
		if !tt.own && !(ev.NoisePct > 0.8 && ev.NoisePct < own) {
			t.Errorf("P(noisy) %.2f: noise %.3f%%, want moderated between the pool's 0.8%% and its own %.3f%%", tt.pNoisy, ev.NoisePct, own)
		}
	}
}

// TestLongMemory: on a long, clean history a config the store's history remembers as noisy
// is moderated towards the remembered noisy class, not the steady pool: a 5% drop after seven
// quiet runs fails a config nobody remembers, and does not fail a remembered noisy one.
func TestLongMemory(t *testing.T) {
	base := suiteRuns(16, 7, 3)
	cur := prRuns(16, "pr", 5, 95)
	oneRun := func(o *Options) { o.ConfirmRuns = 0 }
	if r := result(t, Compare(base, cur, mixOpts(oneRun)), "tp=5", tf); r.Status != Regression {
		t.Fatalf("without memory: tp=5 %s %v, want a regression", r.Status, r.Caveats)
	}
	mem := &Memory{Noisy: map[string]float64{"tp=5": 0.99, "tp=6": 0.01}, NoisyPct: 2.5}
	rep := Compare(base, cur, mixOpts(func(o *Options) { oneRun(o); o.NoisyMemory = mem }))
	r := result(t, rep, "tp=5", tf)
	if r.Fails {
		t.Errorf("remembered noisy: tp=5 %s (p=%.3g), want it to pass", r.Status, *r.PValue)
	}
	nc, ok := r.Caveats[0].(NoiseClass)
	if !ok || !nc.Remembered || !nc.Noisy || nc.Own || !(nc.NoisePct > 1 && nc.NoisePct < 2.5) {
		t.Errorf("remembered noisy: caveats %v, want a remembered noisy class moderated between the pool and 2.5%%", r.Caveats)
	}
	if nc, ok := result(t, rep, "tp=6", tf).Caveats[0].(NoiseClass); !ok || nc.Remembered {
		t.Errorf("remembered steady: caveats %v, want the pool", nc)
	}
}

// TestRememberedNoisyClass: on a short window (16 configs of 3 runs, three of them noisy at
// 2.5%), the window's own fit of the noisy class rests on a few degrees of freedom and comes
// out too quiet; the class the store's longer history knows (Memory.NoisyPct, NoisyDF) is kept
// as it is, including a prior weight the window alone could not give.
func TestRememberedNoisyClass(t *testing.T) {
	base := noisySuite(13, 3, 1, 0.008)
	for _, r := range noisySuite(16, 3, 101, 0.025) {
		if c := r.Config["tp"]; c == "14" || c == "15" || c == "16" {
			base = append(base, r)
		}
	}
	byKey, order := group(base)
	if len(order) != 16 {
		t.Fatalf("%d configs, want 16", len(order))
	}
	hist := histories(byKey, order, metricInfo{name: tf, better: bench.Higher}, DefaultOptions)
	window := Mixture{}.Learn(tf, hist, DefaultOptions).(*mixFit)
	mem := &Memory{Noisy: map[string]float64{}, NoisyPct: 2.5, NoisyDF: 35}
	opts := DefaultOptions
	opts.NoisyMemory = mem
	remembered := Mixture{}.Learn(tf, hist, opts).(*mixFit)
	if got, want := remembered.classes[noisyClass], (classPrior{s2: 0.025 * 0.025, df: 35}); math.Abs(got.s2/want.s2-1) > 1e-12 || got.df != want.df {
		t.Errorf("noisy class with memory: %+v, want the remembered %+v", got, want)
	}
	if w := window.classes[noisyClass]; w.df > window.info[noisyClass] && w.df > dfGrid[0] || w.s2 >= 0.025*0.025 {
		t.Errorf("the window's own noisy class %+v (from %.1f df): want it quieter than 2.5%% and weighing no more than its data", w, window.info[noisyClass])
	}
	if remembered.info[noisyClass] >= 35 {
		t.Fatalf("the window gave the noisy class %.1f df: the test needs fewer than the remembered weight", remembered.info[noisyClass])
	}
	// The steady class and the rates are still the window's.
	if s, w := remembered.classes[steadyClass].s2, window.classes[steadyClass].s2; math.Abs(s/w-1) > 0.1 {
		t.Errorf("steady class %.3g with memory, %.3g without: want the window's", s, w)
	}
}

// TestLongOwnMemory: on a long, clean history, a config the store's history knows the noise
// of (Memory.Own) is moderated towards that noise rather than the pool: a 4% drop after
// seven quiet runs fails a config nobody remembers, and passes one whose longer history
// spread 1.6% (a config that lands in one of two modes, say); a config remembered as quiet
// as the pool still fails, and a remembered noise of too few degrees of freedom is not used.
func TestLongOwnMemory(t *testing.T) {
	base := suiteRuns(16, 7, 3)
	cur := prRuns(16, "pr", 5, 96)
	oneRun := func(o *Options) { o.ConfirmRuns = 0 }
	judge := func(own OwnNoise) *Result {
		mem := &Memory{Noisy: map[string]float64{"tp=5": 0.01}, NoisyPct: 2.5, NoisyDF: 20, Own: map[string]OwnNoise{"tp=5": own}}
		return result(t, Compare(base, cur, mixOpts(func(o *Options) { oneRun(o); o.NoisyMemory = mem })), "tp=5", tf)
	}
	if r := result(t, Compare(base, cur, mixOpts(oneRun)), "tp=5", tf); r.Status != Regression {
		t.Fatalf("without memory: tp=5 %s %v, want a regression", r.Status, r.Caveats)
	}
	if r := judge(OwnNoise{Var: 0.016 * 0.016, DF: 20}); r.Fails {
		t.Errorf("remembered 1.6%% noise: tp=5 %s (p=%.3g, noise %.2f%%), want it to pass", r.Status, *r.PValue, r.Baseline.NoisePct)
	} else if nc := r.Caveats[0].(NoiseClass); nc.Remembered || nc.Noisy {
		t.Errorf("remembered 1.6%% noise: caveat %+v, want no noisy class (it is not remembered noisy)", nc)
	}
	if r := judge(OwnNoise{Var: 0.008 * 0.008, DF: 20}); r.Status != Regression {
		t.Errorf("remembered 0.8%% noise: tp=5 %s, want a regression", r.Status)
	}
	if r := judge(OwnNoise{Var: 0.016 * 0.016, DF: minOwnDF - 1}); r.Status != Regression {
		t.Errorf("remembered noise on %d df: tp=5 %s, want the pool's regression", minOwnDF-1, r.Status)
	}
}

// TestShortOwnMemory: on a short window, a config the store's history remembers as steady is
// weighed on its own remembered noise (ofConfig), not the suite's steady class, when that noise
// rests on at least minOwnDF degrees of freedom.
func TestShortOwnMemory(t *testing.T) {
	base := suiteRuns(16, 3, 3) // three runs: the mixture's weighing, not the long t test
	cur := prRuns(16, "pr", 5, 96)
	judge := func(own OwnNoise) *Result {
		mem := &Memory{Noisy: map[string]float64{"tp=5": 0.002}, NoisyPct: 2.5, NoisyDF: 20, Own: map[string]OwnNoise{"tp=5": own}}
		return result(t, Compare(base, cur, mixOpts(func(o *Options) { o.ConfirmRuns = 0; o.NoisyMemory = mem })), "tp=5", tf)
	}
	class := judge(OwnNoise{})
	if class.Status != Regression {
		t.Fatalf("no remembered noise: tp=5 %s %v, want the steady class's regression", class.Status, class.Caveats)
	}
	if r := judge(OwnNoise{Var: 0.016 * 0.016, DF: 20}); r.Fails || r.Baseline.NoisePct < 1.3 {
		t.Errorf("remembered 1.6%% noise: tp=5 %s, noise %.2f%%, want it to pass on about its own noise", r.Status, r.Baseline.NoisePct)
	}
	if r := judge(OwnNoise{Var: 0.004 * 0.004, DF: 20}); r.Status != Regression || r.Baseline.NoisePct > 0.5 || *r.PValue >= *class.PValue {
		t.Errorf("remembered 0.4%% noise: tp=5 %s, noise %.2f%%, p %.2g, want a regression on about its own noise, surer than the class's p %.2g", r.Status, r.Baseline.NoisePct, *r.PValue, *class.PValue)
	}
	if r := judge(OwnNoise{Var: 0.016 * 0.016, DF: minOwnDF - 1}); r.Status != Regression || r.Baseline.NoisePct != class.Baseline.NoisePct {
		t.Errorf("remembered noise on %d df: tp=5 %s, noise %.2f%%, want the steady class's regression at %.2f%%", minOwnDF-1, r.Status, r.Baseline.NoisePct, class.Baseline.NoisePct)
	}
}

// TestOwnNoise: a config's remembered noise leaves out slow runs, two in one window too, but
// not a bimodal config's low mode, nor an ordinary low run of a quiet stretch.
func TestOwnNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	draw := func(n int, sd float64, at map[int]float64) []float64 {
		g := make([]float64, n)
		for i := range g {
			g[i] = sd*rng.NormFloat64() + at[i]
		}
		return g
	}
	pooled := func(ws [][]float64) float64 { // without the planted slow runs
		var ss, df float64
		for _, g := range ws {
			ss += variance(g) * float64(len(g)-1)
			df += float64(len(g) - 1)
		}
		return ss / df
	}
	clean := [][]float64{draw(7, 0.008, nil), draw(7, 0.008, nil), draw(7, 0.008, nil)}
	slow := [][]float64{append(clean[0][:5:5], -0.07, -0.05), clean[1], append(clean[2][:6:6], -0.06)}
	want := pooled([][]float64{clean[0][:5], clean[1], clean[2][:6]})
	if v, df := ownNoise(slow); math.Abs(v/want-1) > 1e-9 || df != 4+6+5 {
		t.Errorf("three slow runs, two in one window: noise %.2f%% on %g df, want %.2f%% on 15", 100*math.Sqrt(v), df, 100*math.Sqrt(want))
	}
	var bimodal [][]float64
	for w := 0; w < 3; w++ {
		g := draw(7, 0.006, nil)
		for i := range g {
			if rng.IntN(2) == 0 {
				g[i] -= 0.03 // the slow mode, 3% below
			}
		}
		bimodal = append(bimodal, g)
	}
	if v, df := ownNoise(bimodal); math.Abs(v/pooled(bimodal)-1) > 1e-9 || df != 18 {
		t.Errorf("bimodal: noise %.2f%% on %g df, want all its runs: %.2f%% on 18", 100*math.Sqrt(v), df, 100*math.Sqrt(pooled(bimodal)))
	}
	// A quiet stretch and a run 2.5% below it: more than 3 of this config's standard
	// deviations, but less than any slow node's shift.
	quiet := [][]float64{{0.001, -0.001, 0.002, 0, -0.002, 0.001, -0.025}, draw(7, 0.004, nil), draw(7, 0.004, nil)}
	if _, df := ownNoise(quiet); df != 18 {
		t.Errorf("a run 2.5%% below a quiet stretch left out: %g df, want 18", df)
	}
}
