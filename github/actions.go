package github

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/report"
)

// Actions limits.
const (
	// MaxStepSummaryBytes is the size GitHub accepts for one step's job summary; over it,
	// the summary upload fails.
	MaxStepSummaryBytes = 1 << 20
	// maxAnnotationsPerKind is the number of ::error:: (and of ::warning::) annotations
	// GitHub shows per step. When there are more, perfgate emits one fewer and a last line
	// that counts the rest, so that the count itself is not dropped.
	maxAnnotationsPerKind = 10
)

// stepSummaryBudget returns how many bytes may still be appended to the job summary file at
// path without taking it over MaxStepSummaryBytes, and how many it already holds; the report
// is rendered to fit.
func stepSummaryBudget(path string) (budget int, used int64) {
	if st, err := os.Stat(path); err == nil {
		used = st.Size()
	}
	// Leave room for the separator and a margin for multi-byte cuts.
	return max(int(MaxStepSummaryBytes-used)-1024, 0), used
}

// jsonReport names the JSON report, which is never cut, as where every one of what can be
// read; cmd is the command that writes it, as Markdown or plain text.
func jsonReport(cmd, what string) string {
	return "the JSON report (" + cmd + "; in the two-stage mode the artifact's report.json), which lists every " + what
}

var (
	// summaryFullReport is where the job summary, fitted, says every row can be read: not
	// the job summary (itself), but the JSON report.
	summaryFullReport = jsonReport("`perfgate check --format json`", "row")
	// jsonReportAt is where the annotations say every result can be read when no job
	// summary was written.
	jsonReportAt = jsonReport("perfgate check --format json", "result")
)

// appendFile appends text to the file at path, creating it if needed.
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// outputLine formats one $GITHUB_OUTPUT entry. A value with a line break uses the heredoc
// form with a delimiter that does not occur in the value; the delimiter is derived from the
// value's hash, so the file is reproducible and a report cannot predict it.
func outputLine(name, value string) string {
	if !strings.ContainsAny(value, "\r\n") {
		return name + "=" + value + "\n"
	}
	sum := sha256.Sum256([]byte(value))
	delim := "perfgate_" + hex.EncodeToString(sum[:12])
	for i := 0; strings.Contains(value, delim); i++ {
		delim = "perfgate_" + hex.EncodeToString(sum[:12]) + "_" + strconv.Itoa(i)
	}
	if !strings.HasSuffix(value, "\n") {
		value += "\n"
	}
	return name + "<<" + delim + "\n" + value + delim + "\n"
}

// escapeData escapes a workflow command's message.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// jobSummaryAt names the job summary of the run at runURL, or the job summary alone when the
// run is not known.
func jobSummaryAt(runURL string) string {
	if runURL == "" {
		return "the job summary"
	}
	return "the job summary: " + runURL
}

// decisions returns rep's results that decided (a metric shown with another's decision is
// annotated with it), worst first as the comment lists them (report.CompareSeverity): check
// lists results by config, and annotations are capped, so the order decides which are kept.
func decisions(rep *check.Report) []*check.Result {
	var out []*check.Result
	for i := range rep.Results {
		if r := &rep.Results[i]; r.Decides() {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, report.CompareSeverity)
	return out
}

// workflowCommands returns the ::error:: and ::warning:: lines for rep, one per decision (a
// metric shown with another's decision is not annotated twice), errors first and each kind
// worst first: an error for each result that fails the gate (newly failing configs, missing
// ones with --require-all, regressions), a warning for each other regression, missing or
// failing config (ignored ones, say), at most maxAnnotationsPerKind of each kind. When there
// are more, every status keeps lines (takeTurns) and the last line counts the rest by
// status and says where they are: see, as Markdown-free text.
func workflowCommands(rep *check.Report, see string) []string {
	var errs, warns []*check.Result
	for _, r := range decisions(rep) {
		switch {
		case report.Fails(r):
			errs = append(errs, r)
		case concerning(r):
			warns = append(warns, r)
		}
	}
	return append(capCommands("error", errs, "failing results", see), capCommands("warning", warns, "warnings", see)...)
}

func capCommands(kind string, rs []*check.Result, what, see string) []string {
	keep := len(rs)
	if len(rs) > maxAnnotationsPerKind {
		keep = maxAnnotationsPerKind - 1
	}
	kept, left := takeTurns(rs, keep)
	var lines []string
	for _, r := range kept {
		lines = append(lines, annotationLine(kind, r))
	}
	if n := len(rs) - len(kept); n > 0 {
		lines = append(lines, "::"+kind+" title="+escapeProperty("perfgate")+"::"+escapeData(notAnnotated(n, what, left, see)))
	}
	return lines
}

// notAnnotated is the message of the annotation that stands for the n results (of what) a
// cap left out: their count by status (left) and where they can be read (see, if set).
func notAnnotated(n int, what string, left map[check.Status]int, see string) string {
	msg := fmt.Sprintf("%d more %s not annotated (%s)", n, what, report.CountWords(left))
	if see != "" {
		msg += "; see " + see
	}
	return msg
}

// annotationStatus is the status a result is counted under when annotations are left out:
// its own, or "ignored" when an ignore rule covers it and it does not fail.
func annotationStatus(r *check.Result) check.Status {
	if r.Ignored && !report.Fails(r) {
		return report.Ignored
	}
	return r.Status
}

// takeTurns keeps n of rs, worst first within each status but taking the statuses in turn
// (report.TurnOrder; the statuses in the order they first appear in rs, which decisions
// sorts worst first), so that a thousand regressions cannot leave a newly failing config
// unannotated. The kept results stay in rs's order; left counts the others by status.
func takeTurns(rs []*check.Result, n int) (kept []*check.Result, left map[check.Status]int) {
	groups := make([]check.Status, len(rs))
	for i, r := range rs {
		groups[i] = annotationStatus(r)
	}
	keep := make([]bool, len(rs))
	for _, i := range report.TurnOrder(groups)[:max(0, min(n, len(rs)))] {
		keep[i] = true
	}
	left = map[check.Status]int{}
	for i, r := range rs {
		if keep[i] {
			kept = append(kept, r)
		} else {
			left[groups[i]]++
		}
	}
	return kept, left
}

func annotationLine(kind string, r *check.Result) string {
	title := "perfgate " + string(r.Status)
	msg := report.ConfigString(r) + " " + r.Metric + ": " + resultSummary(r)
	return "::" + kind + " title=" + escapeProperty(title) + "::" + escapeData(msg)
}

// concerning reports whether r deserves a warning although it does not fail the gate.
func concerning(r *check.Result) bool {
	switch r.Status {
	case check.Regression, check.NewlyFailing, check.Missing, check.StillFailing:
		return true
	}
	return false
}

// resultSummary says in a few words what happened to a result.
func resultSummary(r *check.Result) string {
	var b strings.Builder
	b.WriteString(string(r.Status))
	if r.DeltaPct != nil {
		fmt.Fprintf(&b, " %+.1f%%", *r.DeltaPct)
		if r.ThresholdPct != 0 {
			fmt.Fprintf(&b, " (threshold %.1f%%)", r.ThresholdPct)
		}
	}
	if r.Outcome != "" && r.Outcome != "ok" {
		b.WriteString(", " + r.Outcome)
	}
	if why := report.Reason(r); why != "" {
		b.WriteString(": " + why)
	}
	return b.String()
}

// actions writes what needs no token: the job summary, workflow-command annotations and
// step outputs. Failures are returned but do not stop the API calls.
func (p *publisher) actions(rep *check.Report) error {
	o := p.opts
	var errs []error
	if path := o.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
		if budget, used := stepSummaryBudget(path); budget > 0 {
			md := report.Markdown(rep, report.MarkdownOptions{ID: o.ID, Chart: true, Unchanged: true, RunURL: o.RunURL, BaselineURL: o.BaselineURL, MaxBytes: budget,
				FittedTo: "the job summary", FullReport: summaryFullReport})
			// Another step's summary may end without a line break: the report's heading then
			// continued its last line and did not render (audit). A blank line separates them.
			sep := ""
			if used > 0 {
				sep = "\n\n"
			}
			if err := appendFile(path, sep+md+"\n"); err != nil {
				errs = append(errs, fmt.Errorf("writing the job summary: %v", err))
			} else {
				p.out.Summary = true
			}
		} else {
			fmt.Fprintf(o.Stderr, "perfgate: warning: the job summary already holds %d bytes of the %d GitHub accepts per step; not adding the report\n", used, MaxStepSummaryBytes)
		}
	}
	// The lines that count what was left out point at the job summary, which holds what a
	// step's ten annotations cannot; without one written, at the JSON report.
	see := jsonReportAt
	if p.out.Summary {
		see = jobSummaryAt(o.RunURL)
	}
	for _, line := range workflowCommands(rep, see) {
		fmt.Fprintln(o.Stdout, line)
		p.out.Annotations++
	}
	if path := o.Getenv("GITHUB_OUTPUT"); path != "" {
		// As the action's check step counts them: the configs with a result that fails the gate.
		failing := map[string]bool{} // configs, not results: a config counts once
		for i := range rep.Results {
			if r := &rep.Results[i]; report.Fails(r) {
				key := r.Key
				if key == "" { // a hand-made report: each result is its own config
					key = strconv.Itoa(i)
				}
				failing[key] = true
			}
		}
		regressions := len(failing)
		body := report.Markdown(rep, report.MarkdownOptions{ID: o.ID, RunURL: o.RunURL, BaselineURL: o.BaselineURL, MaxBytes: MaxCommentBytes})
		// description is the status's one line, which says what failed (regressed, OOM or
		// error, missing) where regressions only counts.
		text := outputLine("verdict", string(rep.Verdict)) + outputLine("regressions", strconv.Itoa(regressions)) +
			outputLine("description", Description(rep)) + outputLine("report", body)
		if err := appendFile(path, text); err != nil {
			errs = append(errs, fmt.Errorf("writing step outputs: %v", err))
		} else {
			p.out.Outputs = true
		}
	}
	return errors.Join(errs...)
}
