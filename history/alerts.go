package history

import (
	"cmp"
	"iter"
	"math"
	"slices"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
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
	// Event is the batch of the cluster-wide event the alert belongs to (see Event), or "".
	Event string `json:"event,omitempty"`
	// Held is set on a change older than the newest recent batches that alerts because it
	// still holds (History.HoldNights): main is still worse than before it.
	Held bool `json:"held,omitempty"`
	// Overrules, set on an alert of a speed metric that does not decide, is the deciding one,
	// which moved OverruledPct over the same nights: by more than check.SpeedDisagreePct
	// less, which one measurement in two units cannot (a FLOPs formula or unit that changed
	// on one side), so the worse alerts, as the gate's worse speed metric decides.
	Overrules    string   `json:"overrules,omitempty"`
	OverruledPct *float64 `json:"overruled_pct,omitempty"`
}

// Shown is a change shown with an alert (Alert.With).
type Shown struct {
	Series int         `json:"series"`
	Metric string      `json:"metric"`
	Change ChangePoint `json:"change"`
}

// An Event is a night on which many configs got worse together: at least EventMinConfigs
// configs, and at least EventMinShare of the configs that ran that night, have an alert whose
// first bad night it is. That is the cluster or something every config shares (a container,
// a driver, a dependency), not one config's code, so it is reported once, with its configs.
type Event struct {
	// Batch is the first bad night; Good and Bad are the night before it and it.
	Batch string `json:"batch"`
	Good  Point  `json:"good"`
	Bad   Point  `json:"bad"`
	// GoodMeasured and BadMeasured are the commits those nights measured, when recorded.
	GoodMeasured string `json:"good_measured_commit,omitempty"`
	BadMeasured  string `json:"bad_measured_commit,omitempty"`
	// Configs is how many configs alerted from Batch, of Of that ran in it.
	Configs int `json:"configs"`
	Of      int `json:"of"`
	// Slower is how many of them stepped in speed, by MinSlowerPct to MaxSlowerPct (the
	// size of the deciding speed metric's step); Failing how many started failing.
	Slower       int     `json:"slower"`
	MinSlowerPct float64 `json:"min_slower_pct,omitempty"`
	MaxSlowerPct float64 `json:"max_slower_pct,omitempty"`
	Failing      int     `json:"failing"`
	// Alerts is how many alerts (of every measurement) the event holds.
	Alerts int `json:"alerts"`
}

// The thresholds of an Event: at least half the configs of a night, and at least three.
const (
	EventMinConfigs = 3
	EventMinShare   = 0.5
)

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
// Alerts whose first bad night is a cluster-wide Event carry its batch. The order is worst
// first: configs that started failing, then the largest steps and slides, then the order of
// the series, with each event's alerts together at the place of its worst. Reports that must
// leave alerts out (an issue body's limit) keep the first ones.
func (h *History) Alerts(recent int) []Alert {
	cut := len(h.Batches) - recent
	hold := len(h.Batches) - h.HoldNights
	measured := map[string]string{}
	for _, b := range h.Batches {
		measured[b.Batch] = b.Measured
	}
	var out []Alert
	for lo, hi := range h.configs() {
		deciding := h.decidingSpeed(lo, hi)
		var speed, other []Alert
		first := len(out)
		for si := lo; si < hi; si++ {
			s := &h.Series[si]
			for _, cp := range s.worse(cut, hold, func(bi int) bool { return h.accepted(s, bi) }) {
				a := Alert{Series: si, Key: s.Key, Metric: s.Metric, Change: cp, Bad: s.Points[cp.Index], Good: s.Points[cp.Good]}
				a.Held = cp.Kind != Drift && a.Bad.BatchIndex < cut
				a.GoodMeasured, a.BadMeasured = measured[a.Good.Batch], measured[a.Bad.Batch]
				switch {
				case si == deciding:
					out = append(out, a)
				case slices.Contains(h.SpeedMetrics, s.Metric):
					speed = append(speed, a)
				default:
					other = append(other, a)
				}
			}
		}
		decided := out[first:]
		for i := range speed {
			a := &speed[i]
			// Under formula drift the logged TFLOPS steps at the same speed: it never overrules.
			_, drift := h.FormulaDrift[a.Key]
			if shownWith(decided, a, true) == nil && a.Change.DeltaPct != nil && !(drift && a.Metric == bench.MetricTFLOPS) {
				// A speed change without the deciding one's: the config has a deciding series.
				if moved, ok := disagreement(&h.Series[deciding], &h.Series[a.Series], a); ok {
					a.Overrules, a.OverruledPct = h.Series[deciding].Metric, &moved
					out = append(out, *a)
					decided = out[first:]
					continue
				}
			}
			if d := shownWith(decided, a, false); d != nil {
				d.With = append(d.With, Shown{Series: a.Series, Metric: a.Metric, Change: a.Change})
			}
		}
		own := other[:0] // appended after, so that decided stays out's
		for i := range other {
			if a := &other[i]; a.Change.Kind == Outcome {
				if d := shownWith(decided, a, true); d != nil {
					d.With = append(d.With, Shown{Series: a.Series, Metric: a.Metric, Change: a.Change})
					continue
				}
			}
			own = append(own, other[i])
		}
		out = append(out, own...)
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
	h.markEvents(out, cut)
	// Each event's alerts together, where its worst is.
	inEvent := map[string][]Alert{}
	for _, a := range out {
		if a.Event != "" {
			inEvent[a.Event] = append(inEvent[a.Event], a)
		}
	}
	sorted := make([]Alert, 0, len(out))
	for _, a := range out {
		if a.Event == "" {
			sorted = append(sorted, a)
		} else if es, ok := inEvent[a.Event]; ok {
			sorted = append(sorted, es...)
			delete(inEvent, a.Event)
		}
	}
	return sorted
}

// shownWith returns the alert of decided (a config's alerts on its deciding speed metric) that
// a's change is shown with: the one of the same night and kind, else, unless sameNight, the
// first of the same kind, else the first; nil when there is none.
func shownWith(decided []Alert, a *Alert, sameNight bool) *Alert {
	i := slices.IndexFunc(decided, func(d Alert) bool { return d.Bad.BatchIndex == a.Bad.BatchIndex && d.Change.Kind == a.Change.Kind })
	if i < 0 && !sameNight && len(decided) > 0 {
		i = max(slices.IndexFunc(decided, func(d Alert) bool { return d.Change.Kind == a.Change.Kind }), 0)
	}
	if i < 0 {
		return nil
	}
	return &decided[i]
}

// WorseFrom returns the changes for the worse of s whose first run is in batch cut (an index
// in History.Batches) or later, and its drift unless those change points explain it: what
// alerts among the newest runs, one series at a time, before Alerts makes one alert of them
// per measurement (and adds the changes that still hold, History.HoldNights).
func (s *Series) WorseFrom(cut int) []ChangePoint { return s.worse(cut, math.MaxInt, nil) }

// worse returns the changes for the worse of s that alert: those whose first run is in batch
// cut or later; those from batch hold on that still hold (ChangePoint.Holds) while the
// series still runs (its newest run in batch cut or later) and are not accepted; and the drift, when the series' newest run is in batch cut or later, unless the change points among them, or accepted ones that hold,
// explain it (explainedBy). A change point that alerts on no night of the drift's end cannot
// stand in for it: E-divisive splits a long slide into steps that are soon older than cut. A
// held change inside the range of a drift that alerts is left to the drift, which names the
// wider range.
func (s *Series) worse(cut, hold int, accepted func(bi int) bool) []ChangePoint {
	var out, explain []ChangePoint
	// Holds is judged at the series' newest run: a change holds for a config only while it
	// runs (its newest run among the newest cut batches). One that left the sweep would
	// otherwise keep alerting on a frozen run that nothing can fix.
	running := len(s.Points) > 0 && s.Points[len(s.Points)-1].BatchIndex >= cut
	for _, cp := range s.ChangePoints {
		if !cp.Worse {
			continue
		}
		switch bi := s.Points[cp.Index].BatchIndex; {
		case bi >= cut:
			out = append(out, cp)
		case bi >= hold && cp.Holds && running:
			if accepted == nil || !accepted(bi) {
				out = append(out, cp)
			}
		default:
			continue
		}
		explain = append(explain, cp)
	}
	// A drift is measured at the series' newest run: it alerts only while that run is among
	// the newest cut batches. A config that stopped running (left the sweep, changed key)
	// keeps its drift frozen, and nothing could fix or accept it.
	if d := s.Drift; d != nil && s.Points[d.Index].BatchIndex >= cut && !d.explainedBy(explain) {
		out = slices.DeleteFunc(out, func(cp ChangePoint) bool {
			return s.Points[cp.Index].BatchIndex < cut && cp.Index > d.Good
		})
		out = append(out, *d)
	}
	return out
}

// disagreement reports whether alert a's series s, a speed metric that does not decide, got
// worse over a's nights than the deciding series d by more than check.SpeedDisagreePct: on the
// nights both measured, the mean of s's worse-direction log minus d's, from a's first bad
// night to the newest, against the same over as many nights up to its last good one. moved is
// d's change, in percent, over the same nights.
func disagreement(d, s *Series, a *Alert) (moved float64, ok bool) {
	dv := map[int]float64{}
	for _, p := range d.Points {
		if p.OK() {
			dv[p.BatchIndex] = *p.Value
		}
	}
	worse := func(x float64, b bench.Better) float64 {
		if b == bench.Higher {
			return -math.Log(x)
		}
		return math.Log(x)
	}
	var before, after, dBefore, dAfter []float64
	for _, p := range s.Points {
		v, both := dv[p.BatchIndex]
		if !p.OK() || !both {
			continue
		}
		gap := worse(*p.Value, s.Better) - worse(v, d.Better)
		switch {
		case p.BatchIndex >= a.Bad.BatchIndex:
			after, dAfter = append(after, gap), append(dAfter, math.Log(v))
		case p.BatchIndex <= a.Good.BatchIndex:
			before, dBefore = append(before, gap), append(dBefore, math.Log(v))
		}
	}
	if len(after) == 0 || len(before) == 0 {
		return 0, false
	}
	if n := len(after); len(before) > n { // as many nights before as after
		before, dBefore = before[len(before)-n:], dBefore[len(dBefore)-n:]
	}
	if 100*(mean(after)-mean(before)) <= check.SpeedDisagreePct {
		return 0, false
	}
	return 100 * (math.Exp(mean(dAfter)-mean(dBefore)) - 1), true
}

// configs yields each config's series, h.Series[lo:hi]: they are contiguous (sorted by key).
func (h *History) configs() iter.Seq2[int, int] {
	return func(yield func(lo, hi int) bool) {
		for lo := 0; lo < len(h.Series); {
			hi := lo + 1
			for hi < len(h.Series) && h.Series[hi].Key == h.Series[lo].Key {
				hi++
			}
			if !yield(lo, hi) {
				return
			}
			lo = hi
		}
	}
}

// decidingSpeed returns the index in h.Series of the series, of the config's h.Series[lo:hi],
// that decides its speed alerts (see Alerts); -1 when it has no speed metric.
func (h *History) decidingSpeed(lo, hi int) int {
	newest := -1 // the config's newest night
	for _, s := range h.Series[lo:hi] {
		if n := len(s.Points); n > 0 {
			newest = max(newest, s.Points[n-1].BatchIndex)
		}
	}
	speed := h.speedOrder(h.Series[lo].Key)
	out, best := -1, 0
	for i := lo; i < hi; i++ {
		s := &h.Series[i]
		m := slices.Index(speed, s.Metric)
		if m < 0 {
			continue
		}
		r := 2 // a value in the newest night 0, a run there 1, else 2; then the metrics' order
		if n := len(s.Points); n > 0 && s.Points[n-1].BatchIndex == newest {
			r = 1
			if s.Points[n-1].OK() {
				r = 0
			}
		}
		if rank := r*len(speed) + m; out < 0 || rank < best {
			out, best = i, rank
		}
	}
	return out
}

// speedOrder returns the speed metrics of config key in the order they decide: the history's,
// or, for a config whose logged TFLOPS followed two formulas (FormulaDrift), the time first.
func (h *History) speedOrder(key string) []string {
	if _, drift := h.FormulaDrift[key]; drift && len(h.SpeedMetrics) > 0 {
		return check.TimeFirst(h.SpeedMetrics)
	}
	return h.SpeedMetrics
}

// markEvents sets the Event of the alerts whose first bad night is a cluster-wide event. A
// drift has no first bad night and belongs to none.
func (h *History) markEvents(alerts []Alert, cut int) {
	alerting := map[int]map[string]bool{} // night → configs alerting from it
	for _, a := range alerts {
		if a.Change.Kind == Drift {
			continue
		}
		b := a.Bad.BatchIndex
		if alerting[b] == nil {
			alerting[b] = map[string]bool{}
		}
		alerting[b][a.Key] = true
	}
	if len(alerting) == 0 {
		return
	}
	from := cut // held alerts start before cut
	for _, a := range alerts {
		if a.Change.Kind != Drift {
			from = min(from, a.Bad.BatchIndex)
		}
	}
	ran := h.configsIn(from)
	for i := range alerts {
		a := &alerts[i]
		if a.Change.Kind == Drift {
			continue
		}
		b := a.Bad.BatchIndex
		n := len(alerting[b])
		if n >= EventMinConfigs && float64(n) >= EventMinShare*float64(ran[b]) {
			a.Event = a.Bad.Batch
		}
	}
}

// configsIn returns, per batch index from cut on, the number of configs that ran in it (0
// before cut).
func (h *History) configsIn(cut int) []int {
	out := make([]int, len(h.Batches))
	counted := make([]int, len(h.Batches)) // per batch, 1 + the first series of the config counted last
	for lo, hi := range h.configs() {
		for _, s := range h.Series[lo:hi] {
			for j := len(s.Points) - 1; j >= 0 && s.Points[j].BatchIndex >= cut; j-- {
				if b := s.Points[j].BatchIndex; counted[b] != lo+1 {
					counted[b] = lo + 1
					out[b]++
				}
			}
		}
	}
	return out
}

// Events returns the cluster-wide events of alerts (as Alerts returns them), in the order of
// their first alert.
func (h *History) Events(alerts []Alert) []Event {
	var out []Event
	at := map[string]int{}
	// Per event and config: seen once it has an alert, counted once its change is counted.
	seen, counted := map[[2]string]bool{}, map[[2]string]bool{}
	var bi []int
	for _, a := range alerts {
		if a.Event == "" {
			continue
		}
		i, ok := at[a.Event]
		if !ok {
			i = len(out)
			at[a.Event] = i
			out = append(out, Event{Batch: a.Event}) // its nights are set below
			bi = append(bi, a.Bad.BatchIndex)
		}
		e := &out[i]
		e.Alerts++
		k := [2]string{a.Event, a.Key}
		if !seen[k] {
			seen[k] = true
			e.Configs++
		}
		// The deciding speed metric's change says how much slower (or that it failed); a
		// memory step is counted among the configs, not as a slowdown. Without speed
		// metrics, each metric is its own.
		if len(h.SpeedMetrics) > 0 && !slices.Contains(h.SpeedMetrics, a.Metric) && a.Change.Kind != Outcome || counted[k] {
			continue
		}
		counted[k] = true
		switch {
		case a.Change.Kind == Outcome:
			e.Failing++
		case a.Change.DeltaPct != nil:
			d := math.Abs(*a.Change.DeltaPct)
			if e.Slower == 0 || d < e.MinSlowerPct {
				e.MinSlowerPct = d
			}
			if e.Slower == 0 || d > e.MaxSlowerPct {
				e.MaxSlowerPct = d
			}
			e.Slower++
		}
	}
	if len(out) == 0 {
		return nil
	}
	ran := h.configsIn(slices.Min(bi))
	for i := range out {
		e := &out[i]
		b := bi[i]
		e.Of = ran[b]
		e.Bad = Point{Batch: h.Batches[b].Batch, Commit: h.Batches[b].Commit, Date: h.Batches[b].Date, BatchIndex: b}
		e.BadMeasured = h.Batches[b].Measured
		if b > 0 {
			g := h.Batches[b-1]
			e.Good = Point{Batch: g.Batch, Commit: g.Commit, Date: g.Date, BatchIndex: b - 1}
			e.GoodMeasured = g.Measured
		}
	}
	return out
}
