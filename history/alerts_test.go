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

// describe writes alerts as "cfg-index metric kind [shown metrics] event", sorted by config.
func describe(h *History, cfgs []bench.Config, alerts []Alert) string {
	var out []string
	for _, a := range alerts {
		c := slices.IndexFunc(cfgs, func(cfg bench.Config) bool { return cfg.Key() == a.Key })
		var with []string
		for _, w := range a.With {
			with = append(with, w.Metric)
		}
		out = append(out, fmt.Sprintf("%d %s %s [%s] %s", c, a.Metric, a.Change.Kind, strings.Join(with, ","), a.Event))
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
		"0 MB-max-allocated level [] ",
		"0 TFLOPS/GPU level [s/iter,tokens/s/GPU] ",
		"2 TFLOPS/GPU outcome [s/iter,tokens/s/GPU,MB-max-allocated] ",
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
		"0 TFLOPS/GPU level [s/iter] " + alerts[0].Event,
		"1 tokens/s/GPU level [s/iter] " + alerts[0].Event,
		"2 samples/s level [s/iter] " + alerts[0].Event,
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
			h.Series[i].ChangePoints, h.Series[i].Drift = nil, nil
		}
	}
	if a := h.Alerts(3); len(a) != 0 {
		t.Errorf("a change of a speed metric that does not decide alerted: %s", describe(h, cfgs, a))
	}
}

// TestAlertsEvents: a night on which at least half the configs, and at least 3, step down
// is one event: every alert of it carries its batch, in one block, and Events counts the
// configs, of how many ran, and the range of their steps. Fewer configs, or fewer than half,
// are alerts of their own. --fail-on still fails on every one (they remain alerts).
func TestAlertsEvents(t *testing.T) {
	var cfgs []bench.Config
	for i := 0; i < 8; i++ {
		cfgs = append(cfgs, bench.Config{"tp": fmt.Sprint(i), "nodes": "32"})
	}
	run := func(stepping, configs int) (*History, []Alert) {
		revs := speedNights(30, cfgs[:configs], 3, func(c, night int) float64 {
			switch {
			case c == configs-1 && night >= 28:
				return 0 // the last config runs out of memory a night later: not the event
			case c < stepping && night >= 27:
				return 100 * (1 - (4+float64(c)/2)/100) // 4% to 7.5%
			}
			return 100
		}, flat(1), func(c, night int) []string { return []string{bench.MetricTFLOPS, bench.MetricTime} })
		h := Build(revs, nil, FromGit, DefaultOptions())
		return h, h.Alerts(3)
	}
	h, alerts := run(4, 8) // 4 of 8: half
	events := h.Events(alerts)
	if len(events) != 1 {
		t.Fatalf("4 of 8 configs stepping on one night: events %+v, want one", events)
	}
	e := events[0]
	if e.Batch != "nightly-027" || e.Configs != 4 || e.Of != 8 || e.Slower != 4 || e.Failing != 0 || e.Alerts != 4 ||
		e.Good.Batch != "nightly-026" || e.GoodMeasured != "m026" || e.BadMeasured != "m027" ||
		math.Abs(e.MinSlowerPct-4) > 1 || math.Abs(e.MaxSlowerPct-5.5) > 1 {
		t.Errorf("event %+v, want 4 of 8 configs on nightly-027, 4%%–5.5%% slower, bisect m026..m027", e)
	}
	if len(alerts) != 5 {
		t.Fatalf("%d alerts, want the 4 steps and the OOM", len(alerts))
	}
	// The OOM is worst, so first; the event's alerts follow together.
	if alerts[0].Event != "" || alerts[0].Change.Kind != Outcome {
		t.Errorf("first alert %+v, want the OOM, in no event", alerts[0])
	}
	for _, a := range alerts[1:] {
		if a.Event != "nightly-027" {
			t.Errorf("alert of %s on %s: event %q, want nightly-027", a.Key, a.Bad.Batch, a.Event)
		}
	}

	// 3 of 8: fewer than half; 2 of 8 and 2 of 4: fewer than 3.
	for _, tt := range [][2]int{{3, 8}, {2, 8}, {2, 4}} {
		h, alerts := run(tt[0], tt[1])
		if len(alerts) != tt[0]+1 {
			t.Errorf("%d of %d stepping: %d alerts, want %d", tt[0], tt[1], len(alerts), tt[0]+1)
		}
		if ev := h.Events(alerts); len(ev) != 0 || slices.ContainsFunc(alerts, func(a Alert) bool { return a.Event != "" }) {
			t.Errorf("%d of %d configs stepping: events %+v, want none", tt[0], tt[1], ev)
		}
	}
}

// TestAlertsSpeedDisagree: a config whose s/iter slows 10% from night 27 while its TFLOPS/GPU
// holds (a FLOPs formula that changed with the slowdown, or a unit) alerts on s/iter, naming
// the deciding TFLOPS/GPU it overrules, as the gate's worse speed metric decides; a config
// whose metrics step together (7%) alerts once, on TFLOPS/GPU, with nothing overruled.
func TestAlertsSpeedDisagree(t *testing.T) {
	cfgs := threeCfgs
	revs := speedNights(30, cfgs, 3, func(c, night int) float64 {
		if c == 1 && night >= 27 {
			return 93
		}
		return 100
	}, flat(72000), allMetrics)
	for i := 27; i < len(revs); i++ {
		for j := range revs[i].Runs {
			if r := &revs[i].Runs[j]; r.Config.Key() == cfgs[0].Key() {
				r.Metric(bench.MetricTime).Values[0] *= 1.10
			}
		}
	}
	h := Build(revs, nil, FromGit, DefaultOptions())
	alerts := h.Alerts(3)
	got := describe(h, cfgs, alerts)
	want := strings.Join([]string{
		"0 s/iter level [] ",
		"1 TFLOPS/GPU level [s/iter,tokens/s/GPU] ",
	}, "\n")
	if got != want {
		t.Fatalf("alerts\n%s\nwant\n%s", got, want)
	}
	for _, a := range alerts {
		overruled := a.Key == cfgs[0].Key()
		if (a.Overrules == bench.MetricTFLOPS) != overruled || (a.OverruledPct != nil) != overruled ||
			overruled && math.Abs(*a.OverruledPct) > 1.5 {
			t.Errorf("%s %s: overrules %q by %v; want TFLOPS/GPU (about 0%%) only for the disagreeing config", a.Key, a.Metric, a.Overrules, a.OverruledPct)
		}
	}
}

// TestAlertsFormulaDrift: a Megatron upgrade changes the FLOPs formula of one config's logged
// TFLOPS/GPU at night 27, which steps it 7% down at the same speed. Its speed alerts are then
// decided by s/iter, which held: no alert, and TFLOPS/GPU does not overrule the time. A config
// that really slowed down the same nights still alerts, on the time, and one whose formula
// never changed alerts on TFLOPS/GPU as before.
func TestAlertsFormulaDrift(t *testing.T) {
	cfgs := threeCfgs
	revs := speedNights(30, cfgs, 3, func(c, night int) float64 {
		if c == 2 && night >= 27 {
			return 93 // a real slowdown, formula unchanged
		}
		return 100
	}, flat(72000), allMetrics)
	for i := range revs {
		for j := range revs[i].Runs {
			r := &revs[i].Runs[j]
			if r.Config.Key() == cfgs[2].Key() {
				r.Formula = "megatron"
				continue
			}
			r.Formula = "megatron"
			if i >= 27 {
				r.Formula = "megatron-core"
				if r.Config.Key() == cfgs[0].Key() {
					r.Metric(bench.MetricTFLOPS).Values[0] *= 0.93 // the new formula counts less
				} else { // cfgs[1]: slower too, under the new formula
					r.Metric(bench.MetricTime).Values[0] *= 1.08
					r.Metric(bench.MetricTFLOPS).Values[0] /= 1.08
					r.Metric("tokens/s/GPU").Values[0] /= 1.08
				}
			}
		}
	}
	h := Build(revs, nil, FromGit, DefaultOptions())
	if got := h.FormulaDrift[cfgs[0].Key()]; !slices.Equal(got, []string{"megatron", "megatron-core"}) {
		t.Fatalf("FormulaDrift[%s] = %v, want [megatron megatron-core]", cfgs[0].Key(), got)
	}
	if _, ok := h.FormulaDrift[cfgs[2].Key()]; ok {
		t.Errorf("config 2's formula never changed, yet FormulaDrift names it")
	}
	got := describe(h, cfgs, h.Alerts(3))
	want := strings.Join([]string{
		"1 s/iter level [TFLOPS/GPU,tokens/s/GPU] ",
		"2 TFLOPS/GPU level [s/iter,tokens/s/GPU] ",
	}, "\n")
	if got != want {
		t.Fatalf("alerts\n%s\nwant\n%s", got, want)
	}
}
