package history

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// alertNights returns, for every night from first to len(revs)-1, whether config c of cfgs
// alerted on the history as it stood that night (Alerts(recent)), as a string of + and ..
func alertNights(revs []Revision, key string, first, recent int, o Options) string {
	out := make([]byte, 0, len(revs))
	for n := first; n < len(revs); n++ {
		h := Build(revs[:n+1], nil, FromGit, o)
		mark := byte('.')
		for _, a := range h.Alerts(recent) {
			if a.Key == key {
				mark = '+'
			}
		}
		out = append(out, mark)
	}
	return string(out)
}

// TestDriftRampAlertsEveryNight: a config 1% slower every night for 30 nights (the audit's
// nightly replay, at 1% run-to-run noise) alerts on every night once it is 6% slower.
// E-divisive splits the ramp into steps whose nights are soon older than --recent; those
// change points alert on no night of the ramp's end, so they must not stand in for the drift
// (they did: the job passed on most nights, one of them 8.5% below the reference window).
// Holding off, the drift alone must do it (on all but one night: the drift's own range
// checks); with the default holding, change points that hold fill in. Every config
// sliding together (the cluster) is no different.
func TestDriftRampAlertsEveryNight(t *testing.T) {
	cfgs := threeCfgs
	for _, all := range []bool{false, true} {
		for seed := uint64(1); seed <= 3; seed++ {
			revs := nights(41, cfgs, 1, seed, func(c, night int) float64 {
				if (all || c == 1) && night > 10 {
					return 100 * math.Pow(0.99, float64(night-10))
				}
				return 100
			})
			for _, hold := range []int{0, DefaultHoldNights} {
				o := DefaultOptions()
				o.HoldNights = hold
				for c, cfg := range cfgs {
					if !all && c != 1 {
						continue
					}
					got := alertNights(revs, cfg.Key(), 17, 3, o)
					// From night 17 on the config is 6% or more slower than ten nights before.
					if missed := strings.Count(got, "."); hold > 0 && missed > 0 || missed > 1 {
						t.Errorf("all configs %v, seed %d, hold %d, config %d: nights 17..40 alerting %s, want every night (holding off: all but one)", all, seed, hold, c, got)
					}
				}
			}
		}
	}
}

// TestHeldStepAlertsUntilFixedOrAccepted: a 5% step on main at night 15 alerts on nights 16
// and 17 as a new change, then, held, every night while it holds, up to HoldNights newest
// batches (nights 18–44 of 50 with the default 30); not once undone (a fix at night 25:
// nights 16–25, a hold being dropped after two nights that do not hold), and, accepted by its night or by its night (± 1) and config, only as a new
// change. Another config's acceptance, or another night's, accepts nothing; so does a
// BATCH-only acceptance of the night before or after (that is another config's night).
func TestHeldStepAlertsUntilFixedOrAccepted(t *testing.T) {
	cfgs := threeCfgs[:2]
	level := func(fix int) func(c, night int) float64 {
		return func(c, night int) float64 {
			if c == 0 && night >= 15 && (fix == 0 || night < fix) {
				return 95
			}
			return 100
		}
	}
	revs := nights(50, cfgs, 0.8, 1, level(0))
	key := cfgs[0].Key()
	want := strings.Repeat(".", 16-14) + strings.Repeat("+", 45-16) + strings.Repeat(".", 50-45)
	if got := alertNights(revs, key, 14, 3, DefaultOptions()); got != want {
		t.Errorf("step held: nights 14..49 alerting %s, want %s", got, want)
	}
	h := Build(revs[:30], nil, FromGit, DefaultOptions())
	if as := h.Alerts(3); len(as) != 1 || !as[0].Held || as[0].Change.Kind != Level || as[0].Bad.Batch != "nightly-015" || !as[0].Change.Holds {
		t.Errorf("night 29: alerts %+v, want the step at 15, held", as)
	}
	fixed := nights(40, cfgs, 0.8, 1, level(25))
	if got, want := alertNights(fixed, key, 14, 3, DefaultOptions()), "..++++++++++"+strings.Repeat(".", 40-26); got != want {
		t.Errorf("step fixed at 25: nights 14..39 alerting %s, want %s", got, want)
	}
	for _, acc := range []string{"nightly-015", "nightly-014 pp=4/tp=8/nodes=32", "nightly-016 tp=8 pp=4 nodes=32", "nightly-015 pp=4/tp=8/nodes=32"} {
		a, err := ParseAccept(acc)
		if err != nil {
			t.Fatal(err)
		}
		o := DefaultOptions()
		o.Accepted = []Accept{a}
		if got, want := alertNights(revs[:35], key, 14, 3, o), ".."+"++"+strings.Repeat(".", 35-18); got != want {
			t.Errorf("accepted %q: nights 14..34 alerting %s, want %s (no drift either)", acc, got, want)
		}
	}
	for _, acc := range []string{"nightly-013", "nightly-014", "nightly-016", "nightly-015 tp=8/pp=8/nodes=32"} {
		a, _ := ParseAccept(acc)
		o := DefaultOptions()
		o.Accepted = []Accept{a}
		if got := alertNights(revs[:35], key, 16, 3, o); strings.Contains(got, ".") {
			t.Errorf("accepted %q (not this change): nights 16..34 alerting %s, want every night", acc, got)
		}
	}
	if _, err := ParseAccept(" "); err == nil {
		t.Error("empty acceptance parsed")
	}
}

// dropConfig removes config c's runs from night from on: it left the sweep (or its key
// changed), so the store holds no newer run of it.
func dropConfig(revs []Revision, c bench.Config, from int) []Revision {
	out := make([]Revision, len(revs))
	for i, r := range revs {
		out[i] = r
		if i >= from {
			out[i].Runs = slices.DeleteFunc(slices.Clone(r.Runs), func(run bench.Run) bool { return run.Config.Key() == c.Key() })
		}
	}
	return out
}

// TestStoppedConfigStopsAlerting: a config sliding 1% a night on nights 11–25 and then no
// longer run (dropped from the sweep) has a drift frozen at its newest run. It alerts while
// that run is among the newest --recent batches (nights 26 and 27 with --recent 3), never
// after: nothing can fix or accept a config that no longer runs, so it would fail the job for
// ever. Holding off (the drift alone) and on alike.
func TestStoppedConfigStopsAlerting(t *testing.T) {
	cfgs := threeCfgs
	for seed := uint64(1); seed <= 3; seed++ {
		revs := dropConfig(nights(71, cfgs, 1, seed, func(c, night int) float64 {
			if c == 1 && night > 10 {
				return 100 * math.Pow(0.99, float64(min(night, 25)-10))
			}
			return 100
		}), cfgs[1], 26)
		for _, hold := range []int{0, DefaultHoldNights} {
			o := DefaultOptions()
			o.HoldNights = hold
			if got := alertNights(revs, cfgs[1].Key(), 28, 3, o); strings.Contains(got, "+") {
				t.Errorf("seed %d, hold %d: config last run at night 25, nights 28..70 alerting %s, want none", seed, hold, got)
			}
		}
	}
}

// TestStoppedConfigDoesNotHold: a config that stepped 5% slower at night 15, and one that
// started to run out of memory then, both no longer run from night 30: their changes hold at
// their newest runs, frozen, but a change holds for a config only while it runs (its newest
// run among the newest --recent batches), so neither alerts from night 33 on.
func TestStoppedConfigDoesNotHold(t *testing.T) {
	cfgs := threeCfgs
	revs := nights(71, cfgs, 0.8, 1, func(c, night int) float64 {
		switch {
		case c == 0 && night >= 15:
			return 95
		case c == 2 && night >= 15:
			return 0
		}
		return 100
	})
	revs = dropConfig(dropConfig(revs, cfgs[0], 30), cfgs[2], 30)
	for _, c := range []int{0, 2} {
		if got := alertNights(revs, cfgs[c].Key(), 33, 3, DefaultOptions()); strings.Contains(got, "+") {
			t.Errorf("config %d, last run at night 29: nights 33..70 alerting %s, want none", c, got)
		}
		if got := alertNights(revs[:30], cfgs[c].Key(), 20, 3, DefaultOptions()); strings.Contains(got, ".") {
			t.Errorf("config %d while it runs: nights 20..29 alerting %s, want every night", c, got)
		}
	}
}

// TestUndoneStepDoesNotHold: a config 5% slower at night 15, fixed at 25, 5% slower again at
// 35. The night-15 step was undone by the fix, so it does not hold: from night 37 on only the
// night-35 change alerts (bisect 034..035, not 014..015), and accepting nightly-035 stops
// every alert once it is older than --recent.
func TestUndoneStepDoesNotHold(t *testing.T) {
	cfgs := threeCfgs[:2]
	for seed := uint64(1); seed <= 3; seed++ {
		revs := nights(60, cfgs, 0.8, seed, func(c, night int) float64 {
			if c == 0 && (night >= 15 && night < 25 || night >= 35) {
				return 95
			}
			return 100
		})
		key := cfgs[0].Key()
		acc, _ := ParseAccept("nightly-035")
		accepted := DefaultOptions()
		accepted.Accepted = []Accept{acc}
		for n := 37; n < len(revs); n++ {
			h := Build(revs[:n+1], nil, FromGit, DefaultOptions())
			var bad []string
			for _, a := range h.Alerts(3) {
				if a.Key == key {
					bad = append(bad, a.Good.Batch+".."+a.Bad.Batch)
				}
			}
			if len(bad) != 1 || !strings.HasSuffix(bad[0], "nightly-035") {
				t.Errorf("seed %d, night %d: alerts %v, want only the change at nightly-035", seed, n, bad)
			}
			if n < 38 {
				continue
			}
			h = Build(revs[:n+1], nil, FromGit, accepted)
			for _, a := range h.Alerts(3) {
				if a.Key == key {
					t.Errorf("seed %d, night %d, nightly-035 accepted: alert %s..%s %s, want none", seed, n, a.Good.Batch, a.Bad.Batch, a.Change.Kind)
				}
			}
		}
	}
}

// TestAcceptBatchIsExact: config 0 steps 5% slower at night 15, config 1, unrelated, at night
// 16. --accept nightly-015 (every config) accepts config 0's change only; config 1's keeps
// holding. Silenced names what the acceptance silenced; UnmatchedAccepted the acceptance of
// a config the history has no series of.
func TestAcceptBatchIsExact(t *testing.T) {
	cfgs := threeCfgs[:2]
	revs := nights(30, cfgs, 0.8, 1, func(c, night int) float64 {
		if c == 0 && night >= 15 || c == 1 && night >= 16 {
			return 95
		}
		return 100
	})
	o := DefaultOptions()
	for _, s := range []string{"nightly-015", "nightly-015 tp=2/pp=1/nodes=4"} {
		a, err := ParseAccept(s)
		if err != nil {
			t.Fatal(err)
		}
		o.Accepted = append(o.Accepted, a)
	}
	for n := 22; n < len(revs); n++ {
		h := Build(revs[:n+1], nil, FromGit, o)
		var got []string
		for _, a := range h.Alerts(3) {
			got = append(got, fmt.Sprintf("%s@%s", a.Key, a.Bad.Batch))
		}
		if want := []string{cfgs[1].Key() + "@nightly-016"}; !slices.Equal(got, want) {
			t.Errorf("night %d, nightly-015 accepted: alerts %v, want %v", n, got, want)
		}
		sil := h.Silenced(3)
		if len(sil) != 1 || sil[0].Alert.Key != cfgs[0].Key() || sil[0].Alert.Bad.Batch != "nightly-015" || sil[0].By.String() != "nightly-015" {
			t.Errorf("night %d: silenced %+v, want config 0's change at nightly-015 by nightly-015", n, sil)
		}
		if un := h.UnmatchedAccepted(); len(un) != 1 || un[0].Key != "nodes=4/pp=1/tp=2" && un[0].Key != (bench.Config{"tp": "2", "pp": "1", "nodes": "4"}).Key() {
			t.Errorf("night %d: unmatched acceptances %+v, want the tp=2 one", n, un)
		}
	}
}

// TestParseAcceptForms: CONFIG is read in the key form (a / inside a value as %2F) and in the
// form baseline show prints (spaces between parts, values as they are, a / inside one too).
func TestParseAcceptForms(t *testing.T) {
	want := bench.Config{"model": "meta/llama3", "tp": "8", "pp": "4"}.Key()
	for _, s := range []string{
		"nightly-015 model=meta%2Fllama3/tp=8/pp=4",
		"nightly-015 pp=4/tp=8/model=meta%2Fllama3",
		"nightly-015 model=meta/llama3 tp=8 pp=4",
		"nightly-015  tp=8 pp=4 model=meta/llama3 ",
		"nightly-015 tp=8/pp=4 model=meta/llama3",
	} {
		a, err := ParseAccept(s)
		if err != nil || a.Batch != "nightly-015" || a.Key != want {
			t.Errorf("ParseAccept(%q) = %+v, %v; want key %s", s, a, err, want)
		}
	}
	for _, s := range []string{"nightly-015 tp", "nightly-015 tp=8 tp=4", "nightly-015 model=meta/llama3"} {
		if a, err := ParseAccept(s); err == nil {
			t.Errorf("ParseAccept(%q) = %+v, want an error", s, a)
		}
	}
}

// TestHeldStepDoesNotFlap: a real 5% step that persists, at 1.5–2% run-to-run noise, must
// keep alerting while it is held, not go off and on with each night's noise (the issue
// history-pages.yml keeps would be closed and reopened): a hold is dropped only after two
// nights in a row on which it does not hold. Counted over 8 seeds from the step's first
// alert to the end of its hold; before, 31 nights off and 12 flaps. What is left is mostly
// the first nights at 2% noise, when the change point itself comes and goes.
func TestHeldStepDoesNotFlap(t *testing.T) {
	cfgs := threeCfgs[:2]
	flaps, off := 0, 0
	var all []string
	for seed := uint64(1); seed <= 8; seed++ {
		noise := 1.5 + 0.5*float64(seed%2)
		revs := nights(45, cfgs, noise, seed, func(c, night int) float64 {
			if c == 0 && night >= 15 {
				return 95
			}
			return 100
		})
		got := alertNights(revs, cfgs[0].Key(), 15, 3, DefaultOptions())
		all = append(all, got)
		on := strings.Index(got, "+")
		if on < 0 {
			t.Errorf("seed %d: the step never alerted: %s", seed, got)
			continue
		}
		flaps += strings.Count(strings.TrimRight(got[on:], "."), ".+")
		off += strings.Count(strings.TrimRight(got[on:], "."), ".")
	}
	t.Logf("nights 15..44:\n%s", strings.Join(all, "\n"))
	if flaps > 7 || off > 20 {
		t.Errorf("a held 5%% step went off %d nights and on again %d times over 8 seeds, want at most 20 and 7:\n%s", off, flaps, strings.Join(all, "\n"))
	}
}

// TestFailingConfigHoldsThroughAnotherFailure: a config that errors from night 15 and runs
// out of memory from night 25 still fails; the error → OOM change is not for the worse and
// alerts on no night of its own, so the first change holds on (review: it stopped once the
// second was older than --recent, and nothing alerted while the config kept failing).
func TestFailingConfigHoldsThroughAnotherFailure(t *testing.T) {
	cfgs := threeCfgs
	revs := nights(40, cfgs, 0.8, 1, func(c, night int) float64 {
		if c == 2 && night >= 15 {
			return 0
		}
		return 100
	})
	for i := 15; i < 25; i++ {
		for j := range revs[i].Runs {
			if revs[i].Runs[j].Config.Key() == cfgs[2].Key() {
				revs[i].Runs[j].Outcome = bench.Error
			}
		}
	}
	if got := alertNights(revs, cfgs[2].Key(), 16, 3, DefaultOptions()); strings.Contains(got, ".") {
		t.Errorf("nights 16..39 alerting %s, want every night while it fails", got)
	}
}
