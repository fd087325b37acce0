package check

import (
	"math"
	"slices"
	"sort"

	"github.com/perfgate/perfgate/bench"
)

// A Description summarises a baseline: what "perfgate baseline show" prints. Like Report, its
// word fields (SeriesSummary.Test, PooledNoise.Text) are filled by package report.
type Description struct {
	Configs int             `json:"configs"`
	Series  []SeriesSummary `json:"series"`
	Pooled  []PooledNoise   `json:"pooled_noise"`
	Sweep   []Winner        `json:"sweep,omitempty"`
	// Runs is the number of stored runs; TolerancePct, MinHistoryRuns and Test the settings
	// the statistics used. Not in the JSON.
	Runs           int     `json:"-"`
	TolerancePct   float64 `json:"-"`
	MinHistoryRuns int     `json:"-"`
	Test           string  `json:"-"`
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
	// Tested is true when a check would test the config statistically, false when the
	// fixed tolerance would decide it.
	Tested bool `json:"-"`
	// Identical says that the runs are one result ingested several times (the same file,
	// value for value): a check counts them as one run, so the fixed tolerance decides.
	// Added to schema 1.
	Identical bool `json:"identical_runs,omitempty"`
	// Test is Tested in words: "statistical" or "tolerance ±5%".
	Test string `json:"test"`
	// SlowRuns are the batches of the runs the test judged probably slow (a slow node).
	// Added to schema 1.
	SlowRuns []string `json:"slow_runs,omitempty"`
	// NoiseClass is "steady" or "noisy" when the test models noise classes. Added to
	// schema 1.
	NoiseClass string `json:"noise_class,omitempty"`
	// DetectablePct is the smallest drop, in percent, that one new run would fail the gate
	// with today: the larger of the minimum effect and the test's threshold at the per-config
	// level of the correction over the metric's tested configs. 0 when the config is not
	// tested (the fixed tolerance decides). Added to schema 1.
	DetectablePct float64 `json:"detectable_drop_pct,omitempty"`
}

// PooledNoise is the suite-wide run-to-run noise of one metric.
type PooledNoise struct {
	Metric string `json:"metric"`
	Pool          // its Configs is 0 when no config has enough history to learn the noise from
	// Text is the above in words.
	Text string `json:"text"`
}

// Describe summarises stored runs with the statistics a check would apply to them.
func Describe(runs []bench.Run, opts Options) *Description {
	test := testOf(opts)
	bs, order := group(runs)
	sort.Strings(order) // for sweep, as check orders configs
	byName := slices.Clone(order)
	slices.SortFunc(byName, bench.CompareKeys) // the rows, as people read them: tp=2 before tp=16
	metrics := suiteMetrics(nil, runs)
	learned := learn(test, bs, order, metrics, opts)
	d := &Description{Configs: len(order), Series: []SeriesSummary{}, Pooled: []PooledNoise{},
		Runs: len(runs), TolerancePct: opts.TolerancePct, MinHistoryRuns: opts.MinHistoryRuns, Test: test.Name()}
	for _, mi := range metrics {
		l := learned[mi.name]
		pn := PooledNoise{Metric: mi.name, Pool: l.Pooled()}
		d.Pooled = append(d.Pooled, pn)
		first, tested := len(d.Series), 0
		var points [][]Point // per series from first: its baseline points
		for _, k := range byName {
			s := bs[k]
			// The points as a check's test sees them: identical runs (one result ingested
			// several times) are one, and the fixed tolerance decides them, as check does.
			xs, n := s.testPoints(mi.name, opts)
			if n == 0 && s.okRuns > 0 {
				continue // this config never reported the metric
			}
			e := SeriesSummary{Config: s.cfg, Metric: mi.name, Runs: n, Failed: s.failed, Last: string(s.last), Identical: len(xs) < n}
			if n > 0 {
				e.Center = math.Exp(pointMean(s.logPoints(mi.name)))
			}
			e.NoisePct, e.Tested = l.Noise(xs, opts)
			if e.Tested {
				tested++
			}
			d.Series = append(d.Series, e)
			points = append(points, xs)
		}
		for i, xs := range points {
			if e := &d.Series[first+i]; e.Tested {
				describeJudgement(e, l, xs, tested, opts)
			}
		}
	}
	if len(metrics) == 0 {
		// A store of failed runs only (a seeding sweep that ran out of memory throughout)
		// holds no metric to list its configs under: each has a row without one, with its
		// failed runs and last outcome.
		for _, k := range byName {
			s := bs[k]
			d.Series = append(d.Series, SeriesSummary{Config: s.cfg, Failed: s.failed, Last: string(s.last)})
		}
	}
	d.Sweep = sweep(bs, nil, order, metrics) // order is sorted
	return d
}

// describeJudgement asks the test how it would judge one new run at the config's level: the
// threshold it would apply (at the per-config level of a correction over tested configs), the
// noise class and the runs it judges slow.
func describeJudgement(e *SeriesSummary, l Learned, xs []Point, tested int, opts Options) {
	ev, ok := l.Judge(xs, []Point{{Log: pointMean(xs), Key: xs[0].Key}}, opts)
	if !ok {
		return
	}
	minEffect, _, _ := settings(e.Config, e.Metric, opts)
	e.DetectablePct = minEffect
	if ev.Bound != nil {
		q := opts.Alpha
		if opts.Correction != NoCorrection {
			q /= float64(max(tested, 1))
		}
		e.DetectablePct = math.Max(minEffect, 100*(1-math.Exp(-ev.Bound(q))))
	}
	for _, c := range ev.Caveats {
		switch c := c.(type) {
		case NoiseClass:
			e.NoiseClass = "steady"
			if c.Noisy {
				e.NoiseClass = "noisy"
			}
		case SlowBaselineRun:
			e.SlowRuns = append(e.SlowRuns, c.Batch)
		}
	}
}
