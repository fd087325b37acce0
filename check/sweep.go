package check

import (
	"math"
	"sort"

	"github.com/perfgate/perfgate/bench"
)

// sweep answers the question a parallelism sweep exists for: which config is fastest for
// each job (model and scale: every key that is not a knob), and whether the new results
// change the winner. A job's configs are ranked by TFLOPS/GPU when every one of them that ran
// reports it, else by time per iteration when every one reports that, else not at all. Jobs
// with a single config are left out. keys are the configs of bs and ns, sorted
// (configKeys).
func sweep(bs, ns map[string]*series, keys []string, metrics []metricInfo) []Winner {
	var ranks []*metricInfo // in order of preference
	for _, name := range []string{bench.MetricTFLOPS, bench.MetricTime} {
		for i := range metrics {
			if metrics[i].name == name {
				ranks = append(ranks, &metrics[i])
			}
		}
	}
	if len(ranks) == 0 {
		return nil
	}
	type entry struct {
		cfg       bench.Config
		base, now *series // now is base when the config is not in the new results
	}
	// runs says whether a series ran: a baseline whose last run did not is failing, and so
	// are new results with any failed run (judge), whatever the order of their runs.
	runs := func(s *series, isNew bool) bool {
		return s != nil && s.last == bench.OK && !(isNew && s.failed > 0)
	}
	byScale := map[string][]entry{}
	var scales []string
	for _, k := range keys {
		var cfg bench.Config
		if bs[k] != nil {
			cfg = bs[k].cfg
		} else {
			cfg = ns[k].cfg
		}
		e := entry{cfg: cfg, base: bs[k], now: bs[k]}
		if n, ok := ns[k]; ok {
			e.now = n
		}
		scale := knobs(cfg, false).String() // the keys that are not knobs: the job
		es, ok := byScale[scale]
		if !ok {
			scales = append(scales, scale)
		}
		byScale[scale] = append(es, e)
	}
	sort.Strings(scales)
	// measured says whether every config of the scale that ran reports the metric on both
	// sides: a config that ran but did not report it is not slower, only unranked, so a
	// metric only some runs report would crown a config that was not measured.
	measured := func(es []entry, name string) bool {
		for _, e := range es {
			for i, s := range []*series{e.base, e.now} {
				if runs(s, i == 1 && e.now != e.base) && len(s.logPoints(name)) == 0 {
					return false
				}
			}
		}
		return true
	}
	var out []Winner
	for _, sc := range scales {
		es := byScale[sc]
		if len(es) < 2 {
			continue
		}
		var rank *metricInfo
		for _, r := range ranks {
			if measured(es, r.name) {
				rank = r
				break
			}
		}
		if rank == nil {
			continue
		}
		center := func(s *series, isNew bool) float64 {
			if !runs(s, isNew) {
				return math.NaN()
			}
			return math.Exp(pointMean(s.logPoints(rank.name)))
		}
		better := func(a, b float64) bool { // both measured: the loop skips NaN
			if rank.better == bench.Lower {
				return a < b
			}
			return a > b
		}
		bw, nw := -1, -1
		var bBest, nBest float64
		for i, e := range es {
			if b := center(e.base, false); !math.IsNaN(b) && (bw < 0 || better(b, bBest)) {
				bw, bBest = i, b
			}
			if n := center(e.now, e.now != e.base); !math.IsNaN(n) && (nw < 0 || better(n, nBest)) {
				nw, nBest = i, n
			}
		}
		w := Winner{Scale: knobs(es[0].cfg, false), Metric: rank.name}
		if bw >= 0 {
			w.Baseline = knobs(es[bw].cfg, true).String() // the knobs name a config within its scale
		}
		if nw >= 0 {
			w.New = knobs(es[nw].cfg, true).String()
		}
		w.Changed = bw != nw
		if bw < 0 && nw < 0 {
			continue
		}
		out = append(out, w)
	}
	return out
}

// knobs returns the part of cfg whose keys are knobs (bench.IsKnob), or, when want is false,
// the part whose keys are not: the config's scale.
func knobs(cfg bench.Config, want bool) bench.Config {
	part := bench.Config{}
	for k, v := range cfg {
		if bench.IsKnob(k) == want {
			part[k] = v
		}
	}
	return part
}
