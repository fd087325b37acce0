package history

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// nights builds one revision per night of the given configs; level(cfg, night) returns the
// config's TFLOPS that night before noise, or 0 for an OOM.
func nights(n int, cfgs []bench.Config, noisePct float64, seed uint64, level func(c, night int) float64) []Revision {
	rng := rand.New(rand.NewPCG(seed, 7))
	var revs []Revision
	for i := 0; i < n; i++ {
		rev := Revision{Commit: fmt.Sprintf("%040x", i+1), Date: fmt.Sprintf("2026-10-%02dT04:00:00Z", i+1)}
		batch := fmt.Sprintf("nightly-%03d", i)
		for c, cfg := range cfgs {
			r := bench.Run{Config: cfg, Batch: batch, Date: fmt.Sprintf("2026-10-%02dT03:00:00Z", i+1), Commit: fmt.Sprintf("m%03d", i)}
			if v := level(c, i); v > 0 {
				r.Outcome = bench.OK
				v *= math.Exp(rng.NormFloat64() * noisePct / 100)
				r.Metrics = []bench.Metric{
					{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{v}},
					{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{1000 / v}},
				}
			} else {
				r.Outcome = bench.OOM
			}
			rev.Runs = append(rev.Runs, r)
		}
		revs = append(revs, rev)
	}
	return revs
}

var threeCfgs = []bench.Config{
	{"tp": "8", "pp": "4", "nodes": "32"},
	{"tp": "8", "pp": "8", "nodes": "32"},
	{"tp": "4", "pp": "8", "nodes": "32"},
}

func find(t *testing.T, h *History, key, metric string) *Series {
	t.Helper()
	for i := range h.Series {
		if h.Series[i].Key == key && h.Series[i].Metric == metric {
			return &h.Series[i]
		}
	}
	t.Fatalf("no series %s %s", key, metric)
	return nil
}

func TestBuildStepsAndOutcomes(t *testing.T) {
	revs := nights(30, threeCfgs, 0.8, 1, func(c, night int) float64 {
		switch {
		case c == 0 && night >= 12:
			return 100 * 0.95 // a 5% drop at night 12
		case c == 2 && night >= 27:
			return 0 // starts to OOM at night 27
		}
		return 100
	})
	h := Build(revs, nil, FromGit, DefaultOptions())
	if len(h.Batches) != 30 || h.Commits != 30 {
		t.Fatalf("%d batches from %d commits, want 30", len(h.Batches), h.Commits)
	}
	if len(h.Series) != 6 {
		t.Fatalf("%d series, want 3 configs × 2 metrics", len(h.Series))
	}
	drop := find(t, h, threeCfgs[0].Key(), bench.MetricTFLOPS)
	if len(drop.ChangePoints) != 1 {
		t.Fatalf("dropping config: change points %+v, want one", drop.ChangePoints)
	}
	cp := drop.ChangePoints[0]
	if cp.Kind != Level || cp.Index != 12 || cp.Batch != "nightly-012" || cp.Commit != revs[12].Commit || !cp.Worse {
		t.Errorf("change point %+v, want a worse level change at night 12 recorded by %s", cp, revs[12].Commit)
	}
	if math.Abs(*cp.DeltaPct+5) > 1 || *cp.PValue > 0.05 || cp.Good != 11 {
		t.Errorf("delta %.2f%% p %.4f good %d, want about -5%%, significant, good night 11", *cp.DeltaPct, *cp.PValue, cp.Good)
	}
	// The same step in s/iter is a rise, and worse too.
	if ts := find(t, h, threeCfgs[0].Key(), bench.MetricTime); len(ts.ChangePoints) != 1 || !ts.ChangePoints[0].Worse || *ts.ChangePoints[0].DeltaPct < 4 {
		t.Errorf("s/iter change points %+v, want one worse rise of about 5%%", ts.ChangePoints)
	}
	if steady := find(t, h, threeCfgs[1].Key(), bench.MetricTFLOPS); len(steady.ChangePoints) != 0 {
		t.Errorf("steady config has change points %+v", steady.ChangePoints)
	}
	oom := find(t, h, threeCfgs[2].Key(), bench.MetricTFLOPS)
	if len(oom.Points) != 30 || oom.Points[29].Outcome != bench.OOM || oom.Points[29].OK() {
		t.Fatalf("OOM nights are not points: %+v", oom.Points[25:])
	}
	if len(oom.ChangePoints) != 1 || oom.ChangePoints[0].Kind != Outcome || oom.ChangePoints[0].Index != 27 ||
		oom.ChangePoints[0].To != bench.OOM || !oom.ChangePoints[0].Worse {
		t.Errorf("OOM config: change points %+v, want an outcome change to oom at night 27", oom.ChangePoints)
	}
	// The newest 3 nights hold the OOM start: one alert, on TFLOPS/GPU, showing s/iter's
	// (one measurement); the drop at 12 is older, but still holds, so it alerts too (held),
	// after the OOM (worst first); without holding it is old news.
	alerts := h.Alerts(3)
	if len(alerts) != 2 || alerts[0].Metric != bench.MetricTFLOPS || len(alerts[0].With) != 1 || alerts[0].With[0].Metric != bench.MetricTime || alerts[0].Held {
		t.Fatalf("alerts %+v, want the OOM start once, on TFLOPS/GPU with s/iter shown, then the held drop", alerts)
	}
	if a := alerts[1]; !a.Held || a.Change.Kind != Level || a.Bad.Batch != "nightly-012" || a.Key != threeCfgs[0].Key() {
		t.Errorf("second alert %+v, want the drop at 12, held", a)
	}
	o := DefaultOptions()
	o.HoldNights = 0
	alerts = Build(revs, nil, FromGit, o).Alerts(3)
	if len(alerts) != 1 || alerts[0].Change.Kind != Outcome {
		t.Fatalf("without holding: alerts %+v, want the OOM start only", alerts)
	}
	for _, a := range alerts {
		if a.Good.Batch != "nightly-026" || a.Bad.Batch != "nightly-027" || a.GoodMeasured != "m026" || a.BadMeasured != "m027" {
			t.Errorf("alert range %s..%s (%s..%s), want nights 26..27", a.Good.Batch, a.Bad.Batch, a.GoodMeasured, a.BadMeasured)
		}
	}
	if n := len(h.Alerts(20)); n != 2 {
		t.Errorf("with 20 recent nights, %d alerts, want the drop too (2: one per config)", n)
	}
	if b := drop.Band; b == nil || b.Runs != 10 || b.From != 20 || math.Abs(b.Center-95) > 1 || b.Lo >= b.Center || b.Hi <= b.Center {
		t.Errorf("band %+v, want the newest 10 runs around 95", b)
	}
}

// TestAlertsWorstFirst: alerts come worst first, as the reports that must leave some out keep
// the first ones: a config that started failing, then the larger step, whatever the order of
// the configs.
func TestAlertsWorstFirst(t *testing.T) {
	revs := nights(30, threeCfgs, 0.5, 3, func(c, night int) float64 {
		switch {
		case c == 0 && night >= 20:
			return 100 * 0.96 // a 4% drop
		case c == 1 && night >= 20:
			return 100 * 0.88 // a 12% drop, in a later series
		case c == 2 && night >= 25:
			return 0 // starts to OOM
		}
		return 100
	})
	h := Build(revs, nil, FromGit, DefaultOptions())
	var got []string
	for _, a := range h.Alerts(15) {
		got = append(got, h.Series[a.Series].Key)
	}
	want := []string{threeCfgs[2].Key(), threeCfgs[1].Key(), threeCfgs[0].Key()}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alerts of configs %v, want worst first %v", got, want)
	}
}

func TestBuildSweep(t *testing.T) {
	revs := nights(4, threeCfgs, 0, 1, func(c, night int) float64 { return []float64{100, 110, 90}[c] })
	h := Build(revs, nil, FromGit, DefaultOptions())
	sw := h.Sweep
	if sw == nil || sw.Metric != bench.MetricTFLOPS || len(sw.Scales) != 1 {
		t.Fatalf("sweep %+v", sw)
	}
	sc := sw.Scales[0]
	if sc.Best != threeCfgs[1].Key() || sc.Configs != 3 || fmt.Sprint(sc.TP) != "[4 8]" || fmt.Sprint(sc.PP) != "[4 8]" {
		t.Errorf("scale %+v", sc)
	}
	if sc.Grid[0][0] != nil || *sc.Grid[0][1] != 90 || *sc.Grid[1][0] != 100 || *sc.Grid[1][1] != 110 {
		t.Errorf("grid %v", sc.Grid)
	}
}

// TestBuildUnionAndOrder: a batch in two revisions counts once, for the first commit; extra
// runs of a new batch are added without a commit, of a stored batch not at all; batches are
// ordered by date, not by commit.
func TestBuildUnionAndOrder(t *testing.T) {
	run := func(batch, date string, v float64) bench.Run {
		return bench.Run{Config: bench.Config{"tp": "1"}, Outcome: bench.OK, Batch: batch, Date: date,
			Metrics: []bench.Metric{{Name: "s/iter", Better: bench.Lower, Values: []float64{v}}}}
	}
	revs := []Revision{
		{Commit: "c1", Date: "2026-01-05T00:00:00Z", Runs: []bench.Run{run("b2", "2026-01-02T00:00:00Z", 2)}},
		{Commit: "c2", Date: "2026-01-06T00:00:00Z", Runs: []bench.Run{run("b1", "2026-01-01T00:00:00Z", 1)}},
	}
	extra := []bench.Run{run("b2", "2026-01-02T00:00:00Z", 99), run("b4", "2026-01-04T00:00:00Z", 4),
		run("b3", "2026-01-02 12:00:00", 3), run("b5", "not a date", 5),
		// Dates as bench.ParseDate reads them everywhere else: with an offset after a space,
		// an offset without a colon, minutes without seconds.
		run("b7", "2026-01-03 23:00:00+00:00", 7), run("b6", "2026-01-03T09:00:00+0100", 6),
		run("b8", "2026-01-04T01:00", 8)}
	h := Build(revs, extra, FromGit, DefaultOptions())
	var got []string
	for _, p := range h.Series[0].Points {
		got = append(got, fmt.Sprintf("%s@%s=%v", p.Batch, p.Commit, *p.Value))
	}
	// b3's log-style date sorts it before b4; b5's date does not parse, so it stays after b3.
	if want := "[b1@c2=1 b2@c1=2 b3@=3 b5@=5 b6@=6 b7@=7 b4@=4 b8@=8]"; fmt.Sprint(got) != want || h.Extra != 6 {
		t.Errorf("points %v (extra %d), want %s (extra 6)", got, h.Extra, want)
	}
}

// A run id reused every night (--run-id nightly): tonight's results under the committed
// batch's id but of another date are another night, not a batch already committed. Dropped,
// --fail-on would pass without looking at tonight.
func TestBuildExtraReusedBatchID(t *testing.T) {
	run := func(batch, date string, v float64) bench.Run {
		return bench.Run{Config: bench.Config{"tp": "1"}, Outcome: bench.OK, Batch: batch, Date: date,
			Metrics: []bench.Metric{{Name: "s/iter", Better: bench.Lower, Values: []float64{v}}}}
	}
	shard := run("nightly", "2026-01-02T05:00:00Z", 2)
	shard.Config = bench.Config{"tp": "2"}
	revs := []Revision{
		{Commit: "c1", Date: "2026-01-01T04:00:00Z", Runs: []bench.Run{run("nightly@2026-01-01T03:00:00Z", "2026-01-01T03:00:00Z", 1)}},
		{Commit: "c2", Date: "2026-01-02T04:00:00Z", Runs: []bench.Run{run("nightly", "2026-01-02T03:00:00Z", 2)}},
		// A matrix shard that joined the night later, dated when it ran.
		{Commit: "c3", Date: "2026-01-02T06:00:00Z", Runs: []bench.Run{shard}},
	}
	extra := []bench.Run{
		shard, // the shard's results again
		run("nightly", "2026-01-02T03:00:00Z", 99),                      // the committed night again
		run("nightly", "2026-01-01T03:00:00Z", 98),                      // an older committed night
		run("nightly", "2026-01-03T03:00:00Z", 3),                       // tonight
		run("nightly@2026-01-01T03:00:00Z", "2026-01-01T03:00:00Z", 97), // committed, by its history name
	}
	oom := run("nightly", "2026-01-03T03:00:00Z", 0)
	oom.Config, oom.Outcome, oom.Metrics = bench.Config{"tp": "2"}, bench.OOM, nil
	extra = append(extra, oom)
	h := Build(revs, extra, FromGit, DefaultOptions())
	var got []string
	for _, p := range h.Series[0].Points {
		got = append(got, fmt.Sprintf("%s=%v", p.Batch, *p.Value))
	}
	if want := "[nightly@2026-01-01T03:00:00Z=1 nightly=2 nightly@2026-01-03T03:00:00Z=3]"; fmt.Sprint(got) != want || h.Extra != 2 {
		t.Errorf("points %v (extra %d), want %s (extra 2)", got, h.Extra, want)
	}
	if len(h.Batches) != 3 {
		t.Errorf("%d batches, want 3: %+v", len(h.Batches), h.Batches)
	}
}

// TestBuildExtraUndatedCommitted: results that do not say when they ran are dated
// opts.ExtraDate unless they are runs the store committed: the same night's runs under its
// batch id (or under the history's ID@DATE name for an older night), by values, or any runs
// of a batch id that is the hash of its file's content. Under a reused run id with other
// values they are another night, ID@DATE.
func TestBuildExtraUndatedCommitted(t *testing.T) {
	run := func(batch, date string, v float64) bench.Run {
		return bench.Run{Config: bench.Config{"tp": "1"}, Outcome: bench.OK, Batch: batch, Date: date,
			Metrics: []bench.Metric{{Name: "s/iter", Better: bench.Lower, Values: []float64{v}}}}
	}
	revs := func() []Revision {
		return []Revision{
			{Commit: "c1", Date: "2026-01-01T04:00:00Z", Runs: []bench.Run{run("nightly@2026-01-01T03:00:00Z", "2026-01-01T03:00:00Z", 1)}},
			{Commit: "c2", Date: "2026-01-02T04:00:00Z", Runs: []bench.Run{run("nightly", "2026-01-02T03:00:00Z", 2), run("nightly", "2026-01-02T03:00:00Z", 2.5)}},
			{Commit: "c3", Date: "2026-01-03T04:00:00Z", Runs: []bench.Run{run("sha256:0123456789abcdef", "2026-01-03T03:00:00Z", 3)}},
		}
	}
	opts := DefaultOptions()
	opts.ExtraDate = "2026-01-04T03:00:00Z"
	for _, tc := range []struct {
		name  string
		extra []bench.Run
		want  int // extra runs added, as nightly@ExtraDate
	}{
		{"the committed night", []bench.Run{run("nightly", "", 2.5), run("nightly", "", 2)}, 0},
		{"one of its runs", []bench.Run{run("nightly", "", 2.5)}, 0},
		{"an older committed night", []bench.Run{run("nightly", "", 1)}, 0},
		{"the committed results file", []bench.Run{run("sha256:0123456789abcdef", "", 3.3)}, 0},
		{"another night", []bench.Run{run("nightly", "", 2), run("nightly", "", 4)}, 2},
		{"a run more than the night", []bench.Run{run("nightly", "", 2), run("nightly", "", 2.5), run("nightly", "", 2)}, 3},
		{"another config", []bench.Run{func() bench.Run { r := run("nightly", "", 2); r.Config = bench.Config{"tp": "2"}; return r }()}, 1},
		{"another metric", []bench.Run{func() bench.Run {
			r := run("nightly", "", 2)
			r.Metrics = append(r.Metrics, bench.Metric{Name: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{100}})
			return r
		}()}, 1},
		{"a new batch", []bench.Run{run("tonight", "", 5)}, 1},
	} {
		h := Build(revs(), tc.extra, FromGit, opts)
		if h.Extra != tc.want {
			t.Errorf("%s: %d extra runs, want %d", tc.name, h.Extra, tc.want)
		}
		if n := len(h.Batches); tc.want > 0 && (n != 4 || h.Batches[3].Date != opts.ExtraDate) {
			t.Errorf("%s: batches %+v, want a fourth of %s", tc.name, h.Batches, opts.ExtraDate)
		} else if tc.want > 0 && tc.name != "a new batch" && h.Batches[3].Batch != "nightly@"+opts.ExtraDate {
			t.Errorf("%s: added as %s, want nightly@%s", tc.name, h.Batches[3].Batch, opts.ExtraDate)
		}
	}
}

// TestLevelChangesUpAndDown: a temporary 6% drop in the middle of a series is two change
// points, though no single split of the whole series shows a 3% step.
func TestLevelChangesUpAndDown(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var xs []float64
	for i := 0; i < 36; i++ {
		l := 0.0
		if i >= 12 && i < 24 {
			l = math.Log(0.94)
		}
		xs = append(xs, l+0.008*rng.NormFloat64())
	}
	cs := levelChanges(xs, DefaultOptions(), rand.New(rand.NewPCG(1, 1)), &scratch{})
	if len(cs) != 2 || cs[0].At != 12 || cs[1].At != 24 {
		t.Fatalf("changes %+v, want at 12 and 24", cs)
	}
}

// TestLevelChangesNoise: pure noise at the README's 0.8% yields no change point in 200 series,
// and a single outlying night is not a step.
func TestLevelChangesNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	opts := DefaultOptions()
	for s := 0; s < 200; s++ {
		xs := make([]float64, 30)
		for i := range xs {
			xs[i] = 0.008 * rng.NormFloat64()
		}
		if s == 0 {
			xs[29] = math.Log(0.8) // one bad night at the end
		}
		if cs := levelChanges(xs, opts, rng, &scratch{}); len(cs) > 0 {
			t.Errorf("series %d: change points %+v in noise", s, cs)
		}
	}
}

func TestDeterministic(t *testing.T) {
	level := func(c, night int) float64 {
		if c == 1 && night > 9 {
			return 103.5
		}
		return 100
	}
	a := Build(nights(20, threeCfgs, 0.8, 9, level), nil, FromGit, DefaultOptions())
	b := Build(nights(20, threeCfgs, 0.8, 9, level), nil, FromGit, DefaultOptions())
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Error("the same input gave different change points")
	}
}

// BenchmarkBuild3000x60 builds and analyses the history of 3000 configs over 60 nightlies at
// 0.8% noise, 5% of them with a 5% drop: the size target ("a few seconds").
func BenchmarkBuild3000x60(b *testing.B) {
	cfgs := make([]bench.Config, 3000)
	for i := range cfgs {
		cfgs[i] = bench.Config{"tp": fmt.Sprint(1 << (i % 4)), "pp": fmt.Sprint(1 << (i / 4 % 4)), "mbs": fmt.Sprint(i / 16 % 4), "gbs": fmt.Sprint(i / 64), "nodes": "32"}
	}
	revs := nights(60, cfgs, 0.8, 1, func(c, night int) float64 {
		if c%20 == 0 && night >= 30 {
			return 95
		}
		return 100
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := Build(revs, nil, FromGit, DefaultOptions())
		if len(h.Series) != 6000 {
			b.Fatal(len(h.Series))
		}
	}
}

// TestBuildRandom feeds Build random histories (failures, gaps, repeated runs in a batch,
// batches in several revisions, extra runs) and checks its invariants: it does not panic,
// every point belongs to a batch in date order, and every change point names a point and a
// good run before it.
func TestBuildRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for iter := 0; iter < 300; iter++ {
		nb := 1 + rng.IntN(25)
		ncfg := 1 + rng.IntN(4)
		var revs []Revision
		var extra []bench.Run
		for b := 0; b < nb; b++ {
			rev := Revision{Commit: fmt.Sprint("c", b), Date: fmt.Sprintf("2026-01-%02dT00:00:00Z", 1+rng.IntN(28))}
			for c := 0; c < ncfg; c++ {
				for k := rng.IntN(3); k > 0; k-- {
					r := bench.Run{Config: bench.Config{"tp": fmt.Sprint(c)}, Batch: fmt.Sprint("b", rng.IntN(nb)), Outcome: bench.OK}
					if rng.IntN(3) > 0 {
						r.Date = fmt.Sprintf("2026-02-%02dT00:00:00Z", 1+rng.IntN(28))
					}
					switch rng.IntN(6) {
					case 0:
						r.Outcome = bench.OOM
					case 1:
						r.Outcome = bench.Error
					default:
						level := 100.0
						if rng.IntN(2) == 0 {
							level = 90
						}
						r.Metrics = []bench.Metric{{Name: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{level * (1 + 0.01*rng.NormFloat64())}}}
					}
					if rng.IntN(5) == 0 {
						extra = append(extra, r)
					} else {
						rev.Runs = append(rev.Runs, r)
					}
				}
			}
			revs = append(revs, rev)
		}
		h := Build(revs, extra, FromGit, DefaultOptions())
		for _, s := range h.Series {
			prev := -1
			for _, p := range s.Points {
				if p.BatchIndex <= prev || p.BatchIndex >= len(h.Batches) || h.Batches[p.BatchIndex].Batch != p.Batch {
					t.Fatalf("iteration %d: point %+v out of order or not its batch's", iter, p)
				}
				prev = p.BatchIndex
				if p.OK() == (p.Outcome != "") {
					t.Fatalf("iteration %d: point %+v has both or neither of value and outcome", iter, p)
				}
			}
			for _, cp := range s.ChangePoints {
				if cp.Index <= 0 || cp.Index >= len(s.Points) || cp.Good < 0 || cp.Good >= cp.Index || s.Points[cp.Index].Batch != cp.Batch {
					t.Fatalf("iteration %d: change point %+v does not fit %d points", iter, cp, len(s.Points))
				}
				if cp.Kind == Level && (cp.DeltaPct == nil || math.Abs(*cp.DeltaPct) < h.MinEffectPct-1e-9) {
					t.Fatalf("iteration %d: level change point %+v below the minimum effect", iter, cp)
				}
			}
		}
		h.Alerts(3)
	}
}
