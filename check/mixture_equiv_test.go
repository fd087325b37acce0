//go:build equiv

package check

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

func equivSuite(r *rand.Rand, nc int, better bench.Better) []History {
	var suite []History
	for c := 0; c < nc; c++ {
		n := 2 + r.Intn(9)
		sd := 0.01
		if r.Float64() < 0.2 {
			sd = 0.03 + 0.03*r.Float64()
		}
		lvl := r.NormFloat64()
		key := fmt.Sprintf("cfg%04d", c)
		var ps []Point
		for i := 0; i < n; i++ {
			x := lvl + sd*r.NormFloat64()
			if r.Float64() < 0.05 {
				x -= 0.06
			}
			ps = append(ps, Point{Log: x, Key: key, Batch: fmt.Sprint(i)})
		}
		suite = append(suite, History{Key: key, Better: better, Points: ps})
	}
	return suite
}

func relClose(a, b, tol float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b)) || math.Abs(a-b) < 1e-15
}

func TestMixtureEquiv(t *testing.T) {
	var maxBoundDiff float64
	defer func() { t.Logf("largest bound difference %.3g", maxBoundDiff) }()
	for seed := int64(1); seed <= 6; seed++ {
		r := rand.New(rand.NewSource(seed))
		better := bench.Higher
		if seed%2 == 0 {
			better = bench.Lower
		}
		suite := equivSuite(r, []int{16, 50, 300, 16, 120, 400}[seed-1], better)
		opts := DefaultOptions
		if seed >= 5 { // a remembered noisy class and some configs' remembered classes
			opts.NoisyMemory = &Memory{Noisy: map[string]float64{suite[0].Key: 0.9, suite[1].Key: 0.001}, NoisyPct: 4, NoisyDF: 20}
		}
		lo := refMixture{}.Learn("m", suite, opts).(*refFit)
		ln := Mixture{}.Learn("m", suite, opts).(*mixFit)
		if lo.share != ln.share || lo.slowRate != ln.slowRate || lo.classes != ln.classes || lo.info != ln.info {
			t.Errorf("seed %d fit: old %+v %v %v %v new %+v %v %v %v", seed, lo.classes, lo.share, lo.slowRate, lo.info, ln.classes, ln.share, ln.slowRate, ln.info)
		}
		for _, h := range suite {
			k := 1 + r.Intn(3)
			shift := []float64{0, -0.05, 0.03, -0.01}[r.Intn(4)]
			var cur []Point
			for i := 0; i < k; i++ {
				cur = append(cur, Point{Log: h.Points[0].Log + shift + 0.01*r.NormFloat64(), Key: h.Key})
			}
			eo, oko := lo.Judge(h.Points, cur, opts)
			en, okn := ln.Judge(h.Points, cur, opts)
			if oko != okn {
				t.Fatalf("ok differs")
			}
			if !oko {
				continue
			}
			if len(h.Points) >= shortRuns && !eo.Contaminated {
				// A long, clean history: the new code judges it by the moderated t test
				// (longJudge); the noise class it reports is still the mixture's.
				co, cn := eo.Caveats[0].(NoiseClass), en.Caveats[0].(NoiseClass)
				lm, own, _ := ln.longTest(h.Points, co.PNoisy)
				want := lm.evidence(h.Points, cur, own)
				if en.PLower != want.PLower || en.PHigher != want.PHigher || en.NoisePct != want.NoisePct || en.Short || en.Contaminated {
					t.Errorf("seed %d %s: long clean history judged %+v, want the moderated t's %+v", seed, h.Key, en, want)
				}
				if !relClose(co.PNoisy, cn.PNoisy, 1e-9) {
					t.Errorf("seed %d %s: P(noisy) %v, reference %v", seed, h.Key, cn.PNoisy, co.PNoisy)
				}
				continue
			}
			if !relClose(eo.PHigher, en.PHigher, 1e-9) || !relClose(eo.PLower, en.PLower, 1e-9) || !relClose(eo.Diff, en.Diff, 1e-9) || !relClose(eo.NoisePct, en.NoisePct, 1e-9) {
				t.Errorf("seed %d %s: old %v %v %v %v new %v %v %v %v", seed, h.Key, eo.PHigher, eo.PLower, eo.Diff, eo.NoisePct, en.PHigher, en.PLower, en.Diff, en.NoisePct)
			}
			for _, lv := range []float64{0.3, 0.05, 0.01, 0.001, 1e-4, 1e-5, 0.02 / 3000, 1e-6, 1e-7} {
				bo, bn := eo.Bound(lv), en.Bound(lv)
				if bo > maxLogBound && bn > maxLogBound {
					// Both beyond any threshold (exp overflows: +Inf percent either way). The
					// worse direction's far upper quantile is +Inf in the reference's InvCDF
					// and a huge finite number in the fast path's.
					continue
				}
				if d := math.Abs(bo - bn); d > maxBoundDiff {
					maxBoundDiff = d
				}
				if math.Abs(bo-bn) > 1e-9 {
					t.Errorf("seed %d %s bound %v: old %v new %v", seed, h.Key, lv, bo, bn)
				}
			}
			if fmt.Sprint(eo.Caveats) != fmt.Sprint(en.Caveats) || eo.Short != en.Short || eo.Contaminated != en.Contaminated {
				t.Errorf("seed %d %s caveats: %v vs %v", seed, h.Key, eo.Caveats, en.Caveats)
			}
			no, _ := lo.Noise(h.Points, opts)
			nn, _ := ln.Noise(h.Points, opts)
			var pSlow, pNoisy float64 // Noise, unlike Judge, weighs the baseline alone
			for _, hp := range ln.hypotheses(signed(h.Points, ln.sign), nil, ln.shareOf(h.Points)) {
				if hp.slow >= 0 {
					pSlow += hp.w
				}
				if hp.class == noisyClass {
					pNoisy += hp.w
				}
			}
			if ln.settled(h.Points, pSlow) {
				lm, own, _ := ln.longTest(h.Points, pNoisy)
				v, _ := lm.noiseOf(h.Points, own)
				no = 100 * math.Sqrt(v)
			}
			if !relClose(no, nn, 1e-9) {
				t.Errorf("noise %v %v", no, nn)
			}
		}
	}
}

// maxLogBound is the largest log-ratio bound whose threshold in percent, 100·(e^b−1), is
// finite.
var maxLogBound = math.Log(math.MaxFloat64)
