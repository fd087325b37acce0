package check

import (
	"math"
	"slices"

	"github.com/perfgate/perfgate/bench"
)

// A Memory is what a longer history showed of the configs' noise classes.
type Memory struct {
	// Noisy maps config keys to the probability that the config is noisy.
	Noisy map[string]float64
	// NoisyPct is the run-to-run noise of the noisy class, in percent (0: unknown).
	NoisyPct float64
}

// NoisyMemory learns, from runs spanning more history than the current window (the store as
// committed at older git refs, together with the current one), the probability that each
// config is noisy, for Options.NoisyMemory: a config whose longer history showed it noisy
// keeps that knowledge when its current window happens to look quiet. Runs seen in several
// versions of the store count once. The classes are learned by the Mixture test on the speed
// metric that decides (the first of opts.SpeedMetrics the runs have); configs with fewer than
// opts.MinHistoryRuns runs are left out.
func NoisyMemory(runs []bench.Run, opts Options) *Memory {
	seen := map[string]bool{}
	var uniq []bench.Run
	for _, r := range runs {
		id := r.ConfigKey() + "\x00" + r.Batch + "\x00" + r.Date + "\x00" + r.Commit
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, r)
		}
	}
	metrics := suiteMetrics(nil, uniq)
	var mi *metricInfo
	for _, want := range opts.SpeedMetrics {
		if i := slices.IndexFunc(metrics, func(m metricInfo) bool { return m.name == want }); i >= 0 {
			mi = &metrics[i]
			break
		}
	}
	if mi == nil {
		return nil
	}
	bs, order := group(uniq)
	noMemory := opts
	noMemory.NoisyMemory = nil
	fit, ok := Mixture{}.Learn(mi.name, histories(bs, order, *mi), noMemory).(*mixFit)
	if !ok || !fit.ok {
		return nil
	}
	mem := &Memory{Noisy: map[string]float64{}, NoisyPct: 100 * math.Sqrt(fit.classes[noisyClass].s2)}
	for _, k := range order {
		xs := bs[k].logPoints(mi.name)
		if len(xs) < max(opts.MinHistoryRuns, 2) {
			continue
		}
		var p float64
		hs := fit.hypotheses(signed(xs, fit.sign), nil, fit.share)
		for _, h := range hs {
			if h.class == noisyClass {
				p += h.w
			}
		}
		mem.Noisy[k] = p
	}
	return mem
}
