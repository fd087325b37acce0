package report

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perfgate/perfgate/check"
)

// fuzzReport builds a report of n results from seed: regressions, newly-failing and
// unchanged configs, with reasons of up to reasonMax bytes that some rows share.
func fuzzReport(seed uint64, n, reasonMax int) *check.Report {
	rng := rand.New(rand.NewPCG(seed, 1))
	reasons := make([]string, 1+rng.IntN(8))
	for i := range reasons {
		if reasonMax > 0 {
			reasons[i] = strings.Repeat("frame ", 1+rng.IntN(reasonMax)/6)
		}
	}
	rep := &check.Report{Verdict: check.Pass}
	for i := 0; i < n; i++ {
		var r check.Result
		switch rng.IntN(4) {
		case 0:
			r = legendResult(i, check.NewlyFailing, 0, reasons[rng.IntN(len(reasons))])
		case 1:
			r = legendResult(i, check.Regression, -3-20*rng.Float64(), reasons[rng.IntN(len(reasons))])
		default:
			r = legendResult(i, check.Unchanged, 0.5-rng.Float64(), "")
		}
		if r.Fails {
			rep.Verdict = check.Fail
		}
		rep.Results = append(rep.Results, r)
	}
	return rep
}

// FuzzMarkdownFit checks the fit of a comment on reports of any size and any shared
// reasons: the output is valid UTF-8 within MaxBytes (budgets from a comment's to a few
// kilobytes), a failing report lists at least one failing row, the worst one, and rows
// in worst-first order, and the legend explains exactly the marks of the rows kept.
func FuzzMarkdownFit(f *testing.F) {
	f.Add(uint64(1), uint16(40), uint16(2000), uint32(4000))
	f.Add(uint64(2), uint16(1800), uint16(900), uint32(65000))
	f.Add(uint64(3), uint16(6), uint16(60000), uint32(3000))
	f.Fuzz(func(t *testing.T, seed uint64, n, reasonMax uint16, budget uint32) {
		max := 3000 + int(budget%62536)
		rep := fuzzReport(seed, int(n%2500), int(reasonMax))
		md := Markdown(rep, MarkdownOptions{MaxBytes: max, RunURL: "https://github.com/o/r/actions/runs/42"})
		if len(md) > max {
			t.Fatalf("%d bytes > MaxBytes %d", len(md), max)
		}
		if !utf8.ValidString(md) {
			t.Fatal("output is not valid UTF-8")
		}
		if rep.Verdict != check.Fail {
			return
		}
		rows := failingLines(md)
		if len(rows) == 0 {
			t.Fatalf("a failing report of %d results lists no failing row in %d bytes", len(rep.Results), max)
		}
		// The regressions shown are the worst, worst first.
		var shown []float64
		for _, l := range rows {
			if m := deltaRe.FindStringSubmatch(l); m != nil {
				d, _ := strconv.ParseFloat(m[1], 64)
				shown = append(shown, d)
			}
		}
		worst := 0.0
		for _, r := range rep.Results {
			if r.Status == check.Regression {
				worst = math.Max(worst, -*r.DeltaPct)
			}
		}
		for i, d := range shown {
			if i == 0 && math.Abs(d-worst) > 0.051 {
				t.Errorf("the first regression shown is −%.1f%%, the worst is −%.2f%%", d, worst)
			}
			if i > 0 && d > shown[i-1] {
				t.Errorf("regression rows out of order: −%.1f%% after −%.1f%%", d, shown[i-1])
			}
		}
		checkLegend(t, md)
	})
}
