package check

import (
	"fmt"
	"math/rand"
	"testing"

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
