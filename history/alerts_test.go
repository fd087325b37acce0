package history

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// speedNights builds one revision per night, as nights does, with the metrics metrics(c,
// night) names: TFLOPS/GPU is level(c, night), s/iter, tokens/s/GPU and samples/s follow it,
// MB-max-allocated is mem(c, night). level 0 is an OOM.
func speedNights(n int, cfgs []bench.Config, seed uint64, level, mem func(c, night int) float64, metrics func(c, night int) []string) []Revision {
	rng := rand.New(rand.NewPCG(seed, 11))
	var revs []Revision
	for i := 0; i < n; i++ {
		rev := Revision{Commit: fmt.Sprintf("%040x", i+1), Date: fmt.Sprintf("2026-10-%02dT04:00:00Z", i+1)}
		for c, cfg := range cfgs {
			r := bench.Run{Config: cfg, Batch: fmt.Sprintf("nightly-%03d", i), Date: fmt.Sprintf("2026-10-%02dT03:00:00Z", i+1), Commit: fmt.Sprintf("m%03d", i)}
			v := level(c, i)
			noise := math.Exp(rng.NormFloat64() * 0.005)
			m := mem(c, i) * math.Exp(rng.NormFloat64()*0.002)
			if v <= 0 {
				r.Outcome = bench.OOM
				rev.Runs = append(rev.Runs, r)
				continue
			}
			v *= noise
			r.Outcome = bench.OK
			for _, name := range metrics(c, i) {
				switch name {
				case bench.MetricTFLOPS:
					r.Metrics = append(r.Metrics, bench.Metric{Name: name, Better: bench.Higher, Values: []float64{v}})
				case bench.MetricTime:
					r.Metrics = append(r.Metrics, bench.Metric{Name: name, Better: bench.Lower, Values: []float64{1000 / v}})
				case "tokens/s/GPU", "samples/s":
					r.Metrics = append(r.Metrics, bench.Metric{Name: name, Better: bench.Higher, Values: []float64{30 * v}})
				case bench.MetricMaxAlloc:
					r.Metrics = append(r.Metrics, bench.Metric{Name: name, Better: bench.Lower, Values: []float64{m}})
				}
			}
			rev.Runs = append(rev.Runs, r)
		}
		revs = append(revs, rev)
	}
	return revs
}

func allMetrics(c, night int) []string {
	return []string{bench.MetricTFLOPS, bench.MetricTime, "tokens/s/GPU", bench.MetricMaxAlloc}
}

func flat(v float64) func(c, night int) float64 { return func(c, night int) float64 { return v } }

// describe writes alerts as "cfg-index metric kind [shown metrics]", sorted by config.
func describe(h *History, cfgs []bench.Config, alerts []Alert) string {
	var out []string
	for _, a := range alerts {
		c := slices.IndexFunc(cfgs, func(cfg bench.Config) bool { return cfg.Key() == a.Key })
		var with []string
		for _, w := range a.With {
			with = append(with, w.Metric)
		}
		out = append(out, fmt.Sprintf("%d %s %s [%s]", c, a.Metric, a.Change.Kind, strings.Join(with, ",")))
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// TestAlertsOneMeasurement: a config whose speed steps 6% (TFLOPS/GPU, s/iter and
// tokens/s/GPU, one measurement) alerts once, on TFLOPS/GPU, the gate's deciding metric,
// with the other two shown; its memory, which stepped the same night, is another
// measurement and alerts on its own. A config that starts to run out of memory alerts once,
// every metric's failure shown on it.
func TestAlertsOneMeasurement(t *testing.T) {
	cfgs := threeCfgs
	revs := speedNights(30, cfgs, 1, func(c, night int) float64 {
		switch {
		case c == 0 && night >= 27:
			return 94
		case c == 2 && night >= 28:
			return 0
		}
		return 100
	}, func(c, night int) float64 {
		if c == 0 && night >= 27 {
			return 72000 * 1.08
		}
		return 72000
	}, allMetrics)
	h := Build(revs, nil, FromGit, DefaultOptions())
	got := describe(h, cfgs, h.Alerts(3))
	want := strings.Join([]string{
		"0 MB-max-allocated level []",
		"0 TFLOPS/GPU level [s/iter,tokens/s/GPU]",
		"2 TFLOPS/GPU outcome [s/iter,tokens/s/GPU,MB-max-allocated]",
	}, "\n")
	if got != want {
		t.Errorf("alerts\n%s\nwant\n%s", got, want)
	}
	// With no speed metrics every metric alerts on its own, as before.
	o := DefaultOptions()
	o.SpeedMetrics = nil
	if n := len(Build(revs, nil, FromGit, o).Alerts(3)); n != 8 {
		t.Errorf("without speed metrics: %d alerts, want 8 (4 metrics of the stepping config, 4 of the failing one)", n)
	}
}

// TestAlertsDecidingMetric: the speed metric that decides is the gate's order
// (check.DefaultOptions.SpeedMetrics), falling back to the next one a config has in its newest
// night; s/iter decides when the config file puts it first (check.TimeFirst). A change of a
// metric that does not decide is shown with the deciding one's alert, never an alert of its
// own.
func TestAlertsDecidingMetric(t *testing.T) {
	cfgs := threeCfgs
	step := func(c, night int) float64 {
		if night >= 27 {
			return 93
		}
		return 100
	}
	metrics := func(c, night int) []string {
		switch {
		case c == 1 && night >= 20: // lost its FLOPs formula: no TFLOPS/GPU from night 20
			return []string{bench.MetricTime, "tokens/s/GPU"}
		case c == 2: // never had TFLOPS/GPU
			return []string{"samples/s", bench.MetricTime}
		}
		return []string{bench.MetricTime, bench.MetricTFLOPS}
	}
	revs := speedNights(30, cfgs, 2, step, flat(1), metrics)
	h := Build(revs, nil, FromGit, DefaultOptions())
	alerts := h.Alerts(3)
	got := describe(h, cfgs, alerts)
	want := strings.Join([]string{
		"0 TFLOPS/GPU level [s/iter]",
		"1 tokens/s/GPU level [s/iter]",
		"2 samples/s level [s/iter]",
	}, "\n")
	if got != want {
		t.Errorf("alerts\n%s\nwant\n%s", got, want)
	}
	o := DefaultOptions()
	o.SpeedMetrics = check.TimeFirst(o.SpeedMetrics)
	for _, a := range Build(revs, nil, FromGit, o).Alerts(3) {
		if a.Metric != bench.MetricTime || len(a.With) != 1 {
			t.Errorf("with s/iter first, alert on %s showing %d, want s/iter showing the other", a.Metric, len(a.With))
		}
	}

	// A change of TFLOPS/GPU that s/iter, the deciding metric here, does not have is no
	// alert (a hand-made history: the two cannot disagree by much on real runs).
	h = Build(revs, nil, FromGit, o)
	for i := range h.Series {
		if h.Series[i].Metric == bench.MetricTime {
			h.Series[i].ChangePoints = nil
		}
	}
	if a := h.Alerts(3); len(a) != 0 {
		t.Errorf("a change of a speed metric that does not decide alerted: %s", describe(h, cfgs, a))
	}
}
