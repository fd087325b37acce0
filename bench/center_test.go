package bench

import (
	"math"
	"testing"
)

func TestCenter(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"slow minority", []float64{10, 10.1, 9.9, 10, 10.05, 9.95, 31, 45, 60}, 10.05},
		{"warm-up iterations first", []float64{40, 25, 10, 10.2, 9.8, 10.1, 9.9}, 10.1},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.in...)
		if got := Center(in); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: Center(%v) = %v, want the median %v", tt.name, tt.in, got, tt.want)
		}
		for i := range in {
			if in[i] != tt.in[i] {
				t.Errorf("%s: Center modified its input: %v", tt.name, in)
				break
			}
		}
	}
	if got := Center(nil); !math.IsNaN(got) {
		t.Errorf("Center(nil) = %v, want NaN", got)
	}
	// A slow minority of iterations hardly moves the centre; the mean would move 30%.
	steady := []float64{10, 10, 10, 10, 10, 10, 10}
	slow := append(append([]float64(nil), steady...), 30, 30, 30)
	if c := Center(slow); c != 10 {
		t.Errorf("3 slow of 10 iterations moved the centre to %v", c)
	}
}
