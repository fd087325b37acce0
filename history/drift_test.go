package history

import (
	"math"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// TestDriftAlerts: a slide of 0.5% a night for 15 nights, in which no night steps by the
// minimum effect, alerts as a drift at its newest night (a change point E-divisive finds in
// it is not recent, so it does not), naming the first of the reference window's last 3
// runs as good; a flat series at 2.5% noise (three times the usual) alerts on no night.
func TestDriftAlerts(t *testing.T) {
	cfgs := threeCfgs[:1]
	revs := nights(25, cfgs, 0.8, 1, func(c, night int) float64 {
		if c == 0 && night >= 10 {
			return 100 * math.Pow(0.995, float64(night-9)) // −7.2% by night 24
		}
		return 100
	})
	h := Build(revs, nil, FromGit, DefaultOptions())
	s := find(t, h, cfgs[0].Key(), bench.MetricTFLOPS)
	d := s.Drift
	if d == nil {
		t.Fatalf("no drift on a slide of 0.5%% a night for 15 nights (change points %d)", len(s.ChangePoints))
	}
	if d.Kind != Drift || !d.Worse || d.Index != 24 || d.Good != 12 || *d.DeltaPct > -3 || *d.Z < DefaultOptions().DriftZ {
		t.Errorf("drift %+v (delta %v, z %v)", d, *d.DeltaPct, *d.Z)
	}
	// One alert, on TFLOPS/GPU, with the same slide of s/iter shown on it: one measurement.
	alerts := h.Alerts(3)
	if len(alerts) != 1 || alerts[0].Change.Kind != Drift || alerts[0].Metric != bench.MetricTFLOPS ||
		len(alerts[0].With) != 1 || alerts[0].With[0].Metric != bench.MetricTime || alerts[0].With[0].Change.Kind != Drift {
		t.Fatalf("alerts of the drifting config: %+v, want one drift on TFLOPS/GPU showing s/iter's", alerts)
	}
	if a := alerts[0]; a.Good.Batch != "nightly-012" || a.Bad.Batch != "nightly-024" {
		t.Errorf("drift alert bisects %s..%s, want nightly-012..nightly-024", a.Good.Batch, a.Bad.Batch)
	}

	// A flat series three times as noisy, every night from the first a drift can be judged.
	for seed := uint64(1); seed <= 3; seed++ {
		revs := nights(31, cfgs, 2.5, seed, func(c, night int) float64 { return 100 })
		for n := 21; n <= len(revs); n++ {
			h := Build(revs[:n], nil, FromGit, DefaultOptions())
			for _, a := range h.Alerts(3) {
				t.Errorf("seed %d, night %d: flat noisy series alerted: %s %+v", seed, n-1, a.Change.Kind, a.Change)
			}
		}
	}
}
