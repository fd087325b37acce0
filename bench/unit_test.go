package bench

import (
	"math"
	"strings"
	"testing"
)

func TestCheckValue(t *testing.T) {
	for _, c := range []struct {
		v      float64
		unit   string
		better Better
		want   string // substring of the complaint; "" for usable
	}{
		{46.3, MetricTime, Lower, ""},
		{148.6, MetricTFLOPS, Higher, ""},
		{61234, MetricMaxAlloc, Lower, ""},
		{0.3, "ns/op", Lower, ""},
		{0, "allocs/op", Lower, ""},
		{0, "B/op", Lower, ""},
		{math.NaN(), MetricTime, Lower, "NaN"},
		{math.Inf(1), MetricTime, Lower, "infinite"},
		{-1, MetricTime, Lower, "negative"},
		{0, MetricTime, Lower, "zero"},
		{0, MetricTFLOPS, Higher, "not positive"},
		{1e-320, MetricTime, Lower, "subnormal"},
		{1e308, MetricTime, Lower, "beyond"},
		{2e6, MetricTime, Lower, "beyond"},
		{2e9, "ms/iter", Lower, "beyond"},
		{5e5, "ms/iter", Lower, ""},
		{153000, MetricTFLOPS, Higher, "beyond"},
		{153000, "GFLOPS/GPU", Higher, ""},
		{2e15, "ns/op", Lower, "beyond"},
		{2e9, MetricMaxAlloc, Lower, "beyond"},
		{1e19, "widgets", Higher, "beyond"},
	} {
		got := CheckValue(c.v, c.unit, c.better)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("CheckValue(%g, %s, %s) = %q, want %q", c.v, c.unit, c.better, got, c.want)
		}
	}
}

func TestDecompose(t *testing.T) {
	for unit, want := range map[string]Scaled{
		"TFLOPS/GPU": {1e12, "FLOPS/GPU"},
		"ms/iter":    {1e-3, "s/iter"},
		"GiB":        {1 << 30, "B"},
		"µs/op":      {1e-6, "s/op"},
		"us/op":      {1e-6, "s/op"},
		"ns/op":      {1e-9, "sec/op"},
	} {
		found := false
		for _, s := range Decompose(unit) {
			if s.Base == want.Base && math.Abs(s.Factor/want.Factor-1) < 1e-12 {
				found = true
			}
		}
		if !found {
			t.Errorf("Decompose(%s) = %v, want a reading %v", unit, Decompose(unit), want)
		}
	}
}

// TestDirectionOf pins the directions units and metric names suggest; a time that names
// tokens (time_to_first_token) is a time, not a token rate.
func TestDirectionOf(t *testing.T) {
	for unit, want := range map[string]Better{
		"TFLOPS/GPU": Higher, "tokens/s/GPU": Higher, "samples/s": Higher, "MFU": Higher, "B/s": Higher,
		"s/iter": Lower, "ms": Lower, "sec/op": Lower, "MB-max-allocated": Lower, "step_time": Lower,
		"time_to_first_token": Lower, "time-to-first-token (ms)": Lower, "TTFT": Lower, "token_latency": Lower,
		"tokens": Higher, "": Unknown, "widgets": Unknown,
	} {
		if got := DirectionOf(unit); got != want {
			t.Errorf("DirectionOf(%q) = %v, want %v", unit, got, want)
		}
	}
}
