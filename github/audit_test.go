package github

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/check"
)

// auditSuite is a --require-all suite listed by config: nReg regressions, nOOM newly failing
// configs, nMiss failing missing configs, nSus suspects and nSame unchanged configs.
func auditSuite(nReg, nOOM, nMiss, nSus, nSame int) *check.Report {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Pass}
	i := 0
	add := func(s check.Status, fails bool, delta *float64, outcome string) {
		rep.Results = append(rep.Results, check.Result{Config: map[string]string{"tp": fmt.Sprintf("%04d", i)}, Key: fmt.Sprintf("tp=%04d", i),
			Metric: "TFLOPS/GPU", Better: "higher", Status: s, Fails: fails, DeltaPct: delta, Outcome: outcome, ThresholdPct: 3})
		i++
		if fails {
			rep.Verdict = check.Fail
		}
	}
	for k := 0; k < max(nReg, nOOM, nMiss, nSus, nSame); k++ {
		if k < nReg {
			add(check.Regression, true, f64(-4-float64(k%40)/10), "ok")
		}
		if k < nOOM {
			add(check.NewlyFailing, true, nil, "oom")
		}
		if k < nMiss {
			add(check.Missing, true, nil, "")
		}
		if k < nSus {
			add(check.Suspect, false, f64(-4), "ok")
		}
		if k < nSame {
			add(check.Unchanged, false, f64(0.1), "ok")
		}
	}
	return rep
}

// The status says what failed, counting missing configs as missing, and calls suspects
// suspects, within GitHub's 140 characters.
func TestDescriptionSaysWhatFailed(t *testing.T) {
	for _, tc := range []struct {
		rep  *check.Report
		want string
	}{
		{auditSuite(0, 0, 3, 0, 47), "3 of 50 configs failing (3 missing)"},
		{auditSuite(1500, 20, 15, 0, 1465), "1535 of 3000 configs failing (1500 regressed, 20 OOM/error, 15 missing)"},
		{auditSuite(1, 0, 0, 2, 47), "1 of 50 configs failing (1 regressed); 2 suspect, re-run"},
		{auditSuite(0, 0, 0, 2, 48), "48 of 50 configs within thresholds; 2 suspect, re-run"},
		{auditSuite(0, 0, 0, 0, 50), "all 50 configs within thresholds"},
		{auditSuite(99999, 99999, 99999, 99999, 0), ""},
	} {
		got := Description(tc.rep)
		if n := len([]rune(got)); n > maxStatusDescription {
			t.Errorf("%q: %d characters", got, n)
		}
		if tc.want != "" && got != tc.want {
			t.Errorf("Description = %q, want %q", got, tc.want)
		}
	}
}

// The ::error lines and the check run's annotations of a large suite name its newly failing
// and missing configs, not only its worst regressions, and the line that counts the rest
// says what it left out.
func TestAnnotationsKeepEveryFailingStatus(t *testing.T) {
	rep := auditSuite(1500, 20, 15, 0, 100)
	lines := workflowCommands(rep, "the job summary")
	if len(lines) != maxAnnotationsPerKind {
		t.Fatalf("%d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	text := strings.Join(lines, "\n")
	for _, s := range []string{"newly-failing", "missing", "regression"} {
		if n := strings.Count(text, "title=perfgate "+s+"::"); n != 3 {
			t.Errorf("%d ::error lines for %s, want 3 (the nine taking turns):\n%s", n, s, text)
		}
	}
	if want := "::error title=perfgate::1526 more failing results not annotated (1497 regression, 17 newly-failing, 12 missing); see the job summary"; lines[9] != want {
		t.Errorf("last line %q, want %q", lines[9], want)
	}
	if !strings.Contains(lines[0], "newly-failing") {
		t.Errorf("the first line is not a newly failing config: %s", lines[0])
	}

	anns := checkRunAnnotations(rep, ".github", "the job summary")
	if len(anns) != maxCheckRunAnnotations {
		t.Fatalf("%d annotations", len(anns))
	}
	count := map[string]int{}
	for _, a := range anns[:len(anns)-1] {
		count[a.GetAnnotationLevel()+" "+strings.TrimSuffix(strings.SplitN(a.GetMessage(), " ", 2)[0], ",")]++
	}
	if count["failure newly-failing"] != 20 || count["failure missing"] != 15 || count["failure regression"] != 464 {
		t.Errorf("annotations by level and status: %v", count)
	}
	last := anns[len(anns)-1]
	if got, want := last.GetMessage(), "1036 more results not annotated (1036 regression); see the job summary"; got != want || last.GetAnnotationLevel() != "failure" {
		t.Errorf("last annotation %s %q, want failure %q", last.GetAnnotationLevel(), got, want)
	}
}

// A job summary that other steps nearly filled is fitted; its lines that count what was left
// out point at the JSON report, not at the job summary (itself). A summary already full gets
// nothing, and the warning says how many bytes it holds.
func TestSummaryFittedPointsAtTheJSONReport(t *testing.T) {
	h := newHarness(t)
	h.inActions()
	path := h.env["GITHUB_STEP_SUMMARY"]
	const other = MaxStepSummaryBytes - 40000
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), other), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := h.options()
	opts.NoAPI = true
	if _, err := h.publish(auditSuite(1500, 20, 15, 0, 100), opts); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if len(data) > MaxStepSummaryBytes {
		t.Errorf("summary of %d bytes", len(data))
	}
	md := string(data[other:])
	want := regexp.MustCompile("more failing rows \\([0-9]+ regression\\), left out to fit the job summary; see the JSON report \\(`perfgate check --format json`; in the two-stage mode the artifact's report.json\\), which lists every row\\._")
	if !want.MatchString(md) || strings.Contains(md, "[job summary]") {
		t.Errorf("the summary's left-out line does not point at the JSON report:\n%s", md[max(0, len(md)-1500):])
	}
	if n := strings.Count(md, "| 🔴 newly-failing |") + strings.Count(md, "| 🔴 missing |"); n != 35 {
		t.Errorf("%d of the 35 newly failing and missing configs in the summary", n)
	}

	full := MaxStepSummaryBytes - 100
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), full), 0o644); err != nil {
		t.Fatal(err)
	}
	h.stderr.Reset()
	if _, err := h.publish(auditSuite(1, 0, 0, 0, 1), opts); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("the job summary already holds %d bytes of the %d GitHub accepts per step; not adding the report", full, MaxStepSummaryBytes); !strings.Contains(h.stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", h.stderr.String(), want)
	}
}
