package check

import (
	"fmt"
	"math"
	"sort"

	"github.com/perfgate/perfgate/bench"
)

// A Description summarises a baseline: what "perfgate baseline show" prints.
type Description struct {
	Configs int             `json:"configs"`
	Series  []SeriesSummary `json:"series"`
	Pooled  []PooledNoise   `json:"pooled_noise"`
	Sweep   []Winner        `json:"sweep,omitempty"`
}

// A SeriesSummary describes the stored runs of one config and metric.
type SeriesSummary struct {
	Config   map[string]string `json:"config"`
	Metric   string            `json:"metric"`
	Runs     int               `json:"runs"`
	Failed   int               `json:"failed"`
	Last     string            `json:"last_outcome"`
	Center   float64           `json:"center"`
	NoisePct float64           `json:"noise_pct"` // the noise a check would use for it
	Test     string            `json:"test"`      // "statistical" or "tolerance ±5%"
}

// PooledNoise is the suite-wide run-to-run noise of one metric.
type PooledNoise struct {
	Metric   string  `json:"metric"`
	NoisePct float64 `json:"noise_pct"`
	Text     string  `json:"text"`
}

// Describe summarises stored runs with the statistics a check would apply to them.
func Describe(runs []bench.Run, opts Options) *Description {
	bs, order := group(runs)
	sort.Strings(order)
	metrics := suiteMetrics(nil, runs)
	d := &Description{Configs: len(order), Series: []SeriesSummary{}, Pooled: []PooledNoise{}}
	for _, mi := range metrics {
		nm := learnNoise(bs, order, mi.name, opts.MinHistoryRuns)
		pn := PooledNoise{Metric: mi.name}
		if nm.ok {
			pn.NoisePct = 100 * math.Sqrt(nm.prior)
			pn.Text = fmt.Sprintf("±%.2f%% (robust pool over configs with ≥%d runs)", pn.NoisePct, opts.MinHistoryRuns)
		} else {
			pn.Text = fmt.Sprintf("unknown: no config has %d runs yet, so checks use the fixed ±%g%% tolerance", opts.MinHistoryRuns, opts.TolerancePct)
		}
		d.Pooled = append(d.Pooled, pn)
		for _, k := range order {
			s := bs[k]
			xs := s.logCenters(mi.name) // cached
			if len(xs) == 0 && s.okRuns > 0 {
				continue // this config never reported the metric
			}
			e := SeriesSummary{Config: s.cfg, Metric: mi.name, Runs: len(xs), Failed: s.failed, Last: string(s.last)}
			if len(xs) > 0 {
				e.Center = math.Exp(mean(xs))
			}
			if len(xs) >= opts.MinHistoryRuns && nm.ok {
				v, _ := nm.configNoise(xs)
				e.NoisePct = 100 * math.Sqrt(v)
				e.Test = "statistical"
			} else {
				e.Test = fmt.Sprintf("tolerance ±%g%%", opts.TolerancePct)
			}
			d.Series = append(d.Series, e)
		}
	}
	d.Sweep = sweep(bs, order, nil, metrics)
	return d
}
