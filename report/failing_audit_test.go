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

// mixedSuite is a failing suite as --require-all checks it: nReg regressions (4% to 9%
// worse), nOOM configs that ran in the baseline and now run out of memory, nMiss failing
// missing configs and nSame unchanged ones, listed by config as check lists them.
func mixedSuite(nReg, nOOM, nMiss, nSame int) *check.Report {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Fail, Method: check.Method{Summary: "method"}}
	i := 0
	add := func(s check.Status, fails bool, f func(r *check.Result)) {
		cfg := map[string]string{"tp": "8", "nodes": "32", "idx": fmt.Sprintf("%04d", i)}
		i++
		r := check.Result{Config: cfg, Key: bench.Config(cfg).Key(), Metric: bench.MetricTFLOPS, Better: "higher", Status: s, Fails: fails,
			Baseline: &check.Baseline{Center: 150, Runs: 3, NoisePct: 1}}
		f(&r)
		rep.Results = append(rep.Results, r)
	}
	for k := 0; k < max(nReg, nOOM, nMiss, nSame); k++ {
		if k < nReg {
			add(check.Regression, true, func(r *check.Result) {
				d := -4 - float64(k%50)/10
				r.Outcome, r.DeltaPct, r.PValue, r.ThresholdPct = "ok", &d, new(float64), 3
				r.New = &check.NewRuns{Center: 150 * (1 + d/100), Runs: 1}
				r.Reason = "worse"
			})
		}
		if k < nOOM {
			add(check.NewlyFailing, true, func(r *check.Result) {
				r.Outcome, r.New, r.Reason = "oom", &check.NewRuns{}, "the baseline ran; now oom"
			})
		}
		if k < nMiss {
			add(check.Missing, true, func(r *check.Result) { r.Reason = "in the baseline but not in the new results" })
		}
		if k < nSame {
			add(check.Unchanged, false, func(r *check.Result) {
				d := 0.1
				r.Outcome, r.DeltaPct, r.PValue, r.ThresholdPct = "ok", &d, new(float64), 3
				r.New = &check.NewRuns{Center: 150, Runs: 1}
			})
		}
	}
	return rep
}

// statusRows counts the table rows of status in md.
func statusRows(md string, status check.Status) int {
	return strings.Count(md, "| 🔴 "+string(status)+" |")
}

// TestMarkdownKeepsEveryFailingStatus: a comment of a large suite cannot hold every failing
// row; the few newly failing (OOM) and missing configs must still be in it, before the
// regressions, and the line that counts what was left out says which statuses it left out.
func TestMarkdownKeepsEveryFailingStatus(t *testing.T) {
	const url = "https://github.com/o/r/actions/runs/42"
	rep := mixedSuite(1500, 20, 15, 1465)
	md := Markdown(rep, MarkdownOptions{RunURL: url, Chart: true, MaxBytes: 65000})
	if len(md) > 65000 {
		t.Fatalf("%d bytes", len(md))
	}
	if n := statusRows(md, check.NewlyFailing); n != 20 {
		t.Errorf("%d of the 20 newly failing configs in the comment", n)
	}
	if n := statusRows(md, check.Missing); n != 15 {
		t.Errorf("%d of the 15 missing configs in the comment (with the failing icon)", n)
	}
	reg := statusRows(md, check.Regression)
	if reg < 100 {
		t.Errorf("only %d regressions in the comment", reg)
	}
	m := regexp.MustCompile(`_… and (\d+) more failing rows \((\d+) regression\), left out to fit the comment; see the \[job summary\]\(` + regexp.QuoteMeta(url) + `\)\._`).FindStringSubmatch(md)
	if m == nil || m[1] != strconv.Itoa(1500-reg) || m[2] != m[1] {
		t.Errorf("left-out line %q with %d regressions shown", m, reg)
	}
	// Newly failing first, then missing, then regressions.
	oom, miss, first := strings.Index(md, "| 🔴 newly-failing |"), strings.Index(md, "| 🔴 missing |"), strings.Index(md, "| 🔴 regression |")
	if !(oom < miss && miss < first) {
		t.Errorf("failing rows not ordered newly failing, missing, regression: %d %d %d", oom, miss, first)
	}
}

// TestMarkdownFailingStatusesTakeTurns: when one failing status alone is more than the
// comment holds, it does not crowd out another: the statuses take turns, and the left-out
// line counts each.
func TestMarkdownFailingStatusesTakeTurns(t *testing.T) {
	rep := mixedSuite(400, 400, 0, 0)
	md := Markdown(rep, MarkdownOptions{MaxBytes: 20000})
	oom, reg := statusRows(md, check.NewlyFailing), statusRows(md, check.Regression)
	if oom < 20 || reg < 20 || oom-reg > 1 || reg-oom > 1 {
		t.Errorf("%d newly failing and %d regression rows kept: want about as many of each", oom, reg)
	}
	want := fmt.Sprintf("_… and %d more failing rows (%d regression, %d newly-failing), left out to fit the comment._", 800-oom-reg, 400-reg, 400-oom)
	if !strings.Contains(md, want) {
		t.Errorf("no %q in\n%s", want, md[max(0, len(md)-400):])
	}
}

// TestMarkdownFailingMissingIcon: a missing config that fails the gate (--require-all) gets
// the failing icon; one that does not keeps the neutral one.
func TestMarkdownFailingMissingIcon(t *testing.T) {
	rep := mixedSuite(0, 0, 1, 1)
	md := Markdown(rep, MarkdownOptions{})
	if !strings.Contains(md, "| 🔴 missing |") || strings.Contains(md, "⚪ missing") {
		t.Errorf("a failing missing config without the failing icon:\n%s", md)
	}
	rep.Results[0].Fails, rep.Verdict = false, check.Pass
	if md := Markdown(rep, MarkdownOptions{}); !strings.Contains(md, "| ⚪ missing |") {
		t.Errorf("a missing config that does not fail shown as failing:\n%s", md)
	}
}

// Config values reach the comment's cells escaped: no issue link from GH-5, no math from
// $…$, no bidirectional control that reorders a name.
func TestMarkdownNeutralisesConfigValues(t *testing.T) {
	rep := mixedSuite(1, 0, 0, 1)
	rep.Results[0].Config = map[string]string{"branch": "GH-5", "cost": "$1$", "name": "ab\u202ecd\u2069"}
	md := Markdown(rep, MarkdownOptions{})
	for _, bad := range []string{"GH-5", "$1$", "\u202e", "\u2069"} {
		if strings.Contains(md, bad) {
			t.Errorf("%q reaches the comment as is:\n%s", bad, md)
		}
	}
	if !strings.Contains(md, `branch=GH&#45;5 cost=&#36;1&#36; name=ab\[U+202E\]cd\[U+2069\]`) {
		t.Errorf("config not escaped as expected:\n%s", md)
	}
	if got, want := CodeSpan("a\u202eb"), "`a[U+202E]b`"; got != want {
		t.Errorf("CodeSpan = %q, want %q", got, want)
	}
}
