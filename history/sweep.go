package history

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// A Sweep ranks the configs of each scale (job) by their newest value of one metric.
type Sweep struct {
	Metric string  `json:"metric"`
	Better string  `json:"better"`
	Scales []Scale `json:"scales"`
}

// A Scale is the configs of one job: those sharing every key that is not a knob (model, gbs,
// sl, nodes, …).
type Scale struct {
	Scale bench.Config `json:"scale"`
	// Configs is the number of configs of the scale with a newest value.
	Configs int `json:"configs"`
	// Best is the key of the config with the best newest value.
	Best      string       `json:"best"`
	BestCfg   bench.Config `json:"best_config"`
	BestValue float64      `json:"best_value"`
	// TP and PP are the tensor- and pipeline-parallel sizes of the scale, in numeric order,
	// and Grid[i][j] the best newest value of the configs with TP[i] and PP[j] (nil: none
	// ran). Absent when the configs have no tp and pp keys.
	TP   []string     `json:"tp,omitempty"`
	PP   []string     `json:"pp,omitempty"`
	Grid [][]*float64 `json:"grid,omitempty"`
}

// sweep ranks by TFLOPS/GPU when the history has it, else by time per iteration.
func sweep(h *History) *Sweep {
	metric := ""
	var better bench.Better
	for _, want := range []string{bench.MetricTFLOPS, bench.MetricTime} {
		for i := range h.Series {
			if h.Series[i].Metric == want {
				metric, better = want, h.Series[i].Better
				break
			}
		}
		if metric != "" {
			break
		}
	}
	if metric == "" {
		return nil
	}
	isBetter := func(a, b float64) bool {
		if better == bench.Lower {
			return a < b
		}
		return a > b
	}
	type entry struct {
		s *Series
		v float64
	}
	byScale := map[string][]entry{}
	scaleCfg := map[string]bench.Config{}
	for i := range h.Series {
		s := &h.Series[i]
		if s.Metric != metric || len(s.Points) == 0 || !s.Points[len(s.Points)-1].OK() {
			continue
		}
		sc := bench.Config{}
		for k, v := range s.Config {
			if !bench.IsKnob(k) {
				sc[k] = v
			}
		}
		key := sc.Key()
		scaleCfg[key] = sc
		byScale[key] = append(byScale[key], entry{s, *s.Points[len(s.Points)-1].Value})
	}
	out := &Sweep{Metric: metric, Better: better.String(), Scales: []Scale{}}
	keys := make([]string, 0, len(byScale))
	for k := range byScale {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		es := byScale[k]
		sc := Scale{Scale: scaleCfg[k], Configs: len(es)}
		best := 0
		for i, e := range es {
			if isBetter(e.v, es[best].v) {
				best = i
			}
		}
		sc.Best, sc.BestCfg, sc.BestValue = es[best].s.Key, es[best].s.Config, es[best].v
		var tps, pps []string
		for _, e := range es {
			tp, ok1 := e.s.Config["tp"]
			pp, ok2 := e.s.Config["pp"]
			if !ok1 || !ok2 {
				tps = nil
				break
			}
			if !slices.Contains(tps, tp) {
				tps = append(tps, tp)
			}
			if !slices.Contains(pps, pp) {
				pps = append(pps, pp)
			}
		}
		if len(tps) > 0 {
			sortNumeric(tps)
			sortNumeric(pps)
			grid := make([][]*float64, len(tps))
			for i := range grid {
				grid[i] = make([]*float64, len(pps))
			}
			for _, e := range es {
				i, j := slices.Index(tps, e.s.Config["tp"]), slices.Index(pps, e.s.Config["pp"])
				if c := grid[i][j]; c == nil || isBetter(e.v, *c) {
					v := e.v
					grid[i][j] = &v
				}
			}
			sc.TP, sc.PP, sc.Grid = tps, pps, grid
		}
		out.Scales = append(out.Scales, sc)
	}
	return out
}

// sortNumeric sorts values numerically where they are numbers, numbers first.
func sortNumeric(xs []string) {
	sort.Slice(xs, func(i, j int) bool {
		a, ea := strconv.ParseFloat(xs[i], 64)
		b, eb := strconv.ParseFloat(xs[j], 64)
		switch {
		case ea == nil && eb == nil:
			return a < b
		case ea == nil:
			return true
		case eb == nil:
			return false
		}
		return strings.Compare(xs[i], xs[j]) < 0
	})
}
