package bench

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"golang.org/x/perf/benchunit"
)

// A Scaled reads a unit as Factor × Base: "ms/iter" is 0.001 × "s/iter", "TFLOPS/GPU" is
// 1e12 × "FLOPS/GPU".
type Scaled struct {
	Factor float64
	Base   string
}

// Decompose lists the readings of unit: as it is, without a leading SI or IEC prefix (the
// prefixes benchunit prints), and as benchunit tidies it (ns/op is 1e-9 sec/op).
func Decompose(unit string) []Scaled {
	out := []Scaled{{1, unit}}
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(unit, p.prefix); ok && rest != "" && isLetter(rest[0]) {
			out = append(out, Scaled{p.factor, rest})
		}
	}
	if f, t := benchunit.Tidy(1, unit); t != unit {
		out = append(out, Scaled{f, t})
	}
	return out
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// ScaleOf reports whether unit a is a known scaling of unit b (an SI or IEC prefix, or a unit
// benchunit tidies: ms/iter of s/iter, ns/op of sec/op), and the factor: one a is factor b.
// It is the rule results are converted to the baseline's unit by, and the one that finds one
// metric given in two units.
func ScaleOf(a, b string) (factor float64, ok bool) {
	for _, ca := range Decompose(a) {
		for _, cb := range Decompose(b) {
			if ca.Base == cb.Base {
				return ca.Factor / cb.Factor, true
			}
		}
	}
	return 0, false
}

type prefix struct {
	prefix string
	factor float64
}

// prefixes are benchunit's SI and IEC prefixes with their factors, longest first, read off
// benchunit.Scale so that perfgate scales units as benchstat prints them. "u" stands for µ.
var prefixes = func() []prefix {
	var out []prefix
	add := func(v float64, cls benchunit.Class) {
		p := strings.TrimLeft(benchunit.Scale(v, cls), "0123456789.")
		if p == "" {
			return
		}
		out = append(out, prefix{p, v})
		if p == "µ" {
			out = append(out, prefix{"u", v})
		}
	}
	for e := 40; e >= 10; e -= 10 {
		add(math.Pow(2, float64(e)), benchunit.Binary)
	}
	for e := 12; e >= -9; e -= 3 {
		add(math.Pow(10, float64(e)), benchunit.Decimal)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].prefix) > len(out[j].prefix) })
	return out
}()

// Limits of what a run can measure, in base units. Values beyond them are typos or overflow
// (1e308 s/iter), not measurements, and would leave a config ungated for a whole window.
const (
	maxSeconds     = 1e6  // per iteration or op: 11.6 days
	maxFLOPSPerGPU = 1e17 // 100 PFLOP/s per GPU, 20x any accelerator's sparse peak
	maxFLOPS       = 1e22 // a whole cluster
	maxBytes       = 1e15 // a petabyte
	maxOther       = 1e18
)

// plausible reports what is wrong with a finite, positive value of unit, or "".
func plausible(v float64, unit string) string {
	if v < 0x1p-1022 {
		return fmt.Sprintf("value %g is subnormal, too small for any measurement", v)
	}
	if l := limitOf(unit); v > l.max {
		return fmt.Sprintf("value %g %s is beyond what a run can measure (over %s)", v, unit, l.what)
	}
	return ""
}

// A limit is the largest value a run can measure in a unit.
type limit struct {
	max  float64
	what string
}

// limits caches limitOf by unit: stores and sweeps check every value, in a few units.
var limits sync.Map // unit → limit

// limitOf returns the largest value a run can measure in unit.
func limitOf(unit string) limit {
	if l, ok := limits.Load(unit); ok {
		return l.(limit)
	}
	l := limit{maxOther, fmt.Sprintf("%g", maxOther)}
	for _, s := range Decompose(unit) {
		b := strings.ToLower(s.Base)
		switch {
		case b == "s" || b == "sec" || strings.HasPrefix(b, "s/") || strings.HasPrefix(b, "sec/"):
			l = limit{maxSeconds / s.Factor, fmt.Sprintf("%g s", maxSeconds)}
		case strings.HasPrefix(b, "flop"):
			if strings.Contains(b, "/gpu") {
				l = limit{maxFLOPSPerGPU / s.Factor, fmt.Sprintf("%g FLOP/s per GPU", maxFLOPSPerGPU)}
			} else {
				l = limit{maxFLOPS / s.Factor, fmt.Sprintf("%g FLOP/s", maxFLOPS)}
			}
		case b == "b" || b == "bytes" || strings.HasPrefix(b, "b-") || strings.HasPrefix(b, "b/"):
			l = limit{maxBytes / s.Factor, fmt.Sprintf("%g bytes", maxBytes)}
		default:
			continue
		}
		break
	}
	limits.Store(unit, l)
	return l
}

// canBeZero reports whether a unit counts something a run may have none of, as Go's
// allocation counters do. A time or a throughput of zero is never a measurement.
func canBeZero(unit string) bool {
	return unit == "allocs/op" || unit == "B/op"
}
