package report

import (
	"math"
	"strings"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/history"
)

// sparkBars are the eight heights of a sparkline.
var sparkBars = []rune("▁▂▃▄▅▆▇█")

// sparkMinSpan is the smallest range a sparkline spans, relative to its middle: run-to-run
// noise of a percent stays near-flat, and a 5% step shows as half the height.
const sparkMinSpan = 0.10

// runSparkline draws a decision's baseline runs, oldest first, then the new result (✕ when
// the new run failed), so a reviewer sees whether the change is a step or noise. It returns ""
// when the baseline holds fewer than two runs.
func runSparkline(r *check.Result) string {
	if r.Baseline == nil || len(r.Baseline.History) < 2 {
		return ""
	}
	vs := make([]*float64, 0, len(r.Baseline.History)+1)
	for i := range r.Baseline.History {
		vs = append(vs, &r.Baseline.History[i])
	}
	switch {
	case r.New != nil && r.New.Runs > 0:
		vs = append(vs, &r.New.Center)
	case r.Outcome != "" && r.Outcome != "ok":
		vs = append(vs, nil)
	}
	return Sparkline(vs)
}

// Sparkline draws values as one line of block characters scaled between their minimum and
// maximum (widened to at least ±5% around their middle); a nil value (a failed run) is drawn
// as ✕. It returns "" for no values.
func Sparkline(values []*float64) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if v != nil {
			lo, hi = math.Min(lo, *v), math.Max(hi, *v)
		}
	}
	if mid := (lo + hi) / 2; hi-lo < sparkMinSpan*math.Abs(mid) {
		lo, hi = mid-sparkMinSpan/2*math.Abs(mid), mid+sparkMinSpan/2*math.Abs(mid)
	}
	// Values come from reports, which a hand-made or hostile file can fill with anything
	// JSON holds: halves keep the span of ±1e308 finite, and a value no range can place
	// (an infinity) draws the range flat rather than index out of the bars.
	flat := !(hi > lo) || math.IsInf(hi, 0) || math.IsInf(lo, 0)
	var b strings.Builder
	for _, v := range values {
		switch {
		case v == nil:
			b.WriteRune('✕')
		case flat:
			b.WriteRune(sparkBars[len(sparkBars)/2])
		default:
			t := (*v/2 - lo/2) / (hi/2 - lo/2)
			i := len(sparkBars) / 2
			if t >= 0 && t <= 1 {
				i = int(math.Round(t * float64(len(sparkBars)-1)))
			}
			b.WriteRune(sparkBars[i])
		}
	}
	return b.String()
}

// SeriesSparkline draws the newest n points of a series (all when n <= 0).
func SeriesSparkline(s *history.Series, n int) string {
	pts := s.Points
	if n > 0 && len(pts) > n {
		pts = pts[len(pts)-n:]
	}
	vs := make([]*float64, len(pts))
	for i := range pts {
		vs[i] = pts[i].Value
	}
	return Sparkline(vs)
}
