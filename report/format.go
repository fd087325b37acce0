package report

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// headline is the one-line verdict with the configs counted by status, e.g. "FAIL: 1
// regression, 1 newly-failing, 31 unchanged (33 configs)". A config counts once, with the
// status of its most severe row.
func headline(rep *check.Report, rows []Row) string {
	c, n := ConfigCounts(rows)
	v := "PASS"
	if rep.Verdict == check.Fail {
		v = "FAIL"
	} else if rep.Verdict != check.Pass {
		v = strings.ToUpper(string(rep.Verdict))
	}
	if n == 0 {
		return v + ": no results"
	}
	return v + ": " + CountWords(c) + " (" + plural(n, "config") + ")"
}

// CountWords says counts by status in report order, e.g. "1 regression, 31 unchanged", as
// the verdict line and the lines that count what was left out say them.
func CountWords(c map[check.Status]int) string {
	var parts []string
	for _, s := range countOrder(c) {
		parts = append(parts, strconv.Itoa(c[s])+" "+string(s))
	}
	return strings.Join(parts, ", ")
}

// countOrder lists the statuses present in c in report order, unchanged last and statuses
// this perfgate does not know (a newer one's) before it.
func countOrder(c map[check.Status]int) []check.Status {
	var out []check.Status
	for _, s := range check.Statuses {
		if c[s] > 0 && s != check.Unchanged {
			out = append(out, s)
		}
	}
	var unknown []check.Status
	for s, n := range c {
		if n > 0 && statusRank(s) == len(check.Statuses) {
			unknown = append(unknown, s)
		}
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i] < unknown[j] })
	out = append(out, unknown...)
	if c[check.Unchanged] > 0 {
		out = append(out, check.Unchanged)
	}
	return out
}

// plural returns "1 config" or "n configs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// ConfigString renders a config in display order as "tp=8 pp=4 …".
func ConfigString(r *check.Result) string { return bench.Config(r.Config).String() }

// num formats a measurement with 4 significant digits, as people read TFLOPS and seconds.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e6 || a < 1e-3:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}
