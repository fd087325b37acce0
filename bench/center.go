package bench

import (
	"math"
	"slices"
)

// Center summarises the samples of one run (typically one per iteration) by their median,
// so that warm-up iterations and slow outliers (checkpoint saves, stragglers) do not move it as
// long as they are a minority. It returns NaN for no samples. values is not modified.
func Center(values []float64) float64 {
	switch len(values) {
	case 0:
		return math.NaN()
	case 1:
		return values[0]
	}
	var buf [64]float64 // a run's samples are usually a few dozen iterations
	ys := append(buf[:0], values...)
	slices.Sort(ys)
	n := len(ys)
	if n%2 == 1 {
		return ys[n/2]
	}
	return (ys[n/2-1] + ys[n/2]) / 2
}
