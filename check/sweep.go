package check

import (
	"math"
	"sort"

	"github.com/perfgate/perfgate/bench"
)

// sweep answers the question a parallelism sweep exists for: which config is fastest for
// each job (model and scale: every key that is not a knob), and whether the new results
// change the winner. Configs are ranked by TFLOPS/GPU when reported, else by time per
// iteration. Jobs with a single config are left out. keys are the configs of bs and ns, sorted
// (configKeys).
func sweep(bs, ns map[string]*series, keys []string, metrics []metricInfo) []Winner {
	var rank *metricInfo
	for i := range metrics {
		if metrics[i].name == bench.MetricTFLOPS {
			rank = &metrics[i]
		}
	}
	if rank == nil {
		for i := range metrics {
			if metrics[i].name == bench.MetricTime {
				rank = &metrics[i]
			}
		}
	}
	if rank == nil {
		return nil
	}
	type entry struct {
		cfg       bench.Config
		base, now float64 // NaN when not measured
	}
	center := func(s *series) float64 {
		if s == nil || s.last != bench.OK {
			return math.NaN()
		}
		xs := s.logPoints(rank.name)
		if len(xs) == 0 {
			return math.NaN()
		}
		return math.Exp(pointMean(xs))
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
		e := entry{cfg: cfg, base: center(bs[k])}
		e.now = e.base
		if n, ok := ns[k]; ok {
			e.now = center(n)
		}
		scale := knobs(cfg, false).String() // the keys that are not knobs: the job
		es, ok := byScale[scale]
		if !ok {
			scales = append(scales, scale)
		}
		byScale[scale] = append(es, e)
	}
	sort.Strings(scales)
	better := func(a, b float64) bool {
		if math.IsNaN(b) {
			return !math.IsNaN(a)
		}
		if math.IsNaN(a) {
			return false
		}
		if rank.better == bench.Lower {
			return a < b
		}
		return a > b
	}
	var out []Winner
	for _, sc := range scales {
		es := byScale[sc]
		if len(es) < 2 {
			continue
		}
		bw, nw := -1, -1
		for i, e := range es {
			if !math.IsNaN(e.base) && (bw < 0 || better(e.base, es[bw].base)) {
				bw = i
			}
			if !math.IsNaN(e.now) && (nw < 0 || better(e.now, es[nw].now)) {
				nw = i
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
