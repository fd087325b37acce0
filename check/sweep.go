package check

import (
	"math"
	"sort"
	"strings"

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
	// label is a config's knobs, which name it within its scale.
	label := func(cfg bench.Config) string {
		var b strings.Builder
		for _, ck := range cfg.Keys() {
			if bench.IsKnob(ck) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(ck + "=" + cfg[ck])
			}
		}
		return b.String()
	}
	byScale := map[string][]entry{}
	var scales []string
	var b strings.Builder
	for _, k := range keys {
		var cfg bench.Config
		if bs[k] != nil {
			cfg = bs[k].cfg
		} else {
			cfg = ns[k].cfg
		}
		b.Reset()
		for _, ck := range cfg.Keys() {
			if !bench.IsKnob(ck) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(ck)
				b.WriteByte('=')
				b.WriteString(cfg[ck])
			}
		}
		e := entry{cfg: cfg, base: center(bs[k])}
		e.now = e.base
		if n, ok := ns[k]; ok {
			e.now = center(n)
		}
		es, ok := byScale[b.String()]
		if !ok {
			scales = append(scales, b.String())
		}
		byScale[b.String()] = append(es, e)
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
		scale := map[string]string{}
		for k, v := range es[0].cfg {
			if !bench.IsKnob(k) {
				scale[k] = v
			}
		}
		w := Winner{Scale: scale, Metric: rank.name}
		if bw >= 0 {
			w.Baseline = label(es[bw].cfg)
		}
		if nw >= 0 {
			w.New = label(es[nw].cfg)
		}
		w.Changed = bw != nw
		if bw < 0 && nw < 0 {
			continue
		}
		out = append(out, w)
	}
	return out
}
