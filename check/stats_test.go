package check

import (
	"fmt"
	"math"
	"testing"

	"github.com/aclements/go-moremath/stats"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestAdjust(t *testing.T) {
	tests := []struct {
		method string
		in     []float64
		want   []float64
	}{
		// Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04,
		// made monotone: 0.02, 0.03, 0.06, 0.06.
		{"holm", []float64{0.01, 0.04, 0.03, 0.005}, []float64{0.03, 0.06, 0.06, 0.02}},
		// BH: sorted 0.005, 0.01, 0.03, 0.04 times 4/1, 4/2, 4/3, 4/4 = 0.02, 0.02, 0.04, 0.04,
		// made monotone from the top (already): 0.02, 0.02, 0.04, 0.04.
		{"bh", []float64{0.01, 0.04, 0.03, 0.005}, []float64{0.02, 0.04, 0.04, 0.02}},
		// BH where the step-up minimum matters: 0.01·3/1 = 0.03, 0.02·3/2 = 0.03, 0.025·3/3 = 0.025
		// → 0.025, 0.025, 0.025.
		{"bh", []float64{0.025, 0.01, 0.02}, []float64{0.025, 0.025, 0.025}},
		{"none", []float64{0.01, 0.04, 0.03, 0.005}, []float64{0.01, 0.04, 0.03, 0.005}},
		// Capped at 1.
		{"holm", []float64{0.5, 0.6}, []float64{1, 1}},
		{"bh", []float64{0.9, 0.95}, []float64{0.95, 0.95}},
		// Ties and a single test.
		{"holm", []float64{0.02, 0.02}, []float64{0.04, 0.04}},
		{"holm", []float64{0.02}, []float64{0.02}},
		{"bh", []float64{0.02}, []float64{0.02}},
		{"holm", nil, nil},
	}
	for _, tt := range tests {
		ps := append([]float64(nil), tt.in...)
		adjust(ps, Correction(tt.method))
		if len(ps) != len(tt.want) {
			t.Fatalf("%s%v: got %v", tt.method, tt.in, ps)
		}
		for i := range ps {
			if !near(ps[i], tt.want[i], 1e-12) {
				t.Errorf("%s%v = %v, want %v", tt.method, tt.in, ps, tt.want)
				break
			}
		}
	}
}

func TestTQuantile(t *testing.T) {
	tests := []struct {
		q, df, want float64
	}{
		{0.025, 10, 2.228139},
		{0.05, 5, 2.015048},
		{0.005, 3, 5.840909},
		{0.05, 1, 6.313752},
		{0.025, 1e6, 1.959966},
		{0.5, 7, 0},
	}
	for _, tt := range tests {
		got := tQuantile(tt.q, tt.df)
		if !near(got, tt.want, 1e-5) {
			t.Errorf("tQuantile(%v, %v) = %v, want %v", tt.q, tt.df, got, tt.want)
		}
		// It inverts the upper tail of the t CDF.
		if tail := 1 - (stats.TDist{V: tt.df}).CDF(got); !near(tail, tt.q, 1e-9) {
			t.Errorf("upper tail at tQuantile(%v, %v) = %v", tt.q, tt.df, tail)
		}
	}
}

func TestTTest(t *testing.T) {
	// With v = 1, n = k = 2, se = 1, so the statistic is diff itself.
	tests := []struct {
		diff, df, want float64
	}{
		{0, 10, 0.5},
		{2.228139, 10, 0.025},
		{-2.228139, 10, 0.975},
		{2.015048, 5, 0.05},
	}
	for _, tt := range tests {
		if got := tTest(tt.diff, 1, tt.df, 2, 2); !near(got, tt.want, 1e-6) {
			t.Errorf("tTest(%v, df=%v) = %v, want %v", tt.diff, tt.df, got, tt.want)
		}
	}
	// The standard error uses both sample sizes: se = sqrt(v (1/n + 1/k)).
	v, n, k := 0.0004, 5, 3
	se := math.Sqrt(v * (1/float64(n) + 1/float64(k)))
	if got := tTest(2.228139*se, v, 10, n, k); !near(got, 0.025, 1e-6) {
		t.Errorf("tTest with n=5, k=3 = %v, want 0.025", got)
	}
	// The two one-sided p-values add up to one.
	for _, d := range []float64{0.01, -0.03, 0.2} {
		if s := tTest(d, v, 8, n, k) + tTest(-d, v, 8, n, k); !near(s, 1, 1e-12) {
			t.Errorf("p(worse)+p(better) = %v for diff %v", s, d)
		}
	}
	// A larger difference is less likely.
	if tTest(0.02, v, 8, n, k) >= tTest(0.01, v, 8, n, k) {
		t.Errorf("tTest is not decreasing in diff")
	}
}

// logs returns the log of each value, as check sees run summaries.
func logsOf(xs ...float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(x)
	}
	return out
}

func TestNoiseModel(t *testing.T) {
	steady := func(level float64) []float64 { return logsOf(noisy(level, 0.01, 6)...) }
	var base [][]float64
	for i := 0; i < 8; i++ {
		base = append(base, steady(100+float64(i)))
	}
	m := newNoiseModel(hists(base), 3)
	if !m.ok {
		t.Fatal("noise model not ok with 8 configs of 6 runs")
	}
	trueVar := variance(steady(100))
	if m.prior < trueVar/2 || m.prior > trueVar*2 {
		t.Errorf("prior %v, want near the configs' variance %v", m.prior, trueVar)
	}

	t.Run("short series ignored", func(t *testing.T) {
		wild := append(append([][]float64(nil), base...), logsOf(100, 200), logsOf(50, 150), logsOf(10))
		w := newNoiseModel(hists(wild), 3)
		if w.prior != m.prior {
			t.Errorf("configs with fewer than 3 runs changed the prior: %v vs %v", w.prior, m.prior)
		}
		if n := newNoiseModel(hists([][]float64{logsOf(100, 101), logsOf(90, 95), nil}), 3); n.ok {
			t.Errorf("no config has 3 runs, yet the model is ok: %+v", n)
		}
		if n := newNoiseModel(hists(nil), 3); n.ok {
			t.Errorf("empty history, model ok")
		}
	})

	t.Run("noisy minority", func(t *testing.T) {
		withNoisy := append(append([][]float64(nil), base...),
			logsOf(noisy(100, 0.2, 6)...), logsOf(noisy(100, 0.3, 6)...))
		n := newNoiseModel(hists(withNoisy), 3)
		if n.prior > 1.5*m.prior {
			t.Errorf("two noisy configs of ten inflated the prior from %v to %v", m.prior, n.prior)
		}
		// The mean of the variances, in contrast, would be many times larger.
		var sum float64
		for _, xs := range withNoisy {
			sum += variance(xs)
		}
		if mean := sum / float64(len(withNoisy)); mean < 10*n.prior {
			t.Errorf("test is vacuous: the mean variance %v is not far above the prior %v", mean, n.prior)
		}
	})

	t.Run("floor", func(t *testing.T) {
		flat := [][]float64{logsOf(5, 5, 5, 5), logsOf(7, 7, 7)}
		n := newNoiseModel(hists(flat), 3)
		if !n.ok || n.prior != minSigma*minSigma {
			t.Errorf("noiseless history: prior %v, want the floor %v", n.prior, minSigma*minSigma)
		}
	})

	t.Run("configNoise", func(t *testing.T) {
		// A config much noisier than the pool uses its own variance and degrees of freedom.
		own := logsOf(noisy(100, 0.1, 6)...)
		v, df := m.configNoise(pts(own))
		if v != variance(own) || df != 5 {
			t.Errorf("noisy config: v %v df %v, want its own %v and 5", v, df, variance(own))
		}
		// A typical config is moderated towards the prior with the prior's weight added.
		v, df = m.configNoise(pts(steady(100)))
		if df != m.priorDF+5 || v < m.prior*priorFloor || v > 2*m.prior {
			t.Errorf("steady config: v %v df %v (prior %v)", v, df, m.prior)
		}
		// A config that looks quieter than the pool is not given less than the floor.
		v, _ = m.configNoise(pts(logsOf(100, 100, 100, 100)))
		if v < m.prior*priorFloor-1e-18 {
			t.Errorf("quiet config: v %v below the floor %v", v, m.prior*priorFloor)
		}
	})
}

// hists turns per-config log centres into the histories a Test learns from.
func hists(logs [][]float64) []History {
	hs := make([]History, len(logs))
	for i, xs := range logs {
		hs[i] = History{Key: fmt.Sprint(i), Points: pts(xs)}
	}
	return hs
}

// pts turns log centres into points.
func pts(xs []float64) []Point {
	ps := make([]Point, len(xs))
	for i, x := range xs {
		ps[i] = Point{Log: x, Batch: fmt.Sprintf("b%d", i+1)}
	}
	return ps
}
