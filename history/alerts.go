package history

import (
	"cmp"
	"math"
	"slices"
)

// An Alert is a change for the worse among the newest runs of one measurement of a config:
// what the nightly job reports, with the range of batches and commits to bisect. The speed
// metrics of a run (History.SpeedMetrics: TFLOPS/GPU, tokens/s/GPU, samples/s, s/iter) are
// one measurement, so they make one alert, on the deciding one; the others' changes are in
// With. Every other metric (memory) alerts on its own.
type Alert struct {
	// Series is the index of the series in History.Series; Key and Metric are its.
	Series int         `json:"series"`
	Key    string      `json:"key"`
	Metric string      `json:"metric"`
	Change ChangePoint `json:"change"`
	// Good is the last run before the change, Bad the first after it.
	Good Point `json:"good"`
	Bad  Point `json:"bad"`
	// GoodMeasured and BadMeasured are the commits those runs measured, when recorded.
	GoodMeasured string `json:"good_measured_commit,omitempty"`
	BadMeasured  string `json:"bad_measured_commit,omitempty"`
	// With are the changes for the worse, among the newest runs, of the config's series that
	// are one measurement with this one: its other speed metrics, and, for a config that
	// started failing, every metric that failed with it. They are shown, not alerts of their
	// own.
	With []Shown `json:"with,omitempty"`
}

// Shown is a change shown with an alert (Alert.With).
type Shown struct {
	Series int         `json:"series"`
	Metric string      `json:"metric"`
	Change ChangePoint `json:"change"`
}

// Alerts returns the changes for the worse whose first run is among the newest recent batches
// of the history (so a change keeps alerting until recent newer nights have passed), and the
// drifts of series that slid for the worse by their newest run (a drift alerts every night it
// still measures), one alert per measurement of a config.
//
// The speed metrics of a config (History.SpeedMetrics) are decided by one of them, as the gate
// decides them: the first, in that order, that has a value in the config's newest night, else
// the first with a run there (a failed night fails every metric alike), else the first it
// has. The deciding metric's changes are the alerts; the other speed metrics' are shown with
// them, and do not alert when the deciding metric does not (they are the same measurement,
// tested again). An outcome change of another metric (memory of a config that started
// failing) is shown with the speed alert of the same night; other changes of other metrics
// alert on their own.
//
// The order is worst first: configs that started failing, then the largest steps and slides,
// then the order of the series. Reports that must leave alerts out (an issue body's limit)
// keep the first ones.
func (h *History) Alerts(recent int) []Alert {
	cut := len(h.Batches) - recent
	measured := map[string]string{}
	for _, b := range h.Batches {
		measured[b.Batch] = b.Measured
	}
	deciding := h.decidingSpeed()
	var out []Alert
	// The series of a config are contiguous (sorted by key): one config at a time.
	for lo := 0; lo < len(h.Series); {
		hi := lo + 1
		for hi < len(h.Series) && h.Series[hi].Key == h.Series[lo].Key {
			hi++
		}
		var speed, other []Alert
		first := len(out)
		for si := lo; si < hi; si++ {
			s := &h.Series[si]
			cps := s.ChangePoints
			if s.Drift != nil {
				cps = append(slices.Clip(cps), *s.Drift)
			}
			for _, cp := range cps {
				if !cp.Worse || s.Points[cp.Index].BatchIndex < cut {
					continue
				}
				a := Alert{Series: si, Key: s.Key, Metric: s.Metric, Change: cp, Bad: s.Points[cp.Index], Good: s.Points[cp.Good]}
				a.GoodMeasured, a.BadMeasured = measured[a.Good.Batch], measured[a.Bad.Batch]
				switch d, ok := deciding[s.Key]; {
				case ok && si == d:
					out = append(out, a)
				case slices.Contains(h.SpeedMetrics, s.Metric):
					speed = append(speed, a)
				default:
					other = append(other, a)
				}
			}
		}
		decided := out[first:]
		// with returns the decided alert a change of the same night (else of the same kind,
		// else the first) is shown with; nil when the speed metrics did not alert.
		with := func(a *Alert, sameNight bool) *Alert {
			var kind *Alert
			for i := range decided {
				d := &decided[i]
				if d.Bad.BatchIndex == a.Bad.BatchIndex && d.Change.Kind == a.Change.Kind {
					return d
				}
				if kind == nil && d.Change.Kind == a.Change.Kind {
					kind = d
				}
			}
			if sameNight {
				return nil
			}
			if kind != nil {
				return kind
			}
			if len(decided) > 0 {
				return &decided[0]
			}
			return nil
		}
		for i := range speed {
			if d := with(&speed[i], false); d != nil {
				d.With = append(d.With, Shown{Series: speed[i].Series, Metric: speed[i].Metric, Change: speed[i].Change})
			}
		}
		own := other[:0] // appended after, so that decided stays out's
		for i := range other {
			if a := &other[i]; a.Change.Kind == Outcome {
				if d := with(a, true); d != nil {
					d.With = append(d.With, Shown{Series: a.Series, Metric: a.Metric, Change: a.Change})
					continue
				}
			}
			own = append(own, other[i])
		}
		out = append(out, own...)
		lo = hi
	}
	slices.SortStableFunc(out, func(a, b Alert) int {
		// An outcome change (no level step) counts as the largest step.
		size := func(a Alert) float64 {
			if a.Change.DeltaPct == nil {
				return math.Inf(1)
			}
			return math.Abs(*a.Change.DeltaPct)
		}
		return cmp.Compare(size(b), size(a))
	})
	return out
}

// decidingSpeed returns, per config key, the index of the series that decides its speed
// alerts (see Alerts); configs without a speed metric are absent.
func (h *History) decidingSpeed() map[string]int {
	newest := map[string]int{} // the config's newest night
	for i := range h.Series {
		s := &h.Series[i]
		if n := len(s.Points); n > 0 {
			if b, ok := newest[s.Key]; !ok || s.Points[n-1].BatchIndex > b {
				newest[s.Key] = s.Points[n-1].BatchIndex
			}
		}
	}
	out := map[string]int{}
	rank := map[string]int{} // of the choice in out: 0 a value, 1 a run, 2 present
	for i := range h.Series {
		s := &h.Series[i]
		m := slices.Index(h.SpeedMetrics, s.Metric)
		if m < 0 {
			continue
		}
		r := 2
		if n := len(s.Points); n > 0 && s.Points[n-1].BatchIndex == newest[s.Key] {
			r = 1
			if s.Points[n-1].OK() {
				r = 0
			}
		}
		if j, ok := out[s.Key]; !ok || r < rank[s.Key] || r == rank[s.Key] && m < slices.Index(h.SpeedMetrics, h.Series[j].Metric) {
			out[s.Key], rank[s.Key] = i, r
		}
	}
	return out
}
