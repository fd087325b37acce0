package history

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// DefaultHoldNights is how many newest batches a change for the worse keeps alerting in
// while it holds: a month of nightlies. A step on main does not stop being a fact after the
// newest --recent nights, and the gate's rolling window forgets it within a window, so
// without it nothing would say main is still slower than before the step; bounded, so that a
// change nobody acts on or accepts does not fail the job for ever.
const DefaultHoldNights = 30

// An Accept acknowledges changes for the worse as the new normal (a known trade-off, an
// accepted cluster change). With Key, those of config Key whose first bad night is Batch or
// one night either side (a change point found again each night may move by one); without,
// those of every config whose first bad night is Batch itself: one night either side of
// every config would accept another config's unrelated change of the next night. An
// accepted change alerts for its newest recent nights, as every change does, and not after:
// acceptance ends its hold, never its first report.
type Accept struct {
	Batch string `json:"batch"`
	Key   string `json:"key,omitempty"`
}

// String is the acceptance as --accept takes it.
func (a Accept) String() string { return strings.TrimSpace(a.Batch + " " + a.Key) }

// ParseAccept reads an acceptance: "BATCH" or "BATCH CONFIG". CONFIG is a config key as the
// history and baseline show it, parts in any order: the key form, / between parts and a /
// inside a value escaped as %2F ("nightly-015 model=meta%2Fllama3/tp=8/pp=4"), or the form
// baseline show prints, spaces between parts and values as they are ("nightly-015
// model=meta/llama3 tp=8 pp=4"); a part of the spaced form may itself be a key
// ("tp=8/pp=4 nodes=32") when every piece between its /s is key=value.
func ParseAccept(s string) (Accept, error) {
	batch, cfg, _ := strings.Cut(strings.TrimSpace(s), " ")
	if batch == "" {
		return Accept{}, fmt.Errorf("%q: want BATCH or \"BATCH CONFIG\"", s)
	}
	a := Accept{Batch: batch}
	if cfg = strings.TrimSpace(cfg); cfg != "" {
		c, err := parseConfig(cfg)
		if err != nil {
			return Accept{}, fmt.Errorf("%q: %q is not a config such as tp=8/pp=4/nodes=32 or \"tp=8 pp=4 nodes=32\": %v", s, cfg, err)
		}
		a.Key = c.Key()
	}
	return a, nil
}

// parseConfig reads the CONFIG of an acceptance (ParseAccept).
func parseConfig(cfg string) (bench.Config, error) {
	fields := strings.Fields(cfg)
	if len(fields) == 1 {
		return bench.ParseKey(cfg)
	}
	c := bench.Config{}
	for _, f := range fields {
		part := bench.Config{}
		if pieces := strings.Split(f, "/"); len(pieces) > 1 && !slices.ContainsFunc(pieces, func(p string) bool { return !strings.Contains(p, "=") }) {
			var err error
			if part, err = bench.ParseKey(f); err != nil {
				return nil, err
			}
		} else if k, v, ok := strings.Cut(f, "="); ok && k != "" {
			part[k] = v
		} else {
			return nil, fmt.Errorf("config part %q is not key=value", f)
		}
		for k, v := range part {
			if _, dup := c[k]; dup {
				return nil, fmt.Errorf("config key %q given twice", k)
			}
			c[k] = v
		}
	}
	return c, nil
}

// accepted reports whether a change of series s whose first bad run is in batch bi is accepted.
func (h *History) accepted(s *Series, bi int) bool { return h.acceptedBy(s, bi) != nil }

// acceptedBy returns the first acceptance of a change of series s whose first bad run is in
// batch bi, or nil.
func (h *History) acceptedBy(s *Series, bi int) *Accept {
	for i, a := range h.Accepted {
		if a.Key != "" && a.Key != s.Key {
			continue
		}
		d := 0
		if a.Key != "" {
			d = 1
		}
		for j := max(bi-d, 0); j <= bi+d && j < len(h.Batches); j++ {
			if h.Batches[j].Batch == a.Batch {
				return &h.Accepted[i]
			}
		}
	}
	return nil
}

// A Silenced alert is one that would alert tonight but for an acceptance (By).
type Silenced struct {
	Alert Alert  `json:"alert"`
	By    Accept `json:"by"`
}

// Silenced returns the alerts of Alerts(recent) without the acceptances that are not among
// them: what the acceptances silenced tonight, each with the first acceptance of it, so that
// the job can say what it no longer reports.
func (h *History) Silenced(recent int) []Silenced {
	if len(h.Accepted) == 0 {
		return nil
	}
	type id struct {
		series, index int
		kind          Kind
	}
	alerting := map[id]bool{}
	for _, a := range h.Alerts(recent) {
		alerting[id{a.Series, a.Change.Index, a.Change.Kind}] = true
	}
	all := *h
	all.Accepted = nil
	var out []Silenced
	for _, a := range all.Alerts(recent) {
		if alerting[id{a.Series, a.Change.Index, a.Change.Kind}] {
			continue
		}
		if by := h.acceptedBy(&h.Series[a.Series], a.Bad.BatchIndex); by != nil {
			out = append(out, Silenced{Alert: a, By: *by})
		}
	}
	return out
}

// UnmatchedAccepted returns the acceptances of one config that no series of the history is
// of (a typo in the key, or a config no longer run): they accept nothing.
func (h *History) UnmatchedAccepted() []Accept {
	var out []Accept
	for _, a := range h.Accepted {
		if a.Key != "" && !slices.ContainsFunc(h.Series, func(s Series) bool { return s.Key == a.Key }) {
			out = append(out, a)
		}
	}
	return out
}

// UnknownAccepted returns the acceptances whose batch is not in the history (a typo, or a
// night the history no longer holds): they accept nothing.
func (h *History) UnknownAccepted() []Accept {
	var out []Accept
	for _, a := range h.Accepted {
		known := false
		for _, b := range h.Batches {
			known = known || b.Batch == a.Batch
		}
		if !known {
			out = append(out, a)
		}
	}
	return out
}

// holds reports whether change for the worse cp of s still holds at the series' newest run.
// A config that started failing holds while its newest run fails and no later outcome change
// fixed it or was itself for the worse. A level step holds when the newest run is OK and the series is still on its
// worse side, as a drift is judged: the median of the newest opts.DriftRuns OK runs (3 when the
// drift check is off) is worse than the median of the up to opts.Window OK runs before the
// step (since the previous level change point) by half the step or more, and by at least
// HoldZ standard errors of the series' run-to-run noise; and tonight's run is worse by half
// the step too (a step undone tonight does not hold). A step half undone, one a noisy
// series cannot tell from its noise, or one a later change for the better undid (its level
// back past the step's midpoint, whatever came after), does not hold.
func holds(s *Series, cp *ChangePoint, opts Options) bool {
	n := len(s.Points)
	if !cp.Worse || n == 0 {
		return false
	}
	newest := &s.Points[n-1]
	if cp.Kind == Outcome {
		// A later change for the worse (OOM → error, or failing again after a fix) alerts on
		// its own; one that is not (error → OOM) leaves the config failing, and this holds.
		for _, c := range s.ChangePoints {
			if c.Kind == Outcome && c.Index > cp.Index && (c.Worse || c.To == bench.OK) {
				return false
			}
		}
		return !newest.OK()
	}
	if cp.Kind != Level || !newest.OK() || cp.Before == nil || cp.After == nil {
		return false
	}
	// A later change for the better that brought the level back past the step's midpoint
	// undid it: a step again after that is a new change, which alerts (and is accepted) on
	// its own, not a reason for this one to hold.
	j := math.Log(*cp.After / *cp.Before)
	for _, c := range s.ChangePoints {
		if c.Kind == Level && !c.Worse && c.Index > cp.Index && c.After != nil && j != 0 && math.Log(*c.After / *cp.Before)/j < 0.5 {
			return false
		}
	}
	k := opts.DriftRuns
	if k <= 0 {
		k = 3
	}
	idx, xs := s.okLogs()
	at := -1
	prev := 0 // the first OK run after the previous level change point
	for i, p := range idx {
		if p == cp.Index {
			at = i
			break
		}
	}
	for _, c := range s.ChangePoints {
		if c.Kind == Level && c.Index < cp.Index {
			for i, p := range idx {
				if p == c.Index {
					prev = i
				}
			}
		}
	}
	nx := len(xs)
	if at < 1 || nx-at < k {
		return false
	}
	ref := xs[max(prev, at-max(opts.Window, 1)):at]
	before := median(ref)
	d := median(xs[nx-k:]) - before
	if j == 0 || d/j < 0.5 || (xs[nx-1]-before)/j < 0.5 {
		return false
	}
	se := noise(xs) * math.Sqrt(math.Pi/2*(1/float64(k)+1/float64(len(ref))))
	return se == 0 || math.Abs(d)/se >= HoldZ
}

// HoldZ is how many standard errors the newest level must still be from the level before a
// step for the step to hold. Lower than a drift's DriftZ: the step was found already (by the
// minimum effect and the permutation test); holding asks only whether it was undone, and a
// step of a 5% that a run of quiet nights makes marginal must not flap off and on.
const HoldZ = 3

// holdsTwoNights reports whether level step cp of s holds at its newest run or at the run
// before: a held step is dropped only after two nights in a row on which it does not hold,
// so that one night's noise does not end an alert that the next night starts again.
func holdsTwoNights(s *Series, cp *ChangePoint, opts Options) bool {
	if holds(s, cp, opts) {
		return true
	}
	n := len(s.Points)
	if cp.Kind != Level || n < 2 || cp.Index >= n-1 {
		return false
	}
	prev := *s
	prev.Points = s.Points[:n-1]
	return holds(&prev, cp, opts)
}
