package check

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/bench"
)

// benchSuite is a seeded suite of nc configs of 7 runs: a fifth noisy, 1 run in 20 slow.
func benchSuite(nc int) []History {
	r := rand.New(rand.NewSource(1))
	suite := make([]History, nc)
	for c := range suite {
		sd := 0.01
		if r.Float64() < 0.2 {
			sd = 0.04
		}
		lvl, key := r.NormFloat64(), fmt.Sprintf("cfg%05d", c)
		ps := make([]Point, 7)
		for i := range ps {
			x := lvl + sd*r.NormFloat64()
			if r.Float64() < 0.05 {
				x -= 0.06
			}
			ps[i] = Point{Log: x, Key: key}
		}
		suite[c] = History{Key: key, Better: bench.Higher, Points: ps}
	}
	return suite
}

func BenchmarkMixture(b *testing.B) {
	suite := benchSuite(3000)
	b.Run("Learn", func(b *testing.B) {
		for range b.N {
			Mixture{}.Learn("m", suite, DefaultOptions)
		}
	})
	l := Mixture{}.Learn("m", suite, DefaultOptions)
	b.Run("Judge+Bound", func(b *testing.B) {
		for range b.N {
			for _, h := range suite {
				ev, _ := l.Judge(h.Points, h.Points[:1], DefaultOptions)
				ev.Bound(0.02 / 3000)
			}
		}
	})
}

// BenchmarkNoisyMemory learns the memory of a 3000-config store from 23 older runs of each
// config (the last 30 commits of a 7-run window, as the nightly update does), a fifth of the
// configs noisy and 1 run in 20 slow, and judges the window's configs under it.
func BenchmarkNoisyMemory(b *testing.B) {
	r := rand.New(rand.NewSource(2))
	var older, window []bench.Run
	for c := range 3000 {
		sd := 0.01
		if r.Float64() < 0.2 {
			sd = 0.04
		}
		cfg := fmt.Sprintf("tp=%d", c+1)
		for i := range 30 {
			x := 100 * math.Exp(sd*r.NormFloat64())
			if r.Float64() < 0.05 {
				x *= 0.94
			}
			rn := run(cfg, fmt.Sprintf("nightly-%02d", i), x)
			if i < 23 {
				older = append(older, rn)
			} else {
				window = append(window, rn)
			}
		}
	}
	b.Run("Learn", func(b *testing.B) {
		for range b.N {
			NoisyMemory(older, window, DefaultOptions)
		}
	})
	opts := DefaultOptions
	opts.NoisyMemory = NoisyMemory(older, window, DefaultOptions)
	suite := make([]History, 0, 3000)
	bs, order := group(window)
	for _, k := range order {
		suite = append(suite, History{Key: k, Better: bench.Higher, Points: bs[k].logPoints(bench.MetricTFLOPS)})
	}
	l := Mixture{}.Learn(bench.MetricTFLOPS, suite, opts)
	b.Run("Judge", func(b *testing.B) {
		for range b.N {
			for _, h := range suite {
				l.Judge(h.Points, h.Points[:1], opts)
			}
		}
	})
}

// TestFitSample: a store up to fitCap configs is fitted on all of them; a larger one on fitCap
// configs evenly spread over the sorted keys, whatever order the configs come in.
func TestFitSample(t *testing.T) {
	small := make([]string, 16)
	for i := range small {
		small[i] = fmt.Sprintf("k%02d", 15-i)
	}
	if got := fitSample(small); len(got) != 16 || got[0] != 0 || got[15] != 15 {
		t.Fatalf("16 configs: fitted on %v, want all", got)
	}
	r := rand.New(rand.NewSource(1))
	keys := make([]string, 1000)
	for i, j := range r.Perm(1000) {
		keys[i] = fmt.Sprintf("k%04d", j)
	}
	got := fitSample(keys)
	if len(got) != fitCap {
		t.Fatalf("1000 configs: fitted on %d, want %d", len(got), fitCap)
	}
	seen := map[string]bool{}
	for i, idx := range got {
		if i > 0 && idx <= got[i-1] {
			t.Fatalf("indexes not increasing: %v", got[:i+1])
		}
		seen[keys[idx]] = true
	}
	for i := 0; i < fitCap; i++ { // the i*1000/400-th key in sorted order
		if k := fmt.Sprintf("k%04d", i*1000/fitCap); !seen[k] {
			t.Fatalf("%s not in the sample", k)
		}
	}
}

// TestTCDFExact: the quantile's t CDF is go-moremath's, bit for bit (Judge's bound must not
// move), over the degrees of freedom a fit gives (prior weight plus residual degrees of
// freedom, fractional when a class's information caps the weight) and the whole line.
func TestTCDFExact(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 200000; i++ {
		v := 4 + 120*r.Float64()
		if i%3 == 0 {
			v = float64(4 + r.Intn(120))
		}
		x := r.NormFloat64() * math.Pow(10, 4*r.Float64()-2)
		if i%1000 == 0 {
			x = []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN()}[i/1000%5]
		}
		want := stats.TDist{V: v}.CDF(x)
		if got := tCDF(x, v, tBetaConst(v)); math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("tCDF(%v, %v) = %v, TDist.CDF %v", x, v, got, want)
		}
	}
}
