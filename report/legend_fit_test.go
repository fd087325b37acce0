package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// legendResult is a failing or passing result of config idx, as check writes it.
func legendResult(idx int, s check.Status, delta float64, reason string) check.Result {
	cfg := map[string]string{"tp": "8", "idx": fmt.Sprintf("%04d", idx)}
	r := check.Result{Config: cfg, Key: bench.Config(cfg).Key(), Metric: bench.MetricTFLOPS, Better: "higher", Status: s,
		Fails: s == check.Regression || s == check.NewlyFailing, Reason: reason,
		Baseline: &check.Baseline{Center: 100, Runs: 3, NoisePct: 0.3}}
	if s == check.NewlyFailing {
		r.Outcome, r.New = "error", &check.NewRuns{}
		return r
	}
	r.Outcome, r.DeltaPct, r.PValue, r.ThresholdPct = "ok", &delta, new(float64), 3
	r.New = &check.NewRuns{Center: 100 * (1 + delta/100), Runs: 1}
	return r
}

// failingLines returns the failing table rows of md, in order.
func failingLines(md string) []string {
	var out []string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "| 🔴 ") {
			out = append(out, l)
		}
	}
	return out
}

var (
	deltaRe = regexp.MustCompile(`−(\d+\.\d)% ▼`)
	markRe  = regexp.MustCompile(`\| ([¹²³⁴⁵⁶⁷⁸⁹]|\[\d+\]) \|$`)
)

// legendMarks returns the marks the legend of md explains, each once.
func legendMarks(md string) map[string]int {
	out := map[string]int{}
	for _, l := range strings.Split(md, "\n") {
		m, _, ok := strings.Cut(l, " ")
		if ok && (strings.ContainsAny(m, "¹²³⁴⁵⁶⁷⁸⁹") || regexp.MustCompile(`^\[\d+\]$`).MatchString(m)) {
			out[m]++
		}
	}
	return out
}

// checkLegend: every mark of a kept row is explained once in the legend, the legend explains
// no mark that no kept row has, and every legend line is capped as a cell is.
func checkLegend(t *testing.T, md string) {
	t.Helper()
	used := map[string]bool{}
	for _, l := range failingLines(md) {
		if m := markRe.FindStringSubmatch(l); m != nil {
			used[m[1]] = true
		}
	}
	legend := legendMarks(md)
	for m := range used {
		if legend[m] != 1 {
			t.Errorf("mark %s of a kept row is explained %d times", m, legend[m])
		}
	}
	var stray []string
	for m := range legend {
		if !used[m] {
			stray = append(stray, m)
		}
	}
	if len(stray) > 0 {
		t.Errorf("the legend explains %d marks no kept row has (of %d), as %s", len(stray), len(legend), stray[0])
	}
	for _, l := range strings.Split(md, "\n") {
		if m, _, _ := strings.Cut(l, " "); legend[m] > 0 && len(l) > maxCellBytes+len(m)+len(" …")+1 {
			t.Errorf("a legend line of %d bytes", len(l))
		}
	}
}

// TestMarkdownLegendCannotHideFailures is audit D1, repro 1: 1800 regressed configs, each
// reason shared by two of them. The legend of 900 reasons was larger than the comment, and
// as it was fitted with the rows as one block, the comment kept no failing row. The worst
// rows must fill the comment, worst first, with a legend of their marks only.
func TestMarkdownLegendCannotHideFailures(t *testing.T) {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Fail, Method: check.Method{Summary: "method"}}
	const n = 1800
	for i := range n {
		d := -(5 + 0.1*float64(i/2))
		rep.Results = append(rep.Results, legendResult(i, check.Regression, d,
			fmt.Sprintf("worse by %.1f%%: significant and above the 3%% minimum effect", -d)))
	}
	for _, limit := range []int{65000, 8000, 3000} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			md := Markdown(rep, MarkdownOptions{MaxBytes: limit})
			if len(md) > limit {
				t.Errorf("%d bytes > MaxBytes %d", len(md), limit)
			}
			rows := failingLines(md)
			if len(rows) < 2 {
				t.Fatalf("%d failing rows in a FAIL comment:\n%s", len(rows), md)
			}
			if !strings.Contains(rows[0], "−94.9% ▼") {
				t.Errorf("the first row is not the worst:\n%s", rows[0])
			}
			prev := 1e9
			for _, r := range rows {
				m := deltaRe.FindStringSubmatch(r)
				if m == nil {
					t.Fatalf("no change in %s", r)
				}
				d, _ := strconv.ParseFloat(m[1], 64)
				if d > prev {
					t.Errorf("rows not worst first: %.1f%% after %.1f%%", d, prev)
				}
				prev = d
			}
			want := fmt.Sprintf("_… and %d more failing rows (%d regression), left out to fit the comment._", n-len(rows), n-len(rows))
			if !strings.Contains(md, want) {
				t.Errorf("no %q", want)
			}
			checkLegend(t, md)
		})
	}
}

// TestMarkdownLongSharedReason is audit D1, repro 2: two configs fail with the same 72 kB
// error, two others regressed. The legend held the whole error, so the comment kept none of
// the four failing rows. Each must be there, with the error cut as a cell is; and a budget
// that cannot hold one row with a 1 kB reason keeps the worst row, its reason cut to fit.
func TestMarkdownLongSharedReason(t *testing.T) {
	huge := "Traceback: " + strings.Repeat("frame ", 12000)
	rep := &check.Report{Schema: check.Schema, Verdict: check.Fail, Method: check.Method{Summary: "method"}}
	rep.Results = append(rep.Results,
		legendResult(0, check.NewlyFailing, 0, "the baseline ran; now "+huge),
		legendResult(1, check.NewlyFailing, 0, "the baseline ran; now "+huge),
		legendResult(2, check.Regression, -20.3, "worse by 20.3%"),
		legendResult(3, check.Regression, -20.3, "worse by 20.3%"),
		legendResult(4, check.Unchanged, 0.1, ""),
		legendResult(5, check.Unchanged, 0.1, ""),
	)
	for _, limit := range []int{65000, 4000} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			md := Markdown(rep, MarkdownOptions{MaxBytes: limit})
			if len(md) > limit {
				t.Errorf("%d bytes > MaxBytes %d", len(md), limit)
			}
			rows := failingLines(md)
			if len(rows) != 4 || strings.Contains(md, "more failing row") {
				t.Fatalf("%d of 4 failing rows:\n%.3000s", len(rows), md)
			}
			if !regexp.MustCompile(`\n(¹|²) the baseline ran; now Traceback: frame [^\n]* …\n`).MatchString(md) {
				t.Errorf("the shared error is not in the legend, cut with a mark")
			}
			checkLegend(t, md)
		})
	}
	// Keep 1 kB reasons: no row fits 1,500 bytes with its reason, yet the comment lists one.
	solo := &check.Report{Schema: check.Schema, Verdict: check.Fail, Method: check.Method{Summary: "method"}}
	solo.Results = append(solo.Results,
		legendResult(0, check.Regression, -8, "worse by 8%: "+huge),
		legendResult(1, check.Regression, -30, "worse by 30%: "+huge),
		legendResult(2, check.Regression, -9, "worse by 9%: "+strings.Repeat("x", 3000)),
	)
	const limit = 1500
	md := Markdown(solo, MarkdownOptions{MaxBytes: limit})
	if len(md) > limit {
		t.Errorf("%d bytes > MaxBytes %d", len(md), limit)
	}
	rows := failingLines(md)
	if len(rows) != 1 || !strings.Contains(rows[0], "−30.0% ▼") || !strings.HasSuffix(rows[0], " … |") {
		t.Errorf("not the worst row, its reason cut:\n%s", md)
	}
	if !strings.Contains(md, "_… and 2 more failing rows (2 regression), left out to fit the comment._") {
		t.Errorf("the rows left out are not counted:\n%s", md)
	}
}
