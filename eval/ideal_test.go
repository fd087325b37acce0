package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// idealPoints returns each config's TFLOPS points of runs, by config index.
func idealPoints(s *Suite, runs []bench.Run) [][]check.Point {
	ps := make([][]check.Point, len(s.Configs))
	for _, r := range runs {
		for i, c := range s.Configs {
			if r.Config.Key() == c.Key() {
				v := bench.Center(r.Metric(bench.MetricTFLOPS).Values)
				ps[i] = append(ps[i], check.Point{Log: math.Log(v), Value: v, Key: c.Key(), Batch: r.Batch})
			}
		}
	}
	return ps
}

// TestIdealCalibrated checks what makes the ideal test a bound of calibrated rules: on
// unchanged configs of short, contaminated windows drawn from the model it knows, its
// p-values are uniform (about 5% fall below 0.05, 1% below 0.01), while a 10% drop on a
// steady config is far below the per-config level Holm asks of 16 configs.
func TestIdealCalibrated(t *testing.T) {
	noise := DefaultNoise
	noise.SlowRate = 0.05
	test, err := check.LookupTest(IdealTestName(noise.SlowRate))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var clean, below5, below1, drops, caught int
	for i := 0; i < 200; i++ {
		s := NewSuite(rng, 16, noise)
		base := idealPoints(s, s.Baseline(rng, 3))
		slow := unchanged(16)
		victim := rng.IntN(16)
		slow[victim] = 1 / 0.9
		pr := idealPoints(s, s.Run(rng, "pr-1", slow, false, nil))
		learned := test.Learn(bench.MetricTFLOPS, make([]check.History, 16), check.Options{})
		for j := range s.Configs {
			ev, ok := learned.Judge(base[j], pr[j], check.Options{})
			if !ok {
				t.Fatalf("config %d: not judged", j)
			}
			switch {
			case j != victim:
				clean++
				below5 += b2i(ev.PLower < 0.05)
				below1 += b2i(ev.PLower < 0.01)
			case s.Class[j] == Steady:
				drops++
				caught += b2i(ev.PLower < 0.014/16)
			}
		}
	}
	f5, f1 := float64(below5)/float64(clean), float64(below1)/float64(clean)
	t.Logf("clean configs %d: p < 0.05 %.2f%%, p < 0.01 %.2f%%; 10%% drops on steady configs %d, caught %.1f%%", clean, 100*f5, 100*f1, drops, 100*float64(caught)/float64(drops))
	if f5 < 0.04 || f5 > 0.06 || f1 < 0.005 || f1 > 0.015 {
		t.Errorf("p-values of unchanged configs are not uniform: %.2f%% below 0.05, %.2f%% below 0.01", 100*f5, 100*f1)
	}
	if float64(caught) < 0.9*float64(drops) {
		t.Errorf("caught %d of %d 10%% drops on steady configs at 0.014/16; the ideal test catches nearly all", caught, drops)
	}
}

// TestIdealModels checks which scenarios the ideal test models: those without bimodal
// configs or memory, whose slow-run rate has a registered test.
func TestIdealModels(t *testing.T) {
	for _, sc := range Scenarios {
		want := sc.BimodalShare == 0 && sc.MemoryRuns == 0
		if got := IdealModels(sc); got != want {
			t.Errorf("IdealModels(%s) = %v, want %v", sc.Name, got, want)
		}
	}
	s := DefaultSetup()
	s.Ideal = true
	s.Noise.NoisyPct = 3
	if s.Validate() == nil {
		t.Error("Validate accepted -ideal with a noise model the ideal test does not know")
	}
}
