package history

import (
	"fmt"
	"math"
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
// accepted cluster change): those whose first bad night is Batch, or one night either side
// (a change point found again each night may move by one), of config Key, or of every config
// when Key is empty. An accepted change alerts for its newest recent nights, as every change
// does, and not after: acceptance ends its hold, never its first report.
type Accept struct {
	Batch string `json:"batch"`
	Key   string `json:"key,omitempty"`
}

// ParseAccept reads an acceptance: "BATCH" or "BATCH CONFIG", the config as a key
// (tp=8/pp=4/nodes=32, parts in any order, / or spaces between).
func ParseAccept(s string) (Accept, error) {
	batch, cfg, _ := strings.Cut(strings.TrimSpace(s), " ")
	if batch == "" {
		return Accept{}, fmt.Errorf("%q: want BATCH or \"BATCH CONFIG\"", s)
	}
	a := Accept{Batch: batch}
	if cfg = strings.TrimSpace(cfg); cfg != "" {
		c, err := bench.ParseKey(strings.Join(strings.Fields(strings.ReplaceAll(cfg, "/", " ")), "/"))
		if err != nil {
			return Accept{}, fmt.Errorf("%q: %q is not a config key such as tp=8/pp=4/nodes=32: %v", s, cfg, err)
		}
		a.Key = c.Key()
	}
	return a, nil
}

// accepted reports whether a change of series s whose first bad run is in batch bi is accepted.
func (h *History) accepted(s *Series, bi int) bool {
	for _, a := range h.Accepted {
		if a.Key != "" && a.Key != s.Key {
			continue
		}
		for d := -1; d <= 1; d++ {
			if j := bi + d; j >= 0 && j < len(h.Batches) && h.Batches[j].Batch == a.Batch {
				return true
			}
		}
	}
	return false
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
// A config that started failing holds while its newest run fails alike and no later outcome
// change followed. A level step holds when the newest run is OK and the series is still on its
// worse side, as a drift is judged: the median of the newest opts.DriftRuns OK runs (3 when the
// drift check is off) is worse than the median of the up to opts.Window OK runs before the
// step (since the previous level change point) by half the step or more, and by at least
// opts.DriftZ standard errors of the series' run-to-run noise; and tonight's run is worse by
// half the step too (a step undone tonight does not hold). A step half undone, or one a noisy
// series cannot tell from its noise, does not hold.
func holds(s *Series, cp *ChangePoint, opts Options) bool {
	n := len(s.Points)
	if !cp.Worse || n == 0 {
		return false
	}
	newest := &s.Points[n-1]
	if cp.Kind == Outcome {
		for _, c := range s.ChangePoints {
			if c.Kind == Outcome && c.Index > cp.Index {
				return false
			}
		}
		return !newest.OK() && newest.Outcome == cp.To
	}
	if cp.Kind != Level || !newest.OK() || cp.Before == nil || cp.After == nil {
		return false
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
	j := math.Log(*cp.After / *cp.Before)
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
